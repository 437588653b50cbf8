//! The int8 MNIST CNN on a Cortex-M4F: the model that `examples/quantize.rs` trained and
//! quantized on the host (`--export`), a `static` in flash, classifies 100 bundled test
//! images with integer arithmetic only; its scratch memory is a `static` too, and there is
//! no allocator. Every image's int8 output codes are compared with the ones the host
//! computed: integer inference is bit-identical across platforms.
//!
//! `cargo run --release --bin mnist_int8` runs it under QEMU (see `.cargo/config.toml`).
//! `src/mnist_int8.rs` and `src/mnist_int8.bin` are generated: `cargo run --release
//! --example quantize -- --export examples/embedded/src/mnist_int8.rs` from the repository.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use staticnet::StaticSlot;
use staticnet::quantize::{
    QuantParams, QuantizedConv2d, QuantizedDense, QuantizedMaxPool2d, QuantizedNetwork, Requantize,
};
use staticnet_embedded::{exit, stack_used};

#[path = "../../../common/mnist_cnn_network.rs"]
mod mnist_cnn_network;

use mnist_cnn_network::{CnnInt8, CnnInt8Scratch};

include!("../mnist_int8.rs");

/// The int8 activations and column buffers, zero-filled `.bss`.
static SCRATCH: StaticSlot<CnnInt8Scratch> = StaticSlot::new();

#[entry]
fn main() -> ! {
    hprintln!(
        "staticnet on {}: int8 MNIST CNN in flash, model {} B (int8 weights {} B), scratch {} B",
        env!("FIRMWARE_TARGET"),
        CnnInt8::BYTES,
        CnnInt8::WEIGHT_BYTES,
        core::mem::size_of::<CnnInt8Scratch>()
    );
    let scratch = staticnet::flat::zeroed_in(SCRATCH.take().expect("the scratch slot is taken once"));
    let model = &CNN_INT8;
    let (mut correct, mut identical) = (0, 0);
    for ((pixels, &label), host) in IMAGES.chunks_exact(784).zip(&LABELS).zip(&HOST_CODES) {
        // As the host's loader: pixels `byte / 255`, then quantized at the input.
        let mut x = [0.0f32; 784];
        for (x, &byte) in x.iter_mut().zip(pixels) {
            *x = f32::from(byte) / 255.0;
        }
        let mut q = [[[0i8; 28]; 28]; 1];
        model.input_params().quantize_into(&x, q.as_flattened_mut().as_flattened_mut());
        let codes = model.infer_int8(&q, scratch);
        identical += usize::from(codes == host);
        // The codes share one scale: the largest code is the largest logit.
        let predicted = codes.iter().enumerate().fold(0, |best, (i, &c)| if c > codes[best] { i } else { best });
        correct += usize::from(predicted == usize::from(label));
    }
    let n = LABELS.len();
    let accuracy = correct as f32 / n as f32;
    hprintln!("stack used: {} B", stack_used());
    hprintln!("int8 output codes identical to the host's: {} of {}", identical, n);
    hprintln!("mnist int8 test accuracy: {:.4}", accuracy);
    exit(if identical == n { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE })
}
