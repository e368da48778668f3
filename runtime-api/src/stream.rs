//! Response streaming: the handler writes its answer to a [`ResponseStream`] (a
//! `std::io::Write`) and the bytes go to the Runtime API as they are produced, as an HTTP/1.1
//! chunked `POST .../response` with `Lambda-Runtime-Function-Response-Mode: streaming`.
//!
//! A handler error after the first bytes went out cannot become an `/error` post any more: it
//! is sent as real HTTP trailers after the last (zero-length) chunk, announced up front in a
//! `Trailer` header:
//!
//! ```text
//! POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1
//! Lambda-Runtime-Function-Response-Mode: streaming
//! Transfer-Encoding: chunked
//! Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body
//! Content-Type: application/octet-stream
//!
//! 5\r\nhello\r\n
//! 0\r\n
//! Lambda-Runtime-Function-Error-Type: MyError\r\n
//! Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOi4uLn0=\r\n   (base64 of the error JSON)
//! \r\n
//! ```
//!
//! An error before anything went out is posted to `/error` as usual, so the caller gets a
//! plain function error. Nothing here is compiled into a binary that does not call
//! [`run_streaming`] or [`Runtime::run_streaming`]: everything is generic or `#[inline]`
//! (emitted only where used), and the module is behind the `streaming` feature: with
//! opt-level `z` rustc shares generic instances across crates, so merely having
//! `run_streaming` in the crate exports `Conn<TcpStream>`'s methods and changes how LLVM
//! inlines them into the request path (+240 B on the echo bootstrap, measured).

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;

use crate::b64::push_base64;
use crate::client::{header_safe, posted, Client, Posted};
use crate::error::write_json_string;
use crate::handler::StreamHandler;
use crate::http::{push_decimal, push_head, Conn, HttpError};
use crate::runtime::Respond;
use crate::{Context, Diagnostic, Error};

/// The trailer that carries a mid-stream error's type.
pub const ERROR_TYPE_TRAILER: &str = "Lambda-Runtime-Function-Error-Type";
/// The trailer that carries a mid-stream error's JSON body, base64-encoded.
pub const ERROR_BODY_TRAILER: &str = "Lambda-Runtime-Function-Error-Body";
/// The content type of a Function URL streamed response: a JSON prelude, 8 NUL bytes, the body.
pub const HTTP_INTEGRATION_CONTENT_TYPE: &str =
    "application/vnd.awslambda.http-integration-response";
/// What a stream is labelled when the handler does not say (as Lambda's own runtimes do).
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// Writes are gathered up to this many bytes before a chunk goes out; `flush` sends at once,
/// and a single write at least this large goes out as its own chunk without a copy.
pub const CHUNK_BUFFER: usize = 16 * 1024;
/// An error message longer than this is cut before it goes in a trailer: trailers are header
/// lines, and servers bound those (the emulator at 4 KiB, like many proxies at 8 KiB).
pub const MAX_TRAILER_MESSAGE: usize = 2048;
/// Between the JSON prelude and the body of an HTTP integration response.
const PRELUDE_DELIMITER: [u8; 8] = [0; 8];
const DURING: &str = "POST /response (streaming)";

/// A streaming handler's answer: written to the Runtime API while the handler runs, on the
/// loop's connection (a handler error before any byte went out is posted to `/error`).
pub(crate) struct Streamed<H>(pub(crate) H);

impl<H: StreamHandler> Respond for Streamed<H> {
    type Outcome = (ResponseStream, Result<(), Diagnostic>);

    fn call(
        &mut self,
        client: &mut Client,
        event: &[u8],
        ctx: &Context,
    ) -> Result<Self::Outcome, Error> {
        let conn = client.lend()?;
        let (path, host) = client.response_target(&ctx.request_id);
        let mut out = ResponseStream::new(conn, path, host);
        let outcome = self.0.call(event, ctx, &mut out);
        Ok((out, outcome))
    }

    fn post(
        client: &mut Client,
        request_id: &str,
        (mut out, outcome): Self::Outcome,
    ) -> Result<(&'static str, Posted), Error> {
        match outcome {
            Err(d) if !out.started() => {
                // Nothing reached the caller: a plain error says it best.
                if let Some(conn) = out.conn.take() {
                    client.give_back(conn);
                }
                Ok(("error", client.error(request_id, &d)?))
            }
            outcome => {
                let (conn, posted) = out.finish(outcome.err().as_ref())?;
                if let Some(conn) = conn {
                    client.give_back(conn);
                }
                Ok(("streamed response", posted))
            }
        }
    }
}

/// The head of a Function URL (or API Gateway) HTTP response sent ahead of a streamed body:
/// Lambda turns it into the status line, headers and `Set-Cookie`s the client sees.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpResponseHead {
    /// The HTTP status.
    pub status_code: u16,
    /// Name and value; give a repeated header once, its values joined with commas.
    pub headers: Vec<(String, String)>,
    /// Each becomes a `Set-Cookie` header.
    pub cookies: Vec<String>,
}

// By hand and `#[inline]`, so that it is only compiled where it is used.
impl std::fmt::Debug for HttpResponseHead {
    #[inline]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponseHead")
            .field("status_code", &self.status_code)
            .field("headers", &self.headers)
            .field("cookies", &self.cookies)
            .finish()
    }
}

impl HttpResponseHead {
    #[inline]
    /// A head with this status and no headers or cookies.
    pub fn new(status_code: u16) -> HttpResponseHead {
        HttpResponseHead {
            status_code,
            headers: Vec::new(),
            cookies: Vec::new(),
        }
    }

    #[inline]
    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    #[inline]
    /// Adds a `Set-Cookie` value.
    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookies.push(cookie.into());
        self
    }

    /// `{"statusCode":..,"headers":{..},"cookies":[..]}`. JSON escapes every control
    /// character, so the prelude can never contain the NUL bytes that end it.
    #[inline]
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(b"{\"statusCode\":");
        push_decimal(&mut out, usize::from(self.status_code));
        out.extend_from_slice(b",\"headers\":{");
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_string(&mut out, name);
            out.push(b':');
            write_json_string(&mut out, value);
        }
        out.extend_from_slice(b"},\"cookies\":[");
        for (i, cookie) in self.cookies.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_string(&mut out, cookie);
        }
        out.extend_from_slice(b"]}");
        out
    }
}

/// Where a streaming handler writes its answer. Small writes are gathered (up to
/// [`CHUNK_BUFFER`] bytes) into one chunk; `flush` sends what is gathered at once. The
/// request head goes out with the first chunk, so the content type can be chosen until then.
///
/// A write error means the connection to the Runtime API is gone: the handler should stop
/// (`?` turns it into a `Diagnostic`); the runtime then exits with that error, and Lambda
/// starts a fresh environment.
pub struct ResponseStream<S = TcpStream> {
    /// `None` only after the stream is finished.
    conn: Option<Conn<S>>,
    /// Request line and fixed headers, up to (not including) `Content-Type`.
    head: Vec<u8>,
    content_type: String,
    buf: Vec<u8>,
    /// Reused for each chunk's framing.
    frame: Vec<u8>,
    head_sent: bool,
    /// Body bytes accepted so far (buffered or sent).
    written: u64,
    /// Set by the first failed write; every later write fails the same way.
    failed: Option<(io::ErrorKind, String)>,
}

impl<S: Read + Write> ResponseStream<S> {
    pub(crate) fn new(conn: Conn<S>, path: &str, host: &str) -> ResponseStream<S> {
        let mut head = Vec::with_capacity(256 + path.len());
        push_head(
            &mut head,
            "POST",
            path,
            host,
            &[
                ("Lambda-Runtime-Function-Response-Mode", b"streaming"),
                ("Transfer-Encoding", b"chunked"),
                (
                    "Trailer",
                    b"Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
                ),
            ],
        );
        ResponseStream {
            conn: Some(conn),
            head,
            content_type: DEFAULT_CONTENT_TYPE.to_string(),
            buf: Vec::new(),
            frame: Vec::new(),
            head_sent: false,
            written: 0,
            failed: None,
        }
    }

    /// Sets the stream's `Content-Type` (default [`DEFAULT_CONTENT_TYPE`]). Only before the
    /// first chunk is sent.
    pub fn set_content_type(&mut self, content_type: &str) -> io::Result<()> {
        if self.head_sent {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("content type {content_type:?}: the response head was already sent"),
            ));
        }
        if content_type.is_empty() || header_safe(content_type) != content_type {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("content type {content_type:?}: not a printable ASCII header value"),
            ));
        }
        self.content_type.clear();
        self.content_type.push_str(content_type);
        Ok(())
    }

    /// Makes this a Function URL streamed response: sets the content type to
    /// [`HTTP_INTEGRATION_CONTENT_TYPE`] and writes `head` as the JSON prelude and the 8 NUL
    /// bytes that end it. Everything written afterwards is the HTTP body. Only before any
    /// other byte was written.
    pub fn start_http_response(&mut self, head: &HttpResponseHead) -> io::Result<()> {
        if self.written > 0 || self.head_sent {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "HTTP response head (status {}): {} body bytes were already written",
                    head.status_code, self.written
                ),
            ));
        }
        self.set_content_type(HTTP_INTEGRATION_CONTENT_TYPE)?;
        self.write_all(&head.to_json())?;
        self.write_all(&PRELUDE_DELIMITER)
    }

    /// Body bytes accepted so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Whether the request head (and so possibly bytes of the body) went to the Runtime API.
    pub fn started(&self) -> bool {
        self.head_sent
    }

    fn check(&self) -> io::Result<()> {
        match &self.failed {
            None => Ok(()),
            Some((kind, message)) => Err(io::Error::new(
                *kind,
                format!("the response stream already failed: {message}"),
            )),
        }
    }

    /// Sends `data` as one chunk (the head first if it has not gone yet), then `tail`.
    fn send(&mut self, data: &[u8], tail: &[u8]) -> io::Result<()> {
        let mut frame = std::mem::take(&mut self.frame);
        frame.clear();
        if !self.head_sent {
            frame.extend_from_slice(&self.head);
            frame.extend_from_slice(b"Content-Type: ");
            frame.extend_from_slice(self.content_type.as_bytes());
            frame.extend_from_slice(b"\r\n\r\n");
        }
        let crlf: &[u8] = if data.is_empty() {
            b""
        } else {
            push_hex(&mut frame, data.len());
            frame.extend_from_slice(b"\r\n");
            b"\r\n"
        };
        let result = match self.conn.as_mut() {
            Some(conn) => write_all_parts(conn.stream_mut(), &mut [&frame, data, crlf, tail]),
            None => Err(io::Error::other("the response stream is finished")),
        };
        self.frame = frame;
        self.head_sent = true;
        if let Err(e) = &result {
            self.failed = Some((e.kind(), e.to_string()));
        }
        result
    }

    fn send_buffered(&mut self, tail: &[u8]) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let result = self.send(&buf, tail);
        self.buf = buf;
        self.buf.clear();
        result
    }

    /// Ends the stream: the rest of the buffer, the last chunk, the error trailers if
    /// `error`, then reads the Runtime API's answer. Gives the connection back when it is
    /// still usable.
    pub(crate) fn finish(
        mut self,
        error: Option<&Diagnostic>,
    ) -> Result<(Option<Conn<S>>, Posted), Error> {
        let io_error = |source| Error::Io {
            during: DURING,
            source,
        };
        self.check().map_err(io_error)?;
        let mut tail = b"0\r\n".to_vec();
        if let Some(d) = error {
            push_error_trailers(&mut tail, d);
        }
        tail.extend_from_slice(b"\r\n");
        self.send_buffered(&tail).map_err(io_error)?;
        let mut conn = self.conn.take().ok_or_else(|| Error::Http {
            during: DURING,
            detail: "the stream was finished twice".into(),
        })?;
        let resp = conn.receive().map_err(|e| match e {
            HttpError::Io(source) => io_error(source),
            HttpError::Malformed(detail) => Error::Http {
                during: DURING,
                detail,
            },
            HttpError::ClosedBeforeResponse => Error::Http {
                during: DURING,
                detail: "the server closed the connection without answering".into(),
            },
        })?;
        let keep = !resp.close;
        let posted = posted(DURING, resp)?;
        Ok((keep.then_some(conn), posted))
    }
}

impl<S: Read + Write> Write for ResponseStream<S> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check()?;
        if self.buf.len() + data.len() > CHUNK_BUFFER && !self.buf.is_empty() {
            self.send_buffered(b"")?;
        }
        if data.len() >= CHUNK_BUFFER {
            self.send(data, b"")?;
        } else {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(CHUNK_BUFFER);
            }
            self.buf.extend_from_slice(data);
        }
        self.written += data.len() as u64;
        Ok(data.len())
    }

    /// Sends the gathered bytes as a chunk now; with nothing gathered, still sends the
    /// request head, so the caller sees the response begin.
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        if !self.buf.is_empty() || !self.head_sent {
            self.send_buffered(b"")?;
        }
        Ok(())
    }
}

/// The two error trailer lines, the message cut to [`MAX_TRAILER_MESSAGE`] bytes.
#[inline]
fn push_error_trailers(out: &mut Vec<u8>, d: &Diagnostic) {
    let mut message = d.error_message.as_str();
    let cut = message.len() > MAX_TRAILER_MESSAGE;
    if cut {
        let mut end = MAX_TRAILER_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message = &message[..end];
    }
    let error_type = header_safe(&d.error_type);
    let mut shown = Diagnostic::new(error_type.clone(), message);
    if cut {
        shown.error_message.push_str("... (cut)");
    }
    out.extend_from_slice(ERROR_TYPE_TRAILER.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(error_type.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(ERROR_BODY_TRAILER.as_bytes());
    out.extend_from_slice(b": ");
    push_base64(out, &shown.to_json());
    out.extend_from_slice(b"\r\n");
}

#[inline]
fn push_hex(out: &mut Vec<u8>, n: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (usize::BITS - n.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        out.push(HEX[(n >> (4 * i)) & 0xf]);
    }
}

/// Writes all of `parts` in as few vectored writes as the socket allows, then flushes.
fn write_all_parts<W: Write>(w: &mut W, parts: &mut [&[u8]]) -> io::Result<()> {
    let mut first = 0;
    loop {
        while first < parts.len() && parts[first].is_empty() {
            first += 1;
        }
        if first == parts.len() {
            return w.flush();
        }
        let slices: Vec<IoSlice<'_>> = parts[first..].iter().map(|p| IoSlice::new(p)).collect();
        match w.write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(mut n) => {
                for part in parts[first..].iter_mut() {
                    let take = n.min(part.len());
                    *part = &part[take..];
                    n -= take;
                    if n == 0 {
                        break;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::stream_fn;
    use crate::LambdaEvent;
    use std::io::Cursor;

    /// A socket stand-in: replays `input`, records writes (one entry per write call).
    struct Fake {
        input: Cursor<Vec<u8>>,
        writes: Vec<Vec<u8>>,
        fail_writes: bool,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.fail_writes {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            // Accept at most 7 bytes per call, so partial writes are exercised.
            let n = buf.len().min(7);
            self.writes.push(buf[..n].to_vec());
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const ACCEPTED: &[u8] = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}";

    fn stream(answer: &[u8]) -> ResponseStream<Fake> {
        let fake = Fake {
            input: Cursor::new(answer.to_vec()),
            writes: Vec::new(),
            fail_writes: false,
        };
        ResponseStream::new(
            Conn::new(fake),
            "/2018-06-01/runtime/invocation/r1/response",
            "h:9",
        )
    }

    fn sent(s: &mut ResponseStream<Fake>) -> Vec<u8> {
        let conn = s.conn.as_mut().unwrap();
        conn.stream_mut().writes.concat()
    }

    const HEAD: &str = "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: h:9\r\n\
        User-Agent: rayo/0.1.0\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n\
        Transfer-Encoding: chunked\r\n\
        Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n";

    /// Decodes a chunked body and its trailers (test-side reference decoder).
    fn dechunk(mut raw: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
        let mut chunks = Vec::new();
        loop {
            let nl = raw.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&raw[..nl]).unwrap(), 16).unwrap();
            raw = &raw[nl + 2..];
            if size == 0 {
                let text = std::str::from_utf8(raw).unwrap();
                assert!(text.ends_with("\r\n"), "{text:?}");
                let trailers = text
                    .split("\r\n")
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
                return (chunks, trailers);
            }
            chunks.push(raw[..size].to_vec());
            assert_eq!(&raw[size..size + 2], b"\r\n");
            raw = &raw[size + 2..];
        }
    }

    fn split_head(all: &[u8]) -> (String, &[u8]) {
        let end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        (String::from_utf8(all[..end].to_vec()).unwrap(), &all[end..])
    }

    #[test]
    fn small_writes_are_gathered_and_flush_sends_a_chunk() {
        let mut s = stream(ACCEPTED);
        s.set_content_type("text/plain").unwrap();
        for _ in 0..1000 {
            s.write_all(b"abc").unwrap();
        }
        assert!(!s.started(), "3000 bytes must still be buffered");
        s.flush().unwrap();
        assert!(s.started());
        assert!(s.set_content_type("text/html").is_err());
        s.write_all(b"tail").unwrap();
        let all = sent(&mut s);
        let (head, body) = split_head(&all);
        assert_eq!(head, format!("{HEAD}Content-Type: text/plain\r\n\r\n"));
        let (chunks, _) = dechunk(&[body, b"0\r\n\r\n"].concat());
        assert_eq!(chunks, vec![b"abc".repeat(1000)]);
        let (conn, posted) = s.finish(None).unwrap();
        assert_eq!(posted, Posted::Accepted);
        let mut conn = conn.expect("kept alive");
        let all = conn.stream_mut().writes.concat();
        let (_, body) = split_head(&all);
        let (chunks, trailers) = dechunk(body);
        assert_eq!(chunks, vec![b"abc".repeat(1000), b"tail".to_vec()]);
        assert!(trailers.is_empty());
    }

    #[test]
    fn big_writes_go_out_whole_and_the_buffer_never_exceeds_its_size() {
        let mut s = stream(ACCEPTED);
        s.write_all(&[1u8; 100]).unwrap();
        s.write_all(&vec![2u8; CHUNK_BUFFER + 5]).unwrap();
        for _ in 0..(CHUNK_BUFFER / 1000 + 1) {
            s.write_all(&[3u8; 1000]).unwrap();
        }
        assert_eq!(
            s.bytes_written(),
            (100 + CHUNK_BUFFER + 5 + (CHUNK_BUFFER / 1000 + 1) * 1000) as u64
        );
        let (conn, _) = s.finish(None).unwrap();
        let all = conn.unwrap().stream_mut().writes.concat();
        let (head, body) = split_head(&all);
        assert!(
            head.ends_with("Content-Type: application/octet-stream\r\n\r\n"),
            "{head}"
        );
        let (chunks, _) = dechunk(body);
        let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![100, CHUNK_BUFFER + 5, 16_000, 1000]);
    }

    #[test]
    fn an_error_becomes_real_trailers_after_the_last_chunk() {
        let mut s = stream(ACCEPTED);
        s.write_all(b"partial").unwrap();
        s.flush().unwrap();
        let d = Diagnostic::new("Stream\r\nBroke", "it \"broke\"\n");
        let (conn, posted) = s.finish(Some(&d)).unwrap();
        assert_eq!(posted, Posted::Accepted);
        let all = conn.unwrap().stream_mut().writes.concat();
        let (_, body) = split_head(&all);
        let (chunks, trailers) = dechunk(body);
        assert_eq!(chunks, vec![b"partial".to_vec()]);
        assert_eq!(trailers.len(), 2, "{trailers:?}");
        assert_eq!(
            trailers[0],
            "Lambda-Runtime-Function-Error-Type: Stream__Broke"
        );
        let b64 = trailers[1]
            .strip_prefix("Lambda-Runtime-Function-Error-Body: ")
            .unwrap();
        let json = decode_base64(b64);
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"errorMessage":"it \"broke\"\n","errorType":"Stream__Broke","stackTrace":[]}"#
        );
    }

    #[test]
    fn long_error_messages_are_cut_on_a_char_boundary() {
        let d = Diagnostic::new("Big", "é".repeat(MAX_TRAILER_MESSAGE));
        let mut out = Vec::new();
        push_error_trailers(&mut out, &d);
        let text = String::from_utf8(out).unwrap();
        let b64 = text
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix(ERROR_BODY_TRAILER)
            .unwrap();
        let json = String::from_utf8(decode_base64(&b64[2..])).unwrap();
        assert!(json.contains("... (cut)"), "{json}");
        assert!(json.len() < MAX_TRAILER_MESSAGE + 100, "{}", json.len());
    }

    #[test]
    fn http_integration_response_prelude() {
        let mut s = stream(ACCEPTED);
        let head = HttpResponseHead::new(201)
            .header("content-type", "text/csv")
            .header("x-null", "a\0b")
            .cookie("session=1; Secure");
        s.start_http_response(&head).unwrap();
        s.write_all(b"a,b\n").unwrap();
        assert!(
            s.start_http_response(&head).is_err(),
            "only before the body"
        );
        let (conn, _) = s.finish(None).unwrap();
        let all = conn.unwrap().stream_mut().writes.concat();
        let (head_text, body) = split_head(&all);
        assert!(head_text
            .contains("Content-Type: application/vnd.awslambda.http-integration-response\r\n"));
        let (chunks, _) = dechunk(body);
        let body = chunks.concat();
        let prelude = br#"{"statusCode":201,"headers":{"content-type":"text/csv","x-null":"a\u0000b"},"cookies":["session=1; Secure"]}"#;
        let mut expected = prelude.to_vec();
        expected.extend_from_slice(&[0; 8]);
        expected.extend_from_slice(b"a,b\n");
        assert_eq!(body, expected);
        assert_eq!(
            HttpResponseHead::new(200).to_json(),
            br#"{"statusCode":200,"headers":{},"cookies":[]}"#
        );
    }

    #[test]
    fn bad_content_types_are_refused() {
        let mut s = stream(ACCEPTED);
        assert!(s.set_content_type("text/plain\r\nX-Evil: 1").is_err());
        assert!(s.set_content_type("").is_err());
        s.set_content_type("text/event-stream").unwrap();
    }

    #[test]
    fn an_empty_stream_is_a_head_and_a_last_chunk() {
        let s = stream(ACCEPTED);
        let (conn, _) = s.finish(None).unwrap();
        let all = conn.unwrap().stream_mut().writes.concat();
        let (_, body) = split_head(&all);
        assert_eq!(body, b"0\r\n\r\n");
    }

    #[test]
    fn a_broken_connection_fails_every_write_and_the_finish() {
        let mut s = stream(ACCEPTED);
        s.conn.as_mut().unwrap().stream_mut().fail_writes = true;
        let e = s.flush().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let e = s.write_all(b"x").unwrap_err();
        assert!(e.to_string().contains("already failed"), "{e}");
        let e = s.finish(None).err().unwrap();
        assert!(
            e.to_string().starts_with("POST /response (streaming)"),
            "{e}"
        );
    }

    #[test]
    fn refusals_and_closes_are_reported() {
        let s = stream(
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        );
        let (conn, posted) = s.finish(None).unwrap();
        assert_eq!(posted, Posted::Refused(413));
        assert!(
            conn.is_none(),
            "a closing server's connection is not reused"
        );
        let s = stream(b"HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nbad");
        let e = s.finish(None).err().unwrap();
        assert!(e.to_string().contains("500"), "{e}");
        let s = stream(b"");
        let e = s.finish(None).err().unwrap();
        assert!(e.to_string().contains("without answering"), "{e}");
    }

    #[test]
    fn stream_fn_decodes_then_streams_and_refuses_bad_events() {
        #[derive(miniserde::Deserialize)]
        struct Req {
            n: u32,
        }
        let mut h = stream_fn(|e: LambdaEvent<Req>, out: &mut ResponseStream<Fake>| {
            for i in 0..e.payload.n {
                write!(out, "{i},")?;
            }
            Ok(())
        });
        let ctx = Context::for_test().with_request_id("r1");
        let mut s = stream(ACCEPTED);
        h(br#"{"n":3}"#, &ctx, &mut s).unwrap();
        let (conn, _) = s.finish(None).unwrap();
        let all = conn.unwrap().stream_mut().writes.concat();
        let (_, body) = split_head(&all);
        assert_eq!(dechunk(body).0.concat(), b"0,1,2,");
        let mut s = stream(ACCEPTED);
        let e = h(br#"{"n":"x"}"#, &ctx, &mut s).unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
        assert!(
            !s.started(),
            "nothing streamed: the runtime posts a plain /error"
        );
        let e = h(b"\xff", &ctx, &mut s).unwrap_err();
        assert!(e.error_message.contains("not UTF-8"), "{e}");
    }

    fn decode_base64(text: &str) -> Vec<u8> {
        crate::b64::decode_base64(text).expect("valid base64")
    }

    #[test]
    fn base64_and_hex_match_references() {
        let cases: [(&[u8], &str); 5] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"\xff\xfe\x00foob", "//4AZm9vYg=="),
        ];
        for (raw, b64) in cases {
            let mut out = Vec::new();
            push_base64(&mut out, raw);
            assert_eq!(out, b64.as_bytes());
            assert_eq!(decode_base64(b64), raw);
        }
        for n in [0usize, 1, 15, 16, 255, 4096, 0xdead_beef] {
            let mut out = Vec::new();
            push_hex(&mut out, n);
            assert_eq!(out, format!("{n:x}").as_bytes());
        }
    }
}
