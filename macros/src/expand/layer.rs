//! The tokens of one layer: its type (`::staticnet::layers::Dense<784, 128>`), the
//! expression building it with its hyperparameters, and its width checks. Also sample
//! types and widths, which the network's items use too.

use crate::desc::{self, Activation, BatchNormInput, Cell, Init, Kind, Layer, Shape, Width, WidthCheck};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

/// The layer's type: `Frozen<..>` around it when it is frozen.
pub fn ty(layer: &Layer) -> TokenStream {
    let ty = unfrozen_ty(layer);
    match layer.frozen {
        Some(_) => quote!(::staticnet::layers::Frozen<#ty>),
        None => ty,
    }
}

/// The `static` holding a frozen layer's weights, decoded at compile time from the file
/// `network!` checked (nothing for other layers).
pub fn frozen_weights(network: &syn::Ident, layer: &Layer) -> TokenStream {
    let Some(frozen) = &layer.frozen else { return quote!() };
    let (ident, ty, file) = (frozen_static(network, layer), unfrozen_ty(layer), &frozen.file);
    let values: usize = frozen.segments.iter().map(|&(_, count)| count).sum();
    let segments = frozen.segments.iter().map(|(start, count)| quote!((#start, #count)));
    quote! {
        static #ident: ::staticnet::layers::FrozenWeights<#ty> = ::staticnet::layers::FrozenWeights::from_values(
            ::staticnet::__private::f32_values::<#values>(::core::include_bytes!(#file), &[#(#segments),*]),
        );
    }
}

fn frozen_static(network: &syn::Ident, layer: &Layer) -> syn::Ident {
    let name = format!("{network}_{}", layer.field).to_uppercase();
    quote::format_ident!("__STATICNET_FROZEN_{}", name)
}

/// The type of the layer itself, frozen or not.
fn unfrozen_ty(layer: &Layer) -> TokenStream {
    let sample = sample(&layer.input);
    match &layer.kind {
        Kind::Dense(d) => {
            let (inputs, outputs) = (generic_width(&d.inputs), d.outputs);
            quote!(::staticnet::layers::Dense<#inputs, #outputs>)
        }
        Kind::Conv2d(c) => {
            let ([ic, h, w], [oc, oh, ow]) = (c.input, c.output);
            let ([kh, kw], [sh, sw], [ph, pw]) = (c.kernel, c.stride, c.padding);
            quote!(::staticnet::layers::Conv2d<#ic, #h, #w, #oc, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow>)
        }
        Kind::MaxPool2d(p) | Kind::AvgPool2d(p) => {
            let ([c, h, w], [_, oh, ow]) = (p.input, p.output);
            let ([kh, kw], [sh, sw], [ph, pw]) = (p.kernel, p.stride, p.padding);
            let args = quote!(<#c, #h, #w, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow>);
            match layer.kind {
                Kind::MaxPool2d(_) => quote!(::staticnet::layers::MaxPool2d #args),
                _ => quote!(::staticnet::layers::AvgPool2d #args),
            }
        }
        Kind::Conv1d(c) => {
            let ([ic, l], [oc, ol], k, s, p, d) = (c.input, c.output, c.kernel, c.stride, c.padding, c.dilation);
            quote!(::staticnet::layers::Conv1d<#ic, #l, #oc, #k, #s, #p, #d, #ol>)
        }
        Kind::MaxPool1d(w) | Kind::AvgPool1d(w) => {
            let ([c, l], [_, ol], k, s, p) = (w.input, w.output, w.kernel, w.stride, w.padding);
            let args = quote!(<#c, #l, #k, #s, #p, #ol>);
            match layer.kind {
                Kind::MaxPool1d(_) => quote!(::staticnet::layers::MaxPool1d #args),
                _ => quote!(::staticnet::layers::AvgPool1d #args),
            }
        }
        Kind::GlobalAvgPool { image: [c, h, w] } => quote!(::staticnet::layers::GlobalAvgPool<#c, #h, #w>),
        Kind::Flatten => {
            let len = generic_width(&layer.input.width());
            quote!(::staticnet::layers::Flatten<#sample, #len>)
        }
        Kind::BatchNorm(b) => match b.input {
            BatchNormInput::Features(n) => quote!(::staticnet::layers::BatchNorm1d<#n>),
            BatchNormInput::Images([c, h, w]) => quote!(::staticnet::layers::BatchNorm2d<#c, #h, #w>),
        },
        Kind::Dropout(_) => quote!(::staticnet::layers::Dropout<#sample>),
        Kind::Activation(Activation::Prelu { num_parameters, .. }) => {
            quote!(::staticnet::layers::Prelu<#sample, #num_parameters>)
        }
        Kind::Activation(a) => {
            let path = activation_path(*a);
            quote!(#path<#sample>)
        }
        Kind::Softmax { width } => {
            let n = generic_width(width);
            quote!(::staticnet::layers::Softmax<#n>)
        }
        Kind::Recurrent(r) => {
            let (t, f, h) = (r.steps, r.features, r.hidden);
            let returns = match r.return_sequences {
                true => quote!(::staticnet::layers::Sequence),
                false => quote!(::staticnet::layers::LastStep),
            };
            if r.bidirectional {
                let (one_way, h2) = (one_way_ty(r), 2 * h);
                quote!(::staticnet::layers::Bidirectional<#t, #f, #h, #h2, #one_way, #returns>)
            } else {
                cell_ty(r, returns)
            }
        }
        Kind::Residual(body) => {
            let name = &body.name;
            quote!(::staticnet::layers::Residual<#name>)
        }
        Kind::Custom(ty) => quote!(#ty),
    }
}

/// An expression building the layer with its declared hyperparameters (and its weights,
/// when it is frozen).
pub fn ctor(network: &syn::Ident, layer: &Layer) -> TokenStream {
    let layer_ctor = unfrozen_ctor(layer);
    match layer.frozen {
        Some(_) => {
            let weights = frozen_static(network, layer);
            quote!(::staticnet::layers::Frozen::new(#layer_ctor, &#weights))
        }
        None => layer_ctor,
    }
}

fn unfrozen_ctor(layer: &Layer) -> TokenStream {
    let default = quote!(::core::default::Default::default());
    let ty = unfrozen_ty(layer);
    match &layer.kind {
        Kind::Dense(d) => {
            let (init, bias_init, l1, l2) = (init(d.init), init(d.bias_init), d.l1, d.l2);
            let max_norm = match d.max_norm {
                Some(c) => quote!(::core::option::Option::Some(#c)),
                None => quote!(::core::option::Option::None),
            };
            quote!({
                let mut layer = <#ty as ::core::default::Default>::default();
                layer.init = #init;
                layer.bias_init = #bias_init;
                layer.kernel_regularizer = ::staticnet::regularize::L1L2 { l1: #l1, l2: #l2 };
                layer.max_norm = #max_norm;
                layer
            })
        }
        Kind::Conv1d(desc::Conv1d { init: i, bias_init: b, .. })
        | Kind::Conv2d(desc::Conv2d { init: i, bias_init: b, .. }) => {
            let (init, bias_init) = (init(*i), init(*b));
            quote!({
                let mut layer = <#ty as ::core::default::Default>::default();
                layer.init = #init;
                layer.bias_init = #bias_init;
                layer
            })
        }
        Kind::Recurrent(r) => {
            let init = init(r.init);
            let nonlinearity = match r.cell {
                Cell::Rnn { relu: true } => quote!(layer.nonlinearity = ::staticnet::layers::RnnNonlinearity::Relu;),
                _ => quote!(),
            };
            let one_way = if r.bidirectional { one_way_ty(r) } else { ty };
            let wrap = match r.bidirectional {
                true => quote!(::staticnet::layers::Bidirectional::new(layer)),
                false => quote!(layer),
            };
            quote!({
                let mut layer = <#one_way as ::core::default::Default>::default();
                layer.init = #init;
                #nonlinearity
                #wrap
            })
        }
        Kind::BatchNorm(b) => {
            let (momentum, eps) = (b.momentum, b.eps);
            quote!({
                let mut layer = <#ty as ::core::default::Default>::default();
                layer.momentum = #momentum;
                layer.eps = #eps;
                layer
            })
        }
        Kind::Dropout(d) => {
            let (p, seed) = (d.p, d.seed);
            quote!(::staticnet::layers::Dropout::new(#p, #seed))
        }
        Kind::Activation(a) => {
            let path = activation_path(*a);
            match *a {
                Activation::LeakyRelu { negative_slope: v }
                | Activation::Elu { alpha: v }
                | Activation::Prelu { init: v, .. } => {
                    quote!(#path::new(#v))
                }
                Activation::Gelu { tanh } => quote!(#path::new(#tanh)),
                _ => default,
            }
        }
        Kind::Softmax { .. } => quote!(::staticnet::layers::Softmax),
        Kind::Residual(body) => {
            let name = &body.name;
            quote!(::staticnet::layers::Residual::new(<#name as ::core::default::Default>::default()))
        }
        Kind::MaxPool2d(_)
        | Kind::AvgPool2d(_)
        | Kind::MaxPool1d(_)
        | Kind::AvgPool1d(_)
        | Kind::GlobalAvgPool { .. }
        | Kind::Flatten
        | Kind::Custom(_) => default,
    }
}

/// Const items failing to compile, with a message naming the layer and both widths, when
/// the widths the macro cannot see differ.
pub fn checks(layer: &Layer) -> TokenStream {
    layer.checks.iter().map(check).collect()
}

fn check(c: &WidthCheck) -> TokenStream {
    let (expected, given) = (width_at(&c.expected, c.span), width_at(&c.given, c.span));
    let (network, layer, source) = (&c.network, &c.layer, &c.source);
    quote_spanned! {c.span=>
        const _: () = ::staticnet::__private::check_width(#expected, #given, #network, #layer, #source);
    }
}

/// The sample type of a shape, e.g. `[f32; 784]` or `[[[f32; 28]; 28]; 1]`.
pub fn sample(shape: &Shape) -> TokenStream {
    match shape {
        Shape::Known(dims) => dims.iter().rev().fold(quote!(f32), |inner, d| quote!([#inner; #d])),
        Shape::OutputOf(ty) => quote!(<#ty as ::staticnet::Forward>::Output),
        Shape::FlatOutputOf(ty) => {
            let len = width(&Width::OutputOf(ty.clone()));
            quote!([f32; { #len }])
        }
    }
}

/// A width as a const expression.
pub fn width(width: &Width) -> TokenStream {
    width_at(width, Span::call_site())
}

fn width_at(width: &Width, span: Span) -> TokenStream {
    match width {
        Width::Known(n) => quote_spanned!(span=> #n),
        Width::InputOf(ty) => quote_spanned!(span=> <<#ty as ::staticnet::Forward>::Input as ::staticnet::Flat>::LEN),
        Width::OutputOf(ty) => quote_spanned!(span=> <<#ty as ::staticnet::Forward>::Output as ::staticnet::Flat>::LEN),
    }
}

/// A width as a const generic argument (braced unless it is a number).
/// The type of a recurrent layer's cell returning `returns`.
fn cell_ty(r: &desc::Recurrent, returns: TokenStream) -> TokenStream {
    let (t, f, h) = (r.steps, r.features, r.hidden);
    match r.cell {
        Cell::Lstm => quote!(::staticnet::layers::Lstm<#t, #f, #h, #returns>),
        Cell::Gru => quote!(::staticnet::layers::Gru<#t, #f, #h, #returns>),
        Cell::Rnn { .. } => quote!(::staticnet::layers::Rnn<#t, #f, #h, #returns>),
    }
}

/// The layer each direction of a bidirectional layer runs: the cell returning every step.
fn one_way_ty(r: &desc::Recurrent) -> TokenStream {
    cell_ty(r, quote!(::staticnet::layers::Sequence))
}

fn generic_width(w: &Width) -> TokenStream {
    match w {
        Width::Known(n) => quote!(#n),
        _ => {
            let w = width(w);
            quote!({ #w })
        }
    }
}

fn activation_path(a: Activation) -> TokenStream {
    match a {
        Activation::Identity => quote!(::staticnet::layers::Identity),
        Activation::Relu => quote!(::staticnet::layers::Relu),
        Activation::Sigmoid => quote!(::staticnet::layers::Sigmoid),
        Activation::Tanh => quote!(::staticnet::layers::Tanh),
        Activation::Selu => quote!(::staticnet::layers::Selu),
        Activation::Silu => quote!(::staticnet::layers::Silu),
        Activation::Softplus => quote!(::staticnet::layers::Softplus),
        Activation::LeakyRelu { .. } => quote!(::staticnet::layers::LeakyRelu),
        Activation::Elu { .. } => quote!(::staticnet::layers::Elu),
        Activation::Prelu { .. } => quote!(::staticnet::layers::Prelu),
        Activation::Gelu { .. } => quote!(::staticnet::layers::Gelu),
    }
}

fn init(init: Init) -> TokenStream {
    match init {
        Init::Default => quote!(::staticnet::Init::Default),
        Init::XavierUniform => quote!(::staticnet::Init::XavierUniform),
        Init::XavierNormal => quote!(::staticnet::Init::XavierNormal),
        Init::HeUniform => quote!(::staticnet::Init::HeUniform),
        Init::HeNormal => quote!(::staticnet::Init::HeNormal),
        Init::Zeros => quote!(::staticnet::Init::Zeros),
        Init::Normal(std) => quote!(::staticnet::Init::Normal(#std)),
        Init::Constant(c) => quote!(::staticnet::Init::Constant(#c)),
        Init::Uniform(low, high) => quote!(::staticnet::Init::Uniform(#low, #high)),
    }
}
