//! Fuzz target `sync_message`: see `weft_testkit::fuzz_sync::message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weft_testkit::fuzz_sync::message(data));
