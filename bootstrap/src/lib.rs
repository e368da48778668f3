//! rayo's function binary as a library, so benches and tests reach the compute service:
//!
//! ```
//! let out = rayo_bootstrap::compute::handle(br#"{"op":"dot","a":[1,2,3],"b":[4,5,6]}"#).unwrap();
//! assert_eq!(out, br#"{"result":32.0}"#);
//! let err = rayo_bootstrap::compute::handle(br#"{"op":"dot","a":[1]}"#).unwrap_err();
//! assert_eq!(err.error_type(), "InvalidRequest");
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]
pub mod compute;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
