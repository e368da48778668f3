//! How long `Emulator::start` and `Drop` take (bench-coldstart makes one per run).
//!
//! `cargo run --release -p rayo-emulator --example start_drop [N]`
use rayo_emulator::{Config, Emulator};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let (mut starts, mut drops) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let emu = Emulator::start(Config::default())?;
        starts.push(t.elapsed());
        // A client parked in /next, then gone (a killed bootstrap), as in a cold-start run.
        let mut s = TcpStream::connect(emu.addr())?;
        s.write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")?;
        emu.wait_next(Duration::from_secs(5))?;
        drop(s);
        let t = Instant::now();
        drop(emu);
        drops.push(t.elapsed());
    }
    for (name, v) in [("start", &mut starts), ("drop", &mut drops)] {
        v.sort();
        println!(
            "{name}: median {:.3} ms, max {:.3} ms (n={n})",
            v[n / 2].as_secs_f64() * 1e3,
            v[n - 1].as_secs_f64() * 1e3
        );
    }
    Ok(())
}
