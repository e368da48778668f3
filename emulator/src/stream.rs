//! Streamed responses (`Lambda-Runtime-Function-Response-Mode: streaming`): what the
//! emulator records of them ([`Streamed`]), and the invoke endpoint passing a stream through
//! to its caller while the function is still writing it.
use crate::http::{Head, Request};
use crate::state::Shared;
use crate::{EmuError, Outcome, OutcomeKind};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub(crate) const ERROR_TYPE_TRAILER: &str = "lambda-runtime-function-error-type";
pub(crate) const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";
/// The content type of a Function URL streamed response: JSON prelude, 8 NULs, body.
pub(crate) const HTTP_INTEGRATION_CONTENT_TYPE: &str =
    "application/vnd.awslambda.http-integration-response";

/// What a streamed response carried besides its bytes ([`Outcome::body`] holds the bytes,
/// exactly as streamed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Streamed {
    /// The `Content-Type` of the streamed response.
    pub content_type: Option<String>,
    /// The request's `Trailer` header: the trailer names the function announced.
    pub announced_trailers: Option<String>,
    /// When the read that completed the first chunk with data returned (`None`: no data).
    pub first_chunk_at: Option<Instant>,
    /// Chunks with data.
    pub chunks: usize,
    /// Every trailer field after the last chunk: names lower-cased, values trimmed.
    pub trailers: Vec<(String, String)>,
    /// The `Lambda-Runtime-Function-Error-Type` trailer: the stream ended in an error.
    pub error_type: Option<String>,
    /// The `Lambda-Runtime-Function-Error-Body` trailer, base64-decoded (`None` when absent
    /// or not base64 of UTF-8; the raw value is in `trailers`).
    pub error_body: Option<Vec<u8>>,
}

impl Outcome {
    /// For a Function URL streamed response (content type
    /// `application/vnd.awslambda.http-integration-response`): the JSON prelude and the HTTP
    /// body, split at the first 8 NUL bytes. `None` for any other outcome, or when the
    /// delimiter is missing.
    pub fn http_integration(&self) -> Option<(&[u8], &[u8])> {
        let ct = self.stream.as_ref()?.content_type.as_deref()?;
        if !ct.eq_ignore_ascii_case(HTTP_INTEGRATION_CONTENT_TYPE) {
            return None;
        }
        let at = self.body.windows(8).position(|w| w == [0; 8])?;
        Some((&self.body[..at], &self.body[at + 8..]))
    }
}

pub(crate) fn is_streaming(head: &Head) -> bool {
    head.header("lambda-runtime-function-response-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("streaming"))
}

/// What the emulator keeps of a streamed post; `None` for a buffered one.
pub(crate) fn streamed(req: &Request) -> Option<Streamed> {
    if !is_streaming(&req.head) {
        return None;
    }
    let info = req.chunked.clone().unwrap_or_default();
    let trailer = |name: &str| {
        info.trailers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let error_type = trailer(ERROR_TYPE_TRAILER);
    let error_body = trailer(ERROR_BODY_TRAILER)
        .and_then(|b64| crate::invoke::decode_base64(&b64))
        .map(String::into_bytes);
    Some(Streamed {
        content_type: req.head.header("content-type").map(str::to_string),
        announced_trailers: req.head.header("trailer").map(str::to_string),
        first_chunk_at: info.first_chunk_at,
        chunks: info.chunks,
        error_type,
        error_body,
        trailers: info.trailers,
    })
}

/// A streamed response in progress, for the invoke endpoint to pass through.
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub content_type: Option<String>,
    /// Every byte streamed so far.
    pub data: Vec<u8>,
}

/// The request id of a `.../invocation/{id}/response` path (any URL prefix before it).
fn response_id(path: &str) -> Option<&str> {
    let marker = "/2018-06-01/runtime/invocation/";
    let at = path.find(marker)?;
    let id = path[at + marker.len()..].strip_suffix("/response")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Called by the Runtime API's reader with each chunk of a request body as it arrives:
/// keeps the bytes of streamed responses to invocations in flight.
pub(crate) fn observe(shared: &Shared, head: &Head, data: &[u8]) {
    if !is_streaming(head) || head.method != "POST" {
        return;
    }
    let Some(id) = response_id(head.path()) else {
        return;
    };
    let mut st = shared.lock();
    if !st.pending.contains_key(id) {
        return;
    }
    let live = st.live.entry(id.to_string()).or_default();
    if live.content_type.is_none() {
        live.content_type = head.header("content-type").map(str::to_string);
    }
    live.data.extend_from_slice(data);
    drop(st);
    shared.cond.notify_all();
}

/// How the invoke endpoint's wait ended.
pub(crate) enum Served {
    /// Not a stream (or nothing streamed in time): the caller answers as before.
    Buffered(Box<Result<Outcome, EmuError>>),
    /// The stream was passed through; whether the connection stays open.
    Streamed(bool),
}

/// Waits for invocation `id`. A streamed response is passed through to `client` as a
/// chunked HTTP response while the function writes it, its error trailers (if any) as
/// trailers; anything else is left to the caller.
pub(crate) fn serve(
    shared: &Shared,
    client: &mut TcpStream,
    id: &str,
    timeout: Duration,
    keep: bool,
) -> Served {
    let deadline = Instant::now() + timeout;
    let content_type = {
        let mut st = shared.lock();
        loop {
            let streamed = st.outcomes.get(id).map(|o| o.stream.clone());
            match streamed {
                Some(None) => match st.outcomes.remove(id) {
                    Some(out) => return Served::Buffered(Box::new(Ok(out))),
                    None => continue,
                },
                Some(Some(s)) => break s.content_type,
                None => {}
            }
            if let Some(live) = st.live.get(id) {
                break live.content_type.clone();
            }
            if shared.stopping() {
                return Served::Buffered(Box::new(Err(EmuError::Stopped)));
            }
            let now = Instant::now();
            if now >= deadline {
                return Served::Buffered(Box::new(Err(EmuError::Timeout(
                    "the invocation's response or error",
                ))));
            }
            st = shared.wait_for(st, deadline - now);
        }
    };
    let ct = content_type.unwrap_or_else(|| "application/octet-stream".into());
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nX-Amzn-RequestId: {id}\r\n\
         Transfer-Encoding: chunked\r\n\
         Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n{}\r\n",
        if keep { "" } else { "Connection: close\r\n" }
    );
    if client.write_all(head.as_bytes()).is_err() {
        return Served::Streamed(false);
    }
    let mut sent = 0;
    loop {
        let mut st = shared.lock();
        if let Some(out) = st.outcomes.remove(id) {
            drop(st);
            // An error the stream did not carry itself (a panic posted to /error, a stream
            // over the size limit): its body is not part of the stream; say its type.
            if let (OutcomeKind::Error { error_type }, None) = (
                &out.kind,
                out.stream.as_ref().and_then(|s| s.error_type.as_ref()),
            ) {
                let t = error_type.as_deref().unwrap_or("Unhandled");
                let tail = format!("Lambda-Runtime-Function-Error-Type: {t}\r\n");
                return Served::Streamed(write_end(client, tail.as_bytes()) && keep);
            }
            let rest = out.body.get(sent..).unwrap_or_default();
            let stream = out.stream.unwrap_or_default();
            let mut tail = Vec::new();
            if let Some(t) = &stream.error_type {
                tail.extend_from_slice(
                    format!("Lambda-Runtime-Function-Error-Type: {t}\r\n").as_bytes(),
                );
            }
            for (name, value) in &stream.trailers {
                if name == ERROR_BODY_TRAILER {
                    tail.extend_from_slice(
                        format!("Lambda-Runtime-Function-Error-Body: {value}\r\n").as_bytes(),
                    );
                }
            }
            let ok = write_chunk(client, rest) && write_end(client, &tail);
            return Served::Streamed(ok && keep);
        }
        let new = st
            .live
            .get(id)
            .and_then(|l| l.data.get(sent..))
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        if new.is_empty() {
            if shared.stopping() {
                return Served::Streamed(false);
            }
            let now = Instant::now();
            if now >= deadline {
                drop(st);
                shared.withdraw(id);
                let _ = write_end(
                    client,
                    b"Lambda-Runtime-Function-Error-Type: Sandbox.Timedout\r\n",
                );
                return Served::Streamed(false);
            }
            drop(shared.wait_for(st, (deadline - now).min(Duration::from_millis(100))));
            continue;
        }
        drop(st);
        if !write_chunk(client, &new) {
            return Served::Streamed(false);
        }
        sent += new.len();
    }
}

fn write_chunk(w: &mut TcpStream, data: &[u8]) -> bool {
    if data.is_empty() {
        return true;
    }
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    w.write_all(&out).and_then(|_| w.flush()).is_ok()
}

fn write_end(w: &mut TcpStream, trailers: &[u8]) -> bool {
    let mut out = b"0\r\n".to_vec();
    out.extend_from_slice(trailers);
    out.extend_from_slice(b"\r\n");
    w.write_all(&out).and_then(|_| w.flush()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_ids_come_from_the_path() {
        let id = response_id("/2018-06-01/runtime/invocation/abc/response");
        assert_eq!(id, Some("abc"));
        let id = response_id("/.rt/fn/2018-06-01/runtime/invocation/abc/response");
        assert_eq!(id, Some("abc"));
        assert_eq!(
            response_id("/2018-06-01/runtime/invocation/abc/error"),
            None
        );
        assert_eq!(
            response_id("/2018-06-01/runtime/invocation//response"),
            None
        );
        assert_eq!(
            response_id("/2018-06-01/runtime/invocation/a/b/response"),
            None
        );
    }
}
