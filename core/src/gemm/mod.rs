//! Matrix products for dense layers, specialised on compile-time sizes.
//!
//! Every matrix here is a slice of fixed-size rows (`&[[f32; K]]`), so the inner
//! dimensions are constants the compiler unrolls and vectorises, and nothing is allocated:
//! unlike `matrixmultiply`, which allocates a packing buffer on every call, these kernels
//! read their operands in place. The three products a dense layer needs:
//!
//! - [`matmul_nt`]: `C = A Bᵀ + bias` (forward, `y = x Wᵀ + b`),
//! - [`matmul_nn`]: `C = A B` (input gradient, `dx = dy W`),
//! - [`matmul_tn`]: `C = Aᵀ B` (weight gradient, `dW = dyᵀ x`).

mod dot;

pub use dot::dot;
use dot::dot4;

/// Rows handled together so that each row of `B` is read once per block.
const ROW_BLOCK: usize = 4;

/// `c[r][j] = bias[j] + Σ_k a[r][k] · b[j][k]` for every row `r` of `a` and `c`.
pub fn matmul_nt<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    let mut a_blocks = a.chunks_exact(ROW_BLOCK);
    let mut c_blocks = c.chunks_exact_mut(ROW_BLOCK);
    for (a4, c4) in (&mut a_blocks).zip(&mut c_blocks) {
        let rows = [&a4[0], &a4[1], &a4[2], &a4[3]];
        for (j, (bj, bias_j)) in b.iter().zip(bias).enumerate() {
            let d = dot4(rows, bj);
            for (c_row, d_r) in c4.iter_mut().zip(d) {
                c_row[j] = d_r + bias_j;
            }
        }
    }
    for (a_row, c_row) in a_blocks.remainder().iter().zip(c_blocks.into_remainder()) {
        for ((c_j, bj), bias_j) in c_row.iter_mut().zip(b).zip(bias) {
            *c_j = dot(a_row, bj) + bias_j;
        }
    }
}

/// `c[r] = Σ_j a[r][j] · b[j]` for every row `r` of `a` and `c`.
pub fn matmul_nn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]; N], c: &mut [[f32; K]]) {
    let mut a_blocks = a.chunks_exact(ROW_BLOCK);
    let mut c_blocks = c.chunks_exact_mut(ROW_BLOCK);
    for (a4, c4) in (&mut a_blocks).zip(&mut c_blocks) {
        c4.iter_mut().for_each(|row| *row = [0.0; K]);
        for (j, bj) in b.iter().enumerate() {
            for (c_row, a_row) in c4.iter_mut().zip(a4) {
                axpy(a_row[j], bj, c_row);
            }
        }
    }
    for (a_row, c_row) in a_blocks.remainder().iter().zip(c_blocks.into_remainder()) {
        *c_row = [0.0; K];
        for (&a_j, bj) in a_row.iter().zip(b) {
            axpy(a_j, bj, c_row);
        }
    }
}

/// `c[j] = Σ_r a[r][j] · b[r]`: the sum over rows of outer products.
pub fn matmul_tn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    for (j, c_row) in c.iter_mut().enumerate() {
        *c_row = [0.0; K];
        for (a_row, b_row) in a.iter().zip(b) {
            axpy(a_row[j], b_row, c_row);
        }
    }
}

/// `y += alpha · x`.
#[inline(always)]
fn axpy<const K: usize>(alpha: f32, x: &[f32; K], y: &mut [f32; K]) {
    for (y_k, x_k) in y.iter_mut().zip(x) {
        *y_k += alpha * x_k;
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
        let a: [[f32; 13]; 7] = filled(0.37);
        let b: [[f32; 13]; 5] = filled(0.91);
        let bias = [0.5, -1.0, 0.25, 2.0, 0.0];
        let av: Vec<Vec<f32>> = a.iter().map(|r| r.to_vec()).collect();
        let bv: Vec<Vec<f32>> = b.iter().map(|r| r.to_vec()).collect();
        let bt: Vec<Vec<f32>> = (0..13).map(|k| (0..5).map(|j| b[j][k]).collect()).collect();

        let mut c = [[0.0; 5]; 7];
        matmul_nt(&a, &b, &bias, &mut c);
        for (row, want) in c.iter().zip(naive(&av, &bt)) {
            let want: Vec<f32> = want.iter().zip(bias).map(|(w, b)| w + b).collect();
            close(row, &want);
        }

        let g: [[f32; 5]; 7] = filled(0.53);
        let gv: Vec<Vec<f32>> = g.iter().map(|r| r.to_vec()).collect();
        let mut dx = [[0.0; 13]; 7];
        matmul_nn(&g, &b, &mut dx);
        for (row, want) in dx.iter().zip(naive(&gv, &bv)) {
            close(row, &want);
        }

        let mut dw = [[0.0; 13]; 5];
        matmul_tn(&g[..6], &a[..6], &mut dw);
        let gt: Vec<Vec<f32>> = (0..5).map(|j| (0..6).map(|r| g[r][j]).collect()).collect();
        for (row, want) in dw.iter().zip(naive(&gt, &av[..6])) {
            close(row, &want);
        }
    }
}
