//! The transport faults (resets, a dropped keep-alive, a slow drip) as a raw client sees
//! them: the contract bootstrap/tests/faults_runtime.rs builds on.
mod common;

use common::{response_path, Client, NEXT, WAIT};
use rayo_emulator::{Config, Emulator, Fault, Invocation};
use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

fn start() -> Emulator {
    Emulator::start(Config::default()).expect("start the emulator")
}

/// Reads until EOF or an error; returns the bytes and how it ended.
fn read_to_end_or_error(c: &mut Client) -> (Vec<u8>, Option<ErrorKind>) {
    let mut got = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match c.reader.read(&mut b) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&b[..n]),
            Err(e) => return (got, Some(e.kind())),
        }
    }
}

fn reset_case(fault: Fault) -> (Vec<u8>, Option<ErrorKind>, Emulator, String) {
    let emu = start();
    emu.inject(fault);
    let id = emu.enqueue(Invocation::new(b"0123456789".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let (got, end) = read_to_end_or_error(&mut c);
    (got, end, emu, id)
}

#[test]
fn reset_before_headers_is_a_reset_with_no_byte_and_requeues() {
    let (got, end, emu, id) = reset_case(Fault::ResetBeforeHeaders);
    assert!(got.is_empty());
    assert_eq!(end, Some(ErrorKind::ConnectionReset));
    let r = Client::connect(emu.addr()).get(NEXT);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
}

#[test]
fn reset_mid_headers_sends_part_of_the_head_then_resets() {
    let (got, end, emu, id) = reset_case(Fault::ResetMidHeaders);
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    assert!(
        !got.windows(4).any(|w| w == b"\r\n\r\n"),
        "the head is not complete"
    );
    assert_eq!(end, Some(ErrorKind::ConnectionReset));
    let r = Client::connect(emu.addr()).get(NEXT);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
}

#[test]
fn reset_mid_body_sends_the_head_and_half_the_body_then_resets() {
    let (got, end, emu, id) = reset_case(Fault::ResetMidBody);
    let text = String::from_utf8_lossy(&got);
    assert!(text.ends_with("\r\n\r\n01234"), "{text}");
    assert_eq!(end, Some(ErrorKind::ConnectionReset));
    let r = Client::connect(emu.addr()).get(NEXT);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
    assert_eq!(r.body, b"0123456789");
}

#[test]
fn drop_after_response_answers_keep_alive_then_closes() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    assert_eq!(c.get(NEXT).status, 200);
    emu.inject(Fault::DropAfterResponse);
    let r = c.post(&response_path(&id), "", b"ok");
    assert_eq!(r.status, 202);
    assert_eq!(r.header("connection"), None, "no warning in the answer");
    assert!(c.is_closed());
    assert_eq!(emu.wait(&id, WAIT).expect("recorded").body, b"ok");
}

#[test]
fn slow_drip_delivers_the_same_bytes_over_time() {
    let emu = start();
    emu.inject(Fault::SlowDrip(Duration::from_millis(1)));
    let id = emu.enqueue(Invocation::new(b"drip".to_vec()));
    let mut c = Client::connect(emu.addr());
    let began = Instant::now();
    let r = c.get(NEXT);
    assert_eq!(r.body, b"drip");
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
    // Hundreds of bytes at 1 ms each.
    assert!(
        began.elapsed() >= Duration::from_millis(100),
        "{:?}",
        began.elapsed()
    );
}
