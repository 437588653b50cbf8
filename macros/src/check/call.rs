//! What a built-in layer's check function receives and returns.

use super::Context;
use super::args::ArgReader;
use crate::ast::Args;
use crate::desc::{Kind, Shape, WidthCheck};
use proc_macro2::Span;
use syn::Ident;

/// A use of a built-in layer: its name as written, its arguments and what feeds it.
pub struct Call<'a> {
    /// The name as written (an alias, e.g. `Linear`, stays as written).
    pub ident: &'a Ident,
    pub args: &'a Args,
    /// The samples the layer receives.
    pub input: &'a Shape,
    pub ctx: &'a Context,
}

impl<'a> Call<'a> {
    /// Where the layer's name is written.
    pub fn span(&self) -> Span {
        self.ident.span()
    }

    /// Where the arguments are written, or the name when there are none.
    pub fn args_span(&self) -> Span {
        self.args.span.unwrap_or_else(|| self.span())
    }

    /// The arguments, matched against the options the layer accepts.
    pub fn reader(&self, params: &[&'a str]) -> syn::Result<ArgReader<'a>> {
        ArgReader::new(self.ident, self.args, params)
    }
}

/// What a check function found: the layer's kind, its output and what the compiler must
/// still compare.
pub struct Checked {
    pub kind: Kind,
    pub output: Shape,
    pub checks: Vec<WidthCheck>,
}

impl Checked {
    /// A layer the macro checked completely.
    pub fn new(kind: Kind, output: Shape) -> Self {
        Checked { kind, output, checks: Vec::new() }
    }
}
