#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rayo_bootstrap::fuzzing::compute(data));
