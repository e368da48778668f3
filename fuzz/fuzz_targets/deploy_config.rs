#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| deploy::fuzzing::config_file(data));
