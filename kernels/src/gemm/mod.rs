//! Matrix multiply: `C = A · B (+ bias)` and `C += A · B (+ bias)`, row-major,
//! single thread, no allocation.
//!
//! Shapes: A is `m × k`, C is `m × n`, B is `k × n` given either as itself
//! ([`Layout::KxN`]) or as its transpose, `n × k` ([`Layout::NxK`], the layout
//! of a PyTorch/safetensors `Linear` weight, `out_features × in_features`),
//! in `f32` or f16 (`u16` bits, see [`crate::f16`]), or packed once with
//! [`PackedB`]. The bias, if any, has `n` elements and is added to every row.
//! Every matrix is a [`Mat`]/[`MatMut`] view with a row stride, so a column
//! slice of a wider matrix (one attention head of a `tokens × hidden`
//! activation) is used in place.
//!
//! Structure (after BLIS/OpenBLAS): B is cut into 16-column panels that are
//! either read in place (a [`PackedB`] in `f32`) or packed per call into a
//! stack buffer of at most 32 KiB (converting f16 on the way), and the rows
//! of A a block of `k` meets are packed into a 128 KiB stack buffer (about
//! 160 KiB of stack per call in all); a
//! register-blocked micro-kernel per instruction set multiplies a few rows of
//! A with one or two panels over a block of `k` that keeps the panels in L1;
//! ragged edges run the same kernel with fewer rows or masked columns. One row
//! (`m = 1`) streams B once with the f16 conversion in the inner loop.

pub(crate) mod dispatch;
pub(crate) mod kernel;
mod pack;
#[cfg(any(
    feature = "reference",
    not(any(
        all(target_arch = "x86_64", feature = "sse2"),
        all(target_arch = "aarch64", feature = "neon")
    ))
))]
mod scalar;
#[cfg(all(test, target_arch = "x86_64", feature = "avx2"))]
mod tests;

pub use pack::{PackedB, PackedElement};

use crate::{Backend, Error};

/// A read-only row-major matrix view: `rows × cols` elements, row `i` at
/// `data[i * stride..][..cols]`.
///
/// The view only records the shape; [`crate::gemm`] checks that it fits in
/// `data` (`stride >= cols` and `(rows - 1) * stride + cols <= data.len()`).
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, T = f32> {
    pub(crate) data: &'a [T],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) stride: usize,
}

impl<'a, T> Mat<'a, T> {
    /// `rows × cols` with rows back to back (`stride = cols`).
    pub const fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            stride: cols,
        }
    }

    /// `rows × cols` with row `i` starting at `data[i * stride]`: e.g. the
    /// columns `32h..32h+32` of a `tokens × 384` matrix `x` are
    /// `Mat::strided(&x[32 * h..], tokens, 32, 384)`.
    pub const fn strided(data: &'a [T], rows: usize, cols: usize, stride: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            stride,
        }
    }

    /// Rows.
    pub const fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub const fn cols(&self) -> usize {
        self.cols
    }
}

/// A writable row-major `f32` matrix view, as [`Mat`].
#[derive(Debug)]
pub struct MatMut<'a> {
    pub(crate) data: &'a mut [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) stride: usize,
}

impl<'a> MatMut<'a> {
    /// `rows × cols` with rows back to back (`stride = cols`).
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        MatMut {
            data,
            rows,
            cols,
            stride: cols,
        }
    }

    /// `rows × cols` with row `i` starting at `data[i * stride]`.
    pub fn strided(data: &'a mut [f32], rows: usize, cols: usize, stride: usize) -> Self {
        MatMut {
            data,
            rows,
            cols,
            stride,
        }
    }
}

/// How a B matrix (`k × n`) is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `k × n`: row `p` holds `B[p][0..n]`.
    KxN,
    /// `n × k`, the transpose: row `j` holds column `j` of B. A PyTorch
    /// `Linear(in, out)` weight (`out × in`) is this layout with `k = in`,
    /// `n = out`.
    NxK,
}

/// The B operand of a product.
#[derive(Clone, Copy, Debug)]
pub enum Rhs<'a> {
    /// `f32` values.
    F32(Mat<'a, f32>, Layout),
    /// IEEE half bit patterns, converted to `f32` exactly.
    F16(Mat<'a, u16>, Layout),
    /// Panels packed once by [`PackedB`] (`f32` or f16).
    Packed(PackedB<'a>),
}

impl<'a> From<PackedB<'a>> for Rhs<'a> {
    fn from(p: PackedB<'a>) -> Self {
        Rhs::Packed(p)
    }
}

/// An element type B can be stored in: `f32`, or `u16` holding IEEE half
/// bits. Sealed.
pub trait Element: Copy + sealed::Sealed {
    #[doc(hidden)]
    const IS_F16: bool;
    #[doc(hidden)]
    fn to_f32(self) -> f32;
    #[doc(hidden)]
    fn from_f32(x: f32) -> Self;
    #[doc(hidden)]
    fn to_raw(self) -> u32;
    #[doc(hidden)]
    fn from_raw(bits: u32) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for u16 {}
}

impl Element for f32 {
    const IS_F16: bool = false;
    #[inline]
    fn to_raw(self) -> u32 {
        self.to_bits()
    }
    #[inline]
    fn from_raw(bits: u32) -> Self {
        f32::from_bits(bits)
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn from_f32(x: f32) -> Self {
        x
    }
}

impl Element for u16 {
    const IS_F16: bool = true;
    #[inline]
    fn to_raw(self) -> u32 {
        self as u32
    }
    #[inline]
    fn from_raw(bits: u32) -> Self {
        bits as u16
    }
    #[inline]
    fn to_f32(self) -> f32 {
        crate::f16::f16_to_f32(self)
    }
    #[inline]
    fn from_f32(x: f32) -> Self {
        crate::f16::f32_to_f16(x)
    }
}

/// B as the kernels see it: raw pointers after validation.
#[derive(Clone, Copy)]
pub(crate) enum BSrc {
    /// `ceil(n / 16)` panels of `k × 16`, back to back.
    PackedF32(*const f32),
    PackedF16(*const u16),
    /// Row stride `ld`; `nk`: stored `n × k`.
    F32 {
        p: *const f32,
        ld: usize,
        nk: bool,
    },
    F16 {
        p: *const u16,
        ld: usize,
        nk: bool,
    },
}

/// One validated product for a backend's `gemm` entry.
///
/// Contract: `a` is readable at `i * lda + p` for `i < m`, `p < k`; `c`
/// writable at `i * ldc + j` for `i < m`, `j < n`, and overlaps neither `a`,
/// `b` nor `bias`; `b` holds the `k × n` matrix as its variant says; `bias` is
/// null or readable for `n` elements.
#[derive(Clone, Copy)]
pub(crate) struct Args {
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) a: *const f32,
    pub(crate) lda: usize,
    pub(crate) b: BSrc,
    pub(crate) bias: *const f32,
    pub(crate) c: *mut f32,
    pub(crate) ldc: usize,
    /// `C += ...` instead of `C = ...`.
    pub(crate) acc: bool,
}

/// The matrix a view error names.
#[derive(Clone, Copy)]
pub(crate) enum View {
    A,
    B,
    C,
    /// B given to `PackedB::pack`.
    PackB,
}

/// Checks that a `rows × cols` view with `stride` fits in `len` elements.
///
/// Errors are `Error::LengthMismatch` with the view's name in the labels:
/// a variant of their own would change `Error`'s layout and cost every
/// `checked` function bytes in binaries that never call gemm (measured
/// +300 B in the bootstrap's smallest tier).
pub(crate) fn check_view(
    view: View,
    rows: usize,
    cols: usize,
    stride: usize,
    len: usize,
) -> Result<(), Error> {
    // (op, stride label, least-stride label, length label, needed, overflow)
    let (op, st, least, have, need, over) = match view {
        View::A => (
            "gemm",
            "a's row stride",
            "a.cols()",
            "a's slice length",
            "(a.rows() - 1) * stride + a.cols()",
            "(a.rows() - 1) * stride + a.cols() (overflowing usize)",
        ),
        View::B => (
            "gemm",
            "b's row stride",
            "b.cols()",
            "b's slice length",
            "(b.rows() - 1) * stride + b.cols()",
            "(b.rows() - 1) * stride + b.cols() (overflowing usize)",
        ),
        View::C => (
            "gemm",
            "c's row stride",
            "c.cols()",
            "c's slice length",
            "(c.rows() - 1) * stride + c.cols()",
            "(c.rows() - 1) * stride + c.cols() (overflowing usize)",
        ),
        View::PackB => (
            "PackedB::pack",
            "b's row stride",
            "b.cols()",
            "b's slice length",
            "(b.rows() - 1) * stride + b.cols()",
            "(b.rows() - 1) * stride + b.cols() (overflowing usize)",
        ),
    };
    if rows > 1 && stride < cols {
        return Err(mismatch(op, st, stride, least, cols));
    }
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    match (rows - 1)
        .checked_mul(stride)
        .and_then(|x| x.checked_add(cols))
    {
        Some(n) if n <= len => Ok(()),
        Some(n) => Err(mismatch(op, have, len, need, n)),
        None => Err(mismatch(op, have, len, over, usize::MAX)),
    }
}

pub(crate) fn mismatch(
    op: &'static str,
    left: &'static str,
    left_len: usize,
    right: &'static str,
    right_len: usize,
) -> Error {
    Error::LengthMismatch {
        op,
        left,
        left_len,
        right,
        right_len,
    }
}

fn same(
    left: &'static str,
    left_len: usize,
    right: &'static str,
    right_len: usize,
) -> Result<(), Error> {
    if left_len == right_len {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            op: "gemm",
            left,
            left_len,
            right,
            right_len,
        })
    }
}

/// Validates a product and turns it into [`Args`].
pub(crate) fn args(
    a: &Mat<'_>,
    b: &Rhs<'_>,
    bias: Option<&[f32]>,
    c: &mut MatMut<'_>,
    acc: bool,
) -> Result<Args, Error> {
    check_view(View::A, a.rows, a.cols, a.stride, a.data.len())?;
    check_view(View::C, c.rows, c.cols, c.stride, c.data.len())?;
    let (m, k) = (a.rows, a.cols);
    let (bk, bn, src) = match *b {
        Rhs::F32(ref v, layout) => {
            check_view(View::B, v.rows, v.cols, v.stride, v.data.len())?;
            let nk = layout == Layout::NxK;
            let (bk, bn) = if nk {
                (v.cols, v.rows)
            } else {
                (v.rows, v.cols)
            };
            let p = v.data.as_ptr();
            (
                bk,
                bn,
                BSrc::F32 {
                    p,
                    ld: v.stride,
                    nk,
                },
            )
        }
        Rhs::F16(ref v, layout) => {
            check_view(View::B, v.rows, v.cols, v.stride, v.data.len())?;
            let nk = layout == Layout::NxK;
            let (bk, bn) = if nk {
                (v.cols, v.rows)
            } else {
                (v.rows, v.cols)
            };
            let p = v.data.as_ptr();
            (
                bk,
                bn,
                BSrc::F16 {
                    p,
                    ld: v.stride,
                    nk,
                },
            )
        }
        Rhs::Packed(ref p) => (p.k(), p.n(), p.src()),
    };
    same("a.cols (k)", k, "b's k", bk)?;
    same("c.rows", c.rows, "a.rows (m)", m)?;
    same("c.cols", c.cols, "b's n", bn)?;
    if let Some(bias) = bias {
        same("bias.len()", bias.len(), "b's n", bn)?;
    }
    Ok(Args {
        m,
        n: bn,
        k,
        a: a.data.as_ptr(),
        lda: a.stride,
        b: src,
        bias: bias.map_or(core::ptr::null(), |b| b.as_ptr()),
        c: c.data.as_mut_ptr(),
        ldc: c.stride,
        acc,
    })
}

impl Backend {
    /// See [`crate::gemm`].
    pub fn gemm(
        self,
        a: Mat<'_>,
        b: Rhs<'_>,
        bias: Option<&[f32]>,
        mut c: MatMut<'_>,
    ) -> Result<(), Error> {
        let x = args(&a, &b, bias, &mut c, false)?;
        dispatch::run(dispatch::table_for(self), &x);
        Ok(())
    }

    /// See [`crate::gemm_accumulate`].
    pub fn gemm_accumulate(
        self,
        a: Mat<'_>,
        b: Rhs<'_>,
        bias: Option<&[f32]>,
        mut c: MatMut<'_>,
    ) -> Result<(), Error> {
        let x = args(&a, &b, bias, &mut c, true)?;
        dispatch::run(dispatch::table_for(self), &x);
        Ok(())
    }

    /// See [`crate::f16_to_f32_slice`].
    pub fn f16_to_f32_slice(self, src: &[u16], dst: &mut [f32]) -> Result<(), Error> {
        f16_slice(dispatch::table_for(self), src, dst)
    }
}

pub(crate) fn f16_slice(
    t: &'static dispatch::GemmTable,
    src: &[u16],
    dst: &mut [f32],
) -> Result<(), Error> {
    if src.len() != dst.len() {
        return Err(Error::LengthMismatch {
            op: "f16_to_f32_slice",
            left: "src.len()",
            left_len: src.len(),
            right: "dst.len()",
            right_len: dst.len(),
        });
    }
    // SAFETY: both slices have `src.len()` elements (checked above); `dst`
    // is a unique borrow, so they do not overlap.
    unsafe { (t.f16_to_f32)(src.as_ptr(), dst.as_mut_ptr(), src.len()) };
    Ok(())
}

/// [`crate::gemm`] and friends on the active backend.
pub(crate) fn gemm_active(
    a: Mat<'_>,
    b: Rhs<'_>,
    bias: Option<&[f32]>,
    mut c: MatMut<'_>,
    acc: bool,
) -> Result<(), Error> {
    let x = args(&a, &b, bias, &mut c, acc)?;
    dispatch::run(dispatch::current(), &x);
    Ok(())
}

pub(crate) fn f16_slice_active(src: &[u16], dst: &mut [f32]) -> Result<(), Error> {
    f16_slice(dispatch::current(), src, dst)
}
