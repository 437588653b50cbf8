//! `syn::parse::Parse` implementations for the `network!` grammar.

use crate::ast::{Args, Budget, FrozenDecl, LayerDecl, LayerKind, Network, Outline};
use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitInt, LitStr, Token, Type, Visibility, braced, bracketed, parenthesized};

impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let budget = match attrs.iter().position(|a| a.path().is_ident("budget")) {
            Some(i) => Some(attrs.remove(i).parse_args_with(Budget::parse)?),
            None => None,
        };
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);

        let (input_dims, input_span) = parse_input(&body)?;
        let mut layers = Vec::new();
        while !body.is_empty() {
            body.parse::<Token![,]>()?;
            if body.is_empty() {
                break;
            }
            layers.push(body.parse()?);
        }
        Ok(Network { attrs, budget, vis, name, input: input_dims, input_span, layers })
    }
}

/// `input: [dims]`, the first entry of a declaration.
fn parse_input(body: ParseStream) -> syn::Result<(Vec<LitInt>, Span)> {
    let input_kw: Ident = body.parse()?;
    if input_kw != "input" {
        return Err(syn::Error::new(input_kw.span(), "the first entry must be the input shape, e.g. `input: [784]`"));
    }
    body.parse::<Token![:]>()?;
    let dims_content;
    let bracket = bracketed!(dims_content in body);
    let dims: Punctuated<LitInt, Token![,]> = dims_content.parse_terminated(LitInt::parse, Token![,])?;
    Ok((dims.into_iter().collect(), bracket.span.join()))
}

impl Parse for Outline {
    /// The attributes, name and (when it parses) the input of a declaration whose rest
    /// may not parse.
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        attrs.retain(|a| !a.path().is_ident("budget"));
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let input_shape = parse_input(&body).ok();
        body.parse::<TokenStream>()?;
        input.parse::<TokenStream>()?;
        Ok(Outline { attrs, vis, name, input: input_shape })
    }
}

impl Parse for LayerDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let frozen = frozen(&input.call(Attribute::parse_outer)?)?;
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
            return Ok(LayerDecl { name, kind: LayerKind::Residual { ident, body }, frozen });
        }
        let is_call = input.peek(Ident) && input.peek2(syn::token::Paren);
        let is_name = input.peek(Ident) && !input.peek2(Token![::]) && !input.peek2(Token![<]);
        let kind = if is_call || is_name {
            let ident: Ident = input.parse()?;
            let args = if input.peek(syn::token::Paren) { input.parse()? } else { Args::default() };
            LayerKind::Named { ident, args }
        } else {
            LayerKind::Custom(input.parse::<Type>()?)
        };
        Ok(LayerDecl { name, kind, frozen })
    }
}

/// The one attribute a layer entry takes: `#[frozen(weights = "file", name = "prefix")]`.
fn frozen(attrs: &[Attribute]) -> syn::Result<Option<FrozenDecl>> {
    const USAGE: &str = "a frozen layer reads its weights at compile time: \
        `#[frozen(weights = \"file.safetensors\")]` (a path relative to this source file, as for `include_bytes!`; `name = \"prefix\"` \
        names its tensors when they are not under the layer's name)";
    let Some(attr) = attrs.first() else { return Ok(None) };
    if let Some(extra) = attrs.get(1) {
        return Err(syn::Error::new_spanned(extra, "a layer takes one attribute, `#[frozen(...)]`"));
    }
    if !attr.path().is_ident("frozen") {
        return Err(syn::Error::new_spanned(attr, format!("unknown layer attribute; {USAGE}")));
    }
    let syn::Meta::List(_) = &attr.meta else { return Err(syn::Error::new_spanned(attr, USAGE)) };
    let (mut weights, mut name) = (None, None);
    attr.parse_nested_meta(|meta| {
        let slot = if meta.path.is_ident("weights") {
            &mut weights
        } else if meta.path.is_ident("name") {
            &mut name
        } else {
            return Err(meta.error(USAGE));
        };
        *slot = Some(meta.value()?.parse::<LitStr>()?);
        Ok(())
    })?;
    let Some(weights) = weights else { return Err(syn::Error::new_spanned(attr, USAGE)) };
    Ok(Some(FrozenDecl { span: syn::spanned::Spanned::span(attr), weights, name }))
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

impl Parse for Budget {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let (mut bytes, mut written, mut batch, mut optimizer, mut fused) = (None, String::new(), 1, None, false);
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if key == "fused" {
                // A flag: training in a `FusedWorkspace`.
                if !input.is_empty() && !input.peek(Token![,]) {
                    return Err(syn::Error::new(
                        key.span(),
                        "`fused` takes no value: `#[budget(ram = 48 KiB, fused)]`",
                    ));
                }
                fused = true;
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
                continue;
            }
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "ram" => {
                    let amount: LitInt = input.parse()?;
                    let n: u64 = amount.base10_parse()?;
                    let unit = if input.peek(Ident) { Some(input.parse::<Ident>()?) } else { None };
                    let factor = match unit.as_ref().map(|u| u.to_string()) {
                        None => 1,
                        Some(u) if u == "B" => 1,
                        Some(u) if u == "KiB" => 1 << 10,
                        Some(u) if u == "MiB" => 1 << 20,
                        Some(u) if u == "KB" || u == "kB" => 1000,
                        Some(u) if u == "MB" => 1_000_000,
                        Some(_) => {
                            let unit = unit.unwrap_or(key);
                            return Err(syn::Error::new(unit.span(), "units are B, KiB, MiB, kB or MB"));
                        }
                    };
                    bytes = Some(n * factor);
                    written = match unit {
                        Some(u) => format!("{n} {u}"),
                        None => format!("{n} B"),
                    };
                }
                "batch" => {
                    batch = input.parse::<LitInt>()?.base10_parse()?;
                    if batch == 0 {
                        return Err(syn::Error::new(key.span(), "the batch must be at least 1"));
                    }
                }
                "optimizer" => optimizer = Some(input.parse::<Ident>()?),
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        "budget options are `ram`, `batch`, `optimizer` and `fused`",
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let Some(bytes) = bytes else {
            return Err(syn::Error::new(span, "a budget needs `ram = <size>`, e.g. `#[budget(ram = 48 KiB)]`"));
        };
        let optimizer = optimizer.unwrap_or_else(|| Ident::new("Sgd", span));
        Ok(Budget { bytes, written, batch, optimizer, fused, span })
    }
}
