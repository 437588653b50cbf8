//! Every kernel set the processor has, whatever the dispatch would pick, against the
//! definition written as plain loops.

use super::*;

/// Deterministic values in [-1, 1).
fn values(len: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

fn close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}[{i}]: {g} vs {w}");
    }
}

/// The kernel sets to test: those the processor has (the others are skipped).
fn kernel_sets() -> impl Iterator<Item = Kernels> {
    Kernels::ALL.into_iter().filter(|k| k.supported())
}

/// `c = start + op(a) op(b)` for `m x k` by `k x n`, every kernel set, every layout of
/// the operands, every start, against plain loops.
fn check(m: usize, n: usize, k: usize) {
    let (a_data, b_data) = (values(m * k, 1), values(k * n, 2));
    let (c_data, bias) = (values(m * n, 3), values(m.max(n), 4));
    // a(i, p) and b(p, j) of the matrices the stored ones are read as.
    let a = |t: bool, i: usize, p: usize| if t { a_data[p * m + i] } else { a_data[i * k + p] };
    let b = |t: bool, p: usize, j: usize| if t { b_data[j * k + p] } else { b_data[p * n + j] };
    let starts = [Start::Zero, Start::Accumulate, Start::RowBias(&bias), Start::ColBias(&bias)];
    for kernels in kernel_sets() {
        for (a_t, b_t) in [(false, false), (false, true), (true, false), (true, true)] {
            for start in starts {
                let want: Vec<f32> = (0..m * n)
                    .map(|e| {
                        let (i, j) = (e / n, e % n);
                        let s = match start {
                            Start::Zero => 0.0,
                            Start::Accumulate => c_data[e],
                            Start::RowBias(bias) => bias[i],
                            Start::ColBias(bias) => bias[j],
                        };
                        s + (0..k).map(|p| a(a_t, i, p) * b(b_t, p, j)).sum::<f32>()
                    })
                    .collect();
                let am = if a_t { Mat::new(&a_data, k, m).t() } else { Mat::new(&a_data, m, k) };
                let bm = if b_t { Mat::new(&b_data, n, k).t() } else { Mat::new(&b_data, k, n) };
                let mut got = c_data.clone();
                gemm_with(kernels, am, bm, MatMut::new(&mut got, m, n), start);
                close(&format!("{kernels:?} {m}x{k}x{n} a_t {a_t} b_t {b_t} {start:?}"), &got, &want);
            }
        }
    }
}

#[test]
fn every_kernel_set_matches_the_definition() {
    check(1, 1, 1);
    check(7, 5, 13); // below every block size
    check(13, 37, 9); // row and column tails of every width
    check(6, 32, 16); // exactly one AVX-512 block
    check(9, 70, 300); // a depth over one panel
    check(50, 45, 20); // enough rows to pack a transposed B, with tails
    check(64, 100, 257); // packed, over one panel by one
    check(3, 4, 0); // no depth: the start only
}

#[test]
fn empty_products_write_nothing() {
    for kernels in kernel_sets() {
        let mut c = [1.0; 4];
        gemm_with(kernels, Mat::new(&[], 0, 3), Mat::new(&[0.0; 12], 3, 4), MatMut::new(&mut c, 0, 4), Start::Zero);
        gemm_with(kernels, Mat::new(&[0.0; 6], 2, 3), Mat::new(&[], 3, 0), MatMut::new(&mut c, 2, 0), Start::Zero);
        assert_eq!(c, [1.0; 4]);
    }
}

#[test]
#[should_panic(expected = "shapes do not agree")]
fn mismatched_shapes_panic() {
    let mut c = [0.0; 4];
    gemm(Mat::new(&[0.0; 6], 2, 3), Mat::new(&[0.0; 8], 4, 2), MatMut::new(&mut c, 2, 2), Start::Zero);
}

#[test]
fn the_chosen_set_runs_here() {
    assert!(chosen().supported());
}

fn filled<const R: usize, const C: usize>(seed: u32) -> [[f32; C]; R] {
    let v = values(R * C, seed);
    core::array::from_fn(|i| core::array::from_fn(|j| v[i * C + j]))
}

/// The dense shims on rows of compile-time length, against plain loops.
fn check_shims<const K: usize, const N: usize, const R: usize>() {
    let a: [[f32; K]; R] = filled(5);
    let b: [[f32; K]; N] = filled(6);
    let bias: [f32; N] = filled::<1, N>(7)[0];
    let g: [[f32; N]; R] = filled(8);

    let mut y = [[0.0; N]; R];
    matmul_nt(&a, &b, &bias, &mut y);
    for (a_r, y_r) in a.iter().zip(&y) {
        let want: Vec<f32> =
            b.iter().zip(bias).map(|(b_j, s)| s + a_r.iter().zip(b_j).map(|(x, w)| x * w).sum::<f32>()).collect();
        close("matmul_nt", y_r, &want);
    }

    let mut dx = [[0.0; K]; R];
    matmul_nn(&g, &b, &mut dx);
    for (g_r, dx_r) in g.iter().zip(&dx) {
        let want: Vec<f32> = (0..K).map(|k| g_r.iter().zip(&b).map(|(s, b_j)| s * b_j[k]).sum()).collect();
        close("matmul_nn", dx_r, &want);
    }

    // Over the first R - 1 rows only, then added once more.
    let mut dw = [[0.0; K]; N];
    matmul_tn(&g[..R - 1], &a[..R - 1], &mut dw);
    let want: Vec<f32> = (0..N * K).map(|e| (0..R - 1).map(|r| g[r][e / K] * a[r][e % K]).sum()).collect();
    close("matmul_tn", dw.as_flattened(), &want);
    matmul_tn_acc(&g[..R - 1], &a[..R - 1], &mut dw);
    close("matmul_tn_acc", dw.as_flattened(), &want.iter().map(|w| 2.0 * w).collect::<Vec<_>>());
}

#[test]
fn dense_products_match_the_definition() {
    check_shims::<13, 5, 7>();
    check_shims::<37, 18, 9>();
    check_shims::<300, 37, 70>(); // the packed forward product, a depth over one panel
}

/// Two halves of a batch accumulated equal the whole batch.
#[test]
fn accumulated_halves_equal_the_whole() {
    let a: [[f32; 9]; 10] = filled(9);
    let b: [[f32; 11]; 10] = filled(10);
    let mut whole = [[0.0; 11]; 9];
    matmul_tn(&a, &b, &mut whole);
    let mut halves = [[0.0; 11]; 9];
    matmul_tn(&a[..4], &b[..4], &mut halves);
    matmul_tn_acc(&a[4..], &b[4..], &mut halves);
    close("halves", halves.as_flattened(), whole.as_flattened());
}
