//! A test bootstrap for the accuracy self-check: it reads CLOCK_MONOTONIC (the clock
//! behind `Instant`) at main start, just before writing each `GET /next`, when that
//! response is read, and just before writing its reply, and answers every event with
//! those readings as JSON. `PROBE_SLEEP_MS` delays the first `GET /next` (a known init);
//! with `PROBE_ERROR` set it posts them to `/error` instead (a function that fails).
use rayo_bench::procfs::monotonic_ns;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let main_ns = monotonic_ns();
    match run(main_ns) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-clockprobe: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads one HTTP response: (status, request id header, body).
fn read_response(r: &mut BufReader<TcpStream>) -> Result<(u16, Option<String>, Vec<u8>), String> {
    let mut line = String::new();
    r.read_line(&mut line)
        .map_err(|e| format!("read status line: {e}"))?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let (mut len, mut id) = (0usize, None);
    loop {
        line.clear();
        r.read_line(&mut line)
            .map_err(|e| format!("read header: {e}"))?;
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad content-length {v:?}"))?;
            } else if k.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                id = Some(v.trim().to_string());
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)
        .map_err(|e| format!("read body: {e}"))?;
    Ok((status, id, body))
}

fn run(main_ns: u64) -> Result<(), String> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| "AWS_LAMBDA_RUNTIME_API is not set".to_string())?;
    let host = api.strip_prefix("http://").unwrap_or(&api);
    let (addr, prefix) = match host.split_once('/') {
        Some((a, p)) => (a, format!("/{}", p.trim_end_matches('/'))),
        None => (host, String::new()),
    };
    if let Ok(ms) = std::env::var("PROBE_SLEEP_MS") {
        let ms: u64 = ms
            .parse()
            .map_err(|_| format!("bad PROBE_SLEEP_MS {ms:?}"))?;
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let (outcome, error_header) = match std::env::var_os("PROBE_ERROR") {
        Some(_) => (
            "error",
            "Lambda-Runtime-Function-Error-Type: Probe.Error\r\n",
        ),
        None => ("response", ""),
    };
    let stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut w = stream
        .try_clone()
        .map_err(|e| format!("clone socket: {e}"))?;
    let mut r = BufReader::new(stream);
    loop {
        let get = format!(
            "GET {prefix}/2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        );
        let next_send_ns = monotonic_ns();
        w.write_all(get.as_bytes())
            .map_err(|e| format!("send GET /next: {e}"))?;
        let (status, id, event) = read_response(&mut r)?;
        let next_recv_ns = monotonic_ns();
        if status != 200 {
            return Err(format!("GET /next answered {status}"));
        }
        let id = id.ok_or("no Lambda-Runtime-Aws-Request-Id header")?;
        let resp_send_ns = monotonic_ns();
        let body = format!(
            "{{\"main_ns\":{main_ns},\"next_send_ns\":{next_send_ns},\"next_recv_ns\":{next_recv_ns},\"resp_send_ns\":{resp_send_ns},\"event_len\":{}}}",
            event.len()
        );
        let post = format!(
            "POST {prefix}/2018-06-01/runtime/invocation/{id}/{outcome} HTTP/1.1\r\nHost: {addr}\r\n{error_header}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        w.write_all(post.as_bytes())
            .map_err(|e| format!("send response: {e}"))?;
        let (status, _, _) = read_response(&mut r)?;
        if status != 202 {
            return Err(format!("{outcome} POST answered {status}"));
        }
    }
}
