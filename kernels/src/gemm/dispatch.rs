//! The gemm backends and their one-time dispatch: the same mechanism as
//! [`crate::backend`] (a static table per ISA, an atomic pointer that starts
//! at a detect-and-forward table), in a table of its own.
//!
//! Why not entries in `backend::Table`: every table keeps every function in
//! it reachable, so gemm entries there would link the gemm code (tens of KB
//! per backend) into every binary that calls any kernel, such as the compute
//! bootstrap, which never multiplies matrices. A separate table is only
//! linked in by a call to [`crate::gemm`] and friends.

use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use super::Args;
use crate::Backend;

/// One backend's matrix kernels.
pub(crate) struct GemmTable {
    /// The name of the [`Backend`] this belongs to.
    pub(crate) name: &'static str,
    /// Contract: [`Args`]'s; the CPU supports the backend's ISA.
    pub(crate) gemm: unsafe fn(&Args),
    /// `(src, dst, n)`: `src` readable and `dst` writable for `n` elements,
    /// not overlapping.
    pub(crate) f16_to_f32: unsafe fn(*const u16, *mut f32, usize),
}

type Candidate = (&'static GemmTable, fn() -> bool);

/// Every backend compiled for this target, best first, with the same names,
/// support checks and order as `backend::CANDIDATES`, so both dispatchers
/// pick the same backend.
const CANDIDATES: &[Candidate] = &[
    #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
    (
        &crate::arch::x86_64::gemm_avx512::TABLE,
        crate::arch::x86_64::has_avx512f,
    ),
    #[cfg(all(target_arch = "x86_64", feature = "avx2"))]
    (
        &crate::arch::x86_64::gemm_avx2::TABLE,
        crate::arch::x86_64::has_avx2_fma,
    ),
    #[cfg(all(target_arch = "x86_64", feature = "sse2"))]
    (&crate::arch::x86_64::gemm_sse2::TABLE, always),
    #[cfg(all(target_arch = "aarch64", feature = "neon"))]
    (&crate::arch::aarch64::gemm_neon::TABLE, always),
    #[cfg(any(
        feature = "reference",
        not(any(
            all(target_arch = "x86_64", feature = "sse2"),
            all(target_arch = "aarch64", feature = "neon")
        ))
    ))]
    (&super::scalar::TABLE, always),
];

const _: () = assert!(!CANDIDATES.is_empty(), "no gemm backend for this target");

fn always() -> bool {
    true
}

const ONLY_ONE: bool = CANDIDATES.len() == 1;

static ACTIVE: AtomicPtr<GemmTable> = AtomicPtr::new(if ONLY_ONE {
    CANDIDATES[0].0 as *const GemmTable as *mut GemmTable
} else {
    &DETECT as *const GemmTable as *mut GemmTable
});

/// Entries that detect the CPU once and forward (see `backend::DETECT`).
static DETECT: GemmTable = GemmTable {
    name: "detect",
    gemm: detect_gemm,
    f16_to_f32: detect_f16,
};

// SAFETY: the caller upholds the table's contract, the same for every backend.
unsafe fn detect_gemm(x: &Args) {
    // SAFETY: the caller upholds the table's contract; `detect()` returns a table whose ISA
    // this CPU has.
    unsafe { (detect().gemm)(x) }
}

// SAFETY: as above.
unsafe fn detect_f16(src: *const u16, dst: *mut f32, n: usize) {
    // SAFETY: as in `detect_gemm`.
    unsafe { (detect().f16_to_f32)(src, dst, n) }
}

#[cold]
#[inline(never)]
fn detect() -> &'static GemmTable {
    let mut table = CANDIDATES[CANDIDATES.len() - 1].0;
    for (t, supported) in CANDIDATES {
        if supported() {
            table = t;
            break;
        }
    }
    // Racing first calls store the same pointer; no ordering needed.
    ACTIVE.store(
        table as *const GemmTable as *mut GemmTable,
        Ordering::Relaxed,
    );
    table
}

/// The table the free functions call through.
#[inline(always)]
pub(crate) fn current() -> &'static GemmTable {
    // SAFETY: ACTIVE only ever holds a `&'static GemmTable`.
    unsafe { &*ACTIVE.load(Ordering::Relaxed) }
}

/// The gemm table of `b` (a backend the CPU supports: `Backend` values only
/// come from the dispatcher or from `Backend::by_name`, which checks).
pub(crate) fn table_for(b: Backend) -> &'static GemmTable {
    let t = current();
    if !ptr::eq(t, &DETECT) && t.name == b.name() {
        return t;
    }
    CANDIDATES
        .iter()
        .find(|(t, _)| t.name == b.name())
        .map_or_else(detect, |(t, _)| t)
}

/// Runs a validated product.
#[inline(always)]
pub(crate) fn run(t: &'static GemmTable, x: &Args) {
    // SAFETY: `x` was built by `gemm::args` from checked views and borrows
    // (its contract holds); `t` is a table whose ISA this CPU supports.
    unsafe { (t.gemm)(x) }
}
