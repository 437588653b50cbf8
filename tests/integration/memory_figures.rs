//! The compile-time memory figures equal what is really reserved (`size_of` of the
//! generated structures), and follow the byte formula of the README, for three networks:
//! XOR 2-3-1, the 8x8 digits 64-32-10 and a 784-128-64-10 MLP.
//!
//! `cargo test --test integration memory_figures -- --nocapture` also prints the figures
//! the README compares with AIfES, unfused and fused (on this host, where a `usize` is 8
//! bytes; the `xor` firmware prints them on Cortex-M).

use core::mem::{align_of, size_of, size_of_val};
use staticnet::prelude::*;
use staticnet::{FusedLayer, StaticSlot};

network! {
    /// AIfES's XOR example: 2-3-1 with sigmoids.
    struct Xor {
        input: [2],
        hidden: Dense(3),
        Sigmoid,
        out: Dense(1),
        Sigmoid,
    }
}

network! {
    /// The UCI 8x8 digits classifier of the firmware.
    struct Digits {
        input: [64],
        fc1: Dense(32),
        Relu,
        fc2: Dense(10),
    }
}

network! {
    /// AIfES's MNIST comparison network.
    struct Mnist {
        input: [784],
        fc1: Dense(128),
        Relu,
        fc2: Dense(64),
        Relu,
        fc3: Dense(10),
    }
}

fn round_up(bytes: usize, align: usize) -> usize {
    bytes.div_ceil(align) * align
}

/// Where the parameter-sized blocks of the workspace and the optimizers start: a 64-byte
/// cache line on x86-64, any f32 elsewhere (the microcontrollers pay no padding).
const LINE: usize = staticnet::cache_line::BLOCK_ALIGN;

/// How a network's layer outputs use the workspace, per row (see the README's formula).
struct Widths {
    /// The inner layer outputs that keep a buffer of their own (an in-place activation
    /// shares its input's).
    kept: &'static [usize],
    /// The widest gradient in each of the two gradient buffers.
    turns: [usize; 2],
    /// The network's output (kept with its gradient).
    output: usize,
}

/// The README's formula: `4 · (B · (Σ kept + g₀ + g₁ + 2 · w_out) + P) + size_of::<usize>()`,
/// rounded up to the workspace's alignment (that of `usize`): the activations backward
/// reads, the two gradient buffers, the output and its gradient, the parameter gradients,
/// and the row count. Valid for networks whose layers keep no cache of their own (dense
/// layers and activations; the others add their `Cache<B>`). The parameter gradients take
/// whole cache lines and so does the workspace ([`LINE`]: 64 bytes on x86-64, 4 elsewhere).
/// The fused workspace is the same with the largest layer's parameters in place of all.
fn workspace_formula(widths: &Widths, params: usize, batch: usize) -> usize {
    let per_row = widths.kept.iter().sum::<usize>() + widths.turns[0] + widths.turns[1] + 2 * widths.output;
    round_up(4 * batch * per_row + round_up(4 * params, LINE) + size_of::<usize>(), align_of::<usize>().max(LINE))
}

/// Every figure of network `N` at batch `B`, checked against `size_of` and the formula.
fn check<N: FusedLayer + Default, const B: usize>(name: &str, widths: &Widths, params: usize, largest: usize) {
    let param_bytes = size_of::<N::Params>();
    assert_eq!(param_bytes, 4 * params, "{name}: PARAM_BYTES");
    assert_eq!(<N::Params as Flat>::LEN, params, "{name}: PARAMS");

    // The model: the layers' hyperparameters, the parameters, the state.
    assert_eq!(Model::<N>::BYTES, size_of::<Model<N>>(), "{name}: Model::BYTES");
    let parts = size_of::<N>() + param_bytes + size_of::<N::State>();
    assert_eq!(Model::<N>::BYTES, round_up(parts, align_of::<Model<N>>()), "{name}: model parts");

    // The workspace, against `size_of` and against the formula.
    assert_eq!(Workspace::<N, B>::BYTES, size_of::<Workspace<N, B>>(), "{name}: Workspace::BYTES");
    assert_eq!(Workspace::<N, B>::BYTES, workspace_formula(widths, params, B), "{name}: workspace formula at B={B}");
    let ws = Workspace::<N, B>::new_boxed();
    assert_eq!(size_of_val(ws.grads()), param_bytes, "{name}: parameter gradients");
    assert_eq!(core::ptr::from_ref(ws.grads()) as usize % LINE, 0, "{name}: gradients start on a line");
    let model = Model::<N>::new_boxed(0);
    assert_eq!(core::ptr::from_ref(&model.params) as usize % LINE, 0, "{name}: parameters start on a line");
    // Fused: the same formula with the largest layer's parameters in place of all of them.
    assert_eq!(N::MAX_LAYER_PARAMS, largest, "{name}: MAX_LAYER_PARAMS");
    let fused = FusedWorkspace::<N, B>::BYTES;
    assert_eq!(fused, size_of::<FusedWorkspace<N, B>>(), "{name}: FusedWorkspace::BYTES");
    assert_eq!(fused, workspace_formula(widths, largest, B), "{name}: fused workspace formula at B={B}");

    // Optimizer state: exactly one parameter-sized block per buffer (in whole cache lines
    // on x86-64), plus the scalars.
    let block = round_up(param_bytes, LINE);
    assert_eq!(Sgd::<N>::STATE_BYTES, 0);
    assert_eq!(Momentum::<N>::STATE_BYTES, block, "{name}: momentum");
    let momentum = Momentum::<N>::new_boxed(0.1, 0.9);
    assert_eq!(round_up(size_of_val(momentum.momentum_buffer()), LINE), Momentum::<N>::STATE_BYTES);
    assert_eq!(Adam::<N>::STATE_BYTES, 2 * block, "{name}: Adam");
    let adam = Adam::<N>::new_boxed(1e-3);
    for buffer in [adam.exp_avg(), adam.exp_avg_sq()] {
        assert_eq!(core::ptr::from_ref(buffer) as usize % LINE, 0, "{name}: Adam's buffers start on a line");
    }
    assert_eq!(AmsGrad::<N>::STATE_BYTES, 3 * block, "{name}: AMSGrad");
    // Beyond the buffers, an optimizer holds only its hyperparameters and step count: a
    // few bytes whatever the network (a cache line on x86-64).
    assert!(size_of::<Adam<N>>() - Adam::<N>::STATE_BYTES <= 32.max(LINE), "{name}: Adam scalars");
    assert!(size_of::<Momentum<N>>() - Momentum::<N>::STATE_BYTES <= 32.max(LINE), "{name}: momentum scalars");

    // A static slot adds its taken flag, padded to the value's alignment.
    assert_eq!(size_of::<StaticSlot<Workspace<N, B>>>(), Workspace::<N, B>::BYTES + align_of::<Workspace<N, B>>());

    let ws = Workspace::<N, B>::BYTES;
    println!(
        "{name:>8} B={B:<3} params {param_bytes:>7} B | model {:>7} B | workspace {ws:>7} B (fused {fused:>7} B) | \
         + SGD {ws:>7} B, + momentum {:>7} B, + Adam {:>7} B (beyond the parameters; fused {fused} B, {} B, {} B)",
        Model::<N>::BYTES,
        ws + Momentum::<N>::STATE_BYTES,
        ws + Adam::<N>::STATE_BYTES,
        fused + Momentum::<N>::STATE_BYTES,
        fused + Adam::<N>::STATE_BYTES,
    );
}

#[test]
fn xor_figures_are_what_is_reserved() {
    let params = 2 * 3 + 3 + 3 + 1;
    assert_eq!(Xor::PARAMS, params);
    assert_eq!(Xor::PARAM_BYTES, 52);
    // The first sigmoid works in place over the hidden layer's output.
    let widths = Widths { kept: &[3, 1], turns: [3, 3], output: 1 };
    check::<Xor, 1>("xor", &widths, params, 9);
    check::<Xor, 4>("xor", &widths, params, 9);
    // Inference holds two activation buffers (the hidden layer's 3, in which the sigmoid
    // works in place, and the output layer's input 1) and the output.
    assert_eq!(InferenceWorkspace::<Xor, 4>::BYTES, 4 * 4 * (3 + 1 + 1) + size_of::<usize>());
}

#[test]
fn digits_figures_are_what_is_reserved() {
    let params = 64 * 32 + 32 + 32 * 10 + 10;
    assert_eq!(Digits::PARAMS, params);
    let widths = Widths { kept: &[32], turns: [32, 32], output: 10 };
    check::<Digits, 1>("digits", &widths, params, 64 * 32 + 32);
    check::<Digits, 32>("digits", &widths, params, 64 * 32 + 32);
}

#[test]
fn mnist_figures_are_what_is_reserved() {
    let params = 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10;
    assert_eq!(Mnist::PARAMS, params);
    assert_eq!(Mnist::PARAM_BYTES, 437_544);
    let widths = Widths { kept: &[128, 64], turns: [128, 128], output: 10 };
    check::<Mnist, 1>("mnist", &widths, params, 784 * 128 + 128);
    assert_eq!(InferenceWorkspace::<Mnist, 1>::BYTES, 4 * (128 + 64 + 10) + size_of::<usize>());
    check::<Mnist, 32>("mnist", &widths, params, 784 * 128 + 128);
    // Training at batch 1 with Adam, beyond the parameters: gradients, m, v, activations.
    let beyond = Workspace::<Mnist, 1>::BYTES + Adam::<Mnist>::STATE_BYTES;
    let blocks = 3 * round_up(Mnist::PARAM_BYTES, LINE);
    assert_eq!(beyond, round_up(blocks + 4 * (192 + 256 + 20) + size_of::<usize>(), LINE.max(align_of::<usize>())));
    // Fused: the gradients of fc1 only (which do not start on a line of their own).
    let fused = FusedWorkspace::<Mnist, 1>::BYTES + Adam::<Mnist>::STATE_BYTES;
    let saved = 4 * (Mnist::PARAMS - (784 * 128 + 128));
    assert!((saved..saved + 2 * LINE).contains(&(beyond - fused)), "fused saves {}", beyond - fused);
}
