//! Fuzz target `ratchet_decrypt`: the body is `corridor_fuzz::client::ratchet_decrypt` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/ratchet_decrypt/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::ratchet_decrypt(data));
