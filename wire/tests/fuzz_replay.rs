//! The wire fuzz corpora (`fuzz/corpus/<target>/`) replayed through the same bodies the
//! cargo-fuzz targets run (`fuzz/src/wire.rs`), so that `cargo test --workspace` replays
//! every seed and every finding without nightly or libFuzzer (`docs/security-testing.md`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity
)]

#[allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#[path = "../../fuzz/src/wire.rs"]
mod bodies;

#[allow(dead_code, unreachable_pub, clippy::expect_used, clippy::panic)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn wire_json_replays_its_corpus() {
    for (target, body) in bodies::TARGETS {
        replay::replay(target, *body);
    }
}

#[test]
fn every_wire_target_has_a_body_and_a_corpus() {
    replay::targets_match("wire", bodies::TARGETS);
}

#[test]
fn the_corpus_holds_the_current_seeds() {
    replay::seeds_present(&bodies::seeds());
}

/// Rewrites the seeds: `CORRIDOR_WRITE_CORPUS=1 cargo test -p corridor-wire --test fuzz_replay --
/// --ignored write_seed_corpora`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when a format changes"]
fn write_seed_corpora() {
    replay::write_seeds(&bodies::seeds());
}
