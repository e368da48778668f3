//! The invoke endpoint of AWS's Runtime Interface Emulator, so a person can `curl` a local
//! function: `POST /2015-03-31/functions/function/invocations`.
use crate::http::{error_json, Body, Request};
use crate::pool;
use crate::server::{answer, Service};
use crate::state::Shared;
use crate::{EmuError, Invocation, OutcomeKind, MAX_RESPONSE_BYTES};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

pub fn serve(shared: &Arc<Shared>, port: u16) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    pool::start(shared, listener, Service::Invoke)
}

/// `/2015-03-31/functions/{name}/invocations`; any function name is accepted, as the RIE
/// does.
fn is_invoke_path(path: &str) -> bool {
    path.strip_prefix("/2015-03-31/functions/")
        .and_then(|r| r.strip_suffix("/invocations"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

pub fn handle(shared: &Shared, stream: &mut TcpStream, req: Request) -> bool {
    let keep = req.head.keep_alive() && !matches!(req.body, Body::TooLarge { drained: false });
    let path = req.head.path().to_string();
    if !is_invoke_path(&path) {
        let body = error_json(
            "ResourceNotFoundException",
            &format!("no such path: {path}"),
        );
        return answer(stream, 404, &[], &body, keep);
    }
    if req.head.method != "POST" {
        let body = error_json(
            "MethodNotAllowed",
            &format!("{} not allowed on {path}", req.head.method),
        );
        return answer(stream, 405, &[], &body, keep);
    }
    let client_context = req.head.header("x-amz-client-context").map(str::to_string);
    let event = match req.body {
        Body::Complete(b) => b,
        Body::TooLarge { .. } => {
            let message = format!(
                "Request must be smaller than {MAX_RESPONSE_BYTES} bytes \
                 for the InvokeFunction operation"
            );
            let body = error_json("RequestEntityTooLargeException", &message);
            return answer(stream, 413, &[], &body, keep);
        }
    };
    let mut inv = Invocation::for_config(event, &shared.config);
    inv.client_context = client_context;
    let id = shared.enqueue(inv);
    let timeout = shared.config.timeout;
    let (body, function_error) = match shared.wait_outcome(&id, timeout) {
        Ok(out) => match out.kind {
            OutcomeKind::Response => (out.body, false),
            OutcomeKind::Error { .. } => (out.body, true),
        },
        Err(EmuError::Timeout(_)) => {
            shared.withdraw(&id);
            let msg = format!("Task timed out after {:.2} seconds", timeout.as_secs_f64());
            (error_json("Sandbox.Timedout", &msg), true)
        }
        Err(e) => {
            let body = error_json("ServiceException", &e.to_string());
            return answer(stream, 503, &[], &body, false);
        }
    };
    let mut headers = vec![("X-Amzn-RequestId", id.as_str())];
    if function_error {
        headers.push(("X-Amz-Function-Error", "Unhandled"));
    }
    answer(stream, 200, &headers, &body, keep)
}
