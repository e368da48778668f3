//! Just enough HTTP/1.1 for the Runtime API, written by hand: one request at a time over one
//! keep-alive stream, `Content-Length`, chunked and close-delimited bodies. Strict where
//! leniency would let bytes be misframed (both `Content-Length` and `Transfer-Encoding`,
//! disagreeing lengths, folded headers), and bounded everywhere.

use std::io::{self, IoSlice, Read, Write};
use std::ops::Range;

/// A header block larger than this is refused: the Runtime API's are a few hundred bytes.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// A body larger than this is refused. Lambda's own limit for an event is 6 MB; this leaves
/// room for emulators and future limits without letting a broken server exhaust memory.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;
const MAX_CHUNK_LINE: usize = 1024;
/// Heads and small bodies are read through this buffer; larger bodies go straight into
/// their own allocation.
const INITIAL_BUFFER: usize = 16 * 1024;

#[derive(Debug)]
pub(crate) enum HttpError {
    /// The peer closed the connection before sending a single byte of the response: the
    /// usual sign of a kept-alive connection the server has dropped.
    ClosedBeforeResponse,
    Io(io::Error),
    Malformed(String),
}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

pub(crate) struct Response {
    pub status: u16,
    head: Vec<u8>,
    headers: Vec<(Range<usize>, Range<usize>)>,
    pub body: Vec<u8>,
    /// The server will close the connection after this response.
    pub close: bool,
}

impl Response {
    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| self.head[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &self.head[v.clone()])
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| self.head[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(move |(_, v)| &self.head[v.clone()])
    }
}

/// A request's line, `Host`, `User-Agent` and `extra` headers, each ending in CRLF; the
/// caller adds any framing header and the blank line that ends the head.
pub(crate) fn push_head(
    h: &mut Vec<u8>,
    method: &str,
    path: &str,
    host: &str,
    extra: &[(&str, &[u8])],
) {
    for part in [
        method,
        " ",
        path,
        " HTTP/1.1\r\nHost: ",
        host,
        "\r\nUser-Agent: rayo/",
        env!("CARGO_PKG_VERSION"),
        "\r\n",
    ] {
        h.extend_from_slice(part.as_bytes());
    }
    for (name, value) in extra {
        h.extend_from_slice(name.as_bytes());
        h.extend_from_slice(b": ");
        h.extend_from_slice(value);
        h.extend_from_slice(b"\r\n");
    }
}

pub(crate) struct Conn<S> {
    stream: S,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    head: Vec<u8>,
}

impl<S: Read + Write> Conn<S> {
    pub fn new(stream: S) -> Self {
        Conn {
            stream,
            // Allocated by the first read, after the first request is out: nothing at start-up
            // stands between exec and Lambda hearing `GET /next`.
            buf: Box::default(),
            pos: 0,
            end: 0,
            head: Vec::with_capacity(512),
        }
    }

    /// Sends one request. The head goes out in the same write as the body (no Nagle stall,
    /// one syscall for small bodies).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        host: &str,
        extra: &[(&str, &[u8])],
        body: &[u8],
    ) -> io::Result<()> {
        let h = &mut self.head;
        h.clear();
        push_head(h, method, path, host, extra);
        if method != "GET" {
            h.extend_from_slice(b"Content-Length: ");
            push_decimal(h, body.len());
            h.extend_from_slice(b"\r\n");
        }
        h.extend_from_slice(b"\r\n");
        write_all2(&mut self.stream, &self.head, body)
    }

    /// The socket, for a request whose body is written as it is produced (streaming).
    #[cfg(feature = "streaming")]
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Reads one response. `HttpError::ClosedBeforeResponse` only when nothing at all
    /// arrived, so a caller can tell a stale connection from a broken server.
    pub fn receive(&mut self) -> Result<Response, HttpError> {
        let mut first = true;
        loop {
            let head_len = self.fill_head(first)?;
            first = false;
            let mut resp = parse_head(&self.buf[self.pos..self.pos + head_len])?;
            self.pos += head_len;
            // 1xx are interim: the real answer follows. We never ask for them, but a proxy
            // in between may send one.
            if (100..200).contains(&resp.status) {
                continue;
            }
            resp.body = self.read_body(&resp)?;
            return Ok(resp);
        }
    }

    /// Ensures a whole header block is buffered; returns its length including the blank line.
    fn fill_head(&mut self, first: bool) -> Result<usize, HttpError> {
        let mut scanned = 0;
        loop {
            let avail = &self.buf[self.pos..self.end];
            if let Some(i) = find_blank_line(avail, scanned) {
                return Ok(i);
            }
            scanned = avail.len().saturating_sub(3);
            if avail.len() >= MAX_HEAD {
                return Err(HttpError::Malformed(format!(
                    "header block is over {MAX_HEAD} bytes"
                )));
            }
            let got_any = self.end > self.pos;
            if self.fill()? == 0 {
                return Err(if first && !got_any {
                    HttpError::ClosedBeforeResponse
                } else {
                    HttpError::Malformed("connection closed inside the header block".into())
                });
            }
        }
    }

    /// Reads more bytes into the buffer, compacting it first. Returns how many arrived.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            // The first read allocates; after that, only reachable while looking for the end
            // of a head, which MAX_HEAD bounds.
            let size = match self.buf.len() {
                0 => INITIAL_BUFFER,
                n => (n * 2).min(MAX_HEAD + 16),
            };
            let mut bigger = vec![0; size].into_boxed_slice();
            bigger[..self.end].copy_from_slice(&self.buf[..self.end]);
            self.buf = bigger;
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn read_body(&mut self, resp: &Response) -> Result<Vec<u8>, HttpError> {
        let te = resp.header("transfer-encoding");
        let cl = content_length(resp)?;
        match (te, cl) {
            (Some(_), Some(_)) => Err(HttpError::Malformed(
                "both Content-Length and Transfer-Encoding: the body's length is ambiguous".into(),
            )),
            (Some(te), None) => {
                let last = te.rsplit(|&b| b == b',').next().unwrap_or(te);
                if !trim(last).eq_ignore_ascii_case(b"chunked") {
                    return Err(HttpError::Malformed(format!(
                        "unsupported Transfer-Encoding {:?}",
                        String::from_utf8_lossy(te)
                    )));
                }
                self.read_chunked()
            }
            (None, Some(n)) => self.read_exact_body(n),
            (None, None) if resp.status == 204 || resp.status == 304 => Ok(Vec::new()),
            (None, None) => self.read_to_close(),
        }
    }

    fn read_exact_body(&mut self, n: usize) -> Result<Vec<u8>, HttpError> {
        if n > MAX_BODY {
            return Err(HttpError::Malformed(format!(
                "Content-Length {n} is over the {MAX_BODY}-byte limit"
            )));
        }
        let mut body = Vec::with_capacity(n);
        let buffered = (self.end - self.pos).min(n);
        body.extend_from_slice(&self.buf[self.pos..self.pos + buffered]);
        self.pos += buffered;
        if body.len() < n {
            // Large bodies go straight from the socket into their final home.
            body.resize(n, 0);
            let mut filled = buffered;
            while filled < n {
                match self.stream.read(&mut body[filled..]) {
                    Ok(0) => {
                        return Err(HttpError::Malformed(format!(
                            "connection closed after {filled} of {n} body bytes"
                        )))
                    }
                    Ok(k) => filled += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(HttpError::Io(e)),
                }
            }
        }
        Ok(body)
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line("chunk size")?;
            let size_part = line.split(|&b| b == b';').next().unwrap_or(&line);
            let size = parse_hex(trim(size_part)).ok_or_else(|| {
                HttpError::Malformed(format!(
                    "bad chunk size line {:?}",
                    String::from_utf8_lossy(&line)
                ))
            })?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while !self.read_line("trailer")?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(HttpError::Malformed(format!(
                    "chunked body is over the {MAX_BODY}-byte limit"
                )));
            }
            let mut left = size;
            while left > 0 {
                if self.pos == self.end && self.fill()? == 0 {
                    return Err(HttpError::Malformed(
                        "connection closed inside a chunk".into(),
                    ));
                }
                let take = left.min(self.end - self.pos);
                body.extend_from_slice(&self.buf[self.pos..self.pos + take]);
                self.pos += take;
                left -= take;
            }
            if !self.read_line("chunk end")?.is_empty() {
                return Err(HttpError::Malformed(
                    "chunk data is longer than its size".into(),
                ));
            }
        }
    }

    fn read_to_close(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut body = self.buf[self.pos..self.end].to_vec();
        self.pos = self.end;
        let mut chunk = [0u8; 8192];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(body),
                Ok(k) => {
                    if body.len() + k > MAX_BODY {
                        return Err(HttpError::Malformed(format!(
                            "body is over the {MAX_BODY}-byte limit"
                        )));
                    }
                    body.extend_from_slice(&chunk[..k]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(HttpError::Io(e)),
            }
        }
    }

    /// One CRLF-terminated line (without the CRLF), bounded in length.
    fn read_line(&mut self, what: &str) -> Result<Vec<u8>, HttpError> {
        loop {
            let avail = &self.buf[self.pos..self.end];
            if let Some(i) = avail.windows(2).position(|w| w == b"\r\n") {
                let line = avail[..i].to_vec();
                self.pos += i + 2;
                return Ok(line);
            }
            if avail.len() > MAX_CHUNK_LINE {
                return Err(HttpError::Malformed(format!("{what} line is too long")));
            }
            if self.fill()? == 0 {
                return Err(HttpError::Malformed(format!(
                    "connection closed inside a {what} line"
                )));
            }
        }
    }
}

fn write_all2<W: Write>(w: &mut W, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() || !b.is_empty() {
        let r = if a.is_empty() {
            w.write(b)
        } else {
            w.write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
        };
        match r {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(mut n) => {
                let from_a = n.min(a.len());
                a = &a[from_a..];
                n -= from_a;
                b = &b[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    w.flush()
}

fn find_blank_line(buf: &[u8], from: usize) -> Option<usize> {
    buf[from..]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4)
}

fn parse_head(raw: &[u8]) -> Result<Response, HttpError> {
    let bad = |what: &str, bytes: &[u8]| {
        HttpError::Malformed(format!("{what}: {:?}", String::from_utf8_lossy(bytes)))
    };
    let head = raw.to_vec();
    let mut lines = LineIter { buf: &head, at: 0 };
    let status_line = lines.next().unwrap_or(0..0);
    let sl = &head[status_line.clone()];
    // "HTTP/1.1 202 Accepted" (the reason phrase may be empty).
    if sl.len() < 12 || !(sl.starts_with(b"HTTP/1.1 ") || sl.starts_with(b"HTTP/1.0 ")) {
        return Err(bad("bad status line", sl));
    }
    let code = &sl[9..12];
    if !code.iter().all(u8::is_ascii_digit) || (sl.len() > 12 && sl[12] != b' ') {
        return Err(bad("bad status code in status line", sl));
    }
    let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if status < 100 {
        return Err(bad("bad status code in status line", sl));
    }
    let http10 = sl.starts_with(b"HTTP/1.0");
    let mut headers = Vec::new();
    for line in lines {
        let l = &head[line.clone()];
        if l.is_empty() {
            break;
        }
        if l[0] == b' ' || l[0] == b'\t' {
            return Err(bad("folded header lines are not accepted", l));
        }
        let colon = l
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| bad("header line without ':'", l))?;
        if colon == 0 || !l[..colon].iter().all(|&b| is_token(b)) {
            return Err(bad("bad header name", l));
        }
        let value = &l[colon + 1..];
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return Err(bad("control character in header value", l));
        }
        let lead = value
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let trail = value[lead..]
            .iter()
            .rev()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let vstart = line.start + colon + 1 + lead;
        headers.push((line.start..line.start + colon, vstart..line.end - trail));
    }
    let mut resp = Response {
        status,
        head,
        headers,
        body: Vec::new(),
        close: http10,
    };
    let mut close = http10;
    for v in resp.all("connection") {
        for token in v.split(|&b| b == b',') {
            let t = trim(token);
            if t.eq_ignore_ascii_case(b"close") {
                close = true;
            } else if t.eq_ignore_ascii_case(b"keep-alive") && http10 {
                close = false;
            }
        }
    }
    resp.close = close;
    Ok(resp)
}

fn content_length(resp: &Response) -> Result<Option<usize>, HttpError> {
    let mut found: Option<usize> = None;
    for v in resp.all("content-length") {
        // A repeated header, or a comma list, must agree on one value.
        for part in v.split(|&b| b == b',') {
            let p = trim(part);
            if p.is_empty() || p.len() > 12 || !p.iter().all(u8::is_ascii_digit) {
                return Err(HttpError::Malformed(format!(
                    "bad Content-Length {:?}",
                    String::from_utf8_lossy(v)
                )));
            }
            let n = p.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
            if found.is_some_and(|f| f != n) {
                return Err(HttpError::Malformed(
                    "Content-Length values disagree".into(),
                ));
            }
            found = Some(n);
        }
    }
    Ok(found)
}

struct LineIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Iterator for LineIter<'_> {
    type Item = Range<usize>;
    fn next(&mut self) -> Option<Range<usize>> {
        if self.at >= self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.at..];
        let len = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        let r = self.at..self.at + len;
        self.at += len + 2;
        Some(r)
    }
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn parse_hex(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    s.iter().try_fold(0usize, |n, &b| {
        let d = (b as char).to_digit(16)?;
        Some(n * 16 + d as usize)
    })
}

pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A stream that replays `input` in pieces of `step` bytes and records what is written.
    struct Fake {
        input: Cursor<Vec<u8>>,
        step: usize,
        written: Vec<u8>,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step);
            self.input.read(&mut buf[..n])
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn conn(input: &[u8], step: usize) -> Conn<Fake> {
        Conn::new(Fake {
            input: Cursor::new(input.to_vec()),
            step,
            written: Vec::new(),
        })
    }

    fn parse_all(input: &[u8]) -> Vec<Result<Response, HttpError>> {
        // Same answer however the bytes are split across reads.
        let mut out = Vec::new();
        for step in [1, 2, 7, 64, 100_000] {
            out.push(conn(input, step).receive());
        }
        out
    }

    fn ok(input: &[u8]) -> Response {
        let mut results = parse_all(input);
        let first = results.remove(0).unwrap_or_else(|e| panic!("{e:?}"));
        for r in results {
            let r = r.unwrap();
            assert_eq!(r.status, first.status);
            assert_eq!(r.body, first.body);
        }
        first
    }

    fn malformed(input: &[u8], needle: &str) {
        for r in parse_all(input) {
            match r {
                Err(HttpError::Malformed(m)) => {
                    assert!(m.contains(needle), "{m:?} lacks {needle:?}")
                }
                Err(e) => panic!("expected Malformed({needle}), got {e:?}"),
                Ok(r) => panic!("expected Malformed({needle}), got status {}", r.status),
            }
        }
    }

    #[test]
    fn content_length_body_with_headers() {
        let r = ok(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id:  abc \r\ncontent-length: 5\r\n\r\nhello");
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello");
        assert_eq!(r.header("LAMBDA-runtime-aws-request-id"), Some(&b"abc"[..]));
        assert!(!r.close);
    }

    #[test]
    fn bodies_are_bytes_not_text() {
        let mut input = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n".to_vec();
        input.extend_from_slice(&[0xff, 0x00, 0xfe, 0x80]);
        assert_eq!(ok(&input).body, [0xff, 0x00, 0xfe, 0x80]);
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let r = ok(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
        assert_eq!(r.body, b"hello world");
    }

    #[test]
    fn keep_alive_reads_back_to_back_responses() {
        let mut c = conn(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 3);
        assert_eq!(c.receive().unwrap().body, b"ok");
        assert_eq!(c.receive().unwrap().body, b"x");
        assert_eq!(c.receive().unwrap().status, 204);
        assert!(matches!(c.receive(), Err(HttpError::ClosedBeforeResponse)));
    }

    #[test]
    fn close_and_http10_and_close_delimited() {
        let r =
            ok(b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n");
        assert!(r.close);
        let r = ok(b"HTTP/1.0 200 OK\r\n\r\nuntil the end");
        assert!(r.close);
        assert_eq!(r.body, b"until the end");
    }

    #[test]
    fn interim_1xx_is_skipped() {
        let r =
            ok(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(r.status, 202);
    }

    #[test]
    fn empty_stream_is_closed_before_response() {
        for r in parse_all(b"") {
            assert!(
                matches!(r, Err(HttpError::ClosedBeforeResponse)),
                "{r:?}",
                r = r.err()
            );
        }
    }

    #[test]
    fn malformed_input_is_a_clear_error() {
        malformed(b"HTTP/1.1 200", "closed inside the header block");
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi",
            "closed after 2 of 5",
        );
        malformed(b"HTTP/2 200 OK\r\n\r\n", "bad status line");
        malformed(b"HTTP/1.1 2x0 OK\r\n\r\n", "bad status code");
        malformed(b"HTTP/1.1 099 OK\r\n\r\n", "bad status code");
        malformed(b"HTTP/1.1 2000 OK\r\n\r\n", "bad status code");
        malformed(b"garbage\r\n\r\n", "bad status line");
        malformed(b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "without ':'");
        malformed(b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "bad header name");
        malformed(b"HTTP/1.1 200 OK\r\n: x\r\n\r\n", "bad header name");
        malformed(b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "folded");
        malformed(b"HTTP/1.1 200 OK\r\nA: b\x01c\r\n\r\n", "control character");
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "bad Content-Length",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "bad Content-Length",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "disagree",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab",
            "disagree",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n",
            "limit",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "ambiguous",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "unsupported Transfer-Encoding",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "bad chunk size",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n",
            "bad chunk size",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
            "longer than its size",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            "closed inside a chunk",
        );
        malformed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3",
            "closed inside a chunk size",
        );
        let mut huge = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        huge.resize(MAX_HEAD + 10, b'a');
        malformed(&huge, "over");
    }

    #[test]
    fn random_bytes_never_panic() {
        // A small xorshift keeps this test deterministic and dependency-free.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let seeds: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
        ];
        for round in 0..20_000 {
            let mut input = seeds[round % 3].to_vec();
            for _ in 0..(1 + round % 4) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % input.len();
                match x % 3 {
                    0 => input[i] = (x >> 32) as u8,
                    1 => {
                        input.remove(i);
                    }
                    _ => input.insert(i, (x >> 40) as u8),
                }
                if input.is_empty() {
                    input.push(b'H');
                }
            }
            let _ = conn(&input, 1 + round % 5).receive();
        }
    }

    #[test]
    fn request_is_one_write_with_length() {
        let mut c = conn(b"", 1);
        c.send(
            "POST",
            "/p/2018-06-01/runtime/invocation/abc/response",
            "h:1",
            &[("X-A", b"b")],
            b"\x00\xff",
        )
        .unwrap();
        assert_eq!(
            c.stream.written,
            b"POST /p/2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\nHost: h:1\r\nUser-Agent: rayo/0.1.0\r\nX-A: b\r\nContent-Length: 2\r\n\r\n\x00\xff"
        );
        let mut c = conn(b"", 1);
        c.send("GET", "/n", "h:1", &[], b"").unwrap();
        assert_eq!(
            c.stream.written,
            b"GET /n HTTP/1.1\r\nHost: h:1\r\nUser-Agent: rayo/0.1.0\r\n\r\n"
        );
    }

    #[test]
    fn decimal() {
        for n in [0usize, 7, 10, 6_291_556, usize::MAX] {
            let mut v = Vec::new();
            push_decimal(&mut v, n);
            assert_eq!(v, n.to_string().as_bytes());
        }
    }
}
