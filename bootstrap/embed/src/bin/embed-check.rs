//! embed-check: host-side checks and measurements of the encoder (feature `convert`).
//!
//! ```text
//! embed-check compare WEIGHTS REFERENCE.json --min-cosine C [--sentences]
//!     Embeds every reference sentence from the reference's token ids (and, with
//!     --sentences, from the text through rayo's tokenizer, which must give the same ids)
//!     and checks each cosine with the float64 reference (tests/reference.py) is >= C; then
//!     the model card's three similarities to 3 decimals. Exit 1 on any failure.
//! embed-check profile WEIGHTS [--reps N]
//!     Per-stage profile and warm latency of embed_ids: one 16-token sentence, one 128-token
//!     sentence, 32 sentences of 16 tokens; medians of N interleaved rounds.
//! embed-check init WEIGHTS [--reps N]
//!     Init cost: open with header-only vs full checksum verification, and the vocabulary,
//!     interleaved, medians (the file in the page cache).
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use miniserde::json::{Number, Value};
use rayo_embed::{Model, Profile, Stage, Verify, Weights, Workspace};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("compare") => compare(&args[1..]),
        Some("profile") => profile(&args[1..]),
        Some("init") => init(&args[1..]),
        _ => Err(
            "usage: embed-check compare|profile|init WEIGHTS ... (see the source's header)"
                .to_string(),
        ),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("embed-check: {e}");
            ExitCode::from(2)
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn open(path: &str) -> Result<Weights, String> {
    Weights::open(std::path::Path::new(path), Verify::Full).map_err(|e| e.to_string())
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(Number::F64(x)) => Some(*x),
        Value::Number(Number::U64(x)) => Some(*x as f64),
        Value::Number(Number::I64(x)) => Some(*x as f64),
        _ => None,
    }
}

fn cosine(a: &[f32], b: &[f64]) -> f64 {
    let mut dot = 0.0;
    let mut na = 0.0;
    let mut nb = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        let x = f64::from(x);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    dot / (na.sqrt() * nb.sqrt())
}

struct RefSentence {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f64>,
}

fn read_reference(path: &str) -> Result<Vec<RefSentence>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let Ok(Value::Object(root)) = miniserde::json::from_str::<Value>(&text) else {
        return Err(format!("{path}: not a JSON object"));
    };
    let bad = |what: &str| format!("{path}: {what}");
    let Some(Value::Array(items)) = root.get("sentences") else {
        return Err(bad("no \"sentences\" array"));
    };
    let mut out = Vec::new();
    for it in items.iter() {
        let Value::Object(o) = it else {
            return Err(bad("a sentence is not an object"));
        };
        let text = match o.get("text") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(bad("a sentence has no text")),
        };
        let list = |key: &str| -> Result<Vec<f64>, String> {
            match o.get(key) {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(num)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad(key)),
                _ => Err(bad(key)),
            }
        };
        out.push(RefSentence {
            text,
            ids: list("ids")?.into_iter().map(|v| v as u32).collect(),
            embedding: list("embedding")?,
        });
    }
    Ok(out)
}

/// The model card's similarities, to 3 decimals (sentence-transformers' README).
const MODEL_CARD: [(&str, &str, f64); 3] = [
    (
        "The weather is lovely today.",
        "It's so sunny outside!",
        0.6660,
    ),
    (
        "The weather is lovely today.",
        "He drove to the stadium.",
        0.1046,
    ),
    ("It's so sunny outside!", "He drove to the stadium.", 0.1411),
];

fn compare(args: &[String]) -> Result<bool, String> {
    let [weights, reference, ..] = args else {
        return Err("compare WEIGHTS REFERENCE.json --min-cosine C [--sentences]".into());
    };
    let min_cos: f64 = flag(args, "--min-cosine")
        .ok_or("--min-cosine is required")?
        .parse()
        .map_err(|e| format!("--min-cosine: {e}"))?;
    let sentences = args.iter().any(|a| a == "--sentences");
    let w = open(weights)?;
    let model = Model::load(&w).map_err(|e| e.to_string())?;
    let refs = read_reference(reference)?;
    let dtype = if w
        .header()
        .tensors
        .iter()
        .any(|t| t.dtype == rayo_embed::format::Dtype::F16)
    {
        "f16"
    } else {
        "f32"
    };
    let hidden = model.config().hidden;
    let mut ws = Workspace::default();
    let mut ok = true;

    // 1. All sentences in one batch from the reference's ids (chunked by the encoder), and
    //    every tenth sentence alone: both must match.
    let ids: Vec<u32> = refs.iter().flat_map(|r| r.ids.iter().copied()).collect();
    let lens: Vec<usize> = refs.iter().map(|r| r.ids.len()).collect();
    let mut batch = Vec::new();
    let t0 = Instant::now();
    model
        .bert
        .embed_ids(&ids, &lens, true, &mut ws.scratch, &mut batch, None)
        .map_err(|e| e.to_string())?;
    let batch_time = t0.elapsed();
    let mut worst = (f64::INFINITY, 0usize);
    let mut worst_single = f64::INFINITY;
    let mut sum = 0.0;
    let mut failures = 0;
    let mut one = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let c = cosine(&batch[i * hidden..(i + 1) * hidden], &r.embedding);
        let c1 = if i % 10 == 0 {
            model
                .bert
                .embed_ids(
                    &r.ids,
                    &[r.ids.len()],
                    true,
                    &mut ws.scratch,
                    &mut one,
                    None,
                )
                .map_err(|e| e.to_string())?;
            cosine(&one, &r.embedding)
        } else {
            c
        };
        worst_single = worst_single.min(c1);
        sum += c;
        if c < worst.0 {
            worst = (c, i);
        }
        if c < min_cos || c1 < min_cos {
            failures += 1;
            if failures <= 5 {
                println!(
                    "  FAIL sentence {i} ({} tokens): cosine {c:.9} (alone {c1:.9}) < {min_cos}",
                    r.ids.len()
                );
            }
        }
    }
    let (min_len, max_len) = (
        lens.iter().min().copied().unwrap_or(0),
        lens.iter().max().copied().unwrap_or(0),
    );
    println!(
        "{dtype}: {} sentences of {min_len}-{max_len} tokens ({} in all, one batch in {:.1} s): cosine with the \
         float64 reference: min {:.9} (1 - cos = {:.1e}; sentence {}, {} tokens), min of every 10th alone {:.9}, \
         mean {:.9}; bound {min_cos}: {}",
        refs.len(),
        ids.len(),
        batch_time.as_secs_f64(),
        worst.0,
        1.0 - worst.0,
        worst.1,
        lens.get(worst.1).copied().unwrap_or(0),
        worst_single,
        sum / refs.len() as f64,
        if failures == 0 { "PASS".to_string() } else { format!("FAIL ({failures} sentences)") }
    );
    ok &= failures == 0;

    // 2. The model card's similarities, from the reference's token ids of those sentences.
    for (a, b, want) in MODEL_CARD {
        let find = |t: &str| refs.iter().find(|r| r.text == t);
        let (Some(ra), Some(rb)) = (find(a), find(b)) else {
            println!("  FAIL model card: {a:?} or {b:?} is not in the reference");
            ok = false;
            continue;
        };
        let mut ea = Vec::new();
        let mut eb = Vec::new();
        model
            .bert
            .embed_ids(
                &ra.ids,
                &[ra.ids.len()],
                true,
                &mut ws.scratch,
                &mut ea,
                None,
            )
            .map_err(|e| e.to_string())?;
        model
            .bert
            .embed_ids(
                &rb.ids,
                &[rb.ids.len()],
                true,
                &mut ws.scratch,
                &mut eb,
                None,
            )
            .map_err(|e| e.to_string())?;
        let eb64: Vec<f64> = eb.iter().map(|&v| f64::from(v)).collect();
        let got = cosine(&ea, &eb64);
        let pass = (got * 1000.0).round() == (want * 1000.0).round();
        println!(
            "{dtype}: similarity {a:?} vs {b:?}: {got:.4} (model card {want:.4}, 3 decimals): {}",
            if pass { "PASS" } else { "FAIL" }
        );
        ok &= pass;
    }

    // 3. Sentence level: rayo's tokenizer must give the reference's ids, then the same check.
    if sentences {
        let mut mismatched = 0;
        let mut low = 0;
        for (i, r) in refs.iter().enumerate() {
            model.tokenize(&[r.text.as_str()], &mut ws);
            if ws.ids != r.ids {
                mismatched += 1;
                if mismatched <= 3 {
                    println!(
                        "  FAIL sentence {i}: rayo's ids differ from tokenizers' for {:?}",
                        r.text.chars().take(60).collect::<String>()
                    );
                }
                continue;
            }
            model
                .embed(&[r.text.as_str()], true, &mut ws)
                .map_err(|e| e.to_string())?;
            if cosine(&ws.vectors, &r.embedding) < min_cos {
                low += 1;
            }
        }
        println!(
            "{dtype}: sentence level (rayo's tokenizer): {} of {} with the reference's ids, {low} below the bound: {}",
            refs.len() - mismatched,
            refs.len(),
            if mismatched == 0 && low == 0 { "PASS" } else { "FAIL" }
        );
        ok &= mismatched == 0 && low == 0;
    } else {
        println!("{dtype}: sentence level (rayo's tokenizer): NOT RUN (pass --sentences once the tokenizer matches tokenizers)");
    }
    Ok(ok)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn load_line() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or("?".into(), |s| {
        s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    })
}

/// This thread's time on a CPU so far (the first field of /proc/thread-self/schedstat, in
/// nanoseconds); None where that file is missing.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn profile(args: &[String]) -> Result<bool, String> {
    let weights = args.first().ok_or("profile WEIGHTS [--reps N]")?;
    let reps: usize = flag(args, "--reps")
        .map_or(Ok(15), |v| v.parse())
        .map_err(|e| format!("--reps: {e}"))?;
    let w = open(weights)?;
    let model = Model::load(&w).map_err(|e| e.to_string())?;
    let c = model.config().clone();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut sentence = |n: usize| -> Vec<u32> {
        let mut ids = vec![101u32];
        for _ in 2..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ids.push(1000 + (x % (c.vocab as u64 - 1000)) as u32);
        }
        ids.push(102);
        ids
    };
    let cases: Vec<(&str, Vec<u32>, Vec<usize>)> = vec![
        ("1 x 16 tokens", sentence(16), vec![16]),
        ("1 x 128 tokens", sentence(128), vec![128]),
        (
            "32 x 16 tokens",
            (0..32).flat_map(|_| sentence(16)).collect(),
            vec![16; 32],
        ),
    ];
    let mut ws = Workspace::default();
    let mut out = Vec::new();
    // Warm up: pages faulted, scratch grown.
    for (_, ids, lens) in &cases {
        model
            .bert
            .embed_ids(ids, lens, true, &mut ws.scratch, &mut out, None)
            .map_err(|e| e.to_string())?;
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut cpu: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut profiles: Vec<Profile> = vec![Profile::default(); cases.len()];
    for _ in 0..reps {
        for (i, (_, ids, lens)) in cases.iter().enumerate() {
            let (t0, c0) = (Instant::now(), thread_cpu());
            model
                .bert
                .embed_ids(ids, lens, true, &mut ws.scratch, &mut out, None)
                .map_err(|e| e.to_string())?;
            times[i].push(t0.elapsed());
            if let (Some(c0), Some(c1)) = (c0, thread_cpu()) {
                cpu[i].push(c1.saturating_sub(c0));
            }
            model
                .bert
                .embed_ids(
                    ids,
                    lens,
                    true,
                    &mut ws.scratch,
                    &mut out,
                    Some(&mut profiles[i]),
                )
                .map_err(|e| e.to_string())?;
        }
    }
    println!(
        "embed-check profile: {} ({}), {reps} interleaved rounds, one thread, rayo_kernels gemm + transformer ops (rayo_embed::ops); load average {}",
        c.model_id,
        weights,
        load_line()
    );
    for (i, (name, _, lens)) in cases.iter().enumerate() {
        let flops = model.bert.flops(lens);
        let t = median(&mut times[i]);
        println!(
            "\n{name}: median {:.2} ms, {:.2} GFLOP -> {:.1} GFLOPS over wall time",
            ms(t),
            flops / 1e9,
            flops / t.as_secs_f64() / 1e9
        );
        if !cpu[i].is_empty() {
            // On a shared machine the thread's own CPU time is the steadier figure.
            let c = median(&mut cpu[i]);
            println!(
                "  this thread's CPU time: median {:.2} ms -> {:.1} GFLOPS over CPU time",
                ms(c),
                flops / c.as_secs_f64() / 1e9
            );
        }
        let p = &profiles[i];
        let total: Duration = p.time.iter().sum();
        println!(
            "  {:<16} {:>9} {:>7} {:>9}",
            "stage", "ms/pass", "share", "GFLOPS"
        );
        for (k, s) in Stage::ALL.iter().enumerate() {
            let per = p.time[k].as_secs_f64() / reps as f64;
            let gf = if p.flops[k] > 0.0 {
                format!("{:.1}", p.flops[k] / p.time[k].as_secs_f64() / 1e9)
            } else {
                "-".into()
            };
            println!(
                "  {:<16} {:>9.3} {:>6.1}% {:>9}",
                s.name(),
                per * 1e3,
                100.0 * p.time[k].as_secs_f64() / total.as_secs_f64(),
                gf
            );
        }
    }
    Ok(true)
}

fn init(args: &[String]) -> Result<bool, String> {
    let weights = args.first().ok_or("init WEIGHTS [--reps N]")?;
    let reps: usize = flag(args, "--reps")
        .map_or(Ok(21), |v| v.parse())
        .map_err(|e| format!("--reps: {e}"))?;
    let path = std::path::Path::new(weights);
    let mut header_only = Vec::new();
    let mut full = Vec::new();
    let mut vocab = Vec::new();
    let mut first = Vec::new();
    let mut verify_part = Vec::new();
    for _ in 0..reps {
        for v in [Verify::Header, Verify::Full] {
            let t0 = Instant::now();
            let w = Weights::open(path, v).map_err(|e| e.to_string())?;
            let model = Model::load(&w).map_err(|e| e.to_string())?;
            let opened = t0.elapsed();
            // First embedding of a 16-token sentence right after init: what the checksum pass
            // saves or costs the first request (its page faults).
            let mut ws = Workspace::default();
            let t1 = Instant::now();
            model.handle(br#"{"inputs":["the weather is lovely today and tomorrow it will rain in the hills"]}"#, &mut ws).map_err(|e| e.to_string())?;
            let req = t1.elapsed();
            match v {
                Verify::Header => {
                    header_only.push(opened);
                    first.push(req);
                }
                Verify::Full => {
                    full.push(opened);
                    verify_part.push(w.times.verify);
                    vocab.push(model.vocab_time);
                    first.push(req);
                }
            }
        }
    }
    let (mut fh, mut ff): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for (i, d) in first.iter().enumerate() {
        if i % 2 == 0 {
            fh.push(*d)
        } else {
            ff.push(*d)
        }
    }
    println!(
        "embed-check init: {weights}, {reps} interleaved rounds, page cache warm; load average {}",
        load_line()
    );
    println!("  open + header + vocabulary (Verify::Header): median {:.2} ms; then first 16-token request {:.2} ms", ms(median(&mut header_only)), ms(median(&mut fh)));
    println!("  open + all checksums + vocabulary (Verify::Full): median {:.2} ms (checksums {:.2} ms, vocabulary {:.2} ms); then first request {:.2} ms", ms(median(&mut full)), ms(median(&mut verify_part)), ms(median(&mut vocab)), ms(median(&mut ff)));
    Ok(true)
}
