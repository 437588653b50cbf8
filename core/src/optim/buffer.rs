//! State buffers: blocks of the network's parameter type, optional ones chosen by type, and
//! the zero-initialised construction every optimizer shares.

use crate::flat::Flat;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::WithBuffer {}
    impl Sealed for super::NoBuffer {}
}

/// Whether an optimizer keeps an optional state buffer: [`WithBuffer`] stores a block of
/// the network's parameter type, [`NoBuffer`] stores nothing (zero bytes).
///
/// Variants that need more memory are other types, not flags: AMSGrad's running maximum
/// (`Adam<N, WithBuffer>`), RMSprop's momentum buffer and its centred mean. So
/// `size_of` and `STATE_BYTES` say exactly what a configuration costs, and a setting that
/// needs a buffer the type does not have (RMSprop momentum) does not compile.
pub trait OptionalBuffer: sealed::Sealed {
    /// `true` for [`WithBuffer`].
    const KEPT: bool;
    /// The storage for a network whose parameters are `P`: `P` itself, or `()`.
    type Block<P: Flat>: Flat;
}

/// Keep the optional buffer: a block of the network's parameter type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WithBuffer;

/// No optional buffer: zero bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoBuffer;

impl OptionalBuffer for WithBuffer {
    const KEPT: bool = true;
    type Block<P: Flat> = P;
}

impl OptionalBuffer for NoBuffer {
    const KEPT: bool = false;
    type Block<P: Flat> = ();
}

/// A block as one flat slice; empty for a zero-length block without forming a slice from
/// its (possibly unaligned) zero-sized address.
#[inline]
pub(crate) fn flat<P: Flat>(block: &P) -> &[f32] {
    if P::LEN == 0 { &[] } else { block.as_flat() }
}

/// Mutable form of [`flat`].
#[inline]
pub(crate) fn flat_mut<P: Flat>(block: &mut P) -> &mut [f32] {
    if P::LEN == 0 { &mut [] } else { block.as_flat_mut() }
}

/// `1 - β^t` in f64, from the same f32 `β` that the moment updates use (so the bias
/// correction cancels the `(1 - β)` weights exactly as in PyTorch).
#[inline]
pub(crate) fn bias_correction(beta: f32, t: u64) -> f64 {
    1.0 - libm::pow(beta as f64, t as f64)
}

#[cfg(test)]
mod tests {
    //! The unsafe construction paths, small enough to run under miri
    //! (`cargo +nightly miri test -p staticnet-core --lib optim::buffer`).

    use super::*;
    use crate::layers::Dense;
    use crate::optim::{Adam, AmsGrad, Momentum, Optimizer, RmsProp};

    type Net = Dense<3, 2>;

    #[test]
    fn zeroed_values_are_zero() {
        let block: [[f32; 3]; 2] = crate::flat::zeroed();
        assert_eq!(block, [[0.0; 3]; 2]);
        let boxed = crate::flat::boxed_zeroed::<[f32; 5]>();
        assert_eq!(*boxed, [0.0; 5]);
        let unit: () = crate::flat::zeroed();
        assert!(flat(&unit).is_empty());
    }

    /// Steps only with `Momentum`: the others call `libm::sqrtf`, whose x86 inline
    /// assembly miri cannot run (they are covered by `core/tests/integration/optimizers.rs`).
    #[test]
    fn optimizers_built_zeroed_are_valid() {
        let mut params = crate::layers::DenseParams::<3, 2>::zeroed();
        let mut grads = params;
        grads.bias = [1.0, -2.0];
        let mut by_value = Momentum::<Net>::new(0.1, 0.9).dampening(0.5);
        let mut boxed = Momentum::<Net>::new_boxed(0.1, 0.9);
        boxed.dampening = 0.5;
        let mut copy = params;
        for _ in 0..3 {
            by_value.step(&mut params, &grads);
            boxed.step(&mut copy, &grads);
        }
        assert_eq!(params, copy);
        assert_eq!(boxed.momentum_buffer().bias, by_value.momentum_buffer().bias);
        let ams = AmsGrad::<Net>::new_boxed(0.1);
        assert_eq!((ams.beta1, ams.exp_avg().bias, ams.max_exp_avg_sq().weight), (0.9, [0.0; 2], [[0.0; 3]; 2]));
        let rms = RmsProp::<Net, WithBuffer, WithBuffer>::new_boxed(0.1);
        assert_eq!((rms.alpha, rms.momentum_buffer().bias, rms.grad_avg().bias), (0.99, [0.0; 2], [0.0; 2]));
        let adam = Adam::<Net>::new(0.1);
        assert_eq!(adam.exp_avg_sq().weight, [[0.0; 3]; 2]);
    }
}
