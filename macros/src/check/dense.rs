//! `Dense(out)` and `Dense(in, out)` (alias `Linear`).

use super::custom::width_check;
use super::init::init;
use super::shape::flat_width;
use super::{Call, Checked};
use crate::desc::{self, Kind, Shape, Width};

pub fn check(call: &Call<'_>) -> syn::Result<Checked> {
    let (span, ctx) = (call.span(), call.ctx);
    let params: &[&str] = if call.args.positional.len() == 2 {
        &["in_features", "out_features", "init", "bias_init", "l1", "l2", "max_norm"]
    } else {
        &["out_features", "init", "bias_init", "l1", "l2", "max_norm"]
    };
    let reader = call.reader(params)?;
    let Some(outputs) = reader.usize("out_features")? else {
        return Err(syn::Error::new(call.args_span(), "Dense takes `(out_features)` or `(in_features, out_features)`"));
    };
    if outputs == 0 {
        return Err(syn::Error::new(reader.span("out_features", span), "a Dense layer needs at least one output"));
    }
    let mut checks = Vec::new();
    let inputs = match (reader.usize("in_features")?, call.input) {
        (None, _) => flat_width(call, span, "Dense")?,
        (Some(declared), Shape::Known(dims)) if dims.len() == 1 && dims[0] != declared => {
            let msg = format!("layer `{}` expects {declared} inputs, but {}", ctx.layer, ctx.source.values(dims[0]));
            return Err(syn::Error::new(reader.span("in_features", span), msg));
        }
        (Some(declared), Shape::Known(_)) => {
            flat_width(call, reader.span("in_features", span), "Dense")?;
            Width::Known(declared)
        }
        (Some(declared), _) => {
            checks.push(width_check(call.input, Width::Known(declared), span, ctx));
            Width::Known(declared)
        }
    };
    let (init, bias_init) = (init(reader.get("init"))?, init(reader.get("bias_init"))?);
    let factor = |name: &str| -> syn::Result<f32> {
        match reader.f32(name)? {
            Some(v) if v < 0.0 => Err(syn::Error::new(reader.span(name, span), format!("`{name}` must be >= 0"))),
            v => Ok(v.unwrap_or(0.0)),
        }
    };
    let (l1, l2) = (factor("l1")?, factor("l2")?);
    let max_norm = match reader.f32("max_norm")? {
        Some(c) if c <= 0.0 => return Err(syn::Error::new(reader.span("max_norm", span), "`max_norm` must be > 0")),
        c => c,
    };
    let kind = Kind::Dense(desc::Dense { inputs, outputs, init, bias_init, l1, l2, max_norm });
    Ok(Checked { kind, output: Shape::Known(vec![outputs]), checks })
}
