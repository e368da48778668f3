//! Lambda builds abort on panic. Before they do, this hook reports the panic to the Runtime
//! API, so the caller sees `Runtime.Panic` and its message instead of a bare
//! `Runtime.ExitError`. It posts on a fresh connection: the loop's connection belongs to a
//! stack frame the panic is leaving.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::Diagnostic;

const MAX_ID: usize = 128;

struct InFlight {
    id: [u8; MAX_ID],
    len: usize,
}

thread_local! {
    /// The request id this thread is handling, if any; a fixed buffer so that setting it
    /// never allocates. Per thread: with several workers (`run_concurrent`) each serves its
    /// own invocation, and the panic hook and the logger run on the thread concerned.
    static IN_FLIGHT: RefCell<InFlight> = const {
        RefCell::new(InFlight {
            id: [0; MAX_ID],
            len: 0,
        })
    };
}
/// True until the first `GET /next`: a panic then is an initialisation failure.
static INITIALISING: AtomicBool = AtomicBool::new(true);
static ENDPOINT: OnceLock<Endpoint> = OnceLock::new();

pub(crate) fn install(endpoint: &Endpoint) {
    // With `-Cpanic=immediate-abort` (build.sh --tiniest) a panic is a trap instruction and
    // no hook ever runs: installing one would only cost bytes.
    #[allow(unexpected_cfgs)]
    if cfg!(panic = "immediate-abort") {
        return;
    }
    if ENDPOINT.set(endpoint.clone()).is_err() {
        return; // already installed by an earlier Runtime in this process
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The usual message goes to the log first, whatever happens next.
        previous(info);
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("panic with a non-string payload");
        let text = match info.location() {
            Some(l) => format!("{message} (at {}:{}:{})", l.file(), l.line(), l.column()),
            None => message.to_string(),
        };
        report(Diagnostic::new("Runtime.Panic", text));
    }));
}

fn report(d: Diagnostic) {
    let Some(endpoint) = ENDPOINT.get() else {
        return;
    };
    let id = IN_FLIGHT
        .try_with(|cell| {
            let Ok(mut g) = cell.try_borrow_mut() else {
                return String::new();
            };
            let id = String::from_utf8_lossy(&g.id[..g.len]).into_owned();
            g.len = 0; // never report the same invocation twice
            id
        })
        .unwrap_or_default();
    let mut client = Client::with_timeout(endpoint.clone(), std::time::Duration::from_secs(2));
    let result = if !id.is_empty() {
        client.error(&id, &d)
    } else if INITIALISING.load(Ordering::Relaxed) {
        client.init_error(&d)
    } else {
        return;
    };
    if let Err(e) = result {
        eprintln!("rayo: could not report the panic to the Runtime API: {e}");
    }
}

pub(crate) fn set_in_flight(id: &str) {
    INITIALISING.store(false, Ordering::Relaxed);
    let _ = IN_FLIGHT.try_with(|cell| {
        if let Ok(mut g) = cell.try_borrow_mut() {
            // Ids are checked to be at most 128 bytes before they get here.
            let n = id.len().min(MAX_ID);
            g.id[..n].copy_from_slice(&id.as_bytes()[..n]);
            g.len = n;
        }
    });
}

pub(crate) fn clear_in_flight() {
    let _ = IN_FLIGHT.try_with(|cell| {
        if let Ok(mut g) = cell.try_borrow_mut() {
            g.len = 0;
        }
    });
}

/// Calls `f` with the request id this thread is handling ("" between invocations).
pub(crate) fn with_in_flight<R>(f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; MAX_ID];
    let n = IN_FLIGHT
        .try_with(|cell| match cell.try_borrow() {
            Ok(g) => {
                buf[..g.len].copy_from_slice(&g.id[..g.len]);
                g.len
            }
            Err(_) => 0,
        })
        // Thread-local storage already torn down: a log call from a destructor at exit.
        .unwrap_or(0);
    f(std::str::from_utf8(&buf[..n]).unwrap_or(""))
}

/// Called once initialisation is over, even before the first event arrives.
pub(crate) fn initialised() {
    INITIALISING.store(false, Ordering::Relaxed);
}
