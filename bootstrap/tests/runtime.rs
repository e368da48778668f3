//! The runtime end to end: the real `echo` binary against the emulator.

mod common;

use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use common::{Running, T};
use rayo_emulator::{Config, Fault, Invocation, OutcomeKind};

impl Running {
    /// Waits (bounded) for the function process to exit by itself.
    fn exit_status(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < T,
                "the bootstrap did not exit within {T:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn still_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

fn start_with(config: Config, env: &[(&str, &str)]) -> Running {
    Running::start(config, env, Command::new(env!("CARGO_BIN_EXE_echo")))
}

fn start() -> Running {
    start_with(Config::default(), &[])
}

fn body_str(body: &[u8]) -> &str {
    std::str::from_utf8(body).expect("utf-8 body")
}

#[test]
fn echo_round_trip_keeps_bytes_exact() {
    let r = start();
    r.emu.wait_next(T).expect("first GET /next");
    let out = r.emu.invoke(br#"{"hello":"world"}"#.to_vec(), T).unwrap();
    assert_eq!(out.kind, OutcomeKind::Response);
    assert_eq!(out.body, br#"{"hello":"world"}"#);
    // Bodies are bytes: nothing may be converted lossily on the way.
    let binary: Vec<u8> = (0..=255u8).rev().cycle().take(100_000).collect();
    let out = r.emu.invoke(binary.clone(), T).unwrap();
    assert_eq!(out.body, binary);
    let out = r.emu.invoke(Vec::new(), T).unwrap();
    assert_eq!(out.kind, OutcomeKind::Response);
    assert!(out.body.is_empty());
}

#[test]
fn every_header_reaches_the_context() {
    let config = Config {
        function_name: "ctx-fn".into(),
        function_version: "7".into(),
        memory_mb: 1769,
        log_group: "/aws/lambda/ctx-fn".into(),
        log_stream: "2026/11/24/[7]abc".into(),
        ..Config::default()
    };
    let r = start_with(config, &[]);
    let mut inv = Invocation::new(br#""rayo:context""#.to_vec());
    inv.request_id = "5a1f-request".into();
    inv.deadline_ms = 1_900_000_000_123;
    inv.function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ctx-fn:live".into();
    inv.trace_id =
        Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into());
    inv.client_context = Some(r#"{"client":{"app_title":"t"},"custom":{"k":"v \"q\""}}"#.into());
    inv.cognito_identity =
        Some(r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#.into());
    inv.tenant_id = Some("tenant-42".into());
    let id = r.emu.enqueue(inv.clone());
    let out = r.emu.wait(&id, T).unwrap();
    assert_eq!(out.kind, OutcomeKind::Response, "{}", body_str(&out.body));
    #[derive(miniserde::Deserialize)]
    struct Seen {
        request_id: String,
        deadline_ms: String,
        invoked_function_arn: String,
        xray_trace_id: Option<String>,
        client_context: Option<String>,
        identity: Option<String>,
        tenant_id: Option<String>,
        function_name: String,
        version: String,
        memory_size_mb: Option<String>,
        log_group: String,
        log_stream: String,
        trace_env: Option<String>,
    }
    let seen: Seen = miniserde::json::from_str(body_str(&out.body)).expect("context JSON");
    assert_eq!(seen.request_id, "5a1f-request");
    assert_eq!(seen.deadline_ms, "1900000000123");
    assert_eq!(seen.invoked_function_arn, inv.function_arn);
    assert_eq!(seen.xray_trace_id, inv.trace_id);
    assert_eq!(
        seen.trace_env, inv.trace_id,
        "_X_AMZN_TRACE_ID is set per invocation"
    );
    assert_eq!(seen.client_context, inv.client_context);
    assert_eq!(seen.identity, inv.cognito_identity);
    assert_eq!(seen.tenant_id.as_deref(), Some("tenant-42"));
    assert_eq!(seen.function_name, "ctx-fn");
    assert_eq!(seen.version, "7");
    assert_eq!(seen.memory_size_mb.as_deref(), Some("1769"));
    assert_eq!(seen.log_group, "/aws/lambda/ctx-fn");
    assert_eq!(seen.log_stream, "2026/11/24/[7]abc");

    // The next invocation has no trace id: the variable must not leak from the last one.
    let mut bare = Invocation::new(br#""rayo:context""#.to_vec());
    bare.trace_id = None;
    bare.client_context = None;
    bare.cognito_identity = None;
    bare.tenant_id = None;
    let id = r.emu.enqueue(bare);
    let out = r.emu.wait(&id, T).unwrap();
    let seen: Seen = miniserde::json::from_str(body_str(&out.body)).unwrap();
    assert_eq!(seen.trace_env, None);
    assert_eq!(seen.xray_trace_id, None);
    assert_eq!(seen.tenant_id, None);
    assert_eq!(seen.client_context, None);
}

#[test]
fn handler_error_is_posted_with_its_type() {
    let mut r = start();
    let out = r.emu.invoke(br#""rayo:error""#.to_vec(), T).unwrap();
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("EchoError".into())
        }
    );
    assert_eq!(
        body_str(&out.body),
        r#"{"errorMessage":"echo was asked to fail","errorType":"EchoError","stackTrace":[]}"#
    );
    // An error is an outcome, not the end: the function goes on.
    assert_eq!(r.emu.invoke(b"after".to_vec(), T).unwrap().body, b"after");
    assert!(r.still_running());
}

#[test]
fn init_error_is_posted_and_the_process_exits_non_zero() {
    let mut r = start_with(
        Config::default(),
        &[("RAYO_ECHO_FAIL_INIT", "no model \"m.bin\"")],
    );
    let init = r.emu.wait_init_error(T).expect("init error posted");
    assert_eq!(init.error_type.as_deref(), Some("EchoInitError"));
    assert_eq!(
        body_str(&init.body),
        r#"{"errorMessage":"no model \"m.bin\"","errorType":"EchoInitError","stackTrace":[]}"#
    );
    let status = r.exit_status();
    assert!(!status.success(), "{status}");
}

#[test]
fn panic_is_reported_before_the_process_dies() {
    let mut r = start();
    let out = r.emu.invoke(br#""rayo:panic""#.to_vec(), T).unwrap();
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Runtime.Panic".into())
        }
    );
    let body = body_str(&out.body);
    assert!(body.contains("echo was asked to panic"), "{body}");
    assert!(
        body.contains("echo.rs:"),
        "the location is reported: {body}"
    );
    assert!(!r.exit_status().success());
}

#[test]
fn reconnects_once_when_the_server_closed_the_connection() {
    let r = start();
    r.emu.inject(Fault::CloseAfterResponse);
    assert_eq!(r.emu.invoke(b"1".to_vec(), T).unwrap().body, b"1");
    assert_eq!(r.emu.invoke(b"2".to_vec(), T).unwrap().body, b"2");
    assert_eq!(r.emu.invoke(b"3".to_vec(), T).unwrap().body, b"3");
    assert_eq!(r.emu.stats().connections, 2);
}

#[test]
fn a_thousand_invocations_over_one_connection() {
    let r = start();
    for i in 0..1000u32 {
        let event = format!("{{\"i\":{i}}}").into_bytes();
        let out = r.emu.invoke(event.clone(), T).unwrap();
        assert_eq!(out.body, event);
    }
    let stats = r.emu.stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.responses, 1000);
}

#[test]
fn refused_posts_are_logged_and_the_loop_goes_on() {
    let mut r = start();
    for status in [400, 403, 413] {
        r.emu.inject(Fault::PostStatus(status));
        let _ = r.emu.invoke(format!("refused {status}").into_bytes(), T);
        assert_eq!(r.emu.invoke(b"next".to_vec(), T).unwrap().body, b"next");
    }
    assert!(r.still_running());
}

#[test]
fn a_response_over_the_limit_gets_413_and_the_function_goes_on() {
    let mut r = start();
    // Echoing 7 MB makes a response above Lambda's 6,291,556-byte limit.
    let big = vec![b'x'; 7 * 1024 * 1024];
    let _ = r.emu.invoke(big, T);
    assert_eq!(r.emu.invoke(b"small".to_vec(), T).unwrap().body, b"small");
    assert!(r.still_running());
}

fn exits_after(fault: Fault) {
    let mut r = start();
    r.emu.wait_next(T).expect("first GET /next");
    // The fault applies to the next /next answer or post; an invocation triggers it.
    r.emu.inject(fault.clone());
    let _ = r.emu.invoke(b"x".to_vec(), Duration::from_secs(2));
    let status = r.exit_status();
    assert!(!status.success(), "{fault:?}: {status}");
}

#[test]
fn a_500_from_next_stops_the_function() {
    exits_after(Fault::NextStatus(500));
}

#[test]
fn an_unexpected_status_from_next_stops_the_function() {
    exits_after(Fault::NextStatus(404));
}

#[test]
fn a_500_on_a_post_stops_the_function() {
    exits_after(Fault::PostStatus(500));
}

#[test]
fn malformed_headers_stop_the_function() {
    exits_after(Fault::MalformedHeaders);
}

#[test]
fn a_connection_closed_mid_body_stops_the_function() {
    exits_after(Fault::CloseMidBody);
}

#[test]
fn chunked_events_and_delays_are_fine() {
    let r = start();
    r.emu.inject(Fault::ChunkedNext);
    assert_eq!(
        r.emu.invoke(b"chunked event".to_vec(), T).unwrap().body,
        b"chunked event"
    );
    r.emu.inject(Fault::DelayNext(Duration::from_millis(300)));
    assert_eq!(r.emu.invoke(b"late".to_vec(), T).unwrap().body, b"late");
}

#[test]
fn url_form_with_a_prefix_is_accepted() {
    let config = Config {
        url_prefix: Some("/.rt/fn/echo".into()),
        ..Config::default()
    };
    let r = start_with(config, &[]);
    assert!(r.emu.runtime_api().starts_with("http://127.0.0.1:"));
    assert_eq!(
        r.emu.invoke(b"prefixed".to_vec(), T).unwrap().body,
        b"prefixed"
    );
}

#[test]
fn an_unsafe_request_id_is_refused_not_put_in_a_path() {
    let mut r = start();
    let mut inv = Invocation::new(b"x".to_vec());
    inv.request_id = "../../init/error".into();
    r.emu.enqueue(inv);
    let status = r.exit_status();
    assert!(!status.success());
    let stats = r.emu.stats();
    assert_eq!(stats.responses + stats.errors, 0, "nothing was posted");
    assert!(r.emu.wait_init_error(Duration::from_millis(200)).is_err());
}

#[test]
fn missing_runtime_api_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_echo"))
        .env_clear()
        .output()
        .expect("run echo");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS_LAMBDA_RUNTIME_API"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_echo"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:notaport")
        .output()
        .expect("run echo");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:notaport"));
}

#[test]
fn an_unreachable_runtime_api_is_an_error_not_a_hang() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_echo"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .output()
        .expect("run echo");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("connecting to the Runtime API"));
}

#[test]
fn a_silent_runtime_api_cannot_hang_a_panicking_function() {
    use std::io::{Read, Write};
    // A fake Runtime API: answers the first GET /next with an event that makes echo panic,
    // then accepts the panic report's connection and never answers it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut first, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = first.read(&mut buf);
        let event = br#""rayo:panic""#;
        let head = format!(
            "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\n\
             Lambda-Runtime-Deadline-Ms: 4102444800000\r\nContent-Length: {}\r\n\r\n",
            event.len()
        );
        let _ = first.write_all(head.as_bytes());
        let _ = first.write_all(event);
        // The report arrives on a second connection; hold it open, silent, until the
        // function is gone (bounded by the listener's own timeout below).
        listener.set_nonblocking(false).unwrap();
        let report = listener.accept().map(|(s, _)| s);
        std::thread::sleep(Duration::from_secs(8));
        drop((first, report));
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_echo"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn echo");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(7) {
            let _ = child.kill();
            panic!("the panicking function hung on a silent Runtime API");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(!status.success());
    // The report gives up after its 2 s timeout, not the 8 s the server stays silent.
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    let _ = server.join();
}
