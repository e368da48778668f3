//! The scalar gemm backend: the generic kernels with one-lane "vectors" (one
//! row, 16 columns at a time). The fallback on targets without a SIMD
//! backend; tests compare against an independent `f64` reference instead.

use super::dispatch::GemmTable;
use super::kernel as g;
use super::Args;

// SAFETY (both functions): callers uphold `GemmTable`'s contract; plain
// scalar code runs on every CPU.
unsafe fn gemm(x: &Args) {
    g::gemm::<f32, g::SoftHalf, 1, 16, 16, 256, 16>(x)
}

unsafe fn f16_to_f32(src: *const u16, dst: *mut f32, n: usize) {
    g::convert_slice::<f32, g::SoftHalf>(src, dst, n)
}

pub(crate) static TABLE: GemmTable = GemmTable {
    name: "scalar",
    gemm,
    f16_to_f32,
};
