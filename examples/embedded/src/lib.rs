//! What the firmwares need from the board: the stack's high-water mark, and ending the
//! program through semihosting (QEMU exits with the status); and the digits data set and
//! the training run of the digit classifiers.

#![no_std]

pub mod digits;
pub mod digits_fit;

use cortex_m_semihosting::{debug, hprintln};
use staticnet::Error;

/// Bytes of stack used so far (its high-water mark). cortex-m-rt's `paint-stack` fills the
/// stack region with `STACK_PAINT_VALUE` at reset; the deepest word no longer holding it
/// marks how far the stack grew. Diagnostics only: the training itself needs no `unsafe`.
pub fn stack_used() -> usize {
    unsafe extern "C" {
        // The linker script's bounds of the stack: it grows down from `_stack_start` to at
        // most `_stack_end` (the end of `.bss`).
        static _stack_start: u32;
        static _stack_end: u32;
    }
    let top = (&raw const _stack_start) as usize;
    let mut addr = (&raw const _stack_end) as usize;
    // SAFETY: every address in [_stack_end, _stack_start) is RAM that the linker script
    // reserves for the stack, 4-byte aligned; reading a word of it (volatile, since the
    // stack is written behind the compiler's back) is always defined.
    while addr < top && unsafe { core::ptr::read_volatile(addr as *const u32) } == cortex_m_rt::STACK_PAINT_VALUE {
        addr += 4;
    }
    top - addr
}

/// Reports a training error and exits QEMU with a failure status.
pub fn fail(error: Error) -> ! {
    hprintln!("error: {}", error);
    exit(debug::EXIT_FAILURE)
}

/// Ends the program through semihosting: QEMU exits with `status`.
pub fn exit(status: debug::ExitStatus) -> ! {
    debug::exit(status);
    loop {
        cortex_m::asm::wfi();
    }
}
