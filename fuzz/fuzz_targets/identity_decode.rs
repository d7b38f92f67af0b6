//! Fuzz target `identity_decode`: the body is `corridor_fuzz::client::identity_decode` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/identity_decode/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::identity_decode(data));
