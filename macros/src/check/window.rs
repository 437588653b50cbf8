//! The output size of a window sliding over an image (convolution and pooling).

use super::Context;
use proc_macro2::Span;

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
            "layer `{}`: {what} {kh}x{kw} is larger than its padded input {padded_h}x{padded_w} ({}, padding {ph}x{pw}); the output would have no pixels",
            ctx.layer,
            ctx.source.shape(&format!("{h}x{w}"))
        );
        return Err(syn::Error::new(window_span, msg));
    }
    Ok(((padded_h - kh) / sh + 1, (padded_w - kw) / sw + 1))
}
