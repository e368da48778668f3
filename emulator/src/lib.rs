//! A local AWS Lambda Runtime API server (std threads, no async runtime).
//!
//! CONTRACT (used by runtime-api's integration tests and by bench-coldstart; keep these
//! signatures, extend freely):
//!
//! ```no_run
//! use rayo_emulator::{Config, Emulator, Fault, OutcomeKind};
//! use std::process::Command;
//! use std::time::{Duration, Instant};
//!
//! let emu = Emulator::start(Config::default())?;          // binds 127.0.0.1:0
//! let spawned = Instant::now();
//! let mut child = emu.spawn(Command::new("target/debug/bootstrap"))?; // Lambda-like env
//! let init_at: Instant = emu.wait_next(Duration::from_secs(5))?;      // first GET /next bytes arrived
//! println!("init: {:?}", init_at - spawned);
//! let out = emu.invoke(b"{\"x\":1}".to_vec(), Duration::from_secs(5))?;
//! assert_eq!(out.kind, OutcomeKind::Response);
//! emu.inject(Fault::CloseAfterResponse);
//! assert_eq!(emu.stats().connections, 1);
//! child.kill()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A runnable round trip, a raw socket playing the function:
//!
//! ```
//! use rayo_emulator::{Config, Emulator, OutcomeKind};
//! use std::io::Write;
//! use std::time::Duration;
//!
//! let emu = Emulator::start(Config::for_function("hello"))?;
//! let env = emu.lambda_env();
//! assert!(env.contains(&("AWS_LAMBDA_RUNTIME_API".into(), emu.addr().to_string())));
//! let id = emu.enqueue(emu.invocation(b"{}".to_vec()));
//! let mut function = std::net::TcpStream::connect(emu.addr())?;
//! // What a runtime sends: poll for the event, then answer it (pipelined here).
//! write!(function, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")?;
//! write!(function, "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\n\
//!                   Host: x\r\nContent-Length: 2\r\n\r\nok")?;
//! let out = emu.wait(&id, Duration::from_secs(5))?;
//! assert_eq!((out.kind, out.body), (OutcomeKind::Response, b"ok".to_vec()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour, as Lambda's Runtime API
//!
//! - `GET /2018-06-01/runtime/invocation/next` long-polls until an invocation is queued,
//!   then answers 200 with the event and the `Lambda-Runtime-*` headers.
//! - `POST .../invocation/{id}/response` and `.../error` answer 202; 400 for an id not
//!   handed out, 403 for a second answer, 413 above [`MAX_RESPONSE_BYTES`] (the body is
//!   still drained, and the invoker sees `Function.ResponseSizeTooLarge`).
//! - `POST /2018-06-01/runtime/init/error` answers 202 and is kept for
//!   [`Emulator::wait_init_error`].
//! - Of the Extensions API, what graceful shutdown needs (no events, no external
//!   extensions): `POST /2020-01-01/extension/register` (during init, one name once)
//!   answers 200 with a `Lambda-Extension-Identifier`; that extension's
//!   `GET .../extension/event/next` is parked (no events are ever sent).
//!   [`Emulator::stop_function`] then shuts the function down with SIGTERM, a grace time
//!   and SIGKILL, as Lambda does when an extension is registered.
//! - HTTP/1.1 keep-alive, `Content-Length` and chunked request bodies, pipelining,
//!   `Expect: 100-continue`. A malformed request gets 400 and a closed connection.
//! - Header values of an [`Invocation`] are written verbatim, so tests can send hostile
//!   ids or contexts on purpose.
//!
//! # Timestamps
//!
//! Taken where bytes cross the socket, not after parsing: [`Emulator::wait_next`] returns
//! when the read carrying a `GET /next`'s first bytes returned; [`Outcome::sent_at`] is
//! just before the `/next` answer is written, [`Outcome::received_at`] after the read that
//! brought the last body byte of the response. Connections are served by threads already
//! waiting in `accept` (see `pool.rs`), so a cold start's first request is not delayed
//! by a thread spawn.
//!
//! # What it does not do
//!
//! TLS, extension events (INVOKE, SHUTDOWN) and external extensions, the Telemetry API,
//! HTTP/2, or enforcing the function timeout (the deadline is only advertised).
//!
//! # Streamed responses
//!
//! A `POST .../response` with `Lambda-Runtime-Function-Response-Mode: streaming` is read
//! chunk by chunk (up to [`MAX_STREAMED_RESPONSE_BYTES`]); its [`Outcome::stream`] records
//! the content type, the chunks, when the first arrived, and the trailers, with the
//! `Lambda-Runtime-Function-Error-Type`/`-Body` error decoded. The invoke endpoint passes a
//! stream through to its caller as it arrives (chunked, the error trailers as trailers).
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod extension;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod ids;
mod invoke;
mod pool;
mod process;
mod server;
mod state;
mod stream;

pub use extension::{RegisteredExtension, Stopped, SHUTDOWN_GRACE};
use state::Shared;
pub use stream::Streamed;

/// The largest response or error body Lambda accepts (6 MB as Lambda counts it).
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;
/// The largest streamed response accepted (Lambda's documented default for streaming, 20 MiB).
pub const MAX_STREAMED_RESPONSE_BYTES: usize = 20 * 1024 * 1024;

/// How the emulated function is configured; becomes the bootstrap's environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `AWS_LAMBDA_FUNCTION_NAME` (default `rayo-function`).
    pub function_name: String,
    /// `AWS_LAMBDA_FUNCTION_VERSION` (default `$LATEST`).
    pub function_version: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB (default 128).
    pub memory_mb: u32,
    /// Used for each invocation's deadline (`Lambda-Runtime-Deadline-Ms`), and as how long
    /// the invoke endpoint waits for an outcome.
    pub timeout: Duration,
    /// `AWS_REGION` and `AWS_DEFAULT_REGION`, and the region in the function's ARN.
    pub region: String,
    /// `AWS_LAMBDA_LOG_GROUP_NAME`.
    pub log_group: String,
    /// `AWS_LAMBDA_LOG_STREAM_NAME`.
    pub log_stream: String,
    /// Extra environment for the spawned bootstrap.
    pub env: Vec<(String, String)>,
    /// Set `AWS_LAMBDA_RUNTIME_API` as `http://127.0.0.1:PORT/prefix` (cargo-lambda style)
    /// instead of `127.0.0.1:PORT`; the server then accepts paths under that prefix.
    pub url_prefix: Option<String>,
}

impl Default for Config {
    /// Lambda's defaults: `$LATEST`, 128 MB, 3 s timeout, us-east-1.
    fn default() -> Config {
        let name = "rayo-function".to_string();
        let now = ids::epoch_ms();
        Config {
            log_group: format!("/aws/lambda/{name}"),
            log_stream: format!(
                "{}/[$LATEST]{:016x}{:016x}",
                ids::utc_date(now),
                ids::next_u64(),
                ids::next_u64()
            ),
            function_name: name,
            function_version: "$LATEST".to_string(),
            memory_mb: 128,
            timeout: Duration::from_secs(3),
            region: "us-east-1".to_string(),
            env: Vec::new(),
            url_prefix: None,
        }
    }
}

impl Config {
    /// The defaults, for a function called `name` (its log group follows the name).
    pub fn for_function(name: &str) -> Config {
        Config {
            function_name: name.to_string(),
            log_group: format!("/aws/lambda/{name}"),
            ..Config::default()
        }
    }

    /// `arn:aws:lambda:REGION:123456789012:function:NAME`.
    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:123456789012:function:{}",
            self.region, self.function_name
        )
    }
}

/// One invocation to hand out on `GET /next`. `Invocation::new(event)` fills a fresh
/// request id, ARN, deadline from `Config::timeout`, and a trace id.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`, written verbatim.
    pub request_id: String,
    /// The event, the body of the `/next` answer.
    pub event: Vec<u8>,
    /// `Lambda-Runtime-Deadline-Ms`.
    pub deadline_ms: u64,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// `Lambda-Runtime-Trace-Id`, when set.
    pub trace_id: Option<String>,
    /// `Lambda-Runtime-Client-Context`, when set.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity`, when set.
    pub cognito_identity: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`, when set.
    pub tenant_id: Option<String>,
}

impl Invocation {
    /// An invocation for `Config::default()`'s function (ARN, 3 s deadline). Use
    /// [`Invocation::for_config`] or [`Emulator::invocation`] to match another config.
    pub fn new(event: Vec<u8>) -> Invocation {
        Invocation::for_config(event, &Config::default())
    }

    /// A fresh request id and trace id, the ARN of `config`'s function and a deadline of
    /// now + `config.timeout`.
    pub fn for_config(event: Vec<u8>, config: &Config) -> Invocation {
        Invocation {
            request_id: ids::uuid_v4(),
            event,
            deadline_ms: ids::epoch_ms().saturating_add(config.timeout.as_millis() as u64),
            function_arn: config.function_arn(),
            trace_id: Some(ids::trace_id()),
            client_context: None,
            cognito_identity: None,
            tenant_id: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// How the function answered an invocation.
pub enum OutcomeKind {
    /// `POST .../response`.
    Response,
    /// `POST .../error`; `error_type` is the `Lambda-Runtime-Function-Error-Type` header.
    Error {
        /// The `Lambda-Runtime-Function-Error-Type` header, when sent.
        error_type: Option<String>,
    },
}

#[derive(Clone, Debug)]
/// One invocation's answer, as the emulator received it.
pub struct Outcome {
    /// The invocation's request id.
    pub request_id: String,
    /// A response or an error.
    pub kind: OutcomeKind,
    /// The response or error body, as posted.
    pub body: Vec<u8>,
    /// Just before the `/next` response carrying this event was written (a stamp taken
    /// after the write can come after the bootstrap has already answered).
    pub sent_at: Instant,
    /// When the last byte of the response/error body was read (before any parsing).
    pub received_at: Instant,
    /// For a streamed response: its content type, chunks, first-chunk time and trailers. A
    /// stream that ended with error trailers has `kind` `Error` and `body` the bytes streamed.
    pub stream: Option<Streamed>,
}

/// A one-shot fault, consumed by the next request it applies to.
///
/// `NextStatus` and `MalformedHeaders` answer the next `/next` at once (a `/next` already
/// long-polling is answered when the fault is injected) without consuming an invocation.
/// `CloseMidBody`, `DelayNext`, `ChunkedNext`, `SlowDrip` and the `Reset*` faults apply to
/// the next `/next` that carries an invocation; after `CloseMidBody` or a reset the
/// invocation goes back to the front of the queue so a client that retries still gets it.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer the next `/next` with headers and half the body, then close.
    CloseMidBody,
    /// Answer the next `/next` with 500.
    NextStatus(u16),
    /// Answer the next response/error post with this status (e.g. 500, 400, 403, 413).
    /// The posted outcome is still recorded, so `wait`/`invoke` return it.
    PostStatus(u16),
    /// Delay the next `/next` answer.
    DelayNext(Duration),
    /// Answer the next `/next` with a malformed header block.
    MalformedHeaders,
    /// Close the connection (no keep-alive) right after answering the next post.
    CloseAfterResponse,
    /// Send the next `/next` body with chunked transfer-encoding.
    ChunkedNext,
    /// Reset the connection (TCP RST) instead of answering the next `/next` that carries an
    /// invocation; the invocation goes back to the front of the queue.
    ResetBeforeHeaders,
    /// Send half of the next `/next` answer's header block, then reset; requeues.
    ResetMidHeaders,
    /// Send the header block and half the body of the next `/next` answer, then reset;
    /// requeues.
    ResetMidBody,
    /// Answer the next post normally (keep-alive, no `Connection: close`), then close the
    /// connection, as a server's idle timeout does between invocations.
    DropAfterResponse,
    /// Write the next `/next` answer one byte at a time, pausing this long between bytes.
    SlowDrip(Duration),
}

#[derive(Clone, Debug, Default)]
/// Counters since the emulator started.
pub struct Stats {
    /// TCP connections accepted on the Runtime API port.
    pub connections: usize,
    /// `GET /next` requests received.
    pub next_requests: usize,
    /// `POST .../response` posts received.
    pub responses: usize,
    /// `POST .../error` posts received.
    pub errors: usize,
    /// `POST /runtime/init/error` received.
    pub init_errors: usize,
    /// Requests answered 400 because they could not be parsed.
    pub malformed_requests: usize,
}

/// `POST /2018-06-01/runtime/init/error`, as received.
#[derive(Clone, Debug)]
pub struct InitError {
    /// The `Lambda-Runtime-Function-Error-Type` header, when sent.
    pub error_type: Option<String>,
    /// The posted body.
    pub body: Vec<u8>,
}

#[derive(Debug)]
/// What can go wrong in the emulator's API.
pub enum EmuError {
    /// A socket operation failed.
    Io(std::io::Error),
    /// Nothing arrived within the given time; the string says what was awaited.
    Timeout(&'static str),
    /// A request the emulator could not accept: what was wrong and the offending value.
    BadRequest {
        /// What was wrong.
        what: &'static str,
        /// The offending value (may be empty).
        value: String,
    },
    /// The emulator is shutting down.
    Stopped,
}

impl std::fmt::Display for EmuError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmuError::Io(e) => write!(f, "emulator I/O error: {e}"),
            EmuError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            EmuError::BadRequest { what, value } if value.is_empty() => {
                write!(f, "bad request: {what}")
            }
            EmuError::BadRequest { what, value } => write!(f, "bad request: {what}: {value:?}"),
            EmuError::Stopped => write!(f, "the emulator is shutting down"),
        }
    }
}

impl std::error::Error for EmuError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmuError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for EmuError {
    fn from(e: std::io::Error) -> EmuError {
        EmuError::Io(e)
    }
}

/// A running emulator. Dropping it stops every thread and closes every socket, including
/// connections parked in a `/next` long-poll.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Emulator {
    /// Binds the Runtime API on 127.0.0.1 (any free port) and starts serving.
    pub fn start(config: Config) -> std::io::Result<Emulator> {
        let (shared, addr) = server::start(config)?;
        Ok(Emulator { shared, addr })
    }

    /// The Runtime API's address (127.0.0.1 and the port it bound).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The function's configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        match self.shared.prefix() {
            Some(p) => format!("http://{}/{p}", self.addr),
            None => self.addr.to_string(),
        }
    }

    /// The Lambda-like environment a bootstrap gets (AWS_LAMBDA_RUNTIME_API,
    /// AWS_LAMBDA_FUNCTION_NAME/VERSION/MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME/STREAM_NAME,
    /// AWS_REGION, AWS_DEFAULT_REGION, LAMBDA_TASK_ROOT, _HANDLER, TZ=:UTC, ...).
    pub fn lambda_env(&self) -> Vec<(String, String)> {
        process::lambda_env(&self.shared.config, &self.runtime_api())
    }

    /// Clears the parent's environment, sets `lambda_env()` plus PATH, and spawns.
    pub fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        process::spawn(cmd, &self.lambda_env())
    }

    /// A fresh invocation for this emulator's function (its ARN and timeout).
    pub fn invocation(&self, event: Vec<u8>) -> Invocation {
        Invocation::for_config(event, &self.shared.config)
    }

    /// Queue an invocation; returns its request id.
    pub fn enqueue(&self, inv: Invocation) -> String {
        self.shared.enqueue(inv)
    }

    /// Wait for the outcome of a queued invocation.
    pub fn wait(&self, request_id: &str, timeout: Duration) -> Result<Outcome, EmuError> {
        self.shared.wait_outcome(request_id, timeout)
    }

    /// `enqueue(Invocation::new(event))` then `wait`. The invocation uses this emulator's
    /// config; on timeout it is withdrawn if no `/next` has taken it yet.
    pub fn invoke(&self, event: Vec<u8>, timeout: Duration) -> Result<Outcome, EmuError> {
        let id = self.enqueue(self.invocation(event));
        let out = self.wait(&id, timeout);
        if out.is_err() {
            self.shared.withdraw(&id);
        }
        out
    }

    /// Wait until a `GET /next` arrives that has not been waited for yet; its arrival time.
    pub fn wait_next(&self, timeout: Duration) -> Result<Instant, EmuError> {
        self.shared.wait_next(timeout)
    }

    /// Waits for a `POST /runtime/init/error` not waited for yet.
    pub fn wait_init_error(&self, timeout: Duration) -> Result<InitError, EmuError> {
        self.shared.wait_init_error(timeout)
    }

    /// A copy of every outcome from now on, as it arrives, whoever waits for it (the
    /// invoke endpoint, [`Emulator::wait`]): for a tool that shows each invocation's status
    /// and timings. Dropping the receiver stops the copies.
    pub fn outcomes(&self) -> std::sync::mpsc::Receiver<Outcome> {
        self.shared.lock().outcomes.tap()
    }

    /// Arms a one-shot fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Extensions registered so far (`POST /2020-01-01/extension/register`).
    pub fn extensions(&self) -> Vec<RegisteredExtension> {
        self.shared.lock().extensions.registered.clone()
    }

    /// Shuts the function process down as Lambda does: SIGTERM when an extension is
    /// registered, up to `grace` (Lambda: [`SHUTDOWN_GRACE`]) to exit, then SIGKILL;
    /// SIGKILL at once when none is. Reaps the child.
    pub fn stop_function(&self, child: &mut Child, grace: Duration) -> Result<Stopped, EmuError> {
        extension::stop_function(&self.shared, child, grace)
    }

    /// Serve `POST /2015-03-31/functions/function/invocations` on 127.0.0.1:port (0: any).
    pub fn serve_invoke(&self, port: u16) -> std::io::Result<SocketAddr> {
        invoke::serve(&self.shared, port)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}
