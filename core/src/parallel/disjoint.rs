//! A slice that the workers of one [`WorkerPool::run`](super::pool::WorkerPool::run) job
//! write in disjoint parts: part `i` of `parts` to worker `i`.

use core::marker::PhantomData;
use core::ops::Range;

use crate::cache_line::BLOCK_ALIGN;
use crate::optim::StateSlices;

/// A mutable parameter-sized block split into `parts` contiguous parts of near-equal
/// length that start on cache lines ([`line_part_range`]), each taken by at most one
/// thread at a time.
pub(crate) struct DisjointParts<'a> {
    start: *mut f32,
    len: usize,
    parts: usize,
    borrow: PhantomData<&'a mut [f32]>,
}

// SAFETY: the parts never overlap (`part_range` partitions `0..len`), and `part` requires
// that each index is used by one thread at a time, so sharing the splitter between
// threads hands each `&mut [f32]` to one thread only, as `split_at_mut` would.
unsafe impl Sync for DisjointParts<'_> {}

impl<'a> DisjointParts<'a> {
    /// `slice` in `parts` parts (at least 1).
    pub(crate) fn new(slice: &'a mut [f32], parts: usize) -> Self {
        DisjointParts { start: slice.as_mut_ptr(), len: slice.len(), parts: parts.max(1), borrow: PhantomData }
    }

    /// The index range of part `i` (empty for `i >= parts`).
    pub(crate) fn part_range(&self, i: usize) -> Range<usize> {
        line_part_range(self.len, self.parts, i)
    }

    /// Part `i`, mutably.
    ///
    /// # Safety
    ///
    /// While the returned slice lives, no other call may take part `i` (other parts may be
    /// taken from other threads).
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn part(&self, i: usize) -> &mut [f32] {
        let range = self.part_range(i);
        // SAFETY: `range` lies inside `0..len` of the slice borrowed for `'a`, parts are
        // disjoint, and the caller takes each part once at a time.
        unsafe { core::slice::from_raw_parts_mut(self.start.add(range.start), range.len()) }
    }
}

/// An optimizer's state buffers cut like the parameters they belong to: part `i` of each
/// kept buffer goes with part `i` of the parameters.
pub(crate) struct DisjointState<'a> {
    buffers: [DisjointParts<'a>; 3],
}

impl<'a> DisjointState<'a> {
    /// `state` in `parts` parts, for parameters of `len` values.
    ///
    /// # Panics
    /// If a kept buffer is not `len` values long (an optimizer handing out state of
    /// another size than its parameters).
    pub(crate) fn new(state: StateSlices<'a>, len: usize, parts: usize) -> Self {
        let buffers = state.into_buffers().map(|buffer| {
            assert!(
                buffer.is_empty() || buffer.len() == len,
                "an optimizer's state buffer has {} values for {len} parameters",
                buffer.len()
            );
            DisjointParts::new(buffer, parts)
        });
        DisjointState { buffers }
    }

    /// Part `i` of every buffer (empty ones stay empty).
    ///
    /// # Safety
    ///
    /// As [`DisjointParts::part`]: while the returned slices live, no other call may take
    /// part `i`.
    pub(crate) unsafe fn part(&self, i: usize) -> StateSlices<'_> {
        let [a, b, c] = &self.buffers;
        // SAFETY: the caller takes part `i` once at a time, which is what each buffer's
        // `part` requires.
        StateSlices::new(unsafe { [a.part(i), b.part(i), c.part(i)] })
    }
}

/// Part `i` of `0..len` cut in `parts` parts whose lengths differ by at most one (the
/// first `len % parts` parts are one longer).
pub(crate) fn part_range(len: usize, parts: usize, i: usize) -> Range<usize> {
    if i >= parts {
        return len..len;
    }
    let (base, extra) = (len / parts, len % parts);
    let start = i * base + i.min(extra);
    start..start + base + usize::from(i < extra)
}

/// Values of one [`BLOCK_ALIGN`] cache line (16 on x86-64, 1 elsewhere).
const LINE: usize = BLOCK_ALIGN / core::mem::size_of::<f32>();

/// Part `i` of a parameter-sized block of `len` values (which starts on a cache line) cut
/// in `parts` parts that start on cache lines too: the block's lines shared as
/// [`part_range`] shares rows, the last part ending at `len`.
///
/// Cut at any value, every vector access of a part after the first would straddle two
/// lines: on an AMD EPYC (Zen 4), Adam over the second half of 784-512-512-10's block took
/// 278 µs cut at its middle value and 142 µs cut at a line (AVX-512).
pub(crate) fn line_part_range(len: usize, parts: usize, i: usize) -> Range<usize> {
    let lines = part_range(len.div_ceil(LINE), parts, i);
    (lines.start * LINE).min(len)..(lines.end * LINE).min(len)
}

#[cfg(test)]
mod tests {
    //! Run under miri in CI (`parallel::` in `.ci/run`).
    use super::*;

    #[test]
    fn parts_partition_the_range_in_order() {
        for len in 0..20 {
            for parts in 1..6 {
                let mut next = 0;
                for i in 0..parts {
                    let r = part_range(len, parts, i);
                    assert_eq!(r.start, next);
                    assert!(r.len() == len / parts || r.len() == len / parts + 1);
                    next = r.end;
                }
                assert_eq!(next, len);
                assert!(part_range(len, parts, parts).is_empty());
            }
        }
    }

    #[test]
    fn block_parts_start_on_cache_lines_and_partition_the_block() {
        for len in [0, 1, LINE - 1, LINE, LINE + 1, 3 * LINE + 5, 1000] {
            for parts in 1..5 {
                let mut next = 0;
                for i in 0..parts {
                    let r = line_part_range(len, parts, i);
                    assert_eq!(r.start, next);
                    assert!(r.start.is_multiple_of(LINE) || r.is_empty());
                    next = r.end;
                }
                assert_eq!(next, len);
                assert!(line_part_range(len, parts, parts).is_empty());
            }
        }
        // Whole lines are shared as rows are: 1,000 values are 63 lines on x86-64.
        assert_eq!(line_part_range(1000, 2, 1).start, if LINE == 16 { 32 * 16 } else { 500 });
    }

    /// `part(i)`'s value for each index of a block of `len` values in `parts` parts.
    fn owners(len: usize, parts: usize) -> std::vec::Vec<f32> {
        (0..len).map(|k| (0..parts).find(|&i| line_part_range(len, parts, i).contains(&k)).unwrap() as f32).collect()
    }

    #[test]
    fn threads_write_their_own_parts() {
        let mut values = [0.0f32; 2 * LINE + 3];
        let parts = DisjointParts::new(&mut values, 3);
        std::thread::scope(|s| {
            for i in 0..3 {
                let parts = &parts;
                s.spawn(move || {
                    // SAFETY: each thread takes only its own part.
                    let part = unsafe { parts.part(i) };
                    part.iter_mut().for_each(|v| *v = i as f32 + 1.0);
                });
            }
        });
        let expected: std::vec::Vec<f32> = owners(values.len(), 3).iter().map(|i| i + 1.0).collect();
        assert_eq!(values[..], expected[..]);
        assert!(expected.contains(&3.0), "every thread has a part");
    }

    #[test]
    fn state_parts_line_up_with_the_parameters() {
        const LEN: usize = LINE + 7;
        let (mut m, mut v) = ([0.0f32; LEN], [0.0f32; LEN]);
        let state = DisjointState::new(StateSlices::new([&mut m, &mut [], &mut v]), LEN, 2);
        std::thread::scope(|s| {
            for i in 0..2 {
                let state = &state;
                s.spawn(move || {
                    // SAFETY: each thread takes only its own part.
                    let [m, unused, v] = unsafe { state.part(i) }.into_buffers();
                    assert_eq!((m.len(), unused.len(), v.len()), (line_part_range(LEN, 2, i).len(), 0, m.len()));
                    m.iter_mut().for_each(|x| *x = i as f32);
                    v.iter_mut().for_each(|x| *x = 10.0 + i as f32);
                });
            }
        });
        let expected = owners(LEN, 2);
        assert_eq!(m[..], expected[..]);
        assert_eq!(v.map(|x| x - 10.0)[..], expected[..]);
        assert!(expected.contains(&1.0), "both threads have a part");
    }

    #[test]
    #[should_panic(expected = "an optimizer's state buffer has 3 values for 7 parameters")]
    fn state_of_another_size_is_refused() {
        let mut m = [0.0f32; 3];
        DisjointState::new(StateSlices::new([&mut m, &mut [], &mut []]), 7, 2);
    }
}
