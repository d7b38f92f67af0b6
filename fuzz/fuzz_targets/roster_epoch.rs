//! Fuzz target `roster_epoch`: the body is `corridor_fuzz::client::roster_epoch` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/roster_epoch/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::roster_epoch(data));
