//! The parsed declaration: a struct name, an input shape and a list of layers.

use proc_macro2::Span;
use syn::{Attribute, Expr, Ident, LitInt, LitStr, Type, Visibility};

/// `#[attrs] vis struct Name { input: [dims], layers... }`.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub budget: Option<Budget>,
    pub vis: Visibility,
    pub name: Ident,
    pub input: Vec<LitInt>,
    pub input_span: Span,
    pub layers: Vec<LayerDecl>,
}

/// What can still be read of a declaration that does not parse: enough to emit stubs.
pub struct Outline {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    /// The input sizes and their span, when they parse.
    pub input: Option<(Vec<LitInt>, Span)>,
}

/// One entry of the layer list: `name: Kind(args)`, `Kind`, or `name: some::Type`.
pub struct LayerDecl {
    pub name: Option<Ident>,
    pub kind: LayerKind,
    /// `#[frozen(weights = "file.safetensors")]` before the entry.
    pub frozen: Option<FrozenDecl>,
}

/// `#[frozen(weights = "path", name = "prefix")]`: the layer's weights are fixed, read at
/// compile time from a safetensors file (`path` relative to the source file, as for
/// `include_bytes!`) under the tensor
/// names `prefix.weight`, `prefix.bias` (the prefix is the layer's field by default).
pub struct FrozenDecl {
    pub span: Span,
    pub weights: LitStr,
    pub name: Option<LitStr>,
}

/// What a layer entry names.
pub enum LayerKind {
    /// A single name, with its arguments when it has parentheses: a built-in layer, or
    /// (without parentheses) a type in scope. `check` tells which.
    Named { ident: Ident, args: Args },
    /// A type written with a path or generic arguments: a nested network or a user's layer.
    Custom(Type),
    /// `Residual { layers }`: `y = x + f(x)` where the layers `f` keep the shape.
    Residual { ident: Ident, body: Vec<LayerDecl> },
}

/// Arguments in parentheses: positional values first, then `key = value` pairs.
#[derive(Default)]
pub struct Args {
    pub positional: Vec<Expr>,
    pub named: Vec<(Ident, Expr)>,
    pub span: Option<Span>,
}

/// `#[budget(ram = 48 KiB, batch = 4, optimizer = Adam)]`: the memory a model, its
/// optimizer and its training workspace may take; with `fused`, a `FusedWorkspace`.
pub struct Budget {
    /// Bytes allowed.
    pub bytes: u64,
    /// The budget as written, for messages ("48 KiB").
    pub written: String,
    /// Rows of the training workspace (default 1).
    pub batch: usize,
    /// The optimizer's type name, e.g. `Adam` (default `Sgd`).
    pub optimizer: Ident,
    /// Fused training (`FusedWorkspace`): the largest layer's gradients, not all of them.
    pub fused: bool,
    pub span: Span,
}
