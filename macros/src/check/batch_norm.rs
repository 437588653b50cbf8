//! `BatchNorm(momentum = 0.1, eps = 1e-5)`: 1d or 2d by the shape it receives, as
//! PyTorch's `BatchNorm1d`/`BatchNorm2d`, which are accepted as spellings that also check
//! the shape.

use super::{Call, Checked};
use crate::desc::{self, BatchNormInput, Kind, Shape};

pub fn check(call: &Call<'_>) -> syn::Result<Checked> {
    let span = call.span();
    let reader = call.reader(&["momentum", "eps"])?;
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
    let written = call.ident.to_string();
    let input = match (written.as_str(), call.input) {
        ("BatchNorm" | "BatchNorm1d", Shape::Known(dims)) if dims.len() == 1 => BatchNormInput::Features(dims[0]),
        ("BatchNorm" | "BatchNorm2d", Shape::Known(dims)) if dims.len() == 3 => {
            BatchNormInput::Images([dims[0], dims[1], dims[2]])
        }
        (kind, shape) => {
            let msg = format!(
                "{kind} takes features [n] or images [channels, height, width], but {}",
                call.ctx.source.shape(&shape.describe())
            );
            return Err(syn::Error::new(span, msg));
        }
    };
    Ok(Checked::new(Kind::BatchNorm(desc::BatchNorm { input, momentum, eps }), call.input.clone()))
}
