//! Replays the tokenizer's committed fuzz inputs (fuzz/{seeds,minimized,regressions}/ of the
//! `tokenizer` and `vocab` targets) through the entry points the cargo-fuzz targets call.
//! (Not fuzz/replay.rs: that one finds fuzz/ one level up, and this crate is two levels down.)

use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = [0; 3];
    for (kind, n) in ["seeds", "minimized", "regressions"].iter().zip(&mut n) {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            // A panic names the file that caused it (run with --nocapture to see it).
            eprintln!("{target}: {}", path.display());
            entry(&std::fs::read(&path).unwrap());
            *n += 1;
        }
    }
    println!(
        "{target}: replayed {} seeds, {} minimized, {} regressions",
        n[0], n[1], n[2]
    );
    assert!(
        n[0] >= 3,
        "expected committed seeds under {}",
        fuzz.display()
    );
}

#[test]
fn tokenizer() {
    replay("tokenizer", rayo_embed::tokenizer::fuzzing::tokenizer);
}

#[test]
fn vocab() {
    replay("vocab", rayo_embed::tokenizer::fuzzing::vocab);
}
