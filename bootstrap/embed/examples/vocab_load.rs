//! One cold `Tokenizer::from_vocab_txt`, as the Lambda init does it: the first call in a fresh
//! process, on the `Vec` `std::fs::read` returned, so the pages it allocates are faulted in
//! too. Prints its wall time and minor page faults, then the median of `WARM` (default 0)
//! further calls (each on a copy of the file made outside the timing). Used by
//! tokenizer-check/load_cost.sh (which also counts its instructions under callgrind).
//!
//! usage: vocab_load VOCAB_TXT [WARM]   (VOCAB_LOAD_BORROWED=1: pass `&[u8]`, which is copied)

use rayo_embed::tokenizer::Tokenizer;
use std::time::Instant;

fn minor_faults() -> i64 {
    // /proc/self/stat field 10 (minflt); 0 where there is no procfs.
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            after.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Not inlined, so callgrind can count this call alone (`--toggle-collect=*vocab_load::load*`)
/// even in a fat-LTO build.
#[inline(never)]
fn load(bytes: Vec<u8>) -> Result<Tokenizer, rayo_embed::tokenizer::TokenizerError> {
    if std::env::var_os("VOCAB_LOAD_BORROWED").is_some() {
        Tokenizer::from_vocab_txt(&bytes[..])
    } else {
        Tokenizer::from_vocab_txt(bytes)
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: vocab_load VOCAB_TXT [WARM]");
        std::process::exit(2);
    };
    let warm: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("vocab_load: reading {path}: {e}");
            std::process::exit(1);
        }
    };
    let size = bytes.len();
    let copy = bytes.clone();
    let faults = minor_faults();
    let t = Instant::now();
    let tok = load(bytes);
    let cold = t.elapsed();
    let faults = minor_faults() - faults;
    let tok = match tok {
        Ok(t) => t,
        Err(e) => {
            eprintln!("vocab_load: {e}");
            std::process::exit(1);
        }
    };
    let mut times: Vec<f64> = (0..warm)
        .map(|_| {
            let file = copy.clone();
            let t = Instant::now();
            let again = load(std::hint::black_box(file));
            let dt = t.elapsed().as_secs_f64();
            drop(std::hint::black_box(again));
            dt
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).map_or(f64::NAN, |m| m * 1e6);
    println!(
        "tokens {} bytes {} cold_us {:.1} cold_minor_faults {faults} warm_median_us {median:.1} warm_runs {warm}",
        tok.vocab_size(),
        size,
        cold.as_secs_f64() * 1e6,
    );
}
