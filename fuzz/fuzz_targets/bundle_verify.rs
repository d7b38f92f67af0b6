//! Fuzz target `bundle_verify`: the body is `corridor_fuzz::client::bundle_verify` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/bundle_verify/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::bundle_verify(data));
