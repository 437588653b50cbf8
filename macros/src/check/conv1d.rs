//! The 1-d layers on signals `[channels, length]`: `Conv1d(out_channels, kernel_size,
//! stride = 1, padding = 0, dilation = 1)`, PyTorch's `nn.Conv1d` with the input channels
//! inferred, and `MaxPool1d` / `AvgPool1d(kernel_size, stride = kernel_size, padding = 0)`.
//! Output length `(L + 2P - D(K - 1) - 1) / S + 1`.

use super::init::init;
use super::shape::signal;
use super::{Call, Checked};
use crate::desc::{self, Kind, Shape, Window1d};
use proc_macro2::Span;

pub fn conv(call: &Call<'_>) -> syn::Result<Checked> {
    let reader = call.reader(&["out_channels", "kernel_size", "stride", "padding", "dilation", "init", "bias_init"])?;
    let [c, l] = signal(call, "Conv1d")?;
    let at = |name: &str| reader.span(name, call.args_span());
    let (Some(oc), Some(k)) = (reader.usize("out_channels")?, reader.usize("kernel_size")?) else {
        return Err(syn::Error::new(at("out_channels"), "Conv1d takes `(out_channels, kernel_size)` at least"));
    };
    if oc == 0 {
        return Err(syn::Error::new(at("out_channels"), "a Conv1d layer needs at least one output channel"));
    }
    let stride = reader.usize("stride")?.unwrap_or(1);
    let padding = reader.usize("padding")?.unwrap_or(0);
    let dilation = reader.usize("dilation")?.unwrap_or(1);
    if dilation == 0 {
        return Err(syn::Error::new(
            at("dilation"),
            format!("layer `{}`: the dilation must be at least 1", call.ctx.layer),
        ));
    }
    let ol = output_length(call, "kernel", l, [k, stride, padding, dilation], at("kernel_size"), at("stride"))?;
    let kind = Kind::Conv1d(desc::Conv1d {
        input: [c, l],
        output: [oc, ol],
        kernel: k,
        stride,
        padding,
        dilation,
        init: init(reader.get("init"))?,
        bias_init: init(reader.get("bias_init"))?,
    });
    Ok(Checked::new(kind, Shape::Known(vec![oc, ol])))
}

/// `MaxPool1d(kernel_size, stride, padding)`.
pub fn max(call: &Call<'_>) -> syn::Result<Checked> {
    let window = window(call, "MaxPool1d")?;
    let output = Shape::Known(window.output.to_vec());
    Ok(Checked::new(Kind::MaxPool1d(window), output))
}

/// `AvgPool1d(kernel_size, stride, padding)`.
pub fn avg(call: &Call<'_>) -> syn::Result<Checked> {
    let window = window(call, "AvgPool1d")?;
    let output = Shape::Known(window.output.to_vec());
    Ok(Checked::new(Kind::AvgPool1d(window), output))
}

fn window(call: &Call<'_>, kind: &str) -> syn::Result<Window1d> {
    let reader = call.reader(&["kernel_size", "stride", "padding"])?;
    let [c, l] = signal(call, kind)?;
    let at = |name: &str| reader.span(name, call.args_span());
    let Some(k) = reader.usize("kernel_size")? else {
        return Err(syn::Error::new(at("kernel_size"), format!("{kind} takes `(kernel_size)` at least")));
    };
    let stride = reader.usize("stride")?.unwrap_or(k);
    let padding = reader.usize("padding")?.unwrap_or(0);
    if 2 * padding > k {
        return Err(syn::Error::new(at("padding"), "padding must be at most half the kernel size, as in PyTorch"));
    }
    let ol = output_length(call, "pooling window", l, [k, stride, padding, 1], at("kernel_size"), at("stride"))?;
    Ok(Window1d { input: [c, l], output: [c, ol], kernel: k, stride, padding })
}

/// The output length of a window of `k` taps `dilation` apart moved by `stride` over a
/// signal of `l` values padded by `padding` at each end, or an error naming the layer when
/// it does not fit.
fn output_length(
    call: &Call<'_>,
    what: &str,
    l: usize,
    [k, stride, padding, dilation]: [usize; 4],
    window_span: Span,
    stride_span: Span,
) -> syn::Result<usize> {
    let layer = &call.ctx.layer;
    if k == 0 {
        return Err(syn::Error::new(window_span, format!("layer `{layer}`: the {what} size must be at least 1")));
    }
    if stride == 0 {
        return Err(syn::Error::new(stride_span, format!("layer `{layer}`: the stride must be at least 1")));
    }
    let (padded, span) = (l + 2 * padding, dilation * (k - 1) + 1);
    if span > padded {
        let msg = format!(
            "layer `{layer}`: {what} spanning {span} values is larger than its padded input of {padded} ({}, padding {padding}); the output would be empty",
            call.ctx.source.shape(&format!("length {l}"))
        );
        return Err(syn::Error::new(window_span, msg));
    }
    Ok((padded - span) / stride + 1)
}
