//! The signed-request transcript vectors in `docs/test-vectors/transcript.json`.
//!
//! For each signed operation the file gives the inputs, the exact bytes the body digest
//! hashes, the digest, the transcript, and an Ed25519 signature over it. This test rebuilds
//! every one of them from the inputs with the crate's own helpers and with an independent
//! encoding written from `docs/relay-api.md`, and fails if a single byte differs.
//!
//! `CORRIDOR_WRITE_VECTORS=1 cargo test -p corridor-wire --test transcript_vectors` rewrites
//! the file (only for a deliberate, documented change of the transcript).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_wire::api::*;
use corridor_wire::auth::{self, TRANSCRIPT_PREFIX};
use corridor_wire::b64::{Blob, Bytes};
use data_encoding::HEXLOWER;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/test-vectors/transcript.json")
}

const TIMESTAMP: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(bytes)
}

fn unhex(text: &Value) -> Vec<u8> {
    HEXLOWER
        .decode(text.as_str().expect("hex string").as_bytes())
        .expect("valid hex")
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[0x42; 32])
}

fn bundle() -> Bundle {
    Bundle {
        signed: Blob(vec![0x5a; 8]),
        one_time: vec![
            OneTimePrekey {
                id: 1,
                key: Blob(vec![0x01; 4]),
            },
            OneTimePrekey {
                id: 0x0102_0304,
                key: Blob(vec![0x02; 4]),
            },
        ],
        last_resort: Blob(vec![0x1a; 4]),
    }
}

/// The body-digest input as `docs/relay-api.md` specifies it: each part preceded by its
/// length as 8 bytes big-endian. Written here independently of `auth::body_digest`.
fn digest_input(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

struct Case {
    name: &'static str,
    op_tag: u8,
    target: [u8; 16],
    nonce: [u8; 16],
    parts: Vec<Vec<u8>>,
    transcript: Vec<u8>,
    request: Value,
}

fn cases() -> Vec<Case> {
    let read_id = Bytes([0x11; 16]);
    let bundle_id = Bytes([0x22; 16]);
    let auth_key = Bytes(key().verifying_key().to_bytes());
    let nonce = |n: u8| {
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = n.wrapping_add(i as u8);
        }
        out
    };
    let bundle = bundle();
    let bundle_parts = {
        let mut parts = vec![bundle.signed.0.clone()];
        for prekey in &bundle.one_time {
            parts.push(prekey.id.to_be_bytes().to_vec());
            parts.push(prekey.key.0.clone());
        }
        parts.push(bundle.last_resort.0.clone());
        parts
    };
    let bundle_digest: [u8; 32] = Sha256::digest(digest_input(&bundle_parts)).into();
    let seqs = vec![1u64, 2, 0x0102_0304_0506_0708];
    vec![
        Case {
            name: "fetch",
            op_tag: 1,
            target: read_id.0,
            nonce: nonce(0xa0),
            parts: vec![25u32.to_be_bytes().to_vec()],
            transcript: FetchRequest::transcript(&read_id, 25, TIMESTAMP, &nonce(0xa0)),
            request: json!({"read_id": read_id, "wait_secs": 25}),
        },
        Case {
            name: "ack",
            op_tag: 2,
            target: read_id.0,
            nonce: nonce(0xb0),
            parts: vec![seqs.iter().flat_map(|s| s.to_be_bytes()).collect()],
            transcript: AckRequest::transcript(&read_id, &seqs, TIMESTAMP, &nonce(0xb0)),
            request: json!({"read_id": read_id, "seqs": seqs}),
        },
        Case {
            name: "destroy",
            op_tag: 3,
            target: read_id.0,
            nonce: nonce(0xc0),
            parts: vec![],
            transcript: DestroyRequest::transcript(&read_id, TIMESTAMP, &nonce(0xc0)),
            request: json!({"read_id": read_id}),
        },
        Case {
            name: "publish_bundle",
            op_tag: 4,
            target: bundle_id.0,
            nonce: nonce(0xd0),
            parts: vec![auth_key.0.to_vec(), bundle_digest.to_vec()],
            transcript: PublishBundleRequest::transcript(
                &bundle_id,
                &auth_key,
                &bundle,
                TIMESTAMP,
                &nonce(0xd0),
            ),
            request: json!({"bundle_id": bundle_id, "auth_key": auth_key, "bundle": bundle}),
        },
        Case {
            name: "delete_bundle",
            op_tag: 5,
            target: bundle_id.0,
            nonce: nonce(0xe0),
            parts: vec![],
            transcript: DeleteBundleRequest::transcript(&bundle_id, TIMESTAMP, &nonce(0xe0)),
            request: json!({"bundle_id": bundle_id}),
        },
    ]
}

/// The transcript as `docs/relay-api.md` specifies it, built independently.
fn spec_transcript(case: &Case, digest: &[u8; 32]) -> Vec<u8> {
    let mut out = b"corridor-relay-auth-v1\0".to_vec();
    out.push(case.op_tag);
    out.extend_from_slice(&case.target);
    out.extend_from_slice(&TIMESTAMP.to_be_bytes());
    out.extend_from_slice(&case.nonce);
    out.extend_from_slice(digest);
    out
}

fn generate() -> Value {
    let signer = key();
    let vectors: Vec<Value> = cases()
        .into_iter()
        .map(|case| {
            let input = digest_input(&case.parts);
            let digest: [u8; 32] = Sha256::digest(&input).into();
            let signature = signer.sign(&case.transcript).to_bytes();
            let mut request = case.request.clone();
            request["auth"] = serde_json::to_value(SignedAuth {
                timestamp: TIMESTAMP,
                nonce: Bytes(case.nonce),
                signature: Bytes(signature),
            })
            .unwrap();
            json!({
                "operation": case.name,
                "op_tag": case.op_tag,
                "target": hex(&case.target),
                "timestamp": TIMESTAMP,
                "nonce": hex(&case.nonce),
                "digest_parts": case.parts.iter().map(|p| hex(p)).collect::<Vec<_>>(),
                "digest_input": hex(&input),
                "body_digest": hex(&digest),
                "transcript": hex(&case.transcript),
                "signature": hex(&signature),
                "request": request,
            })
        })
        .collect();
    json!({
        "description": "Signed-request transcripts of the Corridor relay API (docs/relay-api.md, \
    \"Signed requests\"). body_digest = SHA-256(digest_input); digest_input = each of digest_parts \
    preceded by its length as 8 bytes big-endian; transcript = \"corridor-relay-auth-v1\" 0x00 || \
    op_tag (1 byte) || target (16) || timestamp (8, big-endian) || nonce (16) || body_digest (32); \
    signature = Ed25519 (RFC 8032) by the key whose 32-byte seed is signing_key_seed. request is the \
    JSON body to POST.",
        "signing_key_seed": hex(&[0x42; 32]),
        "auth_key": hex(&signer.verifying_key().to_bytes()),
        "vectors": vectors,
    })
}

#[test]
fn transcript_vectors_match_the_code_byte_for_byte() {
    if std::env::var_os("CORRIDOR_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&generate()).unwrap();
        std::fs::write(file(), text + "\n").unwrap();
    }
    let text = std::fs::read_to_string(file()).expect("docs/test-vectors/transcript.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc, generate(), "the vector file differs from the code");

    let seed: [u8; 32] = unhex(&doc["signing_key_seed"]).try_into().unwrap();
    let signer = SigningKey::from_bytes(&seed);
    let auth_key: [u8; 32] = unhex(&doc["auth_key"]).try_into().unwrap();
    assert_eq!(signer.verifying_key().to_bytes(), auth_key);
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5, "one vector per signed operation");
    for (v, case) in vectors.iter().zip(cases()) {
        let parts: Vec<Vec<u8>> = v["digest_parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(unhex)
            .collect();
        let input = digest_input(&parts);
        assert_eq!(input, unhex(&v["digest_input"]), "{}", case.name);
        let digest: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(digest.to_vec(), unhex(&v["body_digest"]), "{}", case.name);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        assert_eq!(auth::body_digest(&refs), digest, "{}", case.name);
        let transcript = unhex(&v["transcript"]);
        assert_eq!(transcript, spec_transcript(&case, &digest), "{}", case.name);
        assert_eq!(transcript, case.transcript, "{}", case.name);
        assert!(transcript.starts_with(TRANSCRIPT_PREFIX));
        assert_eq!(transcript.len(), 23 + 1 + 16 + 8 + 16 + 32);
        let signature: [u8; 64] = unhex(&v["signature"]).try_into().unwrap();
        assert_eq!(auth::verify(&auth_key, &transcript, &signature), Ok(()));
        // The JSON request decodes to the same fields, and its signature verifies.
        let sent = &v["request"];
        assert_eq!(sent["auth"]["timestamp"], TIMESTAMP);
        let sent_sig: SignedAuth = serde_json::from_value(sent["auth"].clone()).unwrap();
        assert_eq!(sent_sig.signature.0, signature);
        assert_eq!(sent_sig.nonce.0.to_vec(), unhex(&v["nonce"]));
    }
}

#[test]
fn a_changed_byte_fails_verification() {
    let doc = generate();
    let v = &doc["vectors"][0];
    let transcript = unhex(&v["transcript"]);
    let signature: [u8; 64] = unhex(&v["signature"]).try_into().unwrap();
    let auth_key: [u8; 32] = unhex(&doc["auth_key"]).try_into().unwrap();
    for i in 0..transcript.len() {
        let mut changed = transcript.clone();
        changed[i] ^= 0x01;
        assert!(
            auth::verify(&auth_key, &changed, &signature).is_err(),
            "byte {i}"
        );
    }
}
