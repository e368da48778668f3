//! A test bootstrap with a known init cost: it burns `PROBE_SPIN_MS` milliseconds of its own
//! CPU time (CLOCK_PROCESS_CPUTIME_ID, so time spent throttled or descheduled does not
//! count), then connects, sends `GET /next` and waits, like the bare baseline. Under
//! `--memory` its init should take about spin / share (tests/memory.rs).
use std::process::ExitCode;

// park.rs lives in this package (so it is published with it); the baseline includes it too.
#[path = "../park.rs"]
mod park;

fn cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_PROCESS_CPUTIME_ID exists on
    // Linux, so the call fills it.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn main() -> ExitCode {
    let spin_ms: u64 = match std::env::var("PROBE_SPIN_MS").map(|v| v.parse()) {
        Ok(Ok(ms)) => ms,
        Err(_) => 0,
        Ok(Err(_)) => {
            eprintln!("bench-spinprobe: PROBE_SPIN_MS is not a whole number of ms");
            return ExitCode::FAILURE;
        }
    };
    let until = cpu_ns() + spin_ms * 1_000_000;
    let mut x = 0u64;
    while cpu_ns() < until {
        // Some work the optimiser cannot drop, between clock reads.
        for i in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
    }
    std::hint::black_box(x);
    park::get_next_and_wait("bench-spinprobe")
}
