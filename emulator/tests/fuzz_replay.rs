//! Replays every committed fuzz input (fuzz/seeds/, fuzz/minimized/ and fuzz/regressions/)
//! through the same entry point the cargo-fuzz target calls, so `cargo test` (and CI, which
//! does not run cargo-fuzz) keeps every seed and every past crash covered.

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn emulator_request() {
    replay("emulator_request", rayo_emulator::fuzzing::request);
}

#[test]
fn a_chunk_line_over_the_limit_is_refused_however_it_arrives() {
    // Regression (fuzz/regressions/emulator_request/crash-55dca7...): a 5,000-byte chunk
    // extension arriving in one read was accepted, the same bytes dripped were refused.
    // Lines around the 4,096-byte limit, and well over it.
    for len in [4094usize, 4095, 4096, 4097, 5000] {
        let mut input = vec![0u8, 255];
        input.extend_from_slice(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;");
        input.extend(std::iter::repeat_n(b'e', len - 2));
        input.extend_from_slice(b"\r\na\r\n0\r\n\r\n");
        for step in [0u8, 1, 2, 31] {
            input[0] = step;
            // Asserts the same outcome for dripped and whole reads.
            rayo_emulator::fuzzing::request(&input);
        }
    }
}

#[test]
fn a_head_at_the_limit_gets_the_same_answer_however_it_arrives() {
    // The same rule as chunk lines, for the 64 KiB head limit (beyond the fuzzer's max_len).
    for len in [65_532usize, 65_533, 65_534, 65_536] {
        let mut input = vec![0u8, 255];
        input.extend_from_slice(b"GET /x HTTP/1.1\r\nX: ");
        let pad = len - (input.len() - 2);
        input.extend(std::iter::repeat_n(b'h', pad));
        input.extend_from_slice(b"\r\n\r\n");
        for step in [0u8, 31] {
            input[0] = step;
            rayo_emulator::fuzzing::request(&input);
        }
    }
}
