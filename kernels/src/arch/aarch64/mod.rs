//! aarch64: NEON is part of the baseline, so there is nothing to detect.

pub(crate) mod neon;
