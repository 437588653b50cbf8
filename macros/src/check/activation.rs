//! Activations: elementwise functions on any shape, and `Softmax` on flat samples.

use super::args::ArgReader;
use super::dense::flat_width;
use super::suggest::unknown_layer;
use super::{Context, Resolved, Shape};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Expr, ExprLit, Ident, Lit};

pub fn resolve(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let span = ident.span();
    let sample = shape.sample();
    let layer = |path: TokenStream, ctor: TokenStream| {
        Ok((Resolved::builtin(field.clone(), quote!(#path<#sample>), ctor, span), shape.clone()))
    };
    let default = quote!(::core::default::Default::default());
    match ident.to_string().as_str() {
        "Identity" | "Relu" | "Sigmoid" | "Tanh" | "Selu" | "Silu" | "Swish" | "Softplus" => {
            ArgReader::new(ident, args, &[])?;
            let kind = if ident == "Swish" { format_ident!("Silu", span = span) } else { ident.clone() };
            layer(quote!(::staticnet::layers::#kind), default)
        }
        "LeakyRelu" => {
            let slope = ArgReader::new(ident, args, &["negative_slope"])?.f32("negative_slope")?.unwrap_or(0.01);
            layer(quote!(::staticnet::layers::LeakyRelu), quote!(::staticnet::layers::LeakyRelu::new(#slope)))
        }
        "Elu" => {
            let alpha = ArgReader::new(ident, args, &["alpha"])?.f32("alpha")?.unwrap_or(1.0);
            layer(quote!(::staticnet::layers::Elu), quote!(::staticnet::layers::Elu::new(#alpha)))
        }
        "Prelu" => {
            let init = ArgReader::new(ident, args, &["init"])?.f32("init")?.unwrap_or(0.25);
            layer(quote!(::staticnet::layers::Prelu), quote!(::staticnet::layers::Prelu::new(#init)))
        }
        "Gelu" => {
            let tanh = match ArgReader::new(ident, args, &["approximate"])?.get("approximate") {
                None => false,
                Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) if s.value() == "tanh" => true,
                Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) if s.value() == "none" => false,
                Some(e) => {
                    return Err(syn::Error::new_spanned(e, "`approximate` is \"none\" or \"tanh\", as in PyTorch"));
                }
            };
            layer(quote!(::staticnet::layers::Gelu), quote!(::staticnet::layers::Gelu::new(#tanh)))
        }
        "Softmax" => {
            ArgReader::new(ident, args, &[])?;
            let n = flat_width(shape, span, ctx, "Softmax")?;
            let ty = quote!(::staticnet::layers::Softmax<#n>);
            Ok((Resolved::builtin(field, ty, quote!(::staticnet::layers::Softmax), span), shape.clone()))
        }
        _ => Err(unknown_layer(ident)),
    }
}
