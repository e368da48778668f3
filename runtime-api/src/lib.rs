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
mod http;
pub mod log;
mod panic;
#[cfg(target_os = "linux")]
mod shutdown;
#[cfg(feature = "streaming")]
mod stream;
mod thread;
mod trace_env;
mod typed;

use std::sync::Arc;

// Managed Instances and graceful shutdown (opt-in, linked only when used).
pub use concurrent::{
    max_concurrency, run_concurrent, shared_service_fn, SharedHandler, MAX_CONCURRENCY_VAR,
};
#[cfg(target_os = "linux")]
pub use shutdown::SHUTDOWN_EXTENSION_NAME;

pub use context::{Config, Context};
pub use endpoint::Endpoint;
pub use error::{write_json_string, Diagnostic, Error};
#[cfg(feature = "streaming")]
pub use stream::{
    run_streaming, stream_fn, HttpResponseHead, ResponseStream, StreamHandler, CHUNK_BUFFER,
    DEFAULT_CONTENT_TYPE, ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER, HTTP_INTEGRATION_CONTENT_TYPE,
    MAX_TRAILER_MESSAGE,
};

pub use typed::{decode, service_fn, LambdaEvent};

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

use client::{Client, Posted};

/// An event handler: the event's bytes and its context in, the response's bytes out.
/// Every `FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic>` is one.
pub trait Handler {
    /// Handles one event: the response's bytes, or the error Lambda reports to the caller.
    fn call(&mut self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic>;
}

impl<F> Handler for F
where
    F: FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic>,
{
    fn call(&mut self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        self(event, ctx)
    }
}

/// Reads the environment and serves events with `handler` until the Runtime API fails.
/// Returns only with the error that stopped it; `main` returning it exits non-zero, so
/// Lambda starts a fresh environment.
pub fn run<H: Handler>(handler: H) -> Result<(), Error> {
    Runtime::from_env()?.run(handler)
}

/// The runtime, for functions with initialisation that can fail:
///
/// ```no_run
/// # fn load_model() -> Result<Vec<f32>, String> { Ok(vec![]) }
/// let rt = rayo_runtime::Runtime::from_env()?;
/// let model = match load_model() {
///     Ok(m) => m,
///     Err(e) => rt.fail_init(rayo_runtime::Diagnostic::new("ModelLoadError", e)),
/// };
/// rt.run(move |event: &[u8], _: &rayo_runtime::Context| Ok(event.to_vec()))
/// # ; Ok::<(), rayo_runtime::Error>(())
/// ```
///
/// Creating it installs a panic hook that reports a panic to the Runtime API (as an
/// invocation error while an event is being handled, as an init error before the first
/// one), then lets the panic go on (abort in Lambda builds).
pub struct Runtime {
    client: Client,
    config: Arc<Config>,
}

impl Runtime {
    /// Reads `AWS_LAMBDA_RUNTIME_API` and the function's settings. Does not connect yet.
    pub fn from_env() -> Result<Runtime, Error> {
        let endpoint = Endpoint::from_env()?;
        let config = Arc::new(Config::from_env()?);
        panic::install(&endpoint);
        Ok(Runtime {
            client: Client::new(endpoint),
            config,
        })
    }

    /// The function's settings, as read from the environment.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Reports a failed initialisation to `/init/error` and exits with status 1: Lambda
    /// shows the error to the caller and will retry in a fresh environment.
    pub fn fail_init(mut self, d: Diagnostic) -> ! {
        eprintln!("rayo: initialisation failed: {d}");
        panic::initialised();
        if let Err(e) = self.client.init_error(&d) {
            eprintln!("rayo: could not report the init error: {e}");
        }
        std::process::exit(1)
    }

    /// Serves events forever; returns only with the error that stopped it.
    pub fn run<H: Handler>(mut self, mut handler: H) -> Result<(), Error> {
        panic::initialised();
        loop {
            let (ctx, event) = self.client.next(&self.config)?;
            set_trace_id(ctx.xray_trace_id.as_deref());
            panic::set_in_flight(&ctx.request_id);
            let outcome = handler.call(&event, &ctx);
            panic::clear_in_flight();
            let posted = match &outcome {
                Ok(body) => self.client.respond(&ctx.request_id, body)?,
                Err(d) => self.client.error(&ctx.request_id, d)?,
            };
            if let Posted::Refused(status) = posted {
                let what = if outcome.is_ok() { "response" } else { "error" };
                eprintln!(
                    "rayo: the Runtime API refused the {what} for request {} with status {status}; going on",
                    ctx.request_id
                );
            }
        }
    }
}

/// X-Ray and the AWS SDKs read the trace id from this variable during the invocation.
fn set_trace_id(id: Option<&str>) {
    // Called only when one worker serves the process (never under run_concurrent with N > 1),
    // so nothing reads the environment concurrently. Not `set_var` directly: on glibc that
    // leaks every replaced value (see trace_env.rs).
    trace_env::set(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(miniserde::Deserialize)]
    struct Req {
        name: String,
        times: u32,
    }

    #[derive(miniserde::Serialize)]
    struct Resp {
        greeting: String,
        request_id: String,
    }

    fn ctx() -> Context {
        Context::for_test().with_request_id("req-1")
    }

    fn typed() -> impl FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> {
        service_fn(|e: LambdaEvent<Req>| {
            if e.payload.times == 0 {
                return Err(Diagnostic::new("ZeroTimes", "times must be at least 1"));
            }
            Ok(Resp {
                greeting: e.payload.name.repeat(e.payload.times as usize),
                request_id: e.context.request_id,
            })
        })
    }

    #[test]
    fn service_fn_decodes_calls_and_encodes() {
        let mut h = typed();
        let out = h.call(br#"{"name":"ab","times":2}"#, &ctx()).unwrap();
        assert_eq!(out, br#"{"greeting":"abab","request_id":"req-1"}"#);
    }

    #[test]
    fn service_fn_reports_bad_events_and_handler_errors() {
        let mut h = typed();
        let e = h.call(br#"{"name":"ab"}"#, &ctx()).unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
        let e = h.call(b"\xff\xfe", &ctx()).unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
        assert!(e.error_message.contains("not UTF-8"), "{e}");
        let e = h.call(br#"{"name":"ab","times":0}"#, &ctx()).unwrap_err();
        assert_eq!(e, Diagnostic::new("ZeroTimes", "times must be at least 1"));
    }
}
