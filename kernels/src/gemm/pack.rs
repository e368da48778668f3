//! [`PackedB`]: B packed once into 16-column panels, in `f32` or f16, usable
//! in place from a memory-mapped file.

use super::{check_view, mismatch, BSrc, Element, Layout, Mat, View};
use crate::Error;

/// A `k × n` B matrix packed once (at load time, or by a host tool into a
/// weight file) and reused by every [`crate::gemm`] call.
///
/// # Layout (the same for every backend and target)
///
/// B is cut into `ceil(n / 16)` panels of 16 columns. Panel `q` holds
/// columns `16q .. 16q + 16` for every row `p` of B, row after row: element
/// `B[p][j]` is at index
///
/// ```text
/// (j / 16) * (16 * k)  +  p * 16  +  j % 16
/// ```
///
/// of a buffer of [`PackedB::len`]`(k, n) = ceil(n / 16) * 16 * k` elements.
/// Columns `n ..` of the last panel are zero (`+0.0`, bits 0). Elements are
/// IEEE 754 binary32 (`f32`, 4 bytes) or binary16 (`u16` bits, 2 bytes),
/// little-endian, with no header and no gaps: the byte offset of an element
/// is its index times 4 (or 2). The buffer starts on a 64-byte boundary
/// ([`PackedB::ALIGN`]), so an `f32` panel row is one cache line. The
/// constructors check length and alignment and return an [`Error`], never
/// panic, so a damaged file is an error.
///
/// `f32` panels are read in place by the kernels; f16 panels are converted to
/// `f32` (exactly) while a block of them is streamed into a 32 KiB stack
/// buffer, or in the inner loop when `m = 1`.
///
/// ```
/// use rayo_kernels::{gemm, Layout, Mat, MatMut, PackedB};
/// // A Linear weight, out_features x in_features = 3 x 2 (n x k).
/// let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let len = PackedB::len(2, 3).unwrap();
/// let mut buf = vec![0u16; len + 31];
/// let out = &mut PackedB::aligned_mut(&mut buf)[..len];
/// let packed = PackedB::pack(Mat::new(&w, 3, 2), Layout::NxK, out).unwrap();
/// // ... write `packed.as_f16()` to a file; later, from the mapped bytes:
/// let b = PackedB::from_packed(packed.as_f16().unwrap(), 2, 3).unwrap();
/// let x = [1.0, 1.0];
/// let mut y = [0.0; 3];
/// gemm(Mat::new(&x, 1, 2), b.into(), None, MatMut::new(&mut y, 1, 3));
/// assert_eq!(y, [3.0, 7.0, 11.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PackedB<'a> {
    data: Panels<'a>,
    k: usize,
    n: usize,
}

#[derive(Clone, Copy, Debug)]
enum Panels<'a> {
    F32(&'a [f32]),
    F16(&'a [u16]),
}

/// The element types a packed B can hold; sealed.
pub trait PackedElement: Element + 'static {
    #[doc(hidden)]
    fn panels(data: &[Self]) -> PanelsRef<'_>;
}

#[doc(hidden)]
pub struct PanelsRef<'a>(Panels<'a>);

impl PackedElement for f32 {
    fn panels(data: &[f32]) -> PanelsRef<'_> {
        PanelsRef(Panels::F32(data))
    }
}

impl PackedElement for u16 {
    fn panels(data: &[u16]) -> PanelsRef<'_> {
        PanelsRef(Panels::F16(data))
    }
}

impl<'a> PackedB<'a> {
    /// Columns per panel.
    pub const PANEL: usize = 16;
    /// Required alignment of a packed buffer, in bytes.
    pub const ALIGN: usize = 64;

    /// Elements (`f32` or `u16`) of a packed `k × n` B:
    /// `ceil(n / 16) * 16 * k`; an error if that overflows `usize`.
    pub fn len(k: usize, n: usize) -> Result<usize, Error> {
        want_len(k, n).ok_or(mismatch(
            "PackedB",
            "ceil(n / 16) * 16 * k",
            usize::MAX,
            "the most usize holds (it overflows)",
            usize::MAX,
        ))
    }

    /// The part of `buf` from its first 64-byte boundary on (empty if there
    /// is none): allocate `len + 15` `f32` (`len + 31` `u16`) and pack into
    /// `&mut aligned_mut(&mut buf)[..len]`.
    pub fn aligned_mut<T>(buf: &mut [T]) -> &mut [T] {
        let off = buf.as_ptr().align_offset(Self::ALIGN).min(buf.len());
        &mut buf[off..]
    }

    /// Packs `b` (`k × n` as `layout` says; `f32` or f16 elements) into `out`
    /// (`f32` or f16 panels: f16 rounds to nearest even, f32 from f16 is
    /// exact) and returns the packed view of `out`.
    ///
    /// `out` must have exactly [`PackedB::len`]`(k, n)` elements and start on
    /// a 64-byte boundary (see [`PackedB::aligned_mut`]).
    pub fn pack<T: Element, D: PackedElement>(
        b: Mat<'_, T>,
        layout: Layout,
        out: &'a mut [D],
    ) -> Result<PackedB<'a>, Error> {
        check_view(View::PackB, b.rows, b.cols, b.stride, b.data.len())?;
        let (k, n) = match layout {
            Layout::KxN => (b.rows, b.cols),
            Layout::NxK => (b.cols, b.rows),
        };
        check(out, k, n)?;
        let panels = n.div_ceil(Self::PANEL);
        let mut i = 0;
        for q in 0..panels {
            for p in 0..k {
                for c in 0..Self::PANEL {
                    let j = q * Self::PANEL + c;
                    out[i] = if j >= n {
                        D::from_f32(0.0)
                    } else {
                        let x = match layout {
                            Layout::KxN => b.data[p * b.stride + j],
                            Layout::NxK => b.data[j * b.stride + p],
                        };
                        convert(x)
                    };
                    i += 1;
                }
            }
        }
        Ok(Self::wrap(out, k, n))
    }

    /// Wraps panels packed earlier (by [`PackedB::pack`], possibly in another
    /// process and stored in a file) without copying. `data` must have
    /// exactly [`PackedB::len`]`(k, n)` elements and start on a 64-byte
    /// boundary.
    pub fn from_packed<D: PackedElement>(
        data: &'a [D],
        k: usize,
        n: usize,
    ) -> Result<PackedB<'a>, Error> {
        check(data, k, n)?;
        Ok(Self::wrap(data, k, n))
    }

    /// [`PackedB::from_packed`] on raw little-endian bytes (a slice of a
    /// memory-mapped weight file): `bytes` must hold exactly
    /// `len(k, n) * size_of::<D>()` bytes and start on a 64-byte boundary.
    /// Only on little-endian targets, where the bytes are the values.
    #[cfg(target_endian = "little")]
    pub fn from_bytes<D: PackedElement>(
        bytes: &'a [u8],
        k: usize,
        n: usize,
    ) -> Result<PackedB<'a>, Error> {
        let size = core::mem::size_of::<D>();
        let want = want_len(k, n);
        if want.and_then(|w| w.checked_mul(size)) != Some(bytes.len()) {
            return Err(len_error(bytes.len() / size, want));
        }
        let offset = bytes.as_ptr() as usize % Self::ALIGN;
        if offset != 0 {
            return Err(align_error(offset));
        }
        // SAFETY: the pointer is 64-byte aligned (checked), more than `D`
        // (`f32` or `u16`) needs; `bytes.len() / size` elements lie inside
        // `bytes` (the length is an exact multiple, checked); every bit
        // pattern is a valid `f32`/`u16`; the result borrows `bytes`.
        let data =
            unsafe { core::slice::from_raw_parts(bytes.as_ptr() as *const D, bytes.len() / size) };
        Self::from_packed(data, k, n)
    }

    fn wrap<D: PackedElement>(data: &'a [D], k: usize, n: usize) -> PackedB<'a> {
        PackedB {
            data: D::panels(data).0,
            k,
            n,
        }
    }

    /// Rows of B.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Columns of B.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Whether the panels are f16.
    pub fn is_f16(&self) -> bool {
        matches!(self.data, Panels::F16(_))
    }

    /// The `f32` panels (to write to a file), if they are `f32`.
    pub fn as_f32(&self) -> Option<&'a [f32]> {
        match self.data {
            Panels::F32(d) => Some(d),
            Panels::F16(_) => None,
        }
    }

    /// The f16 panels (to write to a file), if they are f16.
    pub fn as_f16(&self) -> Option<&'a [u16]> {
        match self.data {
            Panels::F16(d) => Some(d),
            Panels::F32(_) => None,
        }
    }

    pub(crate) fn src(&self) -> BSrc {
        match self.data {
            Panels::F32(d) => BSrc::PackedF32(d.as_ptr()),
            Panels::F16(d) => BSrc::PackedF16(d.as_ptr()),
        }
    }
}

fn want_len(k: usize, n: usize) -> Option<usize> {
    n.div_ceil(PackedB::PANEL)
        .checked_mul(PackedB::PANEL)?
        .checked_mul(k)
}

fn check<D>(data: &[D], k: usize, n: usize) -> Result<(), Error> {
    let want = want_len(k, n);
    if want != Some(data.len()) {
        return Err(len_error(data.len(), want));
    }
    let offset = data.as_ptr() as usize % PackedB::ALIGN;
    // An empty buffer is never read: any address will do.
    if offset != 0 && !data.is_empty() {
        return Err(align_error(offset));
    }
    Ok(())
}

// Both as `Error::LengthMismatch` (see `check_view` for why).
fn len_error(len: usize, want: Option<usize>) -> Error {
    match want {
        Some(w) => mismatch(
            "PackedB",
            "the buffer's length",
            len,
            "PackedB::len(k, n)",
            w,
        ),
        None => mismatch(
            "PackedB",
            "the buffer's length",
            len,
            "PackedB::len(k, n) (overflowing usize)",
            usize::MAX,
        ),
    }
}

fn align_error(offset: usize) -> Error {
    mismatch(
        "PackedB",
        "the buffer's start, in bytes past a 64-byte boundary,",
        offset,
        "the required",
        0,
    )
}

/// `x` in `D`: bit copies between equal types (f16 NaN payloads survive),
/// exact f16 -> f32, round-to-nearest-even f32 -> f16.
fn convert<T: Element, D: Element>(x: T) -> D {
    match (T::IS_F16, D::IS_F16) {
        (true, true) | (false, false) => D::from_raw(x.to_raw()),
        _ => D::from_f32(x.to_f32()),
    }
}
