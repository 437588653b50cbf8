//! Helpers shared by the optimizer, schedule and regularisation tests: loading the PyTorch
//! reference vectors (`tests/reference/*.json` at the workspace root) and comparing with a
//! tolerance. (Kept apart from `tests/common/` so the two sets of helpers evolve freely.)
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

/// One reference case.
pub struct Case {
    pub name: String,
    pub inputs: Value,
    pub expected: Value,
}

/// Every case of `tests/reference/<file>`.
pub fn load_cases(file: &str) -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/reference").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    json.as_array()
        .unwrap_or_else(|| panic!("{} is not a list of cases", path.display()))
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("case without a name").to_owned(),
            inputs: c["inputs"].clone(),
            expected: c["expected"].clone(),
        })
        .collect()
}

/// Runs `check` on every case of `file`, going on after a failure, and panics at the end
/// with the names of all the cases that failed. Returns the number of cases checked.
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

/// `|a - e| <= rtol * max(1, |e|)`, the design's tolerance for values of order one
/// (parameters, gradients); NaN never passes.
pub fn close(a: f64, e: f64, rtol: f64) -> bool {
    a.is_finite() && (a - e).abs() <= rtol * e.abs().max(1.0)
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
