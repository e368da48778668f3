//! The replay of committed fuzz inputs that every crate's `tests/fuzz_replay.rs` shares
//! (included with `#[path]`): fuzz/seeds/, fuzz/minimized/ and fuzz/regressions/ of one
//! target, through the entry point its cargo-fuzz target calls.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    // The repository's fuzz/ folder, however deep the including crate sits.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fuzz = manifest
        .ancestors()
        .map(|a| a.join("fuzz"))
        .find(|f| f.join("replay.rs").is_file())
        .expect("fuzz/replay.rs above the crate's manifest");
    let mut out = Vec::new();
    for kind in ["seeds", "minimized", "regressions"] {
        let dir = fuzz.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("listing a corpus directory").path();
            let bytes = std::fs::read(&path).expect("reading a corpus file");
            out.push((path, bytes));
        }
    }
    out.sort();
    assert!(
        out.len() >= 3,
        "expected committed seeds for {target} under {}",
        fuzz.display()
    );
    out
}

pub(crate) fn replay(target: &str, entry: fn(&[u8])) {
    for (path, bytes) in inputs(target) {
        // A panic names the file that caused it.
        eprintln!("{target}: {}", path.display());
        entry(&bytes);
    }
}
