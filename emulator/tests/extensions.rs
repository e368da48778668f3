//! The Extensions API subset (register, a parked event/next) and the shutdown sequence.
mod common;

use common::{response_path, Client, WAIT};
use rayo_emulator::{Config, Emulator, OutcomeKind, SHUTDOWN_GRACE};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const REGISTER: &str = "/2020-01-01/extension/register";
const EVENT_NEXT: &str = "/2020-01-01/extension/event/next";

fn emulator() -> Emulator {
    Emulator::start(Config::for_function("ext-test")).expect("start")
}

/// Registers extension `name` for no events.
fn register(c: &mut Client, name: &str) -> common::Resp {
    c.post(
        REGISTER,
        &format!("Lambda-Extension-Name: {name}\r\n"),
        br#"{"events":[]}"#,
    )
}

#[test]
fn register_hands_out_an_identifier_once_per_name() {
    let emu = emulator();
    let mut c = Client::connect(emu.addr());
    let r = register(&mut c, "shut");
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r
        .header("lambda-extension-identifier")
        .expect("an identifier");
    assert_eq!(id.len(), 36, "{id}");
    assert!(
        r.text().contains(r#""functionName":"ext-test""#),
        "{}",
        r.text()
    );
    let ext = emu.extensions();
    assert_eq!(ext.len(), 1);
    assert_eq!((ext[0].name.as_str(), ext[0].id.as_str()), ("shut", id));
    assert_eq!(ext[0].body, br#"{"events":[]}"#);

    let again = register(&mut c, "shut");
    assert_eq!(again.status, 409, "{}", again.text());
    let nameless = c.post(REGISTER, "", br#"{"events":[]}"#);
    assert_eq!(nameless.status, 400, "{}", nameless.text());
    let bad_body = c.post(REGISTER, "Lambda-Extension-Name: other\r\n", b"events");
    assert_eq!(bad_body.status, 400, "{}", bad_body.text());
    assert_eq!(emu.extensions().len(), 1);
}

#[test]
fn event_next_is_parked_for_a_known_id_and_refused_otherwise() {
    let emu = emulator();
    let mut c = Client::connect(emu.addr());
    let r = register(&mut c, "shut");
    let id = r.header("lambda-extension-identifier").unwrap().to_string();

    let mut unknown = Client::connect(emu.addr());
    unknown.send(
        format!(
            "GET {EVENT_NEXT} HTTP/1.1\r\nHost: x\r\nLambda-Extension-Identifier: nope\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(unknown.read_response().unwrap().status, 403);

    let mut parked = Client::connect(emu.addr());
    parked
        .writer
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    parked.send(
        format!(
            "GET {EVENT_NEXT} HTTP/1.1\r\nHost: x\r\nLambda-Extension-Identifier: {id}\r\n\r\n"
        )
        .as_bytes(),
    );
    // No event ever comes: the read times out instead of getting an answer.
    assert!(parked.read_response().is_err());
    assert_eq!(emu.extensions()[0].next_requests, 1);
}

#[test]
fn registration_after_init_is_refused() {
    let emu = emulator();
    let mut c = Client::connect(emu.addr());
    let id = emu.enqueue(emu.invocation(b"{}".to_vec()));
    assert_eq!(c.get("/2018-06-01/runtime/invocation/next").status, 200);
    let r = register(&mut c, "late");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(emu.extensions().is_empty());
    assert_eq!(c.post(&response_path(&id), "", b"ok").status, 202);
    assert_eq!(emu.wait(&id, WAIT).unwrap().kind, OutcomeKind::Response);
}

fn sleeper() -> Command {
    let mut cmd = Command::new("sleep");
    cmd.arg("30").stdout(Stdio::null());
    cmd
}

#[test]
fn stop_without_an_extension_is_sigkill_at_once() {
    let emu = emulator();
    let mut child = emu.spawn(sleeper()).expect("spawn sleep");
    let stopped = emu.stop_function(&mut child, SHUTDOWN_GRACE).unwrap();
    assert!(!stopped.sigterm);
    assert!(!stopped.exited_in_grace);
    assert!(!stopped.status.success());
    assert!(stopped.took < SHUTDOWN_GRACE, "{:?}", stopped.took);
}

#[test]
fn stop_with_an_extension_sends_sigterm_first() {
    let emu = emulator();
    let mut c = Client::connect(emu.addr());
    let r = register(&mut c, "shut");
    assert_eq!(r.status, 200);
    // `sleep` dies of SIGTERM's default action: within the grace time, by a signal.
    let mut child = emu.spawn(sleeper()).expect("spawn sleep");
    // Lambda's grace is 500 ms; a loaded CI machine gets more to notice the exit.
    let stopped = emu.stop_function(&mut child, 4 * SHUTDOWN_GRACE).unwrap();
    assert!(stopped.sigterm);
    assert!(stopped.exited_in_grace, "{stopped:?}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(stopped.status.signal(), Some(15), "{stopped:?}");

    // A process that ignores SIGTERM is killed when the grace time is over.
    let mut cmd = Command::new("bash");
    // An ignored signal stays ignored across exec, so no orphan outlives the test.
    cmd.args(["-c", "trap '' TERM; echo ready; exec sleep 30"])
        .stdout(Stdio::piped());
    let mut child = emu.spawn(cmd).expect("spawn bash");
    // Only once the trap is set: a SIGTERM before it would end bash at once.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    let grace = Duration::from_millis(200);
    let stopped = emu.stop_function(&mut child, grace).unwrap();
    assert!(stopped.sigterm && !stopped.exited_in_grace, "{stopped:?}");
    assert_eq!(stopped.status.signal(), Some(9), "{stopped:?}");
    assert!(stopped.took >= grace);
}
