//! Initialisers for weights and biases, following `torch.nn.init`.
//!
//! `fan_in` and `fan_out` are computed as PyTorch does: for a dense weight `[out, in]`
//! they are `in` and `out`.

use rand::{Rng, RngCore};
use rand_distr::{Distribution, Normal, Uniform};

/// How to fill a parameter tensor at construction.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Init {
    /// PyTorch's `nn.Linear` default: `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, for weights and biases.
    Default,
    /// `U(low, high)`.
    Uniform(f32, f32),
    /// `N(0, std^2)`.
    Normal(f32),
    /// Glorot/Xavier uniform: `U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`.
    XavierUniform,
    /// Glorot/Xavier normal: `N(0, 2 / (fan_in + fan_out))`.
    XavierNormal,
    /// He/Kaiming uniform (ReLU gain, fan_in mode): `U(-b, b)`, `b = sqrt(6 / fan_in)`.
    HeUniform,
    /// He/Kaiming normal (ReLU gain, fan_in mode): `N(0, 2 / fan_in)`, not truncated.
    HeNormal,
    /// All zeros.
    Zeros,
    /// Every value `c`.
    Constant(f32),
}

impl Init {
    /// Fills `values`, a tensor with the given fans, with draws from `rng`.
    pub fn fill<R: RngCore + ?Sized>(self, values: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut R) {
        let fan_in = fan_in.max(1) as f32;
        let fan_out = fan_out.max(1) as f32;
        match self {
            Init::Zeros => values.fill(0.0),
            Init::Constant(c) => values.fill(c),
            Init::Default => uniform(values, -1.0 / crate::math::sqrt(fan_in), 1.0 / crate::math::sqrt(fan_in), rng),
            Init::Uniform(low, high) => uniform(values, low, high, rng),
            Init::XavierUniform => {
                let a = crate::math::sqrt(6.0 / (fan_in + fan_out));
                uniform(values, -a, a, rng)
            }
            Init::HeUniform => {
                let b = crate::math::sqrt(6.0 / fan_in);
                uniform(values, -b, b, rng)
            }
            Init::Normal(std) => normal(values, std, rng),
            Init::XavierNormal => normal(values, crate::math::sqrt(2.0 / (fan_in + fan_out)), rng),
            Init::HeNormal => normal(values, crate::math::sqrt(2.0 / fan_in), rng),
        }
    }

    /// Whether the hyperparameters describe a distribution (finite bounds, `low < high`,
    /// `std >= 0`, finite constant).
    pub fn is_valid(self) -> bool {
        match self {
            Init::Uniform(low, high) => low.is_finite() && high.is_finite() && low < high,
            Init::Normal(std) => std.is_finite() && std >= 0.0,
            Init::Constant(c) => c.is_finite(),
            _ => true,
        }
    }
}

fn uniform<R: RngCore + ?Sized>(values: &mut [f32], low: f32, high: f32, rng: &mut R) {
    match Uniform::new(low, high) {
        Ok(dist) => values.iter_mut().for_each(|v| *v = dist.sample(rng)),
        Err(_) => values.fill(low),
    }
}

fn normal<R: RngCore + ?Sized>(values: &mut [f32], std: f32, rng: &mut R) {
    match Normal::new(0.0, std) {
        Ok(dist) => values.iter_mut().for_each(|v| *v = rng.sample(dist)),
        Err(_) => values.fill(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    fn stats(init: Init, fan_in: usize, fan_out: usize) -> (f32, f32, f32) {
        let mut v = [0.0f32; 100_352];
        init.fill(&mut v, fan_in, fan_out, &mut SmallRng::seed_from_u64(7));
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        (mean as f32, var.sqrt() as f32, max)
    }

    #[test]
    fn uniform_bounds_and_std_match_pytorch_formulas() {
        // Bounds and std from tests/reference/init.json (fan_in 784, fan_out 128).
        for (init, bound, std) in [
            (Init::XavierUniform, 0.081_110_71, 0.046_829_29),
            (Init::HeUniform, 0.087_481_78, 0.050_507_63),
            (Init::Default, 0.035_714_29, 0.020_619_65),
        ] {
            let (mean, s, max) = stats(init, 784, 128);
            assert!(mean.abs() < 1e-3, "{init:?} mean {mean}");
            assert!(max <= bound, "{init:?} max {max} > {bound}");
            assert!(max > bound * 0.99, "{init:?} max {max} far below {bound}");
            assert!((s / std - 1.0).abs() < 0.02, "{init:?} std {s} vs {std}");
        }
    }

    #[test]
    fn normal_std_matches_pytorch_formulas() {
        for (init, std) in
            [(Init::XavierNormal, 0.046_829_29), (Init::HeNormal, 0.050_507_63), (Init::Normal(0.3), 0.3)]
        {
            let (mean, s, _) = stats(init, 784, 128);
            assert!(mean.abs() < 2e-3 * std / 0.05, "{init:?} mean {mean}");
            assert!((s / std - 1.0).abs() < 0.02, "{init:?} std {s} vs {std}");
        }
    }

    #[test]
    fn constants() {
        let mut v = [1.0f32; 4];
        Init::Zeros.fill(&mut v, 2, 2, &mut SmallRng::seed_from_u64(0));
        assert_eq!(v, [0.0; 4]);
        Init::Constant(0.5).fill(&mut v, 2, 2, &mut SmallRng::seed_from_u64(0));
        assert_eq!(v, [0.5; 4]);
        assert!(!Init::Uniform(1.0, 1.0).is_valid());
        assert!(!Init::Normal(-1.0).is_valid());
    }
}
