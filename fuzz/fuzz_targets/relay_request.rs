//! Fuzz target `relay_request`: the body is `corridor_fuzz::relay::relay_request` (fuzz/src/relay.rs), which
//! `server/tests/fuzz_replay.rs` replays over corpus/relay_request/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::relay::relay_request(data));
