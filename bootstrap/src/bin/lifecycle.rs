//! The function the runtime's lifecycle tests drive: logging, graceful shutdown and several
//! workers together. A separate binary so that the echo and compute bootstraps, which
//! benchmarks measure, carry neither the logger nor the shutdown thread.
//!
//! | event (exact bytes) | what it does                                                    |
//! |---------------------|-----------------------------------------------------------------|
//! | `"rayo:log"`        | logs one record per level (TRACE..FATAL) naming its request id, |
//! |                     | waits until AWS_LAMBDA_MAX_CONCURRENCY invocations are in (5 s  |
//! |                     | at most), logs once more; answers its request id. Also a WARN   |
//! |                     | and a TRACE record through the `log` crate (`log-facade`)       |
//! | `"rayo:barrier"`    | waits as above; answers `{"max_in_flight":N,"trace_env":…,`     |
//! |                     | `"xray":…}` (the most invocations seen inside at once, the      |
//! |                     | `_X_AMZN_TRACE_ID` variable and the Context's trace id)         |
//! | `"rayo:panic"`      | waits as above, then panics                                     |
//! | anything else       | the event itself                                                |
//!
//! `RAYO_SHUTDOWN_HOOK=text` registers a shutdown hook that prints `text` to stdout;
//! `RAYO_SHUTDOWN_HOOK_MS=n` makes the hook sleep n ms first (a hook that overruns).

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rayo_runtime::{write_json_string, Context, Diagnostic, Runtime};

fn main() -> Result<(), rayo_runtime::Error> {
    let rt = Runtime::from_env()?;
    if let Some(text) = std::env::var_os("RAYO_SHUTDOWN_HOOK") {
        let text = text.to_string_lossy().into_owned();
        let delay = std::env::var("RAYO_SHUTDOWN_HOOK_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        rt.on_shutdown(move || {
            std::thread::sleep(Duration::from_millis(delay));
            println!("{text}");
        })?;
    }
    rayo_runtime::log::install_log_facade();
    rayo_runtime::info!("initialised");
    rt.run_concurrent(|event: &[u8], ctx: &Context| match event {
        b"\"rayo:log\"" => log_all_levels(ctx),
        b"\"rayo:barrier\"" => barrier(ctx),
        b"\"rayo:panic\"" => {
            wait_for_peers()?;
            panic!("lifecycle was asked to panic")
        }
        _ => Ok(event.to_vec()),
    })
}

fn log_all_levels(ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
    let id = &ctx.request_id;
    rayo_runtime::trace!("trace from {id}");
    rayo_runtime::debug!("debug from {id}");
    rayo_runtime::info!("info from {id}: \"quoted\"\nsecond line\ttab é");
    rayo_runtime::warn!("warn from {id}");
    rayo_runtime::error!("error from {id}");
    rayo_runtime::fatal!("fatal from {id}");
    log::warn!("log crate from {id}");
    log::trace!("log crate trace from {id}");
    let seen = wait_for_peers()?;
    rayo_runtime::info!("after the barrier from {id} ({seen} in flight)");
    Ok(id.as_bytes().to_vec())
}

fn barrier(ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
    let seen = wait_for_peers()?;
    let trace_env = std::env::var("_X_AMZN_TRACE_ID").ok();
    let mut out = format!("{{\"max_in_flight\":{seen},\"trace_env\":").into_bytes();
    for (i, v) in [trace_env.as_deref(), ctx.xray_trace_id.as_deref()]
        .iter()
        .enumerate()
    {
        if i == 1 {
            out.extend_from_slice(b",\"xray\":");
        }
        match v {
            Some(s) => write_json_string(&mut out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
    Ok(out)
}

static IN_BARRIER: Mutex<(usize, usize)> = Mutex::new((0, 0));
static BARRIER_CHANGED: Condvar = Condvar::new();

/// Returns once AWS_LAMBDA_MAX_CONCURRENCY invocations have been here at the same time (or
/// after 5 s), with the most seen: so their log records interleave in time.
fn wait_for_peers() -> Result<usize, Diagnostic> {
    let want = rayo_runtime::max_concurrency().map_err(Diagnostic::from)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut g = IN_BARRIER.lock().unwrap_or_else(|p| p.into_inner());
    g.0 += 1;
    g.1 = g.1.max(g.0);
    BARRIER_CHANGED.notify_all();
    while g.1 < want {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        g = match BARRIER_CHANGED.wait_timeout(g, deadline - now) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        };
    }
    let seen = g.1;
    g.0 -= 1;
    Ok(seen)
}
