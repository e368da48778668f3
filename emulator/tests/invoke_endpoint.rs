//! `POST /2015-03-31/functions/function/invocations`, with a raw client playing the
//! function on the Runtime API side.
mod common;

use common::{error_path, response_path, Client, NEXT};
use rayo_emulator::{Config, Emulator};
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

const INVOKE: &str = "/2015-03-31/functions/function/invocations";

/// A fake function: echoes events, except `"fail"`, which it reports as an error.
fn fake_function(addr: SocketAddr, rounds: usize) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut c = Client::connect(addr);
        for _ in 0..rounds {
            let next = c.get(NEXT);
            let id = next
                .header("Lambda-Runtime-Aws-Request-Id")
                .expect("request id")
                .to_string();
            let r = if next.body == b"\"fail\"" {
                c.post(
                    &error_path(&id),
                    "Lambda-Runtime-Function-Error-Type: Handler.Fail\r\n",
                    br#"{"errorMessage":"asked to fail","errorType":"Handler.Fail"}"#,
                )
            } else {
                let mut body = b"echo:".to_vec();
                body.extend_from_slice(&next.body);
                c.post(&response_path(&id), "", &body)
            };
            assert_eq!(r.status, 202);
        }
    })
}

#[test]
fn invoke_returns_the_response_or_the_error_json() {
    let emu = Emulator::start(Config::default()).expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    assert_ne!(invoke_addr.port(), emu.addr().port());
    // The tap sees every outcome even though the invoke endpoint is the one waiting for it.
    let tap = emu.outcomes();
    let function = fake_function(emu.addr(), 3);

    let mut c = Client::connect(invoke_addr);
    let ok = c.post(INVOKE, "Content-Type: application/json\r\n", b"{\"a\":1}");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, b"echo:{\"a\":1}");
    assert_eq!(ok.header("X-Amz-Function-Error"), None);
    assert!(ok
        .header("X-Amzn-RequestId")
        .is_some_and(|id| id.len() == 36));

    let failed = c.post(INVOKE, "", b"\"fail\"");
    assert_eq!(failed.status, 200);
    assert_eq!(failed.header("X-Amz-Function-Error"), Some("Unhandled"));
    assert_eq!(
        failed.body,
        br#"{"errorMessage":"asked to fail","errorType":"Handler.Fail"}"#
    );

    // Keep-alive on the invoke side too, and chunked uploads (curl -T - uses them).
    c.send(
        format!(
            "POST {INVOKE} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    );
    let chunked = c.read_response().expect("answer");
    assert_eq!(chunked.body, b"echo:{}");
    function.join().expect("fake function");
    assert_eq!(emu.stats().responses, 2);
    assert_eq!(emu.stats().errors, 1);
    let seen: Vec<(rayo_emulator::OutcomeKind, Vec<u8>)> =
        tap.try_iter().map(|o| (o.kind, o.body)).collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        seen[0],
        (
            rayo_emulator::OutcomeKind::Response,
            b"echo:{\"a\":1}".to_vec()
        )
    );
    assert!(
        matches!(&seen[1].0, rayo_emulator::OutcomeKind::Error { error_type: Some(t) } if t == "Handler.Fail")
    );
    assert_eq!(seen[2].1, b"echo:{}");
}

#[test]
fn invoke_times_out_with_lambdas_error_shape() {
    let emu = Emulator::start(Config {
        timeout: Duration::from_millis(200),
        ..Config::default()
    })
    .expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    // No function is running: the invocation can never complete.
    let mut c = Client::connect(invoke_addr);
    let r = c.post(INVOKE, "", b"{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Amz-Function-Error"), Some("Unhandled"));
    assert!(
        r.text().contains("Task timed out after 0.20 seconds"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Sandbox.Timedout"), "{}", r.text());
}

#[test]
fn invoke_endpoint_refuses_other_paths_and_methods() {
    let emu = Emulator::start(Config::default()).expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    let mut c = Client::connect(invoke_addr);
    assert_eq!(c.post("/2015-03-31/functions/", "", b"{}").status, 404);
    assert_eq!(c.get(INVOKE).status, 405);
    assert_eq!(
        c.get(NEXT).status,
        404,
        "the Runtime API is not served here"
    );
    // Nothing was queued by those.
    assert!(emu.wait_next(Duration::from_millis(20)).is_err());
}

#[test]
fn drop_stops_the_invoke_listener_too() {
    let emu = Emulator::start(Config::default()).expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    let waiting = std::thread::spawn(move || {
        let mut c = Client::connect(invoke_addr);
        c.send(format!("POST {INVOKE} HTTP/1.1\r\nContent-Length: 2\r\n\r\n{{}}").as_bytes());
        c.read_response()
    });
    // The invoke is parked waiting for a function that never comes.
    emu.wait_next(Duration::from_millis(300))
        .expect_err("no runtime");
    drop(emu);
    let answer = waiting.join().expect("client");
    // Either a 503 (shutting down) or a closed connection; never a hang.
    if let Ok(r) = answer {
        assert_eq!(r.status, 503);
    }
    assert!(std::net::TcpStream::connect(invoke_addr).is_err());
}

#[test]
fn expect_100_continue_gets_an_interim_answer() {
    let emu = Emulator::start(Config::default()).expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    let function = fake_function(emu.addr(), 1);
    let mut c = Client::connect(invoke_addr);
    c.send(
        format!("POST {INVOKE} HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            .as_bytes(),
    );
    let interim = c.read_response().expect("100 Continue");
    assert_eq!(interim.status, 100);
    c.send(b"[42]");
    let r = c.read_response().expect("final answer");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"echo:[42]"[..]));
    function.join().expect("fake function");
}

/// The way the README tells people to invoke: real curl, with a body large enough that
/// curl sends `Expect: 100-continue`.
#[test]
fn curl_can_invoke() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("SKIPPED curl_can_invoke: curl is not installed on this machine");
        return;
    }
    let emu = Emulator::start(Config::default()).expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    let function = fake_function(emu.addr(), 1);
    let event = format!("{{\"pad\":\"{}\"}}", "x".repeat(4000));
    let out = std::process::Command::new("curl")
        .args(["-sS", "-i", "--max-time", "5", "-X", "POST", "-d", &event])
        .arg(format!("http://{invoke_addr}{INVOKE}"))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with(&format!("echo:{event}")), "{text}");
    function.join().expect("fake function");
}

#[test]
fn client_context_is_decoded_and_async_and_dry_run_invokes_do_not_wait() {
    let emu = Emulator::start(Config::default()).expect("start");
    let invoke_addr = emu.serve_invoke(0).expect("serve invoke");
    let mut c = Client::connect(invoke_addr);

    let dry = c.post(INVOKE, "X-Amz-Invocation-Type: DryRun\r\n", b"{}");
    assert_eq!(dry.status, 204);
    let bad = c.post(INVOKE, "X-Amz-Client-Context: not*base64\r\n", b"{}");
    assert_eq!(bad.status, 400);
    assert!(
        emu.wait_next(Duration::from_millis(20)).is_err(),
        "nothing was queued"
    );

    // Asynchronous: answered 202 at once, though no function runs yet.
    let queued = c.post(
        INVOKE,
        "X-Amz-Invocation-Type: Event\r\nX-Amz-Client-Context: eyJjdXN0b20iOnsiayI6InYifX0=\r\n",
        b"{\"async\":true}",
    );
    assert_eq!(queued.status, 202);
    let id = queued
        .header("X-Amzn-RequestId")
        .expect("request id")
        .to_string();

    let mut runtime = Client::connect(emu.addr());
    let next = runtime.get(NEXT);
    assert_eq!(
        next.header("Lambda-Runtime-Aws-Request-Id"),
        Some(id.as_str())
    );
    assert_eq!(
        next.header("Lambda-Runtime-Client-Context"),
        Some("{\"custom\":{\"k\":\"v\"}}")
    );
    assert_eq!(next.body, b"{\"async\":true}");
}
