//! Code generation: the network struct, its parameter, state and cache blocks, and its
//! `Layer` implementation calling each layer in order (forward) and in reverse (backward).

pub mod layer;

use crate::desc::Layer;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

/// The items of network `name` made of `layers`, and of the networks generated for them.
pub fn expand(attrs: &[syn::Attribute], vis: &syn::Visibility, name: &syn::Ident, layers: &[Layer]) -> TokenStream {
    let params = format_ident!("{}Params", name);
    let state = format_ident!("{}State", name);
    let cache = format_ident!("{}Cache", name);
    let fields: Vec<_> = layers.iter().map(|l| &l.field).collect();
    let field_names: Vec<String> = layers.iter().map(|l| l.field.to_string()).collect();
    let layer_docs = field_names.iter().map(|f| format!("Layer `{f}`."));
    let param_docs = field_names.iter().map(|f| format!("Parameters of layer `{f}`."));
    let state_docs = field_names.iter().map(|f| format!("State of layer `{f}`."));
    let types: Vec<_> = layers.iter().map(layer::ty).collect();
    let ctors = layers.iter().map(layer::ctor);
    let checks = layers.iter().map(layer::checks);
    let first = &types[0];
    let last = &types[types.len() - 1];
    let n = layers.len();

    // Activations a_k (output of layer k) and their gradients g_k, for every layer but the
    // last, whose output is the caller's.
    let inner = &layers[..n - 1];
    let act: Vec<_> = inner.iter().map(|l| format_ident!("a_{}", l.field)).collect();
    let grad: Vec<_> = inner.iter().map(|l| format_ident!("g_{}", l.field)).collect();
    let inner_types: Vec<_> = inner.iter().map(layer::ty).collect();
    let cache_fields: Vec<_> = layers.iter().map(|l| format_ident!("c_{}", l.field)).collect();
    let params_doc = format!("Trainable parameters of [`{name}`], one contiguous block with a field per layer.");
    let state_doc = format!("Non-trainable state of [`{name}`] (running statistics), a field per layer.");
    let cache_doc = format!("What [`{name}`] keeps between forward and backward for a batch of up to `B` rows.");

    let forward = forward_calls(layers, &act);
    let backward = backward_calls(layers, &act, &grad);
    let nested = layers.iter().filter_map(Layer::nested).map(|n| {
        let doc = format!("The layers of residual block `{}` of [`{name}`].", n.name);
        expand(&[syn::parse_quote!(#[doc = #doc])], vis, &n.name, &n.layers)
    });

    quote! {
        #(#nested)*

        #(#attrs)*
        #[derive(Clone, Debug)]
        #vis struct #name {
            #( #[doc = #layer_docs] pub #fields: #types, )*
        }

        // Copy when every layer is, so that user layers need not be; the higher-ranked
        // bounds keep the impl legal when one is not (trivially false bounds are unstable).
        #[automatically_derived]
        impl ::core::marker::Copy for #name where #( for<'__copy> #types: ::core::marker::Copy, )* {}

        #[doc = #params_doc]
        #[derive(Clone, Copy)]
        #[repr(C, align(4))]
        #vis struct #params {
            #( #[doc = #param_docs] pub #fields: <#types as ::staticnet::Layer>::Params, )*
        }

        #[doc = #state_doc]
        #[derive(Clone, Copy)]
        #[repr(C, align(4))]
        #vis struct #state {
            #( #[doc = #state_docs] pub #fields: <#types as ::staticnet::Layer>::State, )*
        }

        #[doc = #cache_doc]
        #vis struct #cache<const B: usize> {
            #( #act: [<#inner_types as ::staticnet::Layer>::Output; B], )*
            #( #grad: [<#inner_types as ::staticnet::Layer>::Output; B], )*
            #( #cache_fields: <#types as ::staticnet::Layer>::Cache<B>, )*
        }

        #(#checks)*

        // SAFETY: every field is `Zeroable`, as the where clause requires.
        #[automatically_derived]
        unsafe impl<const B: usize> ::staticnet::Zeroable for #cache<B>
        where
            #( [<#inner_types as ::staticnet::Layer>::Output; B]: ::staticnet::Zeroable, )*
            #( <#types as ::staticnet::Layer>::Cache<B>: ::staticnet::Zeroable, )*
        {}
        // SAFETY: every field is `Flat` (an f32 block), so all-zero bytes are valid.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #params {}
        // SAFETY: repr(C) of `Flat` fields, all f32-aligned, hence no padding; the size
        // is checked against LEN below.
        #[automatically_derived]
        unsafe impl ::staticnet::Flat for #params {
            const LEN: usize = 0 #( + <<#types as ::staticnet::Layer>::Params as ::staticnet::Flat>::LEN )*;
        }
        // SAFETY: as for the parameters.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #state {}
        // SAFETY: as for the parameters.
        #[automatically_derived]
        unsafe impl ::staticnet::Flat for #state {
            const LEN: usize = 0 #( + <<#types as ::staticnet::Layer>::State as ::staticnet::Flat>::LEN )*;
        }
        const _: () = {
            assert!(::core::mem::size_of::<#params>() == <#params as ::staticnet::Flat>::LEN * 4);
            assert!(::core::mem::size_of::<#state>() == <#state as ::staticnet::Flat>::LEN * 4);
        };

        #[automatically_derived]
        impl ::core::default::Default for #name {
            /// The network with the hyperparameters of its declaration.
            fn default() -> Self {
                #name { #( #fields: #ctors, )* }
            }
        }

        #[automatically_derived]
        impl #name {
            /// Number of trainable parameters.
            pub const PARAMS: usize = <#params as ::staticnet::Flat>::LEN;
            /// Bytes of the trainable parameters (the same again for their gradients and
            /// for each optimizer state buffer).
            pub const PARAM_BYTES: usize = ::core::mem::size_of::<#params>();
            /// Bytes of the non-trainable state.
            pub const STATE_BYTES: usize = ::core::mem::size_of::<#state>();
        }

        #[automatically_derived]
        impl ::staticnet::Layer for #name {
            type Input = <#first as ::staticnet::Layer>::Input;
            type Output = <#last as ::staticnet::Layer>::Output;
            type Params = #params;
            type State = #state;
            type Cache<const B: usize> = #cache<B>;

            fn init<R: ::staticnet::__private::RngCore + ?Sized>(&self, params: &mut #params, state: &mut #state, rng: &mut R) {
                #( ::staticnet::Layer::init(&self.#fields, &mut params.#fields, &mut state.#fields, rng); )*
            }

            fn forward<const B: usize>(
                &self,
                params: &#params,
                state: &#state,
                x: &[Self::Input],
                y: &mut [Self::Output],
                cache: &mut #cache<B>,
                mode: ::staticnet::Mode,
            ) {
                let rows = x.len();
                #forward
            }

            fn visit_tensors<V: ::staticnet::tensors::TensorVisitor>(
                &self,
                params: &mut #params,
                state: &mut #state,
                path: &::staticnet::tensors::TensorPath<'_>,
                visitor: &mut V,
            ) {
                #( ::staticnet::Layer::visit_tensors(&self.#fields, &mut params.#fields, &mut state.#fields, &path.child(#field_names), visitor); )*
            }

            fn regularize(&self, params: &#params, grads: &mut #params) -> f32 {
                0.0 #( + ::staticnet::Layer::regularize(&self.#fields, &params.#fields, &mut grads.#fields) )*
            }

            fn constrain(&self, params: &mut #params) {
                #( ::staticnet::Layer::constrain(&self.#fields, &mut params.#fields); )*
            }

            fn update_state<const B: usize>(&self, state: &mut #state, cache: &#cache<B>) {
                #( ::staticnet::Layer::update_state::<B>(&self.#fields, &mut state.#fields, &cache.#cache_fields); )*
            }

            fn backward<const B: usize>(
                &self,
                params: &#params,
                x: &[Self::Input],
                y: &[Self::Output],
                dy: &[Self::Output],
                cache: &mut #cache<B>,
                dx: ::core::option::Option<&mut [Self::Input]>,
                grads: &mut #params,
            ) {
                let rows = x.len();
                #backward
            }
        }
    }
}

/// `layer_k.forward(a_{k-1} -> a_k)`, from the input `x` to the output `y`.
fn forward_calls(layers: &[Layer], act: &[proc_macro2::Ident]) -> TokenStream {
    let n = layers.len();
    layers
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let (field, span) = (&l.field, l.span);
            let c = format_ident!("c_{}", field);
            let input = if k == 0 { quote!(x) } else { let a = &act[k - 1]; quote!(&cache.#a[..rows]) };
            let input = rewire(layers, k, input, quote!(reshape));
            let output = if k == n - 1 { quote!(y) } else { let a = &act[k]; quote!(&mut cache.#a[..rows]) };
            quote_spanned! {span=>
                ::staticnet::Layer::forward::<B>(&self.#field, &params.#field, &state.#field, #input, #output, &mut cache.#c, mode);
            }
        })
        .collect()
}

/// `layer_k.backward(g_k -> g_{k-1})`, from the last layer to the first, which writes the
/// caller's `dx` (or nothing when the caller passes `None`).
fn backward_calls(layers: &[Layer], act: &[proc_macro2::Ident], grad: &[proc_macro2::Ident]) -> TokenStream {
    let n = layers.len();
    layers
        .iter()
        .enumerate()
        .rev()
        .map(|(k, l)| {
            let (field, span) = (&l.field, l.span);
            let c = format_ident!("c_{}", field);
            let input = if k == 0 { quote!(x) } else { let a = &act[k - 1]; quote!(&cache.#a[..rows]) };
            let input = rewire(layers, k, input, quote!(reshape));
            let (output, d_output) = if k == n - 1 {
                (quote!(y), quote!(dy))
            } else {
                let (a, g) = (&act[k], &grad[k]);
                (quote!(&cache.#a[..rows]), quote!(&cache.#g[..rows]))
            };
            let d_input = if k == 0 {
                quote!(dx)
            } else {
                let g = &grad[k - 1];
                let d_input = rewire(layers, k, quote!(&mut cache.#g[..rows]), quote!(reshape_mut));
                quote!(::core::option::Option::Some(#d_input))
            };
            quote_spanned! {span=>
                ::staticnet::Layer::backward::<B>(&self.#field, &params.#field, #input, #output, #d_output, &mut cache.#c, #d_input, &mut grads.#field);
            }
        })
        .collect()
}

/// The rows fed to layer `k`, reshaped when layer `k` or the one before is a nested network
/// or custom layer: there the macro cannot name the exact sample type, so the widths are
/// checked by a const item with a readable message and the rows are passed as a reshape.
fn rewire(layers: &[Layer], k: usize, rows: TokenStream, function: TokenStream) -> TokenStream {
    if k > 0 && (layers[k].is_custom() || layers[k - 1].is_custom()) {
        quote!(::staticnet::flat::#function(#rows))
    } else {
        rows
    }
}
