//! Just enough HTTP/1.1 server side for the Runtime API: request heads, `Content-Length`
//! and chunked bodies, keep-alive, and one-write responses.
//!
//! Deliberately strict: anything ambiguous (both `Content-Length` and
//! `Transfer-Encoding`, folded headers, bare LF, duplicate lengths that disagree) is an
//! error, answered with 400 and a closed connection by the caller.
use crate::EmuError;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// Largest request head (request line plus headers) accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Most header lines accepted in one request.
pub(crate) const MAX_HEADERS: usize = 128;
/// Longest chunk-size or trailer line accepted in a chunked body.
const MAX_LINE: usize = 4096;
/// How much of an oversized body is read and thrown away so the client sees the 413
/// instead of a reset; beyond this the connection is closed.
pub(crate) const DISCARD_CAP: u64 = 64 * 1024 * 1024;
/// Once a request has started, the rest of it must arrive within this time (for a streamed
/// response: each chunk within this time of the one before).
pub(crate) const STALL_LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Http10,
    Http11,
}

/// A parsed request head. Header names are lower-cased; values are trimmed.
#[derive(Debug)]
pub(crate) struct Head {
    pub method: String,
    pub target: String,
    pub version: Version,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    None,
    Length(u64),
    Chunked,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without any query string.
    pub(crate) fn path(&self) -> &str {
        match self.target.find('?') {
            Some(i) => &self.target[..i],
            None => &self.target,
        }
    }

    /// HTTP/1.1 keeps the connection unless the client says `close`; 1.0 closes unless
    /// it says `keep-alive`.
    pub(crate) fn keep_alive(&self) -> bool {
        let conn = self.header("connection").map(|v| v.to_ascii_lowercase());
        let has = |tok: &str| {
            conn.as_deref()
                .is_some_and(|c| c.split(',').any(|t| t.trim() == tok))
        };
        match self.version {
            Version::Http11 => !has("close"),
            Version::Http10 => has("keep-alive"),
        }
    }

    /// How the body is delimited.
    pub(crate) fn framing(&self) -> Result<Framing, EmuError> {
        let mut length: Option<u64> = None;
        let mut chunked = false;
        for (name, value) in &self.headers {
            if name == "content-length" {
                let n = parse_content_length(value)?;
                if length.is_some_and(|prev| prev != n) {
                    return Err(bad("conflicting Content-Length headers", value));
                }
                length = Some(n);
            } else if name == "transfer-encoding" {
                if !value.eq_ignore_ascii_case("chunked") || chunked {
                    return Err(bad("unsupported Transfer-Encoding", value));
                }
                chunked = true;
            }
        }
        match (length, chunked) {
            (Some(_), true) => Err(bad(
                "both Content-Length and Transfer-Encoding (ambiguous framing)",
                "",
            )),
            (Some(0), false) | (None, false) => Ok(Framing::None),
            (Some(n), false) => Ok(Framing::Length(n)),
            (None, true) => Ok(Framing::Chunked),
        }
    }
}

fn parse_content_length(value: &str) -> Result<u64, EmuError> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("invalid Content-Length", value));
    }
    value
        .parse::<u64>()
        .map_err(|_| bad("invalid Content-Length", value))
}

pub(crate) fn bad(what: &'static str, value: &str) -> EmuError {
    // Keep error messages short even when the offending value is huge.
    let mut v: String = value.chars().take(80).collect();
    if v.len() < value.len() {
        v.push_str("...");
    }
    EmuError::BadRequest { what, value: v }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a request head: everything before the blank line, without the final CRLF CRLF.
pub(crate) fn parse_head(raw: &[u8]) -> Result<Head, EmuError> {
    let mut lines = CrlfLines { rest: Some(raw) };
    let request_line = lines.next().unwrap_or_default();
    let request_line = no_stray_cr_lf(request_line)?;
    let text = std::str::from_utf8(request_line).map_err(|_| {
        bad(
            "request line is not UTF-8",
            &String::from_utf8_lossy(request_line),
        )
    })?;
    let mut parts = text.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(bad("malformed request line", text)),
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(bad("invalid method", method));
    }
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("invalid request target", target));
    }
    let version = match version {
        "HTTP/1.1" => Version::Http11,
        "HTTP/1.0" => Version::Http10,
        other => return Err(bad("unsupported HTTP version", other)),
    };
    let mut headers = Vec::new();
    for line in lines {
        let line = no_stray_cr_lf(line)?;
        if line.is_empty() {
            return Err(bad("empty line inside the header block", ""));
        }
        if headers.len() == MAX_HEADERS {
            return Err(bad("too many headers", &MAX_HEADERS.to_string()));
        }
        let shown = || String::from_utf8_lossy(line).into_owned();
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return Err(bad("folded header line (obsolete)", &shown()));
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| bad("header line without a colon", &shown()))?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(bad("invalid header name", &shown()));
        }
        if value
            .iter()
            .any(|&b| b == 0 || b == b'\r' || (b < 0x20 && b != b'\t'))
        {
            return Err(bad("control character in header value", &shown()));
        }
        let value = std::str::from_utf8(value)
            .map_err(|_| bad("header value is not UTF-8", &shown()))?
            .trim_matches([' ', '\t']);
        // Names are ASCII tchars, checked above.
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        headers.push((name, value.to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        version,
        headers,
    })
}

/// Splits on CRLF. The head given to `parse_head` excludes its final CRLF CRLF.
struct CrlfLines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for CrlfLines<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match find(rest, b"\r\n") {
            Some(i) => {
                self.rest = Some(&rest[i + 2..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// A bare LF or a stray CR inside a line is refused (request smuggling territory, and no
/// real client sends it).
fn no_stray_cr_lf(line: &[u8]) -> Result<&[u8], EmuError> {
    if line.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err(bad(
            "line not terminated by CRLF (bare CR or LF)",
            &String::from_utf8_lossy(line),
        ));
    }
    Ok(line)
}

#[derive(Debug)]
pub(crate) enum Body {
    Complete(Vec<u8>),
    /// Above the limit; `drained` says whether all of it was read (the connection can be
    /// kept) or it was abandoned after `DISCARD_CAP` bytes (the connection must close).
    TooLarge {
        drained: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Request {
    pub head: Head,
    pub body: Body,
    /// When the read that brought the request's first bytes returned.
    pub first_byte_at: Instant,
    /// When the read that brought the body's last byte (or the head's, for no body)
    /// returned.
    pub last_byte_at: Instant,
    /// For a chunked body: its chunks, when the first arrived, and its trailers.
    pub chunked: Option<ChunkInfo>,
}

/// What a chunked body carried besides its bytes (a streamed response's timing and error).
#[derive(Clone, Debug, Default)]
pub(crate) struct ChunkInfo {
    /// Chunks with data (the last, zero-length one not counted).
    pub chunks: usize,
    /// When the read that completed the first chunk with data returned.
    pub first_chunk_at: Option<Instant>,
    /// Trailer fields after the last chunk: names lower-cased, values trimmed.
    pub trailers: Vec<(String, String)>,
}

/// Called with each chunk's bytes as it arrives (the request's head says whose they are).
pub(crate) type ChunkObserver<'a> = &'a mut dyn FnMut(&Head, &[u8]);

/// A buffered reader of requests from one connection. Generic so tests can feed slices.
pub(crate) struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// Instant of the most recent read that returned data.
    last_read_at: Instant,
    stall_limit: Duration,
    /// Where `100 Continue` goes when a client sends `Expect: 100-continue` (curl does for
    /// bodies over 1 KB, and would otherwise wait a second before sending the body).
    interim: Option<Box<dyn Write + Send>>,
    /// Filled by `read_chunked` for the request being read.
    chunk_info: Option<ChunkInfo>,
}

/// Whether a read error is the socket read timeout firing (used as a poll tick).
fn is_tick(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

impl<R: Read> Reader<R> {
    pub(crate) fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
            last_read_at: Instant::now(),
            stall_limit: STALL_LIMIT,
            interim: None,
            chunk_info: None,
        }
    }

    /// Sends `100 Continue` to `w` for requests that expect it.
    pub(crate) fn with_interim(mut self, w: Box<dyn Write + Send>) -> Reader<R> {
        self.interim = Some(w);
        self
    }

    /// How long a started request may take to arrive in full (default `STALL_LIMIT`).
    #[cfg(test)]
    pub(crate) fn with_stall_limit(mut self, limit: Duration) -> Reader<R> {
        self.stall_limit = limit;
        self
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Reads more bytes into the buffer. `Ok(false)` on EOF. While `idle` (no byte of a
    /// request seen yet) read-timeout ticks only check `stop`; once a request has begun, it
    /// must complete within the stall limit of `started`.
    fn fill(
        &mut self,
        started: Option<Instant>,
        stop: &dyn Fn() -> bool,
    ) -> Result<bool, EmuError> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // One zeroed buffer per thread, not a fresh 16 KiB array per read: a client sending a
        // byte at a time made every byte cost a 16 KiB memset (the request fuzzer ran at
        // ~1,400 inputs/s because of it).
        thread_local! {
            static CHUNK: std::cell::RefCell<Box<[u8]>> =
                std::cell::RefCell::new(vec![0u8; 16 * 1024].into_boxed_slice());
        }
        loop {
            if stop() {
                return Err(EmuError::Stopped);
            }
            let read = CHUNK.with(|chunk| {
                let mut chunk = chunk.borrow_mut();
                let r = self.inner.read(&mut chunk);
                if let Ok(n) = r {
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                r
            });
            match read {
                Ok(0) => return Ok(false),
                Ok(_) => {
                    self.last_read_at = Instant::now();
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if is_tick(&e) => {
                    if started.is_some_and(|t| t.elapsed() > self.stall_limit) {
                        return Err(EmuError::Timeout("the rest of a started request"));
                    }
                }
                Err(e) => return Err(EmuError::Io(e)),
            }
        }
    }

    /// Reads the next request. `Ok(None)` when the peer closed cleanly between requests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn read_request(
        &mut self,
        body_limit: usize,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Request>, EmuError> {
        self.read_request_observed(body_limit, stop, None)
    }

    /// [`Reader::read_request`], showing each chunk of a chunked body to `on_chunk` as it
    /// arrives (to pass a streamed response through while it is still being produced).
    pub(crate) fn read_request_observed(
        &mut self,
        body_limit: usize,
        stop: &dyn Fn() -> bool,
        mut on_chunk: Option<ChunkObserver<'_>>,
    ) -> Result<Option<Request>, EmuError> {
        // First bytes: either already buffered (pipelined) or the next read.
        if self.buffered().is_empty() && !self.fill(None, stop)? {
            return Ok(None);
        }
        let first_byte_at = self.last_read_at;
        let started = Instant::now();
        let mut scanned: usize = 0;
        let head_len = loop {
            let data = self.buffered();
            let from = scanned.saturating_sub(3);
            if let Some(i) = find(&data[from..], b"\r\n\r\n") {
                break from + i;
            }
            scanned = data.len();
            if scanned > MAX_HEAD {
                return Err(bad(
                    "request head too large",
                    &format!("over {MAX_HEAD} bytes"),
                ));
            }
            if !self.fill(Some(started), stop)? {
                return Err(bad("connection closed inside the request head", ""));
            }
        };
        // A dripped head fails once MAX_HEAD bytes lack the blank line, so one that arrived
        // whole must fit with its first three CR LF CR bytes too (same answer either way).
        if head_len + 3 > MAX_HEAD {
            return Err(bad(
                "request head too large",
                &format!("over {MAX_HEAD} bytes"),
            ));
        }
        let head = parse_head(&self.buffered()[..head_len])?;
        self.pos += head_len + 4;
        self.chunk_info = None;
        // A streamed response may be larger than a buffered one, as on Lambda.
        let body_limit = if crate::stream::is_streaming(&head) {
            body_limit.max(crate::MAX_STREAMED_RESPONSE_BYTES)
        } else {
            body_limit
        };
        let mut last_byte_at = self.last_read_at;
        let framing = head.framing()?;
        let expects_continue = head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if expects_continue && framing != Framing::None {
            if let Framing::Length(n) = framing {
                if n > body_limit as u64 {
                    // Refuse before the body is sent; the connection cannot be reused.
                    return Ok(Some(Request {
                        head,
                        body: Body::TooLarge { drained: false },
                        first_byte_at,
                        last_byte_at,
                        chunked: None,
                    }));
                }
            }
            if let Some(w) = self.interim.as_mut() {
                w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                    .and_then(|_| w.flush())
                    .map_err(EmuError::Io)?;
            }
        }
        let body = match framing {
            Framing::None => Body::Complete(Vec::new()),
            Framing::Length(n) => {
                let body = self.read_length(n, body_limit, started, stop)?;
                last_byte_at = self.last_read_at;
                body
            }
            Framing::Chunked => {
                let body = self.read_chunked(&head, body_limit, started, stop, &mut on_chunk)?;
                last_byte_at = self.last_read_at;
                body
            }
        };
        Ok(Some(Request {
            head,
            body,
            first_byte_at,
            last_byte_at,
            chunked: self.chunk_info.take(),
        }))
    }

    /// Moves up to `n` bytes out of the buffer (filling it as needed) into `out`, or drops
    /// them when `out` is `None`.
    fn take(
        &mut self,
        mut n: u64,
        mut out: Option<&mut Vec<u8>>,
        started: Instant,
        stop: &dyn Fn() -> bool,
    ) -> Result<(), EmuError> {
        while n > 0 {
            if self.buffered().is_empty() && !self.fill(Some(started), stop)? {
                return Err(bad("connection closed inside the body", ""));
            }
            let avail = self
                .buffered()
                .len()
                .min(usize::try_from(n).unwrap_or(usize::MAX));
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&self.buf[self.pos..self.pos + avail]);
            }
            self.pos += avail;
            n -= avail as u64;
        }
        Ok(())
    }

    fn read_length(
        &mut self,
        n: u64,
        limit: usize,
        started: Instant,
        stop: &dyn Fn() -> bool,
    ) -> Result<Body, EmuError> {
        if n > limit as u64 {
            if n > limit as u64 + DISCARD_CAP {
                return Ok(Body::TooLarge { drained: false });
            }
            self.take(n, None, started, stop)?;
            return Ok(Body::TooLarge { drained: true });
        }
        // n <= limit, which fits in memory by construction.
        let mut body = Vec::with_capacity(n as usize);
        self.take(n, Some(&mut body), started, stop)?;
        Ok(Body::Complete(body))
    }

    fn read_line(
        &mut self,
        started: Instant,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<u8>, EmuError> {
        // Resume the search where the last one stopped (less one byte, for a CR at the end):
        // rescanning from the start made a line that arrives a byte at a time quadratic.
        let mut scanned: usize = 0;
        loop {
            let from = scanned.saturating_sub(1);
            if let Some(i) = find(&self.buffered()[from..], b"\r\n") {
                let i = from + i;
                // The limit holds however the line arrived: found by the fuzzer, a long line
                // that came in one read used to pass while the same bytes dripped failed.
                // `>=`: a dripped line fails once MAX_LINE + 1 bytes lack a CRLF, i.e. when
                // its CR sits at MAX_LINE or later (the fuzzer found the off-by-one too).
                if i >= MAX_LINE {
                    return Err(bad(
                        "chunk line too long",
                        &format!("over {MAX_LINE} bytes"),
                    ));
                }
                let line = self.buffered()[..i].to_vec();
                self.pos += i + 2;
                return Ok(line);
            }
            scanned = self.buffered().len();
            if self.buffered().len() > MAX_LINE {
                return Err(bad(
                    "chunk line too long",
                    &format!("over {MAX_LINE} bytes"),
                ));
            }
            if !self.fill(Some(started), stop)? {
                return Err(bad("connection closed inside a chunked body", ""));
            }
        }
    }

    fn read_chunked(
        &mut self,
        head: &Head,
        limit: usize,
        started: Instant,
        stop: &dyn Fn() -> bool,
        on_chunk: &mut Option<ChunkObserver<'_>>,
    ) -> Result<Body, EmuError> {
        // A streamed response may run as long as the function does: the stall limit then
        // bounds the silence between chunks, not the whole body.
        let streaming = crate::stream::is_streaming(head);
        let mut started = started;
        let mut body = Vec::new();
        let mut total: u64 = 0;
        let mut too_large = false;
        let mut info = ChunkInfo::default();
        loop {
            let line = self.read_line(started, stop)?;
            let size = parse_chunk_size(&line)?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let line = self.read_line(started, stop)?;
                    if line.is_empty() {
                        break;
                    }
                    if info.trailers.len() == MAX_HEADERS {
                        return Err(bad("too many trailers", &MAX_HEADERS.to_string()));
                    }
                    info.trailers.push(parse_field(&line)?);
                }
                self.chunk_info = Some(info);
                return Ok(if too_large {
                    Body::TooLarge { drained: true }
                } else {
                    Body::Complete(body)
                });
            }
            total = total.saturating_add(size);
            if total > limit as u64 {
                too_large = true;
                body = Vec::new();
                if total > limit as u64 + DISCARD_CAP {
                    return Ok(Body::TooLarge { drained: false });
                }
            }
            let from = body.len();
            self.take(size, (!too_large).then_some(&mut body), started, stop)?;
            info.chunks += 1;
            info.first_chunk_at.get_or_insert(self.last_read_at);
            if streaming {
                started = Instant::now();
            }
            if let (Some(observe), false) = (on_chunk.as_mut(), too_large) {
                observe(head, &body[from..]);
            }
            if self.read_line(started, stop)?.is_empty() {
                continue;
            }
            return Err(bad("chunk data not followed by CRLF", ""));
        }
    }
}

/// One `name: value` trailer line, by the same rules as a header line.
fn parse_field(line: &[u8]) -> Result<(String, String), EmuError> {
    let line = no_stray_cr_lf(line)?;
    let shown = || String::from_utf8_lossy(line).into_owned();
    let colon = line.iter().position(|&b| b == b':');
    let (name, value) = match colon {
        Some(i) if i > 0 && line[..i].iter().all(|&b| is_tchar(b)) => (&line[..i], &line[i + 1..]),
        _ => return Err(bad("malformed trailer line", &shown())),
    };
    if value.iter().any(|&b| b < 0x20 && b != b'\t') {
        return Err(bad("control character in trailer value", &shown()));
    }
    let value = std::str::from_utf8(value)
        .map_err(|_| bad("trailer value is not UTF-8", &shown()))?
        .trim_matches([' ', '\t']);
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    Ok((name, value.to_string()))
}

fn parse_chunk_size(line: &[u8]) -> Result<u64, EmuError> {
    let shown = || String::from_utf8_lossy(line).into_owned();
    // Chunk extensions (";name=value") are allowed and ignored.
    let digits = match line.iter().position(|&b| b == b';') {
        Some(i) => &line[..i],
        None => line,
    };
    let digits = trim_ascii_ws(digits);
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad("invalid chunk size", &shown()));
    }
    let mut n: u64 = 0;
    for &d in digits {
        // At most 15 hex digits: cannot overflow.
        n = n * 16 + u64::from((d as char).to_digit(16).unwrap_or(0));
    }
    Ok(n)
}

fn trim_ascii_ws(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Builds a whole response in one buffer so it leaves in one write (no Nagle or
/// delayed-ACK interplay between head and body).
pub(crate) fn response_bytes(
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason(status)).as_bytes());
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

pub(crate) fn write_response(
    w: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> std::io::Result<()> {
    w.write_all(&response_bytes(status, headers, body, close))?;
    w.flush()
}

/// A small JSON string literal (quotes included) for error messages we generate.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    rayo_wire::json::push_str(&mut out, s);
    // Escaping only adds ASCII to valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// `{"errorMessage":..,"errorType":..}`, the shape Lambda uses for its own errors.
pub(crate) fn error_json(error_type: &str, message: &str) -> Vec<u8> {
    format!(
        "{{\"errorMessage\":{},\"errorType\":{}}}",
        json_string(message),
        json_string(error_type)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> bool {
        false
    }

    fn read_all(input: &[u8], limit: usize) -> Vec<Result<Request, EmuError>> {
        let mut r = Reader::new(input);
        let mut out = Vec::new();
        for _ in 0..64 {
            match r.read_request(limit, &never) {
                Ok(None) => break,
                Ok(Some(req)) => out.push(Ok(req)),
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        out
    }

    fn one(input: &[u8]) -> Result<Request, EmuError> {
        match Reader::new(input).read_request(1 << 20, &never) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => panic!("no request in {:?}", String::from_utf8_lossy(input)),
            Err(e) => Err(e),
        }
    }

    fn complaint(input: &[u8]) -> &'static str {
        match one(input) {
            Err(EmuError::BadRequest { what, .. }) => what,
            other => panic!(
                "expected a bad request for {:?}, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }

    #[test]
    fn parses_a_get() {
        let req = one(b"GET /a/b?q=1 HTTP/1.1\r\nHost: x\r\nX-Thing:  padded \t\r\n\r\n").unwrap();
        assert_eq!(req.head.method, "GET");
        assert_eq!(req.head.target, "/a/b?q=1");
        assert_eq!(req.head.path(), "/a/b");
        assert_eq!(req.head.header("x-thing"), Some("padded"));
        assert_eq!(req.head.header("host"), Some("x"));
        assert!(req.head.keep_alive());
        assert!(matches!(req.body, Body::Complete(ref b) if b.is_empty()));
    }

    #[test]
    fn keep_alive_rules() {
        let ka = |raw: &[u8]| one(raw).unwrap().head.keep_alive();
        assert!(ka(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
        assert!(ka(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    }

    #[test]
    fn reads_length_and_chunked_bodies_and_pipelines() {
        let input = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\
POST /b HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n\
GET /c HTTP/1.1\r\n\r\n";
        let reqs = read_all(input, 100);
        assert_eq!(reqs.len(), 3);
        let bodies: Vec<Vec<u8>> = reqs
            .into_iter()
            .map(|r| match r.unwrap().body {
                Body::Complete(b) => b,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            bodies,
            vec![b"hello".to_vec(), b"abcde".to_vec(), Vec::new()]
        );
    }

    #[test]
    fn body_limits() {
        let at = b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\n\r\n";
        assert!(matches!(
            read_all(at, 4)[0],
            Ok(Request {
                body: Body::Complete(_),
                ..
            })
        ));
        // Over the limit: drained, and the next request is still read in step.
        let reqs = read_all(at, 3);
        assert!(matches!(
            reqs[0],
            Ok(Request {
                body: Body::TooLarge { drained: true },
                ..
            })
        ));
        assert_eq!(reqs[1].as_ref().unwrap().head.target, "/");
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            DISCARD_CAP + 10
        );
        assert!(matches!(
            read_all(huge.as_bytes(), 3)[0],
            Ok(Request {
                body: Body::TooLarge { drained: false },
                ..
            })
        ));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
        assert!(matches!(
            read_all(chunked, 5)[0],
            Ok(Request {
                body: Body::TooLarge { drained: true },
                ..
            })
        ));
        let endless = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n";
        assert!(matches!(
            read_all(endless, 5)[0],
            Ok(Request {
                body: Body::TooLarge { drained: false },
                ..
            })
        ));
    }

    #[test]
    fn malformed_input_gets_a_clear_complaint() {
        let cases: &[(&[u8], &str)] = &[
            (b"\r\n\r\n", "malformed request line"),
            (b"GET\r\n\r\n", "malformed request line"),
            (b"GET  / HTTP/1.1\r\n\r\n", "malformed request line"),
            (b"GET / HTTP/1.1 extra\r\n\r\n", "malformed request line"),
            (b"G(T / HTTP/1.1\r\n\r\n", "invalid method"),
            (b"GET x HTTP/1.1\r\n\r\n", "invalid request target"),
            (b"GET / HTTP/3\r\n\r\n", "unsupported HTTP version"),
            (b"GET /\xff HTTP/1.1\r\n\r\n", "request line is not UTF-8"),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "header line without a colon"),
            (b"GET / HTTP/1.1\r\n: empty name\r\n\r\n", "invalid header name"),
            (b"GET / HTTP/1.1\r\nBad Name: v\r\n\r\n", "invalid header name"),
            (b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", "folded header line (obsolete)"),
            (b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n", "control character in header value"),
            (b"GET / HTTP/1.1\r\nA: \xff\r\n\r\n", "header value is not UTF-8"),
            (b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "line not terminated by CRLF (bare CR or LF)"),
            (b"GET / HTTP/1.1\nA: b\r\n\r\n", "line not terminated by CRLF (bare CR or LF)"),
            (b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
            (b"GET / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", "invalid Content-Length"),
            (b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "invalid Content-Length"),
            (b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "conflicting Content-Length headers"),
            (b"GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding (ambiguous framing)"),
            (b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer-Encoding"),
            (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "unsupported Transfer-Encoding"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", "invalid chunk size"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "invalid chunk size"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", "invalid chunk size"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "chunk data not followed by CRLF"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab", "connection closed inside a chunked body"),
            (b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", "connection closed inside the body"),
            (b"GET / HTTP/1.1\r\nHost: x\r\n", "connection closed inside the request head"),
        ];
        for (input, what) in cases {
            assert_eq!(
                complaint(input),
                *what,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("H{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(complaint(&many), "too many headers");
        let mut big = b"GET / HTTP/1.1\r\nH: ".to_vec();
        big.resize(MAX_HEAD + 10, b'v');
        assert_eq!(complaint(&big), "request head too large");
        let mut long_line = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;".to_vec();
        long_line.resize(long_line.len() + MAX_LINE + 10, b'x');
        assert_eq!(complaint(&long_line), "chunk line too long");
    }

    #[test]
    fn error_messages_name_the_offending_value_briefly() {
        let msg = match one(b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n") {
            Err(e) => e.to_string(),
            Ok(r) => panic!("{r:?}"),
        };
        assert_eq!(msg, "bad request: invalid Content-Length: \"abc\"");
        let long = format!(
            "GET / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            "9".repeat(500)
        );
        let msg = match one(long.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(r) => panic!("{r:?}"),
        };
        assert!(msg.len() < 150, "{msg}");
    }

    #[test]
    fn expect_100_continue_is_answered_before_the_body() {
        #[derive(Clone, Default)]
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .map_err(|_| ErrorKind::Other)?
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let input = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
        let mut r = Reader::new(&input[..]).with_interim(Box::new(sink.clone()));
        let req = r.read_request(10, &never).unwrap().unwrap();
        assert!(matches!(req.body, Body::Complete(ref b) if b == b"ok"));
        assert_eq!(
            sink.0.lock().unwrap().as_slice(),
            b"HTTP/1.1 100 Continue\r\n\r\n"
        );
        // Too large: refused without waiting for (or reading) the body.
        let sink = Sink::default();
        let input = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 99\r\n\r\n";
        let mut r = Reader::new(&input[..]).with_interim(Box::new(sink.clone()));
        let req = r.read_request(10, &never).unwrap().unwrap();
        assert!(matches!(req.body, Body::TooLarge { drained: false }));
        assert!(sink.0.lock().unwrap().is_empty());
    }

    #[test]
    fn clean_eof_between_requests_is_not_an_error() {
        assert!(matches!(
            Reader::new(&b""[..]).read_request(10, &never),
            Ok(None)
        ));
    }

    #[test]
    fn stop_flag_ends_an_idle_read() {
        struct Ticks;
        impl Read for Ticks {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(ErrorKind::WouldBlock.into())
            }
        }
        let stop = || true;
        assert!(matches!(
            Reader::new(Ticks).read_request(10, &stop),
            Err(EmuError::Stopped)
        ));
    }

    #[test]
    fn a_stalled_request_times_out() {
        /// Half a head, then only read-timeout ticks.
        struct Stall(bool);
        impl Read for Stall {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    std::thread::sleep(Duration::from_millis(5));
                    return Err(ErrorKind::TimedOut.into());
                }
                let part = b"GET / HTTP/1.1\r\nHost:";
                buf[..part.len()].copy_from_slice(part);
                Ok(part.len())
            }
        }
        let mut r = Reader::new(Stall(false)).with_stall_limit(Duration::from_millis(30));
        assert!(matches!(
            r.read_request(10, &never),
            Err(EmuError::Timeout(_))
        ));
    }

    /// Replays pieces at given offsets from the first read; read-timeout ticks in between.
    struct Drip {
        pieces: std::collections::VecDeque<(Duration, Vec<u8>)>,
        t0: Option<Instant>,
    }

    impl Read for Drip {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let t0 = *self.t0.get_or_insert_with(Instant::now);
            match self.pieces.front() {
                None => Ok(0),
                Some((at, _)) if t0.elapsed() < *at => {
                    std::thread::sleep(Duration::from_millis(2));
                    Err(ErrorKind::TimedOut.into())
                }
                Some(_) => {
                    let (_, piece) = self.pieces.pop_front().unwrap_or_default();
                    buf[..piece.len()].copy_from_slice(&piece);
                    Ok(piece.len())
                }
            }
        }
    }

    /// A body dripping in for longer than the stall limit, a chunk well within it each time.
    fn drip(streaming: bool) -> Result<Option<Request>, EmuError> {
        let mode = if streaming {
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
        } else {
            ""
        };
        let head = format!("POST /r HTTP/1.1\r\n{mode}Transfer-Encoding: chunked\r\n\r\n");
        let mut pieces = std::collections::VecDeque::new();
        pieces.push_back((Duration::ZERO, head.into_bytes()));
        for i in 1..=8u64 {
            pieces.push_back((Duration::from_millis(40 * i), b"1\r\nx\r\n".to_vec()));
        }
        pieces.push_back((Duration::from_millis(360), b"0\r\n\r\n".to_vec()));
        let reader = Reader::new(Drip { pieces, t0: None });
        reader
            .with_stall_limit(Duration::from_millis(150))
            .read_request(1 << 20, &never)
    }

    #[test]
    fn a_stream_may_outlast_the_stall_limit_while_chunks_keep_coming() {
        let req = drip(true).unwrap().unwrap();
        assert!(matches!(req.body, Body::Complete(ref b) if b == b"xxxxxxxx"));
        assert_eq!(req.chunked.map(|c| c.chunks), Some(8));
        assert!(matches!(drip(false), Err(EmuError::Timeout(_))));
    }

    /// A cheap deterministic PRNG (xorshift64*) for the property tests below.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Random bytes, and valid requests with random mutations, never panic the reader and
    /// always end (EOF, a request, or an error) on finite input.
    #[test]
    fn random_input_never_panics() {
        let seeds: [&[u8]; 3] = [
            b"POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n0\r\nT: v\r\n\r\n",
            b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
        ];
        let alphabet = b"\r\n :;0123456789abcdefABCDEF\x00\xff\tGETPOSTHTTP/1.1-Content-Length";
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..20_000 {
            let input: Vec<u8> = if round % 4 == 0 {
                let n = rng.below(200);
                (0..n).map(|_| rng.next() as u8).collect()
            } else {
                let mut v = seeds[rng.below(seeds.len())].to_vec();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(v.len() + 1);
                    let b = alphabet[rng.below(alphabet.len())];
                    match rng.below(3) {
                        0 if i < v.len() => v[i] = b,
                        1 if i < v.len() => {
                            v.remove(i);
                        }
                        _ => v.insert(i, b),
                    }
                }
                v.repeat(1 + rng.below(2))
            };
            let _ = read_all(&input, 64);
            let _ = parse_head(&input);
        }
    }

    #[test]
    fn responses_are_framed() {
        let r = response_bytes(202, &[("A", "b")], b"{}", true);
        assert_eq!(
            r,
            b"HTTP/1.1 202 Accepted\r\nA: b\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
        assert_eq!(json_string("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }
}
