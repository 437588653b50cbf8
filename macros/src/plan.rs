//! The memory plan of a generated network: which buffer holds each layer's output in
//! training, in inference, and each output's gradient in backward.
//!
//! - Training keeps the activations backward reads, one buffer per layer output, except
//!   that a layer which may work in place (ReLU, sigmoid, tanh, dropout) overwrites its
//!   input's buffer when no earlier reader of that buffer needs it in backward, and a
//!   reshape (`Flatten`) is a view of its input's buffer.
//! - Gradients of layer outputs take turns in two buffers: backward of layer `k` reads
//!   `dy` from one and writes `dx` to the other, so at most two are alive.
//! - Inference needs no activation after the next layer read it: outputs take turns in
//!   two buffers, in place or as views where the layer allows.

use crate::desc::{Activation, Kind};

/// How a layer's forward and backward passes use memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct Traits {
    /// Implements `InPlace`: forward may overwrite its input with its output.
    pub in_place: bool,
    /// Its output is its input reinterpreted (`Flatten`): no buffer, no work.
    pub reshape: bool,
    /// Its backward pass reads its input `x`.
    pub reads_input: bool,
    /// Its backward pass reads its output `y`.
    pub reads_output: bool,
}

impl Traits {
    /// The traits of a layer of this kind; a user-written layer or nested network is
    /// assumed to read both `x` and `y`.
    pub fn of(kind: &Kind) -> Traits {
        let reads = |reads_input, reads_output| Traits { reads_input, reads_output, ..Traits::default() };
        match kind {
            Kind::Activation(Activation::Relu | Activation::Sigmoid | Activation::Tanh | Activation::Identity) => {
                Traits { in_place: true, ..reads(true, true) }
            }
            Kind::Dropout(_) => Traits { in_place: true, ..reads(false, false) },
            Kind::Flatten => Traits { reshape: true, ..reads(false, false) },
            Kind::MaxPool2d(_)
            | Kind::AvgPool2d(_)
            | Kind::MaxPool1d(_)
            | Kind::AvgPool1d(_)
            | Kind::GlobalAvgPool { .. } => reads(false, false),
            Kind::Softmax { .. } => reads(false, true),
            Kind::Dense(_)
            | Kind::Conv1d(_)
            | Kind::Conv2d(_)
            | Kind::BatchNorm(_)
            | Kind::Recurrent(_)
            | Kind::Residual(_)
            | Kind::Activation(_) => reads(true, false),
            Kind::Custom(_) => reads(true, true),
        }
    }
}

/// Where a batch of samples lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The caller's input `x` (read only).
    Input,
    /// The caller's output `y` (forward) or its `dy` (backward, read only).
    Caller,
    /// Training: the activation buffer that layer `k`'s forward pass created.
    Activation(usize),
    /// One of the two buffers that take turns (gradients in training, activations in
    /// inference).
    Turn(u8),
}

impl Slot {
    /// The turn buffer other than this one (the first for the caller's rows).
    fn other(self) -> Slot {
        match self {
            Slot::Turn(0) => Slot::Turn(1),
            _ => Slot::Turn(0),
        }
    }

    fn is_turn(self) -> bool {
        matches!(self, Slot::Turn(_))
    }
}

/// What a layer's pass does with its slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Reads one slot and writes another.
    Call,
    /// Overwrites its input slot with its output.
    InPlace,
    /// Nothing to do: its output is a view of its input.
    View,
}

/// The plan of one network.
pub struct Plan {
    /// Training forward: where each layer's output lives, and how it gets there.
    pub train: Vec<(Slot, Step)>,
    /// Backward: where the gradient of each layer's output lives (the last is the
    /// caller's `dy`), and whether layer `k`'s backward is a view (nothing to do).
    pub grad: Vec<(Slot, Step)>,
    /// Inference: where each layer's output lives, and how it gets there.
    pub infer: Vec<(Slot, Step)>,
}

impl Plan {
    /// Plans a network whose layers have `traits`, in order.
    pub fn new(traits: &[Traits]) -> Plan {
        Plan { train: train(traits), grad: grad(traits), infer: infer(traits) }
    }

    /// Where layer `k` reads its input from in `outputs` (one of the plan's vectors).
    pub fn input(outputs: &[(Slot, Step)], k: usize) -> Slot {
        if k == 0 { Slot::Input } else { outputs[k - 1].0 }
    }
}

fn train(traits: &[Traits]) -> Vec<(Slot, Step)> {
    let n = traits.len();
    let mut out: Vec<(Slot, Step)> = Vec::with_capacity(n);
    for (k, t) in traits.iter().enumerate() {
        let input = Plan::input(&out, k);
        let planned = if k == n - 1 {
            (Slot::Caller, Step::Call)
        } else if t.reshape {
            (input, Step::View)
        } else if let Slot::Activation(owner) = input
            && t.in_place
            && overwritable(traits, &out, owner)
        {
            (input, Step::InPlace)
        } else {
            (Slot::Activation(k), Step::Call)
        };
        out.push(planned);
    }
    out
}

/// Whether the buffer created by layer `owner` may be overwritten: neither its owner's
/// backward pass reads its output, nor the backward pass of any later layer that works
/// in it (in place or as a view) reads its input or output.
fn overwritable(traits: &[Traits], out: &[(Slot, Step)], owner: usize) -> bool {
    out.iter().enumerate().filter(|(_, (slot, _))| *slot == Slot::Activation(owner)).all(|(m, _)| {
        let t = &traits[m];
        if m == owner { !t.reads_output } else { !t.reads_input && !t.reads_output }
    })
}

fn grad(traits: &[Traits]) -> Vec<(Slot, Step)> {
    let n = traits.len();
    let mut grad = vec![(Slot::Caller, Step::Call); n];
    for k in (1..n).rev() {
        let dy = grad[k].0;
        grad[k - 1].0 = if traits[k].reshape { dy } else { dy.other() };
        grad[k].1 = if traits[k].reshape { Step::View } else { Step::Call };
    }
    grad
}

fn infer(traits: &[Traits]) -> Vec<(Slot, Step)> {
    let n = traits.len();
    let mut out: Vec<(Slot, Step)> = Vec::with_capacity(n);
    for (k, t) in traits.iter().enumerate() {
        let input = Plan::input(&out, k);
        out.push(if k == n - 1 {
            (Slot::Caller, Step::Call)
        } else if t.reshape {
            (input, Step::View)
        } else if t.in_place && input.is_turn() {
            (input, Step::InPlace)
        } else {
            (input.other(), Step::Call)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Traits by layer name, for short plans.
    fn traits(names: &[&str]) -> Vec<Traits> {
        let reads = |reads_input, reads_output| Traits { reads_input, reads_output, ..Traits::default() };
        names
            .iter()
            .map(|n| match *n {
                "Relu" => Traits { in_place: true, ..reads(true, true) },
                "Dropout" => Traits { in_place: true, ..reads(false, false) },
                "Flatten" => Traits { reshape: true, ..reads(false, false) },
                "MaxPool2d" => reads(false, false),
                _ => reads(true, false),
            })
            .collect()
    }

    #[test]
    fn relu_after_dense_works_in_place_and_dropout_after_relu_does_not() {
        let plan = Plan::new(&traits(&["Dense", "Relu", "Dropout", "Dense"]));
        assert_eq!(plan.train[1], (Slot::Activation(0), Step::InPlace));
        // ReLU's backward reads its output, so dropout needs a buffer of its own.
        assert_eq!(plan.train[2], (Slot::Activation(2), Step::Call));
        assert_eq!(plan.train[3], (Slot::Caller, Step::Call));
        // Inference overwrites freely.
        assert_eq!(plan.infer[1], (Slot::Turn(0), Step::InPlace));
        assert_eq!(plan.infer[2], (Slot::Turn(0), Step::InPlace));
    }

    #[test]
    fn gradients_take_turns_and_views_alias() {
        let plan = Plan::new(&traits(&["Conv2d", "MaxPool2d", "Flatten", "Dense", "Relu", "Dense"]));
        let slots: Vec<Slot> = plan.grad.iter().map(|g| g.0).collect();
        assert_eq!(slots, [Slot::Turn(1), Slot::Turn(0), Slot::Turn(0), Slot::Turn(1), Slot::Turn(0), Slot::Caller]);
        assert_eq!(plan.grad[2].1, Step::View);
        assert_eq!(plan.train[2], (Slot::Activation(1), Step::View));
    }

    #[test]
    fn the_first_layer_never_overwrites_the_callers_input() {
        let plan = Plan::new(&traits(&["Relu", "Flatten", "Relu", "Dense"]));
        assert_eq!(plan.train[0], (Slot::Activation(0), Step::Call));
        assert_eq!(plan.infer[0], (Slot::Turn(0), Step::Call));
        let plan = Plan::new(&traits(&["Flatten", "Relu", "Dense"]));
        assert_eq!(plan.train[0], (Slot::Input, Step::View));
        assert_eq!(plan.train[1], (Slot::Activation(1), Step::Call));
    }
}
