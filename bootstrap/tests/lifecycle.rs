//! The runtime's lifecycle features end to end, through the real binaries and the emulator:
//! several workers (AWS_LAMBDA_MAX_CONCURRENCY), the shutdown hook (SIGTERM from the
//! emulator's stop), and structured logs.

mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rayo_emulator::{Config, Emulator, Invocation, OutcomeKind, SHUTDOWN_GRACE};
use serde_json::Value;

use common::{Running, T};

/// Spawns `bin` with `env` on top of the emulator's Lambda environment; stdout and stderr
/// are captured.
fn start(bin: &str, env: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(bin);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    Running::start(Config::default(), env, cmd)
}

const LIFECYCLE: &str = env!("CARGO_BIN_EXE_lifecycle");

impl Running {
    /// Sends every event at once; returns each one's invocation and answer body.
    fn invoke_all<E: AsRef<[u8]>>(&self, events: &[E]) -> Vec<(Invocation, Vec<u8>)> {
        let invs: Vec<Invocation> = events
            .iter()
            .map(|e| self.emu.invocation(e.as_ref().to_vec()))
            .collect();
        for inv in &invs {
            self.emu.enqueue(inv.clone());
        }
        invs.into_iter()
            .map(|inv| {
                let out = self.emu.wait(&inv.request_id, T).expect("an outcome");
                assert_eq!(
                    out.kind,
                    OutcomeKind::Response,
                    "{}",
                    String::from_utf8_lossy(&out.body)
                );
                (inv, out.body)
            })
            .collect()
    }

    /// Stops the function as Lambda does and returns its exit and what it wrote.
    fn stop(&mut self, grace: Duration) -> (rayo_emulator::Stopped, String, String) {
        let stopped = self
            .emu
            .stop_function(&mut self.child, grace)
            .expect("stop");
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut s) = self.child.stdout.take() {
            s.read_to_string(&mut out).expect("read stdout");
        }
        if let Some(mut s) = self.child.stderr.take() {
            s.read_to_string(&mut err).expect("read stderr");
        }
        (stopped, out, err)
    }

    fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(start.elapsed() < limit, "did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn four_workers_hold_four_invocations_at_once_and_leave_the_trace_variable_alone() {
    let r = start(LIFECYCLE, &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")]);
    r.emu.wait_next(T).expect("a GET /next");
    // Each answer returns only once all four were inside the handler together: one worker
    // (or fewer than four) would leave them waiting out their 5 s and say so.
    let answers = r.invoke_all(&[b"\"rayo:barrier\""; 4]);
    for (inv, body) in &answers {
        let v: Value = serde_json::from_slice(body).expect("JSON");
        assert_eq!(v["max_in_flight"], 4, "{v}");
        // Four invocations, one environment: the variable would be wrong for three.
        assert_eq!(v["trace_env"], Value::Null, "{v}");
        assert_eq!(v["xray"].as_str(), inv.trace_id.as_deref(), "{v}");
    }
    // One keep-alive connection per worker.
    assert_eq!(r.emu.stats().connections, 4);
    // And they go on serving, bytes exact.
    let events: Vec<Vec<u8>> = (0..12).map(|i| format!("[{i}]").into_bytes()).collect();
    for ((_, body), event) in r.invoke_all(&events).iter().zip(&events) {
        assert_eq!(body, event);
    }
    assert_eq!(r.emu.stats().connections, 4);
}

#[test]
fn a_panic_in_a_worker_is_reported_for_that_workers_invocation() {
    let mut r = start(LIFECYCLE, &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")]);
    r.emu.wait_next(T).expect("a GET /next");
    // Four in flight at once when one panics: the report must name the panicking thread's
    // invocation, not whichever was handed out last.
    let mut ids = Vec::new();
    for event in [
        &b"\"rayo:barrier\""[..],
        b"\"rayo:panic\"",
        b"\"rayo:barrier\"",
    ] {
        ids.push(r.emu.enqueue(r.emu.invocation(event.to_vec())));
    }
    let last = r
        .emu
        .enqueue(r.emu.invocation(b"\"rayo:barrier\"".to_vec()));
    let out = r.emu.wait(&ids[1], T).expect("the panic's outcome");
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Runtime.Panic".into())
        }
    );
    let body = String::from_utf8_lossy(&out.body);
    assert!(body.contains("lifecycle was asked to panic"), "{body}");
    // The others were not reported as panics (each got its own answer or none, as the
    // process aborted).
    for id in [&ids[0], &ids[2], &last] {
        if let Ok(o) = r.emu.wait(id, Duration::from_millis(200)) {
            assert_eq!(o.kind, OutcomeKind::Response, "{id}");
        }
    }
    assert!(!r.exit_within(T).success());
}

#[test]
fn one_worker_when_unset_sets_the_trace_variable() {
    let r = start(LIFECYCLE, &[]);
    r.emu.wait_next(T).expect("a GET /next");
    let answers = r.invoke_all(&[b"\"rayo:barrier\""]);
    let v: Value = serde_json::from_slice(&answers[0].1).expect("JSON");
    assert_eq!(v["max_in_flight"], 1, "{v}");
    assert_eq!(v["trace_env"].as_str(), answers[0].0.trace_id.as_deref());
    assert_eq!(v["xray"], v["trace_env"]);
    assert_eq!(r.emu.stats().connections, 1);
}

#[test]
fn the_compute_bootstrap_serves_with_four_workers() {
    let r = start(
        env!("CARGO_BIN_EXE_bootstrap"),
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")],
    );
    // Every worker polls before any event is queued (a worker that starts late on a busy
    // machine would otherwise find the work done and never connect).
    for _ in 0..4 {
        r.emu.wait_next(T).expect("four GET /next");
    }
    let events: Vec<Vec<u8>> = (0..16)
        .map(|i| format!(r#"{{"op":"dot","a":[1,2,{i}],"b":[4,5,6]}}"#).into_bytes())
        .collect();
    for (i, (_, body)) in r.invoke_all(&events).iter().enumerate() {
        let want = format!(r#"{{"result":{:?}}}"#, (14 + 6 * i) as f32);
        assert_eq!(String::from_utf8_lossy(body), want);
    }
    assert_eq!(r.emu.stats().connections, 4);
}

#[test]
fn a_bad_max_concurrency_is_a_clear_error_not_a_panic() {
    for bad in ["0", "four", "100000"] {
        let mut r = start(
            env!("CARGO_BIN_EXE_echo"),
            &[("AWS_LAMBDA_MAX_CONCURRENCY", bad)],
        );
        let status = r.exit_within(T);
        assert_eq!(status.code(), Some(1), "{bad}: {status:?}");
        let mut err = String::new();
        r.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(
            err.contains(&format!("AWS_LAMBDA_MAX_CONCURRENCY=\"{bad}\"")),
            "{bad}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(r.emu.stats().next_requests, 0);
    }
}

/// Waits until the function's extension has registered and sent its `event/next`.
fn wait_for_extension(emu: &Emulator) -> rayo_emulator::RegisteredExtension {
    let start = Instant::now();
    loop {
        if let Some(e) = emu.extensions().into_iter().find(|e| e.next_requests > 0) {
            return e;
        }
        assert!(start.elapsed() < T, "no extension: {:?}", emu.extensions());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_shutdown_hook_runs_on_sigterm_with_four_workers() {
    let mut r = start(
        LIFECYCLE,
        &[
            ("RAYO_SHUTDOWN_HOOK", "shutdown hook ran"),
            ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
        ],
    );
    r.emu.wait_next(T).expect("a GET /next");
    let ext = wait_for_extension(&r.emu);
    assert_eq!(ext.name, rayo_runtime::SHUTDOWN_EXTENSION_NAME);
    assert_eq!(ext.body, br#"{"events":[]}"#);
    assert_eq!(ext.next_requests, 1);
    // Serving is unaffected, and SIGTERM is blocked in every worker: were it not, the
    // signal could land on a worker and end the process without the hook.
    let answers = r.invoke_all(&[b"\"rayo:barrier\""; 4]);
    assert_eq!(answers.len(), 4);
    // Lambda's grace is 500 ms (it takes a few ms here); a loaded CI machine gets more.
    let (stopped, out, _) = r.stop(4 * SHUTDOWN_GRACE);
    assert!(stopped.sigterm, "{stopped:?}");
    assert!(stopped.exited_in_grace, "{stopped:?}");
    assert!(stopped.status.success(), "{stopped:?}");
    assert_eq!(out, "shutdown hook ran\n");
}

#[test]
fn a_hook_that_overruns_the_grace_time_is_killed() {
    let mut r = start(
        LIFECYCLE,
        &[
            ("RAYO_SHUTDOWN_HOOK", "too late"),
            ("RAYO_SHUTDOWN_HOOK_MS", "5000"),
        ],
    );
    r.emu.wait_next(T).expect("a GET /next");
    wait_for_extension(&r.emu);
    let (stopped, out, _) = r.stop(Duration::from_millis(300));
    assert!(stopped.sigterm && !stopped.exited_in_grace, "{stopped:?}");
    assert_eq!(stopped.status.signal(), Some(9), "{stopped:?}");
    assert_eq!(out, "");
}

#[test]
fn without_a_hook_there_is_no_extension_and_no_sigterm() {
    let mut r = start(LIFECYCLE, &[]);
    r.emu.wait_next(T).expect("a GET /next");
    assert_eq!(r.invoke_all(&[b"x"])[0].1, b"x");
    assert!(r.emu.extensions().is_empty());
    let (stopped, _, _) = r.stop(SHUTDOWN_GRACE);
    assert!(!stopped.sigterm, "{stopped:?}");
    assert_eq!(stopped.status.signal(), Some(9), "{stopped:?}");
}

fn is_rfc3339_ms_utc(ts: &str) -> bool {
    let b = ts.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn json_logs_name_the_invocation_of_each_worker_and_filter_by_level() {
    let mut r = start(
        LIFECYCLE,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "DEBUG"),
        ],
    );
    r.emu.wait_next(T).expect("a GET /next");
    let answers = r.invoke_all(&[b"\"rayo:log\""; 4]);
    let (_, _, err) = r.stop(SHUTDOWN_GRACE);
    let records: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    for rec in &records {
        assert!(
            is_rfc3339_ms_utc(rec["timestamp"].as_str().unwrap()),
            "{rec}"
        );
        assert_ne!(rec["level"], "TRACE", "TRACE is below DEBUG: {rec}");
    }
    let init: Vec<&Value> = records
        .iter()
        .filter(|r| r["message"] == "initialised")
        .collect();
    assert_eq!(init.len(), 1);
    assert_eq!(init[0]["level"], "INFO");
    assert!(init[0].get("requestId").is_none(), "{}", init[0]);
    for (inv, body) in &answers {
        let id = inv.request_id.as_str();
        assert_eq!(body, id.as_bytes());
        let mine: Vec<&Value> = records
            .iter()
            .filter(|r| r["message"].as_str().unwrap().contains(id))
            .collect();
        let levels: Vec<&str> = mine.iter().map(|r| r["level"].as_str().unwrap()).collect();
        // The `log` crate's WARN comes through the facade; its TRACE is filtered out.
        assert_eq!(
            levels,
            ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "WARN", "INFO"]
        );
        // Written while the four invocations were all in flight, on four threads: the
        // request id is the one this thread serves, not the last one handed out.
        for rec in &mine {
            assert_eq!(rec["requestId"], id, "{rec}");
        }
        assert_eq!(
            mine[1]["message"],
            format!("info from {id}: \"quoted\"\nsecond line\ttab é")
        );
        assert_eq!(mine[5]["message"], format!("log crate from {id}"));
        assert_eq!(
            mine[6]["message"],
            format!("after the barrier from {id} (4 in flight)")
        );
    }
    assert_eq!(records.len(), 1 + 4 * 7);
}

#[test]
fn text_logs_by_default_at_info() {
    let mut r = start(LIFECYCLE, &[]);
    r.emu.wait_next(T).expect("a GET /next");
    let answers = r.invoke_all(&[b"\"rayo:log\""]);
    let id = answers[0].0.request_id.as_str();
    let (_, _, err) = r.stop(SHUTDOWN_GRACE);
    let lines: Vec<Vec<&str>> = err.lines().map(|l| l.split('\t').collect()).collect();
    let levels: Vec<&str> = lines.iter().map(|f| f[2]).collect();
    assert_eq!(
        levels,
        ["INFO", "INFO", "WARN", "ERROR", "FATAL", "WARN", "INFO"],
        "{err}"
    );
    assert!(lines.iter().all(|f| is_rfc3339_ms_utc(f[0])), "{err}");
    assert_eq!(lines[0][1..], ["-", "INFO", "initialised"]);
    // The newline became '\r' (one record, one line); the tab inside the message stays.
    assert_eq!(
        lines[1][1..],
        [
            id,
            "INFO",
            &format!("info from {id}: \"quoted\"\rsecond line"),
            "tab é"
        ]
    );
    assert_eq!(lines[5][1..], [id, "WARN", &format!("log crate from {id}")]);
    assert_eq!(
        lines[6][1..],
        [
            id,
            "INFO",
            &format!("after the barrier from {id} (1 in flight)")
        ]
    );
}
