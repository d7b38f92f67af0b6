//! Fuzz target `org_message`: the body is `corridor_fuzz::client::org_message` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/org_message/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::org_message(data));
