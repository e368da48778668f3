//! Fault injection: the real `echo` bootstrap against an emulator that misbehaves on purpose.
//! Every case of docs/RELIABILITY.md's fault table is one test here; each bounds every wait,
//! so a hang fails the test instead of stalling the suite.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rayo_emulator::{Config, Emulator, Fault, OutcomeKind, MAX_RESPONSE_BYTES};

/// The longest any single step may take before the test fails.
const T: Duration = Duration::from_secs(10);
/// "Promptly": a runtime that must exit does so within this time of the fault.
const PROMPT: Duration = Duration::from_secs(2);

/// One emulator and one `echo` process whose stderr is captured.
struct Func {
    emu: Emulator,
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Drop for Func {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

impl Func {
    fn start() -> Func {
        Func::with(Config::default())
    }

    fn with(config: Config) -> Func {
        let emu = Emulator::start(config).expect("emulator starts");
        Func::spawn_on(emu)
    }

    fn spawn_on(emu: Emulator) -> Func {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_echo"));
        cmd.stderr(Stdio::piped());
        let mut child = emu.spawn(cmd).expect("spawn echo");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        // The pipe closes when the process exits, so this thread ends by itself.
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Func {
            emu,
            child,
            stderr,
            reader: Some(reader),
        }
    }

    /// Waits (at most `limit`) for the process to exit by itself.
    fn exits_within(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "the bootstrap did not exit within {limit:?}; stderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Invokes and expects the echo of `event`.
    fn echo(&self, event: &[u8]) {
        let out = self.emu.invoke(event.to_vec(), T).expect("an outcome");
        assert_eq!(out.kind, OutcomeKind::Response);
        assert!(out.body == event, "the echo differs from the event");
    }

    /// The first invocation goes through, so the connection is kept alive and reused.
    fn warmed() -> Func {
        let f = Func::start();
        f.echo(b"warm-up");
        f
    }
}

/// Waits for `pred` over the captured stderr (bounded).
fn wait_stderr(f: &Func, what: &str) -> String {
    let start = Instant::now();
    loop {
        let s = f.stderr();
        if s.contains(what) {
            return s;
        }
        assert!(start.elapsed() < T, "stderr never said {what:?}: {s}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// Asserts the process exits non-zero within `PROMPT` of the fault and names `needle`.
fn exits_naming(mut f: Func, needle: &str) -> Func {
    let status = f.exits_within(PROMPT + Duration::from_secs(1));
    assert!(!status.success(), "{status}");
    let err = f.stderr();
    // Shown with --nocapture: docs/RELIABILITY.md quotes these.
    eprintln!("observed ({status}): {}", err.trim_end());
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
    f
}

/// After a fatal fault the emulator still holds the invocation: a fresh bootstrap serves it.
fn a_fresh_bootstrap_serves(f: Func, id: &str, event: &[u8]) {
    let Func {
        ref emu, ref child, ..
    } = f;
    assert!(child.id() > 0);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_echo"));
    cmd.stderr(Stdio::null());
    let mut second = emu.spawn(cmd).expect("spawn a second echo");
    let out = emu.wait(id, T);
    let _ = second.kill();
    let _ = second.wait();
    let out = out.expect("the requeued invocation is served by the new process");
    assert_eq!(out.body, event);
}

// --- Connection resets and closes -------------------------------------------------------

#[test]
fn reset_before_the_headers_on_a_kept_alive_connection_reconnects_once() {
    let mut f = Func::warmed();
    f.emu.inject(Fault::ResetBeforeHeaders);
    f.echo(b"after a reset");
    f.echo(b"and the next one");
    assert_eq!(f.emu.stats().connections, 2, "one reconnect");
    assert!(f.running());
}

#[test]
fn reset_during_the_headers_reconnects_and_gets_the_event_again() {
    let mut f = Func::warmed();
    f.emu.inject(Fault::ResetMidHeaders);
    f.echo(b"headers were cut");
    assert_eq!(f.emu.stats().connections, 2);
    assert_eq!(f.emu.stats().responses, 2, "answered once, not twice");
    assert!(f.running());
}

#[test]
fn reset_during_the_body_never_hands_the_handler_half_an_event() {
    let mut f = Func::warmed();
    f.emu.inject(Fault::ResetMidBody);
    let event: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    f.echo(&event);
    assert_eq!(f.emu.stats().connections, 2);
    assert_eq!(f.emu.stats().responses, 2);
    assert!(f.running());
}

#[test]
fn reset_on_the_first_connection_exits_non_zero_and_the_event_is_not_lost() {
    let emu = Emulator::start(Config::default()).expect("emulator");
    emu.inject(Fault::ResetMidBody);
    let id = emu.enqueue(emu.invocation(b"first".to_vec()));
    let f = exits_naming(
        Func::spawn_on(emu),
        "GET /next: malformed HTTP from the Runtime API: the server closed or reset the connection",
    );
    a_fresh_bootstrap_serves(f, &id, b"first");
}

#[test]
fn a_close_during_the_body_exits_non_zero_and_the_event_is_not_lost() {
    let f = Func::warmed();
    f.emu.inject(Fault::CloseMidBody);
    let id = f.emu.enqueue(f.emu.invocation(b"cut short".to_vec()));
    let f = exits_naming(f, "closed after");
    a_fresh_bootstrap_serves(f, &id, b"cut short");
}

#[test]
fn the_server_closing_the_keep_alive_between_invocations_costs_one_reconnect() {
    let mut f = Func::warmed();
    for i in 0..3 {
        f.emu.inject(Fault::DropAfterResponse);
        f.echo(format!("dropped {i}").as_bytes());
    }
    f.echo(b"after");
    assert_eq!(
        f.emu.stats().connections,
        4,
        "one connection per drop, plus the first"
    );
    assert!(f.running());
}

// --- Statuses ---------------------------------------------------------------------------

#[test]
fn status_500_on_next_exits_non_zero_promptly() {
    let f = Func::start();
    f.emu.wait_next(T).expect("first GET /next");
    let injected = Instant::now();
    f.emu.inject(Fault::NextStatus(500));
    let f = exits_naming(f, "GET /next: the Runtime API answered 500");
    assert!(injected.elapsed() < PROMPT + Duration::from_secs(1));
    assert_eq!(f.emu.stats().responses + f.emu.stats().errors, 0);
}

#[test]
fn status_400_403_413_on_a_response_are_logged_and_the_next_invocation_proceeds() {
    let mut f = Func::warmed();
    for status in [400, 403, 413] {
        f.emu.inject(Fault::PostStatus(status));
        let _ = f.emu.invoke(format!("refused {status}").into_bytes(), T);
        wait_stderr(&f, "refused the response for request");
        wait_stderr(&f, &format!("with status {status}; going on"));
        f.echo(format!("after {status}").as_bytes());
    }
    assert!(f.running());
    assert_eq!(f.emu.stats().connections, 1);
}

#[test]
fn status_403_on_an_error_post_is_logged_and_the_next_invocation_proceeds() {
    let mut f = Func::warmed();
    f.emu.inject(Fault::PostStatus(403));
    let out = f
        .emu
        .invoke(br#""rayo:error""#.to_vec(), T)
        .expect("outcome");
    assert!(matches!(out.kind, OutcomeKind::Error { .. }));
    wait_stderr(&f, "refused the error for request");
    f.echo(b"after a refused error");
    assert!(f.running());
}

#[test]
fn status_500_on_a_response_exits_non_zero() {
    let f = Func::warmed();
    f.emu.inject(Fault::PostStatus(500));
    let _ = f.emu.invoke(b"x".to_vec(), T);
    exits_naming(f, "POST /response: the Runtime API answered 500");
}

// --- Slow and oversized answers ---------------------------------------------------------

#[test]
fn a_slow_drip_answer_is_assembled_exactly() {
    let mut f = Func::warmed();
    // About 400 bytes at 1 ms each: the long-poll has no read timeout to trip.
    f.emu.inject(Fault::SlowDrip(Duration::from_millis(1)));
    f.echo(b"{\"one\":\"byte at a time\",\"\xff\":[1,2,3]}");
    f.echo(b"and then at full speed");
    assert_eq!(f.emu.stats().connections, 1);
    assert!(f.running());
}

#[test]
fn headers_over_64_kib_exit_non_zero_and_just_under_is_fine() {
    // Just under the limit: delivered intact (the Context carries the client context).
    let f = Func::warmed();
    let mut inv = f.emu.invocation(br#""rayo:context""#.to_vec());
    let under = format!("{{\"k\":\"{}\"}}", "u".repeat(60 * 1024));
    inv.client_context = Some(under.clone());
    let id = f.emu.enqueue(inv);
    let out = f.emu.wait(&id, T).expect("outcome");
    assert_eq!(out.kind, OutcomeKind::Response);
    let body = String::from_utf8(out.body).expect("JSON");
    assert!(
        body.contains(&"u".repeat(60 * 1024)),
        "client context intact"
    );
    // Over: refused with a clear error, and the process exits instead of allocating more.
    let mut inv = f.emu.invocation(b"x".to_vec());
    inv.client_context = Some("o".repeat(65 * 1024));
    f.emu.enqueue(inv);
    let f = exits_naming(f, "header block is over 65536 bytes");
    assert_eq!(
        f.emu.stats().responses,
        2,
        "nothing posted for the oversized one"
    );
}

// --- Hostile request ids ----------------------------------------------------------------

fn hostile_id(id: &str) -> Func {
    let f = Func::warmed();
    let mut inv = f.emu.invocation(b"x".to_vec());
    inv.request_id = id.to_string();
    f.emu.enqueue(inv);
    f
}

#[test]
fn a_request_id_with_cr_lf_cannot_inject_a_header_or_a_path() {
    // Written verbatim, the CR LF ends the header: the runtime sees the id "abc" and a
    // separate header. It answers for "abc", which the emulator does not know (400), logs
    // the refusal and goes on; nothing it sends carries the injected bytes.
    let mut f = hostile_id("abc\r\nX-Injected: 1");
    wait_stderr(&f, "for request abc with status 400; going on");
    f.echo(b"next");
    assert!(f.running());
    assert_eq!(f.emu.stats().malformed_requests, 0);
}

#[test]
fn a_request_id_with_a_bare_lf_exits_non_zero() {
    let f = hostile_id("abc\nX-Injected: 1");
    let f = exits_naming(f, "control character in header value");
    assert_eq!(f.emu.stats().responses, 1, "only the warm-up");
}

#[test]
fn a_request_id_with_a_slash_exits_non_zero_without_posting() {
    let f = hostile_id("abc/init/error");
    let f = exits_naming(f, "Lambda-Runtime-Aws-Request-Id");
    assert!(f.stderr().contains("\"abc/init/error\""), "names the value");
    assert!(f.stderr().contains("has a character other than"));
    assert!(f.emu.wait_init_error(Duration::from_millis(100)).is_err());
    assert_eq!(f.emu.stats().responses + f.emu.stats().errors, 1);
}

#[test]
fn a_request_id_with_dot_dot_exits_non_zero_without_posting() {
    let f = hostile_id("..");
    let f = exits_naming(f, "contains '..'");
    assert_eq!(f.emu.stats().responses + f.emu.stats().errors, 1);
}

#[test]
fn a_request_id_of_1_mb_exits_non_zero_without_posting() {
    let f = hostile_id(&"a".repeat(1 << 20));
    let f = exits_naming(f, "header block is over 65536 bytes");
    assert_eq!(f.emu.stats().responses + f.emu.stats().errors, 1);
}

#[test]
fn a_request_id_over_128_bytes_exits_non_zero_without_posting() {
    let f = hostile_id(&"b".repeat(129));
    exits_naming(f, "longer than 128 bytes");
}

// --- Sizes and bytes --------------------------------------------------------------------

#[test]
fn a_response_of_exactly_the_limit_passes_and_one_byte_more_gets_413() {
    let mut f = Func::warmed();
    let exact: Vec<u8> = (0..MAX_RESPONSE_BYTES).map(|i| (i % 253) as u8).collect();
    assert_eq!(exact.len(), 6_291_556);
    f.echo(&exact);
    let mut over = exact;
    over.push(b'!');
    let out = f.emu.invoke(over, T).expect("outcome");
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Function.ResponseSizeTooLarge".into())
        }
    );
    wait_stderr(&f, "with status 413; going on");
    f.echo(b"after the 413");
    assert!(f.running());
}

#[test]
fn a_6_mb_event_round_trips() {
    let f = Func::warmed();
    let event: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    f.echo(&event);
    f.emu.inject(Fault::ChunkedNext);
    f.echo(&event);
}

#[test]
fn non_utf8_bodies_round_trip_byte_exact() {
    let f = Func::warmed();
    let mut event: Vec<u8> = (0..=255u8).collect();
    // Lone continuation bytes, an overlong '/', a UTF-16 surrogate, a truncated sequence.
    event.extend_from_slice(b"\x80\xbf\xc0\xaf\xed\xa0\x80\xf0\x9f\x98");
    f.echo(&event);
    f.emu.inject(Fault::ChunkedNext);
    f.echo(&event);
    f.emu.inject(Fault::SlowDrip(Duration::from_micros(200)));
    f.echo(&event);
}

// --- Deadline and signals ---------------------------------------------------------------

#[test]
fn a_deadline_already_passed_still_reaches_the_handler() {
    // Lambda enforces timeouts, not the runtime: the handler runs and sees the deadline
    // (its remaining time saturates at zero rather than underflowing).
    let mut f = Func::warmed();
    for deadline in [now_ms() - 60_000, 0, 1] {
        let mut inv = f.emu.invocation(br#""rayo:context""#.to_vec());
        inv.deadline_ms = deadline;
        let id = f.emu.enqueue(inv);
        let out = f.emu.wait(&id, T).expect("outcome");
        assert_eq!(out.kind, OutcomeKind::Response);
        let body = String::from_utf8(out.body).expect("JSON");
        assert!(
            body.contains(&format!("\"deadline_ms\":\"{deadline}\"")),
            "{body}"
        );
    }
    assert!(f.running());
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
fn sigterm_during_an_invocation_ends_the_process_promptly_and_loses_nothing_else() {
    use std::os::unix::process::ExitStatusExt;
    let mut f = Func::warmed();
    // The handler sleeps 500 ms; SIGTERM arrives while it is busy.
    let busy = f.emu.enqueue(f.emu.invocation(br#""rayo:sleep""#.to_vec()));
    let queued = f.emu.enqueue(f.emu.invocation(b"queued behind".to_vec()));
    std::thread::sleep(Duration::from_millis(150));
    let sent = Instant::now();
    sigterm(&f.child);
    let status = f.exits_within(PROMPT);
    let took = sent.elapsed();
    assert!(took < PROMPT, "exit took {took:?}");
    // No SIGTERM handler is installed: the signal's default action ends the process. A
    // runtime with a shutdown hook may instead finish the invocation and exit by itself;
    // either way it must not hang, which is what is asserted.
    eprintln!(
        "observed: exit {status} (signal {:?}) {took:?} after SIGTERM",
        status.signal()
    );
    // Whatever was posted for the busy invocation is whole, never partial.
    if let Ok(out) = f.emu.wait(&busy, Duration::from_millis(50)) {
        assert_eq!(out.body, br#""rayo:sleep""#);
    }
    // The invocation queued behind it was never taken: a fresh process serves it.
    a_fresh_bootstrap_serves(f, &queued, b"queued behind");
}

#[test]
fn sigterm_while_parked_in_next_ends_the_process_promptly() {
    let mut f = Func::warmed();
    f.emu.wait_next(T).expect("parked in GET /next");
    let sent = Instant::now();
    sigterm(&f.child);
    f.exits_within(PROMPT);
    assert!(sent.elapsed() < PROMPT);
    // The emulator notices the long-poll's client is gone and hands the next event to
    // whoever asks next.
    let id = f
        .emu
        .enqueue(f.emu.invocation(b"for the next process".to_vec()));
    a_fresh_bootstrap_serves(f, &id, b"for the next process");
}
