//! Response streaming end to end: the real `stream` binary against the emulator, which
//! decodes the chunked posts and records chunks, first-chunk time and trailers.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Running, T};
use rayo_emulator::{Config, OutcomeKind};

fn start() -> Running {
    let r = Running::start(
        Config::default(),
        &[],
        Command::new(env!("CARGO_BIN_EXE_stream")),
    );
    r.emu.wait_next(T).expect("first GET /next");
    r
}

fn invoke(r: &Running, event: &[u8]) -> rayo_emulator::Outcome {
    r.emu.invoke(event.to_vec(), T).expect("an outcome")
}

#[test]
fn a_streamed_echo_arrives_whole_in_chunks_over_one_connection() {
    let r = start();
    for i in 0..5 {
        let event = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i * 1000));
        let out = invoke(&r, event.as_bytes());
        assert_eq!(out.kind, OutcomeKind::Response);
        assert_eq!(out.body, event.as_bytes());
        let st = out.stream.expect("posted as a stream");
        assert_eq!(st.chunks, 2, "two flushed halves");
        assert_eq!(st.content_type.as_deref(), Some("application/octet-stream"));
        assert!(st.trailers.is_empty());
        let announced = st.announced_trailers.unwrap_or_default();
        assert!(
            announced.contains("Lambda-Runtime-Function-Error-Type")
                && announced.contains("Lambda-Runtime-Function-Error-Body"),
            "{announced}"
        );
    }
    assert_eq!(
        r.emu.stats().connections,
        1,
        "the stream keeps the connection"
    );
}

#[test]
fn a_mid_stream_error_is_sent_as_trailers() {
    let r = start();
    let out = invoke(&r, br#""rayo:stream-error""#);
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("StreamError".into())
        }
    );
    assert_eq!(out.body, b"partial output", "the bytes before the error");
    let st = out.stream.expect("posted as a stream");
    assert_eq!(st.error_type.as_deref(), Some("StreamError"));
    assert_eq!(
        String::from_utf8(st.error_body.expect("a base64 error body")).unwrap(),
        r#"{"errorMessage":"the stream broke after 14 bytes","errorType":"StreamError","stackTrace":[]}"#
    );
    // An error is an outcome, not the end.
    assert_eq!(invoke(&r, b"after").body, b"after");
}

#[test]
fn an_error_before_any_byte_is_a_plain_error_post() {
    let r = start();
    let out = invoke(&r, br#""rayo:early-error""#);
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("EarlyError".into())
        }
    );
    assert!(out.stream.is_none(), "posted to /error, not streamed");
    assert_eq!(
        String::from_utf8(out.body).unwrap(),
        r#"{"errorMessage":"nothing was written","errorType":"EarlyError","stackTrace":[]}"#
    );
    assert_eq!(invoke(&r, b"after").body, b"after");
}

#[test]
fn a_function_url_response_has_its_prelude() {
    let r = start();
    let out = invoke(&r, br#""rayo:url""#);
    assert_eq!(out.kind, OutcomeKind::Response);
    let (prelude, body) = out.http_integration().expect("prelude, 8 NULs, body");
    assert_eq!(
        std::str::from_utf8(prelude).unwrap(),
        r#"{"statusCode":201,"headers":{"content-type":"text/csv"},"cookies":["session=abc; Secure"]}"#
    );
    assert_eq!(body, b"a,b\n1,2\n");
}

#[test]
fn small_writes_are_gathered_into_few_chunks() {
    let r = start();
    let out = invoke(&r, br#""rayo:many""#);
    assert_eq!(out.body, b"0123456789".repeat(100_000));
    let chunks = out.stream.unwrap().chunks;
    // 1,000,000 bytes in 16 KiB chunks: 62, not 100,000.
    assert!((61..=70).contains(&chunks), "{chunks} chunks");
}

#[test]
fn the_first_chunk_arrives_before_the_handler_is_done() {
    let r = start();
    let out = invoke(&r, br#""rayo:slow""#);
    assert_eq!(out.body, b"firstsecond");
    let st = out.stream.unwrap();
    assert_eq!(st.content_type.as_deref(), Some("text/plain"));
    let first = st.first_chunk_at.expect("a first chunk");
    let gap = out.received_at.duration_since(first);
    // The handler sleeps 300 ms between its flushed first chunk and its end.
    assert!(
        gap >= Duration::from_millis(200),
        "first chunk only {gap:?} before the end"
    );
}

#[test]
fn a_panic_mid_stream_is_still_reported() {
    let mut r = start();
    let out = invoke(&r, br#""rayo:panic""#);
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Runtime.Panic".into())
        }
    );
    let body = String::from_utf8_lossy(&out.body).into_owned();
    assert!(body.contains("asked to panic"), "{body}");
    // Bounded: the process must exit by itself after the panic.
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = r.child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            start.elapsed() < T,
            "the function did not exit after its panic"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(!status.success(), "{status}");
}

/// Only with `--features http-events` (the `stream` bin then answers HTTP events).
#[cfg(feature = "http-events")]
#[test]
fn an_http_event_gets_a_streamed_function_url_response() {
    let r = start();
    let event = br#"{"version":"2.0","rawPath":"/hi","requestContext":{"http":{"method":"PUT","path":"/hi"}},"body":"AP8=","isBase64Encoded":true}"#;
    let out = invoke(&r, event);
    assert_eq!(out.kind, OutcomeKind::Response);
    let (prelude, body) = out.http_integration().expect("prelude, 8 NULs, body");
    assert_eq!(
        prelude,
        br#"{"statusCode":200,"headers":{"content-type":"text/plain"},"cookies":[]}"#
    );
    assert_eq!(body, b"PUT /hi\n\x00\xff");
}
