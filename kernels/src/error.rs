//! The crate's one error type: a shape that does not fit the operation.

use core::fmt;

/// Why a call was rejected. Returned by [`crate::checked`]; the panicking API
/// panics with this value's `Display` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Two lengths that must be equal are not.
    LengthMismatch {
        /// The operation, e.g. `"dot"`.
        op: &'static str,
        /// The first length, e.g. `"a.len()"`.
        left: &'static str,
        /// Its value.
        left_len: usize,
        /// The length it must equal, e.g. `"b.len()"` or `"cols"`.
        right: &'static str,
        /// Its value.
        right_len: usize,
    },
    /// `matvec`: `m.len()` is not `rows * cols` (or that product overflows).
    MatrixShape {
        /// Rows requested.
        rows: usize,
        /// Columns requested.
        cols: usize,
        /// Actual `m.len()`.
        len: usize,
    },
    // ---- gemm ----
    /// A gemm matrix view or packed-B buffer that does not fit; see
    /// [`GemmError`].
    Gemm(GemmError),
    // ---- end gemm ----
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::LengthMismatch {
                op,
                left,
                left_len,
                right,
                right_len,
            } => write!(
                f,
                "rayo_kernels::{op}: length mismatch: {left} is {left_len} but {right} is {right_len}"
            ),
            Error::MatrixShape { rows, cols, len } => match rows.checked_mul(cols) {
                Some(p) => write!(
                    f,
                    "rayo_kernels::matvec: shape mismatch: m.len() is {len} but rows * cols is {rows} * {cols} = {p}"
                ),
                None => write!(
                    f,
                    "rayo_kernels::matvec: shape mismatch: rows * cols = {rows} * {cols} overflows usize (m.len() is {len})"
                ),
            },
            // ---- gemm ----
            Error::Gemm(ref e) => (e.show)(&e.kind, f),
            // ---- end gemm ----
        }
    }
}

impl core::error::Error for Error {}

// ---- gemm ----
/// What is wrong with a gemm matrix view or packed-B buffer (inside
/// [`Error::Gemm`]).
///
/// Its `Display` text is written by code that only the gemm functions link
/// (reached through a function pointer set where the error is made), so a
/// binary that never calls gemm, such as the compute bootstrap, does not
/// carry these messages.
#[derive(Clone, Copy)]
pub struct GemmError {
    pub(crate) kind: GemmErrorKind,
    pub(crate) show: fn(&GemmErrorKind, &mut fmt::Formatter<'_>) -> fmt::Result,
}

impl GemmError {
    /// The error's kind and values.
    pub fn kind(&self) -> &GemmErrorKind {
        &self.kind
    }
}

impl fmt::Debug for GemmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl PartialEq for GemmError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for GemmError {}

/// The kinds of [`GemmError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GemmErrorKind {
    /// A matrix view does not fit its slice: its row stride is less than its
    /// columns (with more than one row), or `(rows - 1) * stride + cols`
    /// exceeds (or overflows) the slice's length.
    MatrixView {
        /// The operation, e.g. `"gemm"`.
        op: &'static str,
        /// Which matrix: `"a"`, `"b"`, `"c"`.
        name: &'static str,
        /// Rows of the view.
        rows: usize,
        /// Columns of the view.
        cols: usize,
        /// Row stride of the view.
        stride: usize,
        /// The slice's length.
        len: usize,
    },
    /// A packed B buffer's length is not [`crate::PackedB::len`]`(k, n)`.
    PackedLen {
        /// Rows of B.
        k: usize,
        /// Columns of B.
        n: usize,
        /// The buffer's length (elements).
        len: usize,
        /// The length it must have; `None` if it overflows `usize`.
        want: Option<usize>,
    },
    /// A packed B buffer does not start on a 64-byte boundary.
    PackedAlign {
        /// Bytes past the last 64-byte boundary.
        offset: usize,
    },
}
// ---- end gemm ----
