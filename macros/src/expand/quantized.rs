//! The int8 companion of a network: `NetInt8` (its int8 layers and the input and output
//! quantization), `NetInt8Scratch` (an int8 buffer per layer output, a column buffer per
//! convolution) and `Net::quantize(&model, calibration)`, which calibrates the activation
//! ranges with the f32 layers and quantizes each layer. A batch norm right after a `Dense`
//! or `Conv2d` is folded into it, a ReLU after them (or after the batch norm) fused into its
//! clamp; `Flatten`, `Dropout` and `Identity` are views. A network with any other layer
//! gets a `quantize` that returns `Error::NotQuantizable` naming it.

use crate::desc::{Activation, Kind, Layer, Shape, Width};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// One int8 step: a layer with its own output buffer.
enum Step {
    /// A `Dense` or `Conv2d` at `layer`, with the batch norm folded into it and the index
    /// of the last layer it covers (its batch norm or ReLU).
    Affine { layer: usize, batch_norm: Option<usize>, relu: bool, last: usize },
    /// `MaxPool2d`, on the codes.
    MaxPool(usize),
    /// `Relu` on its own, on the codes.
    Relu(usize),
}

impl Step {
    fn layer(&self) -> usize {
        match *self {
            Step::Affine { layer, .. } | Step::MaxPool(layer) | Step::Relu(layer) => layer,
        }
    }

    fn last(&self) -> usize {
        match *self {
            Step::Affine { last, .. } => last,
            Step::MaxPool(layer) | Step::Relu(layer) => layer,
        }
    }
}

/// The int8 companion of network `name`, or a `quantize` returning the reason it has none.
pub fn expand(vis: &syn::Visibility, name: &Ident, layers: &[Layer], types: &[TokenStream]) -> TokenStream {
    match plan(layers) {
        Ok(steps) => companion(vis, name, layers, types, &steps),
        Err((layer, why)) => unquantizable(name, &layer, why),
    }
}

/// The int8 steps of `layers`, or the first layer that has no int8 form and why.
fn plan(layers: &[Layer]) -> Result<Vec<Step>, (String, &'static str)> {
    let mut steps = Vec::new();
    let mut k = 0;
    let is = |k: usize, f: fn(&Kind) -> bool| layers.get(k).is_some_and(|l| f(&l.kind));
    while k < layers.len() {
        let layer = &layers[k];
        if let Shape::Known(dims) = &layer.input
            && dims.len() > 3
        {
            return Err((layer.field.to_string(), "int8 samples have at most 3 dimensions"));
        }
        if layer.frozen.is_some() {
            return Err((layer.field.to_string(), "frozen layers have no int8 form yet"));
        }
        match &layer.kind {
            Kind::Dense(d) if !matches!(d.inputs, Width::Known(_)) => {
                return Err((layer.field.to_string(), "its input width is known only to the type checker"));
            }
            Kind::Dense(_) | Kind::Conv2d(_) => {
                let mut last = k;
                let batch_norm = is(last + 1, |kind| matches!(kind, Kind::BatchNorm(_))).then(|| {
                    last += 1;
                    last
                });
                let relu = is(last + 1, |kind| matches!(kind, Kind::Activation(Activation::Relu)));
                last += usize::from(relu);
                steps.push(Step::Affine { layer: k, batch_norm, relu, last });
                k = last;
            }
            Kind::MaxPool2d(_) => steps.push(Step::MaxPool(k)),
            Kind::Activation(Activation::Relu) => steps.push(Step::Relu(k)),
            Kind::Flatten | Kind::Dropout(_) | Kind::Activation(Activation::Identity) => {}
            Kind::BatchNorm(_) => {
                return Err((
                    layer.field.to_string(),
                    "a batch norm has an int8 form only right after Dense or Conv2d",
                ));
            }
            _ => {
                return Err((
                    layer.field.to_string(),
                    "it has no int8 form (int8 has Dense, Conv2d, a BatchNorm or Relu after them, Relu, \
                     MaxPool2d, Flatten, Dropout and Identity)",
                ));
            }
        }
        k += 1;
    }
    if steps.iter().all(|s| !matches!(s, Step::Affine { .. })) {
        return Err((layers[0].field.to_string(), "the network has no Dense or Conv2d layer to quantize"));
    }
    Ok(steps)
}

/// `impl Net { fn quantize(..) -> Result<Unquantizable, Error> }`, always the error.
fn unquantizable(name: &Ident, layer: &str, why: &str) -> TokenStream {
    let doc = format!(
        "Always [`Error::NotQuantizable`](::staticnet::Error::NotQuantizable): layer `{layer}` of \
         [`{name}`] cannot be quantized ({why}), so this network has no int8 companion."
    );
    quote! {
        #[automatically_derived]
        impl #name {
            #[doc = #doc]
            pub fn quantize(
                _model: &::staticnet::Model<#name>,
                _calibration: &[<#name as ::staticnet::Forward>::Input],
            ) -> ::core::result::Result<::staticnet::quantize::Unquantizable, ::staticnet::Error> {
                ::core::result::Result::Err(::staticnet::Error::NotQuantizable { layer: #layer, why: #why })
            }
        }
    }
}

/// The int8 sample type of a known shape, e.g. `[[[i8; 28]; 28]; 1]`.
fn int8_sample(shape: &Shape) -> TokenStream {
    match shape {
        Shape::Known(dims) => dims.iter().rev().fold(quote!(i8), |inner, d| quote!([#inner; #d])),
        _ => unreachable!("plan admits only layers with known shapes"),
    }
}

/// The int8 type of step `step`.
fn step_type(layers: &[Layer], step: &Step) -> TokenStream {
    let layer = &layers[step.layer()];
    match (&layer.kind, step) {
        (Kind::Dense(d), _) => {
            let (Width::Known(inputs), outputs) = (&d.inputs, d.outputs) else { unreachable!("checked by plan") };
            quote!(::staticnet::quantize::QuantizedDense<#inputs, #outputs>)
        }
        (Kind::Conv2d(c), _) => {
            let ([ic, h, w], [oc, oh, ow]) = (c.input, c.output);
            let ([kh, kw], [sh, sw], [ph, pw]) = (c.kernel, c.stride, c.padding);
            quote!(::staticnet::quantize::QuantizedConv2d<#ic, #h, #w, #oc, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow>)
        }
        (Kind::MaxPool2d(p), _) => {
            let ([c, h, w], [_, oh, ow]) = (p.input, p.output);
            let ([kh, kw], [sh, sw], [ph, pw]) = (p.kernel, p.stride, p.padding);
            quote!(::staticnet::quantize::QuantizedMaxPool2d<#c, #h, #w, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow>)
        }
        _ => quote!(::staticnet::quantize::QuantizedRelu),
    }
}

fn companion(
    vis: &syn::Visibility,
    name: &Ident,
    layers: &[Layer],
    types: &[TokenStream],
    steps: &[Step],
) -> TokenStream {
    let int8 = format_ident!("{}Int8", name);
    let scratch = format_ident!("{}Int8Scratch", name);
    let q = quote!(::staticnet::quantize);
    let fields: Vec<&Ident> = steps.iter().map(|s| &layers[s.layer()].field).collect();
    let field_names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    let step_types: Vec<TokenStream> = steps.iter().map(|s| step_type(layers, s)).collect();
    let outputs: Vec<TokenStream> = steps.iter().map(|s| int8_sample(&layers[s.last()].output)).collect();
    let input_sample = int8_sample(&layers[0].input);
    let output_sample = &outputs[outputs.len() - 1];
    let last_field = fields[fields.len() - 1];
    let step_docs = steps.iter().map(|s| {
        let l = &layers[s.layer()];
        match s {
            Step::Affine { batch_norm: Some(b), relu, .. } => format!(
                "Layer `{}` with batch norm `{}` folded in{}.",
                l.field,
                layers[*b].field,
                if *relu { " and its ReLU fused" } else { "" }
            ),
            Step::Affine { relu: true, .. } => format!("Layer `{}` with its ReLU fused.", l.field),
            _ => format!("Layer `{}`.", l.field),
        }
    });
    let buffer_docs = field_names.iter().map(|f| format!("The int8 output of `{f}`."));

    // The int8 pass: each step reads the buffer of the step before (the input for the
    // first), through views.
    let infer = steps.iter().enumerate().map(|(i, s)| {
        let field = fields[i];
        let x = match i {
            0 => quote!(x),
            _ => {
                let prev = fields[i - 1];
                quote!(&scratch.#prev)
            }
        };
        match &layers[s.layer()].kind {
            Kind::Dense(_) => quote!(self.#field.infer(#q::Int8Sample::as_values(#x), &mut scratch.#field);),
            Kind::Activation(_) => {
                quote!(self.#field.infer(#q::Int8Sample::as_values(#x), #q::Int8Sample::as_values_mut(&mut scratch.#field));)
            }
            Kind::Conv2d(_) => {
                let columns = format_ident!("c_{}", field);
                quote!(self.#field.infer(#x, &mut scratch.#field, &mut scratch.#columns);)
            }
            _ => quote!(self.#field.infer(#x, &mut scratch.#field);),
        }
    });
    // A column buffer per convolution.
    let (column_fields, column_types): (Vec<Ident>, Vec<TokenStream>) = steps
        .iter()
        .filter_map(|s| match &layers[s.layer()].kind {
            Kind::Conv2d(c) => {
                let ([ic, _, _], [_, oh, ow], [kh, kw]) = (c.input, c.output, c.kernel);
                let ty = quote!(#q::QuantizedConv2dScratch<#ic, #kh, #kw, #oh, #ow>);
                Some((format_ident!("c_{}", layers[s.layer()].field), ty))
            }
            _ => None,
        })
        .unzip();
    let column_docs = column_fields.iter().map(|f| format!("The column buffer of `{}`.", &f.to_string()[2..]));

    // Calibration: every f32 layer on one sample at a time, its output observed where a
    // step ends.
    let layer_fields: Vec<&Ident> = layers.iter().map(|l| &l.field).collect();
    let acts: Vec<Ident> = layer_fields.iter().map(|f| format_ident!("a_{}", f)).collect();
    let scratches: Vec<Ident> = layer_fields.iter().map(|f| format_ident!("s_{}", f)).collect();
    let observers: Vec<Ident> = fields.iter().map(|f| format_ident!("o_{}", f)).collect();
    let calibrate = layers.iter().enumerate().map(|(k, l)| {
        let (field, ty, a, s) = (&l.field, &types[k], &acts[k], &scratches[k]);
        let x = match k {
            0 => quote!(::core::slice::from_ref(x)),
            _ => {
                let prev = &acts[k - 1];
                quote!(::core::slice::from_ref(&#prev))
            }
        };
        let observe = steps.iter().zip(&observers).filter(|(s, _)| s.last() == k && matches!(s, Step::Affine { .. }));
        let observe = observe.map(|(s, o)| {
            let name = layers[s.layer()].field.to_string();
            quote!(#o.observe(#name, row, ::staticnet::Flat::as_flat(&#a))?;)
        });
        quote! {
            <#ty as ::staticnet::Forward>::infer::<1>(
                &model.net.#field, &model.params.#field, &model.state.#field, #x,
                ::core::slice::from_mut(&mut #a), &mut #s,
            );
            #(#observe)*
        }
    });
    let affine_observers: Vec<&Ident> =
        steps.iter().zip(&observers).filter(|(s, _)| matches!(s, Step::Affine { .. })).map(|(_, o)| o).collect();

    // Building the steps in order, each from the quantization of the one before.
    let build = steps.iter().zip(&observers).zip(&step_types).map(|((s, o), ty)| {
        let l = &layers[s.layer()];
        let (field, name) = (&l.field, l.field.to_string());
        match s {
            Step::Affine { batch_norm, relu, .. } => {
                let fold = match batch_norm {
                    Some(b) => {
                        let (bn, bn_name) = (&layers[*b].field, layers[*b].field.to_string());
                        quote!(#q::ChannelFold::batch_norm(#bn_name, &model.params.#bn, &model.state.#bn, model.net.#bn.eps)?)
                    }
                    None => quote!(#q::ChannelFold::IDENTITY),
                };
                quote! {
                    let output = #o.params(#name)?;
                    let #field = <#ty>::new(#name, &model.params.#field, &#fold, current, output, #relu)?;
                    current = output;
                }
            }
            Step::MaxPool(_) => quote!(let #field = <#ty as ::core::default::Default>::default();),
            Step::Relu(_) => quote!(let #field = #q::QuantizedRelu { zero_point: current.zero_point as i8 };),
        }
    });
    let weight_bytes = steps
        .iter()
        .zip(&step_types)
        .filter(|(s, _)| matches!(s, Step::Affine { .. }))
        .map(|(_, ty)| quote!(+ <#ty>::WEIGHT_BYTES));

    let int8_doc = format!(
        "The int8 form of [`{name}`], for inference only, built by [`{name}::quantize`]: f32 samples are \
         quantized at the input, every layer runs on int8 codes with i32 accumulators, and the output \
         is dequantized (see `staticnet::quantize`)."
    );
    let scratch_doc = format!(
        "The memory of one pass of [`{int8}`]: an int8 buffer per layer output and a column buffer per convolution."
    );
    let quantize_doc = format!(
        "Quantizes `model` to int8 ([`{int8}`]), with activation ranges calibrated on `calibration` \
         (each tensor's minimum and maximum over the samples, run through the f32 layers one at a time). \
         Batch norms are folded into the layer before them and ReLUs fused. It allocates nothing: \
         one sample's f32 output and scratch of every layer, and the int8 model it returns, live on \
         the stack (call it on a thread with room for them, or on the host). Errors: \
         `EmptyCalibration` for no samples, `NonFiniteInput` for a NaN or infinity in a sample, \
         `NonFiniteParameter` in the model, `NonFiniteActivation` in a layer's output, `NotQuantizable` \
         for ranges or scales int8 cannot represent."
    );

    quote! {
        #[doc = #int8_doc]
        #[derive(Clone, Debug)]
        #vis struct #int8 {
            /// The quantization of the input samples.
            pub input: #q::QuantParams,
            #( #[doc = #step_docs] pub #fields: #step_types, )*
            /// The quantization of the output, which the logits are dequantized with.
            pub output: #q::QuantParams,
        }

        #[doc = #scratch_doc]
        #vis struct #scratch {
            #( #[doc = #buffer_docs] pub #fields: #outputs, )*
            #( #[doc = #column_docs] pub #column_fields: #column_types, )*
        }

        // SAFETY: every field is `Zeroable`, as the where clause requires.
        #[automatically_derived]
        unsafe impl ::staticnet::Zeroable for #scratch
        where
            #( #outputs: ::staticnet::Zeroable, )*
            #( #column_types: ::staticnet::Zeroable, )*
        {}

        #[automatically_derived]
        impl #int8 {
            /// Bytes of the int8 model: weights, i32 biases, multipliers and scales.
            pub const BYTES: usize = ::core::mem::size_of::<Self>();
            /// Bytes of the int8 weights alone, a quarter of the f32 weights'.
            pub const WEIGHT_BYTES: usize = 0 #(#weight_bytes)*;
        }

        #[automatically_derived]
        impl #q::QuantizedNetwork for #int8 {
            type Input = <#name as ::staticnet::Forward>::Input;
            type Output = <#name as ::staticnet::Forward>::Output;
            type Int8Input = #input_sample;
            type Int8Output = #output_sample;
            type Scratch = #scratch;

            fn input_params(&self) -> #q::QuantParams {
                self.input
            }

            fn output_params(&self) -> #q::QuantParams {
                self.output
            }

            fn infer_int8<'s>(&self, x: &#input_sample, scratch: &'s mut #scratch) -> &'s #output_sample {
                #(#infer)*
                &scratch.#last_field
            }
        }

        #[automatically_derived]
        impl #name {
            #[doc = #quantize_doc]
            pub fn quantize(
                model: &::staticnet::Model<#name>,
                calibration: &[<#name as ::staticnet::Forward>::Input],
            ) -> ::core::result::Result<#int8, ::staticnet::Error> {
                if calibration.is_empty() {
                    return ::core::result::Result::Err(::staticnet::Error::EmptyCalibration);
                }
                if let ::core::option::Option::Some((index, value)) =
                    ::staticnet::finite::first_non_finite(::staticnet::Flat::as_flat(&model.params))
                {
                    return ::core::result::Result::Err(::staticnet::Error::NonFiniteParameter { block: "params", index, value });
                }
                if let ::core::option::Option::Some((index, value)) =
                    ::staticnet::finite::first_non_finite(::staticnet::Flat::as_flat(&model.state))
                {
                    return ::core::result::Result::Err(::staticnet::Error::NonFiniteParameter { block: "state", index, value });
                }
                let mut o_input = #q::MinMaxObserver::EMPTY;
                #( let mut #affine_observers = #q::MinMaxObserver::EMPTY; )*
                #( let mut #acts: <#types as ::staticnet::Forward>::Output = ::staticnet::Flat::zeroed(); )*
                #( let mut #scratches: <#types as ::staticnet::Forward>::Scratch<1> = ::staticnet::flat::zeroed(); )*
                for (row, x) in calibration.iter().enumerate() {
                    if let ::core::option::Option::Some((index, value)) =
                        ::staticnet::finite::first_non_finite(::staticnet::Flat::as_flat(x))
                    {
                        return ::core::result::Result::Err(::staticnet::Error::NonFiniteInput { row, index, value });
                    }
                    o_input.observe("input", row, ::staticnet::Flat::as_flat(x))?;
                    #(#calibrate)*
                }
                let input = o_input.params("input")?;
                let mut current = input;
                #(#build)*
                ::core::result::Result::Ok(#int8 { input, #(#fields,)* output: current })
            }
        }
    }
}
