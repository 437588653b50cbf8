//! Static placement: a model, its workspace and its optimizer in `static` memory, built in
//! place, with no `unsafe` in the program that uses them and no allocator.
//!
//! On a microcontroller the training memory should be known at link time: it belongs in
//! `.bss`, not on a stack of a few kilobytes and not on a heap that may not exist. Two
//! pieces make that safe:
//!
//! - [`StaticSlot<T>`] is uninitialised storage for one `T` that a `static` can hold (its
//!   [`StaticSlot::new`] is a `const fn`, so the slot is zero-filled `.bss`, not flash).
//!   [`StaticSlot::take`] hands out its `&'static mut MaybeUninit<T>` exactly once; every
//!   later call returns `None`, so two parts of a program can never alias it.
//! - In-place constructors fill such a `MaybeUninit` field by field and return the
//!   initialised `&mut T`, so the value never passes through the stack, however large:
//!   [`Model::new_in`] (and [`Model::with_net_in`]), [`Workspace::new_in`], and `new_in` on
//!   every optimizer ([`Sgd::new_in`](crate::optim::Sgd::new_in),
//!   [`Momentum::new_in`](crate::optim::Momentum::new_in),
//!   [`Adam::new_in`](crate::optim::Adam::new_in), ...), taking the same arguments as `new`.
//!
//! The same constructors build in a `Box::new_uninit()` (that is what `new_boxed` does) or
//! in a local `MaybeUninit`.
//!
//! ```
//! use staticnet_core::layers::Dense;
//! use staticnet_core::loss::BceWithLogitsLoss;
//! use staticnet_core::optim::Adam;
//! use staticnet_core::placement::StaticSlot;
//! use staticnet_core::{Mode, Model, Workspace};
//!
//! // Any layer or `network!` type; here one dense unit learning logical OR.
//! type Net = Dense<2, 1>;
//!
//! // Uninitialised, zero-filled storage in `.bss`: nothing is built before `main`.
//! static MODEL: StaticSlot<Model<Net>> = StaticSlot::new();
//! static WORKSPACE: StaticSlot<Workspace<Net, 4>> = StaticSlot::new();
//! static ADAM: StaticSlot<Adam<Net>> = StaticSlot::new();
//!
//! // Each slot can be taken once; the `&'static mut` lives as long as the program.
//! let model = Model::new_in(MODEL.take().unwrap(), 7);
//! let ws = Workspace::new_in(WORKSPACE.take().unwrap());
//! let adam = Adam::new_in(ADAM.take().unwrap(), 0.1);
//! assert!(MODEL.take().is_none(), "a slot is handed out only once");
//!
//! let inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
//! let targets = [[0.0], [1.0], [1.0], [1.0]];
//! for _ in 0..200 {
//!     ws.train_step(model, &inputs, &targets, &BceWithLogitsLoss, adam)?;
//! }
//! let logits = ws.forward(model, &inputs, Mode::Eval)?;
//! let predicted: Vec<bool> = logits.iter().map(|l| l[0] > 0.0).collect();
//! assert_eq!(predicted, [false, true, true, true]);
//!
//! // What the three slots reserve, known at compile time.
//! let bytes = Model::<Net>::BYTES + Workspace::<Net, 4>::BYTES + Adam::<Net>::STATE_BYTES;
//! assert!(bytes < 512);
//! # Ok::<(), staticnet_core::Error>(())
//! ```
//!
//! [`Model::new_in`]: crate::Model::new_in
//! [`Model::with_net_in`]: crate::Model::with_net_in
//! [`Workspace::new_in`]: crate::Workspace::new_in

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
#[cfg(target_has_atomic = "8")]
use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering;
#[cfg(not(target_has_atomic = "8"))]
use portable_atomic::AtomicBool;

/// Storage for one `T` in a `static`, handed out once as `&'static mut MaybeUninit<T>`.
///
/// ```
/// use staticnet_core::placement::StaticSlot;
///
/// static BUFFER: StaticSlot<[f32; 1024]> = StaticSlot::new();
///
/// let buffer = BUFFER.take().unwrap().write([0.0; 1024]);
/// buffer[3] = 1.0;
/// assert!(BUFFER.take().is_none());
/// ```
///
/// The slot never drops its value (a `static` is never dropped). It takes its storage with
/// an atomic swap of a byte: the processor's on targets with compare-and-swap (Cortex-M3
/// and up, x86, ...), and on those without it (Cortex-M0/M0+, `riscv32imc`) `portable-atomic`'s,
/// which runs in a critical section: the firmware links a `critical-section`
/// implementation, such as cortex-m's `critical-section-single-core` feature.
pub struct StaticSlot<T> {
    taken: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the only access to `value` is through `take`, which the atomic swap lets
// succeed at most once, so at most one `&mut` to the value ever exists, whichever thread
// calls it. Handing that `&mut T` to another thread moves the `T` there, hence `T: Send`.
unsafe impl<T: Send> Sync for StaticSlot<T> {}

impl<T> StaticSlot<T> {
    /// An empty slot, not yet taken. A `const fn`, so `static SLOT: StaticSlot<T> =
    /// StaticSlot::new();` is placed in zero-filled `.bss` (no initialiser in flash).
    pub const fn new() -> Self {
        StaticSlot { taken: AtomicBool::new(false), value: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// The slot's storage, the first time it is called; `None` ever after. Fill it with an
    /// in-place constructor (`Model::new_in`, `Workspace::new_in`, `Adam::new_in`) or with
    /// `MaybeUninit::write`.
    #[allow(clippy::mut_from_ref, reason = "the atomic flag makes the `&mut` unique")]
    pub fn take(&'static self) -> Option<&'static mut MaybeUninit<T>> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the swap above returned `false` exactly once over the slot's lifetime,
        // so this is the only reference to `value` ever created; it points into a `static`
        // and so is valid for `'static`.
        Some(unsafe { &mut *self.value.get() })
    }

    /// Whether [`StaticSlot::take`] has already handed out the storage.
    pub fn is_taken(&self) -> bool {
        self.taken.load(Ordering::Acquire)
    }
}

impl<T> Default for StaticSlot<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    //! Small enough to run under miri:
    //! `cargo +nightly miri test -p staticnet-core --lib placement`; they build workspaces
    //! (fused or not), models and optimizers in place.
    //! Only SGD and momentum take steps here: Adam's square root is `libm` inline assembly
    //! without `std`, which miri cannot run (it is stepped in the doc example).

    use super::*;
    use crate::flat::Flat;
    use crate::layers::Dense;
    use crate::loss::MseLoss;
    use crate::optim::{Adagrad, Adam, AdamW, Adamax, AmsGrad, Momentum, NAdam, RmsProp, Sgd, WithBuffer};
    use crate::{FusedWorkspace, Mode, Model, Workspace};

    type Net = Dense<3, 2>;

    #[test]
    fn a_slot_is_taken_once() {
        static SLOT: StaticSlot<[u32; 4]> = StaticSlot::new();
        assert!(!SLOT.is_taken());
        let value = SLOT.take().expect("first take").write([1, 2, 3, 4]);
        value[2] = 9;
        assert!(SLOT.is_taken());
        assert!(SLOT.take().is_none());
        assert_eq!(*value, [1, 2, 9, 4]);
    }

    #[test]
    fn racing_takers_get_one_slot() {
        static SLOT: StaticSlot<u64> = StaticSlot::new();
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| SLOT.take().map(|v| *v.write(7)).is_some())).collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(winners, 1);
    }

    #[test]
    fn model_built_in_place_equals_model_built_by_value() {
        static MODEL: StaticSlot<Model<Net>> = StaticSlot::new();
        let model = Model::new_in(MODEL.take().unwrap(), 11);
        let by_value = Model::<Net>::new(11);
        assert_eq!(model.params, by_value.params);
        assert_eq!(model.net, by_value.net);
        assert!(model.params.as_flat().iter().any(|&p| p != 0.0));

        let mut local = MaybeUninit::uninit();
        let other = Model::with_net_in(&mut local, Net::default(), 11);
        assert_eq!(other.params, by_value.params);
    }

    #[test]
    fn boxed_model_equals_model_built_by_value() {
        let boxed = Model::<Net>::new_boxed(5);
        assert_eq!(boxed.params, Model::<Net>::new(5).params);
    }

    #[test]
    fn workspace_built_in_place_is_zero_and_trains() {
        static MODEL: StaticSlot<Model<Net>> = StaticSlot::new();
        static WS: StaticSlot<Workspace<Net, 2>> = StaticSlot::new();
        static SGD: StaticSlot<Sgd<Net>> = StaticSlot::new();
        static MOMENTUM: StaticSlot<Momentum<Net>> = StaticSlot::new();
        let model = Model::new_in(MODEL.take().unwrap(), 3);
        let ws = Workspace::new_in(WS.take().unwrap());
        assert!(ws.outputs().is_empty() && ws.grads().as_flat().iter().all(|&g| g == 0.0));
        let sgd = Sgd::new_in(SGD.take().unwrap(), 0.1);
        let momentum = Momentum::new_in(MOMENTUM.take().unwrap(), 0.05, 0.9);
        assert_eq!((sgd.lr, momentum.lr, momentum.momentum, momentum.dampening), (0.1, 0.05, 0.9, 0.0));

        let inputs = [[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]];
        let targets = [[1.0, 0.0], [0.0, 1.0]];
        let first = ws.train_step(model, &inputs, &targets, &MseLoss, sgd).unwrap();
        let mut last = first;
        for _ in 0..5 {
            last = ws.train_step(model, &inputs, &targets, &MseLoss, momentum).unwrap();
        }
        assert!(last < first, "{last} >= {first}");
        assert_eq!(ws.forward(model, &inputs[..1], Mode::Eval).unwrap().len(), 1);
    }

    /// `Net` trained fused, with a gradient block larger than it needs (as a network's is
    /// for every layer but its largest), so that the layer's gradient is a prefix of it.
    impl crate::fused::FusedLayer for Net {
        type LayerGrads = [f32; 11];
    }

    #[test]
    fn fused_workspace_built_in_place_trains_as_the_workspace() {
        static FUSED: StaticSlot<FusedWorkspace<Net, 2>> = StaticSlot::new();
        let fused = FusedWorkspace::new_in(FUSED.take().unwrap());
        assert!(fused.outputs().is_empty());
        let mut ws = Workspace::<Net, 2>::new();
        let (mut model, mut fused_model) = (Model::<Net>::new(3), Model::<Net>::new(3));
        let (mut momentum, mut fused_momentum) = (Momentum::<Net>::new(0.05, 0.9), Momentum::<Net>::new(0.05, 0.9));
        let inputs = [[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]];
        let targets = [[1.0, 0.0], [0.0, 1.0]];
        for _ in 0..3 {
            let a = ws.train_step(&mut model, &inputs, &targets, &MseLoss, &mut momentum).unwrap();
            let b = fused.train_step(&mut fused_model, &inputs, &targets, &MseLoss, &mut fused_momentum).unwrap();
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(model.params, fused_model.params);
        assert_eq!(momentum.momentum_buffer(), fused_momentum.momentum_buffer());
        let boxed = FusedWorkspace::<Net, 1>::new_boxed();
        assert!(boxed.outputs().is_empty());
    }

    #[test]
    fn optimizers_built_in_place_equal_optimizers_built_by_value() {
        let mut place = MaybeUninit::uninit();
        let adam = Adam::<Net>::new_in(&mut place, 0.01);
        let by_value = Adam::<Net>::new(0.01);
        assert_eq!((adam.lr, adam.beta1, adam.beta2, adam.eps), (by_value.lr, by_value.beta1, by_value.beta2, 1e-8));
        assert_eq!((adam.steps(), adam.exp_avg().weight, adam.exp_avg_sq().bias), (0, [[0.0; 3]; 2], [0.0; 2]));

        let mut place = MaybeUninit::uninit();
        let ams = AmsGrad::<Net>::new_in(&mut place, 0.01);
        assert_eq!((ams.amsgrad(), ams.max_exp_avg_sq().bias), (true, [0.0; 2]));
        let mut place = MaybeUninit::uninit();
        let adamw = AdamW::<Net>::new_in(&mut place, 0.01);
        assert_eq!((adamw.lr, adamw.weight_decay), (0.01, 0.01));
        let mut place = MaybeUninit::uninit();
        assert_eq!(Adamax::<Net>::new_in(&mut place, 0.002).lr, 0.002);
        let mut place = MaybeUninit::uninit();
        assert_eq!(NAdam::<Net>::new_in(&mut place, 0.002).beta2, 0.999);
        let mut place = MaybeUninit::uninit();
        assert_eq!(Adagrad::<Net>::new_in(&mut place, 0.01).lr, 0.01);
        let mut place = MaybeUninit::uninit();
        let rms = RmsProp::<Net, WithBuffer, WithBuffer>::new_in(&mut place, 0.01);
        assert_eq!((rms.alpha, rms.momentum_buffer().bias, rms.grad_avg().bias), (0.99, [0.0; 2], [0.0; 2]));
    }
}
