#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rayo_embed::fuzzing::weight_file(data));
