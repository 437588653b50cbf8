//! Dot products with several independent accumulators, so that the compiler can keep
//! them in vector registers (a single running sum would serialise every addition).

/// Accumulator lanes per dot product.
const LANES: usize = 8;

/// `Σ_k a[k] · b[k]`.
#[inline(always)]
pub fn dot<const K: usize>(a: &[f32; K], b: &[f32; K]) -> f32 {
    let (a_chunks, a_rest) = a.as_chunks::<LANES>();
    let (b_chunks, b_rest) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (ac, bc) in a_chunks.iter().zip(b_chunks) {
        for l in 0..LANES {
            acc[l] += ac[l] * bc[l];
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// The dot products of four rows with one vector `b`, reading `b` once.
#[inline(always)]
pub fn dot4<const K: usize>(a: [&[f32; K]; 4], b: &[f32; K]) -> [f32; 4] {
    let (b_chunks, b_rest) = b.as_chunks::<LANES>();
    let a_split = a.map(|row| row.as_chunks::<LANES>());
    let mut acc = [[0.0f32; LANES]; 4];
    for (k, bc) in b_chunks.iter().enumerate() {
        for (acc_r, (a_chunks, _)) in acc.iter_mut().zip(&a_split) {
            let ac = &a_chunks[k];
            for l in 0..LANES {
                acc_r[l] += ac[l] * bc[l];
            }
        }
    }
    let mut out = [0.0f32; 4];
    for ((o, acc_r), (_, a_rest)) in out.iter_mut().zip(&acc).zip(&a_split) {
        let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
        *o = acc_r.iter().sum::<f32>() + tail;
    }
    out
}
