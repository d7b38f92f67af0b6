//! Fuzz target `client_record`: the body is `corridor_fuzz::client::client_record` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/client_record/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::client_record(data));
