//! Replays every committed fuzz input (fuzz/seeds/, fuzz/minimized/ and fuzz/regressions/)
//! through the same entry point the cargo-fuzz target calls, so `cargo test` (and CI, which
//! does not run cargo-fuzz) keeps every seed and every past crash covered.

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn compute_request() {
    replay("compute_request", rayo_bootstrap::fuzzing::compute);
}
