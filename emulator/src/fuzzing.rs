//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay test. Built only
//! with the non-default `fuzzing` feature.
//!
//! Each function takes arbitrary bytes, must never panic on them, and asserts the request
//! reader's own invariants: an assertion failing here is a bug the fuzzer reports.

use std::io::{self, Read};

use crate::http::{Body, Framing, Reader};
use crate::EmuError;

/// A reader that hands out its input `step` bytes at a time.
struct Drip<'a> {
    input: &'a [u8],
    step: usize,
}

impl Read for Drip<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Request {
        method: String,
        target: String,
        keep_alive: bool,
        body: Option<Vec<u8>>,
    },
    End,
    Error(String),
}

fn read_all(input: &[u8], step: usize, limit: usize) -> Vec<Seen> {
    let never = || false;
    let mut reader = Reader::new(Drip { input, step });
    let mut seen = Vec::new();
    // Pipelined requests, as a keep-alive client may send them.
    for _ in 0..8 {
        match reader.read_request(limit, &never) {
            Ok(None) => {
                seen.push(Seen::End);
                break;
            }
            Ok(Some(req)) => {
                let head = &req.head;
                assert!(head.target.starts_with('/'), "target {:?}", head.target);
                assert!(!head.method.is_empty());
                for (name, value) in &head.headers {
                    assert_eq!(name, &name.to_ascii_lowercase());
                    assert!(!value.contains(['\r', '\n', '\0']), "value {value:?}");
                }
                let framing = head.framing();
                let body = match req.body {
                    Body::Complete(b) => {
                        assert!(b.len() <= limit, "body of {} over limit {limit}", b.len());
                        if let Ok(Framing::Length(n)) = framing {
                            assert_eq!(b.len() as u64, n);
                        }
                        Some(b)
                    }
                    Body::TooLarge { .. } => None,
                };
                let too_large = body.is_none();
                seen.push(Seen::Request {
                    method: head.method.clone(),
                    target: head.target.clone(),
                    keep_alive: head.keep_alive(),
                    body,
                });
                if too_large {
                    break;
                }
            }
            Err(e) => {
                let message = e.to_string();
                assert!(
                    matches!(e, EmuError::BadRequest { .. }),
                    "unexpected error kind: {message}"
                );
                seen.push(Seen::Error(message));
                break;
            }
        }
    }
    seen
}

/// The emulator's request reader and head parser (request line, headers, Content-Length
/// and chunked bodies, pipelining). The first byte picks the read size, the second the body
/// limit; the answer must not depend on how reads split the input.
pub fn request(data: &[u8]) {
    let [a, b, input @ ..] = data else {
        return;
    };
    let step = usize::from(a % 32) + 1;
    let limit = usize::from(*b) * 16;
    let dripped = read_all(input, step, limit);
    let whole = read_all(input, usize::MAX, limit);
    assert_eq!(
        dripped, whole,
        "the parse depends on how reads split the input"
    );
}
