//! Fuzz target `membership_certificate`: the body is `corridor_fuzz::client::membership_certificate` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/membership_certificate/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::membership_certificate(data));
