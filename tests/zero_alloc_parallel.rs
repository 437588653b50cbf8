//! A data-parallel training step allocates nothing on any thread: a counting global
//! allocator counts every thread's allocations (the worker threads' too) while steps run.
//! A process of its own with one test, so that no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use staticnet::prelude::*;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

network! {
    struct Cnn {
        input: [1, 8, 8],
        conv: Conv2d(4, kernel_size = 3, padding = 1),
        bn: BatchNorm,
        Relu,
        pool: MaxPool2d(2),
        flat: Flatten,
        drop: Dropout(0.25),
        fc: Dense(10),
    }
}

#[test]
fn parallel_steps_allocate_nothing_on_any_thread() {
    let mut model = Model::<Cnn>::new_boxed(0);
    let mut adam = Adam::<Cnn>::new_boxed(1e-3);
    let mut ws = ParallelWorkspace::<Cnn, 16>::new_boxed(3).unwrap();
    let x: Vec<[[[f32; 8]; 8]; 1]> = (0..16)
        .map(|r| [core::array::from_fn(|i| core::array::from_fn(|j| ((r + i * 3 + j) % 5) as f32 - 2.0))])
        .collect();
    let y: Vec<usize> = (0..16).map(|r| r % 10).collect();
    // The first step wakes every worker once (a thread's first lock or wait may set up
    // thread-local state); what must not allocate is every step after it.
    ws.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut *adam).unwrap();
    COUNTING.store(true, Ordering::SeqCst);
    for rows in [16, 16, 7, 16, 1, 16] {
        ws.train_step(&mut model, &x[..rows], &y[..rows], &CrossEntropyLoss, &mut *adam).unwrap();
    }
    COUNTING.store(false, Ordering::SeqCst);
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "allocations during parallel steps");
}
