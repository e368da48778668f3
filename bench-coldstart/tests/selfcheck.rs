//! Accuracy self-check: the harness's timestamps against a test bootstrap's own clock.
//!
//! `bench-clockprobe` reads CLOCK_MONOTONIC (the clock behind `Instant` on Linux) at main
//! start, just before it writes `GET /next`, when the event has been read, and just before
//! it writes its response, and returns those readings as its response body. Mapping the
//! harness's `Instant`s onto the same clock, causality must hold exactly (nothing can arrive
//! before it was sent), and the harness's stamps must sit close to the probe's: they are
//! taken where bytes arrive, not after parsing or after a waiting thread wakes up.
use rayo_bench::local::{measure_once, Options, Spec};
use rayo_bench::procfs::monotonic_ns;
use std::time::{Duration, Instant};

#[derive(miniserde::Deserialize, Debug)]
struct Probe {
    main_ns: u64,
    next_send_ns: u64,
    next_recv_ns: u64,
    resp_send_ns: u64,
    event_len: u64,
}

/// Maps `Instant`s onto CLOCK_MONOTONIC ns via one (Instant, clock) pair read together.
struct Clock {
    instant: Instant,
    ns: u64,
}

impl Clock {
    fn now() -> Clock {
        let instant = Instant::now();
        let ns = monotonic_ns();
        Clock { instant, ns }
    }

    fn ns(&self, t: Instant) -> i128 {
        let base = self.ns as i128;
        match t.checked_duration_since(self.instant) {
            Some(d) => base + d.as_nanos() as i128,
            None => base - self.instant.duration_since(t).as_nanos() as i128,
        }
    }
}

fn median(mut v: Vec<i128>) -> i128 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[test]
fn harness_timestamps_agree_with_the_bootstraps_own_clock() {
    const RUNS: usize = 7;
    const SLEEP_MS: u64 = 20;
    // Generous for a busy 2-vCPU box; a stamp taken after parsing or after a thread wake-up
    // on a loaded machine would still usually pass, but one taken at the wrong event (e.g.
    // when wait_next returns, or after the whole exchange) would not.
    const MAX_LAG_NS: i128 = 2_000_000;

    let mut spec = Spec::parse(&format!("probe={}", env!("CARGO_BIN_EXE_bench-clockprobe")))
        .expect("the probe binary exists");
    spec.env
        .push(("PROBE_SLEEP_MS".into(), SLEEP_MS.to_string()));
    let opts = Options {
        runs: 1,
        invokes: 2,
        event: br#"{"hello":"world"}"#.to_vec(),
        timeout: Duration::from_secs(20),
        show_output: true,
        keep_going: false,
        cpu: None,
        measure_errors: false,
        phases: Vec::new(),
    };
    let clock = Clock::now();
    let (mut next_lags, mut resp_lags, mut deliver_lags) = (vec![], vec![], vec![]);
    println!("run  spawn->main  send->arrive  sent->recv  resp->received  (µs)");
    for run in 1..=RUNS {
        let m = measure_once(&spec, &opts, run).expect("probe run");
        assert_eq!(m.outcomes.len(), 3, "first + 2 warm invocations");
        let body = String::from_utf8(m.outcomes[0].body.clone()).expect("utf-8 body");
        let p: Probe = miniserde::json::from_str(&body).expect("probe JSON");
        assert_eq!(p.event_len, opts.event.len() as u64);

        let spawn = clock.ns(m.spawn_at);
        let next_at = clock.ns(m.next_at);
        let sent = clock.ns(m.outcomes[0].sent_at);
        let received = clock.ns(m.outcomes[0].received_at);
        let (main, send, recv, resp) = (
            p.main_ns as i128,
            p.next_send_ns as i128,
            p.next_recv_ns as i128,
            p.resp_send_ns as i128,
        );
        println!(
            "{run:>3}  {:>11}  {:>12}  {:>10}  {:>14}",
            (main - spawn) / 1000,
            (next_at - send) / 1000,
            (recv - sent) / 1000,
            (received - resp) / 1000
        );
        // Causality, exact: the process starts after the harness's spawn stamp, and bytes
        // arrive after they were sent.
        assert!(
            spawn <= main,
            "run {run}: spawn stamp {spawn} after the probe's main {main}"
        );
        assert!(
            send <= next_at,
            "run {run}: GET /next stamped {next_at} before the probe sent it at {send}"
        );
        assert!(
            sent <= recv,
            "run {run}: event 'sent' at {sent}, after the probe had already read it at {recv}"
        );
        assert!(
            resp <= received,
            "run {run}: response stamped {received} before the probe sent it at {resp}"
        );
        // The known delay is inside init, and the probe's handling inside the first invoke.
        assert!(
            m.sample.init_ms >= SLEEP_MS as f64,
            "run {run}: init {} ms < the probe's {SLEEP_MS} ms sleep",
            m.sample.init_ms
        );
        let handled_ms = (resp - recv) as f64 / 1e6;
        let first = m.sample.first_invoke_ms.expect("first invoke measured");
        assert!(first >= handled_ms, "run {run}: first invoke {first} ms shorter than the probe's own handling {handled_ms} ms");
        // "To first response" is init plus the first invoke: spawn to the response's last
        // byte without the harness's gap between the GET /next arriving and the event going out.
        let gap = sent - next_at;
        assert!(
            gap >= 0,
            "run {run}: the event was written before GET /next arrived"
        );
        let to_first = m
            .sample
            .to_first_response_ms
            .expect("to first response measured");
        let want_ms = (received - spawn - gap) as f64 / 1e6;
        assert!(
            (to_first - want_ms).abs() < 0.001,
            "run {run}: to first response {to_first} ms, the instants say {want_ms} ms"
        );
        assert_eq!(
            m.sample.threads,
            Some(1),
            "run {run}: the probe has one thread"
        );
        next_lags.push(next_at - send);
        resp_lags.push(received - resp);
        deliver_lags.push(recv - sent);
    }
    for (what, lags) in [
        ("GET /next arrival", next_lags),
        ("response arrival", resp_lags),
        ("event delivery", deliver_lags),
    ] {
        let m = median(lags);
        assert!(
            m < MAX_LAG_NS,
            "{what}: median lag {m} ns over {RUNS} runs exceeds {MAX_LAG_NS} ns"
        );
    }
}
