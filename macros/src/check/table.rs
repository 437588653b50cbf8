//! The one table of built-in layers: each name, the other spellings it accepts (PyTorch's
//! among them) and the function that checks it. It drives both the dispatch and the
//! "did you mean" suggestions. A new built-in layer is one row here and one check
//! function.

use super::{Call, Checked, activation, batch_norm, conv, conv1d, dense, dropout, flatten, pool, recurrent};
use crate::desc::Activation;

/// A built-in layer.
pub struct Builtin {
    /// The name the README and messages use.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// Checks a use of the layer and describes it.
    pub check: fn(&Call<'_>) -> syn::Result<Checked>,
}

impl Builtin {
    /// The name, then the aliases.
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
}

/// Every built-in layer, in the order the README lists them.
pub const BUILTINS: &[Builtin] = &[
    Builtin { name: "Dense", aliases: &["Linear"], check: dense::check },
    Builtin { name: "Identity", aliases: &[], check: |c| activation::plain(c, Activation::Identity) },
    Builtin { name: "Relu", aliases: &["ReLU"], check: |c| activation::plain(c, Activation::Relu) },
    Builtin { name: "Sigmoid", aliases: &[], check: |c| activation::plain(c, Activation::Sigmoid) },
    Builtin { name: "Tanh", aliases: &[], check: |c| activation::plain(c, Activation::Tanh) },
    Builtin { name: "LeakyRelu", aliases: &["LeakyReLU"], check: activation::leaky_relu },
    Builtin { name: "Elu", aliases: &["ELU"], check: activation::elu },
    Builtin { name: "Prelu", aliases: &["PReLU"], check: activation::prelu },
    Builtin { name: "Selu", aliases: &["SELU"], check: |c| activation::plain(c, Activation::Selu) },
    Builtin { name: "Silu", aliases: &["SiLU", "Swish"], check: |c| activation::plain(c, Activation::Silu) },
    Builtin { name: "Softplus", aliases: &[], check: |c| activation::plain(c, Activation::Softplus) },
    Builtin { name: "Gelu", aliases: &["GELU"], check: activation::gelu },
    Builtin { name: "Softmax", aliases: &[], check: activation::softmax },
    Builtin { name: "Conv2d", aliases: &[], check: conv::check },
    Builtin { name: "MaxPool2d", aliases: &[], check: pool::max },
    Builtin { name: "AvgPool2d", aliases: &[], check: pool::avg },
    Builtin { name: "GlobalAvgPool", aliases: &[], check: pool::global },
    Builtin { name: "Conv1d", aliases: &[], check: conv1d::conv },
    Builtin { name: "MaxPool1d", aliases: &[], check: conv1d::max },
    Builtin { name: "AvgPool1d", aliases: &[], check: conv1d::avg },
    Builtin { name: "Flatten", aliases: &[], check: flatten::check },
    Builtin { name: "BatchNorm", aliases: &["BatchNorm1d", "BatchNorm2d"], check: batch_norm::check },
    Builtin { name: "Dropout", aliases: &[], check: dropout::check },
    Builtin { name: "Lstm", aliases: &["LSTM"], check: recurrent::lstm },
    Builtin { name: "Gru", aliases: &["GRU"], check: recurrent::gru },
    Builtin { name: "Rnn", aliases: &["RNN", "SimpleRNN"], check: recurrent::rnn },
];

/// The built-in layer spelled `name`.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.spellings().any(|s| s == name))
}

#[cfg(test)]
mod tests {
    use super::BUILTINS;

    #[test]
    fn every_spelling_names_one_layer() {
        let mut all: Vec<&str> = BUILTINS.iter().flat_map(|b| b.spellings()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a spelling appears twice");
    }
}
