//! A deliberately plain HTTP/1.1 client over `TcpStream` for driving the emulator in tests
//! (independent of the runtime-api crate, so the two check each other).
#![allow(dead_code)]
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub(crate) const WAIT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub(crate) struct Client {
    pub reader: BufReader<TcpStream>,
    pub writer: TcpStream,
}

impl Client {
    pub(crate) fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the emulator");
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        // Head and body go out in separate writes; without this Nagle holds the body
        // back until the delayed ACK (40 ms).
        stream.set_nodelay(true).expect("nodelay");
        let writer = stream.try_clone().expect("clone");
        Client {
            reader: BufReader::new(stream),
            writer,
        }
    }

    pub(crate) fn send(&mut self, raw: &[u8]) {
        self.writer.write_all(raw).expect("write request");
    }

    pub(crate) fn get(&mut self, path: &str) -> Resp {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        self.read_response().expect("a response")
    }

    pub(crate) fn post(&mut self, path: &str, extra_headers: &str, body: &[u8]) -> Resp {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{extra_headers}Content-Length: {}\r\n\r\n",
            body.len()
        );
        self.send(head.as_bytes());
        self.send(body);
        self.read_response().expect("a response")
    }

    /// Reads one response; `Err` says why none could be read (EOF, bad framing...).
    pub(crate) fn read_response(&mut self) -> Result<Resp, String> {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("EOF before the status line".into());
        }
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader
                .read_line(&mut h)
                .map_err(|e| format!("read: {e}"))?;
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| format!("malformed header line {h:?}"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let mut body = Vec::new();
        if get("transfer-encoding").as_deref() == Some("chunked") {
            loop {
                let mut size = String::new();
                self.reader
                    .read_line(&mut size)
                    .map_err(|e| format!("read: {e}"))?;
                let size = usize::from_str_radix(size.trim(), 16)
                    .map_err(|_| format!("bad chunk size {size:?}"))?;
                let mut chunk = vec![0; size + 2];
                self.reader
                    .read_exact(&mut chunk)
                    .map_err(|e| format!("chunk: {e}"))?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(len) = get("content-length") {
            let len: usize = len.parse().map_err(|_| format!("bad length {len:?}"))?;
            body = vec![0; len];
            self.reader
                .read_exact(&mut body)
                .map_err(|e| format!("body ({len} bytes): {e}"))?;
        }
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    /// True when the server closes the connection (EOF or reset within the read timeout),
    /// skipping whatever unread bytes remain before it.
    pub(crate) fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 4096];
        loop {
            match self.reader.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => {
                    return !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    )
                }
            }
        }
    }
}

pub(crate) const NEXT: &str = "/2018-06-01/runtime/invocation/next";

pub(crate) fn response_path(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/response")
}

pub(crate) fn error_path(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/error")
}
