//! Activations: elementwise functions on any shape, and `Softmax` on flat samples.

use super::shape::flat_width;
use super::{Call, Checked};
use crate::desc::{Activation, Kind};
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

/// `Prelu(init = 0.25)`.
pub fn prelu(call: &Call<'_>) -> syn::Result<Checked> {
    let init = call.reader(&["init"])?.f32("init")?.unwrap_or(0.25);
    Ok(elementwise(call, Activation::Prelu { init }))
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
