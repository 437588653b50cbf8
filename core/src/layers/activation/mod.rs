//! Activation layers. Each elementwise activation is a [`Elementwise`] function with its
//! derivative; the `elementwise_layer!` macro turns it into a [`Layer`](crate::Layer) on any shape.

mod elu;
mod gelu;
mod identity;
mod leaky_relu;
mod prelu;
mod relu;
mod selu;
mod sigmoid;
mod silu;
mod softmax;
mod softplus;
mod tanh;

pub use elu::Elu;
pub use gelu::Gelu;
pub use identity::Identity;
pub use leaky_relu::LeakyRelu;
pub use prelu::Prelu;
pub use relu::Relu;
pub use selu::Selu;
pub use sigmoid::Sigmoid;
pub use silu::Silu;
pub use softmax::Softmax;
pub use softplus::Softplus;
pub use tanh::Tanh;

/// A function applied to every element, with its derivative.
pub trait Elementwise {
    /// `f(x)`.
    fn apply(&self, x: f32) -> f32;
    /// `f'(x)`, given `x` and `y = f(x)` (whichever is cheaper to use).
    fn derivative(&self, x: f32, y: f32) -> f32;
}

/// Implements [`Forward`](crate::Forward) and [`Layer`](crate::Layer) (no parameters,
/// no cache) and the usual traits for an activation struct `$name<S>` that has a
/// `_shape: PhantomData<fn() -> S>` field and implements [`Elementwise`]; with `in_place`,
/// also [`InPlace`](crate::layer::InPlace), for activations whose derivative is exact when
/// given `y` in place of `x`.
macro_rules! elementwise_layer {
    ($name:ident) => {
        impl<S> Clone for $name<S> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<S> Copy for $name<S> {}
        impl<S> core::fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
        impl<S: $crate::Flat> $crate::Forward for $name<S> {
            type Input = S;
            type Output = S;
            type Params = ();
            type State = ();
            type Scratch<const B: usize> = ();

            fn infer<const B: usize>(&self, _: &(), _: &(), x: &[S], y: &mut [S], _: &mut ()) {
                let x = $crate::flat::flatten(x);
                let y = $crate::flat::flatten_mut(y);
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = $crate::layers::activation::Elementwise::apply(self, x);
                }
            }
        }
        impl<S: $crate::Flat> $crate::Layer for $name<S> {
            type Cache<const B: usize> = ();

            fn init<R: rand::RngCore + ?Sized>(&self, _: &mut (), _: &mut (), _: &mut R) {}

            fn forward<const B: usize>(&self, _: &(), _: &(), x: &[S], y: &mut [S], _: &mut (), _: $crate::Mode) {
                $crate::Forward::infer::<B>(self, &(), &(), x, y, &mut ());
            }

            fn backward<const B: usize>(
                &self,
                _: &(),
                x: &[S],
                y: &[S],
                dy: &[S],
                _: &mut (),
                dx: Option<&mut [S]>,
                _: &mut (),
                _: $crate::layer::GradMode,
            ) {
                let Some(dx) = dx else { return };
                let (x, y, dy) = ($crate::flat::flatten(x), $crate::flat::flatten(y), $crate::flat::flatten(dy));
                let dx = $crate::flat::flatten_mut(dx);
                for (((dx, &x), &y), &dy) in dx.iter_mut().zip(x).zip(y).zip(dy) {
                    *dx = dy * $crate::layers::activation::Elementwise::derivative(self, x, y);
                }
            }
        }
    };
    ($name:ident, in_place) => {
        $crate::layers::activation::elementwise_layer!($name);
        impl<S: $crate::Flat> $crate::layer::InPlace for $name<S> {
            fn infer_in_place(&self, _: &(), _: &(), xy: &mut [S]) {
                for v in $crate::flat::flatten_mut(xy) {
                    *v = $crate::layers::activation::Elementwise::apply(self, *v);
                }
            }

            fn forward_in_place<const B: usize>(&self, _: &(), _: &(), xy: &mut [S], _: &mut (), _: $crate::Mode) {
                $crate::layer::InPlace::infer_in_place(self, &(), &(), xy);
            }
        }
    };
}
pub(crate) use elementwise_layer;
