//! Reading a layer's arguments: positional values in a fixed order, or `key = value`.

use crate::ast::Args;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprTuple, ExprUnary, Ident, Lit, UnOp};

/// A layer's arguments by name, checked against the names the layer accepts.
pub struct ArgReader<'a> {
    values: Vec<(&'a str, &'a Expr)>,
}

impl<'a> ArgReader<'a> {
    /// Matches positional values to `params` in order and keys to `params` by name,
    /// rejecting extra values, unknown keys and keys given twice.
    pub fn new(ident: &Ident, args: &'a Args, params: &[&'a str]) -> syn::Result<Self> {
        if let Some(extra) = args.positional.get(params.len()) {
            let msg = match params {
                [] => format!("`{ident}` takes no arguments"),
                _ => format!("`{ident}` takes at most {} values: {}", params.len(), params.join(", ")),
            };
            return Err(syn::Error::new(extra.span(), msg));
        }
        let mut values: Vec<(&str, &Expr)> = params.iter().copied().zip(&args.positional).collect();
        for (key, value) in &args.named {
            let Some(&name) = params.iter().find(|p| key == *p) else {
                let allowed = if params.is_empty() { "none".into() } else { params.join(", ") };
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{ident}` has no option `{key}` (options: {allowed})"),
                ));
            };
            if values.iter().any(|(n, _)| *n == name) {
                return Err(syn::Error::new(key.span(), format!("`{key}` given twice")));
            }
            values.push((name, value));
        }
        Ok(ArgReader { values })
    }

    /// The value given for `name`.
    pub fn get(&self, name: &str) -> Option<&'a Expr> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// A finite number.
    pub fn f32(&self, name: &str) -> syn::Result<Option<f32>> {
        self.get(name)
            .map(|e| {
                let v = number(e)?;
                if v.is_finite() {
                    Ok(v as f32)
                } else {
                    Err(syn::Error::new(e.span(), format!("`{name}` must be finite")))
                }
            })
            .transpose()
    }

    /// A size written as a number.
    pub fn usize(&self, name: &str) -> syn::Result<Option<usize>> {
        self.get(name).map(usize_arg).transpose()
    }

    /// A size for height and width: `3` or `(3, 2)`.
    pub fn pair(&self, name: &str) -> syn::Result<Option<(usize, usize)>> {
        self.get(name)
            .map(|e| match e {
                Expr::Tuple(ExprTuple { elems, .. }) if elems.len() == 2 => {
                    Ok((usize_arg(&elems[0])?, usize_arg(&elems[1])?))
                }
                Expr::Paren(p) => usize_arg(&p.expr).map(|n| (n, n)),
                _ => usize_arg(e).map(|n| (n, n)),
            })
            .transpose()
    }

    /// The span to underline for `name`, or `fallback` when it was not given.
    pub fn span(&self, name: &str, fallback: proc_macro2::Span) -> proc_macro2::Span {
        self.get(name).map_or(fallback, |e| e.span())
    }
}

/// A size written as a number (also when a `macro_rules!` passed it as a `$n:literal`,
/// which arrives wrapped in an invisible group).
pub fn usize_arg(e: &Expr) -> syn::Result<usize> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse(),
        Expr::Group(g) => usize_arg(&g.expr),
        _ => Err(syn::Error::new(e.span(), "expected a size written as a number, e.g. `128`")),
    }
}

/// An integer or float literal, possibly negated.
pub fn number(e: &Expr) -> syn::Result<f64> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse(),
        Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse(),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => number(expr).map(|v| -v),
        Expr::Group(g) => number(&g.expr),
        _ => Err(syn::Error::new(e.span(), "expected a number, e.g. `0.01`")),
    }
}
