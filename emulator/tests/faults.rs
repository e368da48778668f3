//! Every injected fault, as a raw client sees it.
mod common;

use common::{response_path, Client, NEXT, WAIT};
use rayo_emulator::{Config, Emulator, Fault, Invocation, OutcomeKind};
use std::time::{Duration, Instant};

fn start() -> Emulator {
    Emulator::start(Config::default()).expect("start the emulator")
}

#[test]
fn next_status_answers_at_once_without_taking_an_invocation() {
    let emu = start();
    emu.inject(Fault::NextStatus(500));
    let mut c = Client::connect(emu.addr());
    let r = c.get(NEXT);
    assert_eq!(r.status, 500);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), None);
    // One-shot: the next /next long-polls normally and gets the queued event.
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let r = c.get(NEXT);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
}

#[test]
fn a_fault_injected_during_a_long_poll_answers_it() {
    let emu = start();
    let addr = emu.addr();
    let poller = std::thread::spawn(move || Client::connect(addr).get(NEXT).status);
    emu.wait_next(WAIT).expect("long-poll arrived");
    emu.inject(Fault::NextStatus(503));
    assert_eq!(poller.join().expect("poller"), 503);
}

#[test]
fn malformed_headers_break_the_clients_parser_then_close() {
    let emu = start();
    emu.inject(Fault::MalformedHeaders);
    let mut c = Client::connect(emu.addr());
    c.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let err = c.read_response().expect_err("a malformed header block");
    assert!(err.contains("malformed header line"), "{err}");
    assert!(c.is_closed());
    assert_eq!(emu.stats().next_requests, 1);
}

#[test]
fn close_mid_body_then_the_invocation_is_served_again() {
    let emu = start();
    emu.inject(Fault::CloseMidBody);
    let event = vec![b'e'; 1000];
    let id = emu.enqueue(Invocation::new(event.clone()));
    let mut c = Client::connect(emu.addr());
    c.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let err = c.read_response().expect_err("a truncated body");
    assert!(err.contains("body (1000 bytes)"), "{err}");
    // A client that reconnects gets the same invocation, whole.
    let mut c2 = Client::connect(emu.addr());
    let r = c2.get(NEXT);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
    assert_eq!(r.body, event);
    assert_eq!(c2.post(&response_path(&id), "", b"ok").status, 202);
    assert_eq!(emu.wait(&id, WAIT).expect("outcome").body, b"ok");
    assert_eq!(emu.stats().connections, 2);
}

#[test]
fn delay_next_holds_the_answer_back() {
    let emu = start();
    emu.inject(Fault::DelayNext(Duration::from_millis(300)));
    emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    let t = Instant::now();
    assert_eq!(c.get(NEXT).status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn chunked_next_sends_the_event_in_chunks() {
    let emu = start();
    emu.inject(Fault::ChunkedNext);
    let id = emu.enqueue(Invocation::new(b"{\"chunked\":true}".to_vec()));
    let mut c = Client::connect(emu.addr());
    let r = c.get(NEXT);
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(r.header("Content-Length"), None);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
    assert_eq!(r.body, b"{\"chunked\":true}");
    // Framing stayed in step: the same connection goes on.
    assert_eq!(c.post(&response_path(&id), "", b"x").status, 202);
    let id2 = emu.enqueue(Invocation::new(b"plain".to_vec()));
    let r2 = c.get(NEXT);
    assert_eq!(r2.header("Transfer-Encoding"), None);
    assert_eq!(
        r2.header("Lambda-Runtime-Aws-Request-Id"),
        Some(id2.as_str())
    );
}

#[test]
fn post_status_overrides_the_answer_but_records_the_outcome() {
    let emu = start();
    for code in [500u16, 400, 403, 413] {
        emu.inject(Fault::PostStatus(code));
        let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
        let mut c = Client::connect(emu.addr());
        c.get(NEXT);
        assert_eq!(c.post(&response_path(&id), "", b"r").status, code);
        let out = emu.wait(&id, WAIT).expect("outcome");
        assert_eq!((out.kind, out.body), (OutcomeKind::Response, b"r".to_vec()));
        // One-shot: the next answer is normal (403, since it was answered).
        assert_eq!(c.post(&response_path(&id), "", b"r").status, 403);
    }
}

#[test]
fn close_after_response_closes_after_the_next_post() {
    let emu = start();
    emu.inject(Fault::CloseAfterResponse);
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    let next = c.get(NEXT);
    assert_eq!(
        next.header("Connection"),
        None,
        "the fault waits for a post"
    );
    let r = c.post(&response_path(&id), "", b"done");
    assert_eq!(r.status, 202);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.is_closed());
    assert_eq!(emu.wait(&id, WAIT).expect("outcome").body, b"done");
}

#[test]
fn faults_queue_up_and_each_fires_once() {
    let emu = start();
    emu.inject(Fault::ChunkedNext);
    emu.inject(Fault::NextStatus(500));
    let mut c = Client::connect(emu.addr());
    // NextStatus answers without an event, so it fires first.
    assert_eq!(c.get(NEXT).status, 500);
    emu.enqueue(Invocation::new(b"a".to_vec()));
    assert_eq!(c.get(NEXT).header("Transfer-Encoding"), Some("chunked"));
    emu.enqueue(Invocation::new(b"b".to_vec()));
    let r = c.get(NEXT);
    assert_eq!((r.status, r.header("Transfer-Encoding")), (200, None));
}

#[test]
fn a_dead_long_poller_does_not_swallow_an_invocation() {
    let emu = start();
    {
        let mut dead = Client::connect(emu.addr());
        dead.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
        emu.wait_next(WAIT).expect("long-poll arrived");
    } // the client goes away while its /next is parked
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    std::thread::sleep(Duration::from_millis(50));
    let mut live = Client::connect(emu.addr());
    let r = live.get(NEXT);
    assert_eq!(r.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
}
