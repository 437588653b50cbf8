//! `Dense(out)` and `Dense(in, out)` (alias `Linear`).

use super::args::ArgReader;
use super::custom::width_check;
use super::init::init;
use super::{Context, Resolved, Shape};
use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

pub fn resolve(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let span = ident.span();
    let params: &[&str] = if args.positional.len() == 2 {
        &["in_features", "out_features", "init", "bias_init", "l1", "l2", "max_norm"]
    } else {
        &["out_features", "init", "bias_init", "l1", "l2", "max_norm"]
    };
    let reader = ArgReader::new(ident, args, params)?;
    let Some(outputs) = reader.usize("out_features")? else {
        return Err(syn::Error::new(
            args.span.unwrap_or(span),
            "Dense takes `(out_features)` or `(in_features, out_features)`",
        ));
    };
    if outputs == 0 {
        return Err(syn::Error::new(reader.span("out_features", span), "a Dense layer needs at least one output"));
    }
    let mut checks = Vec::new();
    let inputs = match (reader.usize("in_features")?, shape) {
        (None, _) => flat_width(shape, span, ctx, "Dense")?,
        (Some(declared), Shape::Known(dims)) if dims.len() == 1 && dims[0] != declared => {
            let msg =
                format!("layer `{}` expects {declared} inputs, but {} outputs {}", ctx.layer, ctx.source, dims[0]);
            return Err(syn::Error::new(reader.span("in_features", span), msg));
        }
        (Some(declared), Shape::Known(_)) => {
            flat_width(shape, reader.span("in_features", span), ctx, "Dense")?;
            quote!(#declared)
        }
        (Some(declared), Shape::Type(_)) => {
            checks.push(width_check(shape, quote!(#declared), span, ctx));
            quote!(#declared)
        }
    };
    let (weight_init, bias_init) = (init(reader.get("init"))?, init(reader.get("bias_init"))?);
    let factor = |name: &str| -> syn::Result<f32> {
        match reader.f32(name)? {
            Some(v) if v < 0.0 => Err(syn::Error::new(reader.span(name, span), format!("`{name}` must be >= 0"))),
            v => Ok(v.unwrap_or(0.0)),
        }
    };
    let (l1, l2) = (factor("l1")?, factor("l2")?);
    let max_norm = match reader.f32("max_norm")? {
        Some(c) if c <= 0.0 => return Err(syn::Error::new(reader.span("max_norm", span), "`max_norm` must be > 0")),
        Some(c) => quote!(::core::option::Option::Some(#c)),
        None => quote!(::core::option::Option::None),
    };
    let ty = quote!(::staticnet::layers::Dense<#inputs, #outputs>);
    let ctor = quote!({
        let mut layer = <#ty as ::core::default::Default>::default();
        layer.init = #weight_init;
        layer.bias_init = #bias_init;
        layer.kernel_regularizer = ::staticnet::regularize::L1L2 { l1: #l1, l2: #l2 };
        layer.max_norm = #max_norm;
        layer
    });
    let mut resolved = Resolved::builtin(field, ty, ctor, span);
    resolved.checks = checks;
    Ok((resolved, Shape::Known(vec![outputs])))
}

/// The width of a flat (one-dimensional) shape, as a const expression.
pub fn flat_width(shape: &Shape, span: proc_macro2::Span, ctx: &Context, kind: &str) -> syn::Result<TokenStream> {
    match shape {
        Shape::Known(dims) if dims.len() == 1 => {
            let n = dims[0];
            Ok(quote!(#n))
        }
        Shape::Known(_) => Err(syn::Error::new(
            span,
            format!(
                "{kind} takes a flat input, but {} outputs {}; add `Flatten` before it",
                ctx.source,
                shape.describe()
            ),
        )),
        Shape::Type(ty) => Ok(quote!({ <#ty as ::staticnet::Flat>::LEN })),
    }
}
