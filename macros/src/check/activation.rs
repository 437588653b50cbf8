//! Activations: elementwise functions on any shape, and `Softmax` on flat samples.

use super::shape::flat_width;
use super::{Call, Checked};
use crate::desc::{Activation, Kind, Shape};
use syn::{Expr, ExprLit, Lit};

/// An activation without hyperparameters.
pub fn plain(call: &Call<'_>, activation: Activation) -> syn::Result<Checked> {
    call.reader(&[])?;
    Ok(elementwise(call, activation))
}

/// `LeakyRelu(negative_slope = 0.01)`.
pub fn leaky_relu(call: &Call<'_>) -> syn::Result<Checked> {
    let negative_slope = call.reader(&["negative_slope"])?.f32("negative_slope")?.unwrap_or(0.01);
    Ok(elementwise(call, Activation::LeakyRelu { negative_slope }))
}

/// `Elu(alpha = 1.0)`.
pub fn elu(call: &Call<'_>) -> syn::Result<Checked> {
    let alpha = call.reader(&["alpha"])?.f32("alpha")?.unwrap_or(1.0);
    Ok(elementwise(call, Activation::Elu { alpha }))
}

/// `Prelu(init = 0.25, num_parameters = 1)`: one slope, or one per channel (the first
/// dimension of the input, its features when it is flat), as `nn.PReLU(num_parameters)`.
pub fn prelu(call: &Call<'_>) -> syn::Result<Checked> {
    let args = call.reader(&["init", "num_parameters"])?;
    let init = args.f32("init")?.unwrap_or(0.25);
    let num_parameters = args.usize("num_parameters")?.unwrap_or(1);
    if num_parameters != 1 {
        let span = args.span("num_parameters", call.args_span());
        match call.input {
            Shape::Known(dims) if dims.first() == Some(&num_parameters) => {}
            Shape::Known(dims) => {
                let channels = dims.first().copied().unwrap_or(0);
                return Err(syn::Error::new(
                    span,
                    format!(
                        "`num_parameters` is 1 or the number of channels, {channels} for input {}",
                        call.input.describe()
                    ),
                ));
            }
            _ => {
                return Err(syn::Error::new(
                    span,
                    "`num_parameters` other than 1 needs an input whose shape the macro knows",
                ));
            }
        }
    }
    Ok(elementwise(call, Activation::Prelu { init, num_parameters }))
}

/// `Gelu(approximate = "none" | "tanh")`.
pub fn gelu(call: &Call<'_>) -> syn::Result<Checked> {
    let tanh = match call.reader(&["approximate"])?.get("approximate") {
        None => false,
        Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) if s.value() == "tanh" => true,
        Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) if s.value() == "none" => false,
        Some(e) => return Err(syn::Error::new_spanned(e, "`approximate` is \"none\" or \"tanh\", as in PyTorch")),
    };
    Ok(elementwise(call, Activation::Gelu { tanh }))
}

/// `Softmax` over the features of each flat sample.
pub fn softmax(call: &Call<'_>) -> syn::Result<Checked> {
    call.reader(&[])?;
    let width = flat_width(call, call.span(), "Softmax")?;
    Ok(Checked::new(Kind::Softmax { width }, call.input.clone()))
}

fn elementwise(call: &Call<'_>, activation: Activation) -> Checked {
    Checked::new(Kind::Activation(activation), call.input.clone())
}
