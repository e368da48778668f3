//! The Runtime API's four calls over one kept-alive connection, and the status policy.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use crate::context::{Config, Context};
use crate::endpoint::Endpoint;
use crate::http::{Conn, HttpError, Response};
use crate::{Diagnostic, Error};

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
const ERROR_TYPE: &str = "Lambda-Runtime-Function-Error-Type";

pub(crate) struct Client {
    pub(crate) endpoint: Endpoint,
    conn: Option<Conn<TcpStream>>,
    path: String,
    /// Read/write timeout; `None` for the loop's connection, whose `GET /next` long-polls.
    io_timeout: Option<Duration>,
}

/// What a post of a response or error came to, when the runtime can go on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Posted {
    Accepted,
    /// 400, 403 or 413: this invocation's outcome was refused; logged, and the loop goes on.
    Refused(u16),
}

impl Client {
    pub fn new(endpoint: Endpoint) -> Client {
        Client {
            endpoint,
            conn: None,
            path: String::with_capacity(128),
            io_timeout: None,
        }
    }

    /// A client whose reads and writes give up after `timeout`: for the panic report, which
    /// must not hang a dying process on a Runtime API that stopped answering.
    pub fn with_timeout(endpoint: Endpoint, timeout: Duration) -> Client {
        Client {
            io_timeout: Some(timeout),
            ..Client::new(endpoint)
        }
    }

    /// `GET /next`: blocks (no timeout) until Lambda has an event.
    pub fn next(&mut self, config: &Arc<Config>) -> Result<(Context, Vec<u8>), Error> {
        const DURING: &str = "GET /next";
        self.set_path(&[NEXT]);
        let resp = self.request(DURING, "GET", &[], b"")?;
        if resp.status != 200 {
            return Err(status_error(DURING, resp));
        }
        let ctx = crate::context::from_invocation(&resp, config)?;
        Ok((ctx, resp.body))
    }

    pub fn respond(&mut self, request_id: &str, body: &[u8]) -> Result<Posted, Error> {
        self.set_path(&[INVOCATION, request_id, "/response"]);
        let resp = self.request("POST /response", "POST", &[], body)?;
        posted("POST /response", resp)
    }

    pub fn error(&mut self, request_id: &str, d: &Diagnostic) -> Result<Posted, Error> {
        self.set_path(&[INVOCATION, request_id, "/error"]);
        let kind = header_safe(&d.error_type);
        let resp = self.request(
            "POST /error",
            "POST",
            &[(ERROR_TYPE, kind.as_bytes())],
            &d.to_json(),
        )?;
        posted("POST /error", resp)
    }

    pub fn init_error(&mut self, d: &Diagnostic) -> Result<Posted, Error> {
        self.set_path(&[INIT_ERROR]);
        let kind = header_safe(&d.error_type);
        let resp = self.request(
            "POST /init/error",
            "POST",
            &[(ERROR_TYPE, kind.as_bytes())],
            &d.to_json(),
        )?;
        posted("POST /init/error", resp)
    }

    /// Lends the open connection (a new one if the server closed the last) to a streamed
    /// post, which writes its request as the handler produces it; [`Client::give_back`]
    /// returns it when the post is done.
    #[cfg(feature = "streaming")]
    pub(crate) fn lend(&mut self) -> Result<Conn<TcpStream>, Error> {
        match self.conn.take() {
            Some(conn) => Ok(conn),
            None => Ok(Conn::new(connect(&self.endpoint, self.io_timeout)?)),
        }
    }

    /// Takes back a lent connection that is still in step (a whole response was read).
    #[cfg(feature = "streaming")]
    pub(crate) fn give_back(&mut self, conn: Conn<TcpStream>) {
        self.conn = Some(conn);
    }

    /// The path (with any URL prefix) of `/invocation/{request_id}/response`, and the Host.
    #[cfg(feature = "streaming")]
    pub(crate) fn response_target(&mut self, request_id: &str) -> (&str, &str) {
        self.set_path(&[INVOCATION, request_id, "/response"]);
        (&self.path, &self.endpoint.authority)
    }

    fn set_path(&mut self, parts: &[&str]) {
        self.path.clear();
        self.path.push_str(&self.endpoint.prefix);
        for p in parts {
            self.path.push_str(p);
        }
    }

    /// One request and its response. A reused connection that turns out to be closed by the
    /// server is replaced once, transparently; every other failure is the caller's.
    fn request(
        &mut self,
        during: &'static str,
        method: &str,
        extra: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<Response, Error> {
        let reused = self.conn.is_some();
        let result = match self.attempt(during, method, extra, body) {
            Err(Attempt::Stale) if reused => {
                self.conn = None;
                self.attempt(during, method, extra, body)
            }
            r => r,
        };
        match result {
            Ok(resp) => {
                if resp.close {
                    self.conn = None;
                }
                Ok(resp)
            }
            Err(e) => {
                // Whatever state the stream is in, it cannot be trusted for the next request.
                self.conn = None;
                Err(match e {
                    // Stale covers a reset part-way through an answer too (found by the
                    // fault-injection suite), so the message must not claim nothing came.
                    Attempt::Stale => Error::Http {
                        during,
                        detail: "the server closed or reset the connection before a whole answer arrived".into(),
                    },
                    Attempt::Fatal(e) => e,
                })
            }
        }
    }

    fn attempt(
        &mut self,
        during: &'static str,
        method: &str,
        extra: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<Response, Attempt> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            slot => {
                let stream = connect(&self.endpoint, self.io_timeout).map_err(Attempt::Fatal)?;
                slot.insert(Conn::new(stream))
            }
        };
        conn.send(method, &self.path, &self.endpoint.authority, extra, body)
            .map_err(|e| classify(during, HttpError::Io(e)))?;
        conn.receive().map_err(|e| classify(during, e))
    }

    /// Any other request to the same server (the Extensions API), whose path is `parts`
    /// joined after the endpoint's prefix.
    pub fn call(
        &mut self,
        during: &'static str,
        method: &str,
        parts: &[&str],
        extra: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<Response, Error> {
        self.set_path(parts);
        self.request(during, method, extra, body)
    }

    /// Sends a `GET` whose answer is never read (the shutdown extension's `event/next`), on
    /// this client's connection (opened if it has none). The connection then belongs to
    /// that request, and stays open for as long as this client lives.
    pub fn send_only(
        &mut self,
        during: &'static str,
        parts: &[&str],
        extra: &[(&str, &[u8])],
    ) -> Result<(), Error> {
        self.set_path(parts);
        let conn = match &mut self.conn {
            Some(conn) => conn,
            slot => slot.insert(Conn::new(connect(&self.endpoint, self.io_timeout)?)),
        };
        conn.send("GET", &self.path, &self.endpoint.authority, extra, b"")
            .map_err(|source| Error::Io { during, source })
    }
}

/// A new connection to the Runtime API; reads and writes give up after `io_timeout`, if any.
fn connect(endpoint: &Endpoint, io_timeout: Option<Duration>) -> Result<TcpStream, Error> {
    let connected = match endpoint.addr {
        Some(addr) => TcpStream::connect(addr),
        None => connect_by_name(&endpoint.authority),
    };
    let stream = connected.map_err(|source| Error::Io {
        during: "connecting to the Runtime API",
        source,
    })?;
    // Requests are written whole; never wait for an ACK before sending.
    let _ = stream.set_nodelay(true);
    if io_timeout.is_some() {
        let _ = stream.set_read_timeout(io_timeout);
        let _ = stream.set_write_timeout(io_timeout);
    }
    Ok(stream)
}

#[cfg(feature = "dns")]
fn connect_by_name(authority: &str) -> std::io::Result<TcpStream> {
    TcpStream::connect(authority)
}

#[cfg(not(feature = "dns"))]
fn connect_by_name(authority: &str) -> std::io::Result<TcpStream> {
    // Endpoint::parse refuses host names without the feature; this keeps it that way.
    Err(std::io::Error::other(format!(
        "{authority}: host names need runtime-api's `dns` feature"
    )))
}

enum Attempt {
    /// Nothing came back on a connection the server may have dropped: worth one retry.
    Stale,
    Fatal(Error),
}

fn classify(during: &'static str, e: HttpError) -> Attempt {
    use std::io::ErrorKind::*;
    match e {
        HttpError::ClosedBeforeResponse => Attempt::Stale,
        HttpError::Io(e)
            if matches!(e.kind(), ConnectionReset | BrokenPipe | ConnectionAborted) =>
        {
            Attempt::Stale
        }
        HttpError::Io(source) => Attempt::Fatal(Error::Io { during, source }),
        HttpError::Malformed(detail) => Attempt::Fatal(Error::Http { during, detail }),
    }
}

pub(crate) fn posted(during: &'static str, resp: Response) -> Result<Posted, Error> {
    match resp.status {
        200..=299 => Ok(Posted::Accepted),
        400 | 403 | 413 => Ok(Posted::Refused(resp.status)),
        _ => Err(status_error(during, resp)),
    }
}

fn status_error(during: &'static str, resp: Response) -> Error {
    let mut body = String::from_utf8_lossy(&resp.body[..resp.body.len().min(512)]).into_owned();
    if resp.body.len() > 512 {
        body.push_str("...");
    }
    Error::Status {
        during,
        status: resp.status,
        body,
    }
}

/// An error type becomes a header value: keep it to printable ASCII.
pub(crate) fn header_safe(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .take(256)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "Error".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_header_cannot_inject() {
        assert_eq!(header_safe("Bad\r\nX-Evil: 1"), "Bad__X-Evil: 1");
        assert_eq!(header_safe(""), "Error");
        assert_eq!(header_safe("Runtime.Panic"), "Runtime.Panic");
    }
}
