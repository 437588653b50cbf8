//! A slice that the workers of one [`WorkerPool::run`](super::pool::WorkerPool::run) job
//! write in disjoint parts: part `i` of `parts` to worker `i`.

use core::marker::PhantomData;
use core::ops::Range;

use crate::optim::StateSlices;

/// A mutable slice split into `parts` contiguous parts of near-equal length, each
/// taken by at most one thread at a time.
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
        part_range(self.len, self.parts, i)
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
    fn threads_write_their_own_parts() {
        let mut values = [0.0f32; 11];
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
        assert_eq!(values, [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0]);
    }

    #[test]
    fn state_parts_line_up_with_the_parameters() {
        let (mut m, mut v) = ([0.0f32; 7], [0.0f32; 7]);
        let state = DisjointState::new(StateSlices::new([&mut m, &mut [], &mut v]), 7, 2);
        std::thread::scope(|s| {
            for i in 0..2 {
                let state = &state;
                s.spawn(move || {
                    // SAFETY: each thread takes only its own part.
                    let [m, unused, v] = unsafe { state.part(i) }.into_buffers();
                    assert_eq!((m.len(), unused.len(), v.len()), (part_range(7, 2, i).len(), 0, m.len()));
                    m.iter_mut().for_each(|x| *x = i as f32);
                    v.iter_mut().for_each(|x| *x = 10.0 + i as f32);
                });
            }
        });
        assert_eq!(m, [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        assert_eq!(v, [10.0, 10.0, 10.0, 10.0, 11.0, 11.0, 11.0]);
    }

    #[test]
    #[should_panic(expected = "an optimizer's state buffer has 3 values for 7 parameters")]
    fn state_of_another_size_is_refused() {
        let mut m = [0.0f32; 3];
        DisjointState::new(StateSlices::new([&mut m, &mut [], &mut []]), 7, 2);
    }
}
