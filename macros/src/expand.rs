//! Code generation: the network struct, its parameter, state, cache and scratch blocks,
//! and its `Forward` and `Layer` implementations calling each layer in order (forward,
//! inference) and in reverse (backward), in the buffers the memory plan assigns.

pub mod layer;
pub mod quantized;

use crate::desc::Layer;
use crate::plan::{Plan, Slot, Step, Traits};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// The items of network `name` made of `layers`, and of the networks generated for them.
pub fn expand(attrs: &[syn::Attribute], vis: &syn::Visibility, name: &syn::Ident, layers: &[Layer]) -> TokenStream {
    let params = format_ident!("{}Params", name);
    let state = format_ident!("{}State", name);
    let cache = format_ident!("{}Cache", name);
    let scratch = format_ident!("{}Scratch", name);
    let fields: Vec<_> = layers.iter().map(|l| &l.field).collect();
    let field_names: Vec<String> = layers.iter().map(|l| l.field.to_string()).collect();
    let layer_docs = field_names.iter().map(|f| format!("Layer `{f}`."));
    let param_docs = field_names.iter().map(|f| format!("Parameters of layer `{f}`."));
    let state_docs = field_names.iter().map(|f| format!("State of layer `{f}`."));
    let types: Vec<_> = layers.iter().map(layer::ty).collect();
    let ctors = layers.iter().map(|l| layer::ctor(name, l));
    let frozen_weights = layers.iter().map(|l| layer::frozen_weights(name, l));
    let checks = layers.iter().map(layer::checks);
    let first = &types[0];
    let last = &types[types.len() - 1];

    let traits: Vec<Traits> = layers.iter().map(|l| Traits::of(&l.kind)).collect();
    let plan = Plan::new(&traits);
    // The lowest layer that trains; with a frozen layer below it, no backward pass runs
    // under it and no gradient of the layers below is kept (`INPUT_GRADIENT` is false).
    let lowest = layers.iter().position(Layer::trains).unwrap_or(layers.len());
    let frozen_below = layers[..lowest].iter().any(|l| l.frozen.is_some());
    let net = Net { layers, types: &types, plan: &plan, params: &params, lowest, frozen_below };

    // Training: an activation buffer per layer output that owns one, the two gradient
    // buffers, and each layer's cache.
    let owners: Vec<usize> = (0..layers.len()).filter(|&k| plan.train[k].0 == Slot::Activation(k)).collect();
    let act: Vec<Ident> = owners.iter().map(|&k| activation(layers, k)).collect();
    let act_types: Vec<&TokenStream> = owners.iter().map(|&k| &types[k]).collect();
    let cache_fields: Vec<Ident> = layers.iter().map(|l| format_ident!("c_{}", l.field)).collect();
    // The gradients of the outputs of the layers under the lowest trainable one are never
    // computed when a frozen layer is among them (`Slot::Input` matches no buffer).
    let kept = |k: usize, slot: Slot| if frozen_below && k < lowest { Slot::Input } else { slot };
    let grad_width =
        |turn: u8| width(&types, plan.grad.iter().enumerate().map(|(k, g)| kept(k, g.0)), Slot::Turn(turn));
    let input_gradient = match frozen_below {
        true => quote!(false),
        false => {
            let below = &types[..=lowest.min(types.len() - 1)];
            quote!(true #( && <#below as ::staticnet::Layer>::INPUT_GRADIENT )*)
        }
    };
    let input_gradient_checks = net.input_gradient_checks(name);
    let (g0, g1) = (grad_width(0), grad_width(1));
    // Inference: the two activation buffers and each layer's scratch.
    let infer_width = |turn: u8| width(&types, plan.infer.iter().map(|o| o.0), Slot::Turn(turn));
    let (p0, p1) = (infer_width(0), infer_width(1));
    let scratch_fields: Vec<Ident> = layers.iter().map(|l| format_ident!("s_{}", l.field)).collect();

    let params_doc = format!("Trainable parameters of [`{name}`], one contiguous block with a field per layer.");
    let state_doc = format!("Non-trainable state of [`{name}`] (running statistics), a field per layer.");
    let cache_doc = format!(
        "What training [`{name}`] keeps between forward and backward for a batch of up to `B` rows: \
         the activations backward reads, two gradient buffers, and each layer's cache."
    );
    let scratch_doc = format!(
        "What an inference pass of [`{name}`] over up to `B` rows needs: two activation buffers and each layer's scratch."
    );

    let forward = net.forward_calls();
    let backward = net.backward_calls();
    let backward_update = net.backward_update_calls();
    let max_layer_params = types.iter().fold(
        quote!(0usize),
        |largest, ty| quote!(::staticnet::__private::max(#largest, <#ty as ::staticnet::Layer>::MAX_LAYER_PARAMS)),
    );
    let infer = net.infer_calls();
    let nested = layers.iter().filter_map(Layer::nested).map(|n| {
        let doc = format!("The layers of residual block `{}` of [`{name}`].", n.name);
        expand(&[syn::parse_quote!(#[doc = #doc])], vis, &n.name, &n.layers)
    });
    let quantized = quantized::expand(vis, name, layers, &types);

    quote! {
        #(#nested)*
        #quantized

        #(#attrs)*
        #[derive(Clone, Debug)]
        #vis struct #name {
            #( #[doc = #layer_docs] pub #fields: #types, )*
        }

        #[doc = #params_doc]
        #[derive(Clone, Copy)]
        #[repr(C, align(4))]
        #vis struct #params {
            #( #[doc = #param_docs] pub #fields: <#types as ::staticnet::Forward>::Params, )*
        }

        #[doc = #state_doc]
        #[derive(Clone, Copy)]
        #[repr(C, align(4))]
        #vis struct #state {
            #( #[doc = #state_docs] pub #fields: <#types as ::staticnet::Forward>::State, )*
        }

        #[doc = #cache_doc]
        #vis struct #cache<const B: usize> {
            #( #act: [<#act_types as ::staticnet::Forward>::Output; B], )*
            g0: [[f32; #g0]; B],
            g1: [[f32; #g1]; B],
            #( #cache_fields: <#types as ::staticnet::Layer>::Cache<B>, )*
        }

        #[doc = #scratch_doc]
        #vis struct #scratch<const B: usize> {
            p0: [[f32; #p0]; B],
            p1: [[f32; #p1]; B],
            #( #scratch_fields: <#types as ::staticnet::Forward>::Scratch<B>, )*
        }

        #(#checks)*
        #(#frozen_weights)*
        #input_gradient_checks

        // SAFETY: every field is `Zeroable`, as the where clause requires.
        #[automatically_derived]
        unsafe impl<const B: usize> ::staticnet::Zeroable for #cache<B>
        where
            #( [<#act_types as ::staticnet::Forward>::Output; B]: ::staticnet::Zeroable, )*
            #( <#types as ::staticnet::Layer>::Cache<B>: ::staticnet::Zeroable, )*
        {}
        // SAFETY: every field is `Zeroable`, as the where clause requires.
        #[automatically_derived]
        unsafe impl<const B: usize> ::staticnet::Zeroable for #scratch<B>
        where
            #( <#types as ::staticnet::Forward>::Scratch<B>: ::staticnet::Zeroable, )*
        {}
        // SAFETY: every field is `Flat` (an f32 block), so all-zero bytes are valid.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #params {}
        // SAFETY: repr(C) of `Flat` fields, all f32-aligned, hence no padding; the size
        // is checked against LEN below.
        #[automatically_derived]
        unsafe impl ::staticnet::Flat for #params {
            const LEN: usize = 0 #( + <<#types as ::staticnet::Forward>::Params as ::staticnet::Flat>::LEN )*;
        }
        // SAFETY: as for the parameters.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #state {}
        // SAFETY: as for the parameters.
        #[automatically_derived]
        unsafe impl ::staticnet::Flat for #state {
            const LEN: usize = 0 #( + <<#types as ::staticnet::Forward>::State as ::staticnet::Flat>::LEN )*;
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
        impl ::staticnet::Forward for #name {
            type Input = <#first as ::staticnet::Forward>::Input;
            type Output = <#last as ::staticnet::Forward>::Output;
            type Params = #params;
            type State = #state;
            type Scratch<const B: usize> = #scratch<B>;

            fn infer<const B: usize>(
                &self,
                params: &#params,
                state: &#state,
                x: &[Self::Input],
                y: &mut [Self::Output],
                scratch: &mut #scratch<B>,
            ) {
                let rows = x.len();
                #infer
            }

            fn visit_tensors<V: ::staticnet::tensors::TensorVisitor>(
                &self,
                params: &mut #params,
                state: &mut #state,
                path: &::staticnet::tensors::TensorPath<'_>,
                visitor: &mut V,
            ) {
                #( ::staticnet::Forward::visit_tensors(&self.#fields, &mut params.#fields, &mut state.#fields, &path.child(#field_names), visitor); )*
            }
        }

        #[automatically_derived]
        impl ::staticnet::Layer for #name {
            type Cache<const B: usize> = #cache<B>;

            const MAX_LAYER_PARAMS: usize = #max_layer_params;
            const INPUT_GRADIENT: bool = #input_gradient;

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

            fn regularize(&self, params: &#params, grads: &mut #params) -> f32 {
                0.0 #( + ::staticnet::Layer::regularize(&self.#fields, &params.#fields, &mut grads.#fields) )*
            }

            fn constrain(&self, params: &mut #params) {
                #( ::staticnet::Layer::constrain(&self.#fields, &mut params.#fields); )*
            }

            fn update_state<const B: usize>(&self, state: &mut #state, cache: &#cache<B>) {
                #( ::staticnet::Layer::update_state::<B>(&self.#fields, &mut state.#fields, &cache.#cache_fields); )*
            }

            fn reseed<const B: usize>(&self, cache: &mut #cache<B>, seed: u64) {
                #( ::staticnet::Layer::reseed::<B>(&self.#fields, &mut cache.#cache_fields, seed); )*
            }

            fn visit_streams<const B: usize, V: ::staticnet::tensors::TensorVisitor>(
                &self,
                cache: &mut #cache<B>,
                path: &::staticnet::tensors::TensorPath<'_>,
                visitor: &mut V,
            ) {
                #( ::staticnet::Layer::visit_streams::<B, V>(&self.#fields, &mut cache.#cache_fields, &path.child(#field_names), visitor); )*
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
                grad_mode: ::staticnet::GradMode,
            ) {
                let rows = x.len();
                #backward
            }

            fn backward_update<const B: usize, U: ::staticnet::LayerUpdate>(
                &self,
                params: &mut #params,
                x: &[Self::Input],
                y: &[Self::Output],
                dy: &[Self::Output],
                cache: &mut #cache<B>,
                dx: ::core::option::Option<&mut [Self::Input]>,
                offset: usize,
                update: &mut U,
            ) -> ::core::result::Result<f32, ::staticnet::Error> {
                let rows = x.len();
                #backward_update
            }
        }

        #[automatically_derived]
        impl ::staticnet::FusedLayer for #name {
            type LayerGrads = [f32; <#name as ::staticnet::Layer>::MAX_LAYER_PARAMS];
        }
    }
}

/// A network's layers with their memory plan, for writing the calls.
struct Net<'a> {
    layers: &'a [Layer],
    types: &'a [TokenStream],
    plan: &'a Plan,
    /// The network's parameter block type.
    params: &'a Ident,
    /// The lowest layer that trains (the number of layers when none does).
    lowest: usize,
    /// A frozen layer lies under the lowest trainable one: no backward pass runs there.
    frozen_below: bool,
}

/// One layer's backward call: the layer, and the arguments after its parameters (`x`, `y`,
/// `dy`, its cache and `dx`).
struct BackwardStep<'a> {
    field: &'a Ident,
    ty: &'a TokenStream,
    span: proc_macro2::Span,
    args: TokenStream,
    /// The local that holds the layer's weight penalty in the fused pass.
    penalty: Ident,
    /// The layer has no parameters that train, nor does any below it: its backward pass
    /// runs only when the caller wants `dx`.
    only_for_dx: bool,
    /// The layer trains but none below it does: it computes its `dx` only when the caller
    /// wants one.
    dx_if_wanted: bool,
}

impl Net<'_> {
    /// `layer_k.forward(a_{k-1} -> a_k)`, from the input `x` to the output `y`.
    fn forward_calls(&self) -> TokenStream {
        let out = &self.plan.train;
        self.layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let (field, ty, span) = (&l.field, &self.types[k], l.span);
                let c = format_ident!("c_{}", field);
                match out[k].1 {
                    Step::View => quote!(),
                    Step::InPlace => {
                        let xy = self.train_rows(out[k].0, true);
                        call(
                            quote_spanned!(span=> <#ty as ::staticnet::InPlace>::forward_in_place::<B>),
                            quote!(&self.#field, &params.#field, &state.#field, #xy, &mut cache.#c, mode),
                        )
                    }
                    Step::Call => {
                        let (x, y) = (self.train_rows(Plan::input(out, k), false), self.train_rows(out[k].0, true));
                        call(
                            quote_spanned!(span=> <#ty as ::staticnet::Layer>::forward::<B>),
                            quote!(&self.#field, &params.#field, &state.#field, #x, #y, &mut cache.#c, mode),
                        )
                    }
                }
            })
            .collect()
    }

    /// `layer_k.backward(g_k -> g_{k-1})`, from the last layer to the first, which writes
    /// the caller's `dx` (or nothing when the caller passes `None`).
    fn backward_calls(&self) -> TokenStream {
        let calls: TokenStream = self
            .backward_steps()
            .map(|BackwardStep { field, ty, span, args, only_for_dx, .. }| {
                let call = call(
                    quote_spanned!(span=> <#ty as ::staticnet::Layer>::backward::<B>),
                    quote!(&self.#field, &params.#field, #args, &mut grads.#field, grad_mode),
                );
                if only_for_dx { quote!(if wants_dx { #call }) } else { call }
            })
            .collect();
        let wants_dx = self.wants_dx();
        quote!(#wants_dx #calls)
    }

    /// `let wants_dx = dx.is_some();` when a layer's backward pass is needed only for the
    /// caller's `dx` (no layer below it trains).
    fn wants_dx(&self) -> TokenStream {
        match self.backward_steps().any(|s| s.only_for_dx || s.dx_if_wanted) {
            true => quote!(let wants_dx = dx.is_some();),
            false => quote!(),
        }
    }

    /// The fused backward pass: `layer_k.backward_update(...)` in the same order, each at
    /// its offset in the flat parameter block, stopping at the first error; then the
    /// layers' penalties summed in declaration order, as `regularize` sums them.
    fn backward_update_calls(&self) -> TokenStream {
        let params = &self.params;
        let steps: Vec<BackwardStep> = self.backward_steps().collect();
        let calls = steps.iter().map(|BackwardStep { field, ty, span, args, penalty, only_for_dx, .. }| {
            let path = quote_spanned!(*span=> <#ty as ::staticnet::Layer>::backward_update::<B, U>);
            let call = quote! {
                #path(
                    &self.#field,
                    &mut params.#field,
                    #args,
                    offset + ::core::mem::offset_of!(#params, #field) / ::core::mem::size_of::<f32>(),
                    update,
                )?
            };
            match only_for_dx {
                true => quote!(let #penalty = if wants_dx { #call } else { 0.0 };),
                false => quote!(let #penalty = #call;),
            }
        });
        let penalties = steps.iter().rev().map(|s| &s.penalty);
        let wants_dx = self.wants_dx();
        quote! {
            #wants_dx
            #(#calls)*
            ::core::result::Result::Ok(0.0 #( + #penalties )*)
        }
    }

    /// What each layer's backward call reads and writes, from the last layer to the first
    /// (views have no backward call).
    fn backward_steps(&self) -> impl Iterator<Item = BackwardStep<'_>> {
        let (out, grad) = (&self.plan.train, &self.plan.grad);
        let skipped = |k: usize| self.frozen_below && k < self.lowest;
        self.layers.iter().enumerate().rev().filter(move |&(k, _)| grad[k].1 != Step::View && !skipped(k)).map(
            move |(k, l)| {
                let c = format_ident!("c_{}", l.field);
                let x = self.train_rows(Plan::input(out, k), false);
                let y = self.train_rows(out[k].0, false);
                let dy = grad_rows(grad[k].0, false);
                let trains_below = self.layers[..k].iter().any(Layer::trains);
                let only_for_dx = !trains_below && !l.trains();
                let dx_if_wanted = k > 0 && !trains_below && l.trains() && !self.frozen_below;
                let dx = if self.frozen_below && k == self.lowest {
                    quote!(::core::option::Option::None)
                } else if k == 0 {
                    quote!(dx)
                } else if dx_if_wanted {
                    let dx = grad_rows(grad[k - 1].0, true);
                    quote!(if wants_dx { ::core::option::Option::Some(#dx) } else { ::core::option::Option::None })
                } else {
                    let dx = grad_rows(grad[k - 1].0, true);
                    quote!(::core::option::Option::Some(#dx))
                };
                BackwardStep {
                    field: &l.field,
                    ty: &self.types[k],
                    span: l.span,
                    args: quote!(#x, #y, #dy, &mut cache.#c, #dx),
                    penalty: format_ident!("penalty_{}", l.field),
                    only_for_dx,
                    dx_if_wanted,
                }
            },
        )
    }

    /// Compile-time checks that each layer above the lowest trainable one, which is handed
    /// a `dx` to write, writes one (`Layer::INPUT_GRADIENT`).
    fn input_gradient_checks(&self, network: &Ident) -> TokenStream {
        self.layers
            .iter()
            .enumerate()
            .skip(self.lowest + 1)
            .map(|(k, l)| {
                let ty = &self.types[k];
                let message = format!(
                    "network `{network}`: layer `{}` gives no input gradient (its lowest layers are frozen), \
                     but a layer below it trains; freeze the layers below it too, or let its lowest layers train",
                    l.field
                );
                quote_spanned! {l.span=>
                    const _: () = ::core::assert!(<#ty as ::staticnet::Layer>::INPUT_GRADIENT, #message);
                }
            })
            .collect()
    }

    /// `layer_k.infer(...)` in the two turn buffers, from `x` to `y`.
    fn infer_calls(&self) -> TokenStream {
        let out = &self.plan.infer;
        self.layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let (field, ty, span) = (&l.field, &self.types[k], l.span);
                let s = format_ident!("s_{}", field);
                match out[k].1 {
                    Step::View => quote!(),
                    Step::InPlace => {
                        let xy = scratch_rows(out[k].0, true);
                        call(
                            quote_spanned!(span=> <#ty as ::staticnet::InPlace>::infer_in_place),
                            quote!(&self.#field, &params.#field, &state.#field, #xy),
                        )
                    }
                    Step::Call => {
                        let (x, y) = (scratch_rows(Plan::input(out, k), false), scratch_rows(out[k].0, true));
                        call(
                            quote_spanned!(span=> <#ty as ::staticnet::Forward>::infer::<B>),
                            quote!(&self.#field, &params.#field, &state.#field, #x, #y, &mut scratch.#s),
                        )
                    }
                }
            })
            .collect()
    }

    /// The rows in `slot` during training, as the layer that reads or writes them wants
    /// them (a reshape: views and nested networks change the sample type, not the values).
    fn train_rows(&self, slot: Slot, write: bool) -> TokenStream {
        match (slot, write) {
            (Slot::Input, _) => quote!(::staticnet::flat::reshape(x)),
            (Slot::Caller, false) => quote!(::staticnet::flat::reshape(y)),
            (Slot::Caller, true) => quote!(::staticnet::flat::reshape_mut(y)),
            (Slot::Activation(k), false) => {
                let a = activation(self.layers, k);
                quote!(::staticnet::flat::reshape(&cache.#a[..rows]))
            }
            (Slot::Activation(k), true) => {
                let a = activation(self.layers, k);
                quote!(::staticnet::flat::reshape_mut(&mut cache.#a[..rows]))
            }
            (Slot::Turn(_), _) => unreachable!("training activations never take turns"),
        }
    }
}

/// The gradient rows in `slot`: the caller's `dy`, or a turn buffer.
fn grad_rows(slot: Slot, write: bool) -> TokenStream {
    match (slot, write) {
        (Slot::Caller, _) => quote!(::staticnet::flat::reshape(dy)),
        (Slot::Turn(t), false) => {
            let g = format_ident!("g{}", t);
            quote!(::staticnet::flat::rows(&cache.#g, rows))
        }
        (Slot::Turn(t), true) => {
            let g = format_ident!("g{}", t);
            quote!(::staticnet::flat::rows_mut(&mut cache.#g, rows))
        }
        _ => unreachable!("gradients live in the caller's dy or a turn buffer"),
    }
}

/// The inference rows in `slot`: `x`, `y` or a turn buffer.
fn scratch_rows(slot: Slot, write: bool) -> TokenStream {
    match (slot, write) {
        (Slot::Input, _) => quote!(::staticnet::flat::reshape(x)),
        (Slot::Caller, _) => quote!(::staticnet::flat::reshape_mut(y)),
        (Slot::Turn(t), false) => {
            let p = format_ident!("p{}", t);
            quote!(::staticnet::flat::rows(&scratch.#p, rows))
        }
        (Slot::Turn(t), true) => {
            let p = format_ident!("p{}", t);
            quote!(::staticnet::flat::rows_mut(&mut scratch.#p, rows))
        }
        (Slot::Activation(_), _) => unreachable!("inference keeps no activation buffers"),
    }
}

/// `path(args);`. The caller gives the path the layer's span, so that type errors point at
/// its declaration; the arguments keep the macro's own, so that the generated locals
/// (`params`, `cache`, ...) resolve when `network!` is used inside a `macro_rules!` too.
fn call(path: TokenStream, args: TokenStream) -> TokenStream {
    quote!(#path(#args);)
}

/// The field of layer `k`'s activation buffer.
fn activation(layers: &[Layer], k: usize) -> Ident {
    format_ident!("a_{}", layers[k].field)
}

/// The values per row a turn buffer needs: the widest output of the layers whose rows it
/// holds (0 when none does), as a const expression.
fn width(types: &[TokenStream], slots: impl Iterator<Item = Slot>, turn: Slot) -> TokenStream {
    slots.zip(types).filter(|(slot, _)| *slot == turn).fold(quote!(0usize), |widest, (_, ty)| {
        quote!(::staticnet::__private::max(#widest, <<#ty as ::staticnet::Forward>::Output as ::staticnet::Flat>::LEN))
    })
}
