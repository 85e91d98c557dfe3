//! Fuzz target `load`: see `weft_testkit::fuzz::load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weft_testkit::fuzz::load(data));
