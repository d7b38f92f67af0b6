//! Helpers for the handler tests: an in-process relay over a manual clock, signing, on
//! the storage engine the test binary names in its `BACKEND` (the in-process store, or a
//! database of a throwaway PostgreSQL cluster, [`pg_cluster`]).
// Test-only code: a failed setup step should fail the test loudly.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

pub mod pg_cluster;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use corridor_relay::config::{DatabaseUrl, Storage};
use corridor_relay::{AppState, Config, ManualClock, Store, app};
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower::ServiceExt;

pub const TOKEN: &str = "test-operator-token";
pub const T0: u64 = 1_800_000_000;

/// Which storage engine a test binary runs the suite against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The in-process store (memory, or sled for [`harness_durable`]).
    Local,
    /// A fresh database in the shared throwaway PostgreSQL cluster.
    Postgres,
}

pub struct Harness {
    pub app: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    nonce: AtomicU64,
    _dir: Option<tempfile::TempDir>,
}

pub fn test_config() -> Config {
    Config {
        pow_difficulty: 4,
        operator_tokens: corridor_relay::config::OperatorTokens(vec![TOKEN.into()]),
        ..Config::default()
    }
}

pub async fn harness() -> Harness {
    harness_with(test_config()).await
}

/// `config` on a fresh database of the shared cluster.
pub fn on_postgres(mut config: Config) -> Config {
    let url = pg_cluster::PgCluster::shared().create_database();
    config.storage = Storage::Postgres;
    config.database_url = Some(DatabaseUrl(url));
    config.database_pool_size = 4;
    config
}

pub async fn harness_with(config: Config) -> Harness {
    let clock = Arc::new(ManualClock::new(T0));
    let state = match crate::BACKEND {
        Backend::Local => AppState::in_memory(config, clock.clone()).unwrap(),
        Backend::Postgres => AppState::postgres(on_postgres(config), clock.clone())
            .await
            .unwrap(),
    };
    Harness::new(state, clock)
}

/// A harness on the PostgreSQL database at `url`: several of them are several relay
/// instances sharing one database.
pub async fn harness_on_database(mut config: Config, url: &str) -> Harness {
    config.storage = Storage::Postgres;
    config.database_url = Some(DatabaseUrl(url.to_string()));
    config.database_pool_size = 4;
    let clock = Arc::new(ManualClock::new(T0));
    let state = AppState::postgres(config, clock.clone()).await.unwrap();
    Harness::new(state, clock)
}

/// A harness whose writes go to disk: sled in a temporary directory, or PostgreSQL.
pub async fn harness_durable(config: Config) -> Harness {
    if crate::BACKEND == Backend::Postgres {
        return harness_with(config).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(corridor_relay::SledStore::open(dir.path()).unwrap());
    let mut h = harness_on(config, store);
    h._dir = Some(dir);
    h
}

pub fn harness_on(config: Config, store: Arc<dyn Store>) -> Harness {
    let clock = Arc::new(ManualClock::new(T0));
    let state = AppState::new(config, store, clock.clone()).unwrap();
    Harness::new(state, clock)
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn envelope(fill: u8) -> Blob {
    Blob(vec![fill; corridor_wire::ENVELOPE_SIZE])
}

impl Harness {
    pub fn new(state: AppState, clock: Arc<ManualClock>) -> Self {
        Self {
            app: app(state.clone()),
            state,
            clock,
            nonce: AtomicU64::new(1),
            _dir: None,
        }
    }

    /// Stored rows of one kind (`prefix` as in `corridor_relay::layout`).
    pub async fn rows(&self, prefix: u8) -> u64 {
        self.state.count_rows(prefix).await.unwrap()
    }

    /// Every stored row but the replay window's.
    pub async fn rows_but_seen(&self) -> u64 {
        let mut total = 0;
        for prefix in *b"MRQXBOPE" {
            total += self.rows(prefix).await;
        }
        total
    }

    /// Waits (up to 10 s) until `n` fetches are registered for a long-poll.
    pub async fn until_waiting(&self, n: usize) {
        for _ in 0..1000 {
            if self.state.waiting_fetches() >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "only {} fetches waiting, expected {n}",
            self.state.waiting_fetches()
        );
    }

    pub fn now(&self) -> u64 {
        use corridor_relay::Clock;
        self.clock.now()
    }

    /// A nonce never used before by this harness.
    pub fn nonce(&self) -> [u8; 16] {
        let mut n = [0u8; 16];
        // Unique across every harness of the process (several may share one database).
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let _ = &self.nonce;
        n[..8].copy_from_slice(&NEXT.fetch_add(1, Ordering::SeqCst).to_be_bytes());
        n
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, body.to_vec())
    }

    pub async fn post_bytes(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let req = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, bytes) = self.raw(req).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn post<T: Serialize>(&self, path: &str, body: &T) -> (StatusCode, Value) {
        self.post_bytes(path, serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        self.raw(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Posts and decodes a 200 answer; panics on anything else.
    pub async fn ok<T: Serialize, R: DeserializeOwned>(&self, path: &str, body: &T) -> R {
        let (status, value) = self.post(path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {value}");
        serde_json::from_value(value).unwrap()
    }

    pub async fn create_mailbox(&self, owner: &SigningKey) -> CreateMailboxResponse {
        self.ok(
            "/v1/mailboxes",
            &CreateMailboxRequest {
                auth_key: Bytes(owner.verifying_key().to_bytes()),
                admission: Admission::Token {
                    token: TOKEN.into(),
                },
            },
        )
        .await
    }

    pub fn deposit_req(&self, mailbox: &CreateMailboxResponse, env: Blob) -> DepositRequest {
        DepositRequest {
            deposit_id: mailbox.deposit_id,
            credential: mailbox.deposit_credential,
            envelope: env,
        }
    }

    pub fn sign(
        &self,
        owner: &SigningKey,
        transcript: &[u8],
        timestamp: u64,
        nonce: [u8; 16],
    ) -> SignedAuth {
        SignedAuth {
            timestamp,
            nonce: Bytes(nonce),
            signature: Bytes(owner.sign(transcript).to_bytes()),
        }
    }

    pub fn fetch_req(&self, owner: &SigningKey, read_id: &ReadId, wait_secs: u32) -> FetchRequest {
        let (ts, nonce) = (self.now(), self.nonce());
        let t = FetchRequest::transcript(read_id, wait_secs, ts, &nonce);
        FetchRequest {
            read_id: *read_id,
            wait_secs,
            auth: self.sign(owner, &t, ts, nonce),
        }
    }

    pub fn ack_req(&self, owner: &SigningKey, read_id: &ReadId, seqs: Vec<u64>) -> AckRequest {
        let (ts, nonce) = (self.now(), self.nonce());
        let t = AckRequest::transcript(read_id, &seqs, ts, &nonce);
        AckRequest {
            read_id: *read_id,
            seqs,
            auth: self.sign(owner, &t, ts, nonce),
        }
    }

    pub fn destroy_req(&self, owner: &SigningKey, read_id: &ReadId) -> DestroyRequest {
        let (ts, nonce) = (self.now(), self.nonce());
        let t = DestroyRequest::transcript(read_id, ts, &nonce);
        DestroyRequest {
            read_id: *read_id,
            auth: self.sign(owner, &t, ts, nonce),
        }
    }

    pub fn publish_req(
        &self,
        owner: &SigningKey,
        bundle_id: BundleId,
        bundle: Bundle,
    ) -> PublishBundleRequest {
        let (ts, nonce) = (self.now(), self.nonce());
        let auth_key = Bytes(owner.verifying_key().to_bytes());
        let t = PublishBundleRequest::transcript(&bundle_id, &auth_key, &bundle, ts, &nonce);
        PublishBundleRequest {
            bundle_id,
            auth_key,
            bundle,
            auth: self.sign(owner, &t, ts, nonce),
        }
    }

    pub fn delete_bundle_req(
        &self,
        owner: &SigningKey,
        bundle_id: BundleId,
    ) -> DeleteBundleRequest {
        let (ts, nonce) = (self.now(), self.nonce());
        let t = DeleteBundleRequest::transcript(&bundle_id, ts, &nonce);
        DeleteBundleRequest {
            bundle_id,
            auth: self.sign(owner, &t, ts, nonce),
        }
    }

    pub async fn fetch_all(&self, owner: &SigningKey, read_id: &ReadId) -> Vec<Message> {
        let resp: FetchResponse = self
            .ok("/v1/mailboxes/fetch", &self.fetch_req(owner, read_id, 0))
            .await;
        resp.messages
    }
}

/// Asserts a JSON error answer with `status` and `code`.
pub fn assert_error(got: (StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(got.1["error"], code, "body: {}", got.1);
    assert!(got.1["message"].is_string());
}

pub fn bundle(one_time: u32) -> Bundle {
    Bundle {
        signed: Blob(vec![1; 100]),
        one_time: (0..one_time)
            .map(|id| OneTimePrekey {
                id,
                key: Blob(vec![id as u8; 32]),
            })
            .collect(),
        last_resort: Blob(vec![9; 32]),
    }
}
