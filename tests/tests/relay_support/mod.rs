//! A minimal typed client for the relay API, for the relay's end-to-end tests.
// Test-only code: a failed setup step should fail the test loudly.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use corridor_e2e::TEST_OPERATOR_TOKEN;
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static NONCE: AtomicU64 = AtomicU64::new(1);

fn nonce() -> [u8; 16] {
    let mut n = [0u8; 16];
    n[..8].copy_from_slice(&NONCE.fetch_add(1, Ordering::SeqCst).to_be_bytes());
    n[8..12].copy_from_slice(&std::process::id().to_be_bytes());
    n
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn signed(owner: &SigningKey, transcript: &[u8], timestamp: u64, nonce: [u8; 16]) -> SignedAuth {
    SignedAuth {
        timestamp,
        nonce: Bytes(nonce),
        signature: Bytes(owner.sign(transcript).to_bytes()),
    }
}

/// A signed request's authentication made now with a fresh nonce; `transcript` gives the
/// bytes to sign for a timestamp and nonce (e.g. `FetchRequest::transcript`).
pub fn signed_now(
    owner: &SigningKey,
    transcript: impl Fn(u64, &[u8; 16]) -> Vec<u8>,
) -> SignedAuth {
    let (timestamp, nonce) = (now(), nonce());
    signed(owner, &transcript(timestamp, &nonce), timestamp, nonce)
}

/// One fetch (no waiting): `(seq, envelope id)` of each message; `None` if the relay did
/// not answer 200.
pub async fn try_fetch(
    client: &Client,
    owner: &SigningKey,
    read_id: &ReadId,
) -> Option<Vec<(u64, u64)>> {
    let req = FetchRequest {
        read_id: *read_id,
        wait_secs: 0,
        auth: signed_now(owner, |ts, n| FetchRequest::transcript(read_id, 0, ts, n)),
    };
    match client.post("/v1/mailboxes/fetch", &req).await {
        Ok((200, value)) => {
            let resp: FetchResponse = serde_json::from_value(value).unwrap();
            Some(
                resp.messages
                    .iter()
                    .map(|m| (m.seq, envelope_id(&m.envelope)))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// One acknowledgement; true if the relay answered 200.
pub async fn try_ack(client: &Client, owner: &SigningKey, read_id: &ReadId, seqs: &[u64]) -> bool {
    let req = AckRequest {
        read_id: *read_id,
        seqs: seqs.to_vec(),
        auth: signed_now(owner, |ts, n| AckRequest::transcript(read_id, seqs, ts, n)),
    };
    matches!(client.post("/v1/mailboxes/ack", &req).await, Ok((200, _)))
}

pub fn envelope_with(id: u64) -> Blob {
    let mut env = vec![0xA5u8; corridor_wire::ENVELOPE_SIZE];
    env[..8].copy_from_slice(&id.to_be_bytes());
    Blob(env)
}

pub fn envelope_id(env: &Blob) -> u64 {
    u64::from_be_bytes(env.as_bytes()[..8].try_into().unwrap())
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// Posts JSON; returns the status and the JSON body.
    pub async fn post<T: Serialize>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<(u16, serde_json::Value), reqwest::Error> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let value = resp.json().await.unwrap_or(serde_json::Value::Null);
        Ok((status, value))
    }

    pub async fn ok<T: Serialize, R: DeserializeOwned>(&self, path: &str, body: &T) -> R {
        let (status, value) = self.post(path, body).await.unwrap();
        assert_eq!(status, 200, "{path}: {value}");
        serde_json::from_value(value).unwrap()
    }

    pub async fn create_mailbox(&self, owner: &SigningKey) -> CreateMailboxResponse {
        self.ok(
            "/v1/mailboxes",
            &CreateMailboxRequest {
                auth_key: Bytes(owner.verifying_key().to_bytes()),
                admission: Admission::Token {
                    token: TEST_OPERATOR_TOKEN.into(),
                },
            },
        )
        .await
    }

    pub async fn deposit(
        &self,
        mailbox: &CreateMailboxResponse,
        envelope: Blob,
    ) -> Result<u16, reqwest::Error> {
        let req = DepositRequest {
            deposit_id: mailbox.deposit_id,
            credential: mailbox.deposit_credential,
            envelope,
        };
        Ok(self.post("/v1/mailboxes/deposit", &req).await?.0)
    }

    pub async fn fetch(
        &self,
        owner: &SigningKey,
        read_id: &ReadId,
        wait_secs: u32,
    ) -> Vec<Message> {
        let (ts, nonce) = (now(), nonce());
        let t = FetchRequest::transcript(read_id, wait_secs, ts, &nonce);
        let req = FetchRequest {
            read_id: *read_id,
            wait_secs,
            auth: signed(owner, &t, ts, nonce),
        };
        let resp: FetchResponse = self.ok("/v1/mailboxes/fetch", &req).await;
        resp.messages
    }

    pub async fn ack(&self, owner: &SigningKey, read_id: &ReadId, seqs: Vec<u64>) -> u32 {
        let (ts, nonce) = (now(), nonce());
        let t = AckRequest::transcript(read_id, &seqs, ts, &nonce);
        let req = AckRequest {
            read_id: *read_id,
            seqs,
            auth: signed(owner, &t, ts, nonce),
        };
        let resp: AckResponse = self.ok("/v1/mailboxes/ack", &req).await;
        resp.deleted
    }

    pub async fn destroy(&self, owner: &SigningKey, read_id: &ReadId) {
        let (ts, nonce) = (now(), nonce());
        let t = DestroyRequest::transcript(read_id, ts, &nonce);
        let req = DestroyRequest {
            read_id: *read_id,
            auth: signed(owner, &t, ts, nonce),
        };
        let _: DestroyResponse = self.ok("/v1/mailboxes/destroy", &req).await;
    }

    /// Fetches and acknowledges until the mailbox is empty; returns every envelope id in
    /// the order fetched.
    pub async fn drain(&self, owner: &SigningKey, read_id: &ReadId) -> Vec<u64> {
        let mut ids = Vec::new();
        loop {
            let batch = self.fetch(owner, read_id, 0).await;
            if batch.is_empty() {
                return ids;
            }
            ids.extend(batch.iter().map(|m| envelope_id(&m.envelope)));
            self.ack(owner, read_id, batch.iter().map(|m| m.seq).collect())
                .await;
        }
    }
}
