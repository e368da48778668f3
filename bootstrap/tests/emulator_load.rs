//! The emulator under load: many concurrent clients on its invoke endpoint
//! (`Emulator::serve_invoke`), one real `echo` bootstrap behind it. Every request must be
//! answered (or refused with a clear status), none twice, none lost, and nothing may deadlock:
//! every wait is bounded.
//!
//! (It lives with the bootstrap's tests because it needs the `echo` binary.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rayo_emulator::{Config, Emulator};

const IO_LIMIT: Duration = Duration::from_secs(30);

struct Running {
    emu: Emulator,
    child: Child,
    invoke: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(timeout: Duration) -> Running {
    let config = Config {
        timeout,
        ..Config::default()
    };
    let emu = Emulator::start(config).expect("emulator starts");
    let invoke = emu.serve_invoke(0).expect("invoke endpoint");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_echo"));
    cmd.stderr(Stdio::null());
    let child = emu.spawn(cmd).expect("spawn echo");
    Running { emu, child, invoke }
}

/// One answer from the invoke endpoint.
#[derive(Debug)]
struct Answer {
    status: u16,
    function_error: bool,
    request_id: Option<String>,
    body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 client for the invoke endpoint, enough for this test.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the invoke endpoint");
        stream.set_read_timeout(Some(IO_LIMIT)).expect("timeout");
        stream.set_write_timeout(Some(IO_LIMIT)).expect("timeout");
        let _ = stream.set_nodelay(true);
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    fn invoke(&mut self, event: &[u8]) -> Result<Answer, String> {
        let head = format!(
            "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n\
             Host: localhost\r\nContent-Length: {}\r\n\r\n",
            event.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(event);
        self.stream
            .write_all(&req)
            .map_err(|e| format!("write: {e}"))?;
        self.read_answer()
    }

    fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err("the endpoint closed the connection".into()),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => Err(format!("read: {e}")),
        }
    }

    fn read_answer(&mut self) -> Result<Answer, String> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let mut length = 0usize;
        let mut function_error = false;
        let mut request_id = None;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                return Err(format!("bad header line {line:?}"));
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => {
                    length = value.parse().map_err(|_| format!("bad length {value}"))?
                }
                "x-amz-function-error" => function_error = true,
                "x-amzn-requestid" => request_id = Some(value.to_string()),
                "transfer-encoding" => return Err("unexpected chunked answer".into()),
                _ => {}
            }
        }
        let start = head_end + 4;
        while self.buf.len() < start + length {
            self.fill()?;
        }
        let body = self.buf[start..start + length].to_vec();
        self.buf.drain(..start + length);
        Ok(Answer {
            status,
            function_error,
            request_id,
            body,
        })
    }
}

#[test]
fn many_concurrent_invokes_against_one_bootstrap_all_get_their_own_answer() {
    const CLIENTS: usize = 48;
    const EACH: usize = 25;
    let r = start(Duration::from_secs(60));
    let began = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let addr = r.invoke;
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                let mut ids = Vec::new();
                for i in 0..EACH {
                    // Distinct events, some large, some asking for an error, so a mixed-up
                    // or truncated answer cannot pass.
                    let event = match i % 10 {
                        3 => br#""rayo:error""#.to_vec(),
                        7 => {
                            let mut e = format!("big {c} {i} ").into_bytes();
                            e.resize(256 * 1024, b'a' + (c % 26) as u8);
                            e
                        }
                        _ => format!("{{\"client\":{c},\"i\":{i}}}").into_bytes(),
                    };
                    let a = client
                        .invoke(&event)
                        .unwrap_or_else(|e| panic!("client {c} invoke {i}: {e}"));
                    assert_eq!(a.status, 200, "client {c} invoke {i}: {a:?}");
                    if i % 10 == 3 {
                        assert!(a.function_error, "client {c} invoke {i}");
                        let body = String::from_utf8_lossy(&a.body);
                        assert!(body.contains("EchoError"), "{body}");
                    } else {
                        assert!(!a.function_error, "client {c} invoke {i}: {a:?}");
                        assert!(a.body == event, "client {c} invoke {i}: another answer");
                    }
                    ids.push(a.request_id.expect("X-Amzn-RequestId"));
                }
                ids
            })
        })
        .collect();
    let mut ids: Vec<String> = Vec::new();
    for w in workers {
        ids.extend(w.join().expect("a client thread failed"));
    }
    let total = CLIENTS * EACH;
    assert_eq!(ids.len(), total);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "every invocation has its own request id");
    let stats = r.emu.stats();
    assert_eq!(
        stats.responses + stats.errors,
        total,
        "no lost, no extra outcome"
    );
    assert_eq!(
        stats.connections, 1,
        "one bootstrap, one kept-alive connection"
    );
    eprintln!(
        "{total} invokes from {CLIENTS} clients in {:?}",
        began.elapsed()
    );
}

#[test]
fn a_burst_of_connections_each_with_one_invoke() {
    const BURST: usize = 200;
    let r = start(Duration::from_secs(60));
    let workers: Vec<_> = (0..BURST)
        .map(|n| {
            let addr = r.invoke;
            std::thread::spawn(move || {
                let event = format!("burst {n}").into_bytes();
                let a = Client::connect(addr).invoke(&event);
                (event, a)
            })
        })
        .collect();
    for w in workers {
        let (event, a) = w.join().expect("client thread");
        let a = a.unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&event)));
        assert_eq!(a.status, 200);
        assert_eq!(a.body, event);
    }
    let stats = r.emu.stats();
    assert_eq!(stats.responses, BURST);
}

#[test]
fn when_the_function_is_too_slow_every_caller_gets_a_clear_timeout_not_a_hang() {
    // A 300 ms timeout and a handler that sleeps 500 ms: queued callers time out with the
    // Lambda-style Sandbox.Timedout error (200 + X-Amz-Function-Error), and the function's
    // late answers do not confuse later invocations.
    const CALLERS: usize = 6;
    let r = start(Duration::from_millis(300));
    let workers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let addr = r.invoke;
            std::thread::spawn(move || Client::connect(addr).invoke(br#""rayo:sleep""#))
        })
        .collect();
    for w in workers {
        let a = w.join().expect("caller").expect("an answer");
        assert_eq!(a.status, 200);
        assert!(a.function_error);
        let body = String::from_utf8_lossy(&a.body);
        assert!(body.contains("Sandbox.Timedout"), "{body}");
    }
    // The handler is still busy with the first event at most 500 ms more; then fresh
    // invocations with a generous wait are answered normally.
    std::thread::sleep(Duration::from_millis(600));
    let r2_event = b"after the timeouts".to_vec();
    let out = r.emu.invoke(r2_event.clone(), Duration::from_secs(10));
    let out = out.expect("the function serves again");
    assert_eq!(out.body, r2_event);
}

#[test]
fn bad_requests_on_the_invoke_endpoint_get_clear_statuses() {
    let r = start(Duration::from_secs(10));
    let mut c = Client::connect(r.invoke);
    c.stream
        .write_all(b"GET /2015-03-31/functions/function/invocations HTTP/1.1\r\n\r\n")
        .expect("write");
    assert_eq!(c.read_answer().expect("answer").status, 405);
    c.stream
        .write_all(b"POST /nowhere HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        .expect("write");
    assert_eq!(c.read_answer().expect("answer").status, 404);
    let too_big = vec![b'x'; rayo_emulator::MAX_RESPONSE_BYTES + 1];
    let a = c.invoke(&too_big).expect("answer");
    assert_eq!(a.status, 413);
    assert!(String::from_utf8_lossy(&a.body).contains("RequestEntityTooLarge"));
    let mut c = Client::connect(r.invoke);
    c.stream
        .write_all(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        .expect("write");
    assert_eq!(c.read_answer().expect("answer").status, 400);
    // The function is unaffected.
    assert_eq!(
        Client::connect(r.invoke)
            .invoke(b"fine")
            .expect("answer")
            .body,
        b"fine"
    );
}
