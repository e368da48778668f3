#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bootstrap::fuzzing::compute(data));
