//! The operands of a product: matrices stored row-major in slices, read as they are or
//! transposed, and what the result starts from.

/// A `rows x cols` matrix read from a slice: element `(i, j)` is `data[i·cols + j]`, or
/// `data[j·rows + i]` after [`Mat::t`] (the transpose of the matrix stored there).
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> Mat<'a> {
    /// The row-major `rows x cols` matrix at the start of `data`.
    ///
    /// # Panics
    ///
    /// If `data` holds fewer than `rows·cols` values.
    pub const fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(matches!(rows.checked_mul(cols), Some(len) if len <= data.len()), "Mat: slice too short");
        Mat { data, rows, cols, transposed: false }
    }

    /// The transpose: `(i, j)` of the result is `(j, i)` of `self`.
    #[must_use]
    pub const fn t(self) -> Self {
        Mat { data: self.data, rows: self.cols, cols: self.rows, transposed: !self.transposed }
    }

    /// Rows, as read.
    pub const fn rows(&self) -> usize {
        self.rows
    }

    /// Columns, as read.
    pub const fn cols(&self) -> usize {
        self.cols
    }

    /// The stored values.
    pub(super) const fn data(&self) -> &'a [f32] {
        self.data
    }

    /// Whether `(i, j)` is `data[j·ld + i]` rather than `data[i·ld + j]`.
    pub(super) const fn transposed(&self) -> bool {
        self.transposed
    }

    /// The distance between stored rows: `cols` as stored.
    pub(super) const fn ld(&self) -> usize {
        if self.transposed { self.rows } else { self.cols }
    }
}

/// The row-major `rows x cols` result of a product, written in place.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
}

impl<'a> MatMut<'a> {
    /// The row-major `rows x cols` matrix at the start of `data`.
    ///
    /// # Panics
    ///
    /// If `data` holds fewer than `rows·cols` values.
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        assert!(matches!(rows.checked_mul(cols), Some(len) if len <= data.len()), "MatMut: slice too short");
        MatMut { data, rows, cols }
    }

    /// Rows.
    pub const fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub const fn cols(&self) -> usize {
        self.cols
    }

    /// The stored values, row `i` at `i·cols`.
    pub(super) fn data(&mut self) -> &mut [f32] {
        self.data
    }
}

/// What each element of a product's result starts from, before `Σ_p a[i][p] · b[p][j]`
/// is added.
#[derive(Clone, Copy, Debug)]
pub enum Start<'a> {
    /// Zero: `c = a b`.
    Zero,
    /// The values already in `c`: `c += a b`.
    Accumulate,
    /// `bias[i]` in row `i`: `c[i][j] = bias[i] + (a b)[i][j]`.
    RowBias(&'a [f32]),
    /// `bias[j]` in column `j`: `c[i][j] = bias[j] + (a b)[i][j]`.
    ColBias(&'a [f32]),
}
