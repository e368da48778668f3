//! Lambda Managed Instances: several invocations in flight in one process. Lambda says how
//! many in `AWS_LAMBDA_MAX_CONCURRENCY`; rayo answers with that many blocking worker
//! threads, each with its own keep-alive connection polling `GET /next`. No async runtime:
//! a worker blocked in a handler is just a thread blocked, and the kernel schedules them.

use std::sync::{Arc, Condvar, Mutex};

use crate::client::{Client, Posted};
use crate::{panic, Config, Context, Diagnostic, Error, LambdaEvent, Runtime};

/// The variable Lambda Managed Instances set to the number of concurrent invocations an
/// execution environment receives.
pub const MAX_CONCURRENCY_VAR: &str = "AWS_LAMBDA_MAX_CONCURRENCY";
/// More workers than this is a mistake, not a configuration: refuse it rather than spawn
/// thousands of threads.
const MAX_WORKERS: usize = 4096;

/// A handler several workers can call at once: every
/// `Fn(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> + Send + Sync + 'static` is one.
/// State shared across invocations needs its own synchronisation (an atomic, a `Mutex`,
/// a `OnceLock`), as in any multi-threaded Rust.
pub trait SharedHandler: Send + Sync + 'static {
    /// Handles one event; may be called from several workers at once.
    fn call(&self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic>;
}

impl<F> SharedHandler for F
where
    F: Fn(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> + Send + Sync + 'static,
{
    fn call(&self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        self(event, ctx)
    }
}

/// [`service_fn`](crate::service_fn) for [`run_concurrent`]: a typed handler that several
/// workers share (`Fn` rather than `FnMut`).
///
/// ```no_run
/// use rayo_runtime::miniserde::{self, Deserialize, Serialize};
/// use rayo_runtime::{shared_service_fn, Diagnostic, LambdaEvent};
///
/// #[derive(Deserialize)]
/// struct Request { name: String }
/// #[derive(Serialize)]
/// struct Response { greeting: String }
///
/// fn main() -> Result<(), rayo_runtime::Error> {
///     rayo_runtime::run_concurrent(shared_service_fn(|e: LambdaEvent<Request>| {
///         Ok::<_, Diagnostic>(Response { greeting: format!("hello, {}", e.payload.name) })
///     }))
/// }
/// ```
pub fn shared_service_fn<T, R, F>(
    f: F,
) -> impl Fn(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> + Send + Sync + 'static
where
    T: miniserde::Deserialize,
    R: miniserde::Serialize,
    F: Fn(LambdaEvent<T>) -> Result<R, Diagnostic> + Send + Sync + 'static,
{
    move |event: &[u8], ctx: &Context| crate::typed::call_typed(&f, event, ctx)
}

/// Like [`run`](crate::run), with as many workers as `AWS_LAMBDA_MAX_CONCURRENCY` asks
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

/// `AWS_LAMBDA_MAX_CONCURRENCY` as a worker count: 1 when unset or empty.
pub fn max_concurrency() -> Result<usize, Error> {
    match std::env::var(MAX_CONCURRENCY_VAR) {
        Ok(v) => parse_max_concurrency(&v),
        Err(std::env::VarError::NotPresent) => Ok(1),
        Err(std::env::VarError::NotUnicode(v)) => Err(Error::Env {
            var: MAX_CONCURRENCY_VAR,
            value: Some(v.to_string_lossy().into_owned()),
            reason: "not valid UTF-8",
        }),
    }
}

fn parse_max_concurrency(value: &str) -> Result<usize, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(1);
    }
    match v.parse::<usize>() {
        Ok(n) if (1..=MAX_WORKERS).contains(&n) => Ok(n),
        _ => Err(Error::Env {
            var: MAX_CONCURRENCY_VAR,
            value: Some(value.to_string()),
            reason: "expected a whole number of concurrent invocations from 1 to 4096",
        }),
    }
}

impl Runtime {
    /// Serves events with `AWS_LAMBDA_MAX_CONCURRENCY` workers; returns only with the first
    /// error that stopped one of them (returning it from `main` ends the process, and the
    /// other workers with it: Lambda then starts a fresh environment).
    ///
    /// With more than one worker `_X_AMZN_TRACE_ID` is not set: the environment is one per
    /// process and the invocations are several. The trace id is in [`Context::xray_trace_id`].
    pub fn run_concurrent<H: SharedHandler>(self, handler: H) -> Result<(), Error> {
        let workers = max_concurrency()?;
        panic::initialised();
        if workers == 1 {
            // `Runtime::run`'s loop, trace id variable included; not `run` itself, which
            // would compile a second copy of the loop for the same handler.
            return Err(serve(self.client, &self.config, &handler, true));
        }
        let handler = Arc::new(handler);
        let first_error: Arc<(Mutex<Option<Error>>, Condvar)> = Arc::default();
        for _ in 0..workers {
            let work = Box::new(Worker {
                client: Client::new(self.client.endpoint.clone()),
                config: Arc::clone(&self.config),
                handler: Arc::clone(&handler),
                first_error: Arc::clone(&first_error),
            });
            crate::thread::spawn(Box::new(move || work.run())).map_err(|source| Error::Io {
                during: "starting a worker thread",
                source,
            })?;
        }
        // Every worker loops until an error; the first one is the answer.
        let (slot, cv) = &*first_error;
        let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(e) = g.take() {
                return Err(e);
            }
            g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }
}

struct Worker<H> {
    client: Client,
    config: Arc<Config>,
    handler: Arc<H>,
    first_error: Arc<(Mutex<Option<Error>>, Condvar)>,
}

impl<H: SharedHandler> Worker<H> {
    fn run(self) {
        let e = serve(self.client, &self.config, &*self.handler, false);
        let (slot, cv) = &*self.first_error;
        let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
        g.get_or_insert(e);
        cv.notify_all();
    }
}

/// One worker's loop: `Runtime::run`'s. `_X_AMZN_TRACE_ID` is set only when this is the
/// process's one worker (`set_trace_env`).
fn serve<H: SharedHandler>(
    mut client: Client,
    config: &Arc<Config>,
    handler: &H,
    set_trace_env: bool,
) -> Error {
    loop {
        let (ctx, event) = match client.next(config) {
            Ok(next) => next,
            Err(e) => return e,
        };
        if set_trace_env {
            crate::set_trace_id(ctx.xray_trace_id.as_deref());
        }
        panic::set_in_flight(&ctx.request_id);
        let outcome = handler.call(&event, &ctx);
        panic::clear_in_flight();
        let posted = match &outcome {
            Ok(body) => client.respond(&ctx.request_id, body),
            Err(d) => client.error(&ctx.request_id, d),
        };
        match posted {
            Ok(Posted::Accepted) => {}
            Ok(Posted::Refused(status)) => {
                let what = if outcome.is_ok() { "response" } else { "error" };
                eprintln!(
                    "rayo: the Runtime API refused the {what} for request {} with status {status}; going on",
                    ctx.request_id
                );
            }
            Err(e) => return e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(miniserde::Deserialize)]
    struct Req {
        n: u32,
    }

    #[derive(miniserde::Serialize)]
    struct Resp {
        double: u32,
        id: String,
    }

    #[test]
    fn shared_service_fn_is_callable_from_several_threads_at_once() {
        let h = shared_service_fn(|e: LambdaEvent<Req>| {
            if e.payload.n == 0 {
                return Err(Diagnostic::new("Zero", "n must not be 0"));
            }
            Ok(Resp {
                double: e.payload.n * 2,
                id: e.context.request_id,
            })
        });
        std::thread::scope(|s| {
            for i in 1..=4u32 {
                let h = &h;
                s.spawn(move || {
                    let ctx = Context::for_test().with_request_id(format!("r{i}"));
                    let out = SharedHandler::call(h, format!("{{\"n\":{i}}}").as_bytes(), &ctx);
                    let want = format!("{{\"double\":{},\"id\":\"r{i}\"}}", i * 2);
                    assert_eq!(out.unwrap(), want.as_bytes());
                });
            }
        });
        let ctx = Context::for_test().with_request_id("r0");
        assert_eq!(
            SharedHandler::call(&h, b"{\"n\":0}", &ctx)
                .unwrap_err()
                .error_type,
            "Zero"
        );
        let bad = SharedHandler::call(&h, b"{}", &ctx).unwrap_err();
        assert_eq!(bad.error_type, "InvalidEvent");
    }

    #[test]
    fn max_concurrency_values() {
        assert_eq!(parse_max_concurrency("").unwrap(), 1);
        assert_eq!(parse_max_concurrency("1").unwrap(), 1);
        assert_eq!(parse_max_concurrency(" 32 ").unwrap(), 32);
        assert_eq!(parse_max_concurrency("4096").unwrap(), 4096);
        for bad in ["0", "-1", "4097", "four", "1.5", "99999999999999999999999"] {
            let e = parse_max_concurrency(bad).unwrap_err().to_string();
            assert!(
                e.contains("AWS_LAMBDA_MAX_CONCURRENCY") && e.contains(bad),
                "{bad}: {e}"
            );
        }
    }
}
