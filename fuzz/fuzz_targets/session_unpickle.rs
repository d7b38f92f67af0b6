//! Fuzz target `session_unpickle`: the body is `corridor_fuzz::client::session_unpickle` (fuzz/src/client.rs), which
//! `client-lib/tests/fuzz_replay.rs` replays over corpus/session_unpickle/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::client::session_unpickle(data));
