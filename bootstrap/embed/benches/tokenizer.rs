//! Tokenizer speed: loading vocab.txt (cold start) and encoding sentences of several shapes.
//! `cargo bench -p rayo-embed --bench tokenizer`; HF tokenizers on the same texts, for scale:
//! `bootstrap/embed/tokenizer-check/bench_hf.sh`. Needs the model (fetch-model.sh runs first).
// criterion_group! declares a `pub fn` it gives no doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rayo_embed::tokenizer::{Tokenizer, MAX_SEQ_LEN};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

/// The texts both this bench and bench_hf.py use (keep them in step).
pub fn texts() -> Vec<(&'static str, String)> {
    vec![
        (
            "short-16tok",
            "The weather is lovely today, isn't it? Let's go out.".to_string(),
        ),
        (
            "sentence-128tok",
            "Rayo runs sentence embeddings on AWS Lambda: a custom runtime in Rust, \
             a hand-rolled HTTP client, SIMD kernels and a BERT encoder. "
                .repeat(4),
        ),
        (
            "long-truncated",
            "Internationalization of tokenizers, résumé café naïve. ".repeat(200),
        ),
        (
            "accents",
            "Crème brûlée à Øresund, Dvořák in Łódź; Tiếng Việt Nguyễn. ".repeat(4),
        ),
        (
            "cjk",
            "自然语言处理是人工智能的一个分支。日本語のテキストも。한국어 문장".repeat(3),
        ),
    ]
}

fn vocab() -> Vec<u8> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fetch-model.sh");
    let out = Command::new(&script)
        .output()
        .expect("running fetch-model.sh");
    assert!(out.status.success(), "fetch-model.sh failed");
    let dir = String::from_utf8(out.stdout).unwrap();
    std::fs::read(Path::new(dir.trim()).join("vocab.txt")).expect("reading vocab.txt")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn bench(c: &mut Criterion) {
    let bytes = vocab();
    // Criterion's figures are only as good as the machine is quiet; the cold-start figure
    // that the load cannot distort is tokenizer-check/load_cost.sh's instruction count.
    eprintln!("load average before: {}", load_average());
    let mut g = c.benchmark_group("tokenizer");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    // As the Lambda init calls it: on the Vec std::fs::read returned (no copy).
    g.bench_function("from_vocab_txt/owned", |b| {
        b.iter_batched(
            || bytes.clone(),
            |v| Tokenizer::from_vocab_txt(v).unwrap(),
            BatchSize::LargeInput,
        )
    });
    // On a borrowed slice: copied first.
    g.bench_function("from_vocab_txt/borrowed", |b| {
        b.iter(|| Tokenizer::from_vocab_txt(black_box(&bytes)).unwrap())
    });
    let tok = Tokenizer::from_vocab_txt(&bytes).unwrap();
    let mut ids = Vec::with_capacity(MAX_SEQ_LEN);
    for (name, text) in texts() {
        ids.clear();
        tok.encode(&text, MAX_SEQ_LEN, &mut ids);
        eprintln!("{name}: {} bytes, {} ids", text.len(), ids.len());
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                ids.clear();
                tok.encode(black_box(&text), MAX_SEQ_LEN, &mut ids)
            })
        });
    }
    g.finish();
    eprintln!("load average after: {}", load_average());
}

criterion_group!(benches, bench);
criterion_main!(benches);
