//! A signed request captured before a restart is refused after it: the relay remembers
//! every accepted (target, nonce) on disk before the request takes effect, whether the
//! process stopped cleanly (SIGTERM) or was killed (SIGKILL).
// Test code: a failed step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess};
use corridor_wire::api::{AckRequest, FetchRequest, FetchResponse, SignedAuth};
use corridor_wire::b64::Bytes;
use ed25519_dalek::{Signer, SigningKey};
use relay_support::*;
use std::time::{SystemTime, UNIX_EPOCH};

fn auth(owner: &SigningKey, nonce: [u8; 16], transcript: impl Fn(u64) -> Vec<u8>) -> SignedAuth {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SignedAuth {
        timestamp,
        nonce: Bytes(nonce),
        signature: Bytes(owner.sign(&transcript(timestamp)).to_bytes()),
    }
}

async fn captured_requests_are_refused_after(stop: fn(&mut RelayProcess)) {
    let mut relay = RelayProcess::start(RelayOptions::default()).unwrap();
    let owner = SigningKey::from_bytes(&[42; 32]);
    let client = Client::new(relay.url());
    let mailbox = client.create_mailbox(&owner).await;
    assert_eq!(
        client.deposit(&mailbox, envelope_with(1)).await.unwrap(),
        200
    );
    let read_id = mailbox.read_id;

    // The captured fetch and acknowledgement, each accepted once before the restart.
    let fetch = FetchRequest {
        read_id,
        wait_secs: 0,
        auth: auth(&owner, [1; 16], |ts| {
            FetchRequest::transcript(&read_id, 0, ts, &[1; 16])
        }),
    };
    let (status, body) = client.post("/v1/mailboxes/fetch", &fetch).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let fetched: FetchResponse = serde_json::from_value(body).unwrap();
    let seqs: Vec<u64> = fetched.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs.len(), 1);
    let ack = AckRequest {
        read_id,
        seqs: seqs.clone(),
        auth: auth(&owner, [2; 16], |ts| {
            AckRequest::transcript(&read_id, &seqs, ts, &[2; 16])
        }),
    };
    assert_eq!(client.post("/v1/mailboxes/ack", &ack).await.unwrap().0, 200);
    // Within the same run, a replay is refused.
    let (status, body) = client.post("/v1/mailboxes/fetch", &fetch).await.unwrap();
    assert_eq!((status, body["error"].as_str()), (409, Some("replayed")));

    stop(&mut relay);
    relay.restart().unwrap();
    let client = Client::new(relay.url());
    assert_eq!(
        client.deposit(&mailbox, envelope_with(2)).await.unwrap(),
        200
    );
    for (path, status, body) in [
        (
            "fetch",
            client.post("/v1/mailboxes/fetch", &fetch).await.unwrap(),
        ),
        ("ack", client.post("/v1/mailboxes/ack", &ack).await.unwrap()),
    ]
    .map(|(path, (status, body))| (path, status, body))
    {
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("replayed")),
            "the captured {path} was accepted after the restart: {body}"
        );
    }
    // The relay still serves fresh requests, and the new deposit is intact.
    let fresh = client.fetch(&owner, &read_id, 0).await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(envelope_id(&fresh[0].envelope), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_captured_before_sigkill_is_refused_after_the_restart() {
    captured_requests_are_refused_after(|relay| relay.kill().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_captured_before_sigterm_is_refused_after_the_restart() {
    captured_requests_are_refused_after(|relay| {
        assert!(relay.terminate().unwrap().success());
    })
    .await;
}
