//! A constant learning rate.

use super::Schedule;

/// `η_t = η₀` for every `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant {
    /// The learning rate `η₀`.
    pub lr: f64,
}

impl Constant {
    /// The constant rate `lr`.
    pub const fn new(lr: f64) -> Self {
        Constant { lr }
    }
}

impl Schedule for Constant {
    fn lr(&self, _t: usize) -> f32 {
        self.lr as f32
    }
}
