//! The local mode end to end through the CLI: interleaved runs, table, JSON, SVG, failures.
use std::process::Command;

fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bench-coldstart"))
}

#[test]
fn table_json_and_svg_for_two_bootstraps_and_a_dropped_one() {
    let dir = std::env::temp_dir().join(format!("bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, svg) = (dir.join("r.json"), dir.join("r.svg"));
    let probe = env!("CARGO_BIN_EXE_bench-clockprobe");
    let out = bench()
        .args([
            "--runs",
            "3",
            "--invokes",
            "4",
            "--event",
            r#"{"k":"v"}"#,
            "--keep-going",
        ])
        .arg("--json")
        .arg(&json)
        .arg("--svg")
        .arg(&svg)
        .arg(format!("a={probe}"))
        .arg("dies=sh -c exit")
        .arg(format!("b={probe}"))
        .args(["--env", "b=PROBE_SLEEP_MS=5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("Machine: ") && stdout.contains("Command: `"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| a | ") && stdout.contains("| b | "),
        "{stdout}"
    );
    assert!(
        stdout.contains("| dies | "),
        "a dropped bootstrap keeps its row: {stdout}"
    );
    assert!(
        stdout.contains("**`dies` failed and was dropped** after 0 counted runs"),
        "{stdout}"
    );
    assert!(stdout.contains("exited early"), "{stdout}");

    let text = std::fs::read_to_string(&json).unwrap();
    let doc: miniserde::json::Value = miniserde::json::from_str(&text).unwrap();
    assert!(
        text.contains(r#""mode":"local""#) && text.contains(r#""cpu_model":"#),
        "{text}"
    );
    let miniserde::json::Value::Object(top) = doc else {
        panic!("not an object")
    };
    let Some(miniserde::json::Value::Array(boots)) = top.get("bootstraps") else {
        panic!("no bootstraps")
    };
    assert_eq!(boots.len(), 3);
    let samples = |i: usize| match &boots[i] {
        miniserde::json::Value::Object(o) => match o.get("samples") {
            Some(miniserde::json::Value::Array(a)) => a.len(),
            _ => usize::MAX,
        },
        _ => usize::MAX,
    };
    assert_eq!(
        (samples(0), samples(1), samples(2)),
        (3, 0, 3),
        "warm-up not counted"
    );
    // b sleeps 5 ms before its first GET /next: its init must show it.
    let b_init_min = text
        .split(r#"{"bootstrap":"b","metric":"init_ms","#)
        .nth(1)
        .and_then(|r| r.split(r#""min":"#).nth(1))
        .and_then(|r| r.split(',').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("b's init summary");
    assert!(b_init_min >= 5.0, "b init min {b_init_min} ms");

    let chart = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(
        chart.matches("<circle").count(),
        6,
        "3 runs x 2 bootstraps with samples"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_keep_going_a_failure_stops_with_the_reason() {
    let out = bench()
        .args(["--runs", "1", "dies=sh -c exit"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("bootstrap `dies`, run 0") && stderr.contains("exited early"),
        "{stderr}"
    );
    let out = bench().args(["--runs", "x", "a=sh"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"x\" is not a valid number"));
}

#[test]
fn function_errors_are_counted_not_fatal() {
    use rayo_bench::local::{measure_once, Options, Spec};
    let mut spec = Spec::parse(&format!("err={}", env!("CARGO_BIN_EXE_bench-clockprobe"))).unwrap();
    spec.env.push(("PROBE_ERROR".into(), "1".into()));
    let opts = Options {
        invokes: 3,
        ..Options::default()
    };
    let m = measure_once(&spec, &opts, 1).unwrap();
    assert_eq!(m.sample.function_errors, 4, "first + 3 warm, all on /error");
    assert_eq!(m.sample.warm_ms.len(), 3);
    assert!(m.sample.first_invoke_ms.is_some());
    assert!(m.sample.peak_rss_kib > 0 && m.sample.cpu_ms > 0.0);
    assert!(matches!(
        &m.outcomes[0].kind,
        rayo_emulator::OutcomeKind::Error { error_type: Some(t) } if t == "Probe.Error"
    ));
}

#[test]
fn every_invocation_an_error_fails_loudly_unless_measuring_errors() {
    let probe = env!("CARGO_BIN_EXE_bench-clockprobe");
    let run = |extra: &[&str]| {
        bench()
            .args(["--runs", "2", "--invokes", "1"])
            .args(extra)
            .arg(format!("ok={probe}"))
            .arg(format!("failing={probe}"))
            .args(["--env", "failing=PROBE_ERROR=1"])
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("| failing | "),
        "the table is still printed: {stdout}"
    );
    assert!(
        stderr.contains("WARNING: every invocation of failing was a function error"),
        "{stderr}"
    );
    assert!(stderr.contains("pass --measure-errors"), "{stderr}");
    assert!(!stderr.contains("every invocation of ok"), "{stderr}");

    let out = run(&["--measure-errors"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("WARNING"), "{stderr}");
}
