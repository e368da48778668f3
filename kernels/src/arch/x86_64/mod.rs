//! x86_64: SSE2 (always present), AVX2+FMA and AVX-512F, chosen at run time.

#[cfg(feature = "avx2")]
pub(crate) mod avx2;
#[cfg(feature = "avx512")]
pub(crate) mod avx512;
#[cfg(feature = "sse2")]
pub(crate) mod sse2;

// Matrix multiply and f16.
#[cfg(feature = "avx2")]
pub(crate) mod gemm_avx2;
#[cfg(feature = "avx512")]
pub(crate) mod gemm_avx512;
#[cfg(feature = "sse2")]
pub(crate) mod gemm_sse2;

#[cfg(feature = "avx2")]
use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};

/// XCR0 bits the OS must have enabled: SSE and AVX state...
#[cfg(feature = "avx2")]
const XCR0_AVX: u64 = 0b110;
/// ...plus the AVX-512 opmask and upper-register state.
#[cfg(feature = "avx2")]
const XCR0_AVX512: u64 = 0b1110_0000;

/// Feature bits read once by the dispatcher (never per call).
#[cfg(feature = "avx2")]
struct Cpu {
    avx2_fma: bool,
    #[cfg_attr(not(feature = "avx512"), allow(dead_code))]
    avx512f: bool,
}

#[cfg(feature = "avx2")]
fn cpu() -> Cpu {
    // cpuid exists on every x86_64 CPU; leaf 7 is only read when the maximum
    // leaf says it exists.
    let (max_leaf, l1) = (__cpuid(0).eax, __cpuid(1));
    let osxsave = l1.ecx & (1 << 27) != 0;
    let avx = l1.ecx & (1 << 28) != 0;
    let fma = l1.ecx & (1 << 12) != 0;
    // F16C (half <-> single conversion) is part of the AVX2 rung: the AVX2
    // gemm converts f16 weights with it. Every CPU that shipped AVX2 has it
    // (Intel since Ivy Bridge, AMD since Piledriver); a CPU or hypervisor
    // that hides it gets the SSE2 table, not a second AVX2 gemm.
    let f16c = l1.ecx & (1 << 29) != 0;
    if !(osxsave && avx) || max_leaf < 7 {
        return Cpu {
            avx2_fma: false,
            avx512f: false,
        };
    }
    // SAFETY: OSXSAVE is set, so xgetbv is available and enabled by the OS.
    let xcr0 = unsafe { _xgetbv(0) };
    let l7 = __cpuid_count(7, 0);
    let os_avx = xcr0 & XCR0_AVX == XCR0_AVX;
    let os_avx512 = os_avx && xcr0 & XCR0_AVX512 == XCR0_AVX512;
    let avx2_fma = os_avx && fma && f16c && l7.ebx & (1 << 5) != 0;
    Cpu {
        avx2_fma,
        // The AVX-512 table reuses nothing from AVX2, but every AVX-512F CPU
        // also has AVX2+FMA; requiring both keeps the ladder simple.
        avx512f: avx2_fma && os_avx512 && l7.ebx & (1 << 16) != 0,
    }
}

#[cfg(feature = "avx2")]
pub(crate) fn has_avx2_fma() -> bool {
    cpu().avx2_fma
}

#[cfg(feature = "avx512")]
pub(crate) fn has_avx512f() -> bool {
    cpu().avx512f
}
