//! Replays every committed fuzz input (fuzz/seeds/, fuzz/minimized/ and fuzz/regressions/)
//! through the same entry point the cargo-fuzz target calls, so `cargo test` (and CI, which
//! does not run cargo-fuzz) keeps every seed and every past crash covered.

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn weight_file() {
    replay("weight_file", rayo_embed::fuzzing::weight_file);
}

/// The committed seeds are what `fuzzing::weight_file_seeds` makes (so they can be remade
/// after a format change: `RAYO_BLESS_SEEDS=1 cargo test -p rayo-embed --test fuzz_replay`).
#[test]
fn committed_seeds_are_the_generated_ones() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/weight_file");
    let bless = std::env::var_os("RAYO_BLESS_SEEDS").is_some();
    for (name, bytes) in rayo_embed::fuzzing::weight_file_seeds() {
        assert!(
            bytes.len() <= 8192,
            "{name}: {} bytes, over libFuzzer's -max_len",
            bytes.len()
        );
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(committed == bytes, "{name}: the committed seed differs from the generated one (RAYO_BLESS_SEEDS=1 rewrites it)");
    }
}

/// The seeds are what they claim: the first loads and embeds, the damaged ones are refused.
#[test]
fn seeds_cover_a_valid_file_and_its_damage() {
    use rayo_embed::{Model, Verify, Weights};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/weight_file");
    let load = |name: &str| {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        Weights::from_bytes(&bytes, name, Verify::Full).and_then(|w| Model::load(&w).map(|_| ()))
    };
    assert!(load("seed-00").is_ok());
    assert!(load("seed-01").is_ok());
    let e = load("seed-02").unwrap_err().to_string();
    assert!(e.contains("checksum mismatch"), "{e}");
    let e = load("seed-03").unwrap_err().to_string();
    assert!(e.contains("version 2"), "{e}");
    let e = load("seed-04").unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
}
