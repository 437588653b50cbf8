//! Agreement with PyTorch for the losses on soft targets: every case of
//! `tests/reference/losses_extra.json` (KLDivLoss, cross-entropy with probability targets
//! and label smoothing, BCEWithLogitsLoss with pos_weight), within `1e-5 · max(1, |e|)`.

use crate::common;

use common::{Case, RTOL, assert_close, assert_close_scalar, check_every_case};
use staticnet_core::data::one_hot;
use staticnet_core::flat::flatten;
use staticnet_core::loss::{
    CategoricalCrossEntropy, CrossEntropyLoss, KlDivLoss, KlReduction, Loss, WeightedBceWithLogitsLoss,
};

/// Compares `loss`, `loss_and_grad` and its gradient with the case's `expected` keys
/// `loss_key` and `grad_key`.
fn check<const N: usize, const B: usize, L: Loss<[f32; N]>>(
    case: &Case,
    loss: &L,
    target: &[L::Target],
    (loss_key, grad_key): (&str, &str),
) {
    let name = &case.name;
    let pred: [[f32; N]; B] = case.input("pred").to_rows();
    let expected_grad = case.expected(grad_key);
    expected_grad.assert_shape(&[B, N], name);
    let mut grad = [[f32::NAN; N]; B];
    let value = loss.loss_and_grad(&pred, target, &mut grad).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_close_scalar(&format!("{name}: {loss_key}"), value, case.expected_scalar(loss_key), RTOL);
    assert_close(&format!("{name}: {grad_key}"), flatten(&grad), &expected_grad.data, RTOL);
    let alone = loss.loss(&pred, target).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_close_scalar(&format!("{name}: loss() alone"), alone, f64::from(value), RTOL);
}

const KEYS: (&str, &str) = ("loss", "grad_pred");

#[test]
fn soft_target_losses_match_pytorch() {
    let cases = check_every_case("losses_extra.json", |case| {
        let soft = || case.input("target").to_rows::<4, 5>();
        match case.name.as_str() {
            "kl_div_batchmean" | "kl_div_mean" | "kl_div_log_target_batchmean" => {
                let reduction = match case.input_str("reduction") {
                    "batchmean" => KlReduction::BatchMean,
                    "mean" => KlReduction::Mean,
                    other => panic!("{}: reduction {other}", case.name),
                };
                let log_target = case.name.contains("log_target");
                check::<5, 4, _>(case, &KlDivLoss { reduction, log_target }, &soft(), KEYS);
            }
            "cross_entropy_prob_targets_mean" => {
                check::<5, 4, _>(case, &CategoricalCrossEntropy::default(), &soft(), KEYS);
            }
            "cross_entropy_prob_targets_label_smoothing0.1_mean" => {
                let loss = CategoricalCrossEntropy { label_smoothing: case.input_scalar("label_smoothing") as f32 };
                check::<5, 4, _>(case, &loss, &soft(), KEYS);
            }
            "cross_entropy_label_smoothing0.1_mean" => {
                // Class indices, smoothed: their one-hot rows through the probability loss.
                let classes = case.input_classes("target", 5);
                let rows: Vec<[f32; 4]> = classes.iter().map(|&c| one_hot::<4>(c)).collect();
                let loss = CategoricalCrossEntropy { label_smoothing: case.input_scalar("label_smoothing") as f32 };
                check::<4, 5, _>(case, &loss, &rows, KEYS);
                check::<4, 5, _>(case, &CrossEntropyLoss, &classes, ("loss_no_smoothing", "grad_pred_no_smoothing"));
                check::<4, 5, _>(
                    case,
                    &CategoricalCrossEntropy::default(),
                    &rows,
                    ("loss_no_smoothing", "grad_pred_no_smoothing"),
                );
            }
            "bce_with_logits_pos_weight_mean" | "bce_with_logits_pos_weight_soft_targets_mean" => {
                let loss = WeightedBceWithLogitsLoss { pos_weight: case.input("pos_weight").to_array::<3>() };
                check::<3, 4, _>(case, &loss, &case.input("target").to_rows::<4, 3>(), KEYS);
            }
            other => panic!("no test for loss case {other}"),
        }
    });
    assert_eq!(cases, 8);
}

/// Targets a loss is not defined for are errors naming the row, before anything is computed.
#[test]
fn soft_target_losses_reject_targets_outside_their_domain() {
    let z = [[0.5f32, -0.5, 0.0]; 2];
    let mut grad = [[0.0; 3]; 2];
    let bad = [[0.2, 0.8, 0.0], [0.5, 1.5, -1.0]];
    for err in [
        KlDivLoss::default().loss(&z, &bad).unwrap_err(),
        CategoricalCrossEntropy::default().loss_and_grad(&z, &bad, &mut grad).unwrap_err(),
        WeightedBceWithLogitsLoss { pos_weight: [1.0; 3] }.loss(&z, &bad).unwrap_err(),
    ] {
        assert_eq!(err.to_string(), "target row 1 holds 1.5 at index 1, outside the probabilities [0, 1]");
    }
    let nan = [[0.0, 0.0, 0.0], [f32::NAN, 0.0, 0.0]];
    let err = KlDivLoss { reduction: KlReduction::Mean, log_target: true }.loss(&z, &nan).unwrap_err();
    assert!(err.to_string().starts_with("target row 1 holds NaN at index 0"), "{err}");
}
