//! How late `wait_next` timestamps a fresh connection's first `GET /next`: the gap between
//! a client's write (same process, same clock) and the Instant the emulator records. This
//! is the emulator's own bias in cold-start figures.
//!
//! `cargo run --release -p rayo-emulator --example arrival_lag [N]`
use rayo_emulator::{Config, Emulator};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let emu = Emulator::start(Config::default())?;
    let mut fresh = Vec::with_capacity(n);
    let mut kept = Vec::with_capacity(n);
    let req = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
    for _ in 0..n {
        // A fresh connection, as a cold start makes it.
        let mut s = TcpStream::connect(emu.addr())?;
        s.set_nodelay(true)?;
        let before = Instant::now();
        s.write_all(req)?;
        let at = emu.wait_next(Duration::from_secs(5))?;
        fresh.push(at.saturating_duration_since(before));
        drop(s);
        std::thread::sleep(Duration::from_millis(2));
    }
    // The floor: the connection was accepted earlier and its thread is already reading.
    for _ in 0..n {
        let mut s = TcpStream::connect(emu.addr())?;
        s.set_nodelay(true)?;
        std::thread::sleep(Duration::from_millis(2));
        let before = Instant::now();
        s.write_all(req)?;
        let at = emu.wait_next(Duration::from_secs(5))?;
        kept.push(at.saturating_duration_since(before));
    }
    for (name, v) in [
        ("fresh connection", &mut fresh),
        ("connection already open", &mut kept),
    ] {
        v.sort();
        println!(
            "{name}: median {:.1} us, p90 {:.1} us, max {:.1} us (n={n})",
            v[n / 2].as_secs_f64() * 1e6,
            v[n * 9 / 10].as_secs_f64() * 1e6,
            v[n - 1].as_secs_f64() * 1e6
        );
    }
    Ok(())
}
