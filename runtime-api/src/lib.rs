//! A blocking AWS Lambda Runtime API client: hand-written HTTP/1.1 over one kept-alive
//! `TcpStream`, no async runtime, no threads unless asked for, nothing at start-up but
//! reading the environment.
//!
//! ```no_run
//! use rayo_runtime::{Context, Diagnostic};
//!
//! fn main() -> Result<(), rayo_runtime::Error> {
//!     rayo_runtime::run(|event: &[u8], _ctx: &Context| -> Result<Vec<u8>, Diagnostic> {
//!         Ok(event.to_vec())
//!     })
//! }
//! ```
//!
//! Opt-in, and linked only into a binary that uses them: several workers on Lambda Managed
//! Instances ([`run_concurrent`]), graceful shutdown ([`Runtime::on_shutdown`]: the one
//! extension rayo knows, an internal one registered so that Lambda sends SIGTERM), and
//! structured logs ([`info!`] and its siblings, in the format `AWS_LAMBDA_LOG_FORMAT` asks
//! for).
//!
//! Typed handlers use miniserde, re-exported as [`rayo_runtime::miniserde`](miniserde) so a
//! function needs no dependency of its own; a handler is a plain function, so a unit test
//! calls it with [`Context::for_test`]:
//!
//! ```
//! use rayo_runtime::miniserde::{self, Deserialize, Serialize};
//! use rayo_runtime::{service_fn, Context, Diagnostic, Handler, LambdaEvent};
//!
//! #[derive(Deserialize)]
//! struct Request { name: String }
//! #[derive(Serialize)]
//! struct Response { greeting: String }
//!
//! fn hello(event: LambdaEvent<Request>) -> Result<Response, Diagnostic> {
//!     Ok(Response { greeting: format!("hello, {}", event.payload.name) })
//! }
//!
//! // In `main`: `rayo_runtime::run(service_fn(hello))`. In a test:
//! let mut handler = service_fn(hello);
//! let ctx = Context::for_test();
//! let out = handler.call(br#"{"name":"rayo"}"#, &ctx).unwrap();
//! assert_eq!(out, br#"{"greeting":"hello, rayo"}"#);
//! // A bad event is answered with an `InvalidEvent` error that says what is wrong:
//! let err = handler.call(br#"{"nom":"rayo"}"#, &ctx).unwrap_err();
//! assert!(err.error_message.ends_with("at $: a field the type requires is missing (it has nom)"));
//! ```
//!
//! With the `streaming` feature, streaming handlers write to a `std::io::Write`
//! (`ResponseStream`, `run_streaming`); a mid-stream error goes out as real HTTP trailers,
//! and Function URL streamed responses start with `ResponseStream::start_http_response`.
//! With `http-events`, [`events`] has the API Gateway v2 / Function URL types.
//!
//! What it deliberately does not do: external Lambda extensions, and async. A panic is
//! reported to Lambda as `Runtime.Panic` (see [`Runtime`]).

#![warn(missing_docs)]

#[cfg(any(feature = "streaming", feature = "http-events"))]
mod b64;
mod client;
mod concurrent;
mod context;
mod endpoint;
mod error;
#[cfg(feature = "http-events")]
pub mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handler;
mod http;
pub mod log;
mod panic;
mod runtime;
#[cfg(target_os = "linux")]
mod shutdown;
#[cfg(feature = "streaming")]
mod stream;
mod thread;
mod trace_env;
mod typed;

// Managed Instances and graceful shutdown (opt-in, linked only when used).
pub use concurrent::{max_concurrency, MAX_CONCURRENCY_VAR};
#[cfg(target_os = "linux")]
pub use shutdown::SHUTDOWN_EXTENSION_NAME;

pub use context::{Config, Context};
pub use endpoint::Endpoint;
pub use error::{write_json_string, Diagnostic, Error};
pub use handler::{service_fn, shared_service_fn, Handler, LambdaEvent, SharedHandler};
#[cfg(feature = "streaming")]
pub use handler::{stream_fn, StreamHandler};
#[cfg(feature = "streaming")]
pub use runtime::run_streaming;
pub use runtime::{run, run_concurrent, Runtime};
#[cfg(feature = "streaming")]
pub use stream::{
    HttpResponseHead, ResponseStream, CHUNK_BUFFER, DEFAULT_CONTENT_TYPE, ERROR_BODY_TRAILER,
    ERROR_TYPE_TRAILER, HTTP_INTEGRATION_CONTENT_TYPE, MAX_TRAILER_MESSAGE,
};

pub use typed::decode;

/// miniserde, which typed handlers use, re-exported so a function needs no dependency of its
/// own (and no guessed version). Its derives name `miniserde::...` paths, so bring the name
/// into scope with the traits:
///
/// ```
/// use rayo_runtime::miniserde::{self, Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Request { name: String }
///
/// let r: Request = miniserde::json::from_str(r#"{"name":"rayo"}"#).unwrap();
/// assert_eq!(miniserde::json::to_string(&r), r#"{"name":"rayo"}"#);
/// ```
pub use miniserde;
