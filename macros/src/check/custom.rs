//! Layers the macro does not know: nested networks and user layers, written as types.

use super::{Context, Resolved, Shape};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

pub fn resolve(ty: &syn::Type, field: Ident, shape: &Shape, ctx: &Context) -> (Resolved, Shape) {
    let span = ty.span();
    let expected = quote_spanned!(span=> <<#ty as ::staticnet::Forward>::Input as ::staticnet::Flat>::LEN);
    let resolved = Resolved {
        field,
        ty: quote!(#ty),
        ctor: quote!(::core::default::Default::default()),
        span,
        checks: vec![width_check(shape, expected, span, ctx)],
        custom: true,
        nested: None,
    };
    (resolved, Shape::Type(quote!(<#ty as ::staticnet::Forward>::Output)))
}

/// A const item failing to compile, with a message naming both layers and both sizes,
/// when `expected` (a const expression) differs from the width of `shape`.
pub fn width_check(shape: &Shape, expected: TokenStream, span: Span, ctx: &Context) -> TokenStream {
    let given = shape.len();
    let (network, layer, source) = (&ctx.network, &ctx.layer, &ctx.source);
    quote_spanned! {span=>
        const _: () = ::staticnet::__private::check_width(#expected, #given, #network, #layer, #source);
    }
}
