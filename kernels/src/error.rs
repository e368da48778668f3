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
            Error::MatrixView {
                op,
                name,
                rows,
                cols,
                stride,
                len,
            } => {
                if rows > 1 && stride < cols {
                    return write!(
                        f,
                        "rayo_kernels::{op}: {name}: row stride {stride} is less than its {cols} columns"
                    );
                }
                match (rows - 1).checked_mul(stride).and_then(|x| x.checked_add(cols)) {
                    Some(need) => write!(
                        f,
                        "rayo_kernels::{op}: {name}: {rows} x {cols} with row stride {stride} needs {need} elements but {name}.len() is {len}"
                    ),
                    None => write!(
                        f,
                        "rayo_kernels::{op}: {name}: {rows} x {cols} with row stride {stride} overflows usize ({name}.len() is {len})"
                    ),
                }
            }
            Error::PackedLen { k, n, len, want } => match want {
                Some(want) => write!(
                    f,
                    "rayo_kernels::PackedB: length mismatch: the buffer has {len} elements but a packed {k} x {n} B has {want}"
                ),
                None => write!(
                    f,
                    "rayo_kernels::PackedB: a packed {k} x {n} B overflows usize (the buffer has {len} elements)"
                ),
            },
            Error::PackedAlign { offset } => write!(
                f,
                "rayo_kernels::PackedB: the buffer must start on a 64-byte boundary but starts {offset} bytes past one"
            ),
            // ---- end gemm ----
        }
    }
}

impl core::error::Error for Error {}
