//! Fuzz target `case_event`: the body is `corridor_fuzz::client::case_event` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/case_event/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::case_event(data));
