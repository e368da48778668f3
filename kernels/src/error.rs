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
        }
    }
}

impl core::error::Error for Error {}
