//! Put `bootstrap.zip` on AWS Lambda with a blocking client: hand-written SigV4 over `hmac` and
//! `sha2`, HTTP with `ureq` and rustls, JSON with `miniserde`. No AWS SDK, no async runtime.
//!
//! The library is what `bench-coldstart` reuses:
//!
//! ```no_run
//! # fn main() -> Result<(), rayo_deploy::Error> {
//! let creds = rayo_deploy::load_credentials(None)?;
//! let region = rayo_deploy::resolve_region(None, None)?;
//! let lambda = rayo_deploy::LambdaClient::new(&region, creds, None)?;
//! let cfg = lambda.get_function_configuration("rayo-echo")?;
//! println!("{} {}", cfg.function_name, cfg.code_sha256);
//! # Ok(()) }
//! ```
//!
//! What runs offline, before anything is sent: the zip check and the hash Lambda compares
//! to skip an upload.
//!
//! ```
//! use rayo_deploy::flow::Architecture;
//! // Lambda's CodeSha256 is base64 of the zip's SHA-256:
//! assert_eq!(rayo_deploy::code_sha256(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
//! // A zip without an executable `bootstrap` at its root is refused, naming the problem:
//! let err = rayo_deploy::package::check(b"PK\x03\x04 truncated", Architecture::Arm64).unwrap_err();
//! assert!(err.to_string().contains("no end-of-central-directory record"));
//! ```
//!
//! Not done here: role assumption (`role_arn`), SSO, instance metadata credentials, S3 uploads
//! (zips over Lambda's 50 MB inline limit), container images.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod credentials;
pub mod encoding;
mod error;
pub mod flow;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod lambda;
pub mod package;
pub mod sigv4;
pub mod time;
pub mod transport;

pub use credentials::{load_credentials, resolve_region, Credentials};
pub use error::{ApiError, Error};
pub use iam::IamClient;
pub use lambda::{
    AliasConfiguration, ConfigUpdate, CreateFunction, FunctionConfiguration, FunctionInfo,
    InvokeOutput, LambdaClient,
};
pub use transport::RetryPolicy;

/// Base64 of the SHA-256 of `data`: what Lambda reports as `CodeSha256` for a zip.
pub fn code_sha256(data: &[u8]) -> String {
    use sha2::Digest;
    encoding::base64_encode(&sha2::Sha256::digest(data))
}
