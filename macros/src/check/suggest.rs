//! The error for a layer name that is not built in, with the closest built-in spelling
//! when the name is probably a typo.

use super::table::BUILTINS;
use syn::Ident;

/// `Rleu(...)`: a name with arguments that is no built-in layer.
pub fn unknown_layer(ident: &Ident) -> syn::Error {
    match closest(&ident.to_string()) {
        Some(b) => error(ident, &format!("; did you mean `{b}`?"), ""),
        None => error(ident, "", "; a network or custom layer is written as its type, without arguments"),
    }
}

/// `Relu2`: a bare name that is no built-in layer but so close to one that it is more
/// likely a typo than a type of the user's. A type of that name is still accepted when
/// written with a path (`self::Relu2`).
pub fn near_miss(ident: &Ident) -> Option<syn::Error> {
    let name = ident.to_string();
    let spelling = closest(&name)?;
    let d = edit_distance(&name.to_lowercase(), &spelling.to_lowercase());
    (d * 3 <= name.chars().count()).then(|| {
        let tail = format!("; a layer type of your own named `{name}` is written with its path, `self::{name}`");
        error(ident, &format!("; did you mean `{spelling}`?"), &tail)
    })
}

/// "unknown layer `X`{hint} (built-in layers: ...){tail}".
fn error(ident: &Ident, hint: &str, tail: &str) -> syn::Error {
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    syn::Error::new(
        ident.span(),
        format!(
            "unknown layer `{ident}`{hint} (built-in layers: {}; PyTorch's spellings such as `Linear`, `ReLU` and `BatchNorm2d` work too){tail}",
            names.join(", ")
        ),
    )
}

/// The built-in spelling nearest `name` (ignoring case, then with case), when at most
/// two edits away.
fn closest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    BUILTINS
        .iter()
        .flat_map(|b| b.spellings())
        .map(|s| (edit_distance(&lower, &s.to_lowercase()), edit_distance(name, s), s.len().abs_diff(name.len()), s))
        .min()
        .filter(|(d, ..)| *d <= 2)
        .map(|(.., s)| s)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours each cost 1 (so `Rleu` is one step from `Relu`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}
