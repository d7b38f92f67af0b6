//! Fuzz target `checkin`: the body is `corridor_fuzz::client::checkin` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/checkin/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::checkin(data));
