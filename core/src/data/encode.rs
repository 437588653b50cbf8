//! Categorical values as numbers: label encoding, one-hot codes, label smoothing.

use std::borrow::ToOwned;
use std::string::String;
use std::vec::Vec;

/// The categories of a nominal column, sorted as scikit-learn's `LabelEncoder` sorts them:
/// category `classes[i]` is encoded as `i` (label encoding) or as the one-hot vector with a
/// 1 at `i` (see [`LabelEncoder::one_hot`]).
///
/// ```
/// use staticnet_core::data::LabelEncoder;
///
/// let sex = LabelEncoder::fit(["male", "female", "male"]);
/// assert_eq!(sex.classes, ["female", "male"]);
/// assert_eq!(sex.transform("male"), Some(1));
/// assert_eq!(sex.one_hot::<2>("female"), Some([1.0, 0.0]));
/// assert_eq!(sex.inverse_transform(0), Some("female"));
/// assert_eq!(sex.transform("other"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelEncoder {
    /// The categories, sorted and without repeats.
    pub classes: Vec<String>,
}

impl LabelEncoder {
    /// The sorted distinct values of `values`.
    pub fn fit<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut classes: Vec<String> = values.into_iter().map(ToOwned::to_owned).collect();
        classes.sort_unstable();
        classes.dedup();
        LabelEncoder { classes }
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there are no categories.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The index of `value`, or `None` for a category not seen when fitting.
    pub fn transform(&self, value: &str) -> Option<usize> {
        self.classes.binary_search_by(|class| class.as_str().cmp(value)).ok()
    }

    /// The category with index `index`.
    pub fn inverse_transform(&self, index: usize) -> Option<&str> {
        self.classes.get(index).map(String::as_str)
    }

    /// `value` as a one-hot vector of `M` values; `None` for an unseen category or
    /// `M` other than the number of categories.
    pub fn one_hot<const M: usize>(&self, value: &str) -> Option<[f32; M]> {
        (M == self.len()).then_some(())?;
        self.transform(value).map(one_hot::<M>)
    }
}

/// The one-hot vector of class `class` among `M`: 1 at `class`, 0 elsewhere (all 0 for a
/// class `>= M`).
pub fn one_hot<const M: usize>(class: usize) -> [f32; M] {
    core::array::from_fn(|i| f32::from(i == class))
}

/// Label smoothing: `t' = (1 - α) t + α / M`, PyTorch's `label_smoothing` (the mass `α` is
/// spread over all `M` classes, the true one included). Apply it to probability targets
/// before training with [`CategoricalCrossEntropy`](crate::loss::CategoricalCrossEntropy),
/// or set that loss's `label_smoothing` instead.
pub fn smooth_labels<const M: usize>(target: &[f32; M], alpha: f32) -> [f32; M] {
    target.map(|t| (1.0 - alpha) * t + alpha / M as f32)
}
