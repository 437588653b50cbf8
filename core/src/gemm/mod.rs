//! Matrix products for dense layers, specialised on compile-time sizes.
//!
//! Every matrix here is a slice of fixed-size rows (`&[[f32; K]]`), so the inner
//! dimensions are constants the compiler unrolls and vectorises, and nothing is allocated:
//! unlike `matrixmultiply`, which allocates a packing buffer on every call, these kernels
//! read their operands in place, keeping a block of the result in registers. The three
//! products a dense layer needs, one file each:
//!
//! - [`matmul_nt`]: `C = A Bᵀ + bias` (forward, `y = x Wᵀ + b`),
//! - [`matmul_nn`]: `C = A B` (input gradient, `dx = dy W`),
//! - [`matmul_tn`]: `C = Aᵀ B` (weight gradient, `dW = dyᵀ x`).

mod arith;
mod nn;
mod nt;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod nt_packed;
mod tn;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod x86;

use arith::Separate;

/// `c[r][j] = bias[j] + Σ_k a[r][k] · b[j][k]` for every row `r` of `a` and `c`.
pub fn matmul_nt<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if x86::has_avx512() {
        // SAFETY: the processor has AVX-512F, checked just above.
        return unsafe { x86::matmul_nt_avx512(a, b, bias, c) };
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if x86::has_avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        return unsafe { x86::matmul_nt_avx2(a, b, bias, c) };
    }
    nt::matmul_nt::<nt::Lanes<Separate, 8>, 4, 2, K, N>(a, b, bias, c)
}

/// `c[r] = Σ_j a[r][j] · b[j]` for every row `r` of `a` and `c`.
pub fn matmul_nn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]; N], c: &mut [[f32; K]]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if x86::has_avx512() {
        // SAFETY: the processor has AVX-512F, checked just above.
        return unsafe { x86::matmul_nn_avx512(a, b, c) };
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if x86::has_avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        return unsafe { x86::matmul_nn_avx2(a, b, c) };
    }
    nn::matmul_nn::<Separate, 16, 8, 4, N, K>(a, b, c)
}

/// `c[j] = Σ_r a[r][j] · b[r]`: the sum over rows of outer products.
pub fn matmul_tn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if x86::has_avx512() {
        // SAFETY: the processor has AVX-512F, checked just above.
        return unsafe { x86::matmul_tn_avx512(a, b, c) };
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if x86::has_avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        return unsafe { x86::matmul_tn_avx2(a, b, c) };
    }
    tn::matmul_tn::<Separate, 16, 8, 4, N, K>(a, b, c)
}

/// `c[j] += Σ_r a[r][j] · b[r]`: [`matmul_tn`] added to what `c` holds.
pub fn matmul_tn_acc<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    for (a, b) in a.iter().zip(b) {
        for (c, &a) in c.iter_mut().zip(a) {
            for (c, &b) in c.iter_mut().zip(b) {
                *c += a * b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[Vec<f32>], b: &[Vec<f32>]) -> Vec<Vec<f32>> {
        a.iter().map(|r| (0..b[0].len()).map(|j| r.iter().zip(b).map(|(x, bj)| x * bj[j]).sum()).collect()).collect()
    }

    fn filled<const R: usize, const C: usize>(seed: f32) -> [[f32; C]; R] {
        let mut m = [[0.0; C]; R];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = ((i * 31 + j * 17) as f32 * seed).sin();
            }
        }
        m
    }

    fn close(x: &[f32], y: &[f32]) {
        for (a, b) in x.iter().zip(y) {
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn products_match_the_naive_loops_for_odd_sizes() {
        check_sizes::<13, 5, 7>();
        check_sizes::<37, 18, 9>();
        check_sizes::<16, 4, 4>();
        // Enough rows for the packed forward kernel, a depth over one panel, a column tail.
        check_sizes::<300, 37, 70>();
    }

    fn check_sizes<const K: usize, const N: usize, const R: usize>() {
        let a: [[f32; K]; R] = filled(0.37);
        let b: [[f32; K]; N] = filled(0.91);
        let bias: [f32; N] = core::array::from_fn(|j| j as f32 * 0.25 - 1.0);
        let g: [[f32; N]; R] = filled(0.53);
        let av: Vec<Vec<f32>> = a.iter().map(|r| r.to_vec()).collect();
        let bv: Vec<Vec<f32>> = b.iter().map(|r| r.to_vec()).collect();
        let gv: Vec<Vec<f32>> = g.iter().map(|r| r.to_vec()).collect();
        let bt: Vec<Vec<f32>> = (0..K).map(|k| (0..N).map(|j| b[j][k]).collect()).collect();
        let gt: Vec<Vec<f32>> = (0..N).map(|j| (0..R - 1).map(|r| g[r][j]).collect()).collect();
        let want_y: Vec<Vec<f32>> =
            naive(&av, &bt).iter().map(|row| row.iter().zip(bias).map(|(w, b)| w + b).collect()).collect();
        let want_dx = naive(&gv, &bv);
        let want_dw = naive(&gt, &av[..R - 1]);

        // The dispatched kernels (AVX2 + FMA where the processor has them) and the portable ones.
        let mut c = [[0.0; N]; R];
        matmul_nt(&a, &b, &bias, &mut c);
        c.iter().zip(&want_y).for_each(|(row, want)| close(row, want));
        nt::matmul_nt::<nt::Lanes<Separate, 8>, 4, 2, K, N>(&a, &b, &bias, &mut c);
        c.iter().zip(&want_y).for_each(|(row, want)| close(row, want));

        let mut dx = [[0.0; K]; R];
        matmul_nn(&g, &b, &mut dx);
        dx.iter().zip(&want_dx).for_each(|(row, want)| close(row, want));
        nn::matmul_nn::<Separate, 16, 8, 4, N, K>(&g, &b, &mut dx);
        dx.iter().zip(&want_dx).for_each(|(row, want)| close(row, want));

        // The AVX2 kernels, which the dispatch skips on processors with AVX-512.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if x86::has_avx2_fma() {
            // SAFETY: the processor has AVX2 and FMA, checked just above.
            unsafe {
                x86::matmul_nt_avx2(&a, &b, &bias, &mut c);
                c.iter().zip(&want_y).for_each(|(row, want)| close(row, want));
                x86::matmul_nn_avx2(&g, &b, &mut dx);
                dx.iter().zip(&want_dx).for_each(|(row, want)| close(row, want));
                let mut dw = [[0.0; K]; N];
                x86::matmul_tn_avx2(&g[..R - 1], &a[..R - 1], &mut dw);
                dw.iter().zip(&want_dw).for_each(|(row, want)| close(row, want));
            }
        }

        let mut dw = [[0.0; K]; N];
        matmul_tn(&g[..R - 1], &a[..R - 1], &mut dw);
        dw.iter().zip(&want_dw).for_each(|(row, want)| close(row, want));
        tn::matmul_tn::<Separate, 16, 8, 4, N, K>(&g[..R - 1], &a[..R - 1], &mut dw);
        dw.iter().zip(&want_dw).for_each(|(row, want)| close(row, want));
    }
}
