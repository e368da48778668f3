//! The Runtime API: the connection loop (on pool threads) and the four endpoints.
use crate::http::{self, error_json, Body, Reader, Request};
use crate::state::Shared;
use crate::MAX_RESPONSE_BYTES;
use crate::{invoke, pool, Config, EmuError, Fault, InitError, Invocation, Outcome, OutcomeKind};
use std::io::{ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Read-timeout tick: how often an idle connection thread looks at the stop flag (Drop
/// also shuts sockets down, so this is only a backstop).
pub(crate) const POLL: Duration = Duration::from_millis(500);
/// A client that stops reading our answer for this long is dropped.
const WRITE_LIMIT: Duration = Duration::from_secs(10);
/// How often a long-polling `/next` checks that its client is still there, so the thread
/// of a killed bootstrap (cold-start runs kill many) does not linger.
const LIVENESS_TICK: Duration = Duration::from_millis(100);

const OK_BODY: &[u8] = b"{\"status\":\"OK\"}";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Service {
    Runtime,
    Invoke,
}

pub(crate) fn start(config: Config) -> std::io::Result<(Arc<Shared>, SocketAddr)> {
    let shared = Arc::new(Shared::new(config));
    let listener = TcpListener::bind("127.0.0.1:0")?;
    match pool::start(&shared, listener, Service::Runtime) {
        Ok(addr) => Ok((shared, addr)),
        Err(e) => {
            // Threads already started must not outlive a failed start.
            shared.shutdown();
            Err(e)
        }
    }
}

/// Serves one accepted connection on the calling (pool) thread.
pub(crate) fn serve_accepted(shared: &Shared, stream: TcpStream, service: Service) {
    if service == Service::Runtime {
        shared.lock().stats.connections += 1;
    }
    if let Some(id) = shared.register_conn(&stream) {
        serve_connection(shared, stream, service);
        shared.unregister_conn(id);
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream, service: Service) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(WRITE_LIMIT));
    let (Ok(read_half), Ok(interim)) = (stream.try_clone(), stream.try_clone()) else {
        return;
    };
    let mut reader = Reader::new(read_half).with_interim(Box::new(interim));
    let mut stream = stream;
    let stop = || shared.stopping();
    loop {
        let mut on_chunk =
            |head: &http::Head, data: &[u8]| crate::stream::observe(shared, head, data);
        match reader.read_request_observed(MAX_RESPONSE_BYTES, &stop, Some(&mut on_chunk)) {
            Ok(None) => break,
            Ok(Some(req)) => {
                let keep = match service {
                    Service::Runtime => handle_runtime(shared, &mut stream, req),
                    Service::Invoke => invoke::handle(shared, &mut stream, req),
                };
                if !keep {
                    break;
                }
            }
            Err(e @ EmuError::BadRequest { .. }) => {
                shared.lock().stats.malformed_requests += 1;
                let body = error_json("InvalidRequest", &e.to_string());
                let _ = http::write_response(&mut stream, 400, &json_ct(), &body, true);
                break;
            }
            Err(e @ EmuError::Timeout(_)) => {
                let body = error_json("RequestTimeout", &e.to_string());
                let _ = http::write_response(&mut stream, 408, &json_ct(), &body, true);
                break;
            }
            Err(_) => break,
        }
    }
    // After a reset fault the last close must send the RST: a shutdown would send a FIN first.
    if !RESET_ON_CLOSE.with(|r| r.replace(false)) {
        let _ = stream.shutdown(Shutdown::Both);
    }
}

thread_local! {
    /// Set by `reset_on_close`: this thread's connection is to end with a TCP reset.
    static RESET_ON_CLOSE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes the connection end with a TCP reset (SO_LINGER with a zero timeout: the final close
/// sends RST), as a crashed server or a middlebox dropping state does.
#[cfg(target_os = "linux")]
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Linger {
        onoff: i32,
        seconds: i32,
    }
    extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, value: *const Linger, len: u32) -> i32;
    }
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    let linger = Linger {
        onoff: 1,
        seconds: 0,
    };
    // SAFETY: the fd is a live socket owned by `stream` for the whole call; the pointer and
    // length describe `linger`, a C `struct linger` that outlives the call.
    let rc = unsafe {
        setsockopt(
            stream.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            &linger,
            std::mem::size_of::<Linger>() as u32,
        )
    };
    RESET_ON_CLOSE.with(|r| r.set(rc == 0));
}

/// Elsewhere the connection is only closed (a FIN, not a reset).
#[cfg(not(target_os = "linux"))]
fn reset_on_close(_stream: &TcpStream) {}

pub(crate) fn json_ct() -> [(&'static str, &'static str); 1] {
    [("Content-Type", "application/json")]
}

/// Answers with `close` when the request or the body framing requires it; returns whether
/// the connection stays open.
pub(crate) fn answer(
    stream: &mut TcpStream,
    status: u16,
    extra: &[(&str, &str)],
    body: &[u8],
    keep: bool,
) -> bool {
    let mut headers: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    http::write_response(stream, status, &headers, body, !keep).is_ok() && keep
}

fn handle_runtime(shared: &Shared, stream: &mut TcpStream, req: Request) -> bool {
    let keep = req.head.keep_alive() && !matches!(req.body, Body::TooLarge { drained: false });
    let path = req.head.path();
    let route = match shared.prefix() {
        Some(p) => path
            .strip_prefix('/')
            .and_then(|r| r.strip_prefix(p))
            .filter(|r| r.starts_with('/')),
        None => Some(path),
    };
    if let Some(r) = route.and_then(|r| r.strip_prefix("/2020-01-01/extension/")) {
        let r = r.to_string();
        return crate::extension::handle(shared, stream, req, &r, keep);
    }
    let route = route.and_then(|r| r.strip_prefix("/2018-06-01/runtime/"));
    let method = req.head.method.as_str();
    match route {
        Some("invocation/next") if method == "GET" => handle_next(shared, stream, &req, keep),
        Some("init/error") if method == "POST" => handle_init_error(shared, stream, req, keep),
        Some("invocation/next" | "init/error") => method_not_allowed(stream, method, path, keep),
        Some(r) if r.starts_with("invocation/") => {
            let rest = r.trim_start_matches("invocation/");
            let (id, is_error) = match (rest.strip_suffix("/response"), rest.strip_suffix("/error"))
            {
                (Some(id), _) => (id.to_string(), false),
                (_, Some(id)) => (id.to_string(), true),
                _ => return not_found(stream, path, keep),
            };
            if id.is_empty() || id.contains('/') {
                return not_found(stream, path, keep);
            }
            if method != "POST" {
                return method_not_allowed(stream, method, path, keep);
            }
            handle_post(shared, stream, req, &id, is_error, keep)
        }
        _ => not_found(stream, path, keep),
    }
}

fn not_found(stream: &mut TcpStream, path: &str, keep: bool) -> bool {
    let body = error_json("NotFound", &format!("no such Runtime API path: {path}"));
    answer(stream, 404, &[], &body, keep)
}

fn method_not_allowed(stream: &mut TcpStream, method: &str, path: &str, keep: bool) -> bool {
    let body = error_json(
        "MethodNotAllowed",
        &format!("{method} not allowed on {path}"),
    );
    answer(stream, 405, &[], &body, keep)
}

/// Whether the peer has closed its side: a non-blocking peek sees EOF. Guards against
/// handing an invocation to a connection whose client is gone (e.g. a killed bootstrap).
pub(crate) fn peer_closed(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let r = stream.peek(&mut [0u8; 1]);
    let _ = stream.set_nonblocking(false);
    match r {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    }
}

enum Plan {
    Immediate(Fault),
    Deliver(Invocation, Option<Fault>),
}

fn handle_next(shared: &Shared, stream: &mut TcpStream, req: &Request, keep: bool) -> bool {
    {
        let mut st = shared.lock();
        st.stats.next_requests += 1;
        st.next_arrivals.push_back(req.first_byte_at);
        // Only `wait_next` takes these; without a caller they would pile up one per /next.
        if st.next_arrivals.len() > crate::state::REMEMBERED {
            st.next_arrivals.pop_front();
        }
    }
    shared.cond.notify_all();

    let plan = {
        let mut st = shared.lock();
        let mut last_check = Instant::now();
        loop {
            if shared.stopping() {
                return false;
            }
            let immediate = |f: &Fault| matches!(f, Fault::NextStatus(_) | Fault::MalformedHeaders);
            if let Some(fault) = take_fault(&mut st.faults, immediate) {
                break Plan::Immediate(fault);
            }
            if let Some(inv) = st.queue.pop_front() {
                let with_event = |f: &Fault| {
                    matches!(
                        f,
                        Fault::CloseMidBody
                            | Fault::DelayNext(_)
                            | Fault::ChunkedNext
                            | Fault::ResetBeforeHeaders
                            | Fault::ResetMidHeaders
                            | Fault::ResetMidBody
                            | Fault::SlowDrip(_)
                    )
                };
                let fault = take_fault(&mut st.faults, with_event);
                st.pending.insert(inv.request_id.clone(), Instant::now());
                break Plan::Deliver(inv, fault);
            }
            st = shared.wait_for(st, LIVENESS_TICK);
            if last_check.elapsed() >= LIVENESS_TICK {
                last_check = Instant::now();
                if peer_closed(stream) {
                    return false;
                }
            }
        }
    };

    match plan {
        Plan::Immediate(Fault::NextStatus(code)) => {
            let body = error_json("InjectedFault", &format!("injected status {code} on /next"));
            answer(stream, code, &[], &body, keep)
        }
        Plan::Immediate(_) => {
            // A header line without a colon: the client's parser must refuse it.
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                  Lambda-Runtime-Aws-Request-Id this-line-has-no-colon\r\n\
                  Content-Length: 2\r\n\r\n{}",
            );
            false
        }
        Plan::Deliver(inv, fault) => deliver(shared, stream, inv, fault, keep),
    }
}

/// Gives an invocation back (front of the queue) after a failed or faulted delivery.
fn requeue(shared: &Shared, inv: Invocation) {
    let mut st = shared.lock();
    st.pending.remove(&inv.request_id);
    st.queue.push_front(inv);
    drop(st);
    shared.cond.notify_all();
}

fn deliver(
    shared: &Shared,
    stream: &mut TcpStream,
    inv: Invocation,
    fault: Option<Fault>,
    keep: bool,
) -> bool {
    if peer_closed(stream) {
        requeue(shared, inv);
        return false;
    }
    if let Some(Fault::DelayNext(d)) = fault {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if shared.stopping() {
                requeue(shared, inv);
                return false;
            }
            thread::sleep((until - Instant::now()).min(Duration::from_millis(20)));
        }
    }
    let deadline = inv.deadline_ms.to_string();
    let mut headers: Vec<(&str, &str)> = vec![
        ("Content-Type", "application/json"),
        ("Lambda-Runtime-Aws-Request-Id", &inv.request_id),
        ("Lambda-Runtime-Deadline-Ms", &deadline),
        ("Lambda-Runtime-Invoked-Function-Arn", &inv.function_arn),
    ];
    let optional = [
        ("Lambda-Runtime-Trace-Id", &inv.trace_id),
        ("Lambda-Runtime-Client-Context", &inv.client_context),
        ("Lambda-Runtime-Cognito-Identity", &inv.cognito_identity),
        ("Lambda-Runtime-Aws-Tenant-Id", &inv.tenant_id),
    ];
    for (name, value) in &optional {
        if let Some(v) = value {
            headers.push((name, v));
        }
    }
    // Stamp before writing: once the bytes are out, the woken bootstrap can read, compute and
    // answer before this thread runs again on a busy machine, and a later stamp would
    // undercount the round trip (bench-coldstart's self-check caught 23 µs of that).
    let sent_at = Instant::now();
    let written = match fault {
        Some(Fault::CloseMidBody) => {
            let mut bytes = http::response_bytes(200, &headers, &inv.event, false);
            bytes.truncate(bytes.len() - (inv.event.len() - inv.event.len() / 2));
            let _ = stream.write_all(&bytes).and_then(|_| stream.flush());
            let _ = stream.shutdown(Shutdown::Both);
            requeue(shared, inv);
            return false;
        }
        Some(Fault::ChunkedNext) => stream.write_all(&chunked_response(&headers, &inv.event, keep)),
        Some(f @ (Fault::ResetBeforeHeaders | Fault::ResetMidHeaders | Fault::ResetMidBody)) => {
            let bytes = http::response_bytes(200, &headers, &inv.event, !keep);
            let head = http::find(&bytes, b"\r\n\r\n").map_or(bytes.len(), |i| i + 4);
            let upto = match f {
                Fault::ResetBeforeHeaders => 0,
                Fault::ResetMidHeaders => head / 2,
                _ => head + inv.event.len() / 2,
            };
            let _ = stream
                .write_all(&bytes[..upto])
                .and_then(|_| stream.flush());
            // Give the client time to read what was sent, so the reset lands where intended
            // (an RST discards data the peer has not read yet).
            if upto > 0 {
                thread::sleep(Duration::from_millis(50));
            }
            reset_on_close(stream);
            requeue(shared, inv);
            return false;
        }
        Some(Fault::SlowDrip(pause)) => {
            let bytes = http::response_bytes(200, &headers, &inv.event, !keep);
            let mut result = Ok(());
            for b in bytes.chunks(1) {
                if shared.stopping() {
                    result = Err(std::io::ErrorKind::Interrupted.into());
                    break;
                }
                result = stream.write_all(b).and_then(|_| stream.flush());
                if result.is_err() {
                    break;
                }
                thread::sleep(pause);
            }
            result
        }
        _ => http::write_response(stream, 200, &headers, &inv.event, !keep),
    };
    if written.and_then(|_| stream.flush()).is_err() {
        requeue(shared, inv);
        return false;
    }
    if let Some(t) = shared.lock().pending.get_mut(&inv.request_id) {
        *t = sent_at;
    }
    keep
}

/// The `/next` answer with the body in two chunks (so a client must join them).
fn chunked_response(headers: &[(&str, &str)], body: &[u8], keep: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 256);
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    for (n, v) in headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    if !keep {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    let (a, b) = body.split_at(body.len() / 2);
    for part in [a, b] {
        if !part.is_empty() {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// What the emulator answers for an oversized post (Lambda's wording).
fn too_large_answer() -> Vec<u8> {
    error_json(
        "RequestEntityTooLarge",
        &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
    )
}

/// What the invoker sees when the function's response was oversized (Lambda's wording).
fn too_large_outcome() -> (OutcomeKind, Vec<u8>) {
    let error_type = "Function.ResponseSizeTooLarge";
    let message = format!(
        "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
    );
    (
        OutcomeKind::Error {
            error_type: Some(error_type.to_string()),
        },
        error_json(error_type, &message),
    )
}

/// Takes the first queued fault that `applies`, if any.
fn take_fault(faults: &mut Vec<Fault>, applies: impl Fn(&Fault) -> bool) -> Option<Fault> {
    let i = faults.iter().position(applies)?;
    Some(faults.remove(i))
}

fn handle_post(
    shared: &Shared,
    stream: &mut TcpStream,
    req: Request,
    id: &str,
    is_error: bool,
    keep: bool,
) -> bool {
    let error_type = req
        .head
        .header("lambda-runtime-function-error-type")
        .map(str::to_string);
    let received_at = req.last_byte_at;
    let streamed = crate::stream::streamed(&req);
    let mut st = shared.lock();
    st.live.remove(id);
    let post_status = take_fault(&mut st.faults, |f| matches!(f, Fault::PostStatus(_)));
    let close_after = take_fault(&mut st.faults, |f| matches!(f, Fault::CloseAfterResponse));
    let drop_after = take_fault(&mut st.faults, |f| matches!(f, Fault::DropAfterResponse));
    let (mut status, mut answer_body) = if let Some(sent_at) = st.pending.remove(id) {
        st.answered.insert(id.to_string());
        let (status, answer_body, kind, body) = match req.body {
            Body::Complete(b) if is_error => {
                (202, OK_BODY.to_vec(), OutcomeKind::Error { error_type }, b)
            }
            Body::Complete(b) => (202, OK_BODY.to_vec(), OutcomeKind::Response, b),
            Body::TooLarge { .. } => {
                let (kind, body) = too_large_outcome();
                (413, too_large_answer(), kind, body)
            }
        };
        // A stream that ended with error trailers is a function error.
        let kind = match (&streamed, kind) {
            (Some(s), OutcomeKind::Response) if s.error_type.is_some() => OutcomeKind::Error {
                error_type: s.error_type.clone(),
            },
            (_, kind) => kind,
        };
        match kind {
            OutcomeKind::Response => st.stats.responses += 1,
            OutcomeKind::Error { .. } => st.stats.errors += 1,
        }
        let outcome = Outcome {
            request_id: id.to_string(),
            kind,
            body,
            sent_at,
            received_at,
            stream: streamed,
        };
        st.outcomes.insert(id.to_string(), outcome);
        (status, answer_body)
    } else if st.answered.contains(id) {
        let message = format!("invocation {id} already has a response or error");
        (403, error_json("InvalidStateTransition", &message))
    } else {
        let message = format!("unknown request id: {id}");
        (400, error_json("InvalidRequestID", &message))
    };
    drop(st);
    shared.cond.notify_all();
    if let Some(Fault::PostStatus(code)) = post_status {
        status = code;
        answer_body = error_json(
            "InjectedFault",
            &format!("injected status {code} on a post"),
        );
    }
    let kept = answer(
        stream,
        status,
        &[],
        &answer_body,
        keep && close_after.is_none(),
    );
    // DropAfterResponse: the answer promised keep-alive; the server closes anyway.
    kept && drop_after.is_none()
}

fn handle_init_error(shared: &Shared, stream: &mut TcpStream, req: Request, keep: bool) -> bool {
    let error_type = req
        .head
        .header("lambda-runtime-function-error-type")
        .map(str::to_string);
    let body = match req.body {
        Body::Complete(b) => b,
        Body::TooLarge { .. } => return answer(stream, 413, &[], &too_large_answer(), keep),
    };
    {
        let mut st = shared.lock();
        st.stats.init_errors += 1;
        st.init_errors.push_back(InitError { error_type, body });
    }
    shared.cond.notify_all();
    answer(stream, 202, &[], OK_BODY, keep)
}
