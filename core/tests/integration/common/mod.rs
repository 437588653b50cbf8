//! Helpers shared by the integration tests: loading the PyTorch reference vectors
//! (`tests/reference/*.json` at the workspace root), turning their tensors into fixed-size
//! arrays, comparing results with a relative tolerance, and checking layer gradients
//! against finite differences.
#![allow(dead_code)]

use serde_json::Value;
use staticnet_core::{Flat, GradMode, Layer, Mode};
use std::path::PathBuf;

/// The tolerance the design asks for against the reference vectors:
/// `|a - e| <= 1e-5 * max(1, |e|)`.
pub const RTOL: f64 = 1e-5;

/// One reference case of a topic file.
pub struct Case {
    pub name: String,
    pub inputs: Value,
    pub expected: Value,
    /// `edge_case: true`: a PyTorch-specific convention a library may choose not to follow.
    pub edge_case: bool,
}

/// A reference tensor: row-major data with its shape, as float64.
#[derive(Debug)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("tests").join("reference")
}

/// Every case of `tests/reference/<file>`.
pub fn load_cases(file: &str) -> Vec<Case> {
    let path = reference_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let cases = json.as_array().unwrap_or_else(|| panic!("{} is not a list of cases", path.display()));
    cases
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("case without a name").to_owned(),
            inputs: c["inputs"].clone(),
            expected: c["expected"].clone(),
            edge_case: c.get("edge_case").and_then(Value::as_bool).unwrap_or(false),
        })
        .collect()
}

/// Runs `check` on every case of `file`, going on after a failure, and panics at the end
/// with the names of all the cases that failed. Every case of the file is visited, so a
/// case added to the file that `check` does not know fails the test. Returns the number
/// of cases checked.
pub fn check_every_case(file: &str, check: impl Fn(&Case)) -> usize {
    let cases = load_cases(file);
    assert!(!cases.is_empty(), "{file} has no cases");
    let failed: Vec<&str> = cases
        .iter()
        .filter(|case| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(case))).is_err())
        .map(|case| case.name.as_str())
        .collect();
    assert!(failed.is_empty(), "{file}: {} of {} cases failed: {failed:?}", failed.len(), cases.len());
    cases.len()
}

impl Case {
    fn field<'a>(&'a self, group: &'a Value, which: &str, key: &str) -> &'a Value {
        group.get(key).unwrap_or_else(|| panic!("{}: no {which}.{key}", self.name))
    }

    /// A tensor of `inputs`.
    pub fn input(&self, key: &str) -> Tensor {
        Tensor::from_json(self.field(&self.inputs, "inputs", key), &format!("{}: inputs.{key}", self.name))
    }

    /// A tensor of `expected`.
    pub fn expected(&self, key: &str) -> Tensor {
        Tensor::from_json(self.field(&self.expected, "expected", key), &format!("{}: expected.{key}", self.name))
    }

    /// Whether `expected` has `key`.
    pub fn has_expected(&self, key: &str) -> bool {
        self.expected.get(key).is_some()
    }

    /// A number of `inputs` (a hyperparameter).
    pub fn input_scalar(&self, key: &str) -> f64 {
        let v = self.field(&self.inputs, "inputs", key);
        v.as_f64().unwrap_or_else(|| panic!("{}: inputs.{key} is not a number", self.name))
    }

    /// A string of `inputs` (e.g. GELU's `approximate`).
    pub fn input_str(&self, key: &str) -> &str {
        let v = self.field(&self.inputs, "inputs", key);
        v.as_str().unwrap_or_else(|| panic!("{}: inputs.{key} is not a string", self.name))
    }

    /// A number of `expected` (a loss value).
    pub fn expected_scalar(&self, key: &str) -> f64 {
        let v = self.field(&self.expected, "expected", key);
        v.as_f64().unwrap_or_else(|| panic!("{}: expected.{key} is not a number", self.name))
    }

    /// A 1-D integer tensor of `inputs` (class indices) with `len` entries.
    pub fn input_classes(&self, key: &str, len: usize) -> Vec<usize> {
        let what = format!("{}: inputs.{key}", self.name);
        let v = self.field(&self.inputs, "inputs", key);
        let t = Tensor::from_json(v, &what);
        t.assert_shape(&[len], &what);
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap_or_else(|| panic!("{what}: {c} is not a class index")) as usize)
            .collect()
    }
}

impl Tensor {
    fn from_json(v: &Value, what: &str) -> Tensor {
        let shape: Vec<usize> = v["shape"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no shape"))
            .iter()
            .map(|d| d.as_u64().unwrap_or_else(|| panic!("{what}: bad dimension {d}")) as usize)
            .collect();
        let data: Vec<f64> = v["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no data"))
            .iter()
            .map(|x| x.as_f64().unwrap_or_else(|| panic!("{what}: {x} is not a number")))
            .collect();
        assert_eq!(data.len(), shape.iter().product::<usize>(), "{what}: data length does not match shape {shape:?}");
        Tensor { shape, data }
    }

    /// Panics unless the tensor has exactly `shape`: the tests fix their sizes at compile
    /// time, so this is where a reference file and a test disagreeing would show.
    pub fn assert_shape(&self, shape: &[usize], what: &str) {
        assert_eq!(self.shape, shape, "{what}: the test assumes shape {shape:?}");
    }

    /// The same data under another shape with as many elements (e.g. `[6]` as `[1, 6]`).
    pub fn reshaped(self, shape: &[usize]) -> Tensor {
        assert_eq!(self.data.len(), shape.iter().product::<usize>(), "cannot reshape {:?} to {shape:?}", self.shape);
        Tensor { shape: shape.to_vec(), data: self.data }
    }

    /// The data rounded to f32, in row-major order.
    pub fn to_f32(&self) -> Vec<f32> {
        self.data.iter().map(|&x| x as f32).collect()
    }

    /// A 1-D tensor of shape `[N]` as an array.
    pub fn to_array<const N: usize>(&self) -> [f32; N] {
        self.assert_shape(&[N], "to_array");
        core::array::from_fn(|i| self.data[i] as f32)
    }

    /// A 2-D tensor of shape `[R, C]` as `R` rows of `C` (a batch of `R` samples, or a
    /// `[out, in]` weight matrix).
    pub fn to_rows<const R: usize, const C: usize>(&self) -> [[f32; C]; R] {
        self.assert_shape(&[R, C], "to_rows");
        core::array::from_fn(|r| core::array::from_fn(|c| self.data[r * C + c] as f32))
    }
}

/// Asserts `|a - e| <= rtol * max(1, |e|)` for every element, reporting all mismatches.
pub fn assert_close(what: &str, actual: &[f32], expected: &[f64], rtol: f64) {
    assert_close_by(what, actual, expected, |_| rtol);
}

/// As [`assert_close`], with a tolerance chosen per element from the element's index
/// (for loosening only a few saturated entries).
pub fn assert_close_by(what: &str, actual: &[f32], expected: &[f64], rtol: impl Fn(usize) -> f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: {} values, expected {}", actual.len(), expected.len());
    let bad: Vec<String> = actual
        .iter()
        .zip(expected)
        .enumerate()
        .filter(|&(i, (&a, &e))| !close(a as f64, e, rtol(i)))
        .map(|(i, (&a, &e))| format!("[{i}] got {a:e}, expected {e:e} (diff {:e})", (a as f64 - e).abs()))
        .collect();
    assert!(bad.is_empty(), "{what}: {} of {} values differ:\n  {}", bad.len(), actual.len(), bad.join("\n  "));
}

/// A scalar form of [`assert_close`].
pub fn assert_close_scalar(what: &str, actual: f32, expected: f64, rtol: f64) {
    assert!(close(actual as f64, expected, rtol), "{what}: got {actual:e}, expected {expected:e}");
}

/// `|a - e| <= rtol * max(1, |e|)`; NaN or infinity never passes.
pub fn close(a: f64, e: f64, rtol: f64) -> bool {
    a.is_finite() && (a - e).abs() <= rtol * e.abs().max(1.0)
}

/// What one forward and backward pass of a layer produced.
pub struct Pass<L: Layer> {
    pub y: Vec<L::Output>,
    pub dx: Vec<L::Input>,
    pub grads: L::Params,
}

/// Runs `layer` forward on `x` (training mode, workspace capacity `CAP >= x.len()`) and
/// backward with upstream gradient `dy`, i.e. for `L = sum(y * dy)`.
///
/// `dx` and `grads` start as NaN, so a backward pass that leaves any of them unwritten
/// (instead of overwriting them, as the `Layer` contract says) fails the comparison.
pub fn forward_backward<L: Layer, const CAP: usize>(
    layer: &L,
    params: &L::Params,
    x: &[L::Input],
    dy: &[L::Output],
) -> Pass<L> {
    assert!(x.len() <= CAP && dy.len() == x.len());
    let state = L::State::zeroed();
    // SAFETY: `Layer::Cache<B>: Zeroable`, so all-zero bytes are a valid cache.
    let mut cache: L::Cache<CAP> = unsafe { core::mem::zeroed() };
    let mut y = vec![L::Output::zeroed(); x.len()];
    layer.forward::<CAP>(params, &state, x, &mut y, &mut cache, Mode::Train);
    let mut dx = vec![L::Input::zeroed(); x.len()];
    staticnet_core::flat::flatten_mut(&mut dx).fill(f32::NAN);
    let mut grads = L::Params::zeroed();
    // Not for `()`: `Flat::as_flat_mut` on a zero-sized block builds a slice from a
    // pointer that is not aligned for f32, which is undefined behaviour (and aborts in
    // debug builds).
    if L::PARAMS > 0 {
        grads.as_flat_mut().fill(f32::NAN);
    }
    layer.backward::<CAP>(params, x, &y, dy, &mut cache, Some(&mut dx), &mut grads, GradMode::Overwrite);
    Pass { y, dx, grads }
}

/// Runs `layer` forward only and returns `y`.
pub fn forward<L: Layer, const CAP: usize>(layer: &L, params: &L::Params, x: &[L::Input]) -> Vec<L::Output> {
    assert!(x.len() <= CAP);
    let state = L::State::zeroed();
    // SAFETY: as in `forward_backward`.
    let mut cache: L::Cache<CAP> = unsafe { core::mem::zeroed() };
    let mut y = vec![L::Output::zeroed(); x.len()];
    layer.forward::<CAP>(params, &state, x, &mut y, &mut cache, Mode::Train);
    y
}

// ---------------------------------------------------------------- layers with state, modes and caches

impl Tensor {
    /// The data as `rows` blocks of `T`, after checking the tensor's `shape` (e.g. an NCHW
    /// batch `[N, C, H, W]` as `N` images `[[[f32; W]; H]; C]`).
    pub fn to_blocks<T: Flat>(&self, shape: &[usize]) -> Vec<T> {
        self.assert_shape(shape, "to_blocks");
        let rows = shape.first().copied().unwrap_or(1);
        assert_eq!(rows * T::LEN, self.data.len(), "to_blocks: {shape:?} is not {rows} blocks of {}", T::LEN);
        let mut blocks = vec![T::zeroed(); rows];
        for (v, &d) in staticnet_core::flat::flatten_mut(&mut blocks).iter_mut().zip(&self.data) {
            *v = d as f32;
        }
        blocks
    }

    /// The data as one block of `T` (a weight tensor), after checking the tensor's `shape`.
    pub fn to_block<T: Flat>(&self, shape: &[usize]) -> T {
        self.assert_shape(shape, "to_block");
        assert_eq!(T::LEN, self.data.len(), "to_block: {shape:?} is not a block of {}", T::LEN);
        let mut block = T::zeroed();
        for (v, &d) in block.as_flat_mut().iter_mut().zip(&self.data) {
            *v = d as f32;
        }
        block
    }
}

/// A zeroed cache of capacity `CAP`, on the heap (some caches are large).
pub fn zeroed_cache<L: Layer, const CAP: usize>() -> Box<L::Cache<CAP>> {
    // SAFETY: `Layer::Cache<B>: Zeroable`, so the all-zero allocation is a valid value.
    unsafe { Box::<L::Cache<CAP>>::new_zeroed().assume_init() }
}

/// What [`run_layer`] produced: outputs, gradients, the cache after backward and the
/// state after `update_state` (which is only called after a training pass).
pub struct Run<L: Layer, const CAP: usize> {
    pub y: Vec<L::Output>,
    pub dx: Vec<L::Input>,
    pub grads: L::Params,
    pub cache: Box<L::Cache<CAP>>,
    pub state: L::State,
}

/// One forward pass of `layer` in `mode` on `x` from `state`, with the cache first set up by
/// `prepare` (e.g. to inject a dropout mask), then `update_state` after a training pass,
/// then backward with upstream gradient `dy` (`L = sum(y * dy)`). `dx` and `grads` start
/// as NaN, so a backward pass that leaves any of them unwritten fails a comparison.
pub fn run_layer<L: Layer, const CAP: usize>(
    layer: &L,
    params: &L::Params,
    state: &L::State,
    mode: Mode,
    x: &[L::Input],
    dy: &[L::Output],
    prepare: &dyn Fn(&mut L::Cache<CAP>),
) -> Run<L, CAP> {
    assert!(x.len() <= CAP && dy.len() == x.len());
    let mut state = *state;
    let mut cache = zeroed_cache::<L, CAP>();
    prepare(&mut cache);
    let mut y = vec![L::Output::zeroed(); x.len()];
    layer.forward::<CAP>(params, &state, x, &mut y, &mut cache, mode);
    if mode == Mode::Train {
        layer.update_state::<CAP>(&mut state, &cache);
    }
    let mut dx = vec![L::Input::zeroed(); x.len()];
    staticnet_core::flat::flatten_mut(&mut dx).fill(f32::NAN);
    let mut grads = L::Params::zeroed();
    // Not for `()`: see `forward_backward`.
    if L::PARAMS > 0 {
        grads.as_flat_mut().fill(f32::NAN);
    }
    layer.backward::<CAP>(params, x, &y, dy, &mut cache, Some(&mut dx), &mut grads, GradMode::Overwrite);
    Run { y, dx, grads, cache, state }
}

/// Step and tolerance of a finite-difference check: an analytic derivative `a` and a
/// numerical one `n` agree when `|a - n| <= rtol * max(|a|, |n|) + atol`.
#[derive(Clone, Copy, Debug)]
pub struct FiniteDiff {
    pub eps: f32,
    pub rtol: f32,
    pub atol: f32,
}

impl FiniteDiff {
    pub fn agree(self, analytic: f32, numeric: f32) -> bool {
        analytic.is_finite() && (analytic - numeric).abs() <= self.rtol * analytic.abs().max(numeric.abs()) + self.atol
    }
}

/// Checks `dx` and every parameter gradient of `layer` in `mode`, at `params` and `state`,
/// on the batch `x` with upstream gradient `g` (`L = sum(y * g)`, accumulated in f64),
/// against central differences of `L` computed with `forward` alone. Every forward pass
/// starts from a fresh cache set up by `prepare`. Also checks that backward gives the same
/// parameter gradients when `dx` is not asked for, and that `dx` is not all zero.
#[allow(clippy::too_many_arguments)]
pub fn check_gradients<L: Layer, const CAP: usize>(
    what: &str,
    layer: &L,
    params: &L::Params,
    state: &L::State,
    mode: Mode,
    x: &[L::Input],
    g: &[L::Output],
    tol: FiniteDiff,
    prepare: &dyn Fn(&mut L::Cache<CAP>),
) {
    use staticnet_core::flat::{flatten, flatten_mut};
    let objective = |params: &L::Params, x: &[L::Input]| -> f64 {
        let mut cache = zeroed_cache::<L, CAP>();
        prepare(&mut cache);
        let mut y = vec![L::Output::zeroed(); x.len()];
        layer.forward::<CAP>(params, state, x, &mut y, &mut cache, mode);
        flatten(&y).iter().zip(flatten(g)).map(|(&y, &g)| y as f64 * g as f64).sum()
    };
    let pass = run_layer::<L, CAP>(layer, params, state, mode, x, g, prepare);
    let mut bad = Vec::new();

    // Without `dx` asked for, backward must give the same parameter gradients.
    {
        let mut cache = zeroed_cache::<L, CAP>();
        prepare(&mut cache);
        let mut y = vec![L::Output::zeroed(); x.len()];
        layer.forward::<CAP>(params, state, x, &mut y, &mut cache, mode);
        let mut grads = L::Params::zeroed();
        grads.as_flat_mut().fill(f32::NAN);
        layer.backward::<CAP>(params, x, &y, g, &mut cache, None, &mut grads, GradMode::Overwrite);
        assert_eq!(
            grads.as_flat(),
            pass.grads.as_flat(),
            "{what}: parameter gradients change when dx is not asked for"
        );
    }

    let dx = flatten(&pass.dx);
    assert!(dx.iter().any(|&d| d != 0.0), "{what}: dx is all zero, the check would prove nothing");
    for (i, &analytic) in dx.iter().enumerate() {
        let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
        flatten_mut(&mut plus)[i] += tol.eps;
        flatten_mut(&mut minus)[i] -= tol.eps;
        let step = (flatten(&plus)[i] - flatten(&minus)[i]) as f64;
        let numeric = ((objective(params, &plus) - objective(params, &minus)) / step) as f32;
        if !tol.agree(analytic, numeric) {
            bad.push(format!("dx[{i}] (x = {}): backward {analytic:e}, numeric {numeric:e}", flatten(x)[i]));
        }
    }
    {
        assert_eq!(pass.grads.as_flat().len(), L::PARAMS);
        for (k, &analytic) in pass.grads.as_flat().iter().enumerate() {
            let (mut plus, mut minus) = (*params, *params);
            plus.as_flat_mut()[k] += tol.eps;
            minus.as_flat_mut()[k] -= tol.eps;
            let step = (plus.as_flat()[k] - minus.as_flat()[k]) as f64;
            let numeric = ((objective(&plus, x) - objective(&minus, x)) / step) as f32;
            if !tol.agree(analytic, numeric) {
                bad.push(format!("param grad [{k}]: backward {analytic:e}, numeric {numeric:e}"));
            }
        }
    }
    assert!(bad.is_empty(), "{what}: {} gradients disagree:\n  {}", bad.len(), bad.join("\n  "));
}

// ------------------------------------------------ raw JSON access, for optimizers and schedules

/// `value[key]`, or a panic naming the case and key.
pub fn get<'a>(case: &Case, value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or_else(|| panic!("{}: no key {key}", case.name))
}

/// A JSON number.
pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// A JSON list of numbers.
pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array().unwrap_or_else(|| panic!("{v} is not a list")).iter().map(num).collect()
}

/// A reference tensor `{"shape": [...], "data": [...]}` of the given shape, row-major, f64.
pub fn tensor(v: &Value, shape: &[usize]) -> Vec<f64> {
    let got: Vec<usize> =
        v["shape"].as_array().expect("tensor without shape").iter().map(|d| num(d) as usize).collect();
    assert_eq!(got, shape, "unexpected tensor shape");
    let data = nums(&v["data"]);
    assert_eq!(data.len(), shape.iter().product::<usize>());
    data
}

/// `|a - e| <= rtol * |e| + atol`: a purely relative comparison for small quantities
/// (learning rates, optimizer moments), where `max(1, |e|)` would make any small value pass.
pub fn close_rel(a: f64, e: f64, rtol: f64, atol: f64) -> bool {
    a.is_finite() && (a - e).abs() <= rtol * e.abs() + atol
}

/// Asserts `pass(actual[i], expected[i])` everywhere, listing every mismatch.
pub fn assert_all(what: &str, actual: &[f32], expected: &[f64], pass: impl Fn(f64, f64) -> bool) {
    assert_eq!(actual.len(), expected.len(), "{what}: {} values, expected {}", actual.len(), expected.len());
    let bad: Vec<String> = actual
        .iter()
        .zip(expected)
        .enumerate()
        .filter(|&(_, (&a, &e))| !pass(a as f64, e))
        .map(|(i, (&a, &e))| format!("[{i}] got {a:e}, expected {e:e} (diff {:e})", (a as f64 - e).abs()))
        .collect();
    assert!(bad.is_empty(), "{what}: {} of {} values differ:\n  {}", bad.len(), actual.len(), bad.join("\n  "));
}
