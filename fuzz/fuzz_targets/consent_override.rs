//! Fuzz target `consent_override`: the body is `corridor_fuzz::client::consent_override` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/consent_override/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::consent_override(data));
