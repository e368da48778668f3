#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rayo_deploy::fuzzing::config_file(data));
