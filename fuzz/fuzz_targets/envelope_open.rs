//! Fuzz target `envelope_open`: the body is `corridor_fuzz::client::envelope_open` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/envelope_open/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::envelope_open(data));
