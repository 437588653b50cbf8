//! Grid search: every combination of the dimensions' values.

use std::vec::Vec;

use super::error::SearchError;
use super::params::{Params, Value};
use super::sampler::Sampler;
use super::space::SearchSpace;

/// Grid search (scikit-learn's `GridSearchCV` grid, Keras Tuner's `GridSearch`): the
/// Cartesian product of each dimension's values, trial `i` being the `i`-th combination
/// with the first dimension varying slowest (as `itertools.product` and
/// scikit-learn's `ParameterGrid`).
///
/// A categorical dimension contributes its values. A continuous one has no grid of its
/// own, so it contributes [`GridSearch::points`] evenly spaced values, ends included
/// (geometrically spaced on a log scale: `lr` in `[1e-3, 1e-1]` with 3 points is 1e-3,
/// 1e-2, 1e-1); an integer dimension every integer when there are at most that many,
/// else that many, rounded. For explicit values, declare the dimension as a `choice`.
/// The default is 3 points.
#[derive(Clone, Debug)]
pub struct GridSearch {
    space: SearchSpace,
    points: usize,
}

impl GridSearch {
    /// The grid of `space`, 3 points per continuous dimension.
    pub fn new(space: SearchSpace) -> Self {
        GridSearch { space, points: 3 }
    }

    /// Values per continuous dimension (at least 1).
    pub fn points(mut self, points: usize) -> Self {
        self.points = points;
        self
    }

    /// Each dimension's values, in order.
    pub fn axes(&self) -> Vec<(&'static str, Vec<Value>)> {
        self.space.dimensions().map(|(n, d)| (n, d.grid(self.points))).collect()
    }
}

impl Sampler for GridSearch {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    /// The product of the axes' lengths.
    fn configurations(&self) -> Option<usize> {
        Some(self.axes().iter().map(|(_, v)| v.len()).product())
    }

    fn params(&self, trial: usize) -> Params {
        let axes = self.axes();
        let mut rest = trial;
        let mut picked = std::vec![Value::Int(0); axes.len()];
        for (slot, (_, values)) in picked.iter_mut().zip(&axes).rev() {
            *slot = values[rest % values.len()];
            rest /= values.len();
        }
        axes.iter().zip(picked).fold(Params::new(), |p, ((name, _), v)| p.set(name, v))
    }

    fn check(&self) -> Result<(), SearchError> {
        self.space.check()?;
        if self.points == 0 {
            return Err(SearchError::BadSetting {
                setting: "points",
                why: "a grid needs at least 1 point per dimension".into(),
            });
        }
        Ok(())
    }
}
