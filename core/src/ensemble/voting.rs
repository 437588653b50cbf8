//! How an ensemble combines its members' outputs.

/// The combination rule of an [`Ensemble`](super::Ensemble), named as scikit-learn's
/// `VotingClassifier(voting=...)` and `VotingRegressor`. Each maps a member's output row
/// `y` to `m(y)`; the ensemble's output is the mean of `m(y_k)` over its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voting {
    /// `m(y) = softmax(y)`: the mean of the members' probabilities (`voting='soft'`).
    Soft,
    /// `m(y)` = the one-hot vector of `argmax(y)` (the first maximum): the vote shares;
    /// the class with most votes wins, the lowest class index on a tie, as scikit-learn's
    /// `np.argmax` over the vote counts (`voting='hard'`).
    Hard,
    /// `m(y) = y`: the mean of the members' outputs, for regression (`VotingRegressor`).
    Mean,
}

impl Voting {
    /// The rule's name as written in ensemble files: `soft`, `hard` or `mean`.
    pub fn name(self) -> &'static str {
        match self {
            Voting::Soft => "soft",
            Voting::Hard => "hard",
            Voting::Mean => "mean",
        }
    }

    /// The rule called `name` ([`Voting::name`]), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        [Voting::Soft, Voting::Hard, Voting::Mean].into_iter().find(|v| v.name() == name)
    }

    /// Replaces the output row `y` by `m(y)` for soft and mean voting (hard votes are
    /// counted, see [`Ensemble::forward`](super::Ensemble::forward)).
    pub(crate) fn map<const OUT: usize>(self, y: &mut [f32; OUT]) {
        match self {
            Voting::Soft => *y = crate::softmax(y),
            Voting::Mean | Voting::Hard => {}
        }
    }
}

/// `1 - max_c μ_c` of a combined row `μ`: under [`Voting::Hard`] the fraction of members
/// that voted for another class than the ensemble's; under [`Voting::Soft`] one minus
/// the mean probability of the predicted class. 0 when every member is certain of the
/// same class.
pub fn disagreement<const OUT: usize>(mean: &[f32; OUT]) -> f32 {
    1.0 - mean[crate::argmax(mean)]
}
