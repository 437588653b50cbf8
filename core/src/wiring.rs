//! Compile-time checks emitted by `network!`: sizes only the type checker knows (the
//! input of a nested network or custom layer) and memory budgets. Not a public API.

/// A message built at compile time (const fns cannot use `format!`).
struct ConstMessage {
    bytes: [u8; 512],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage { bytes: [0; 512], len: 0 }
    }

    const fn text(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn number(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "staticnet: layer sizes do not match",
        }
    }
}

/// Fails compilation unless `expected == given`, naming the network, the layer and what
/// feeds it, with both sizes in decimal.
pub const fn check_width(expected: usize, given: usize, network: &str, layer: &str, source: &str) {
    if expected != given {
        let msg = ConstMessage::new()
            .text("network `")
            .text(network)
            .text("`: layer `")
            .text(layer)
            .text("` takes samples of ")
            .number(expected)
            .text(" values, but ")
            .text(source)
            .text(" outputs ")
            .number(given);
        panic!("{}", msg.as_str());
    }
}

/// What a network needs for training, by part, against its `#[budget(...)]`.
pub struct Need {
    /// The network's name.
    pub network: &'static str,
    /// Bytes allowed.
    pub budget: usize,
    /// The budget as declared, e.g. "48 KiB".
    pub budget_written: &'static str,
    /// Rows of the training workspace.
    pub batch: usize,
    /// The optimizer's name.
    pub optimizer: &'static str,
    /// `Model::<N>::BYTES`: parameters, state and hyperparameters.
    pub model: usize,
    /// The parameters alone (also the size of their gradients).
    pub params: usize,
    /// `size_of` the optimizer: its state buffers and hyperparameters.
    pub optimizer_bytes: usize,
    /// Fused training: the workspace is a `FusedWorkspace`.
    pub fused: bool,
    /// The parameter gradients the workspace holds: all of them (`params`), or in fused
    /// training the largest layer's.
    pub gradients: usize,
    /// `Workspace::<N, batch>::BYTES` (or `FusedWorkspace`'s): activations, their
    /// gradients and the parameter gradients.
    pub workspace: usize,
}

/// Fails compilation when `model + optimizer + workspace` exceeds the budget, with the
/// need and how it splits.
pub const fn check_budget(need: Need) {
    let total = need.model + need.optimizer_bytes + need.workspace;
    if total > need.budget {
        let msg = ConstMessage::new()
            .text("network `")
            .text(need.network)
            .text("` needs ")
            .number(total)
            .text(" bytes to train with ")
            .text(need.optimizer)
            .text(if need.fused { ", fused," } else { "" })
            .text(" at batch ")
            .number(need.batch)
            .text(", over its budget of ")
            .text(need.budget_written)
            .text(" (")
            .number(need.budget)
            .text(" bytes): parameters ")
            .number(need.params)
            .text(if need.fused { " + largest layer's gradients " } else { " + gradients " })
            .number(need.gradients)
            .text(" + optimizer state ")
            .number(need.optimizer_bytes)
            .text(" + activations ")
            .number(need.workspace - need.gradients)
            .text(" + other model state ")
            .number(need.model - need.params);
        panic!("{}", msg.as_str());
    }
}

/// The larger of two sizes, for the widths of a network's shared buffers.
pub const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}
