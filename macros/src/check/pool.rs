//! Pooling: `MaxPool2d` and `AvgPool2d(kernel_size, stride = kernel_size, padding = 0)` as
//! PyTorch's, and `GlobalAvgPool` (images to channels).

use super::shape::image;
use super::window::window_output;
use super::{Call, Checked};
use crate::desc::{Kind, Shape, Window};

/// `MaxPool2d(kernel_size, stride, padding)`.
pub fn max(call: &Call<'_>) -> syn::Result<Checked> {
    let window = window(call, "MaxPool2d")?;
    let output = Shape::Known(window.output.to_vec());
    Ok(Checked::new(Kind::MaxPool2d(window), output))
}

/// `AvgPool2d(kernel_size, stride, padding)`.
pub fn avg(call: &Call<'_>) -> syn::Result<Checked> {
    let window = window(call, "AvgPool2d")?;
    let output = Shape::Known(window.output.to_vec());
    Ok(Checked::new(Kind::AvgPool2d(window), output))
}

/// `GlobalAvgPool`: the mean of each channel.
pub fn global(call: &Call<'_>) -> syn::Result<Checked> {
    call.reader(&[])?;
    let image = image(call, "GlobalAvgPool")?;
    Ok(Checked::new(Kind::GlobalAvgPool { image }, Shape::Known(vec![image[0]])))
}

fn window(call: &Call<'_>, kind: &str) -> syn::Result<Window> {
    let reader = call.reader(&["kernel_size", "stride", "padding"])?;
    let [c, h, w] = image(call, kind)?;
    let at = |name: &str| reader.span(name, call.args_span());
    let Some((kh, kw)) = reader.pair("kernel_size")? else {
        return Err(syn::Error::new(at("kernel_size"), format!("{kind} takes `(kernel_size)` at least")));
    };
    let (sh, sw) = reader.pair("stride")?.unwrap_or((kh, kw));
    let (ph, pw) = reader.pair("padding")?.unwrap_or((0, 0));
    if 2 * ph > kh || 2 * pw > kw {
        return Err(syn::Error::new(at("padding"), "padding must be at most half the kernel size, as in PyTorch"));
    }
    let (oh, ow) = window_output(
        call.ctx,
        "pooling window",
        [h, w],
        [kh, kw],
        [sh, sw],
        [ph, pw],
        at("kernel_size"),
        at("stride"),
    )?;
    Ok(Window { input: [c, h, w], output: [c, oh, ow], kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw] })
}
