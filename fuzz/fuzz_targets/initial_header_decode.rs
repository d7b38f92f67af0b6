//! Fuzz target `initial_header_decode`: the body is `corridor_fuzz::client::initial_header_decode` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/initial_header_decode/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::initial_header_decode(data));
