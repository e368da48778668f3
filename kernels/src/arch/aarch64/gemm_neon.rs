//! gemm on NEON: 6 × 16 micro-tiles (24 of the 32 q registers accumulate,
//! four 4-lane vectors per panel row), `k` in blocks of 256, f16 converted
//! with `fcvtl` (baseline aarch64; written as inline assembly because Rust's
//! `float16x4_t` intrinsics are not stable).

use core::arch::aarch64::*;
use core::arch::asm;

use crate::gemm::dispatch::GemmTable;
use crate::gemm::kernel::{self as g, Isa, Load};
use crate::gemm::Args;

/// 4 halves to 4 floats.
pub(crate) struct Fcvtl;

impl Load<float32x4_t> for Fcvtl {
    type E = u16;
    #[inline(always)]
    unsafe fn load(p: *const u16) -> float32x4_t {
        let h: uint16x4_t = vld1_u16(p);
        let r: float32x4_t;
        // SAFETY: `fcvtl` converts four halves in a register; no memory.
        asm!("fcvtl {r:v}.4s, {h:v}.4h", r = lateout(vreg) r, h = in(vreg) h,
             options(pure, nomem, nostack, preserves_flags));
        r
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, count: usize) -> float32x4_t {
        g::soft_part(p, count)
    }
}

impl Isa<float32x4_t> for Fcvtl {}

// SAFETY (both functions): callers uphold `GemmTable`'s contract; NEON is
// part of the aarch64 baseline.
#[target_feature(enable = "neon")]
unsafe fn gemm(x: &Args) {
    g::gemm::<float32x4_t, Fcvtl, 6, 4, 4, 256, 8>(x)
}

#[target_feature(enable = "neon")]
unsafe fn f16_to_f32(src: *const u16, dst: *mut f32, n: usize) {
    g::convert_slice::<float32x4_t, Fcvtl>(src, dst, n)
}

pub(crate) static TABLE: GemmTable = GemmTable {
    name: "neon",
    gemm,
    f16_to_f32,
};
