//! Layers the macro does not know: nested networks and user layers, written as types.
//! Their widths are compared by the compiler, through a `WidthCheck`.

use super::{Checked, Context};
use crate::desc::{Kind, Shape, Width, WidthCheck};
use proc_macro2::Span;
use syn::spanned::Spanned;

pub fn check(ty: &syn::Type, input: &Shape, ctx: &Context) -> Checked {
    let checks = vec![width_check(input, Width::InputOf(ty.clone()), ty.span(), ctx)];
    Checked { kind: Kind::Custom(ty.clone()), output: Shape::OutputOf(ty.clone()), checks }
}

/// A check that the layer being checked, which takes `expected` values per sample, is
/// given as many as `input` holds.
pub fn width_check(input: &Shape, expected: Width, span: Span, ctx: &Context) -> WidthCheck {
    WidthCheck {
        expected,
        given: input.width(),
        span,
        network: ctx.network.clone(),
        layer: ctx.layer.clone(),
        source: ctx.source.name(),
    }
}
