//! Fuzz target `consent`: the body is `corridor_fuzz::client::consent` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/consent/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::consent(data));
