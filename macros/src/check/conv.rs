//! `Conv2d(out_channels, kernel_size, stride = 1, padding = 0)`, PyTorch's `nn.Conv2d` with
//! the input channels inferred. Output size `(H + 2P - K) / S + 1` per dimension.

use super::args::ArgReader;
use super::init::init;
use super::{Context, Resolved, Shape};
use proc_macro2::Span;
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
    let reader =
        ArgReader::new(ident, args, &["out_channels", "kernel_size", "stride", "padding", "init", "bias_init"])?;
    let [c, h, w] = shape.image(span, ctx, "Conv2d")?;
    let at = |name: &str| reader.span(name, args.span.unwrap_or(span));
    let (Some(oc), Some((kh, kw))) = (reader.usize("out_channels")?, reader.pair("kernel_size")?) else {
        return Err(syn::Error::new(at("out_channels"), "Conv2d takes `(out_channels, kernel_size)` at least"));
    };
    if oc == 0 {
        return Err(syn::Error::new(at("out_channels"), "a Conv2d layer needs at least one output channel"));
    }
    let (sh, sw) = reader.pair("stride")?.unwrap_or((1, 1));
    let (ph, pw) = reader.pair("padding")?.unwrap_or((0, 0));
    let (oh, ow) = window_output(ctx, "kernel", [h, w], [kh, kw], [sh, sw], [ph, pw], at("kernel_size"), at("stride"))?;
    let (weight_init, bias_init) = (init(reader.get("init"))?, init(reader.get("bias_init"))?);
    let ty = quote!(::staticnet::layers::Conv2d<#c, #h, #w, #oc, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow>);
    let ctor = quote!({
        let mut layer = <#ty as ::core::default::Default>::default();
        layer.init = #weight_init;
        layer.bias_init = #bias_init;
        layer
    });
    Ok((Resolved::builtin(field, ty, ctor, span), Shape::Known(vec![oc, oh, ow])))
}

/// The output height and width of a sliding window, or an error naming the layer, the
/// window and the padded input when the window does not fit.
#[allow(clippy::too_many_arguments)]
pub fn window_output(
    ctx: &Context,
    what: &str,
    [h, w]: [usize; 2],
    [kh, kw]: [usize; 2],
    [sh, sw]: [usize; 2],
    [ph, pw]: [usize; 2],
    window_span: Span,
    stride_span: Span,
) -> syn::Result<(usize, usize)> {
    if kh == 0 || kw == 0 {
        return Err(syn::Error::new(window_span, format!("layer `{}`: the {what} size must be at least 1", ctx.layer)));
    }
    if sh == 0 || sw == 0 {
        return Err(syn::Error::new(stride_span, format!("layer `{}`: the stride must be at least 1", ctx.layer)));
    }
    let (padded_h, padded_w) = (h + 2 * ph, w + 2 * pw);
    if kh > padded_h || kw > padded_w {
        let msg = format!(
            "layer `{}`: {what} {kh}x{kw} is larger than its padded input {padded_h}x{padded_w} ({} outputs {h}x{w}, padding {ph}x{pw}); the output would have no pixels",
            ctx.layer, ctx.source
        );
        return Err(syn::Error::new(window_span, msg));
    }
    Ok(((padded_h - kh) / sh + 1, (padded_w - kw) / sw + 1))
}
