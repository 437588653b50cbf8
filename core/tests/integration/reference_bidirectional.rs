//! Agreement with PyTorch for the bidirectional recurrent layers: every case of
//! `tests/reference/recurrent_bidirectional.json` (`nn.LSTM`, `nn.GRU`, `nn.RNN` with
//! `bidirectional=True, batch_first=True`, zero initial state), compared within
//! `|a - e| <= 1e-5 * max(1, |e|)`.
//!
//! The parameters are read from the case and the gradients compared through
//! `visit_tensors`, by PyTorch's names (`weight_ih_l0`, ..., `weight_ih_l0_reverse`, ...),
//! so the names, their order and the layout are checked too. Each case's loss is
//! `sum(y * g) + sum(h_n * gh)`. Through [`Sequence`], `h_n` is `y[:, T-1, :H]` and
//! `y[:, 0, H:]`, so `gh` is folded into `g` there; the last-step cases (`g = 0`) also run
//! through [`LastStep`], whose output is `h_n` itself.

use crate::common;

use common::{Case, RTOL, assert_close, check_every_case, forward_backward};
use staticnet_core::flat::flatten;
use staticnet_core::layers::{Bidirectional, Directional, Gru, LastStep, Lstm, Rnn, RnnNonlinearity, Sequence};
use staticnet_core::tensors::{TensorPath, TensorVisitor};
use staticnet_core::{Flat, Forward, Layer};

#[test]
fn bidirectional_layers_match_pytorch() {
    let cases = check_every_case("recurrent_bidirectional.json", |case| {
        let shape = &case.input("x").shape;
        let (b, t) = (shape[0], shape[1]);
        match (case.input_str("mode"), t) {
            ("LSTM", 5) => check::<5, 3, 4, 8, _>(case, b, Lstm::<5, 3, 4, Sequence>::default()),
            ("LSTM", 4) => check::<4, 3, 4, 8, _>(case, b, Lstm::<4, 3, 4, Sequence>::default()),
            ("GRU", 5) => check::<5, 4, 3, 6, _>(case, b, Gru::<5, 4, 3, Sequence>::default()),
            ("GRU", 4) => check::<4, 4, 3, 6, _>(case, b, Gru::<4, 4, 3, Sequence>::default()),
            ("RNN_TANH", 5) => {
                check::<5, 3, 5, 10, _>(case, b, Rnn::<5, 3, 5, Sequence>::default());
            }
            ("RNN_RELU", 4) => {
                let relu = Rnn::<4, 2, 5, Sequence>::new(RnnNonlinearity::Relu);
                check::<4, 2, 5, 10, _>(case, b, relu);
            }
            (mode, t) => panic!("no test for {mode} with {t} steps ({})", case.name),
        }
    });
    assert_eq!(cases, 6);
}

/// Fills each named tensor from the case's input of that name (`prefix` + name).
struct FromCase<'c>(&'c Case, &'static str, Vec<String>);

impl TensorVisitor for FromCase<'_> {
    fn tensor(&mut self, path: &TensorPath<'_>, shape: &[usize], data: &mut [f32]) {
        let name = path.to_string();
        let tensor = self.0.input(&format!("{}{name}", self.1));
        assert_eq!(tensor.shape, shape, "{}: shape of {name}", self.0.name);
        data.iter_mut().zip(&tensor.data).for_each(|(d, &v)| *d = v as f32);
        self.2.push(name);
    }
}

/// Compares each named tensor with the case's expected `d` + name.
struct ExpectedGrads<'c>(&'c Case, &'static str);

impl TensorVisitor for ExpectedGrads<'_> {
    fn tensor(&mut self, path: &TensorPath<'_>, _: &[usize], data: &mut [f32]) {
        let key = format!("d{path}");
        assert_close(&format!("{} {key} ({})", self.0.name, self.1), data, &self.0.expected(&key).data, RTOL);
    }
}

/// One case through `Bidirectional<L, Sequence>` (and, for the last-step cases, through
/// `Bidirectional<L, LastStep>`).
fn check<const T: usize, const F: usize, const H: usize, const H2: usize, L>(case: &Case, b: usize, one_way: L)
where
    L: Layer<Input = [[f32; F]; T], Output = [[f32; H]; T], State = ()> + Copy,
    L::Params: Directional,
{
    let name = &case.name;
    let layer = Bidirectional::<T, F, H, H2, L, Sequence>::new(one_way);
    let mut params = <Bidirectional<T, F, H, H2, L, Sequence> as Forward>::Params::zeroed();
    let mut read = FromCase(case, "", Vec::new());
    layer.visit_tensors(&mut params, &mut (), &TensorPath::ROOT, &mut read);
    let names: Vec<String> = ["", "_reverse"]
        .iter()
        .flat_map(|s| ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"].map(|n| format!("{n}{s}")))
        .collect();
    assert_eq!(read.2, names, "{name}: tensor names");

    let x: Vec<[[f32; F]; T]> = case.input("x").to_blocks(&[b, T, F]);
    let mut g: Vec<[[f32; H2]; T]> = case.input("g").to_blocks(&[b, T, H2]);
    let gh: Vec<[f32; H]> = case.input("gh").reshaped(&[2 * b, H]).to_blocks(&[2 * b, H]);
    for (i, g) in g.iter_mut().enumerate() {
        g[T - 1][..H].iter_mut().zip(&gh[i]).for_each(|(a, b)| *a += b);
        g[0][H..].iter_mut().zip(&gh[b + i]).for_each(|(a, b)| *a += b);
    }
    let pass = forward_backward::<_, 4>(&layer, &params, &x, &g);
    assert_close(&format!("{name} y"), flatten(&pass.y), &case.expected("y").data, RTOL);
    assert_close(&format!("{name} dx"), flatten(&pass.dx), &case.expected("dx").data, RTOL);
    let mut grads = pass.grads;
    layer.visit_tensors(&mut grads, &mut (), &TensorPath::ROOT, &mut ExpectedGrads(case, "Sequence"));

    // Inference gives the training pass's output.
    let mut scratch =
        staticnet_core::flat::boxed_zeroed::<<Bidirectional<T, F, H, H2, L, Sequence> as Forward>::Scratch<4>>();
    let mut y = vec![[[0.0; H2]; T]; b];
    layer.infer::<4>(&params, &(), &x, &mut y, &mut scratch);
    assert_eq!(flatten(&y), flatten(&pass.y), "{name}: infer and forward differ");

    if case.input("g").data.iter().all(|&v| v == 0.0) {
        let last = Bidirectional::<T, F, H, H2, L, LastStep>::new(one_way);
        // dy = [gh forward, gh reverse] for each sequence.
        let dy: Vec<[f32; H2]> = (0..b)
            .map(|i| {
                let mut d = [0.0; H2];
                d[..H].copy_from_slice(&gh[i]);
                d[H..].copy_from_slice(&gh[b + i]);
                d
            })
            .collect();
        let pass = forward_backward::<_, 4>(&last, &params, &x, &dy);
        // PyTorch's h_n is [2, B, H]; the output is [B, 2H].
        let h_n = &case.expected("h_n").data;
        let expected: Vec<f64> = (0..b).flat_map(|i| [&h_n[i * H..][..H], &h_n[(b + i) * H..][..H]].concat()).collect();
        assert_close(&format!("{name} h_n (LastStep)"), flatten(&pass.y), &expected, RTOL);
        assert_close(&format!("{name} dx (LastStep)"), flatten(&pass.dx), &case.expected("dx").data, RTOL);
        let mut grads = pass.grads;
        last.visit_tensors(&mut grads, &mut (), &TensorPath::ROOT, &mut ExpectedGrads(case, "LastStep"));
    }
}

#[test]
fn a_bidirectional_layer_is_zero_sized_beyond_its_layer_and_has_two_parameter_sets() {
    type Bi = Bidirectional<6, 3, 4, 8, Lstm<6, 3, 4, Sequence>, LastStep>;
    assert_eq!(<Bi as Layer>::PARAMS, 2 * <Lstm<6, 3, 4, Sequence> as Layer>::PARAMS);
    assert_eq!(size_of::<Bi>(), size_of::<Lstm<6, 3, 4, Sequence>>());
}
