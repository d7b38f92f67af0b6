//! The client-side fuzz corpora (`fuzz/corpus/<target>/`) replayed through the same bodies
//! the cargo-fuzz targets run (`fuzz/src/client.rs`), so that `cargo test --workspace`
//! replays every seed and every finding without nightly or libFuzzer
//! (`docs/security-testing.md`).
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
#[path = "../../fuzz/src/client.rs"]
mod bodies;

#[allow(dead_code, unreachable_pub, clippy::expect_used, clippy::panic)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

macro_rules! replay_each {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay::replay(stringify!($target), bodies::$target);
            }
        )*
        /// The targets that have a replay test here, to compare with `bodies::TARGETS`.
        const REPLAYED: &[&str] = &[$(stringify!($target)),*];
    };
}

replay_each!(
    identity_decode,
    bundle_verify,
    bundle_fetch,
    initial_open,
    initial_header_decode,
    invitation_decode,
    pickle_open,
    ratchet_decrypt,
    envelope_open,
    envelope_block,
    session_unpickle,
    store_record,
    roster_epoch,
    membership_certificate,
    vouch,
    intake_request,
    case_event,
    audit_entry,
    offer,
    vetting,
    consent,
    consent_override,
    checkin,
    org_message,
    client_payload,
    client_record,
);

#[test]
fn every_client_target_has_a_body_a_replay_and_a_corpus() {
    replay::targets_match("client", bodies::TARGETS);
    let mut replayed: Vec<&str> = REPLAYED.to_vec();
    let mut listed: Vec<&str> = bodies::TARGETS.iter().map(|(n, _)| *n).collect();
    replayed.sort_unstable();
    listed.sort_unstable();
    assert_eq!(replayed, listed);
}

#[test]
fn the_corpus_holds_the_current_seeds() {
    replay::seeds_present(&bodies::seeds());
}

/// Rewrites the seeds: `CORRIDOR_WRITE_CORPUS=1 cargo test -p corridor-client --test
/// fuzz_replay -- --ignored write_seed_corpora`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when a format changes"]
fn write_seed_corpora() {
    replay::write_seeds(&bodies::seeds());
}

/// The hand-written JSON seeds of `client_payload` and `client_record` are what the
/// client writes: every one decodes except the edge cases and the named refusals (so the
/// fuzzer starts from inputs that reach every record and payload variant).
#[test]
fn the_json_seeds_decode() {
    let refused = ["version-2", "unknown-field", "contact-as-message"];
    let mut checked = 0;
    for (target, files) in bodies::seeds() {
        for (name, bytes) in files {
            if name.starts_with("edge") || refused.contains(&name.as_str()) {
                continue;
            }
            let decoded = match target {
                "client_payload" => corridor_client::client::fuzz_payload_reencode(&bytes),
                "client_record" => {
                    corridor_client::client::fuzz_record_reencode(bytes[0], &bytes[1..])
                }
                _ => continue,
            };
            assert!(decoded.is_some(), "{target}/{name} does not decode");
            checked += 1;
        }
    }
    assert_eq!(checked, 6 + 8);
    for name in refused {
        let bytes = bodies::seeds()
            .into_iter()
            .flat_map(|(_, files)| files)
            .find(|(n, _)| n == name)
            .expect("a refused seed")
            .1;
        let decoded = if name == "contact-as-message" {
            corridor_client::client::fuzz_record_reencode(bytes[0], &bytes[1..])
        } else {
            corridor_client::client::fuzz_payload_reencode(&bytes)
        };
        assert!(decoded.is_none(), "{name} decodes");
    }
}
