//! `Lstm(hidden_size)`, `Gru(hidden_size)` and `Rnn(hidden_size, nonlinearity = tanh)`, on
//! sequences `[steps, features]`, with Keras's `return_sequences` (default `false`: the
//! output is the last step's hidden state `[hidden]`; `true`: every step's, `[steps, hidden]`)
//! and PyTorch's `bidirectional` (default `false`; `true` doubles the hidden values of the
//! output, both directions side by side).

use super::init::init;
use super::{Call, Checked, Source};
use crate::desc::{self, Cell, Kind, Shape};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

pub fn lstm(call: &Call<'_>) -> syn::Result<Checked> {
    check(call, "Lstm", &["hidden_size", "return_sequences", "bidirectional", "init"], |_| Ok(Cell::Lstm))
}

pub fn gru(call: &Call<'_>) -> syn::Result<Checked> {
    check(call, "Gru", &["hidden_size", "return_sequences", "bidirectional", "init"], |_| Ok(Cell::Gru))
}

pub fn rnn(call: &Call<'_>) -> syn::Result<Checked> {
    check(call, "Rnn", &["hidden_size", "nonlinearity", "return_sequences", "bidirectional", "init"], |reader| {
        match reader.get("nonlinearity") {
            None => Ok(Cell::Rnn { relu: false }),
            Some(e) => match word(e).as_deref() {
                Some("tanh") => Ok(Cell::Rnn { relu: false }),
                Some("relu") => Ok(Cell::Rnn { relu: true }),
                _ => Err(syn::Error::new(e.span(), "`nonlinearity` is `tanh` or `relu`")),
            },
        }
    })
}

fn check(
    call: &Call<'_>,
    name: &str,
    params: &[&'static str],
    cell: impl FnOnce(&super::args::ArgReader<'_>) -> syn::Result<Cell>,
) -> syn::Result<Checked> {
    let reader = call.reader(params)?;
    let at = |key: &str| reader.span(key, call.args_span());
    let Shape::Known(dims) = call.input else {
        return Err(syn::Error::new(
            call.span(),
            format!("{name} takes sequences [steps, features] written as numbers"),
        ));
    };
    let &[steps, features] = dims.as_slice() else {
        let given = call.ctx.source.shape(&call.input.describe());
        let hint = match (dims.len(), &call.ctx.source) {
            (1, Source::Input) => format!("; declare the input as `[steps, features]` (e.g. `[{}, 1]`)", dims[0]),
            (1, Source::Layer(layer)) => {
                format!("; if `{layer}` is recurrent, give it `return_sequences = true` to pass on every step")
            }
            _ => String::new(),
        };
        return Err(syn::Error::new(
            call.span(),
            format!("{name} takes sequences [steps, features], but {given}{hint}"),
        ));
    };
    let Some(hidden) = reader.usize("hidden_size")? else {
        return Err(syn::Error::new(call.args_span(), format!("{name} takes `(hidden_size)`")));
    };
    if hidden == 0 {
        return Err(syn::Error::new(at("hidden_size"), format!("{name} needs at least one hidden unit")));
    }
    let return_sequences = flag(&reader, "return_sequences")?;
    let bidirectional = flag(&reader, "bidirectional")?;
    let cell = cell(&reader)?;
    let width = if bidirectional { 2 * hidden } else { hidden };
    let output = if return_sequences { vec![steps, width] } else { vec![width] };
    let init = init(reader.get("init"))?;
    let kind =
        Kind::Recurrent(desc::Recurrent { cell, steps, features, hidden, return_sequences, bidirectional, init });
    Ok(Checked::new(kind, Shape::Known(output)))
}

/// The value of a `true`/`false` argument, `false` when it is not given.
fn flag(reader: &super::args::ArgReader<'_>, key: &str) -> syn::Result<bool> {
    match reader.get(key) {
        None => Ok(false),
        Some(Expr::Lit(ExprLit { lit: Lit::Bool(b), .. })) => Ok(b.value),
        Some(e) => Err(syn::Error::new(e.span(), format!("`{key}` is `true` or `false`"))),
    }
}

/// `relu`, `"relu"` or `Relu` as the lowercase word.
fn word(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string().to_lowercase()),
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value().to_lowercase()),
        Expr::Group(g) => word(&g.expr),
        _ => None,
    }
}
