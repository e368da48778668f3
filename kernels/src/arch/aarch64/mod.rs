//! aarch64: NEON is part of the baseline, so there is nothing to detect.

#[cfg(feature = "neon")]
pub(crate) mod neon;

// Matrix multiply and f16.
#[cfg(feature = "neon")]
pub(crate) mod gemm_neon;
