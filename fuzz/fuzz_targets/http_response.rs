#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| runtime_api::fuzzing::http_response(data));
