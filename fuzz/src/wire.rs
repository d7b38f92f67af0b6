//! The body of the `wire_json` target and its seeds: the JSON of every type in
//! `corridor_wire::api` as serde decodes it (the relay's request bodies, and the relay's
//! answers as the client reads them), and the base64url text types.
//!
//! Compiled into `corridor-fuzz` and, through `#[path]`, into `wire/tests/fuzz_replay.rs`.

use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Every wire-level target (one): name and body.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[("wire_json", wire_json)];

/// Decodes `data` as `T`; whatever decodes must encode and decode again to an equal value
/// (what one side writes, the other reads back the same).
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let encoded = serde_json::to_vec(&value);
        assert!(encoded.is_ok(), "a decoded value does not encode");
        if let Ok(encoded) = encoded {
            let again = serde_json::from_slice::<T>(&encoded).ok();
            assert_eq!(
                again.as_ref(),
                Some(&value),
                "the round trip changed the value"
            );
        }
    }
}

/// Every wire type's JSON decoder on `data`, and the base64url decoders on it as text.
pub fn wire_json(data: &[u8]) {
    round_trip::<SignedAuth>(data);
    round_trip::<ErrorBody>(data);
    round_trip::<ChallengeResponse>(data);
    round_trip::<Admission>(data);
    round_trip::<CreateMailboxRequest>(data);
    round_trip::<CreateMailboxResponse>(data);
    round_trip::<DepositRequest>(data);
    round_trip::<DepositResponse>(data);
    round_trip::<FetchRequest>(data);
    round_trip::<Message>(data);
    round_trip::<FetchResponse>(data);
    round_trip::<AckRequest>(data);
    round_trip::<AckResponse>(data);
    round_trip::<DestroyRequest>(data);
    round_trip::<DestroyResponse>(data);
    round_trip::<OneTimePrekey>(data);
    round_trip::<Bundle>(data);
    round_trip::<PublishBundleRequest>(data);
    round_trip::<PublishBundleResponse>(data);
    round_trip::<FetchBundleRequest>(data);
    round_trip::<HandedPrekey>(data);
    round_trip::<FetchBundleResponse>(data);
    round_trip::<DeleteBundleRequest>(data);
    round_trip::<DeleteBundleResponse>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(blob) = Blob::from_text(text) {
            assert_eq!(blob.to_text(), text, "base64url decoding is not canonical");
        }
        if let Ok(bytes) = Bytes::<16>::from_text(text) {
            assert_eq!(bytes.to_text(), text, "base64url decoding is not canonical");
        }
        if let Ok(bytes) = Bytes::<32>::from_text(text) {
            assert_eq!(bytes.to_text(), text, "base64url decoding is not canonical");
        }
    }
}

/// A signed-auth block with recognizable bytes.
fn auth() -> SignedAuth {
    SignedAuth {
        timestamp: 1_800_000_000,
        nonce: Bytes([5; 16]),
        signature: Bytes([6; 64]),
    }
}

/// The seeds: one valid body of each request type, some answers, and edge cases of the
/// number and base64 rules.
pub fn seeds() -> Vec<(&'static str, Vec<(String, Vec<u8>)>)> {
    fn json<T: Serialize>(value: &T) -> Vec<u8> {
        serde_json::to_vec(value).unwrap_or_default()
    }
    let bundle = Bundle {
        signed: Blob(vec![1; 40]),
        one_time: vec![OneTimePrekey {
            id: 4,
            key: Blob(vec![2; 60]),
        }],
        last_resort: Blob(vec![3; 60]),
    };
    let s: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("null".into(), b"null".to_vec()),
        ("deep-array".into(), [b"[".repeat(200), b"]".repeat(200)].concat()),
        (
            "create-pow".into(),
            json(&CreateMailboxRequest {
                auth_key: Bytes([9; 32]),
                admission: Admission::Pow {
                    challenge: Blob(vec![8; 32]),
                    solution: 77,
                },
            }),
        ),
        (
            "create-token".into(),
            json(&CreateMailboxRequest {
                auth_key: Bytes([9; 32]),
                admission: Admission::Token {
                    token: "operator".into(),
                },
            }),
        ),
        (
            "deposit".into(),
            json(&DepositRequest {
                deposit_id: Bytes([1; 16]),
                credential: Bytes([2; 32]),
                envelope: Blob(vec![0; 64]),
            }),
        ),
        (
            "fetch".into(),
            json(&FetchRequest {
                read_id: Bytes([1; 16]),
                wait_secs: 0,
                auth: auth(),
            }),
        ),
        (
            "ack".into(),
            json(&AckRequest {
                read_id: Bytes([1; 16]),
                seqs: vec![1, 2, u64::MAX],
                auth: auth(),
            }),
        ),
        (
            "destroy".into(),
            json(&DestroyRequest {
                read_id: Bytes([1; 16]),
                auth: auth(),
            }),
        ),
        (
            "publish".into(),
            json(&PublishBundleRequest {
                bundle_id: Bytes([4; 16]),
                auth_key: Bytes([9; 32]),
                bundle: bundle.clone(),
                auth: auth(),
            }),
        ),
        (
            "fetch-bundle-answer".into(),
            json(&FetchBundleResponse {
                signed: bundle.signed.clone(),
                prekey: HandedPrekey::LastResort {
                    key: bundle.last_resort.clone(),
                },
            }),
        ),
        (
            "fetch-answer".into(),
            json(&FetchResponse {
                messages: vec![Message {
                    seq: 3,
                    envelope: Blob(vec![7; 32]),
                }],
            }),
        ),
        (
            "whole-float".into(),
            br#"{"read_id":"AQEBAQEBAQEBAQEBAQEBAQ","wait_secs":3.0,"auth":{"timestamp":1.8e9,"nonce":"BQUFBQUFBQUFBQUFBQUFBQ","signature":"AAAA"}}"#.to_vec(),
        ),
        ("b64-text".into(), b"AQEBAQEBAQEBAQEBAQEBAQ".to_vec()),
        ("b64-padded".into(), b"AQEBAQEBAQEBAQEBAQEBAQ==".to_vec()),
    ];
    vec![("wire_json", s)]
}
