//! Fuzz target `client_payload`: the body is `corridor_fuzz::client::client_payload` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/client_payload/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::client_payload(data));
