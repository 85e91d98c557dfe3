//! Fuzz target `import`: see `weft_testkit::fuzz::import`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weft_testkit::fuzz::import(data));
