//! What a layer demands of the shape it receives: a flat sample or an image.

use super::Call;
use crate::desc::{Shape, Width};
use proc_macro2::Span;

/// The width of a flat (one-dimensional) input, or an error naming what `kind` needs.
pub fn flat_width(call: &Call<'_>, span: Span, kind: &str) -> syn::Result<Width> {
    match call.input {
        Shape::Known(dims) if dims.len() == 1 => Ok(Width::Known(dims[0])),
        Shape::Known(_) => Err(syn::Error::new(
            span,
            format!(
                "{kind} takes a flat input, but {}; add `Flatten` before it",
                call.ctx.source.shape(&call.input.describe())
            ),
        )),
        Shape::OutputOf(ty) | Shape::FlatOutputOf(ty) => Ok(Width::OutputOf(ty.clone())),
    }
}

/// `[channels, height, width]`, or an error naming what `kind` needs.
pub fn image(call: &Call<'_>, kind: &str) -> syn::Result<[usize; 3]> {
    call.input.image().ok_or_else(|| {
        syn::Error::new(
            call.span(),
            format!(
                "{kind} takes images [channels, height, width], but {}",
                call.ctx.source.shape(&call.input.describe())
            ),
        )
    })
}

/// `[channels, length]`, or an error naming what `kind` needs.
pub fn signal(call: &Call<'_>, kind: &str) -> syn::Result<[usize; 2]> {
    call.input.signal().ok_or_else(|| {
        syn::Error::new(
            call.span(),
            format!("{kind} takes signals [channels, length], but {}", call.ctx.source.shape(&call.input.describe())),
        )
    })
}
