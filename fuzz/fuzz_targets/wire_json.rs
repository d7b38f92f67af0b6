//! Fuzz target `wire_json`: the body is `corridor_fuzz::wire::wire_json` (fuzz/src/wire.rs), which
//! `wire/tests/fuzz_replay.rs` replays over corpus/wire_json/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corridor_fuzz::wire::wire_json(data));
