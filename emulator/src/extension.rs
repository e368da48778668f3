//! The part of Lambda's Extensions API a runtime uses for graceful shutdown: `register`
//! and an `event/next` that is parked, and the shutdown sequence (SIGTERM when an
//! extension is registered, a grace time, then SIGKILL).
//!
//! Deliberately missing: INVOKE and SHUTDOWN events (an `event/next` is never answered),
//! external extensions' processes, `init/error` and `exit/error` for extensions, and the
//! Telemetry and Logs APIs.
use crate::http::{error_json, Body, Request};
use crate::server::{answer, peer_closed};
use crate::state::Shared;
use crate::{ids, EmuError};
use std::net::TcpStream;
use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// What Lambda gives a runtime with an internal extension between SIGTERM and SIGKILL.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How often a parked `event/next` checks that its client is still there.
const LIVENESS_TICK: Duration = Duration::from_millis(100);

/// An extension registered with `POST /2020-01-01/extension/register`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredExtension {
    /// `Lambda-Extension-Name`.
    pub name: String,
    /// The `Lambda-Extension-Identifier` handed back.
    pub id: String,
    /// The registration body as sent (e.g. `{"events":[]}`).
    pub body: Vec<u8>,
    /// `GET /2020-01-01/extension/event/next` requests received from it.
    pub next_requests: usize,
}

#[derive(Default)]
pub(crate) struct Extensions {
    pub registered: Vec<RegisteredExtension>,
}

/// How [`Emulator::stop_function`](crate::Emulator::stop_function) ended the function
/// process.
#[derive(Debug)]
pub struct Stopped {
    /// SIGTERM was sent (an extension was registered), not only SIGKILL.
    pub sigterm: bool,
    /// The process exited by itself within the grace time.
    pub exited_in_grace: bool,
    /// From SIGTERM (or SIGKILL) to the exit being seen.
    pub took: Duration,
    /// The exit status.
    pub status: ExitStatus,
}

/// Routes `/2020-01-01/extension/{route}`; returns whether the connection stays open.
pub(crate) fn handle(
    shared: &Shared,
    stream: &mut TcpStream,
    req: Request,
    route: &str,
    keep: bool,
) -> bool {
    let method = req.head.method.as_str();
    match (route, method) {
        ("register", "POST") => register(shared, stream, req, keep),
        ("event/next", "GET") => event_next(shared, stream, &req, keep),
        ("register" | "event/next", _) => {
            let message = format!("{method} not allowed on /2020-01-01/extension/{route}");
            answer(
                stream,
                405,
                &[],
                &error_json("MethodNotAllowed", &message),
                keep,
            )
        }
        _ => {
            let message = format!("no such Extensions API path: /2020-01-01/extension/{route}");
            answer(stream, 404, &[], &error_json("NotFound", &message), keep)
        }
    }
}

fn register(shared: &Shared, stream: &mut TcpStream, req: Request, keep: bool) -> bool {
    let name = req
        .head
        .header("lambda-extension-name")
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if name.is_empty() {
        let body = error_json("InvalidRequest", "missing Lambda-Extension-Name header");
        return answer(stream, 400, &[], &body, keep);
    }
    let Body::Complete(body) = req.body else {
        let body = error_json("InvalidRequest", "registration body too large");
        return answer(stream, 413, &[], &body, keep);
    };
    // Not a JSON parser: enough to refuse what is plainly not a registration.
    if !crate::http::find(&body, b"\"events\"").is_some_and(|_| body.starts_with(b"{")) {
        let message = format!(
            "the body must be a JSON object with \"events\": {:?}",
            String::from_utf8_lossy(&body)
        );
        return answer(
            stream,
            400,
            &[],
            &error_json("InvalidRequest", &message),
            keep,
        );
    }
    let mut st = shared.lock();
    // Lambda takes registrations only during init: before any invocation was handed out.
    let handed_out = st.pending.len() + st.stats.responses + st.stats.errors;
    if handed_out > 0 {
        drop(st);
        let body = error_json(
            "Extension.InvalidState",
            &format!("extension {name:?} registered after init"),
        );
        return answer(stream, 403, &[], &body, keep);
    }
    if st.extensions.registered.iter().any(|e| e.name == name) {
        drop(st);
        let body = error_json(
            "Extension.AlreadyRegistered",
            &format!("an extension called {name:?} is already registered"),
        );
        return answer(stream, 409, &[], &body, keep);
    }
    let id = ids::uuid_v4();
    st.extensions.registered.push(RegisteredExtension {
        name,
        id: id.clone(),
        body,
        next_requests: 0,
    });
    drop(st);
    shared.cond.notify_all();
    let c = &shared.config;
    let answer_body = format!(
        "{{\"functionName\":{},\"functionVersion\":{},\"handler\":\"bootstrap\"}}",
        crate::http::json_string(&c.function_name),
        crate::http::json_string(&c.function_version)
    );
    answer(
        stream,
        200,
        &[("Lambda-Extension-Identifier", &id)],
        answer_body.as_bytes(),
        keep,
    )
}

/// Parked until the emulator stops or the client goes: the extensions this emulator knows
/// subscribe to no events.
fn event_next(shared: &Shared, stream: &mut TcpStream, req: &Request, keep: bool) -> bool {
    let id = req
        .head
        .header("lambda-extension-identifier")
        .unwrap_or("")
        .to_string();
    {
        let mut st = shared.lock();
        let Some(ext) = st.extensions.registered.iter_mut().find(|e| e.id == id) else {
            drop(st);
            let body = error_json(
                "Extension.UnknownExtensionIdentifier",
                &format!("unknown Lambda-Extension-Identifier {id:?}"),
            );
            return answer(stream, 403, &[], &body, keep);
        };
        ext.next_requests += 1;
    }
    shared.cond.notify_all();
    let mut st = shared.lock();
    loop {
        if shared.stopping() {
            return false;
        }
        st = shared.wait_for(st, LIVENESS_TICK);
        drop(st);
        if peer_closed(stream) {
            return false;
        }
        st = shared.lock();
    }
}

/// Lambda's shutdown of an execution environment: SIGTERM when an extension is registered,
/// then up to `grace` for the process to exit, then SIGKILL; SIGKILL at once otherwise.
pub(crate) fn stop_function(
    shared: &Shared,
    child: &mut Child,
    grace: Duration,
) -> Result<Stopped, EmuError> {
    let registered = !shared.lock().extensions.registered.is_empty();
    if let Some(status) = child.try_wait()? {
        return Ok(Stopped {
            sigterm: false,
            exited_in_grace: true,
            took: Duration::ZERO,
            status,
        });
    }
    let start = Instant::now();
    if registered {
        let pid = i32::try_from(child.id()).map_err(|_| EmuError::BadRequest {
            what: "process id out of range",
            value: child.id().to_string(),
        })?;
        // SAFETY: kill(2) only reads its two integer arguments. `child` has not been waited
        // for (try_wait above saw it running), so the pid is still this child's.
        if unsafe { kill(pid, SIGTERM) } != 0 {
            return Err(EmuError::Io(std::io::Error::last_os_error()));
        }
        let deadline = start + grace;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                return Ok(Stopped {
                    sigterm: true,
                    exited_in_grace: true,
                    took: start.elapsed(),
                    status,
                });
            }
            thread::sleep(Duration::from_millis(2));
        }
    }
    child.kill()?;
    let status = child.wait()?;
    Ok(Stopped {
        sigterm: registered,
        exited_in_grace: false,
        took: start.elapsed(),
        status,
    })
}

const SIGTERM: i32 = 15;

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
