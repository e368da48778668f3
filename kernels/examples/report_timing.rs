//! The Rust side of `./report.sh`'s kernels-vs-NumPy table: a worker that
//! times rayo's kernels on request, so the driver (`scripts/report/part1.py`)
//! can interleave it with the NumPy worker op by op and share the noise.
//!
//! Protocol, one line each way (the NumPy worker speaks the same):
//!
//! ```text
//! > info                      < backend avx512
//! > run OP N CALLS BATCHES    < ok NS NS ...   (one total per batch of CALLS calls)
//! > quit
//! ```
//!
//! OP is dot, sum, max, add, mul or scale; N the element count. Each batch is
//! `Instant::now()` around CALLS calls, as the Python side does with
//! `perf_counter_ns()` around a loop: the same method on both sides.
//! Build: `cargo build --release -p kernels --example report_timing`.

use std::hint::black_box;
use std::io::{self, BufRead, Write};
use std::time::Instant;

/// Deterministic values in [-1, 1): no NaN or denormal to slow one side down.
fn data(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as f32 / (1 << 23) as f32 - 1.0
        })
        .collect()
}

/// Arrays kept between requests so only the first request at a size allocates.
struct Arrays {
    n: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    out: Vec<f32>,
}

impl Arrays {
    fn of(n: usize) -> Arrays {
        Arrays {
            n,
            a: data(n, 1),
            b: data(n, 2),
            out: vec![0.0; n],
        }
    }
}

/// Times `batches` batches of `calls` calls of `op`; the total ns of each batch.
fn run(op: &str, arr: &mut Arrays, calls: u64, batches: u64) -> Result<Vec<u128>, String> {
    let (a, b, out) = (&arr.a[..], &arr.b[..], &mut arr.out[..]);
    let mut totals = Vec::with_capacity(batches as usize);
    // One loop per op, so the timed loop holds a direct call, not a match.
    macro_rules! time {
        ($call:expr) => {{
            for _ in 0..batches {
                let t = Instant::now();
                for _ in 0..calls {
                    $call;
                }
                totals.push(t.elapsed().as_nanos());
            }
        }};
    }
    match op {
        "dot" => time!(black_box(kernels::dot(black_box(a), black_box(b)))),
        "sum" => time!(black_box(kernels::sum(black_box(a)))),
        "max" => time!(black_box(kernels::max(black_box(a)))),
        "add" => time!(kernels::add(
            black_box(a),
            black_box(b),
            black_box(&mut *out)
        )),
        "mul" => time!(kernels::mul(
            black_box(a),
            black_box(b),
            black_box(&mut *out)
        )),
        "scale" => time!(kernels::scale(
            black_box(a),
            black_box(1.5),
            black_box(&mut *out)
        )),
        other => return Err(format!("unknown op `{other}`")),
    }
    Ok(totals)
}

fn number(word: Option<&str>, what: &str, line: &str) -> Result<u64, String> {
    let w = word.ok_or_else(|| format!("missing {what} in `{line}`"))?;
    w.parse()
        .map_err(|_| format!("{what} `{w}` is not a whole number in `{line}`"))
}

fn answer(line: &str, arrays: &mut Option<Arrays>) -> Result<String, String> {
    let mut words = line.split_whitespace();
    match words.next() {
        Some("info") => Ok(format!("backend {}", kernels::Backend::active().name())),
        Some("run") => {
            let op = words
                .next()
                .ok_or_else(|| format!("missing op in `{line}`"))?;
            let n = number(words.next(), "N", line)? as usize;
            let calls = number(words.next(), "CALLS", line)?;
            let batches = number(words.next(), "BATCHES", line)?;
            if n == 0 || calls == 0 || batches == 0 {
                return Err(format!(
                    "N, CALLS and BATCHES must be at least 1 in `{line}`"
                ));
            }
            let arr = match arrays {
                Some(arr) if arr.n == n => arr,
                _ => arrays.insert(Arrays::of(n)),
            };
            let totals = run(op, arr, calls, batches)?;
            let mut s = String::from("ok");
            for t in totals {
                s.push(' ');
                s.push_str(&t.to_string());
            }
            Ok(s)
        }
        _ => Err(format!("unknown request `{line}`")),
    }
}

fn main() {
    let stdin = io::stdin();
    let mut stdout = io::stdout().lock();
    let mut arrays = None;
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "quit" {
            break;
        }
        let reply = match answer(line.trim(), &mut arrays) {
            Ok(s) => s,
            Err(e) => format!("error {e}"),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
