//! The body of the `relay_request` target and its seeds: a request body sent through the
//! relay's own router (`corridor_relay::app`, the handlers' `ApiJson` extractor over the
//! wire types, then each handler's checks) on an in-memory store.
//!
//! Compiled into `corridor-fuzz` and, through `#[path]`, into `server/tests/fuzz_replay.rs`.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use corridor_relay::config::OperatorTokens;
use corridor_relay::{AppState, Config, ManualClock, app};
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// Every relay target (one): name and body.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[("relay_request", relay_request)];

/// The POST endpoints that parse a JSON body, in the order the selector byte picks them.
pub const ENDPOINTS: [&str; 8] = [
    "/v1/mailboxes",
    "/v1/mailboxes/deposit",
    "/v1/mailboxes/fetch",
    "/v1/mailboxes/ack",
    "/v1/mailboxes/destroy",
    "/v1/bundles",
    "/v1/bundles/fetch",
    "/v1/bundles/delete",
];

/// The operator token the fuzzed relay admits (so that mailbox creation is reachable).
pub const TOKEN: &str = "fuzz-operator-token";
/// The relay's clock.
pub const NOW: u64 = 1_800_000_000;

struct Relay {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

/// One relay for the whole run (a writer thread per input would cost more than the
/// request): nothing a request can do without a valid signature changes what the next one
/// sees, apart from created mailboxes and published bundles, which are what a relay holds.
fn relay() -> &'static Relay {
    static R: OnceLock<Relay> = OnceLock::new();
    R.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let config = Config {
            pow_difficulty: 1,
            operator_tokens: OperatorTokens(vec![TOKEN.into()]),
            // The fuzzer sends thousands of requests a second; the limiter is not under test.
            rate_limit_per_sec: 1_000_000_000,
            rate_limit_burst: 1_000_000_000,
            ..Config::default()
        };
        let clock = Arc::new(ManualClock::new(NOW));
        let state = runtime
            .block_on(async { AppState::in_memory(config, clock) })
            .expect("relay state");
        Relay {
            runtime,
            app: app(state),
        }
    })
}

/// Input: selector byte (low three bits: the endpoint of [`ENDPOINTS`]; bit 3: send no
/// `Content-Type`) || body. The relay must answer every body with a JSON error or a JSON
/// success, never a 500, never a panic, and never let a request through that needs a
/// signature or credential no fuzzer has.
pub fn relay_request(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let path = ENDPOINTS[usize::from(selector & 7)];
    let mut request = Request::post(path);
    if selector & 8 == 0 {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let Ok(request) = request.body(Body::from(body.to_vec())) else {
        return;
    };
    let r = relay();
    let (status, bytes) = r.runtime.block_on(async {
        let response = r.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (status, bytes)
    });
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_success() {
        // Only creation (token admission) and publication (self-signed: the key is the
        // request's own) can succeed for a fuzzer; the other endpoints need a deposit
        // credential or a signature by a key some earlier request registered.
        assert!(
            path == "/v1/mailboxes" || path == "/v1/bundles" || path == "/v1/bundles/fetch",
            "{path} accepted an unauthenticated request"
        );
        assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
    } else {
        let error = serde_json::from_slice::<ErrorBody>(&bytes);
        assert!(error.is_ok(), "a {status} without a JSON error body");
    }
}

/// The seeds: for each endpoint, a well-formed body (bad credentials, of course), and a few
/// malformed ones.
pub fn seeds() -> Vec<(&'static str, Vec<(String, Vec<u8>)>)> {
    fn framed<T: serde::Serialize>(endpoint: u8, value: &T) -> Vec<u8> {
        let mut out = vec![endpoint];
        out.extend_from_slice(&serde_json::to_vec(value).unwrap_or_default());
        out
    }
    let auth = SignedAuth {
        timestamp: NOW,
        nonce: Bytes([5; 16]),
        signature: Bytes([6; 64]),
    };
    // A valid Ed25519 public key (the base point's encoding is not weak).
    let key = Bytes(ed25519_base_point());
    let bundle = Bundle {
        signed: Blob(vec![1; 40]),
        one_time: vec![OneTimePrekey {
            id: 4,
            key: Blob(vec![2; 60]),
        }],
        last_resort: Blob(vec![3; 60]),
    };
    let s: Vec<(String, Vec<u8>)> = vec![
        (
            "create-token".into(),
            framed(
                0,
                &CreateMailboxRequest {
                    auth_key: key,
                    admission: Admission::Token {
                        token: TOKEN.into(),
                    },
                },
            ),
        ),
        (
            "create-pow".into(),
            framed(
                0,
                &CreateMailboxRequest {
                    auth_key: key,
                    admission: Admission::Pow {
                        challenge: Blob(vec![8; 32]),
                        solution: 1,
                    },
                },
            ),
        ),
        (
            "deposit".into(),
            framed(
                1,
                &DepositRequest {
                    deposit_id: Bytes([1; 16]),
                    credential: Bytes([2; 32]),
                    envelope: Blob(vec![0; corridor_wire::ENVELOPE_SIZE]),
                },
            ),
        ),
        (
            "fetch".into(),
            framed(
                2,
                &FetchRequest {
                    read_id: Bytes([1; 16]),
                    wait_secs: 0,
                    auth: auth.clone(),
                },
            ),
        ),
        (
            "ack".into(),
            framed(
                3,
                &AckRequest {
                    read_id: Bytes([1; 16]),
                    seqs: vec![1, 2],
                    auth: auth.clone(),
                },
            ),
        ),
        (
            "destroy".into(),
            framed(
                4,
                &DestroyRequest {
                    read_id: Bytes([1; 16]),
                    auth: auth.clone(),
                },
            ),
        ),
        (
            "publish".into(),
            framed(
                5,
                &PublishBundleRequest {
                    bundle_id: Bytes([4; 16]),
                    auth_key: key,
                    bundle,
                    auth: auth.clone(),
                },
            ),
        ),
        (
            "fetch-bundle".into(),
            framed(
                6,
                &FetchBundleRequest {
                    bundle_id: Bytes([4; 16]),
                },
            ),
        ),
        (
            "delete-bundle".into(),
            framed(
                7,
                &DeleteBundleRequest {
                    bundle_id: Bytes([4; 16]),
                    auth,
                },
            ),
        ),
        ("no-content-type".into(), b"\x08{}".to_vec()),
        ("not-json".into(), b"\x01\xff\xfe".to_vec()),
        (
            "unknown-field".into(),
            b"\x06{\"bundle_id\":\"BAQEBAQEBAQEBAQEBAQEBA\",\"x\":1}".to_vec(),
        ),
        ("selector-only".into(), vec![2]),
    ];
    vec![("relay_request", s)]
}

/// The Ed25519 base point, compressed.
fn ed25519_base_point() -> [u8; 32] {
    let mut out = [0x66u8; 32];
    out[0] = 0x58;
    out
}
