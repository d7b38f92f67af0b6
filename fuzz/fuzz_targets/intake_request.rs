//! Fuzz target `intake_request`: the body is `corridor_fuzz::client::intake_request` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/intake_request/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::intake_request(data));
