//! The same operations without panics: a length mismatch is an
//! [`Error`] value. For callers whose shapes come from outside (a request
//! body, say) and who want to answer with the error instead of aborting.
//!
//! Each function checks exactly the preconditions its panicking twin in the
//! crate root documents, then runs the same kernel on the active backend.

use crate::{Backend, Error};

/// [`crate::dot`] without the panic.
pub fn dot(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::active().dot(a, b)
}
/// [`crate::cosine`] without the panic.
pub fn cosine(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::active().cosine(a, b)
}
/// [`crate::euclidean`] without the panic.
pub fn euclidean(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::active().euclidean(a, b)
}
/// [`crate::euclidean_sq`] without the panic.
pub fn euclidean_sq(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::active().euclidean_sq(a, b)
}
/// [`crate::add`] without the panic.
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().add(a, b, out)
}
/// [`crate::sub`] without the panic.
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().sub(a, b, out)
}
/// [`crate::mul`] without the panic.
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().mul(a, b, out)
}
/// [`crate::div`] without the panic.
pub fn div(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().div(a, b, out)
}
/// [`crate::scale`] without the panic.
pub fn scale(a: &[f32], s: f32, out: &mut [f32]) -> Result<(), Error> {
    Backend::active().scale(a, s, out)
}
/// [`crate::axpy`] without the panic.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) -> Result<(), Error> {
    Backend::active().axpy(alpha, x, y)
}
/// [`crate::fma`] without the panic.
pub fn fma(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().fma(a, b, c, out)
}
/// [`crate::clamp`] without the panic.
pub fn clamp(a: &[f32], lo: f32, hi: f32, out: &mut [f32]) -> Result<(), Error> {
    Backend::active().clamp(a, lo, hi, out)
}
/// [`crate::abs`] without the panic.
pub fn abs(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().abs(a, out)
}
/// [`crate::relu`] without the panic.
pub fn relu(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().relu(a, out)
}
/// [`crate::sigmoid`] without the panic.
pub fn sigmoid(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().sigmoid(a, out)
}
/// [`crate::tanh`] without the panic.
pub fn tanh(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().tanh(a, out)
}
/// [`crate::gelu`] without the panic.
pub fn gelu(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().gelu(a, out)
}
/// [`crate::exp`] without the panic.
pub fn exp(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().exp(a, out)
}
/// [`crate::softmax`] without the panic.
pub fn softmax(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::active().softmax(a, out)
}
/// [`crate::matvec`] without the panic.
pub fn matvec(
    m: &[f32],
    rows: usize,
    cols: usize,
    x: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    Backend::active().matvec(m, rows, cols, x, out)
}
