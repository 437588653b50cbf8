//! The items emitted in place of a network that does not check: its error, and stubs of
//! the struct, its blocks and its `Forward`, `Layer` and `FusedLayer` impls, so that later code naming the network
//! still type-checks and one mistake gives one error (as thiserror's fallback does for a
//! derive with a bad attribute).
//!
//! The stubs have no layers and no parameters; the network's input and output sample
//! types are the declared input and the shape the check reached, so that calls such as
//! `Workspace::<Net, 8>::new()` or a training step with a loss still resolve. Their
//! forward pass writes zeros, their backward pass zero input gradients: nothing panics,
//! and the program never builds anyway.

use crate::desc::Shape;
use crate::expand::layer::sample;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Ident, Visibility};

/// `error` as a compile error, followed by the stubs of network `name`.
pub fn expand(
    attrs: &[Attribute],
    vis: &Visibility,
    name: &Ident,
    input: Option<&Shape>,
    output: Option<&Shape>,
    error: syn::Error,
) -> TokenStream {
    let error = error.to_compile_error();
    let params = format_ident!("{}Params", name);
    let state = format_ident!("{}State", name);
    let cache = format_ident!("{}Cache", name);
    let unknown = Shape::Known(vec![1]);
    let input = sample(input.unwrap_or(&unknown));
    let output = output.map_or_else(|| input.clone(), sample);
    quote! {
        #error

        #(#attrs)*
        #[derive(Clone, Debug, Default)]
        #vis struct #name {}

        #[doc(hidden)]
        #[derive(Clone, Copy)]
        #[repr(C, align(4))]
        #vis struct #params {}

        #[doc(hidden)]
        #[derive(Clone, Copy)]
        #[repr(C, align(4))]
        #vis struct #state {}

        #[doc(hidden)]
        #vis struct #cache<const B: usize> {}

        // SAFETY: no fields.
        #[automatically_derived]
        unsafe impl<const B: usize> ::staticnet::Zeroable for #cache<B> {}
        // SAFETY: no fields.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #params {}
        // SAFETY: no fields, size 0, aligned as f32.
        #[automatically_derived]
        unsafe impl ::staticnet::Flat for #params {
            const LEN: usize = 0;
        }
        // SAFETY: no fields.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #state {}
        // SAFETY: no fields, size 0, aligned as f32.
        #[automatically_derived]
        unsafe impl ::staticnet::Flat for #state {
            const LEN: usize = 0;
        }

        #[automatically_derived]
        impl #name {
            /// Number of trainable parameters.
            pub const PARAMS: usize = 0;
            /// Bytes of the trainable parameters.
            pub const PARAM_BYTES: usize = 0;
            /// Bytes of the non-trainable state.
            pub const STATE_BYTES: usize = 0;
        }

        #[automatically_derived]
        impl ::staticnet::Forward for #name {
            type Input = #input;
            type Output = #output;
            type Params = #params;
            type State = #state;
            type Scratch<const B: usize> = #cache<B>;

            fn infer<const B: usize>(&self, _: &#params, _: &#state, _: &[Self::Input], y: &mut [Self::Output], _: &mut #cache<B>) {
                for y in y {
                    *y = <Self::Output as ::staticnet::Flat>::zeroed();
                }
            }
        }

        #[automatically_derived]
        impl ::staticnet::Layer for #name {
            type Cache<const B: usize> = #cache<B>;

            fn init<R: ::staticnet::__private::RngCore + ?Sized>(&self, _: &mut #params, _: &mut #state, _: &mut R) {}

            fn forward<const B: usize>(
                &self,
                _: &#params,
                _: &#state,
                _: &[Self::Input],
                y: &mut [Self::Output],
                _: &mut #cache<B>,
                _: ::staticnet::Mode,
            ) {
                for y in y {
                    *y = <Self::Output as ::staticnet::Flat>::zeroed();
                }
            }

            fn backward<const B: usize>(
                &self,
                _: &#params,
                _: &[Self::Input],
                _: &[Self::Output],
                _: &[Self::Output],
                _: &mut #cache<B>,
                dx: ::core::option::Option<&mut [Self::Input]>,
                _: &mut #params,
                _: ::staticnet::GradMode,
            ) {
                for dx in dx.into_iter().flatten() {
                    *dx = <Self::Input as ::staticnet::Flat>::zeroed();
                }
            }
        }

        #[automatically_derived]
        impl ::staticnet::FusedLayer for #name {
            type LayerGrads = [f32; 0];
        }
    }
}
