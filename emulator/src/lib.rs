//! A local AWS Lambda Runtime API server (std threads, no async runtime).
//!
//! CONTRACT (used by runtime-api's integration tests and by bench-coldstart; keep these
//! signatures, extend freely):
//!
//! ```ignore
//! let emu = Emulator::start(Config::default())?;          // binds 127.0.0.1:0
//! let mut child = emu.spawn(Command::new("target/debug/bootstrap"))?; // Lambda-like env
//! let init_at: Instant = emu.wait_next(Duration::from_secs(5))?;      // first GET /next bytes arrived
//! let out: Outcome = emu.invoke(b"{\"x\":1}".to_vec(), Duration::from_secs(5))?;
//! assert_eq!(out.kind, OutcomeKind::Response);
//! emu.inject(Fault::CloseAfterResponse);
//! assert_eq!(emu.stats().connections, 1);
//! ```
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How the emulated function is configured; becomes the bootstrap's environment.
#[derive(Clone, Debug)]
pub struct Config {
    pub function_name: String,
    pub function_version: String,
    pub memory_mb: u32,
    /// Used for each invocation's deadline (`Lambda-Runtime-Deadline-Ms`).
    pub timeout: Duration,
    pub region: String,
    pub log_group: String,
    pub log_stream: String,
    /// Extra environment for the spawned bootstrap.
    pub env: Vec<(String, String)>,
    /// Set `AWS_LAMBDA_RUNTIME_API` as `http://127.0.0.1:PORT/prefix` (cargo-lambda style)
    /// instead of `127.0.0.1:PORT`; the server then accepts paths under that prefix.
    pub url_prefix: Option<String>,
}

/// One invocation to hand out on `GET /next`. `Invocation::new(event)` fills a fresh
/// request id, ARN, deadline from `Config::timeout`, and a trace id.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub request_id: String,
    pub event: Vec<u8>,
    pub deadline_ms: u64,
    pub function_arn: String,
    pub trace_id: Option<String>,
    pub client_context: Option<String>,
    pub cognito_identity: Option<String>,
    pub tenant_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    Response,
    /// `POST .../error`; `error_type` is the `Lambda-Runtime-Function-Error-Type` header.
    Error { error_type: Option<String> },
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub request_id: String,
    pub kind: OutcomeKind,
    pub body: Vec<u8>,
    /// When the last byte of the `/next` response carrying this event was written.
    pub sent_at: Instant,
    /// When the last byte of the response/error body was read (before any parsing).
    pub received_at: Instant,
}

/// A one-shot fault, consumed by the next request it applies to.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer the next `/next` with headers and half the body, then close.
    CloseMidBody,
    /// Answer the next `/next` with 500.
    NextStatus(u16),
    /// Answer the next response/error post with this status (e.g. 500, 400, 403, 413).
    PostStatus(u16),
    /// Delay the next `/next` answer.
    DelayNext(Duration),
    /// Answer the next `/next` with a malformed header block.
    MalformedHeaders,
    /// Close the connection (no keep-alive) right after answering the next post.
    CloseAfterResponse,
    /// Send the next `/next` body with chunked transfer-encoding.
    ChunkedNext,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// TCP connections accepted on the Runtime API port.
    pub connections: usize,
    pub next_requests: usize,
    pub responses: usize,
    pub errors: usize,
}

/// `POST /2018-06-01/runtime/init/error`, as received.
#[derive(Clone, Debug)]
pub struct InitError {
    pub error_type: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug)]
pub enum EmuError {
    Io(std::io::Error),
    /// Nothing arrived within the given time; the string says what was awaited.
    Timeout(&'static str),
}

pub struct Emulator {/* private */}

impl Emulator {
    pub fn start(config: Config) -> std::io::Result<Emulator> { todo!() }
    pub fn addr(&self) -> SocketAddr { todo!() }
    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String { todo!() }
    /// The Lambda-like environment a bootstrap gets (AWS_LAMBDA_RUNTIME_API,
    /// AWS_LAMBDA_FUNCTION_NAME/VERSION/MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME/STREAM_NAME,
    /// AWS_REGION, AWS_DEFAULT_REGION, LAMBDA_TASK_ROOT, _HANDLER, TZ=:UTC, ...).
    pub fn lambda_env(&self) -> Vec<(String, String)> { todo!() }
    /// Clears the parent's environment, sets `lambda_env()` plus PATH, and spawns.
    pub fn spawn(&self, cmd: Command) -> std::io::Result<Child> { todo!() }
    /// Queue an invocation; returns its request id.
    pub fn enqueue(&self, inv: Invocation) -> String { todo!() }
    /// Wait for the outcome of a queued invocation.
    pub fn wait(&self, request_id: &str, timeout: Duration) -> Result<Outcome, EmuError> { todo!() }
    /// `enqueue(Invocation::new(event))` then `wait`.
    pub fn invoke(&self, event: Vec<u8>, timeout: Duration) -> Result<Outcome, EmuError> { todo!() }
    /// Wait until a `GET /next` arrives that has not been waited for yet; its arrival time.
    pub fn wait_next(&self, timeout: Duration) -> Result<Instant, EmuError> { todo!() }
    pub fn wait_init_error(&self, timeout: Duration) -> Result<InitError, EmuError> { todo!() }
    pub fn inject(&self, fault: Fault) { todo!() }
    pub fn stats(&self) -> Stats { todo!() }
    /// Serve `POST /2015-03-31/functions/function/invocations` on 127.0.0.1:port (0: any).
    pub fn serve_invoke(&self, port: u16) -> std::io::Result<SocketAddr> { todo!() }
}
// Drop stops every thread and closes the listeners.
