//! The request decoder against serde_json on the same events, in the same run, plus the
//! whole `handle` (decode + kernel + encode) and the response encoder.
//!
//! `cargo bench -p rayo-bootstrap --bench compute`
//!
//! Wall-clock medians on a shared machine are noisy; for a repeatable figure the same binary
//! runs a fixed decode loop under callgrind (see `callgrind_loop`), e.g.
//! `DECODE_LOOP=rayo DECODE_EVENT=f32text/1024 DECODE_ITERS=10 valgrind --tool=callgrind
//! target/release/deps/compute-<hash>`, minus the same with `DECODE_ITERS=0` (building the
//! event), divided by 10; and `DECODE_LOOP=serde_json` for the other side.
// criterion_group! declares a `pub fn` it gives no doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use serde::Deserialize;
use std::hint::black_box;

/// What serde_json must build for a dot request: the same typed data rayo's decoder produces.
#[derive(Deserialize)]
#[allow(dead_code)]
struct DotRequest {
    op: String,
    a: Vec<f32>,
    b: Vec<f32>,
}

/// Deterministic pseudo-random floats in [-1, 1), printed as a client's JSON library would
/// (shortest round trip for f32: mostly 9-11 characters).
fn floats(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A dot event as a Rust/JS client writes it: shortest f32 text (mostly 9-11 characters).
fn dot_event(n: usize) -> Vec<u8> {
    let json = |v: Vec<f32>| serde_json::to_string(&v).expect("floats serialize");
    format!(
        r#"{{"op":"dot","a":{},"b":{}}}"#,
        json(floats(n, 1)),
        json(floats(n, 2))
    )
    .into_bytes()
}

/// The same values as a Python client writes them (f32 widened to f64, shortest f64 text:
/// up to 17 significant digits, e.g. `-0.30000001192092896`).
fn dot_event_f64_text(n: usize) -> Vec<u8> {
    let json = |v: Vec<f32>| {
        let wide: Vec<f64> = v.into_iter().map(f64::from).collect();
        serde_json::to_string(&wide).expect("floats serialize")
    };
    format!(
        r#"{{"op":"dot","a":{},"b":{}}}"#,
        json(floats(n, 1)),
        json(floats(n, 2))
    )
    .into_bytes()
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_dot_event");
    let cases = [
        ("f32text", 1024usize, dot_event(1024)),
        ("f32text", 65536, dot_event(65536)),
        ("f64text", 1024, dot_event_f64_text(1024)),
    ];
    for (kind, n, event) in cases {
        // Both must agree on the values before their speed means anything.
        let ours = rayo_bootstrap::compute::parse(&event).expect("valid event");
        let theirs: DotRequest = serde_json::from_slice(&event).expect("valid event");
        assert!(matches!(ours, rayo_bootstrap::compute::Request::Single(_)));
        assert_eq!(theirs.a.len(), n);
        g.throughput(Throughput::Bytes(event.len() as u64));
        g.bench_with_input(
            BenchmarkId::new(format!("rayo/{kind}"), n),
            &event,
            |b, e| b.iter(|| rayo_bootstrap::compute::parse(black_box(e))),
        );
        g.bench_with_input(
            BenchmarkId::new(format!("serde_json/{kind}"), n),
            &event,
            |b, e| b.iter(|| serde_json::from_slice::<DotRequest>(black_box(e))),
        );
    }
    g.finish();
}

fn handle(c: &mut Criterion) {
    let mut g = c.benchmark_group("handle");
    let event = dot_event(1024);
    g.throughput(Throughput::Bytes(event.len() as u64));
    g.bench_function("dot_1024", |b| {
        b.iter(|| rayo_bootstrap::compute::handle(black_box(&event)))
    });
    let a = serde_json::to_string(&floats(1024, 3)).expect("floats serialize");
    let relu = format!(r#"{{"op":"relu","a":{a}}}"#).into_bytes();
    g.bench_function("relu_1024_json_out", |b| {
        b.iter(|| rayo_bootstrap::compute::handle(black_box(&relu)))
    });
    let relu_b64 = format!(r#"{{"op":"relu","a":{a},"encoding":"b64"}}"#).into_bytes();
    g.bench_function("relu_1024_b64_out", |b| {
        b.iter(|| rayo_bootstrap::compute::handle(black_box(&relu_b64)))
    });
    g.finish();
}

/// Shortest round-trip f32 text: zmij (what the encoder uses) against core's `{}` (also
/// shortest round-trip), on the same 1024 values.
fn format(c: &mut Criterion) {
    use std::io::Write;
    let values = floats(1024, 4);
    let mut g = c.benchmark_group("format_f32_1024");
    g.throughput(Throughput::Elements(values.len() as u64));
    g.bench_function("zmij", |b| {
        let mut out = Vec::with_capacity(16 * 1024);
        b.iter(|| {
            out.clear();
            let mut buf = zmij::Buffer::new();
            for &v in black_box(&values) {
                out.extend_from_slice(buf.format_finite(v).as_bytes());
                out.push(b',');
            }
            out.len()
        })
    });
    g.bench_function("core_display", |b| {
        let mut out = Vec::with_capacity(16 * 1024);
        b.iter(|| {
            out.clear();
            for &v in black_box(&values) {
                let _ = write!(out, "{v},");
            }
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, decode, handle, format);

/// With `DECODE_LOOP=<rayo|serde_json> DECODE_EVENT=<f32text|f64text>/<n>` (and optionally
/// `DECODE_ITERS`, default 100), decodes that event that many times and exits instead of
/// benchmarking: a fixed amount of work for `valgrind --tool=callgrind`, whose instruction
/// counts repeat exactly where wall-clock medians on a shared machine do not.
fn callgrind_loop(decoder: &str) {
    let event_name = std::env::var("DECODE_EVENT").unwrap_or_else(|_| "f32text/1024".into());
    let iters: usize = std::env::var("DECODE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let event = match event_name.split_once('/') {
        Some(("f32text", n)) => n.parse().ok().map(dot_event),
        Some(("f64text", n)) => n.parse().ok().map(dot_event_f64_text),
        _ => None,
    };
    let Some(event) = event else {
        eprintln!("DECODE_EVENT must be f32text/<n> or f64text/<n>, not {event_name:?}");
        std::process::exit(2);
    };
    for _ in 0..iters {
        match decoder {
            "rayo" => {
                let r = rayo_bootstrap::compute::parse(black_box(&event));
                assert!(r.is_ok(), "rayo rejected the event");
                black_box(r.ok());
            }
            "serde_json" => {
                let r = serde_json::from_slice::<DotRequest>(black_box(&event));
                assert!(r.is_ok(), "serde_json rejected the event");
                black_box(r.ok());
            }
            other => {
                eprintln!("DECODE_LOOP must be rayo or serde_json, not {other:?}");
                std::process::exit(2);
            }
        }
    }
    println!("{decoder}: decoded {event_name} {iters} times");
}

fn main() {
    if let Ok(decoder) = std::env::var("DECODE_LOOP") {
        callgrind_loop(&decoder);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
