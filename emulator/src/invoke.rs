//! The invoke endpoint of AWS's Runtime Interface Emulator, so a person can `curl` a local
//! function: `POST /2015-03-31/functions/function/invocations`.
use crate::http::{error_json, Body, Request};
use crate::pool;
use crate::server::{answer, Service};
use crate::state::Shared;
use crate::{EmuError, Invocation, OutcomeKind, MAX_RESPONSE_BYTES};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

pub(crate) fn serve(shared: &Arc<Shared>, port: u16) -> std::io::Result<SocketAddr> {
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

pub(crate) fn handle(shared: &Shared, stream: &mut TcpStream, req: Request) -> bool {
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
    // Lambda's Invoke API takes the client context base64-encoded and hands the function
    // the decoded JSON.
    let client_context = match req.head.header("x-amz-client-context").map(decode_base64) {
        None => None,
        Some(Some(text)) => Some(text),
        Some(None) => {
            let body = error_json(
                "InvalidRequestContentException",
                "X-Amz-Client-Context must be base64-encoded UTF-8",
            );
            return answer(stream, 400, &[], &body, keep);
        }
    };
    let invocation_type = req.head.header("x-amz-invocation-type").unwrap_or("");
    if invocation_type == "DryRun" {
        return answer(stream, 204, &[], b"", keep);
    }
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
    if invocation_type == "Event" {
        // Asynchronous: queued, and nobody waits for the outcome.
        return answer(stream, 202, &[("X-Amzn-RequestId", id.as_str())], b"", keep);
    }
    let timeout = shared.config.timeout;
    let waited = match crate::stream::serve(shared, stream, &id, timeout, keep) {
        crate::stream::Served::Streamed(keep) => return keep,
        crate::stream::Served::Buffered(waited) => *waited,
    };
    let (body, function_error) = match waited {
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

/// Standard base64 (with or without padding) to UTF-8 text; `None` if it is neither.
///
/// The `base64` crate rather than rayo-wire's, which the runtime encodes with: this decodes the
/// runtime's streaming error trailer, and a bug shared by both ends would hide from the tests.
pub(crate) fn decode_base64(text: &str) -> Option<String> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    use base64::Engine;
    const FORGIVING: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    String::from_utf8(FORGIVING.decode(text).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("").as_deref(), Some(""));
        assert_eq!(decode_base64("Zg==").as_deref(), Some("f"));
        assert_eq!(decode_base64("Zm8=").as_deref(), Some("fo"));
        assert_eq!(decode_base64("Zm9v").as_deref(), Some("foo"));
        assert_eq!(decode_base64("Zm9vYg").as_deref(), Some("foob"));
        assert_eq!(
            decode_base64("eyJjdXN0b20iOnsiayI6InYifX0=").as_deref(),
            Some("{\"custom\":{\"k\":\"v\"}}")
        );
        for bad in ["Z", "Zm9v!", "Zg===", "////"] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }
}
