//! Fuzz target `scenario`: see `weft_testkit::fuzz::scenario`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weft_testkit::fuzz::scenario(data));
