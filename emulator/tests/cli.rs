//! The `emulator` binary end to end, with a bash stand-in for the bootstrap
//! (tests/fake_bootstrap.sh), so this crate's tests need no other crate's binary.
mod common;

use common::Client;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EMULATOR: &str = env!("CARGO_BIN_EXE_emulator");

fn fake() -> String {
    format!("{}/tests/fake_bootstrap.sh", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(EMULATOR)
        .args(args)
        .output()
        .expect("run the emulator binary")
}

/// SIGTERM through bash's builtin `kill` (bash is already needed; /bin/kill may not be).
fn sigterm(pid: u32) -> std::process::ExitStatus {
    Command::new("bash")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .expect("run bash")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn event_repeat_prints_each_response_and_timings() {
    let fake = fake();
    let out = run(&["--event", "{\"a\":1}", "--repeat", "3", "--", "bash", &fake]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "{\"echo\":{\"a\":1}}\n".repeat(3));
    assert!(
        stderr.contains(" ms (spawn to first GET /next)"),
        "{stderr}"
    );
    for i in 1..=3 {
        assert!(stderr.contains(&format!("invoke {i}: ")), "{stderr}");
    }
    let init_line = stderr
        .lines()
        .find(|l| l.starts_with("init: "))
        .expect("init line");
    let ms: f64 = init_line["init: ".len()..]
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number of ms");
    assert!(ms > 0.0, "{init_line}");
}

#[test]
fn function_error_exits_1_and_prints_the_error_body() {
    let fake = fake();
    let out = run(&["--event", "\"fail\"", "--", "bash", &fake]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"errorMessage\":\"asked to fail\",\"errorType\":\"Handler.Fail\"}\n"
    );
    assert!(text(&out.stderr).contains("function error (Handler.Fail)"));
}

#[test]
fn init_error_exits_1_and_is_printed() {
    let fake = fake();
    let out = run(&["--event", "{}", "--", "bash", &fake, "init-error"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("init error (Runtime.FakeInit)"), "{stderr}");
    assert!(stderr.contains("cannot start"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_child_that_exits_is_an_emulator_error_with_its_status() {
    let fake = fake();
    let out = run(&["--event", "{}", "--", "bash", &fake, "exit"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("exited (exit status: 3) before calling GET /next"),
        "{stderr}"
    );
}

#[test]
fn a_child_that_never_polls_times_out_and_is_killed() {
    let t = Instant::now();
    let out = run(&["--event", "{}", "--timeout", "0.3", "--", "sleep", "30"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("did not call GET /next within 300ms"),
        "{stderr}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "the child was not killed"
    );
}

#[test]
fn missing_command_is_reported() {
    let out = run(&["--event", "{}", "--", "/nonexistent/bootstrap"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot start \"/nonexistent/bootstrap\""),
        "{stderr}"
    );
}

#[test]
fn event_file_from_stdin() {
    let fake = fake();
    let mut child = Command::new(EMULATOR)
        .args(["--event-file", "-", "--", "bash", &fake])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"[1,2,3]")
        .expect("write event");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"echo\":[1,2,3]}\n");
}

#[test]
fn the_child_gets_a_clean_lambda_environment() {
    let fake = fake();
    let out = Command::new(EMULATOR)
        .args([
            "--event",
            "{}",
            "--prefix",
            "pre/fix",
            "--env",
            "RAYO_X=1=2",
        ])
        .args(["--", "bash", &fake, "env"])
        .env("PARENT_SECRET", "must-not-leak")
        .output()
        .expect("run");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let vars: Vec<&str> = stdout.trim().trim_matches('"').split(';').collect();
    for expected in [
        "AWS_LAMBDA_FUNCTION_NAME=rayo-function",
        "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
        "AWS_REGION=us-east-1",
        "AWS_DEFAULT_REGION=us-east-1",
        "LAMBDA_TASK_ROOT=/var/task",
        "TZ=:UTC",
        "RAYO_X=1=2",
    ] {
        assert!(vars.contains(&expected), "{expected} missing from {vars:?}");
    }
    assert!(
        vars.iter().any(
            |v| v.starts_with("AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:")
                && v.ends_with("/pre/fix")
        ),
        "{vars:?}"
    );
    assert!(
        !stdout.contains("PARENT_SECRET"),
        "parent env leaked: {vars:?}"
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    for args in [
        &[][..],
        &["--event", "{}"][..],
        &["--bogus", "--", "true"][..],
        &["--event", "{}", "--repeat", "0", "--", "true"][..],
        &["--event", "{}", "--timeout", "-1", "--", "true"][..],
        &["--serve", "notaport", "--", "true"][..],
        &["--event", "{}", "--serve", "0", "--", "true"][..],
        &["--", "true"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("usage:"), "{args:?}");
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).starts_with("usage: emulator"));
}

#[test]
fn serve_answers_invokes_until_sigterm() {
    let fake = fake();
    let mut child = Command::new(EMULATOR)
        .args(["--serve", "0", "--", "bash", &fake])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the emulator printed the curl line")
            .expect("read stderr");
        if let Some(i) = line.find("http://") {
            if line.starts_with("invoke with: curl") {
                break line[i..].split(' ').next().unwrap_or_default().to_string();
            }
        }
    };
    let rest = url.strip_prefix("http://").expect("http url");
    let (addr, path) = rest.split_at(rest.find('/').expect("a path"));
    assert_eq!(path, "/2015-03-31/functions/function/invocations");
    let mut c = Client::connect(addr.parse().expect("socket address"));
    let r = c.post(path, "", b"{\"q\":2}");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"{\"echo\":{\"q\":2}}");
    let r = c.post(path, "", b"\"fail\"");
    assert_eq!(r.header("X-Amz-Function-Error"), Some("Unhandled"));

    let killed = sigterm(child.id());
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the emulator did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_while_waiting_ends_the_run_and_the_child() {
    let mut child = Command::new(EMULATOR)
        .args(["--event", "{}", "--timeout", "60", "--", "sleep", "60"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The handlers are installed before the child is spawned: wait for the child.
    let children = format!("/proc/{0}/task/{0}/children", child.id());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(&children).map_or(true, |c| c.trim().is_empty()) {
        assert!(
            Instant::now() < deadline,
            "the emulator never spawned its child"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = sigterm(child.id());
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the emulator ignored SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("interrupted while waiting for GET /next"));
}
