//! The typed description of a checked network, what `check` produces and `expand` reads:
//! each layer with its name, its kind and hyperparameters, and the shapes it maps. No
//! tokens live here.

mod kind;
mod shape;

pub use kind::{
    Activation, BatchNorm, BatchNormInput, Cell, Conv1d, Conv2d, Dense, Dropout, Init, Kind, Recurrent, Window,
    Window1d,
};
pub use shape::{Shape, Width};

use proc_macro2::Span;
use syn::Ident;

/// A network whose wiring has been checked: its struct name and its layers in order.
pub struct Network {
    /// The struct name, e.g. `Mlp`, or the generated name of a residual block's body.
    pub name: Ident,
    /// The layers, at least one.
    pub layers: Vec<Layer>,
}

/// One layer of a checked network.
pub struct Layer {
    /// The struct field: the declared name, or one derived from the kind and position.
    pub field: Ident,
    /// Where the layer is declared, for errors in generated code.
    pub span: Span,
    /// What the layer is, with its hyperparameters.
    pub kind: Kind,
    /// Its fixed weights, when it is frozen.
    pub frozen: Option<Frozen>,
    /// The samples the layer receives.
    pub input: Shape,
    /// The samples the layer produces.
    pub output: Shape,
    /// Widths the macro cannot compare itself, left to the compiler (custom layers).
    pub checks: Vec<WidthCheck>,
}

impl Layer {
    /// The network generated for this layer (the body of a residual block).
    pub fn nested(&self) -> Option<&Network> {
        match &self.kind {
            Kind::Residual(body) => Some(body),
            _ => None,
        }
    }
}

/// The weights of a frozen layer in a safetensors file read at compile time.
pub struct Frozen {
    /// The file's absolute path, for `include_bytes!`.
    pub file: String,
    /// Where each tensor's values start in the file (bytes) and how many there are, in the
    /// order of the layer's parameter block.
    pub segments: Vec<(usize, usize)>,
}

impl Layer {
    /// Whether the layer may have parameters that train: not frozen, and not a layer
    /// known to have none (a custom layer may have some).
    pub fn trains(&self) -> bool {
        self.frozen.is_none() && !self.kind.has_no_params()
    }
}

/// A width comparison the compiler evaluates, failing with a message that names the
/// network, the layer and what feeds it.
pub struct WidthCheck {
    /// The width the layer takes.
    pub expected: Width,
    /// The width it is given.
    pub given: Width,
    /// Where to report a mismatch.
    pub span: Span,
    /// The network, for the message.
    pub network: String,
    /// The layer, for the message.
    pub layer: String,
    /// What feeds the layer, for the message: "the network's input" or "layer `fc1`".
    pub source: String,
}
