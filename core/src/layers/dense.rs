//! Fully connected layer, PyTorch's `nn.Linear`.

use crate::flat::{Flat, Zeroable};
use crate::gemm::{Start, matmul, matmul_nt, matmul_tn};
use crate::init::Init;
use crate::layer::{Forward, GradMode, Layer, Mode};
use crate::layers::InputGradient;
use crate::regularize::{L1L2, Regularizer, Weights, max_norm};
use crate::tensors::{TensorPath, TensorVisitor};
use rand::RngCore;

/// `y = x Wᵀ + b`, with `W` stored `[out, in]` row-major as in PyTorch's `nn.Linear`,
/// so weights exchanged with PyTorch need no transposition.
///
/// Backward: `dW = dyᵀ x`, `db = Σ_batch dy`, `dx = dy W` (only when asked for).
///
/// Regularisation as Keras's `kernel_regularizer` and `kernel_constraint`: an L1/L2
/// penalty on the weight (never the bias) added to the loss, and a max-norm constraint on
/// each output unit's weight row applied after every optimizer step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dense<const IN: usize, const OUT: usize> {
    /// Initialiser of the weight (fan_in = IN, fan_out = OUT).
    pub init: Init,
    /// Initialiser of the bias.
    pub bias_init: Init,
    /// Penalty `λ₁ Σ|w| + λ₂ Σw²` on the weight; zero factors mean none.
    pub kernel_regularizer: L1L2,
    /// Largest L2 norm of a weight row (one output unit) after each step, if any.
    pub max_norm: Option<f32>,
}

impl<const IN: usize, const OUT: usize> Default for Dense<IN, OUT> {
    /// PyTorch's default: weight and bias `U(-1/sqrt(IN), 1/sqrt(IN))`, no regularisation.
    fn default() -> Self {
        Dense {
            init: Init::Default,
            bias_init: Init::Default,
            kernel_regularizer: L1L2 { l1: 0.0, l2: 0.0 },
            max_norm: None,
        }
    }
}

/// The parameters of a [`Dense`] layer.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct DenseParams<const IN: usize, const OUT: usize> {
    /// `[out, in]`, PyTorch's `weight`.
    pub weight: [[f32; IN]; OUT],
    /// `[out]`, PyTorch's `bias`.
    pub bias: [f32; OUT],
}

// SAFETY: repr(C) of f32 arrays.
unsafe impl<const IN: usize, const OUT: usize> Zeroable for DenseParams<IN, OUT> {}
// SAFETY: repr(C) of f32 arrays: OUT*IN + OUT values without padding.
unsafe impl<const IN: usize, const OUT: usize> Flat for DenseParams<IN, OUT> {
    const LEN: usize = IN * OUT + OUT;
}

impl<const IN: usize, const OUT: usize> Weights for DenseParams<IN, OUT> {
    /// The `[out, in]` weight matrix, row-major; not the bias.
    fn weights(&self) -> &[f32] {
        self.weight.as_flat()
    }

    fn weights_mut(&mut self) -> &mut [f32] {
        self.weight.as_flat_mut()
    }
}

impl<const IN: usize, const OUT: usize> Forward for Dense<IN, OUT> {
    type Input = [f32; IN];
    type Output = [f32; OUT];
    type Params = DenseParams<IN, OUT>;
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, params: &Self::Params, _: &(), x: &[[f32; IN]], y: &mut [[f32; OUT]], _: &mut ()) {
        matmul_nt(x, &params.weight, &params.bias, y);
    }

    /// `weight` `[out, in]` and `bias` `[out]`, as `nn.Linear`.
    fn visit_tensors<V: TensorVisitor>(&self, params: &mut Self::Params, _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        v.tensor(&path.child("weight"), &[OUT, IN], params.weight.as_flat_mut());
        v.tensor(&path.child("bias"), &[OUT], &mut params.bias);
    }
}

impl<const IN: usize, const OUT: usize> Layer for Dense<IN, OUT> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, params: &mut Self::Params, _state: &mut (), rng: &mut R) {
        self.init.fill(params.weight.as_flat_mut(), IN, OUT, rng);
        self.bias_init.fill(&mut params.bias, IN, OUT, rng);
    }

    fn regularize(&self, params: &Self::Params, grads: &mut Self::Params) -> f32 {
        let penalty = self.kernel_regularizer;
        if penalty.l1 == 0.0 && penalty.l2 == 0.0 {
            return 0.0;
        }
        penalty.apply(params, grads)
    }

    fn constrain(&self, params: &mut Self::Params) {
        if let Some(c) = self.max_norm {
            max_norm(&mut params.weight, c);
        }
    }

    fn forward<const B: usize>(
        &self,
        params: &Self::Params,
        _state: &(),
        x: &[[f32; IN]],
        y: &mut [[f32; OUT]],
        _cache: &mut (),
        _mode: Mode,
    ) {
        matmul_nt(x, &params.weight, &params.bias, y);
    }

    fn backward<const B: usize>(
        &self,
        params: &Self::Params,
        x: &[[f32; IN]],
        y: &[[f32; OUT]],
        dy: &[[f32; OUT]],
        _cache: &mut (),
        dx: Option<&mut [[f32; IN]]>,
        grads: &mut Self::Params,
        mode: GradMode,
    ) {
        matmul_tn(mode.start(), dy, x, &mut grads.weight);
        if mode == GradMode::Overwrite {
            grads.bias = [0.0; OUT];
        }
        for row in dy {
            for (b, g) in grads.bias.iter_mut().zip(row) {
                *b += g;
            }
        }
        if let Some(dx) = dx {
            self.input_gradient::<B>(params, &(), x, y, dy, &mut (), dx);
        }
    }
}

impl<const IN: usize, const OUT: usize> InputGradient for Dense<IN, OUT> {
    /// `dx = dy W`.
    fn input_gradient<const B: usize>(
        &self,
        params: &Self::Params,
        _: &(),
        _: &[[f32; IN]],
        _: &[[f32; OUT]],
        dy: &[[f32; OUT]],
        _: &mut (),
        dx: &mut [[f32; IN]],
    ) {
        matmul(Start::Zero, dy, &params.weight[..], dx);
    }
}
