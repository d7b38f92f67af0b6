//! Fuzz target `envelope_block`: the body is `corridor_fuzz::client::envelope_block` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/envelope_block/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::envelope_block(data));
