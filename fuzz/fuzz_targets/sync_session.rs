//! Fuzz target `sync_session`: see `weft_testkit::fuzz_sync::session`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weft_testkit::fuzz_sync::session(data));
