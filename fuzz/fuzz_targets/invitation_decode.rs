//! Fuzz target `invitation_decode`: the body is `corridor_fuzz::client::invitation_decode` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/invitation_decode/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::invitation_decode(data));
