//! One matrix-product engine for every layer: `C = start + A B`, with `A` and `B` read as
//! stored or transposed, and nothing allocated (unlike `matrixmultiply`, which allocates
//! a packing buffer on every call).
//!
//! - [`gemm`] is the engine. Its dimensions are run-time values and it is not generic, so
//!   it is compiled and optimised here, in `staticnet-core`: a user's crate built with
//!   `[profile.dev.package."*"] opt-level = 3` trains at release speed in debug builds.
//! - Inside: the loop nest (`loops.rs`), the packing (`pack.rs`) and the register-blocked
//!   micro-kernels (`kernel.rs`), with the kernel set (portable, AVX2 + FMA, AVX-512F)
//!   chosen once in [`chosen`] (`dispatch.rs`; `STATICNET_KERNEL` overrides it).
//! - The products a dense layer needs, on rows of compile-time length, are thin shims:
//!   - [`matmul_nt`]: `C = A Bᵀ + bias` (forward, `y = x Wᵀ + b`),
//!   - [`matmul_nn`]: `C = A B` (input gradient, `dx = dy W`),
//!   - [`matmul_tn`]: `C = Aᵀ B` (weight gradient, `dW = dyᵀ x`), and [`matmul_tn_acc`]:
//!     `C += Aᵀ B` (gradients added to those already held).

mod arith;
mod dispatch;
mod kernel;
mod loops;
mod mat;
mod pack;
mod portable;
#[cfg(test)]
mod tests;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod x86;

pub use dispatch::{Kernels, chosen};
pub use mat::{Mat, MatMut, Start};

/// `c[i][j] = start[i][j] + Σ_p a[i][p] · b[p][j]`, with the kernel set [`chosen`].
///
/// # Panics
///
/// If `a` is not `m x k`, `b` not `k x n` and `c` not `m x n`, or a bias is shorter than
/// its rows (`RowBias`) or columns (`ColBias`).
pub fn gemm(a: Mat<'_>, b: Mat<'_>, c: MatMut<'_>, start: Start<'_>) {
    gemm_with(chosen(), a, b, c, start)
}

/// [`gemm`] with the kernel set `kernels` (the portable one if the processor lacks it).
fn gemm_with(kernels: Kernels, a: Mat<'_>, b: Mat<'_>, mut c: MatMut<'_>, start: Start<'_>) {
    let (m, n) = (c.rows(), c.cols());
    assert!(a.rows() == m && b.cols() == n && a.cols() == b.rows(), "gemm: shapes do not agree");
    match start {
        Start::RowBias(bias) => assert!(bias.len() >= m, "gemm: bias shorter than the rows"),
        Start::ColBias(bias) => assert!(bias.len() >= n, "gemm: bias shorter than the columns"),
        Start::Zero | Start::Accumulate => {}
    }
    let c = &mut c.data()[..m * n];
    kernels.run(&mut loops::Job { a, b, c, start });
}

/// `c[r][j] = bias[j] + Σ_k a[r][k] · b[j][k]` for every row `r` of `a` and `c`.
#[inline]
pub fn matmul_nt<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    let m = a.len().min(c.len());
    let a = Mat::new(a.as_flattened(), m, K);
    gemm(a, Mat::new(b.as_flattened(), N, K).t(), MatMut::new(c.as_flattened_mut(), m, N), Start::ColBias(bias))
}

/// `c[r] = Σ_j a[r][j] · b[j]` for every row `r` of `a` and `c`.
#[inline]
pub fn matmul_nn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]; N], c: &mut [[f32; K]]) {
    let m = a.len().min(c.len());
    let a = Mat::new(a.as_flattened(), m, N);
    gemm(a, Mat::new(b.as_flattened(), N, K), MatMut::new(c.as_flattened_mut(), m, K), Start::Zero)
}

/// `c[j] = Σ_r a[r][j] · b[r]`: the sum over rows of outer products.
#[inline]
pub fn matmul_tn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    tn(a, b, c, Start::Zero)
}

/// `c[j] += Σ_r a[r][j] · b[r]`: [`matmul_tn`] added to what `c` holds (gradient
/// accumulation).
#[inline]
pub fn matmul_tn_acc<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N]) {
    tn(a, b, c, Start::Accumulate)
}

/// `c = start + aᵀ b` over the rows both have.
#[inline]
fn tn<const N: usize, const K: usize>(a: &[[f32; N]], b: &[[f32; K]], c: &mut [[f32; K]; N], start: Start<'_>) {
    let rows = a.len().min(b.len());
    let a = Mat::new(a.as_flattened(), rows, N).t();
    gemm(a, Mat::new(b.as_flattened(), rows, K), MatMut::new(c.as_flattened_mut(), N, K), start)
}
