//! Fuzz target `vouch`: the body is `corridor_fuzz::client::vouch` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/vouch/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::vouch(data));
