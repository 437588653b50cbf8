//! XOR on a Cortex-M: a 2-3-1 network (AIfES's example network) trained on the board with
//! fused steps (each layer updated right after its backward pass, so the workspace holds
//! the largest layer's gradient only), with its model, workspace and Adam state in
//! `static` memory and no allocator. It also prints the training memory of AIfES's two
//! comparison networks on this target, fused and not.
//!
//! `cargo run --release --bin xor` runs it under QEMU on a Cortex-M4F, and `cargo run
//! --release --target thumbv6m-none-eabi --bin xor` on a Cortex-M0 (the micro:bit, soft
//! float; see `.cargo/config.toml`).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::prelude::*;
use staticnet::{FusedLayer, StaticSlot};
use staticnet_embedded::{exit, fail, stack_used};

network! {
    /// 2-3-1 with sigmoids, the network of AIfES's XOR example.
    struct Xor {
        input: [2],
        hidden: Dense(3, init = XavierUniform),
        Sigmoid,
        out: Dense(1, init = XavierUniform),
        Sigmoid,
    }
}

network! {
    /// AIfES's MNIST comparison network; only its memory figures are printed.
    struct Mnist {
        input: [784],
        fc1: Dense(128),
        Relu,
        fc2: Dense(64),
        Relu,
        fc3: Dense(10),
    }
}

/// Prints the memory training `N` at batch 1 takes beyond the parameters (the workspace
/// and the optimizer state, as the README compares with AIfES), unfused and fused.
fn print_training_memory<N: FusedLayer>(name: &str) {
    let (unfused, fused) = (Workspace::<N, 1>::BYTES, FusedWorkspace::<N, 1>::BYTES);
    let (momentum, adam) = (Momentum::<N>::STATE_BYTES, Adam::<N>::STATE_BYTES);
    hprintln!(
        "{} at batch 1, workspace + optimizer state: SGD {} B (fused {} B), momentum {} B (fused {} B), Adam {} B (fused {} B)",
        name,
        unfused,
        fused,
        unfused + momentum,
        fused + momentum,
        unfused + adam,
        fused + adam
    );
}

/// The four XOR cases are one batch.
const BATCH: usize = 4;
const EPOCHS: usize = 1000;
const SEED: u64 = 3;

// Zero-filled `.bss`, sized at compile time; built in place below, never on the stack.
static MODEL: StaticSlot<Model<Xor>> = StaticSlot::new();
static WORKSPACE: StaticSlot<FusedWorkspace<Xor, BATCH>> = StaticSlot::new();
static ADAM: StaticSlot<Adam<Xor>> = StaticSlot::new();

#[entry]
fn main() -> ! {
    hprintln!("staticnet on {}: XOR 2-3-1, Adam, batch {}, fused steps", env!("FIRMWARE_TARGET"), BATCH);
    hprintln!(
        "compile-time memory: parameters {} B, model {} B, fused workspace {} B (unfused {} B), Adam state {} B",
        Xor::PARAM_BYTES,
        Model::<Xor>::BYTES,
        FusedWorkspace::<Xor, BATCH>::BYTES,
        Workspace::<Xor, BATCH>::BYTES,
        Adam::<Xor>::STATE_BYTES
    );
    print_training_memory::<Xor>("XOR 2-3-1");
    print_training_memory::<Mnist>("784-128-64-10");

    let model = Model::new_in(MODEL.take().expect("the model slot is taken once"), SEED);
    let ws = FusedWorkspace::new_in(WORKSPACE.take().expect("the workspace slot is taken once"));
    let adam = Adam::new_in(ADAM.take().expect("the Adam slot is taken once"), 0.1);

    let inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let targets = [[0.0], [1.0], [1.0], [0.0]];
    for epoch in 1..=EPOCHS {
        match ws.train_step(model, &inputs, &targets, &BceLoss, adam) {
            Ok(loss) if epoch % 100 == 0 || epoch == 1 => hprintln!("epoch {:4}  loss {:.6}", epoch, loss),
            Ok(_) => {}
            Err(e) => fail(e),
        }
    }

    let outputs = match ws.forward(model, &inputs, Mode::Eval) {
        Ok(outputs) => outputs,
        Err(e) => fail(e),
    };
    let mut correct = 0;
    for ((input, output), target) in inputs.iter().zip(outputs).zip(&targets) {
        hprintln!("{:?} -> {:.4} (target {})", input, output[0], target[0]);
        correct += usize::from((output[0] > 0.5) == (target[0] > 0.5));
    }
    let accuracy = correct as f32 / inputs.len() as f32;
    hprintln!("stack used: {} B", stack_used());
    hprintln!("xor accuracy: {:.4}", accuracy);
    exit(if correct == inputs.len() { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}
