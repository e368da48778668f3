//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay test. Built only
//! with the non-default `fuzzing` feature, so the shipped bootstrap is unchanged.
//!
//! Each function takes arbitrary bytes, must never panic on them, and asserts the parser's
//! own invariants: an assertion failing here is a bug the fuzzer reports as a crash.

use std::io::{self, Cursor, Read, Write};
use std::sync::Arc;

use crate::context::{check_request_id, from_invocation, Config};
use crate::http::{Conn, HttpError, Response, MAX_BODY};

/// A stream that hands out its input `step` bytes per read and swallows writes.
struct Drip {
    input: Cursor<Vec<u8>>,
    step: usize,
}

impl Read for Drip {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step);
        self.input.read(&mut buf[..n])
    }
}

impl Write for Drip {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What one `receive` came to, in a form two runs can be compared by.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Ok {
        status: u16,
        body: Vec<u8>,
        close: bool,
        request_id: Option<Vec<u8>>,
    },
    Closed,
    Io,
    Malformed,
}

/// Reads up to 8 back-to-back responses (keep-alive) from `input`, split into reads of
/// `step` bytes.
fn receive_all(input: &[u8], step: usize) -> Vec<Seen> {
    let mut conn = Conn::new(Drip {
        input: Cursor::new(input.to_vec()),
        step,
    });
    let mut seen = Vec::new();
    for _ in 0..8 {
        let r = conn.receive();
        let stop = !matches!(r, Ok(ref resp) if !resp.close);
        seen.push(match r {
            Ok(resp) => {
                check_response(&resp);
                Seen::Ok {
                    status: resp.status,
                    request_id: resp
                        .header("lambda-runtime-aws-request-id")
                        .map(<[u8]>::to_vec),
                    body: resp.body,
                    close: resp.close,
                }
            }
            Err(HttpError::ClosedBeforeResponse) => Seen::Closed,
            Err(HttpError::Io(_)) => Seen::Io,
            Err(HttpError::Malformed(m)) => {
                assert!(!m.is_empty(), "a Malformed error must say what is wrong");
                Seen::Malformed
            }
        });
        if stop {
            break;
        }
    }
    seen
}

fn check_response(resp: &Response) {
    assert!((100..=999).contains(&resp.status), "status {}", resp.status);
    assert!(resp.body.len() <= MAX_BODY, "body over MAX_BODY");
    if let Some(v) = resp.header("lambda-runtime-aws-request-id") {
        assert!(
            !v.iter().any(|&b| b == b'\r' || b == b'\n'),
            "CR/LF inside a header value"
        );
    }
}

/// The HTTP response parser (status line, headers, Content-Length, chunked and
/// close-delimited bodies, keep-alive). The first byte picks how the input is split into
/// reads; the answer must not depend on the split.
pub fn http_response(data: &[u8]) {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let step = usize::from(first % 32) + 1;
    let dripped = receive_all(input, step);
    let whole = receive_all(input, usize::MAX);
    assert_eq!(
        dripped, whole,
        "the parse depends on how reads split the input"
    );
}

/// The header-to-Context mapping of `GET /next`: `data` is the header lines of a 200
/// answer (the status line and the blank line are added).
pub fn context(data: &[u8]) {
    let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
    input.extend_from_slice(data);
    input.extend_from_slice(b"\r\n\r\n");
    let mut conn = Conn::new(Drip {
        input: Cursor::new(input),
        step: usize::MAX,
    });
    let Ok(resp) = conn.receive() else {
        return;
    };
    let config = Arc::new(Config::default());
    if let Ok(ctx) = from_invocation(&resp, &config) {
        // The id goes into a URL path: whatever was accepted must be a safe token.
        assert!(check_request_id(&ctx.request_id).is_ok());
        assert!(!ctx
            .request_id
            .contains(['/', '\r', '\n', ' ', '?', '#', '%']));
        assert!(!ctx.request_id.contains(".."));
        for v in [
            &ctx.xray_trace_id,
            &ctx.client_context,
            &ctx.identity,
            &ctx.tenant_id,
        ]
        .into_iter()
        .flatten()
        {
            assert!(!v.is_empty(), "an empty optional header must read as None");
        }
        let _ = ctx.remaining();
        let _ = ctx.deadline();
    }
}
