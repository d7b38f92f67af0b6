//! Fuzz target `audit_entry`: the body is `corridor_fuzz::client::audit_entry` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/audit_entry/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::audit_entry(data));
