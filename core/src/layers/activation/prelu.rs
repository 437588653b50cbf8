//! The parametric rectified linear unit.

use core::marker::PhantomData;

use crate::flat::{Flat, flatten, flatten_mut};
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// PReLU with one learned slope `a` shared by all elements (PyTorch's
/// `nn.PReLU(num_parameters=1)`): `y = x` for `x > 0`, else `a x`.
///
/// Backward: `dx = dy` for `x > 0`, else `a dy`; `da = Σ_{x <= 0} x dy`.
pub struct Prelu<S> {
    /// Initial slope (PyTorch's `init`, default 0.25).
    pub init: f32,
    _shape: PhantomData<fn() -> S>,
}

impl<S> Prelu<S> {
    /// A PReLU whose slope starts at `init`.
    pub fn new(init: f32) -> Self {
        Prelu { init, _shape: PhantomData }
    }
}

impl<S> Default for Prelu<S> {
    fn default() -> Self {
        Self::new(0.25)
    }
}

impl<S> Clone for Prelu<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Prelu<S> {}
impl<S> core::fmt::Debug for Prelu<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Prelu").field("init", &self.init).finish()
    }
}

impl<S: Flat> Forward for Prelu<S> {
    type Input = S;
    type Output = S;
    /// The slope.
    type Params = [f32; 1];
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, params: &[f32; 1], _: &(), x: &[S], y: &mut [S], _: &mut ()) {
        let a = params[0];
        for (y, &x) in flatten_mut(y).iter_mut().zip(flatten(x)) {
            *y = if x > 0.0 { x } else { a * x };
        }
    }

    /// `weight` `[1]`, as `nn.PReLU()`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut [f32; 1], _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        v.tensor(&path.child("weight"), &[1], params);
    }
}

impl<S: Flat> Layer for Prelu<S> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, params: &mut [f32; 1], _: &mut (), _: &mut R) {
        *params = [self.init];
    }

    fn forward<const B: usize>(&self, params: &[f32; 1], _: &(), x: &[S], y: &mut [S], _: &mut (), _: Mode) {
        self.infer::<B>(params, &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        params: &[f32; 1],
        x: &[S],
        _y: &[S],
        dy: &[S],
        _: &mut (),
        dx: Option<&mut [S]>,
        grads: &mut [f32; 1],
        mode: GradMode,
    ) {
        let (a, x, dy) = (params[0], flatten(x), flatten(dy));
        mode.store(&mut grads[0], x.iter().zip(dy).filter(|&(&x, _)| x <= 0.0).map(|(x, g)| x * g).sum());
        if let Some(dx) = dx {
            for ((dx, &x), &g) in flatten_mut(dx).iter_mut().zip(x).zip(dy) {
                *dx = if x > 0.0 { g } else { a * g };
            }
        }
    }
}
