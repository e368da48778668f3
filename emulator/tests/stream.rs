//! Streamed responses against the emulator, from a hand-written client: what the emulator
//! records, and the invoke endpoint passing the stream through while it is being written.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

/// A minimal runtime: takes one invocation off `/next`, returns the connection and the id.
fn next(emu: &Emulator) -> (TcpStream, String) {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut s);
    let id = head
        .lines()
        .find_map(|l| l.strip_prefix("Lambda-Runtime-Aws-Request-Id: "))
        .expect("request id")
        .to_string();
    (s, id)
}

/// Reads one Content-Length response: head and body.
fn read_response(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "connection closed in a head");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0; len];
    s.read_exact(&mut body).unwrap();
    (head, body)
}

fn stream_head(id: &str, content_type: &str) -> String {
    format!(
        "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: x\r\n\
         Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\
         Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn a_stream_is_recorded_with_its_chunks_and_first_chunk_time() {
    let emu = Emulator::start(Config::default()).unwrap();
    let id = emu.enqueue(emu.invocation(b"{}".to_vec()));
    let (mut s, got) = next(&emu);
    assert_eq!(got, id);
    s.write_all(stream_head(&id, "text/plain").as_bytes())
        .unwrap();
    s.write_all(&chunk(b"hello ")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&chunk(b"world")).unwrap();
    s.write_all(b"0\r\n\r\n").unwrap();
    let (head, _) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 202"), "{head}");
    let out = emu.wait(&id, T).unwrap();
    assert_eq!(out.kind, OutcomeKind::Response);
    assert_eq!(out.body, b"hello world");
    let st = out.stream.expect("recorded as a stream");
    assert_eq!(st.content_type.as_deref(), Some("text/plain"));
    assert_eq!(st.chunks, 2);
    assert!(st.trailers.is_empty());
    assert_eq!(st.error_type, None);
    assert!(st
        .announced_trailers
        .unwrap()
        .contains("Lambda-Runtime-Function-Error-Body"));
    let first = st.first_chunk_at.expect("first chunk time");
    // The second chunk was written 300 ms after the first: the stamp is the first's.
    assert!(
        out.received_at.duration_since(first) >= Duration::from_millis(200),
        "first chunk at {:?} before the end",
        out.received_at.duration_since(first)
    );
}

#[test]
fn error_trailers_make_an_error_outcome_with_the_decoded_body() {
    let emu = Emulator::start(Config::default()).unwrap();
    let id = emu.enqueue(emu.invocation(b"{}".to_vec()));
    let (mut s, _) = next(&emu);
    let mut req = stream_head(&id, "application/octet-stream").into_bytes();
    req.extend_from_slice(&chunk(b"part"));
    // base64 of {"errorMessage":"boom","errorType":"Oops"}
    req.extend_from_slice(
        b"0\r\nLambda-Runtime-Function-Error-Type: Oops\r\n\
          Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJib29tIiwiZXJyb3JUeXBlIjoiT29wcyJ9\r\n\r\n",
    );
    s.write_all(&req).unwrap();
    let (head, _) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 202"), "{head}");
    let out = emu.wait(&id, T).unwrap();
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Oops".into())
        }
    );
    assert_eq!(out.body, b"part");
    let st = out.stream.unwrap();
    assert_eq!(st.error_type.as_deref(), Some("Oops"));
    assert_eq!(
        st.error_body.as_deref(),
        Some(&br#"{"errorMessage":"boom","errorType":"Oops"}"#[..])
    );
    assert_eq!(st.trailers.len(), 2);
    assert_eq!(emu.stats().errors, 1);
}

#[test]
fn a_malformed_trailer_is_a_bad_request() {
    let emu = Emulator::start(Config::default()).unwrap();
    let id = emu.enqueue(emu.invocation(b"{}".to_vec()));
    let (mut s, _) = next(&emu);
    let mut req = stream_head(&id, "text/plain").into_bytes();
    req.extend_from_slice(b"1\r\na\r\n0\r\nno colon here\r\n\r\n");
    s.write_all(&req).unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("malformed trailer line"));
    assert_eq!(emu.stats().malformed_requests, 1);
}

#[test]
fn a_function_url_prelude_is_split_from_the_body() {
    let emu = Emulator::start(Config::default()).unwrap();
    let id = emu.enqueue(emu.invocation(b"{}".to_vec()));
    let (mut s, _) = next(&emu);
    let mut req =
        stream_head(&id, "application/vnd.awslambda.http-integration-response").into_bytes();
    req.extend_from_slice(&chunk(br#"{"statusCode":201}"#));
    req.extend_from_slice(&chunk(&[0; 8]));
    req.extend_from_slice(&chunk(b"body"));
    req.extend_from_slice(b"0\r\n\r\n");
    s.write_all(&req).unwrap();
    read_response(&mut s);
    let out = emu.wait(&id, T).unwrap();
    let (prelude, body) = out.http_integration().expect("split");
    assert_eq!(prelude, br#"{"statusCode":201}"#);
    assert_eq!(body, b"body");
}

/// Reads one chunk of a chunked response (size line, data, CRLF).
fn read_chunk(r: &mut BufReader<TcpStream>) -> Vec<u8> {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
    let mut data = vec![0; size + 2];
    r.read_exact(&mut data).unwrap();
    assert!(data.ends_with(b"\r\n"));
    data.truncate(size);
    data
}

/// A caller of the emulator's invoke endpoint that has sent `{}`.
fn invoke_caller(emu: &Emulator) -> TcpStream {
    let mut caller = TcpStream::connect(emu.serve_invoke(0).unwrap()).unwrap();
    caller.set_read_timeout(Some(T)).unwrap();
    caller
        .write_all(
            b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\n\
              Content-Length: 2\r\n\r\n{}",
        )
        .unwrap();
    caller
}

#[test]
fn the_invoke_endpoint_passes_the_stream_through_as_it_arrives() {
    let emu = Emulator::start(Config::default()).unwrap();
    let caller = invoke_caller(&emu);
    let (mut s, id) = next(&emu);
    s.write_all(stream_head(&id, "text/event-stream").as_bytes())
        .unwrap();
    s.write_all(&chunk(b"data: 1\n\n")).unwrap();

    // The caller sees the head and the first chunk while the function is still writing.
    let mut r = BufReader::new(caller);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("Content-Type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    let started = Instant::now();
    assert_eq!(read_chunk(&mut r), b"data: 1\n\n");
    assert!(started.elapsed() < T);

    s.write_all(&chunk(b"data: 2\n\n")).unwrap();
    s.write_all(
        b"0\r\nLambda-Runtime-Function-Error-Type: Late\r\n\
          Lambda-Runtime-Function-Error-Body: e30=\r\n\r\n",
    )
    .unwrap();
    read_response(&mut s);
    let mut rest = Vec::new();
    loop {
        let c = read_chunk_or_end(&mut r);
        match c {
            Some(c) => rest.extend_from_slice(&c),
            None => break,
        }
    }
    assert_eq!(rest, b"data: 2\n\n");
    let mut trailers = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        trailers.push_str(&line);
    }
    assert!(
        trailers.contains("Lambda-Runtime-Function-Error-Type: Late\r\n"),
        "{trailers}"
    );
    assert!(
        trailers.contains("Lambda-Runtime-Function-Error-Body: e30=\r\n"),
        "{trailers}"
    );
}

/// A chunk's data, or `None` at the last (zero-length) chunk.
fn read_chunk_or_end(r: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
    if size == 0 {
        return None;
    }
    let mut data = vec![0; size + 2];
    r.read_exact(&mut data).unwrap();
    data.truncate(size);
    Some(data)
}

#[test]
fn an_error_posted_mid_stream_ends_the_passed_through_stream_with_its_type() {
    let emu = Emulator::start(Config::default()).unwrap();
    let caller = invoke_caller(&emu);
    let (mut s, id) = next(&emu);
    s.write_all(stream_head(&id, "text/plain").as_bytes())
        .unwrap();
    s.write_all(&chunk(b"before the panic")).unwrap();
    let mut r = BufReader::new(caller);
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    assert_eq!(read_chunk(&mut r), b"before the panic");
    // As a panic hook does: /error on a fresh connection while the stream is still open.
    let mut hook = TcpStream::connect(emu.addr()).unwrap();
    hook.set_read_timeout(Some(T)).unwrap();
    let body = br#"{"errorMessage":"boom","errorType":"Runtime.Panic"}"#;
    hook.write_all(
        format!(
            "POST /2018-06-01/runtime/invocation/{id}/error HTTP/1.1\r\nHost: x\r\n\
             Lambda-Runtime-Function-Error-Type: Runtime.Panic\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    hook.write_all(body).unwrap();
    let (head, _) = read_response(&mut hook);
    assert!(head.starts_with("HTTP/1.1 202"), "{head}");
    assert_eq!(read_chunk_or_end(&mut r), None, "the stream ends");
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        "Lambda-Runtime-Function-Error-Type: Runtime.Panic\r\n"
    );
}
