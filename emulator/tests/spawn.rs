//! `Emulator::spawn` with a real child process (the bash stand-in bootstrap): the library
//! path bench-coldstart and the runtime-api tests use.
mod common;

use common::WAIT;
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn spawned_child_serves_many_invocations_over_one_connection() {
    let emu = Emulator::start(Config {
        function_name: "spawn-test".into(),
        ..Config::default()
    })
    .expect("start");
    let mut cmd = Command::new("bash");
    cmd.arg(format!(
        "{}/tests/fake_bootstrap.sh",
        env!("CARGO_MANIFEST_DIR")
    ))
    .stdout(Stdio::null());
    let spawned = Instant::now();
    let mut child = emu.spawn(cmd).expect("spawn bash");
    let first_next = emu.wait_next(WAIT).expect("the child polls /next");
    assert!(first_next > spawned);
    for i in 0..20 {
        let out = emu
            .invoke(format!("[{i}]").into_bytes(), WAIT)
            .expect("outcome");
        assert_eq!(out.kind, OutcomeKind::Response);
        assert_eq!(out.body, format!("{{\"echo\":[{i}]}}").into_bytes());
    }
    let failed = emu.invoke(b"\"fail\"".to_vec(), WAIT).expect("outcome");
    assert_eq!(
        failed.kind,
        OutcomeKind::Error {
            error_type: Some("Handler.Fail".into())
        }
    );
    // One /next per invocation plus the one now parked: 21 more after the first.
    for _ in 0..21 {
        emu.wait_next(WAIT).expect("a /next after each answer");
    }
    let stats = emu.stats();
    assert_eq!(stats.connections, 1, "{stats:?}");
    assert_eq!((stats.responses, stats.errors), (20, 1));
    assert_eq!(stats.next_requests, 22);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn lambda_env_is_complete() {
    let emu = Emulator::start(Config {
        function_name: "f".into(),
        memory_mb: 1769,
        region: "eu-north-1".into(),
        env: vec![("EXTRA".into(), "x".into())],
        ..Config::default()
    })
    .expect("start");
    let env = emu.lambda_env();
    let get = |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{k} missing"))
    };
    assert_eq!(get("AWS_LAMBDA_RUNTIME_API"), emu.runtime_api());
    assert_eq!(get("AWS_LAMBDA_FUNCTION_NAME"), "f");
    assert_eq!(get("AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "1769");
    assert_eq!(
        get("AWS_LAMBDA_LOG_GROUP_NAME"),
        "/aws/lambda/rayo-function"
    );
    assert!(get("AWS_LAMBDA_LOG_STREAM_NAME").contains("/[$LATEST]"));
    assert_eq!(get("AWS_REGION"), "eu-north-1");
    assert_eq!(get("AWS_DEFAULT_REGION"), "eu-north-1");
    assert_eq!(get("AWS_EXECUTION_ENV"), "AWS_Lambda_provided.al2023");
    assert_eq!(get("LAMBDA_TASK_ROOT"), "/var/task");
    assert_eq!(get("LAMBDA_RUNTIME_DIR"), "/var/runtime");
    assert_eq!(get("_HANDLER"), "bootstrap");
    assert_eq!(get("TZ"), ":UTC");
    assert!(get("PATH").contains("/usr/bin"));
    assert!(get("LD_LIBRARY_PATH").contains("/var/task"));
    assert!(!get("LANG").is_empty());
    assert_eq!(get("EXTRA"), "x");
}
