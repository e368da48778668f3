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
    /// A matrix's length is not a whole number of rows (`left_len % right_len != 0`, or
    /// `right_len` is 0 while `left_len` is not).
    NotWholeRows {
        /// The operation, e.g. `"layer_norm"`.
        op: &'static str,
        /// The matrix length, e.g. `"x.len()"`.
        left: &'static str,
        /// Its value.
        left_len: usize,
        /// The row length, e.g. `"gamma.len()"` or `"cols"`.
        right: &'static str,
        /// Its value.
        right_len: usize,
    },
    /// A length or stride is below what the shape needs.
    TooSmall {
        /// The operation, e.g. `"attention"`.
        op: &'static str,
        /// What is too small, e.g. `"k.len()"` or `"q_stride"`.
        what: &'static str,
        /// Its value.
        value: usize,
        /// The least the shape needs (`usize::MAX` if that overflows).
        need: usize,
        /// How `need` is made up, e.g. `"(tokens - 1) * k_stride + heads * head_dim"`.
        rule: &'static str,
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
            // The transformer ops.
            Error::NotWholeRows {
                op,
                left,
                left_len,
                right,
                right_len,
            } => write!(
                f,
                "rayo_kernels::{op}: shape mismatch: {left} is {left_len}, not a whole number of rows of {right} = {right_len}"
            ),
            Error::TooSmall {
                op,
                what,
                value,
                need,
                rule,
            } => write!(
                f,
                "rayo_kernels::{op}: {what} is {value} but the shape needs at least {need} ({rule})"
            ),
        }
    }
}

impl core::error::Error for Error {}
