//! Stochastic gradient descent.

use core::marker::PhantomData;

use super::Optimizer;
use crate::flat::Flat;
use crate::layer::Layer;

/// Plain SGD, PyTorch's `torch.optim.SGD` without momentum:
///
/// `g ← g + λ θ` (coupled L2 weight decay `λ`, default 0), then `θ ← θ - η g`.
///
/// It keeps no state; it is still typed by its network `N`, like every optimizer.
pub struct Sgd<N> {
    /// Learning rate `η`.
    pub lr: f32,
    /// L2 weight decay `λ`, added to the gradient.
    pub weight_decay: f32,
    _net: PhantomData<fn() -> N>,
}

impl<N> Sgd<N> {
    /// SGD with learning rate `lr` and no weight decay.
    pub fn new(lr: f32) -> Self {
        Sgd { lr, weight_decay: 0.0, _net: PhantomData }
    }

    /// Sets the L2 weight decay.
    pub fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<N: Layer> Optimizer<N> for Sgd<N> {
    fn step(&mut self, params: &mut N::Params, grads: &N::Params) {
        let (lr, wd) = (self.lr, self.weight_decay);
        for (p, &g) in params.as_flat_mut().iter_mut().zip(grads.as_flat()) {
            *p -= lr * (g + wd * *p);
        }
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }
}
