//! Fuzz target `pickle_open`: the body is `corridor_fuzz::client::pickle_open` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/pickle_open/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::pickle_open(data));
