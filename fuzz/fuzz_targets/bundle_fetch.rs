//! Fuzz target `bundle_fetch`: the body is `corridor_fuzz::client::bundle_fetch` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/bundle_fetch/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::bundle_fetch(data));
