//! Replays the tokenizer's committed fuzz inputs (fuzz/seeds/tokenizer, fuzz/minimized/tokenizer,
//! fuzz/regressions/tokenizer) through the entry point the cargo-fuzz target calls. (Not
//! fuzz/replay.rs: that one finds fuzz/ one level up, and this crate is two levels down.)

use std::path::Path;

#[test]
fn tokenizer() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for kind in ["seeds", "minimized", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join("tokenizer")) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            // A panic names the file that caused it.
            eprintln!("tokenizer: {}", path.display());
            rayo_embed::tokenizer::fuzzing::tokenizer(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 3, "expected committed seeds under {}", fuzz.display());
}
