//! Replays every committed fuzz input (fuzz/seeds/, fuzz/minimized/ and fuzz/regressions/)
//! through the same entry point the cargo-fuzz target calls, so `cargo test` (and CI, which
//! does not run cargo-fuzz) keeps every seed and every past crash covered.

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn http_response() {
    replay("http_response", rayo_runtime::fuzzing::http_response);
}

#[test]
fn context() {
    replay("context", rayo_runtime::fuzzing::context);
}
