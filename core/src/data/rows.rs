//! Checked conversion from rows of any length (`Vec<Vec<f32>>`, what a CSV reader yields)
//! to fixed-size samples (`Vec<[f32; N]>`, what a network takes).

use std::vec::Vec;

use crate::error::Error;

/// `rows` as samples of `N` values, or [`Error::RowWidth`] naming the first row of another
/// width. Takes `Vec<Vec<f32>>`, `&[&[f32]]`, or anything whose rows are `AsRef<[f32]>`.
///
/// ```
/// use staticnet_core::data::to_rows;
///
/// let table: Vec<Vec<f32>> = vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
/// let samples: Vec<[f32; 3]> = to_rows(&table)?;
/// assert_eq!(samples[1], [4.0, 5.0, 6.0]);
/// let err = to_rows::<4, _>(&table).unwrap_err();
/// assert_eq!(err.to_string(), "row 0 has 3 values, samples have 4");
/// # Ok::<(), staticnet_core::Error>(())
/// ```
pub fn to_rows<const N: usize, R: AsRef<[f32]>>(rows: &[R]) -> Result<Vec<[f32; N]>, Error> {
    rows.iter()
        .enumerate()
        .map(|(row, values)| {
            let values = values.as_ref();
            <[f32; N]>::try_from(values).map_err(|_| Error::RowWidth { row, found: values.len(), expected: N })
        })
        .collect()
}
