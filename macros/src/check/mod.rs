//! Validation and shape inference: turns the declaration into resolved layers (field,
//! type, constructor), reporting every mistake the macro can see as a spanned error.

mod activation;
mod args;
mod conv;
mod custom;
mod dense;
mod init;
mod norm;
mod pool;
mod residual;
pub mod suggest;

use crate::ast::{LayerDecl, LayerKind, Network};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;
use syn::spanned::Spanned;

/// A layer ready to expand.
pub struct Resolved {
    /// The struct field (the layer's name).
    pub field: Ident,
    /// The layer's type, e.g. `::staticnet::layers::Dense<784, 128>`.
    pub ty: TokenStream,
    /// An expression building the layer with its declared hyperparameters.
    pub ctor: TokenStream,
    /// Where the layer is declared, for errors in generated code.
    pub span: Span,
    /// Const items that check wiring the macro cannot see (sizes of custom layers).
    pub checks: Vec<TokenStream>,
    /// A nested network or user layer, whose sizes only the type checker knows.
    pub custom: bool,
    /// A network the macro generates for this layer (the body of a residual block).
    pub nested: Option<Nested>,
}

/// A network generated for a layer: its struct name and its layers.
pub struct Nested {
    pub name: Ident,
    pub layers: Vec<Resolved>,
}

impl Resolved {
    /// A built-in layer without generated items or const checks.
    fn builtin(field: Ident, ty: TokenStream, ctor: TokenStream, span: Span) -> Self {
        Resolved { field, ty, ctor, span, checks: Vec::new(), custom: false, nested: None }
    }
}

/// The shape flowing between two layers.
#[derive(Clone)]
pub enum Shape {
    /// Sizes written as numbers in the declaration: `[features]` or `[channels, height, width]`.
    Known(Vec<usize>),
    /// The output of a custom layer, known only to the type checker: its sample type.
    Type(TokenStream),
}

impl Shape {
    /// The sample type, e.g. `[f32; 784]` or `[[[f32; 28]; 28]; 1]`.
    pub fn sample(&self) -> TokenStream {
        match self {
            Shape::Known(dims) => dims.iter().rev().fold(quote!(f32), |inner, d| quote!([#inner; #d])),
            Shape::Type(ty) => ty.clone(),
        }
    }

    /// The shape for messages, e.g. `[8, 14, 14]`.
    pub fn describe(&self) -> String {
        match self {
            Shape::Known(dims) => format!("{dims:?}"),
            Shape::Type(_) => "a size known only to the type checker".into(),
        }
    }

    /// The number of values per sample, as a const expression.
    pub fn len(&self) -> TokenStream {
        match self {
            Shape::Known(dims) => {
                let n: usize = dims.iter().product();
                quote!(#n)
            }
            Shape::Type(ty) => quote!(<#ty as ::staticnet::Flat>::LEN),
        }
    }

    /// `[channels, height, width]`, or an error naming what the layer needs.
    pub fn image(&self, span: Span, ctx: &Context, kind: &str) -> syn::Result<[usize; 3]> {
        match self {
            Shape::Known(dims) if dims.len() == 3 => Ok([dims[0], dims[1], dims[2]]),
            _ => Err(syn::Error::new(
                span,
                format!(
                    "{kind} takes images [channels, height, width], but {} outputs {}",
                    ctx.source,
                    self.describe()
                ),
            )),
        }
    }
}

/// Names used in error messages and derived names.
pub struct Context {
    /// The network being declared.
    pub network: String,
    /// The layer being resolved.
    pub layer: String,
    /// What feeds the layer: "the network input" or "layer `fc1`".
    pub source: String,
}

/// Resolves a whole declaration.
pub fn resolve(net: &Network) -> syn::Result<Vec<Resolved>> {
    let mut dims = Vec::new();
    for d in &net.input {
        match d.base10_parse::<usize>()? {
            0 => return Err(syn::Error::new(d.span(), "input sizes must be at least 1")),
            n => dims.push(n),
        }
    }
    if dims.len() != 1 && dims.len() != 3 {
        return Err(syn::Error::new(net.input_span, "the input is `[features]` or `[channels, height, width]`"));
    }
    let (layers, _) = resolve_layers(&net.name, &net.layers, Shape::Known(dims), "the network input")?;
    Ok(layers)
}

/// Resolves `decls` in order starting from `shape`, returning the layers and the shape
/// they output.
pub fn resolve_layers(
    network: &Ident,
    decls: &[LayerDecl],
    mut shape: Shape,
    source: &str,
) -> syn::Result<(Vec<Resolved>, Shape)> {
    if decls.is_empty() {
        return Err(syn::Error::new(network.span(), "a network needs at least one layer after `input`"));
    }
    let mut source = source.to_string();
    let mut seen: Vec<Ident> = Vec::new();
    let mut out = Vec::new();
    for (index, decl) in decls.iter().enumerate() {
        let field = field_name(decl, index + 1);
        if let Some(first) = seen.iter().find(|s| **s == field) {
            let mut err = syn::Error::new(field.span(), format!("duplicate layer name `{field}`"));
            err.combine(syn::Error::new(first.span(), "first used here"));
            return Err(err);
        }
        seen.push(field.clone());
        let ctx = Context { network: network.to_string(), layer: field.to_string(), source: source.clone() };
        let (resolved, next) = resolve_layer(network, decl, field.clone(), &shape, &ctx)?;
        out.push(resolved);
        shape = next;
        source = format!("layer `{field}`");
    }
    Ok((out, shape))
}

fn resolve_layer(
    network: &Ident,
    decl: &LayerDecl,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let (ident, args) = match &decl.kind {
        LayerKind::Custom(ty) => return Ok(custom::resolve(ty, field, shape, ctx)),
        LayerKind::Residual { ident, body } => return residual::resolve(network, ident, body, field, shape, ctx),
        LayerKind::Builtin { ident, args } => (ident, args),
    };
    match ident.to_string().as_str() {
        "Dense" | "Linear" => dense::resolve(ident, args, field, shape, ctx),
        "Conv2d" => conv::resolve(ident, args, field, shape, ctx),
        "MaxPool2d" | "AvgPool2d" => pool::resolve_window(ident, args, field, shape, ctx),
        "GlobalAvgPool" => pool::resolve_global(ident, args, field, shape, ctx),
        "Flatten" => pool::resolve_flatten(ident, args, field, shape),
        "BatchNorm" | "BatchNorm1d" | "BatchNorm2d" => norm::resolve_batch_norm(ident, args, field, shape, ctx),
        "Dropout" => norm::resolve_dropout(ident, args, field, shape, ctx),
        _ => activation::resolve(ident, args, field, shape, ctx),
    }
}

fn field_name(decl: &LayerDecl, position: usize) -> Ident {
    match (&decl.name, &decl.kind) {
        (Some(name), _) => name.clone(),
        (None, LayerKind::Builtin { ident, .. } | LayerKind::Residual { ident, .. }) => {
            format_ident!("{}_{}", snake(&ident.to_string()), position, span = ident.span())
        }
        (None, LayerKind::Custom(ty)) => format_ident!("layer_{}", position, span = ty.span()),
    }
}

/// `MaxPool2d` -> `max_pool2d`.
fn snake(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// `res_block` -> `ResBlock`.
fn camel(name: &str) -> String {
    name.split('_').filter(|p| !p.is_empty()).map(|p| p[..1].to_uppercase() + &p[1..]).collect()
}
