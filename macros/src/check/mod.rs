//! Validation and shape inference: turns the parsed declaration into the typed
//! description of each layer (`crate::desc`), reporting the first mistake of a network as
//! a spanned error. No tokens are written here.

mod activation;
mod args;
mod batch_norm;
mod call;
mod context;
mod conv;
mod conv1d;
mod custom;
mod dense;
mod dropout;
mod flatten;
mod frozen;
mod init;
mod names;
mod pool;
mod recurrent;
mod residual;
mod shape;
mod suggest;
mod table;
mod window;

pub use call::{Call, Checked};
pub use context::{Context, Source};

use crate::ast::{LayerDecl, LayerKind, Network};
use crate::desc::{self, Layer, Shape};
use syn::{Ident, LitInt};

/// A declaration that does not check: the error, and what the stubs emitted in place of
/// the network should take and produce so that later code type-checks.
pub struct Failure {
    pub error: syn::Error,
    /// The declared input, when it is valid.
    pub input: Option<Shape>,
    /// The output of the last layer, with each layer that failed taken as the identity.
    pub output: Option<Shape>,
}

/// Checks a whole declaration.
pub fn check(net: &Network) -> Result<desc::Network, Box<Failure>> {
    let input = input_shape(&net.input, net.input_span)
        .map_err(|error| Box::new(Failure { error, input: None, output: None }))?;
    match check_layers(&net.name, &net.layers, input.clone(), Source::Input) {
        Ok((layers, _)) => Ok(desc::Network { name: net.name.clone(), layers }),
        Err(failure) => Err(Box::new(Failure { input: Some(input), ..*failure })),
    }
}

/// The declared input: `[features]`, `[steps, features]` (or a signal `[channels, length]`)
/// or `[channels, height, width]`,
/// each at least 1.
pub fn input_shape(dims: &[LitInt], span: proc_macro2::Span) -> syn::Result<Shape> {
    let mut sizes = Vec::new();
    for d in dims {
        match d.base10_parse::<usize>()? {
            0 => return Err(syn::Error::new(d.span(), "input sizes must be at least 1")),
            n => sizes.push(n),
        }
    }
    if !(1..=3).contains(&sizes.len()) {
        return Err(syn::Error::new(
            span,
            "the input is `[features]`, `[steps, features]` (or `[channels, length]`) or `[channels, height, width]`",
        ));
    }
    Ok(Shape::Known(sizes))
}

/// Checks `decls` in order starting from `shape` fed by `source`, returning the layers and
/// the shape they output. On a mistake, returns the first error and the output shape
/// found by carrying on with each failing layer taken as the identity (later errors may
/// follow from the first, so they are dropped); the failure's input is left to the caller.
pub fn check_layers(
    network: &Ident,
    decls: &[LayerDecl],
    mut shape: Shape,
    mut source: Source,
) -> Result<(Vec<Layer>, Shape), Box<Failure>> {
    if decls.is_empty() {
        let error = syn::Error::new(network.span(), "a network needs at least one layer after `input`");
        return Err(Box::new(Failure { error, input: None, output: None }));
    }
    let mut first_error: Option<syn::Error> = None;
    let mut seen: Vec<Ident> = Vec::new();
    let mut layers = Vec::new();
    for (index, decl) in decls.iter().enumerate() {
        let field = names::field(decl, index + 1);
        if let Some(first) = seen.iter().find(|s| **s == field) {
            let mut err = syn::Error::new(field.span(), format!("duplicate layer name `{field}`"));
            err.combine(syn::Error::new(first.span(), "first used here"));
            first_error.get_or_insert(err);
        }
        seen.push(field.clone());
        let ctx = Context { network: network.to_string(), layer: field.to_string(), source };
        match check_layer(network, decl, &field, &shape, &ctx) {
            Ok(layer) => {
                shape = layer.output.clone();
                layers.push(layer);
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
        source = Source::Layer(field.to_string());
    }
    match first_error {
        None => Ok((layers, shape)),
        Some(error) => Err(Box::new(Failure { error, input: None, output: Some(shape) })),
    }
}

fn check_layer(network: &Ident, decl: &LayerDecl, field: &Ident, input: &Shape, ctx: &Context) -> syn::Result<Layer> {
    let (span, checked) = match &decl.kind {
        LayerKind::Custom(ty) => (syn::spanned::Spanned::span(ty), custom::check(ty, input, ctx)),
        LayerKind::Residual { ident, body } => {
            (ident.span(), residual::check(network, ident, body, field, input, ctx)?)
        }
        LayerKind::Named { ident, .. } if ident == "Residual" => {
            return Err(syn::Error::new(ident.span(), "`Residual` takes its layers in braces: `Residual { ... }`"));
        }
        LayerKind::Named { ident, args } => {
            let checked = match table::lookup(&ident.to_string()) {
                Some(builtin) => (builtin.check)(&Call { ident, args, input, ctx })?,
                None if args.span.is_some() => return Err(suggest::unknown_layer(ident)),
                None => {
                    if let Some(err) = suggest::near_miss(ident) {
                        return Err(err);
                    }
                    let ty = syn::Type::Path(syn::TypePath { qself: None, path: ident.clone().into() });
                    custom::check(&ty, input, ctx)
                }
            };
            (ident.span(), checked)
        }
    };
    let frozen = match &decl.frozen {
        Some(frozen) => Some(frozen::check(frozen, &field.to_string(), &checked.kind)?),
        None => None,
    };
    Ok(Layer {
        field: field.clone(),
        span,
        frozen,
        kind: checked.kind,
        input: input.clone(),
        output: checked.output,
        checks: checked.checks,
    })
}
