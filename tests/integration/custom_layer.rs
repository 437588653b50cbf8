//! A layer written by a user, outside staticnet, plugs into `network!` through the
//! `Forward` and `Layer` traits like the built-in ones: it trains, its gradients are checked, and its
//! tensors go into model files under its field name. It is neither `Copy` nor anything
//! else beyond what the README asks of a user layer: `Forward`, `Layer`, `Default`, `Clone`,
//! `Debug`.

use staticnet::RngCore;
use staticnet::prelude::*;
use staticnet::tensors::{TensorPath, TensorVisitor};

/// `y = a ⊙ x` with one learned scale per feature. Deliberately not `Copy`.
#[derive(Clone, Debug, Default)]
pub struct Scale<const N: usize>;

impl<const N: usize> Forward for Scale<N> {
    type Input = [f32; N];
    type Output = [f32; N];
    type Params = [f32; N];
    type State = ();
    type Scratch<const B: usize> = ();

    fn infer<const B: usize>(&self, a: &[f32; N], _: &(), x: &[[f32; N]], y: &mut [[f32; N]], _: &mut ()) {
        for (y, x) in y.iter_mut().zip(x) {
            for ((y, x), a) in y.iter_mut().zip(x).zip(a) {
                *y = a * x;
            }
        }
    }

    fn visit_tensors<V: TensorVisitor>(&self, params: &mut [f32; N], _: &mut (), path: &TensorPath<'_>, v: &mut V) {
        v.tensor(&path.child("weight"), &[N], params);
    }
}

impl<const N: usize> Layer for Scale<N> {
    type Cache<const B: usize> = ();

    fn init<R: RngCore + ?Sized>(&self, params: &mut [f32; N], _: &mut (), _: &mut R) {
        *params = [1.0; N];
    }

    fn forward<const B: usize>(&self, a: &[f32; N], _: &(), x: &[[f32; N]], y: &mut [[f32; N]], _: &mut (), _: Mode) {
        self.infer::<B>(a, &(), x, y, &mut ());
    }

    fn backward<const B: usize>(
        &self,
        a: &[f32; N],
        x: &[[f32; N]],
        _y: &[[f32; N]],
        dy: &[[f32; N]],
        _: &mut (),
        dx: Option<&mut [[f32; N]]>,
        da: &mut [f32; N],
        mode: GradMode,
    ) {
        if mode == GradMode::Overwrite {
            *da = [0.0; N];
        }
        for (x, dy) in x.iter().zip(dy) {
            for ((da, x), g) in da.iter_mut().zip(x).zip(dy) {
                *da += x * g;
            }
        }
        if let Some(dx) = dx {
            for (dx, dy) in dx.iter_mut().zip(dy) {
                for ((dx, g), a) in dx.iter_mut().zip(dy).zip(a) {
                    *dx = a * g;
                }
            }
        }
    }
}

network! {
    struct WithScale {
        input: [4],
        fc1: Dense(8, init = XavierUniform),
        Tanh,
        scale: Scale<8>,
        fc2: Dense(3),
    }
}

#[test]
fn a_user_layer_gets_its_gradient_checked_and_trains() {
    let model = Model::<WithScale>::new(4);
    assert_eq!(model.params.scale, [1.0; 8], "the user layer's init ran");
    assert_eq!(WithScale::PARAMS, (4 * 8 + 8) + 8 + (8 * 3 + 3));
    let x = [[0.5, -1.0, 0.3, 0.8], [1.2, 0.4, -0.7, 0.1]];
    let labels = [2, 0];
    let mut ws = Workspace::<WithScale, 2>::new();
    let mut at = model.clone();
    ws.compute_gradients(&mut at, &x, &labels, &CrossEntropyLoss).unwrap();
    let grads = *ws.grads();
    let loss = |m: &Model<WithScale>| -> f64 {
        let mut ws = Workspace::<WithScale, 2>::new();
        let out = ws.forward(m, &x, Mode::Eval).unwrap();
        CrossEntropyLoss.loss(out, &labels).unwrap() as f64
    };
    let eps = 1e-2f32;
    for i in 0..WithScale::PARAMS {
        let (mut plus, mut minus) = (model.clone(), model.clone());
        plus.params.as_flat_mut()[i] += eps;
        minus.params.as_flat_mut()[i] -= eps;
        let numeric = (loss(&plus) - loss(&minus)) / (2.0 * eps as f64);
        let analytic = grads.as_flat()[i] as f64;
        assert!((numeric - analytic).abs() < 1e-3 + 2e-2 * numeric.abs(), "param {i}: {analytic} vs {numeric}");
    }

    let mut trained = model.clone();
    let mut adam = Adam::<WithScale>::new(0.05);
    let first = ws.train_step(&mut trained, &x, &labels, &CrossEntropyLoss, &mut adam).unwrap();
    let mut last = first;
    for _ in 0..50 {
        last = ws.train_step(&mut trained, &x, &labels, &CrossEntropyLoss, &mut adam).unwrap();
    }
    assert!(last < first * 0.1, "{first} -> {last}");
    assert_ne!(trained.params.scale, [1.0; 8], "the user layer's parameters were updated");

    let bytes = trained.to_safetensors().unwrap();
    let mut loaded = Model::<WithScale>::new(9);
    loaded.load_safetensors(&bytes, std::path::Path::new("with_scale.safetensors")).unwrap();
    assert_eq!(loaded.params.scale, trained.params.scale, "saved under `scale.weight`");
}

network! {
    /// The user layer inside a residual block, after a network that holds one.
    struct Nesting {
        input: [4],
        inner: WithScale,
        block: Residual {
            scale: Scale<3>,
            Tanh,
        },
    }
}

#[test]
fn networks_of_a_user_layer_that_is_not_copy_clone_print_and_nest() {
    let model = Model::<Nesting>::new(1);
    let copy = model.clone();
    assert_eq!(copy.params.as_flat(), model.params.as_flat());
    assert!(format!("{:?}", model.net).contains("Scale"), "{:?}", model.net);
    let mut ws = Workspace::<Nesting, 1>::new();
    let out = ws.forward(&model, &[[0.5, -1.0, 0.3, 0.8]], Mode::Eval).unwrap();
    assert!(out[0].iter().all(|v| v.is_finite()), "{out:?}");
}

#[test]
fn a_user_layer_trains_fused_as_unfused_through_the_default_backward_update() {
    let x = [[0.5, -1.0, 0.3, 0.8]];
    let (mut unfused, mut fused) = (Model::<Nesting>::new(2), Model::<Nesting>::new(2));
    let (mut ws, mut fws) = (Workspace::<Nesting, 1>::new(), FusedWorkspace::<Nesting, 1>::new());
    let (mut adam, mut fused_adam) = (Adam::<Nesting>::new(0.05), Adam::<Nesting>::new(0.05));
    for step in 0..5 {
        let target = [[0.1 * step as f32, -0.2, 0.3]];
        let a = ws.train_step(&mut unfused, &x, &target, &MseLoss, &mut adam).unwrap();
        let b = fws.train_step(&mut fused, &x, &target, &MseLoss, &mut fused_adam).unwrap();
        assert_eq!(a.to_bits(), b.to_bits(), "step {step}");
    }
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(fused.params.as_flat()), bits(unfused.params.as_flat()));
    assert_eq!(bits(fused_adam.exp_avg_sq().as_flat()), bits(adam.exp_avg_sq().as_flat()));
    assert_ne!(fused.params.block.scale, [1.0; 3], "the user layer in the block was updated");
    // The largest layer is `inner.fc1`, 4 · 8 + 8.
    assert_eq!(<Nesting as Layer>::MAX_LAYER_PARAMS, 40);
}
