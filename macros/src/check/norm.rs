//! Regularising layers: `BatchNorm(momentum = 0.1, eps = 1e-5)` (1d or 2d by the shape it
//! receives, as PyTorch's `BatchNorm1d`/`BatchNorm2d`) and `Dropout(p)`.

use super::args::ArgReader;
use super::{Context, Resolved, Shape};
use quote::quote;
use syn::Ident;

pub fn resolve_batch_norm(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let span = ident.span();
    let reader = ArgReader::new(ident, args, &["momentum", "eps"])?;
    let momentum = reader.f32("momentum")?.unwrap_or(0.1);
    if !(0.0..=1.0).contains(&momentum) {
        return Err(syn::Error::new(
            reader.span("momentum", span),
            "momentum is in [0, 1] (PyTorch's convention: the weight of the new batch)",
        ));
    }
    let eps = reader.f32("eps")?.unwrap_or(1e-5);
    if eps <= 0.0 {
        return Err(syn::Error::new(reader.span("eps", span), "eps must be positive"));
    }
    let ty = match (ident.to_string().as_str(), shape) {
        ("BatchNorm" | "BatchNorm1d", Shape::Known(dims)) if dims.len() == 1 => {
            let n = dims[0];
            quote!(::staticnet::layers::BatchNorm1d<#n>)
        }
        ("BatchNorm" | "BatchNorm2d", Shape::Known(dims)) if dims.len() == 3 => {
            let (c, h, w) = (dims[0], dims[1], dims[2]);
            quote!(::staticnet::layers::BatchNorm2d<#c, #h, #w>)
        }
        (kind, _) => {
            let msg = format!(
                "{kind} takes features [n] or images [channels, height, width], but {} outputs {}",
                ctx.source,
                shape.describe()
            );
            return Err(syn::Error::new(span, msg));
        }
    };
    let ctor = quote!({
        let mut layer = <#ty as ::core::default::Default>::default();
        layer.momentum = #momentum;
        layer.eps = #eps;
        layer
    });
    Ok((Resolved::builtin(field, ty, ctor, span), shape.clone()))
}

pub fn resolve_dropout(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let span = ident.span();
    let reader = ArgReader::new(ident, args, &["p"])?;
    let p = reader.f32("p")?.unwrap_or(0.5);
    if !(0.0..1.0).contains(&p) {
        return Err(syn::Error::new(reader.span("p", span), "the drop probability p must be in [0, 1)"));
    }
    // Each dropout layer draws its own stream: the seed is a hash of its place.
    let seed = fnv1a(&format!("{}::{}", ctx.network, ctx.layer));
    let sample = shape.sample();
    let ty = quote!(::staticnet::layers::Dropout<#sample>);
    Ok((Resolved::builtin(field, ty, quote!(::staticnet::layers::Dropout::new(#p, #seed)), span), shape.clone()))
}

/// 64-bit FNV-1a hash.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
