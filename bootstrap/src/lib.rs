//! rayo's function binary as a library, so benches and tests reach the compute service.
pub mod compute;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
