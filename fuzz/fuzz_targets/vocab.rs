#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rayo_embed::tokenizer::fuzzing::vocab(data));
