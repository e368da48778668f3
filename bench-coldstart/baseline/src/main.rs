//! The cold-start floor, the reference every bootstrap is compared with: connect to the Runtime API, send one
//! `GET /next`, then wait (`park.rs`). Whatever a real runtime costs on top of this is its
//! own overhead. It never answers an event, so bench-coldstart measures it with
//! `--init-only`.
#![forbid(unsafe_code)]
#[path = "../../src/park.rs"]
mod park;

fn main() -> std::process::ExitCode {
    park::get_next_and_wait("bench-baseline")
}
