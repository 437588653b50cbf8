//! `Conv2d(out_channels, kernel_size, stride = 1, padding = 0)`, PyTorch's `nn.Conv2d` with
//! the input channels inferred. Output size `(H + 2P - K) / S + 1` per dimension.

use super::init::init;
use super::shape::image;
use super::window::window_output;
use super::{Call, Checked};
use crate::desc::{self, Kind, Shape};

pub fn check(call: &Call<'_>) -> syn::Result<Checked> {
    let reader = call.reader(&["out_channels", "kernel_size", "stride", "padding", "init", "bias_init"])?;
    let [c, h, w] = image(call, "Conv2d")?;
    let at = |name: &str| reader.span(name, call.args_span());
    let (Some(oc), Some((kh, kw))) = (reader.usize("out_channels")?, reader.pair("kernel_size")?) else {
        return Err(syn::Error::new(at("out_channels"), "Conv2d takes `(out_channels, kernel_size)` at least"));
    };
    if oc == 0 {
        return Err(syn::Error::new(at("out_channels"), "a Conv2d layer needs at least one output channel"));
    }
    let (sh, sw) = reader.pair("stride")?.unwrap_or((1, 1));
    let (ph, pw) = reader.pair("padding")?.unwrap_or((0, 0));
    let (oh, ow) =
        window_output(call.ctx, "kernel", [h, w], [kh, kw], [sh, sw], [ph, pw], at("kernel_size"), at("stride"))?;
    let kind = Kind::Conv2d(desc::Conv2d {
        input: [c, h, w],
        output: [oc, oh, ow],
        kernel: [kh, kw],
        stride: [sh, sw],
        padding: [ph, pw],
        init: init(reader.get("init"))?,
        bias_init: init(reader.get("bias_init"))?,
    });
    Ok(Checked::new(kind, Shape::Known(vec![oc, oh, ow])))
}
