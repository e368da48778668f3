//! The soak run: one bootstrap process serves RAYO_SOAK_INVOCATIONS (default 1,000,000)
//! invocations through the emulator. Not in the default suite (it takes minutes): run it with
//! `scripts/soak.sh`, which builds in release mode and passes `--ignored`.
//!
//! Asserts: no failed invocation (every outcome is the expected one), peak RSS (VmHWM) grows by
//! at most 64 KiB between invocation 1,000 and the end, and the open file descriptor count is
//! the same at both points. Prints the figures and writes them to RAYO_SOAK_REPORT if set.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rayo_emulator::{Config, Emulator, OutcomeKind};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `kB` field of /proc/PID/status, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc fd")
        .count()
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: usize,
    hwm_kib: u64,
    rss_kib: u64,
    fds: usize,
    emulator_rss_kib: u64,
    elapsed: Duration,
}

#[test]
#[ignore = "minutes long: run by scripts/soak.sh"]
fn one_bootstrap_serves_a_million_invocations_with_flat_memory_and_fds() {
    let total: usize = std::env::var("RAYO_SOAK_INVOCATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    assert!(total >= 2_000, "the check starts at invocation 1,000");
    let bin = std::env::var("RAYO_SOAK_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_bootstrap").to_string());
    let emu = Emulator::start(Config {
        timeout: Duration::from_secs(30),
        ..Config::default()
    })
    .expect("emulator");
    let mut cmd = Command::new(&bin);
    cmd.stderr(Stdio::null());
    let child = Killed(emu.spawn(cmd).expect("spawn the bootstrap"));
    let pid = child.0.id();
    let me = std::process::id();

    // A mix of what a compute function sees: single ops, base64, a batch with a bad op (an
    // error in its slot), and a malformed event (an invocation error).
    let events: [(&[u8], bool); 5] = [
        (br#"{"op":"dot","a":[1,2,3],"b":[4,5,6]}"#, true),
        (
            br#"{"op":"add","a_b64":"AACAPw==","b":[2],"encoding":"b64"}"#,
            true,
        ),
        (
            br#"{"ops":[{"op":"softmax","a":[0,0,1]},{"op":"dto","a":[1]}]}"#,
            true,
        ),
        (
            br#"{"op":"matvec","m":[1,2,3,4,5,6],"rows":2,"cols":3,"x":[1,0,-1]}"#,
            true,
        ),
        (br#"{"op":"dot","a":[1,2"#, false),
    ];
    let mut expected: Vec<Option<Vec<u8>>> = vec![None; events.len()];
    let began = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let sample = |at: usize| Sample {
        at,
        hwm_kib: status_kib(pid, "VmHWM:"),
        rss_kib: status_kib(pid, "VmRSS:"),
        fds: fds(pid),
        emulator_rss_kib: status_kib(me, "VmRSS:"),
        elapsed: began.elapsed(),
    };
    for i in 1..=total {
        let k = i % events.len();
        let (event, ok) = events[k];
        let out = emu
            .invoke(event.to_vec(), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("invocation {i} failed: {e}"));
        match (&out.kind, ok) {
            (OutcomeKind::Response, true) | (OutcomeKind::Error { .. }, false) => {}
            (kind, _) => panic!(
                "invocation {i}: unexpected {kind:?}: {}",
                String::from_utf8_lossy(&out.body)
            ),
        }
        match &expected[k] {
            Some(want) => assert!(
                &out.body == want,
                "invocation {i}: the answer changed: {}",
                String::from_utf8_lossy(&out.body)
            ),
            None => expected[k] = Some(out.body),
        }
        if i == 1_000 || i % 100_000 == 0 || i == total {
            let s = sample(i);
            eprintln!(
                "soak: {:>9} invocations  {:>7.1}s  VmHWM {} KiB  VmRSS {} KiB  fds {}  emulator VmRSS {} KiB",
                s.at,
                s.elapsed.as_secs_f64(),
                s.hwm_kib,
                s.rss_kib,
                s.fds,
                s.emulator_rss_kib
            );
            samples.push(s);
        }
    }
    let first = samples[0];
    let last = *samples.last().expect("samples");
    let stats = emu.stats();
    let report = format!(
        "invocations\t{total}\nfailed\t0\nseconds\t{:.1}\nper_second\t{:.0}\n\
         hwm_kib_at_1000\t{}\nhwm_kib_at_end\t{}\nrss_kib_at_1000\t{}\nrss_kib_at_end\t{}\n\
         fds_at_1000\t{}\nfds_at_end\t{}\nemulator_rss_kib_at_1000\t{}\nemulator_rss_kib_at_end\t{}\n\
         connections\t{}\nbinary\t{bin}\n",
        last.elapsed.as_secs_f64(),
        total as f64 / last.elapsed.as_secs_f64(),
        first.hwm_kib,
        last.hwm_kib,
        first.rss_kib,
        last.rss_kib,
        first.fds,
        last.fds,
        first.emulator_rss_kib,
        last.emulator_rss_kib,
        stats.connections,
    );
    eprint!("{report}");
    if let Ok(path) = std::env::var("RAYO_SOAK_REPORT") {
        std::fs::write(&path, &report).expect("write the soak report");
    }
    assert_eq!(
        stats.responses + stats.errors,
        total,
        "every invocation answered"
    );
    assert_eq!(stats.connections, 1, "one kept-alive connection throughout");
    assert!(
        last.hwm_kib <= first.hwm_kib + 64,
        "peak RSS grew {} KiB after invocation 1,000",
        last.hwm_kib - first.hwm_kib
    );
    assert_eq!(first.fds, last.fds, "open file descriptors changed");
    drop(child);
}
