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
        .args(["--warm-event", "w=/dev/null"])
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
    // Every sample's cold start to the first response is its init plus its first invoke.
    let mut checked = 0;
    for piece in text.split(r#"{"run":"#).skip(1) {
        let field = |k: &str| -> f64 {
            piece
                .split(&format!(r#""{k}":"#))
                .nth(1)
                .and_then(|r| r.split([',', '}']).next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("sample without {k}: {piece}"))
        };
        let (init, first, total) = (
            field("init_ms"),
            field("first_invoke_ms"),
            field("to_first_response_ms"),
        );
        assert!(
            (init + first - total).abs() < 1e-9,
            "{init} + {first} != {total}"
        );
        assert_eq!(field("threads"), 1.0, "the probe is single-threaded");
        checked += 1;
    }
    assert_eq!(checked, 6, "3 runs x 2 bootstraps with samples");
    assert_eq!(
        text.matches(r#"{"label":"w","warm_ms":["#).count(),
        6,
        "one warm-event series per sample"
    );
    assert!(
        text.contains(r#""warm_events":[{"label":"w","event_bytes":0}]"#),
        "{text}"
    );
    assert!(text.contains(r#""metric":"warm_p50_ms:w""#), "{text}");
    assert!(
        stdout.contains(" to first response (ms) |")
            && stdout.contains(" threads |")
            && stdout.contains(" warm p50 w (ms) |")
            && stdout.contains(" peak RSS after w |")
            && stdout.contains("each warm event in turn: `w` (0 bytes)"),
        "{stdout}"
    );

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

#[test]
fn warm_events_run_after_the_main_ones_in_the_same_process() {
    use rayo_bench::local::{measure_once, Options, Spec, WarmEvent};
    let spec = Spec::parse(&format!("p={}", env!("CARGO_BIN_EXE_bench-clockprobe"))).unwrap();
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(5000));
    let opts = Options {
        invokes: 2,
        event: b"{}".to_vec(),
        phases: vec![
            WarmEvent {
                label: "big".into(),
                event: big.clone().into_bytes(),
            },
            WarmEvent {
                label: "one".into(),
                event: b"[1]".to_vec(),
            },
        ],
        ..Options::default()
    };
    let m = measure_once(&spec, &opts, 1).unwrap();
    // first + 2 warm of the main event, then 2 of each warm event, in that order.
    let lens: Vec<u64> = m
        .outcomes
        .iter()
        .map(|o| {
            let body = String::from_utf8_lossy(&o.body);
            let n = body.split(r#""event_len":"#).nth(1).expect("probe body");
            n.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(lens, [2, 2, 2, big.len() as u64, big.len() as u64, 3, 3]);
    let s = &m.sample;
    assert_eq!(
        s.warm_ms.len(),
        2,
        "the main event's warm series has only its own"
    );
    assert!(
        s.warm_cpu_ms.is_some_and(|c| c > 0.0),
        "{:?}",
        s.warm_cpu_ms
    );
    let labels: Vec<&str> = s.phases.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["big", "one"]);
    for p in &s.phases {
        assert_eq!(p.warm_ms.len(), 2);
        assert!(p.warm_p50_ms.is_some() && p.peak_rss_kib > 0);
        assert!(
            p.cpu_ms.is_some_and(|c| c > 0.0),
            "CPU per invocation: {:?}",
            p.cpu_ms
        );
        assert!(
            p.peak_rss_kib <= s.peak_rss_kib,
            "a peak so far is at most the final peak"
        );
    }
    assert!(s.phases[0].peak_rss_kib <= s.phases[1].peak_rss_kib);
}
