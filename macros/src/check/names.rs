//! Derived names: the field of an unnamed layer and the struct of a residual block's body.

use crate::ast::{LayerDecl, LayerKind};
use quote::format_ident;
use syn::Ident;
use syn::spanned::Spanned;

/// The field of layer `decl` at `position` (from 1): its name, or its kind and position
/// (`relu_2`; a type without a name is `layer_3`).
pub fn field(decl: &LayerDecl, position: usize) -> Ident {
    match (&decl.name, &decl.kind) {
        (Some(name), _) => name.clone(),
        (None, LayerKind::Named { ident, .. } | LayerKind::Residual { ident, .. }) => {
            format_ident!("{}_{}", snake(&ident.to_string()), position, span = ident.span())
        }
        (None, LayerKind::Custom(ty)) => format_ident!("layer_{}", position, span = ty.span()),
    }
}

/// `MaxPool2d` -> `max_pool2d`. A run of capitals is one word, so PyTorch's spellings
/// name the same field as ours: `ReLU` and `Relu` -> `relu`, `LeakyReLU` -> `leaky_relu`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut s = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let starts_word = i > 0
            && c.is_uppercase()
            && !chars[i - 1].is_uppercase()
            && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        if starts_word {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// `res_block` -> `ResBlock`.
pub fn camel(name: &str) -> String {
    name.split('_').filter(|p| !p.is_empty()).map(|p| p[..1].to_uppercase() + &p[1..]).collect()
}

#[cfg(test)]
mod tests {
    use super::snake;

    #[test]
    fn pytorch_spellings_name_the_same_fields() {
        for (name, field) in [
            ("Relu", "relu"),
            ("ReLU", "relu"),
            ("LeakyReLU", "leaky_relu"),
            ("LeakyRelu", "leaky_relu"),
            ("PReLU", "prelu"),
            ("GELU", "gelu"),
            ("SiLU", "silu"),
            ("MaxPool2d", "max_pool2d"),
            ("BatchNorm1d", "batch_norm1d"),
            ("GlobalAvgPool", "global_avg_pool"),
            ("Conv2d", "conv2d"),
        ] {
            assert_eq!(snake(name), field, "{name}");
        }
    }
}
