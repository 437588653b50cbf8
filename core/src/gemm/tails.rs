//! How a kernel that computes `C` in blocks of `ROWS` rows covers the rows left after the
//! last full block: a block of 4 and pairs where they fit, then single rows. Single rows
//! have too few independent sums to hide the multiply-add latency, so as few as possible
//! go one at a time.

/// The sizes of the blocks, in order, that cover `left` rows after the full blocks of
/// `rows` (each size smaller than `rows`): for blocks of 6, 5 rows are 4 + 1 and 3 are 2 + 1.
pub(super) fn tail_blocks(rows: usize, mut left: usize) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        let size = [4, 2, 1].into_iter().find(|&size| (size < rows || size == 1) && size <= left)?;
        left -= size;
        Some(size)
    })
}

#[cfg(test)]
mod tests {
    use super::tail_blocks;
    use std::vec::Vec;

    #[test]
    fn blocks_of_4_and_2_come_before_single_rows() {
        let sizes = |rows, left| tail_blocks(rows, left).collect::<Vec<_>>();
        assert_eq!(sizes(6, 5), [4, 1]);
        assert_eq!(sizes(6, 3), [2, 1]);
        assert_eq!(sizes(6, 0), [0; 0]);
        assert_eq!(sizes(4, 3), [2, 1]);
        assert_eq!(sizes(2, 1), [1]);
        assert_eq!(sizes(1, 3), [1, 1, 1]);
    }
}
