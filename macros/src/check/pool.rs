//! Pooling and reshaping: `MaxPool2d` and `AvgPool2d(kernel_size, stride = kernel_size,
//! padding = 0)` as PyTorch's, `GlobalAvgPool` (images to channels) and `Flatten`.

use super::args::ArgReader;
use super::conv::window_output;
use super::{Context, Resolved, Shape};
use quote::{format_ident, quote};
use syn::Ident;

pub fn resolve_window(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let span = ident.span();
    let reader = ArgReader::new(ident, args, &["kernel_size", "stride", "padding"])?;
    let [c, h, w] = shape.image(span, ctx, &ident.to_string())?;
    let at = |name: &str| reader.span(name, args.span.unwrap_or(span));
    let Some((kh, kw)) = reader.pair("kernel_size")? else {
        return Err(syn::Error::new(at("kernel_size"), format!("{ident} takes `(kernel_size)` at least")));
    };
    let (sh, sw) = reader.pair("stride")?.unwrap_or((kh, kw));
    let (ph, pw) = reader.pair("padding")?.unwrap_or((0, 0));
    if 2 * ph > kh || 2 * pw > kw {
        return Err(syn::Error::new(at("padding"), "padding must be at most half the kernel size, as in PyTorch"));
    }
    let (oh, ow) =
        window_output(ctx, "pooling window", [h, w], [kh, kw], [sh, sw], [ph, pw], at("kernel_size"), at("stride"))?;
    let kind = format_ident!("{}", ident.to_string(), span = span);
    let ty = quote!(::staticnet::layers::#kind<#c, #h, #w, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow>);
    Ok((Resolved::builtin(field, ty, quote!(::core::default::Default::default()), span), Shape::Known(vec![c, oh, ow])))
}

pub fn resolve_global(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    ArgReader::new(ident, args, &[])?;
    let [c, h, w] = shape.image(ident.span(), ctx, "GlobalAvgPool")?;
    let ty = quote!(::staticnet::layers::GlobalAvgPool<#c, #h, #w>);
    let resolved = Resolved::builtin(field, ty, quote!(::core::default::Default::default()), ident.span());
    Ok((resolved, Shape::Known(vec![c])))
}

pub fn resolve_flatten(
    ident: &Ident,
    args: &crate::ast::Args,
    field: Ident,
    shape: &Shape,
) -> syn::Result<(Resolved, Shape)> {
    ArgReader::new(ident, args, &[])?;
    let sample = shape.sample();
    let (len, next) = match shape {
        Shape::Known(dims) => {
            let n: usize = dims.iter().product();
            (quote!(#n), Shape::Known(vec![n]))
        }
        Shape::Type(_) => {
            let len = shape.len();
            (quote!({ #len }), Shape::Type(quote!([f32; { #len }])))
        }
    };
    let ty = quote!(::staticnet::layers::Flatten<#sample, #len>);
    Ok((Resolved::builtin(field, ty, quote!(::core::default::Default::default()), ident.span()), next))
}
