//! Generated networks: gradients of the whole network against finite differences, nesting,
//! parameter layout, memory constants and run-time errors.

use staticnet::prelude::*;

network! {
    /// A block used as a layer of other networks.
    #[allow(clippy::struct_field_names)]
    pub struct Block {
        input: [6],
        fc: Dense(5, init = XavierNormal),
        Tanh,
    }
}

network! {
    /// Every parameterised layer kind, and a nested network in the middle.
    struct Deep {
        input: [4],
        fc1: Dense(6, init = HeNormal, bias_init = Constant(0.1)),
        act1: Prelu,
        block: Block,
        act2: Elu(0.5),
        fc2: Dense(5, 3),
        Softmax,
    }
}

/// `sum(output * g)` for fixed weights `g`, so that every output element matters.
fn objective(model: &Model<Deep>, x: &[[f32; 4]], g: &[[f32; 3]]) -> f64 {
    let mut ws = Workspace::<Deep, 3>::new();
    let out = ws.forward(model, x, Mode::Eval).unwrap();
    out.iter().zip(g).flat_map(|(o, g)| o.iter().zip(g)).map(|(o, g)| (*o as f64) * (*g as f64)).sum()
}

#[test]
fn network_backward_matches_finite_differences_for_params_and_inputs() {
    let model = Model::<Deep>::new(3);
    let x = [[0.3, -0.7, 1.1, 0.05], [-1.2, 0.4, 0.9, -0.3], [0.8, 0.1, -0.6, 1.4]];
    let g = [[0.5, -1.0, 0.25], [1.5, 0.2, -0.7], [-0.3, 0.9, 0.4]];

    let mut cache: <Deep as Layer>::Cache<3> = zeroed();
    let mut y = [[0.0f32; 3]; 3];
    model.net.forward::<3>(&model.params, &model.state, &x, &mut y, &mut cache, Mode::Train);
    let mut grads = <Deep as Forward>::Params::zeroed();
    let mut dx = [[0.0f32; 4]; 3];
    model.net.backward::<3>(&model.params, &x, &y, &g, &mut cache, Some(&mut dx), &mut grads, GradMode::Overwrite);

    let eps = 1e-2f32;
    for i in 0..<Deep as Forward>::Params::LEN {
        let mut plus = model.clone();
        plus.params.as_flat_mut()[i] += eps;
        let mut minus = model.clone();
        minus.params.as_flat_mut()[i] -= eps;
        let numeric = (objective(&plus, &x, &g) - objective(&minus, &x, &g)) / (2.0 * eps as f64);
        let analytic = grads.as_flat()[i] as f64;
        assert!((numeric - analytic).abs() < 2e-3 + 2e-2 * numeric.abs(), "param {i}: {analytic} vs {numeric}");
    }
    for r in 0..3 {
        for c in 0..4 {
            let (mut xp, mut xm) = (x, x);
            xp[r][c] += eps;
            xm[r][c] -= eps;
            let numeric = (objective(&model, &xp, &g) - objective(&model, &xm, &g)) / (2.0 * eps as f64);
            let analytic = dx[r][c] as f64;
            assert!((numeric - analytic).abs() < 2e-3 + 2e-2 * numeric.abs(), "dx[{r}][{c}]: {analytic} vs {numeric}");
        }
    }
}

/// A zeroed cache: caches are `Zeroable`, so this is what a workspace holds before use.
fn zeroed<T: staticnet::Zeroable>() -> T {
    // SAFETY: `T: Zeroable`.
    unsafe { core::mem::zeroed() }
}

#[test]
fn parameters_are_one_block_with_typed_views_in_declaration_order() {
    let mut model = Model::<Deep>::new(0);
    assert_eq!(Deep::PARAMS, (4 * 6 + 6) + 1 + (6 * 5 + 5) + (5 * 3 + 3));
    assert_eq!(Deep::PARAM_BYTES, Deep::PARAMS * 4);
    assert_eq!(Block::PARAMS, 35);
    model.params.fc1.bias[0] = 42.0;
    model.params.act1[0] = 7.0;
    model.params.block.fc.weight[0][0] = 9.0;
    let flat = model.params.as_flat();
    assert_eq!(flat[24], 42.0, "fc1.bias follows fc1.weight [6, 4]");
    assert_eq!(flat[30], 7.0, "the PReLU slope follows fc1");
    assert_eq!(flat[31], 9.0, "the nested block follows");
    assert!(model.params.fc1.bias[1..].iter().all(|&b| b == 0.1), "bias_init = Constant(0.1)");
    assert_eq!(Model::<Deep>::new(0).params.as_flat(), Model::<Deep>::new(0).params.as_flat(), "seeded");
    assert_ne!(Model::<Deep>::new(0).params.as_flat(), Model::<Deep>::new(1).params.as_flat());
}

#[test]
fn memory_constants_are_the_real_sizes() {
    assert_eq!(Deep::PARAM_BYTES, core::mem::size_of::<<Deep as Forward>::Params>());
    assert_eq!(Workspace::<Deep, 32>::BYTES, core::mem::size_of::<Workspace<Deep, 32>>());
    assert_eq!(Model::<Deep>::BYTES, core::mem::size_of::<Model<Deep>>());
    // Per row: the activations of the 5 inner layers (widths 6, 6, 5, 5, 3; none works in
    // place), the two gradient buffers (each 6 wide: the gradients alternate 3, 5, 5, 6, 6
    // from the output back), the nested block's cache (its dense output, 5, and one
    // gradient buffer, 5), and the output and its gradient (3 each); then the parameter
    // gradients and the row count.
    // The parameter gradients take whole blocks of `BLOCK_ALIGN` bytes, as does the
    // workspace.
    let align = staticnet::cache_line::BLOCK_ALIGN;
    let floats = 32 * ((6 + 6 + 5 + 5 + 3) + (6 + 6) + (5 + 5) + 2 * 3);
    let bytes = floats * 4 + (4 * Deep::PARAMS).next_multiple_of(align) + core::mem::size_of::<usize>();
    assert_eq!(Workspace::<Deep, 32>::BYTES, bytes.next_multiple_of(align.max(core::mem::align_of::<usize>())));
}

#[test]
fn bad_batches_are_errors_not_panics() {
    let mut model = Model::<Deep>::new(0);
    let mut ws = Workspace::<Deep, 2>::new();
    let mut sgd = Sgd::new(0.1);
    let x = [[0.0f32; 4]; 3];
    assert_eq!(ws.forward(&model, &x, Mode::Eval).unwrap_err(), Error::BatchTooLarge { rows: 3, capacity: 2 });
    assert_eq!(ws.forward(&model, &x[..0], Mode::Eval).unwrap_err(), Error::EmptyBatch);
    let err = ws.train_step(&mut model, &x[..2], &[0], &SparseCategoricalCrossEntropy, &mut sgd).unwrap_err();
    assert_eq!(err, Error::TargetCount { outputs: 2, targets: 1 });
    let err = ws.train_step(&mut model, &x[..2], &[0, 3], &SparseCategoricalCrossEntropy, &mut sgd).unwrap_err();
    assert_eq!(err, Error::ClassOutOfRange { row: 1, class: 3, classes: 3 });
}

#[test]
fn nan_inputs_give_an_error_and_leave_parameters_unchanged() {
    network! {
        struct Reg {
            input: [2],
            fc: Dense(1),
        }
    }
    let mut model = Model::<Reg>::new(0);
    let before = model.params;
    let mut ws = Workspace::<Reg, 1>::new();
    let err = ws.train_step(&mut model, &[[f32::NAN, 1.0]], &[[0.0]], &MseLoss, &mut Sgd::new(0.1)).unwrap_err();
    assert!(matches!(err, Error::NonFiniteInput { row: 0, index: 0, value } if value.is_nan()), "{err:?}");
    assert_eq!(model.params.as_flat(), before.as_flat());
    assert!(err.to_string().contains("NaN"), "{err}");
}

#[test]
fn single_sample_predict_equals_the_batched_row() {
    let model = Model::<Deep>::new(5);
    let x = [[0.1, 0.2, 0.3, 0.4], [-0.5, 0.6, -0.7, 0.8]];
    let mut batch = Workspace::<Deep, 8>::new();
    let rows: Vec<[f32; 3]> = batch.forward(&model, &x, Mode::Eval).unwrap().to_vec();
    let mut one = Workspace::<Deep, 1>::new();
    assert_eq!(*one.predict(&model, &x[1]), rows[1]);
    assert!((rows[0].iter().sum::<f32>() - 1.0).abs() < 1e-6, "softmax output sums to 1");
}

#[test]
fn a_network_without_parameters_trains_as_a_no_op() {
    network! {
        struct Activations {
            input: [3],
            Relu,
            Tanh,
        }
    }
    assert_eq!(Activations::PARAMS, 0);
    let mut model = Model::<Activations>::new(0);
    assert!(model.params.as_flat().is_empty());
    let mut ws = Workspace::<Activations, 2>::new();
    let loss = ws.train_step(&mut model, &[[1.0, -1.0, 0.5]], &[[0.0; 3]], &MseLoss, &mut Sgd::new(0.1)).unwrap();
    assert!((loss - (1.0f32.tanh().powi(2) + 0.5f32.tanh().powi(2)) / 3.0).abs() < 1e-6);
}

network! {
    /// Two residual blocks on features.
    struct ResNet {
        input: [6],
        stem: Dense(8),
        Tanh,
        res1: Residual {
            fc: Dense(8),
            act: Tanh,
            proj: Dense(8, init = Normal(0.1)),
        },
        res2: Residual { Sigmoid },
        head: Dense(2),
    }
}

#[test]
fn residual_blocks_add_their_input_and_backpropagate_through_both_paths() {
    let model = Model::<ResNet>::new(11);
    assert_eq!(ResNet::PARAMS, (6 * 8 + 8) + 2 * (8 * 8 + 8) + (8 * 2 + 2));
    let x = [[0.2, -0.4, 0.6, -0.8, 1.0, 0.1], [-0.3, 0.5, 0.7, -0.1, 0.2, -0.6]];
    let g = [[1.0, -0.5], [0.3, 0.8]];
    let objective = |m: &Model<ResNet>, x: &[[f32; 6]]| -> f64 {
        let mut ws = Workspace::<ResNet, 2>::new();
        let out = ws.forward(m, x, Mode::Eval).unwrap();
        out.iter().zip(&g).flat_map(|(o, g)| o.iter().zip(g)).map(|(o, g)| (*o as f64) * (*g as f64)).sum()
    };
    let mut cache: <ResNet as Layer>::Cache<2> = zeroed();
    let mut y = [[0.0f32; 2]; 2];
    model.net.forward::<2>(&model.params, &model.state, &x, &mut y, &mut cache, Mode::Train);
    let mut grads = <ResNet as Forward>::Params::zeroed();
    let mut dx = [[0.0f32; 6]; 2];
    model.net.backward::<2>(&model.params, &x, &y, &g, &mut cache, Some(&mut dx), &mut grads, GradMode::Overwrite);
    let eps = 1e-2f32;
    for i in 0..ResNet::PARAMS {
        let (mut plus, mut minus) = (model.clone(), model.clone());
        plus.params.as_flat_mut()[i] += eps;
        minus.params.as_flat_mut()[i] -= eps;
        let numeric = (objective(&plus, &x) - objective(&minus, &x)) / (2.0 * eps as f64);
        let analytic = grads.as_flat()[i] as f64;
        assert!((numeric - analytic).abs() < 2e-3 + 2e-2 * numeric.abs(), "param {i}: {analytic} vs {numeric}");
    }
    for (r, c) in [(0, 0), (0, 5), (1, 2), (1, 4)] {
        let (mut xp, mut xm) = (x, x);
        xp[r][c] += eps;
        xm[r][c] -= eps;
        let numeric = (objective(&model, &xp) - objective(&model, &xm)) / (2.0 * eps as f64);
        assert!((numeric - dx[r][c] as f64).abs() < 2e-3 + 2e-2 * numeric.abs(), "dx[{r}][{c}]");
    }
}

network! {
    /// Within its budget: compiles.
    #[budget(ram = 64 KiB, batch = 4, optimizer = Momentum)]
    struct Fits {
        input: [64],
        fc1: Dense(64),
        Relu,
        fc2: Dense(10),
    }
}

#[test]
fn a_network_within_its_budget_compiles_and_the_figures_add_up() {
    let need = Model::<Fits>::BYTES + core::mem::size_of::<Momentum<Fits>>() + Workspace::<Fits, 4>::BYTES;
    assert!(need <= 64 * 1024, "{need}");
    assert_eq!(Momentum::<Fits>::STATE_BYTES, Fits::PARAM_BYTES.next_multiple_of(staticnet::cache_line::BLOCK_ALIGN));
}

/// Generated items are documented: a crate denying missing docs can declare networks.
#[deny(missing_docs)]
pub mod documented {
    use staticnet::prelude::*;

    network! {
        /// A documented public network.
        pub struct Public {
            input: [3],
            fc: Dense(2),
            Relu,
            res: Residual { Tanh },
        }
    }
}
