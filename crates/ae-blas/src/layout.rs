//! Strided matrices and their translation into CBLAS's row-major arguments.

/// A read-only `rows × cols` matrix: element `(i, j)` is at `ptr + i·row_stride + j·col_stride`.
#[derive(Clone, Copy, Debug)]
pub struct Operand {
    pub(crate) ptr: *const f32,
    pub(crate) row_stride: isize,
    pub(crate) col_stride: isize,
}

/// The written matrix, with the same addressing as [`Operand`].
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub(crate) ptr: *mut f32,
    pub(crate) row_stride: isize,
    pub(crate) col_stride: isize,
}

// SAFETY: the pointers are only dereferenced inside `sgemm`, whose contract makes the caller
// vouch for them; blocks handed to other threads write disjoint parts of the output.
#[allow(unsafe_code)]
unsafe impl Send for Operand {}
#[allow(unsafe_code)]
unsafe impl Sync for Operand {}
#[allow(unsafe_code)]
unsafe impl Send for Output {}
#[allow(unsafe_code)]
unsafe impl Sync for Output {}

impl Operand {
    /// A matrix at `ptr` with the given strides, in elements.
    pub fn new(ptr: *const f32, row_stride: isize, col_stride: isize) -> Self {
        Self {
            ptr,
            row_stride,
            col_stride,
        }
    }
    pub(crate) fn offset_rows(self, rows: usize) -> Self {
        Self {
            ptr: self.ptr.wrapping_offset(rows as isize * self.row_stride),
            ..self
        }
    }
    pub(crate) fn offset_cols(self, cols: usize) -> Self {
        Self {
            ptr: self.ptr.wrapping_offset(cols as isize * self.col_stride),
            ..self
        }
    }
    fn transposed(self) -> Self {
        Self {
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

impl Output {
    /// A matrix at `ptr` with the given strides, in elements.
    pub fn new(ptr: *mut f32, row_stride: isize, col_stride: isize) -> Self {
        Self {
            ptr,
            row_stride,
            col_stride,
        }
    }
    pub(crate) fn offset_rows(self, rows: usize) -> Self {
        Self {
            ptr: self.ptr.wrapping_offset(rows as isize * self.row_stride),
            ..self
        }
    }
    pub(crate) fn offset_cols(self, cols: usize) -> Self {
        Self {
            ptr: self.ptr.wrapping_offset(cols as isize * self.col_stride),
            ..self
        }
    }
}

pub(crate) const ROW_MAJOR: i32 = 101;
pub(crate) const NO_TRANS: i32 = 111;
pub(crate) const TRANS: i32 = 112;

/// The arguments of one `cblas_sgemm(RowMajor, …)` call (alpha and beta aside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CblasCall {
    pub trans_a: i32,
    pub trans_b: i32,
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub a: *const f32,
    pub lda: i32,
    pub b: *const f32,
    pub ldb: i32,
    pub c: *mut f32,
    pub ldc: i32,
}

/// How a `rows × cols` matrix with these strides reads as a CBLAS row-major operand:
/// `(transposed, leading dimension)`, or `None` when neither its rows nor its columns are
/// contiguous. Strides along a dimension of length 1 are never used, so they do not matter.
pub(crate) fn operand_layout(
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
) -> Option<(bool, i32)> {
    let ld = |value: usize| i32::try_from(value).ok();
    if (cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols as isize) {
        let lead = if rows == 1 { cols } else { row_stride as usize };
        return Some((false, ld(lead.max(1))?));
    }
    if (rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows as isize) {
        let lead = if cols == 1 { rows } else { col_stride as usize };
        return Some((true, ld(lead.max(1))?));
    }
    None
}

/// The row-major CBLAS call computing `dst (m × n) = lhs (m × k) · rhs (k × n)`, or `None`
/// when some matrix has no BLAS layout. A column-major `dst` is handled as the transposed
/// product `dstᵀ = rhsᵀ · lhsᵀ`.
pub(crate) fn cblas_call(
    m: usize,
    n: usize,
    k: usize,
    dst: Output,
    lhs: Operand,
    rhs: Operand,
) -> Option<CblasCall> {
    let (m, n, lhs, rhs, ldc) = match operand_layout(m, n, dst.row_stride, dst.col_stride)? {
        (false, ldc) => (m, n, lhs, rhs, ldc),
        (true, ldc) => (n, m, rhs.transposed(), lhs.transposed(), ldc),
    };
    let (ta, lda) = operand_layout(m, k, lhs.row_stride, lhs.col_stride)?;
    let (tb, ldb) = operand_layout(k, n, rhs.row_stride, rhs.col_stride)?;
    let dim = |value: usize| i32::try_from(value).ok();
    Some(CblasCall {
        trans_a: if ta { TRANS } else { NO_TRANS },
        trans_b: if tb { TRANS } else { NO_TRANS },
        m: dim(m)?,
        n: dim(n)?,
        k: dim(k)?,
        a: lhs.ptr,
        lda,
        b: rhs.ptr,
        ldb,
        c: dst.ptr,
        ldc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_and_column_major_operands() {
        // 3 x 4 row-major, padded rows, column-major, and a transposed view of a 4 x 3 matrix.
        assert_eq!(operand_layout(3, 4, 4, 1), Some((false, 4)));
        assert_eq!(operand_layout(3, 4, 6, 1), Some((false, 6)));
        assert_eq!(operand_layout(3, 4, 1, 3), Some((true, 3)));
        assert_eq!(operand_layout(3, 4, 1, 5), Some((true, 5)));
        // Overlapping rows, strided both ways, negative strides: no BLAS layout.
        assert_eq!(operand_layout(3, 4, 2, 1), None);
        assert_eq!(operand_layout(3, 4, 8, 2), None);
        assert_eq!(operand_layout(3, 4, -4, 1), None);
    }

    #[test]
    fn unit_dimensions_ignore_their_stride() {
        // A single row with any row stride, a single column with any column stride.
        assert_eq!(operand_layout(1, 5, 0, 1), Some((false, 5)));
        assert_eq!(operand_layout(4, 1, 7, 99), Some((false, 7)));
        // A row read from a column-major matrix (col stride 9): transposed, ld 9... or a
        // 1 x 1 matrix, which reads either way.
        assert_eq!(operand_layout(1, 5, 1, 9), Some((true, 9)));
        assert_eq!(operand_layout(1, 1, 0, 0), Some((false, 1)));
    }

    #[test]
    fn column_major_output_becomes_the_transposed_product() {
        let (a, b) = ([0f32; 6], [0f32; 12]);
        let mut c = [0f32; 8];
        let lhs = Operand::new(a.as_ptr(), 3, 1); // 2 x 3 row-major
        let rhs = Operand::new(b.as_ptr(), 4, 1); // 3 x 4 row-major
        let dst = Output::new(c.as_mut_ptr(), 1, 2); // 2 x 4 column-major
        let call = cblas_call(2, 4, 3, dst, lhs, rhs).unwrap();
        // dstᵀ (4 x 2) = rhsᵀ (4 x 3) · lhsᵀ (3 x 2), both read transposed.
        assert_eq!((call.m, call.n, call.k), (4, 2, 3));
        assert_eq!((call.trans_a, call.lda, call.a), (TRANS, 4, b.as_ptr()));
        assert_eq!((call.trans_b, call.ldb, call.b), (TRANS, 3, a.as_ptr()));
        assert_eq!(call.ldc, 2);
    }
}
