//! The built-in layer names, and a suggestion when a name is not one of them.

/// Names of the built-in layers, as written in a declaration.
pub const BUILTINS: &[&str] = &[
    "Dense",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool",
    "Flatten",
    "BatchNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "Identity",
    "Relu",
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "Elu",
    "Prelu",
    "Selu",
    "Silu",
    "Swish",
    "Gelu",
    "Softplus",
    "Softmax",
];

/// The error for a name that is not a built-in layer, with the closest one when it is
/// probably a typo.
pub fn unknown_layer(ident: &syn::Ident) -> syn::Error {
    let name = ident.to_string();
    let closest = BUILTINS
        .iter()
        .map(|b| (edit_distance(&name.to_lowercase(), &b.to_lowercase()), b.len().abs_diff(name.len()), b))
        .min();
    let hint = match closest {
        Some((d, _, b)) if d <= 2 => format!("; did you mean `{b}`?"),
        _ => String::from("; a network or custom layer is written as its type, without arguments"),
    };
    syn::Error::new(ident.span(), format!("unknown layer `{name}`{hint} (built-in layers: {})", BUILTINS.join(", ")))
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
