//! Finite-difference checks of the recurrent layers' backpropagation through time, for both
//! outputs (every step and the last step only), batches below the capacity, and gradient
//! accumulation; and the agreement of `infer`, `forward` and step-by-step streaming.

use crate::common;

use common::{FiniteDiff, check_gradients, forward_backward, zeroed_cache};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staticnet_core::flat::{flatten, flatten_mut};
use staticnet_core::layers::{Gru, LastStep, Lstm, Recurrent, Rnn, RnnNonlinearity, Sequence};
use staticnet_core::{Flat, Forward, GradMode, Layer, Mode};

/// Smooth cells (sigmoid and tanh gates).
const SMOOTH: FiniteDiff = FiniteDiff { eps: 1e-2, rtol: 1e-2, atol: 1e-3 };
/// The relu RNN: a small step, so that few pre-activations straddle the kink.
const KINKED: FiniteDiff = FiniteDiff { eps: 1e-3, rtol: 1e-2, atol: 2e-3 };

/// `layer` initialised from `seed` (weights scaled by `gain` to make the cells work harder
/// than PyTorch's small initial range would), checked on `rows` random sequences.
fn check<L: Layer, const CAP: usize>(what: &str, layer: &L, rows: usize, gain: f32, tol: FiniteDiff, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut params = L::Params::zeroed();
    layer.init(&mut params, &mut L::State::zeroed(), &mut rng);
    params.as_flat_mut().iter_mut().for_each(|p| *p *= gain);
    let mut x = vec![L::Input::zeroed(); rows];
    flatten_mut(&mut x).iter_mut().for_each(|v| *v = rng.random_range(-2.0..=2.0));
    let mut g = vec![L::Output::zeroed(); rows];
    flatten_mut(&mut g).iter_mut().for_each(|v| *v = rng.random_range(-1.0..=1.0));
    check_gradients::<L, CAP>(what, layer, &params, &L::State::zeroed(), Mode::Train, &x, &g, tol, &|_| {});

    // Accumulate adds the same gradients to what `grads` holds.
    let once = forward_backward::<L, CAP>(layer, &params, &x, &g);
    let mut cache = zeroed_cache::<L, CAP>();
    let mut y = vec![L::Output::zeroed(); rows];
    layer.forward::<CAP>(&params, &L::State::zeroed(), &x, &mut y, &mut cache, Mode::Train);
    let mut grads = once.grads;
    layer.backward::<CAP>(&params, &x, &y, &g, &mut cache, None, &mut grads, GradMode::Accumulate);
    for (twice, once) in grads.as_flat().iter().zip(once.grads.as_flat()) {
        assert!(
            (twice - 2.0 * once).abs() <= 1e-5 * (1.0 + once.abs()),
            "{what}: accumulate gave {twice}, not 2 × {once}"
        );
    }

    // Inference gives what the training forward pass gives.
    let mut scratch = zeroed_scratch::<L, CAP>();
    let mut inferred = vec![L::Output::zeroed(); rows];
    layer.infer::<CAP>(&params, &L::State::zeroed(), &x, &mut inferred, &mut scratch);
    assert_eq!(flatten(&inferred), flatten(&once.y), "{what}: infer and forward differ");
}

fn zeroed_scratch<L: Forward, const CAP: usize>() -> Box<L::Scratch<CAP>> {
    // SAFETY: `Forward::Scratch<B>: Zeroable`.
    unsafe { Box::<L::Scratch<CAP>>::new_zeroed().assume_init() }
}

#[test]
fn lstm_gradients() {
    check::<Lstm<5, 3, 4, LastStep>, 3>("Lstm<5, 3, 4> last step", &Lstm::default(), 3, 2.0, SMOOTH, 1);
    check::<Lstm<4, 2, 3, Sequence>, 4>("Lstm<4, 2, 3> sequence, 2 of 4 rows", &Lstm::default(), 2, 2.0, SMOOTH, 2);
    check::<Lstm<1, 5, 9, Sequence>, 2>("Lstm<1, 5, 9> one step", &Lstm::default(), 2, 1.0, SMOOTH, 3);
}

#[test]
fn gru_gradients() {
    check::<Gru<5, 4, 3, LastStep>, 3>("Gru<5, 4, 3> last step", &Gru::default(), 3, 2.0, SMOOTH, 4);
    check::<Gru<6, 2, 5, Sequence>, 4>("Gru<6, 2, 5> sequence, 3 of 4 rows", &Gru::default(), 3, 2.0, SMOOTH, 5);
    check::<Gru<1, 3, 2, Sequence>, 1>("Gru<1, 3, 2> one step", &Gru::default(), 1, 1.0, SMOOTH, 6);
}

#[test]
fn rnn_gradients() {
    let tanh = Rnn::new(RnnNonlinearity::Tanh);
    check::<Rnn<5, 3, 4, LastStep>, 3>("Rnn(tanh)<5, 3, 4> last step", &tanh, 3, 2.0, SMOOTH, 7);
    let tanh = Rnn::new(RnnNonlinearity::Tanh);
    check::<Rnn<4, 2, 6, Sequence>, 2>("Rnn(tanh)<4, 2, 6> sequence", &tanh, 2, 2.0, SMOOTH, 8);
    let relu = Rnn::new(RnnNonlinearity::Relu);
    check::<Rnn<5, 3, 4, LastStep>, 3>("Rnn(relu)<5, 3, 4> last step", &relu, 3, 1.0, KINKED, 9);
    let relu = Rnn::new(RnnNonlinearity::Relu);
    check::<Rnn<4, 2, 6, Sequence>, 2>("Rnn(relu)<4, 2, 6> sequence", &relu, 2, 1.0, KINKED, 10);
}

/// Stepping one input at a time from a reset state gives the whole-sequence output, and the
/// state can be read, saved and set again to resume a stream.
fn check_streaming<L, const T: usize, const F: usize, const H: usize>(what: &str, layer: &L, seed: u64)
where
    L: Layer<Input = [[f32; F]; T], Output = [f32; H]> + Recurrent<Step = [f32; F], Hidden = [f32; H]>,
{
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut params = L::Params::zeroed();
    layer.init(&mut params, &mut L::State::zeroed(), &mut rng);
    let mut x = [[0.0f32; F]; T];
    x.as_flat_mut().iter_mut().for_each(|v| *v = rng.random_range(-2.0..=2.0));
    let mut whole = [[0.0f32; H]];
    let mut scratch = zeroed_scratch::<L, 1>();
    layer.infer::<1>(&params, &L::State::zeroed(), &[x], &mut whole, &mut scratch);

    let mut carry = L::Carry::zeroed();
    carry.as_flat_mut().fill(0.5);
    layer.reset(&mut carry);
    let mut saved = carry;
    let mut last = [f32::NAN; H];
    for (t, x_t) in x.iter().enumerate() {
        if t == T / 2 {
            saved = carry;
            // Another stream runs on the same layer in between...
            let mut other = L::Carry::zeroed();
            layer.step(&params, &mut other, &[1.0; F]);
            // ... and this one resumes from its saved state.
            carry = saved;
        }
        last = *layer.step(&params, &mut carry, x_t);
    }
    assert_ne!(saved.as_flat(), carry.as_flat(), "{what}: the state did not move");
    // Equal up to rounding: one step is a one-row product, a whole sequence a T-row one.
    for (s, w) in last.iter().zip(&whole[0]) {
        assert!((s - w).abs() <= 1e-6, "{what}: streaming gives {last:?}, the whole sequence {:?}", whole[0]);
    }
    // The hidden state is the first H values of the carry (h, then c for an LSTM).
    assert_eq!(&carry.as_flat()[..H], &last[..], "{what}: the carry does not hold h");
}

#[test]
fn streaming_matches_the_whole_sequence() {
    check_streaming::<Lstm<7, 3, 4, LastStep>, 7, 3, 4>("Lstm", &Lstm::default(), 11);
    check_streaming::<Gru<7, 3, 4, LastStep>, 7, 3, 4>("Gru", &Gru::default(), 12);
    check_streaming::<Rnn<7, 3, 4, LastStep>, 7, 3, 4>("Rnn", &Rnn::default(), 13);
}

/// Random parameters (PyTorch's initialisation scaled by 2), inputs and upstream gradients
/// for `rows` sequences.
fn random_case<L: Layer>(layer: &L, rows: usize, seed: u64) -> (L::Params, Vec<L::Input>, Vec<L::Output>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut params = L::Params::zeroed();
    layer.init(&mut params, &mut L::State::zeroed(), &mut rng);
    params.as_flat_mut().iter_mut().for_each(|p| *p *= 2.0);
    let mut x = vec![L::Input::zeroed(); rows];
    flatten_mut(&mut x).iter_mut().for_each(|v| *v = rng.random_range(-2.0..=2.0));
    let mut g = vec![L::Output::zeroed(); rows];
    flatten_mut(&mut g).iter_mut().for_each(|v| *v = rng.random_range(-1.0..=1.0));
    (params, x, g)
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1.0),
            "{what}[{i}]: {a} stepped as a batch, {b} one sequence at a time"
        );
    }
}

/// The layers step a batch's sequences together (input products over all of them, `B`-row
/// recurrent products per step); that gives what the single-sequence forms, which match
/// PyTorch (`reference_rnn`), give one sequence at a time from the zero state. 7 sequences
/// of 8 steps in a capacity of 8: the batch products take the kernels' many-row paths and a
/// partial batch.
#[test]
fn stepping_a_batch_together_matches_one_sequence_at_a_time() {
    use staticnet_core::layers::{GruSteps, LstmState, LstmSteps, RecurrentParams, RnnSteps};
    const T: usize = 8;
    const F: usize = 6;
    const H: usize = 20;
    const N: usize = 7;
    fn zeroed<Z: staticnet_core::flat::Zeroable>() -> Z {
        // SAFETY: `Zeroable` types are valid as all-zero bytes.
        unsafe { core::mem::zeroed() }
    }

    let lstm = Lstm::<T, F, H, Sequence>::default();
    let (p, x, g) = random_case(&lstm, N, 21);
    let batch = forward_backward::<_, 8>(&lstm, &p, &x, &g);
    let (mut y, mut dx, mut grads) = (Vec::new(), vec![[[0.0; F]; T]; N], RecurrentParams::<4, F, H>::zeroed());
    for i in 0..N {
        let mut steps = zeroed::<LstmSteps<T, H>>();
        lstm.forward_sequence(&p, &x[i], &LstmState::zeroed(), &mut steps);
        y.push(steps.h);
        let mut d_initial = LstmState::zeroed();
        let dgates = &mut [[[0.0; H]; T]; 4];
        let zero = LstmState::zeroed();
        lstm.backward_sequence(&p, &x[i], &steps, &g[i], &zero, &mut d_initial, Some(&mut dx[i]), &mut grads, dgates);
    }
    assert_close("Lstm y", flatten(&batch.y), flatten(&y));
    assert_close("Lstm dx", flatten(&batch.dx), flatten(&dx));
    assert_close("Lstm grads", batch.grads.as_flat(), grads.as_flat());

    let gru = Gru::<T, F, H, LastStep>::default();
    let (p, x, g) = random_case(&gru, N, 22);
    let batch = forward_backward::<_, 8>(&gru, &p, &x, &g);
    let (mut y, mut dx, mut grads) = (Vec::new(), vec![[[0.0; F]; T]; N], RecurrentParams::<3, F, H>::zeroed());
    for i in 0..N {
        let mut steps = zeroed::<GruSteps<T, H>>();
        gru.forward_sequence(&p, &x[i], &[0.0; H], &mut steps);
        y.push(steps.h[T - 1]);
        let (mut d_initial, scratch) = ([0.0; H], (&mut [[[0.0; H]; T]; 3], &mut [[[0.0; H]; T]; 3]));
        gru.backward_sequence(
            &p,
            &x[i],
            &steps,
            &g[i],
            &[0.0; H],
            &mut d_initial,
            Some(&mut dx[i]),
            &mut grads,
            scratch,
        );
    }
    assert_close("Gru y", flatten(&batch.y), flatten(&y));
    assert_close("Gru dx", flatten(&batch.dx), flatten(&dx));
    assert_close("Gru grads", batch.grads.as_flat(), grads.as_flat());

    for nonlinearity in [RnnNonlinearity::Tanh, RnnNonlinearity::Relu] {
        let rnn = Rnn::<T, F, H, Sequence>::new(nonlinearity);
        let (p, x, g) = random_case(&rnn, N, 23);
        let batch = forward_backward::<_, 8>(&rnn, &p, &x, &g);
        let (mut y, mut dx, mut grads) = (Vec::new(), vec![[[0.0; F]; T]; N], RecurrentParams::<1, F, H>::zeroed());
        for i in 0..N {
            let mut steps = zeroed::<RnnSteps<T, H>>();
            rnn.forward_sequence(&p, &x[i], &[0.0; H], &mut steps);
            y.push(steps.h);
            let (mut d_initial, dpre) = ([0.0; H], &mut [[[0.0; H]; T]; 1]);
            rnn.backward_sequence(
                &p,
                &x[i],
                &steps,
                &g[i],
                &[0.0; H],
                &mut d_initial,
                Some(&mut dx[i]),
                &mut grads,
                dpre,
            );
        }
        assert_close(&format!("Rnn({nonlinearity:?}) y"), flatten(&batch.y), flatten(&y));
        assert_close(&format!("Rnn({nonlinearity:?}) dx"), flatten(&batch.dx), flatten(&dx));
        assert_close(&format!("Rnn({nonlinearity:?}) grads"), batch.grads.as_flat(), grads.as_flat());
    }
}
