//! [`Runtime`] and the one invocation loop that `run`, every `run_concurrent` worker and
//! `run_streaming` share. The loop is generic over how an answer is produced and posted
//! ([`Respond`]): a plain handler's bytes, or a streamed response. Each binary compiles the
//! loop once per way it serves, and a way it does not use is not compiled at all.

use std::sync::Arc;

use crate::client::{Client, Posted};
use crate::endpoint::Endpoint;
use crate::handler::{Handler, SharedHandler};
use crate::{concurrent, panic, trace_env, Config, Context, Diagnostic, Error};

/// Reads the environment and serves events with `handler` until the Runtime API fails.
/// Returns only with the error that stopped it; `main` returning it exits non-zero, so
/// Lambda starts a fresh environment.
pub fn run<H: Handler>(handler: H) -> Result<(), Error> {
    Runtime::from_env()?.run(handler)
}

/// Like [`run`], with as many workers as `AWS_LAMBDA_MAX_CONCURRENCY` asks
/// for (one when it is unset: the same single loop as `run`, on the main thread).
///
/// ```no_run
/// use rayo_runtime::{Context, Diagnostic};
///
/// fn main() -> Result<(), rayo_runtime::Error> {
///     rayo_runtime::run_concurrent(|event: &[u8], _ctx: &Context| -> Result<Vec<u8>, Diagnostic> {
///         Ok(event.to_vec())
///     })
/// }
/// ```
pub fn run_concurrent<H: SharedHandler>(handler: H) -> Result<(), Error> {
    Runtime::from_env()?.run_concurrent(handler)
}

/// Reads the environment and serves events with a streaming handler until the Runtime API
/// fails (see [`Runtime::run_streaming`]).
///
/// ```no_run
/// use std::io::Write;
/// use rayo_runtime::{Context, Diagnostic, ResponseStream};
///
/// fn main() -> Result<(), rayo_runtime::Error> {
///     rayo_runtime::run_streaming(|event: &[u8], _: &Context, out: &mut ResponseStream| {
///         for line in event.split(|&b| b == b'\n') {
///             out.write_all(line)?;
///             out.write_all(b"\n")?;
///             out.flush()?; // each line reaches the caller now
///         }
///         Ok::<(), Diagnostic>(())
///     })
/// }
/// ```
#[cfg(feature = "streaming")]
pub fn run_streaming<H: crate::StreamHandler>(handler: H) -> Result<(), Error> {
    Runtime::from_env()?.run_streaming(handler)
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
        Ok(Runtime::with_endpoint(endpoint, Config::from_env()?))
    }

    /// A runtime for the Runtime API at `runtime_api` (what `AWS_LAMBDA_RUNTIME_API` would
    /// hold: `host:port`, or `http://host:port/prefix`) with these settings, so that a test
    /// or a tool needs no environment variables. Does not connect yet.
    ///
    /// ```
    /// let mut config = rayo_runtime::Config::default();
    /// config.function_name = "local-test".into();
    /// let rt = rayo_runtime::Runtime::new("127.0.0.1:9001", config)?;
    /// assert_eq!(rt.config().function_name, "local-test");
    /// assert!(rayo_runtime::Runtime::new("127.0.0.1", rayo_runtime::Config::default()).is_err());
    /// # Ok::<(), rayo_runtime::Error>(())
    /// ```
    pub fn new(runtime_api: &str, config: Config) -> Result<Runtime, Error> {
        Ok(Runtime::with_endpoint(
            Endpoint::parse(runtime_api)?,
            config,
        ))
    }

    fn with_endpoint(endpoint: Endpoint, config: Config) -> Runtime {
        panic::install(&endpoint);
        Runtime {
            client: Client::new(endpoint),
            config: Arc::new(config),
        }
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
    pub fn run<H: Handler>(mut self, handler: H) -> Result<(), Error> {
        panic::initialised();
        Err(serve(
            &mut self.client,
            &self.config,
            Buffered(handler),
            true,
        ))
    }

    /// Serves events with `AWS_LAMBDA_MAX_CONCURRENCY` workers; returns only with the first
    /// error that stopped one of them (returning it from `main` ends the process, and the
    /// other workers with it: Lambda then starts a fresh environment).
    ///
    /// With more than one worker `_X_AMZN_TRACE_ID` is not set: the environment is one per
    /// process and the invocations are several. The trace id is in [`Context::xray_trace_id`].
    pub fn run_concurrent<H: SharedHandler>(mut self, handler: H) -> Result<(), Error> {
        let workers = concurrent::max_concurrency()?;
        panic::initialised();
        if workers == 1 {
            // The workers' instance of the loop, on this thread, trace id variable included.
            return Err(serve(
                &mut self.client,
                &self.config,
                Buffered(Shared(&handler)),
                true,
            ));
        }
        concurrent::serve_with_workers(&self.client.endpoint, &self.config, handler, workers)
    }

    /// Serves events forever with a streaming handler; returns only with the error that
    /// stopped it. Each answer is a chunked streamed response; a handler error before any
    /// byte went out is posted to `/error`, one after is sent as trailers.
    #[cfg(feature = "streaming")]
    pub fn run_streaming<H: crate::StreamHandler>(mut self, handler: H) -> Result<(), Error> {
        panic::initialised();
        Err(serve(
            &mut self.client,
            &self.config,
            crate::stream::Streamed(handler),
            true,
        ))
    }

    /// Runs `hook` when Lambda shuts this environment down (SIGTERM), then exits with
    /// status 0. The first call registers the internal extension with the Extensions API
    /// (one round trip, during init) and starts the thread that waits for the signal;
    /// later calls add hooks, run in the order given.
    ///
    /// Call it before [`run`](Runtime::run) or [`run_concurrent`](Runtime::run_concurrent),
    /// and before the function starts threads of its own: SIGTERM is blocked in the calling
    /// thread and in the threads it starts from then on, and a thread started earlier
    /// would receive it and end the process without the hooks.
    ///
    /// ```no_run
    /// let rt = rayo_runtime::Runtime::from_env()?;
    /// rt.on_shutdown(|| rayo_runtime::info!("flushing metrics before shutdown"))?;
    /// rt.run(|event: &[u8], _: &rayo_runtime::Context| Ok(event.to_vec()))
    /// # ; Ok::<(), rayo_runtime::Error>(())
    /// ```
    #[cfg(target_os = "linux")]
    pub fn on_shutdown<F: FnOnce() + Send + 'static>(&self, hook: F) -> Result<(), Error> {
        crate::shutdown::add_hook(&self.client.endpoint, Box::new(hook))
    }
}

/// How one invocation's answer is produced and posted: [`Buffered`] for a handler that
/// returns bytes, `Streamed` for one that writes a stream.
pub(crate) trait Respond {
    /// What the handler came to, ready to post.
    type Outcome;
    /// Calls the handler (a streamed answer is on its way while it runs).
    fn call(
        &mut self,
        client: &mut Client,
        event: &[u8],
        ctx: &Context,
    ) -> Result<Self::Outcome, Error>;
    /// Posts the outcome; says what was posted ("response", "error", ...) for the log line
    /// when the Runtime API refuses it.
    fn post(
        client: &mut Client,
        request_id: &str,
        outcome: Self::Outcome,
    ) -> Result<(&'static str, Posted), Error>;
}

/// A handler whose answer is whole bytes, posted to `/response` (or its error to `/error`).
pub(crate) struct Buffered<H>(pub(crate) H);

impl<H: Handler> Respond for Buffered<H> {
    type Outcome = Result<Vec<u8>, Diagnostic>;

    fn call(
        &mut self,
        _: &mut Client,
        event: &[u8],
        ctx: &Context,
    ) -> Result<Self::Outcome, Error> {
        Ok(self.0.call(event, ctx))
    }

    fn post(
        client: &mut Client,
        request_id: &str,
        outcome: Self::Outcome,
    ) -> Result<(&'static str, Posted), Error> {
        Ok(match &outcome {
            Ok(body) => ("response", client.respond(request_id, body)?),
            Err(d) => ("error", client.error(request_id, d)?),
        })
    }
}

/// A [`SharedHandler`] borrowed as a [`Handler`], so the workers run the same loop.
pub(crate) struct Shared<'a, H>(pub(crate) &'a H);

impl<H: SharedHandler> Handler for Shared<'_, H> {
    fn call(&mut self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        self.0.call(event, ctx)
    }
}

/// The invocation loop: `GET /next`, the handler, the post, until the Runtime API fails;
/// returns that error. `_X_AMZN_TRACE_ID` is set only when this is the process's one
/// worker (`set_trace_env`).
pub(crate) fn serve<R: Respond>(
    client: &mut Client,
    config: &Arc<Config>,
    mut respond: R,
    set_trace_env: bool,
) -> Error {
    loop {
        let (ctx, event) = match client.next(config) {
            Ok(next) => next,
            Err(e) => return e,
        };
        if set_trace_env {
            // Only one worker serves, so nothing reads the environment concurrently. Not
            // `set_var` directly: on glibc that leaks every replaced value (trace_env.rs).
            trace_env::set(ctx.xray_trace_id.as_deref());
        }
        panic::set_in_flight(&ctx.request_id);
        let outcome = respond.call(client, &event, &ctx);
        panic::clear_in_flight();
        let posted = outcome.and_then(|outcome| R::post(client, &ctx.request_id, outcome));
        match posted {
            Ok((_, Posted::Accepted)) => {}
            Ok((what, Posted::Refused(status))) => eprintln!(
                    "rayo: the Runtime API refused the {what} for request {} with status {status}; going on",
                    ctx.request_id
                ),
            Err(e) => return e,
        }
    }
}
