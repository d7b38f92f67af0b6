//! Fuzz target `vetting`: the body is `corridor_fuzz::client::vetting` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/vetting/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::vetting(data));
