//! Corridor's fuzz target bodies, one function per target, shared with the corpus replay
//! tests of the workspace (which include these files with `#[path]`):
//!
//! - [`client`]: protocol, store and coordination decoders (`client-lib/tests/fuzz_replay.rs`).
//! - [`relay`]: the relay's request bodies through its own router (`server/tests/fuzz_replay.rs`).
//! - [`wire`]: the JSON of every wire type, as both sides decode it (`wire/tests/fuzz_replay.rs`).
//!
//! `docs/security-testing.md` says how to run each target for a set time.
pub mod client;
pub mod relay;
pub mod wire;
