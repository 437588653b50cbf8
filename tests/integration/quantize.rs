//! Int8 inference (issue 15): the int8 networks `network!` generates agree bit for bit
//! with an integer reference written here from the quantization formulas, stay close to
//! the f32 networks, and reject bad input with an `Error`.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staticnet::prelude::*;
use staticnet::quantize::{QuantizedNetwork, Requantize};

network! {
    /// A small MLP: Dense + fused ReLU, then Dense.
    struct QMlp {
        input: [12],
        fc1: Dense(16),
        Relu,
        drop: Dropout(0.2),
        fc2: Dense(5),
    }
}

network! {
    /// Convolutions with a folded batch norm, padding and stride, max pooling, a ReLU on
    /// its own (after dropout) and a dense layer after flattening.
    struct QCnn {
        input: [2, 9, 9],
        conv1: Conv2d(4, kernel_size = 3, padding = 1),
        bn1: BatchNorm,
        Relu,
        pool1: MaxPool2d(2),
        conv2: Conv2d(3, kernel_size = 3, stride = 2, padding = 1),
        drop: Dropout(0.1),
        relu2: Relu,
        flat: Flatten,
        fc: Dense(4),
    }
}

network! {
    /// An LSTM, which has no int8 form.
    struct QSeq {
        input: [5, 3],
        lstm: Lstm(4),
        fc: Dense(2),
    }
}

network! {
    /// A dense layer with a batch norm to fold, then a ReLU.
    struct QDenseBn {
        input: [12],
        fc1: Dense(16),
        bn: BatchNorm,
        Relu,
        fc2: Dense(3),
    }
}

network! {
    /// No layer with weights: nothing to quantize.
    struct QNoWeights {
        input: [6],
        Relu,
        drop: Dropout(0.5),
    }
}

fn samples<const N: usize>(seed: u64, n: usize) -> Vec<[f32; N]> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(|_| core::array::from_fn(|_| rng.random_range(-1.0..2.0))).collect()
}

/// A model with random weights and batch norm statistics far from the identity.
fn cnn_model(seed: u64) -> Model<QCnn> {
    let mut model = Model::<QCnn>::new(seed);
    let mut rng = SmallRng::seed_from_u64(seed + 1);
    for c in 0..4 {
        model.params.bn1.weight[c] = rng.random_range(0.5..2.0);
        model.params.bn1.bias[c] = rng.random_range(-0.5..0.5);
        model.state.bn1.running_mean[c] = rng.random_range(-0.3..0.3);
        model.state.bn1.running_var[c] = rng.random_range(0.2..3.0);
    }
    model
}

// ---- The integer reference, from the formulas, not from staticnet's kernels. ----

/// `floor(n / d)` for `d > 0`.
fn floor_div(n: i128, d: i128) -> i128 {
    n.div_euclid(d)
}

/// gemmlowp's requantization as exact arithmetic: `h = round(x · m / 2^31)` with ties
/// toward +inf, then `round(h / 2^-shift)` with ties away from zero, `x = acc · 2^shift`
/// for a positive shift (saturated to i32).
fn reference_requantize(acc: i32, r: Requantize) -> i32 {
    let x = ((acc as i128) << r.shift.max(0)).clamp(i32::MIN as i128, i32::MAX as i128);
    let high = floor_div(2 * x * r.multiplier as i128 + (1 << 31), 1 << 32);
    let right = (-r.shift).max(0);
    if right == 0 {
        return high as i32;
    }
    let d = 1i128 << right;
    let magnitude = floor_div(2 * high.abs() + d, 2 * d);
    (high.signum() * magnitude) as i32
}

/// `clamp(zero_point + requantize(acc), min, 127)`.
fn reference_output(acc: i32, r: Requantize, zero_point: i32, min: i8) -> i8 {
    (zero_point + reference_requantize(acc, r)).clamp(min as i32, 127) as i8
}

/// `clamp(round(x / scale) + zero_point, -128, 127)`, rounding half away from zero.
fn reference_quantize(x: &[f32], scale: f32, zero_point: i32) -> Vec<i8> {
    x.iter().map(|&v| ((v / scale).round() + zero_point as f32).clamp(-128.0, 127.0) as i8).collect()
}

/// A dense layer: `acc[o] = bias[o] + Σ_k W[o][k] (x[k] - zx)`, as naive indexed loops.
#[allow(clippy::needless_range_loop)]
fn reference_dense<const IN: usize, const OUT: usize>(
    q: &staticnet::quantize::QuantizedDense<IN, OUT>,
    x: &[i8],
) -> Vec<i8> {
    assert_eq!(x.len(), IN);
    (0..OUT)
        .map(|o| {
            let mut acc = q.bias[o];
            for k in 0..IN {
                acc += q.weight[o][k] as i32 * (x[k] as i32 - q.input_zero_point);
            }
            reference_output(acc, q.requantize[o], q.output_zero_point, q.min)
        })
        .collect()
}

/// A convolution over `[c][h][w]`, square kernel, stride and padding, padding skipped
/// (it is real 0, code zx).
#[allow(clippy::too_many_arguments)]
fn reference_conv(
    x: &[i8],
    [c, h, w]: [usize; 3],
    weight: &[i8],
    [oc, k, stride, pad]: [usize; 4],
    bias: &[i32],
    requantize: &[Requantize],
    [zx, zy]: [i32; 2],
    min: i8,
) -> Vec<i8> {
    let (oh, ow) = ((h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1);
    let mut y = Vec::new();
    for o in 0..oc {
        for i in 0..oh {
            for j in 0..ow {
                let mut acc = bias[o];
                for ci in 0..c {
                    for u in 0..k {
                        for v in 0..k {
                            let (r, s) =
                                ((i * stride + u) as isize - pad as isize, (j * stride + v) as isize - pad as isize);
                            if r < 0 || s < 0 || r >= h as isize || s >= w as isize {
                                continue;
                            }
                            let xv = x[(ci * h + r as usize) * w + s as usize] as i32;
                            acc += weight[((o * c + ci) * k + u) * k + v] as i32 * (xv - zx);
                        }
                    }
                }
                y.push(reference_output(acc, requantize[o], zy, min));
            }
        }
    }
    y
}

/// 2x2 max pooling, stride 2, no padding.
fn reference_pool(x: &[i8], [c, h, w]: [usize; 3]) -> Vec<i8> {
    let mut y = Vec::new();
    for ci in 0..c {
        for i in 0..h / 2 {
            for j in 0..w / 2 {
                let at = |r: usize, s: usize| x[(ci * h + r) * w + s];
                y.push(
                    at(2 * i, 2 * j).max(at(2 * i, 2 * j + 1)).max(at(2 * i + 1, 2 * j)).max(at(2 * i + 1, 2 * j + 1)),
                );
            }
        }
    }
    y
}

fn dequantize(q: &[i8], scale: f32, zero_point: i32) -> Vec<f32> {
    q.iter().map(|&v| scale * (v as i32 - zero_point) as f32).collect()
}

// ---- Exactness ----

#[test]
fn the_int8_mlp_matches_the_integer_reference_bit_for_bit() {
    let model = Model::<QMlp>::new(3);
    let q = QMlp::quantize(&model, &samples::<12>(4, 50)).unwrap();
    let mut scratch: QMlpInt8Scratch = staticnet::flat::zeroed();
    let (mut saturated, mut clamped) = (0, 0);
    for x in samples::<12>(5, 40) {
        let xq = reference_quantize(&x, q.input.scale, q.input.zero_point);
        let h = reference_dense(&q.fc1, &xq);
        clamped += h.iter().filter(|&&v| v as i32 == q.fc1.min as i32).count();
        let y = reference_dense(&q.fc2, &h);
        saturated += y.iter().filter(|&&v| v == 127 || v == -128).count();
        let logits = dequantize(&y, q.output.scale, q.output.zero_point);

        let xq_array: [i8; 12] = xq.clone().try_into().unwrap();
        assert_eq!(q.infer_int8(&xq_array, &mut scratch), &y[..]);
        assert_eq!(scratch.fc1, &h[..]);
        assert_eq!(
            q.predict(&x, &mut scratch).map(f32::to_bits),
            logits.iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..]
        );
    }
    // The fused ReLU clamps (at its zero point, -128) and the test inputs reach the edges.
    assert_eq!(q.fc1.min as i32, q.fc1.output_zero_point);
    assert!(clamped > 0 && saturated > 0, "clamped {clamped}, saturated {saturated}");
    assert_eq!(q.fc2.min, i8::MIN);
}

#[test]
fn the_int8_cnn_matches_the_integer_reference_bit_for_bit() {
    let model = cnn_model(6);
    let q = QCnn::quantize(&model, &samples::<162>(7, 30).iter().map(image).collect::<Vec<_>>()).unwrap();
    let mut scratch: QCnnInt8Scratch = staticnet::flat::zeroed();
    for x in samples::<162>(8, 20).iter().map(image) {
        let xq = reference_quantize(staticnet::Flat::as_flat(&x), q.input.scale, q.input.zero_point);
        let c1 = &q.conv1;
        let a1 = reference_conv(
            &xq,
            [2, 9, 9],
            c1.weight.as_flattened().as_flattened().as_flattened(),
            [4, 3, 1, 1],
            &c1.bias,
            &c1.requantize,
            [c1.input_zero_point, c1.output_zero_point],
            c1.min,
        );
        let p1 = reference_pool(&a1, [4, 9, 9]);
        let c2 = &q.conv2;
        let a2 = reference_conv(
            &p1,
            [4, 4, 4],
            c2.weight.as_flattened().as_flattened().as_flattened(),
            [3, 3, 2, 1],
            &c2.bias,
            &c2.requantize,
            [c2.input_zero_point, c2.output_zero_point],
            c2.min,
        );
        let r2: Vec<i8> = a2.iter().map(|&v| v.max(c2.output_zero_point as i8)).collect();
        let y = reference_dense(&q.fc, &r2);

        let xq_array: [[[i8; 9]; 9]; 2] = image_i8(&xq);
        assert_eq!(q.infer_int8(&xq_array, &mut scratch), &y[..]);
        assert_eq!(scratch.conv1.as_flattened().as_flattened(), &a1[..]);
        assert_eq!(scratch.pool1.as_flattened().as_flattened(), &p1[..]);
        assert_eq!(scratch.relu2.as_flattened().as_flattened(), &r2[..]);
        let logits = dequantize(&y, q.output.scale, q.output.zero_point);
        assert_eq!(
            q.predict(&x, &mut scratch).map(f32::to_bits),
            logits.iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..]
        );
    }
    // The second convolution has no fused ReLU (dropout comes between): its clamp is -128,
    // and the ReLU on its own clamps at the zero point.
    assert_eq!(q.conv2.min, i8::MIN);
    assert_eq!(q.relu2.zero_point as i32, q.conv2.output_zero_point);
    assert_eq!(q.conv1.min as i32, q.conv1.output_zero_point);
}

fn image(x: &[f32; 162]) -> [[[f32; 9]; 9]; 2] {
    core::array::from_fn(|c| core::array::from_fn(|i| core::array::from_fn(|j| x[(c * 9 + i) * 9 + j])))
}

fn image_i8(x: &[i8]) -> [[[i8; 9]; 9]; 2] {
    core::array::from_fn(|c| core::array::from_fn(|i| core::array::from_fn(|j| x[(c * 9 + i) * 9 + j])))
}

// ---- Closeness to f32 (the scales, the batch norm folding) ----

/// The largest difference between the int8 and f32 outputs, as a fraction of the f32
/// outputs' range.
fn relative_error<N: Forward, Q: QuantizedNetwork<Input = N::Input, Output = N::Output>>(
    model: &Model<N>,
    q: &Q,
    scratch: &mut Q::Scratch,
    inputs: &[N::Input],
) -> f32 {
    let mut ws = InferenceWorkspace::<N, 1>::new_boxed();
    let (mut worst, mut low, mut high) = (0.0f32, f32::INFINITY, f32::NEG_INFINITY);
    for x in inputs {
        let f = *ws.predict(model, x);
        let i = q.predict(x, scratch);
        for (&a, &b) in staticnet::Flat::as_flat(&f).iter().zip(staticnet::Flat::as_flat(&i)) {
            worst = worst.max((a - b).abs());
            (low, high) = (low.min(a), high.max(a));
        }
    }
    worst / (high - low)
}

#[test]
fn the_int8_networks_stay_close_to_the_f32_ones() {
    let model = Model::<QMlp>::new(9);
    let q = QMlp::quantize(&model, &samples::<12>(10, 200)).unwrap();
    let error = relative_error(&model, &q, &mut staticnet::flat::zeroed(), &samples::<12>(11, 100));
    assert!(error < 0.03, "mlp: {error}");

    let model = cnn_model(12);
    let calibration: Vec<_> = samples::<162>(13, 200).iter().map(image).collect();
    let q = QCnn::quantize(&model, &calibration).unwrap();
    let tests: Vec<_> = samples::<162>(14, 100).iter().map(image).collect();
    let error = relative_error(&model, &q, &mut staticnet::flat::zeroed(), &tests);
    assert!(error < 0.05, "cnn: {error}");

    // A batch norm after a dense layer folds as after a convolution.
    let mut model = Model::<QDenseBn>::new(15);
    let mut rng = SmallRng::seed_from_u64(16);
    for c in 0..16 {
        model.params.bn.weight[c] = rng.random_range(0.5..2.0);
        model.params.bn.bias[c] = rng.random_range(-0.5..0.5);
        model.state.bn.running_mean[c] = rng.random_range(-0.3..0.3);
        model.state.bn.running_var[c] = rng.random_range(0.2..3.0);
    }
    let q = QDenseBn::quantize(&model, &samples::<12>(17, 200)).unwrap();
    let error = relative_error(&model, &q, &mut staticnet::flat::zeroed(), &samples::<12>(18, 100));
    assert!(error < 0.03, "dense + batch norm: {error}");
    assert_eq!(q.fc1.min as i32, q.fc1.output_zero_point);
}

// ---- Bad input ----

#[test]
fn bad_calibration_and_weights_are_errors() {
    let model = Model::<QMlp>::new(15);
    assert_eq!(QMlp::quantize(&model, &[]).unwrap_err(), Error::EmptyCalibration);

    let mut calibration = samples::<12>(16, 5);
    calibration[3][7] = f32::INFINITY;
    let err = QMlp::quantize(&model, &calibration).unwrap_err();
    assert_eq!(err, Error::NonFiniteInput { row: 3, index: 7, value: f32::INFINITY });

    let mut broken = model.clone();
    broken.params.fc2.weight[1][2] = f32::NAN;
    let err = QMlp::quantize(&broken, &samples::<12>(16, 5)).unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteParameter { block: "params", index, value } if index == 16 * 12 + 16 + 16 + 2 && value.is_nan())
    );

    let mut broken = cnn_model(17);
    broken.state.bn1.running_var[2] = f32::INFINITY;
    let calibration: Vec<_> = samples::<162>(18, 3).iter().map(image).collect();
    assert!(matches!(QCnn::quantize(&broken, &calibration), Err(Error::NonFiniteParameter { block: "state", .. })));
    // A negative variance: the f32 batch norm outputs NaN on the first sample, which the
    // calibration of the step it ends (`conv1`, with `bn1` and the ReLU) reports.
    let mut broken = cnn_model(17);
    broken.state.bn1.running_var[0] = -1.0;
    let err = QCnn::quantize(&broken, &calibration).unwrap_err();
    assert!(matches!(err, Error::NonFiniteActivation { layer: "conv1", row: 0, value } if value.is_nan()), "{err:?}");
}

#[test]
fn a_network_without_an_int8_form_says_which_layer() {
    let model = Model::<QSeq>::new(19);
    let err = QSeq::quantize(&model, &[[[0.5; 3]; 5]]).unwrap_err();
    assert!(matches!(err, Error::NotQuantizable { layer: "lstm", .. }), "{err:?}");
    assert!(err.to_string().starts_with("layer `lstm` cannot be quantized: it has no int8 form"), "{err}");
    let err = QNoWeights::quantize(&Model::new(20), &[[1.0; 6]]).unwrap_err();
    assert!(matches!(err, Error::NotQuantizable { why, .. } if why.contains("no Dense or Conv2d")), "{err:?}");
}

#[test]
fn int8_weights_take_a_quarter_of_the_f32_weights() {
    assert_eq!(QMlpInt8::WEIGHT_BYTES * 4, (12 * 16 + 16 * 5) * 4);
    assert_eq!(QCnnInt8::WEIGHT_BYTES, 4 * 2 * 9 + 3 * 4 * 9 + 12 * 4);
}

#[test]
fn requantization_matches_the_exact_reference_over_random_accumulators() {
    let mut rng = SmallRng::seed_from_u64(20);
    for _ in 0..20_000 {
        let m = 2f64.powf(rng.random_range(-34.0..8.0));
        let r = Requantize::from_real("x", m).unwrap();
        let acc = match rng.random_range(0..3) {
            0 => rng.random_range(-300..300),
            1 => rng.random_range(-(1 << 24)..1 << 24),
            _ => rng.random(),
        };
        assert_eq!(r.apply(acc), reference_requantize(acc, r), "acc {acc}, {r:?}");
    }
}
