//! `syn::parse::Parse` implementations for the `network!` grammar.

use crate::ast::{Args, LayerDecl, LayerKind, Network};
use crate::check::suggest::BUILTINS;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitInt, Token, Type, Visibility, braced, bracketed, parenthesized};

impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);

        let input_kw: Ident = body.parse()?;
        if input_kw != "input" {
            return Err(syn::Error::new(
                input_kw.span(),
                "the first entry must be the input shape, e.g. `input: [784]`",
            ));
        }
        body.parse::<Token![:]>()?;
        let dims_content;
        let bracket = bracketed!(dims_content in body);
        let input_dims: Punctuated<LitInt, Token![,]> = dims_content.parse_terminated(LitInt::parse, Token![,])?;
        let mut layers = Vec::new();
        while !body.is_empty() {
            body.parse::<Token![,]>()?;
            if body.is_empty() {
                break;
            }
            layers.push(body.parse()?);
        }
        Ok(Network {
            attrs,
            vis,
            name,
            input: input_dims.into_iter().collect(),
            input_span: bracket.span.join(),
            layers,
        })
    }
}

impl Parse for LayerDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let name: Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            Some(name)
        } else {
            None
        };
        if input.peek(Ident) && input.peek2(syn::token::Brace) {
            let ident: Ident = input.parse()?;
            if ident != "Residual" {
                return Err(syn::Error::new(ident.span(), "only `Residual` takes a block of layers in braces"));
            }
            let content;
            braced!(content in input);
            let body = content.parse_terminated(LayerDecl::parse, Token![,])?.into_iter().collect();
            return Ok(LayerDecl { name, kind: LayerKind::Residual { ident, body } });
        }
        let is_call = input.peek(Ident) && input.peek2(syn::token::Paren);
        let is_builtin = input.fork().parse::<Ident>().is_ok_and(|i| BUILTINS.contains(&i.to_string().as_str()))
            && !input.peek2(Token![::])
            && !input.peek2(Token![<]);
        let kind = if is_call || is_builtin {
            let ident: Ident = input.parse()?;
            let args = if input.peek(syn::token::Paren) { input.parse()? } else { Args::default() };
            LayerKind::Builtin { ident, args }
        } else {
            LayerKind::Custom(input.parse::<Type>()?)
        };
        Ok(LayerDecl { name, kind })
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let paren = parenthesized!(content in input);
        let mut args = Args { span: Some(paren.span.join()), ..Args::default() };
        while !content.is_empty() {
            if content.peek(Ident) && content.peek2(Token![=]) {
                let key: Ident = content.parse()?;
                content.parse::<Token![=]>()?;
                args.named.push((key, content.parse()?));
            } else {
                let value: Expr = content.parse()?;
                if !args.named.is_empty() {
                    return Err(syn::Error::new_spanned(value, "positional arguments come before `key = value` ones"));
                }
                args.positional.push(value);
            }
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}
