//! The matrix products of dense and convolution layers: one engine, specialised on
//! compile-time sizes.
//!
//! Every matrix here is a slice of fixed-size rows (`&[[f32; K]]`, or any [`Flat`] block
//! such as a convolution's `[[f32; OW]; OH]` image), so the inner dimensions are constants
//! the compiler unrolls and vectorises, and nothing is allocated: unlike `matrixmultiply`,
//! which allocates a packing buffer on every call, these kernels read their operands in
//! place (or pack a panel on the stack), keeping a block of the result in registers.
//!
//! - [`matmul_nt`]: `C = A Bᵀ + bias` (dense forward, `y = x Wᵀ + b`), by dot products
//!   for few rows (`dots.rs`; `wide_dots.rs` in 16 lanes for long rows with AVX-512), as `Cᵀ = B Aᵀ` for 16 to 32 on x86 (`transposed.rs`) and packed
//!   panels for more (`packed.rs`);
//! - [`matmul`]: `C = start + A B` by broadcasting (`broadcast.rs`): the dense input
//!   gradient `dx = dy W`, and all three products of a convolution (`y = W · col + b`,
//!   `dWᵀ += col · dyᵀ`, `dcol = Wᵀ · dy`);
//! - [`matmul_tn`]: `C = start + Aᵀ B` as a sum of outer products (`outer.rs`): the dense
//!   weight gradient `dW = dyᵀ x`, overwritten or accumulated.
//! - `matmul_nt_acc_with`: `C += A Bᵀ` and the row sums of `A` over rows of any block, by
//!   dot products (`flat_dots.rs`, x86-64 vector kernels): a convolution's weight and bias
//!   gradients with few output channels.
//!
//! Which instruction set runs is decided in one place, [`Kernel::active`]; each product
//! also has a `_with` form taking the [`Kernel`], which the tests use to run every kernel
//! the processor has.

mod arith;
mod broadcast;
mod dispatch;
mod dots;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod flat_dots;
mod outer;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod packed;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod panel;
mod tails;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod transposed;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod wide_dots;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod x86;

use crate::flat::Flat;
pub(crate) use arith::Fma;
use arith::Separate;
use dispatch::Isa;
pub use dispatch::Kernel;

/// What a product's result starts from, before the sum of products is added.
#[derive(Clone, Copy, Debug)]
pub enum Start<'a> {
    /// Zero: the result overwrites `C`.
    Zero,
    /// The values already in `C`: the result is added to them.
    Accumulate,
    /// `bias[r]` in every column of row `r` (a convolution's bias, one per output channel).
    RowBias(&'a [f32]),
}

/// `c[r][j] = bias[j] + Σ_k a[r][k] · b[j][k]` for every row `r` of `a` and `c`.
#[inline]
pub fn matmul_nt<const K: usize, const N: usize>(
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    matmul_nt_with(Kernel::active(), a, b, bias, c)
}

/// [`matmul_nt`] with the given kernels.
#[inline]
pub fn matmul_nt_with<const K: usize, const N: usize>(
    kernel: Kernel,
    a: &[[f32; K]],
    b: &[[f32; K]; N],
    bias: &[f32; N],
    c: &mut [[f32; N]],
) {
    match kernel.isa() {
        // SAFETY: a `Kernel` exists only for instruction sets the processor has.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx512 => unsafe { x86::matmul_nt_avx512(a, b, bias, c) },
        // SAFETY: as above.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx2 => unsafe { x86::matmul_nt_avx2(a, b, bias, c) },
        Isa::Portable => dots::matmul_nt::<dots::Lanes<Separate, 8>, 4, 2, K, N>(a, b, bias, c),
    }
}

/// `c[r] = start[r] + Σ_j a[r][j] · b[j]` for every row `r` of `a` and `c`: rows of `a`
/// have `A::LEN` values, one per row of `b`; rows of `b` and `c` are `T` blocks.
#[inline]
pub fn matmul<A: Flat, T: Flat>(start: Start<'_>, a: &[A], b: &[T], c: &mut [T]) {
    matmul_with(Kernel::active(), start, a, b, c)
}

/// [`matmul`] with the given kernels.
#[inline]
pub fn matmul_with<A: Flat, T: Flat>(kernel: Kernel, start: Start<'_>, a: &[A], b: &[T], c: &mut [T]) {
    match kernel.isa() {
        // SAFETY: a `Kernel` exists only for instruction sets the processor has.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx512 => unsafe { x86::matmul_avx512(start, a, b, c) },
        // SAFETY: as above.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx2 => unsafe { x86::matmul_avx2(start, a, b, c) },
        Isa::Portable => broadcast::matmul::<Separate, A, T, 4, 4, 8, 8>(start, a, b, c),
    }
}

/// Whether `kernel` has [`matmul_nt_acc_with`]: the x86-64 vector kernels do.
#[inline]
pub(crate) fn has_matmul_nt_acc(kernel: Kernel) -> bool {
    kernel.isa() != Isa::Portable
}

/// `c[r][j] += Σ_p a[r][p] · b[j][p]` and `sums[r] += Σ_p a[r][p]` for every row `r` of
/// `a`, `c` and `sums` and row `j` of `b`: rows of `a` and `b` are `T` blocks, rows of `c`
/// have `A::LEN` values, one per row of `b`. A convolution's weight and bias gradients,
/// `dW += dy · colᵀ` and `db += Σ_p dy`, when it has few output channels. Only for kernels
/// that [`has_matmul_nt_acc`]; it leaves `c` and `sums` as they are for others.
#[inline]
pub(crate) fn matmul_nt_acc_with<T: Flat, A: Flat>(kernel: Kernel, a: &[T], b: &[T], c: &mut [A], sums: &mut [f32]) {
    match kernel.isa() {
        // SAFETY: a `Kernel` exists only for instruction sets the processor has.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx512 | Isa::Avx2 => unsafe { x86::matmul_nt_acc_avx2(a, b, c, sums) },
        // No dot-product form: callers check `has_matmul_nt_acc` first.
        Isa::Portable => _ = (a, b, c, sums),
    }
}

/// `c[j] = start[j] + Σ_r a[r][j] · b[r]`: the sum over rows of outer products.
#[inline]
pub fn matmul_tn<const N: usize, const K: usize>(
    start: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    matmul_tn_with(Kernel::active(), start, a, b, c)
}

/// [`matmul_tn`] with the given kernels.
#[inline]
pub fn matmul_tn_with<const N: usize, const K: usize>(
    kernel: Kernel,
    start: Start<'_>,
    a: &[[f32; N]],
    b: &[[f32; K]],
    c: &mut [[f32; K]; N],
) {
    match kernel.isa() {
        // SAFETY: a `Kernel` exists only for instruction sets the processor has.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx512 => unsafe { x86::matmul_tn_avx512(start, a, b, c) },
        // SAFETY: as above.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx2 => unsafe { x86::matmul_tn_avx2(start, a, b, c) },
        Isa::Portable => outer::matmul_tn::<Separate, 16, 8, 4, N, K>(start, a, b, c),
    }
}

/// Runs `f`, an elementwise loop (a recurrent cell's gates), compiled for the widest
/// vectors of [`Kernel::active`] where the compiler inlines it, as it does a closure called
/// once. Its arithmetic is the same on every path: the compiler does not contract it into
/// fused multiply-adds.
#[inline]
pub(crate) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    vectorised_with(Kernel::active(), f)
}

/// [`vectorised`] with the given kernels.
#[inline]
pub(crate) fn vectorised_with<R>(kernel: Kernel, f: impl FnOnce() -> R) -> R {
    match kernel.isa() {
        // SAFETY: a `Kernel` exists only for instruction sets the processor has.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx512 => unsafe { x86::vectorised_avx512(f) },
        // SAFETY: as above.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx2 => unsafe { x86::vectorised_avx2(f) },
        Isa::Portable => f(),
    }
}

/// [`vectorised`] for loops whose multiply-adds may be fused: `f` is told which kind the
/// kernels have ([`Fma::Fused`] on the AVX2 and AVX-512 paths, [`Fma::Separate`] on the
/// portable one) and does them that way, through [`Fma::mul_add`]. The polynomials of `exp`,
/// the logistic function and `tanh` then take one instruction per term where there is
/// `fma`, and their results differ between the paths in the last bit or two.
#[inline]
pub(crate) fn vectorised_fma<R>(f: impl FnOnce(Fma) -> R) -> R {
    match Kernel::active().isa() {
        // SAFETY: a `Kernel` exists only for instruction sets the processor has.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx512 => unsafe { x86::vectorised_avx512(|| f(Fma::Fused)) },
        // SAFETY: as above.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Isa::Avx2 => unsafe { x86::vectorised_avx2(|| f(Fma::Fused)) },
        Isa::Portable => f(Fma::Separate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

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

    fn close(what: &str, x: &[f32], y: &[f32]) {
        assert_eq!(x.len(), y.len());
        for (a, b) in x.iter().zip(y) {
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{what}: {a} vs {b}");
        }
    }

    fn rows<const C: usize>(m: &[[f32; C]]) -> Vec<Vec<f32>> {
        m.iter().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn every_kernel_matches_the_naive_loops_for_odd_sizes() {
        check_sizes::<13, 5, 7>();
        check_sizes::<37, 18, 9>();
        check_sizes::<16, 4, 4>();
        // Row counts past every block and pair size, and column tails of every strip width.
        check_sizes::<9, 61, 11>();
        check_sizes::<5, 8, 17>();
        // Enough rows for the packed forward kernel, a depth over one panel, a column tail.
        check_sizes::<300, 37, 70>();
        // Short dot products in few rows, and either side of the packing threshold (48).
        check_sizes::<64, 33, 15>();
        check_sizes::<64, 10, 47>();
        check_sizes::<64, 10, 48>();
        // A weight gradient summed in several passes over its rows (a small result, many
        // rows), with columns in strips of 16, 8 and 4.
        check_sizes::<28, 64, 100>();
        // Packed forward products whose rows end in a pair, and in a block of 4 and a row.
        check_sizes::<40, 20, 50>();
        check_sizes::<40, 20, 53>();
        // An input gradient over packed panels of `B`: 300 rows of `B` (two panels), a
        // column tail after the packed strips.
        check_sizes::<40, 300, 50>();
        // Forward products of 16 to 32 rows with a panel's worth of values, computed
        // transposed: two panels deep and a tile tail, a column tail after the strip; and
        // more columns than one block of the transpose holds.
        check_sizes::<520, 40, 17>();
        check_sizes::<260, 130, 32>();
        // A weight gradient in strips of 64 columns and one of 16 (AVX-512).
        check_sizes::<80, 23, 30>();
        // A weight gradient over packed panels of `B`: 149 rows of `A` and `B` (two
        // panels), 50 rows of the result, a column tail after the packed strips.
        check_sizes::<100, 50, 150>();
        // Long dot products in few rows (16 lanes with AVX-512): a tail of 9 after the
        // lanes, a block of 4 rows and single rows, columns past every block width.
        check_sizes::<137, 13, 7>();
    }

    /// Below the packing thresholds, a row's forward result has the same bits alone as in
    /// a batch (one-sample inference equals the batched pass), with short and long rows.
    #[test]
    fn few_rows_give_each_row_the_bits_it_has_alone() {
        fn check<const K: usize, const N: usize>() {
            let a: [[f32; K]; 7] = filled(0.37);
            let b: [[f32; K]; N] = filled(0.91);
            let bias: [f32; N] = core::array::from_fn(|j| j as f32 * 0.25 - 1.0);
            for kernel in Kernel::available() {
                let mut batch = [[0.0; N]; 7];
                matmul_nt_with(kernel, &a, &b, &bias, &mut batch);
                for (row, want) in a.iter().zip(&batch) {
                    let mut alone = [[0.0; N]];
                    matmul_nt_with(kernel, core::array::from_ref(row), &b, &bias, &mut alone);
                    assert_eq!(alone[0].map(f32::to_bits), want.map(f32::to_bits), "{}", kernel.name());
                }
            }
        }
        check::<37, 13>();
        check::<137, 13>();
        check::<784, 10>();
    }

    fn check_sizes<const K: usize, const N: usize, const R: usize>() {
        let a: [[f32; K]; R] = filled(0.37);
        let b: [[f32; K]; N] = filled(0.91);
        let bias: [f32; N] = core::array::from_fn(|j| j as f32 * 0.25 - 1.0);
        let g: [[f32; N]; R] = filled(0.53);
        let (av, bv, gv) = (rows(&a), rows(&b), rows(&g));
        let bt: Vec<Vec<f32>> = (0..K).map(|k| (0..N).map(|j| b[j][k]).collect()).collect();
        let gt: Vec<Vec<f32>> = (0..N).map(|j| (0..R - 1).map(|r| g[r][j]).collect()).collect();
        let want_y: Vec<f32> = naive(&av, &bt)
            .iter()
            .flat_map(|row| row.iter().zip(bias).map(|(w, b)| w + b).collect::<Vec<_>>())
            .collect();
        let want_dx: Vec<f32> = naive(&gv, &bv).concat();
        let want_dw: Vec<f32> = naive(&gt, &av[..R - 1]).concat();
        let row_bias: [f32; R] = core::array::from_fn(|r| r as f32 - 2.0);
        let want_dx_biased: Vec<f32> = want_dx.iter().enumerate().map(|(i, v)| v + row_bias[i / K]).collect();
        let twice = |v: &[f32]| v.iter().map(|x| 2.0 * x).collect::<Vec<f32>>();

        for kernel in Kernel::available() {
            let name = kernel.name();
            let mut c = [[f32::NAN; N]; R];
            matmul_nt_with(kernel, &a, &b, &bias, &mut c);
            close(name, c.as_flattened(), &want_y);

            let mut dx = [[f32::NAN; K]; R];
            matmul_with(kernel, Start::Zero, &g, &b, &mut dx);
            close(name, dx.as_flattened(), &want_dx);
            matmul_with(kernel, Start::Accumulate, &g, &b, &mut dx);
            close(name, dx.as_flattened(), &twice(&want_dx));
            matmul_with(kernel, Start::RowBias(&row_bias), &g, &b, &mut dx);
            close(name, dx.as_flattened(), &want_dx_biased);

            let mut dw = [[f32::NAN; K]; N];
            matmul_tn_with(kernel, Start::Zero, &g[..R - 1], &a[..R - 1], &mut dw);
            close(name, dw.as_flattened(), &want_dw);
            matmul_tn_with(kernel, Start::Accumulate, &g[..R - 1], &a[..R - 1], &mut dw);
            close(name, dw.as_flattened(), &twice(&want_dw));
        }
    }

    /// `C += A Bᵀ` and the row sums over blocks (a convolution's weight and bias
    /// gradients): rows past every block size, and lengths with and without tails.
    #[test]
    fn dot_products_of_blocks_add_to_the_result() {
        fn check<const H: usize, const W: usize, const R: usize, const N: usize>() {
            let a: [[[f32; W]; H]; R] = core::array::from_fn(|r| filled(0.31 + r as f32 * 0.07));
            let b: [[[f32; W]; H]; N] = core::array::from_fn(|j| filled(0.13 + j as f32 * 0.05));
            let start: [[f32; N]; R] = filled(0.71);
            let (av, bv) = (a.map(|m| m.as_flattened().to_vec()), b.map(|m| m.as_flattened().to_vec()));
            let bt: Vec<Vec<f32>> = (0..H * W).map(|p| bv.iter().map(|row| row[p]).collect()).collect();
            let want: Vec<f32> =
                naive(&av, &bt).iter().zip(&start).flat_map(|(d, s)| d.iter().zip(s).map(|(d, s)| d + s)).collect();
            let want_sums: Vec<f32> = av.iter().zip(0..).map(|(row, r)| r as f32 + row.iter().sum::<f32>()).collect();
            for kernel in Kernel::available().filter(|&kernel| has_matmul_nt_acc(kernel)) {
                let mut c = start;
                let mut sums: [f32; R] = core::array::from_fn(|r| r as f32);
                matmul_nt_acc_with(kernel, &a, &b, &mut c, &mut sums);
                close(kernel.name(), c.as_flattened(), &want);
                close(kernel.name(), &sums, &want_sums);
            }
        }
        check::<28, 28, 8, 9>();
        check::<5, 7, 9, 11>();
        check::<14, 14, 16, 72>();
        check::<1, 3, 1, 1>();
    }

    /// Rows that are blocks (a convolution's images): the same product as on flat rows.
    #[test]
    fn rows_of_any_flat_block_give_the_product_of_their_values() {
        let a: [[f32; 12]; 6] = filled(0.29);
        let b: [[[f32; 7]; 5]; 12] = core::array::from_fn(|j| filled(0.1 + j as f32 * 0.03));
        let b_flat: Vec<[f32; 35]> = b.iter().map(|m| core::array::from_fn(|i| m.as_flattened()[i])).collect();
        for kernel in Kernel::available() {
            let mut c = [[[f32::NAN; 7]; 5]; 6];
            let mut want = [[f32::NAN; 35]; 6];
            matmul_with(kernel, Start::Zero, &a, &b, &mut c);
            matmul_with(Kernel::portable(), Start::Zero, &a, &b_flat, &mut want);
            let got: Vec<f32> = c.iter().flat_map(|m| m.as_flattened().to_vec()).collect();
            close(kernel.name(), &got, want.as_flattened());
        }
    }
}
