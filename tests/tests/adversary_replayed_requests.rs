//! DESIGN §2 / threat model: an adversary who records a member's signed relay requests
//! (fetch, acknowledge, destroy) and sends them again gets a 409 `replayed` and nothing
//! else: no envelope, no deletion. Two layers stand in the way: the relay's in-memory
//! replay cache (checked first) and the (target, nonce) remembered on disk
//! (`tests/tests/relay_replay_restart.rs` shows the disk layer across restarts). The second
//! test here shows the in-memory cache alone, through its public API, since in the running
//! relay the disk layer would refuse the same replays without it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess};
use corridor_relay::replay::{ReplayCache, ReplayError};
use corridor_wire::api::{AckRequest, DestroyRequest, FetchRequest, FetchResponse, SignedAuth};
use corridor_wire::auth::MAX_SKEW_SECS;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversary_replayed_requests() {
    let relay = RelayProcess::start(RelayOptions::default()).unwrap();
    let owner = SigningKey::from_bytes(&[42; 32]);
    let client = Client::new(relay.url());
    let mailbox = client.create_mailbox(&owner).await;
    let read_id = mailbox.read_id;
    assert_eq!(
        client.deposit(&mailbox, envelope_with(1)).await.unwrap(),
        200
    );

    // The member's fetch and acknowledgement, recorded by the adversary.
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

    // New mail arrives; the adversary replays what it recorded.
    assert_eq!(
        client.deposit(&mailbox, envelope_with(2)).await.unwrap(),
        200
    );
    for (path, (status, body)) in [
        (
            "fetch",
            client.post("/v1/mailboxes/fetch", &fetch).await.unwrap(),
        ),
        ("ack", client.post("/v1/mailboxes/ack", &ack).await.unwrap()),
    ] {
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("replayed")),
            "the replayed {path} was accepted: {body}"
        );
        assert!(body.get("messages").is_none(), "a replay got envelopes");
    }
    // The owner still reads the new mail intact.
    let fresh = client.fetch(&owner, &read_id, 0).await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(envelope_id(&fresh[0].envelope), 2);
    let destroy = DestroyRequest {
        read_id,
        auth: auth(&owner, [3; 16], |ts| {
            DestroyRequest::transcript(&read_id, ts, &[3; 16])
        }),
    };
    assert_eq!(
        client
            .post("/v1/mailboxes/destroy", &destroy)
            .await
            .unwrap()
            .0,
        200
    );
    // The recorded destroy, replayed: refused (the mailbox and its auth key are gone).
    let (status, body) = client
        .post("/v1/mailboxes/destroy", &destroy)
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("no_such_mailbox"))
    );
}

/// The relay's in-memory replay cache on its own (`corridor_relay::replay`): a (target,
/// nonce) is accepted once; every replay inside the freshness window (a signed request
/// stays fresh for `MAX_SKEW_SECS` either side) is refused; another nonce or another target
/// is not a replay; the entry is forgotten only once no replay could pass the freshness
/// check; a full cache refuses rather than forgets.
#[test]
fn the_in_memory_replay_cache_alone_refuses_replays() {
    let cache = ReplayCache::new(3);
    let (target, nonce, t) = ([7u8; 32], [1u8; 16], 1_796_083_200u64);
    cache.check(&target, &nonce, t).unwrap();
    for later in [t, t + 1, t + MAX_SKEW_SECS, t + 2 * MAX_SKEW_SECS] {
        assert_eq!(
            cache.check(&target, &nonce, later),
            Err(ReplayError::Replayed),
            "a replay {}s later was accepted",
            later - t
        );
    }
    cache.check(&target, &[2; 16], t + 1).unwrap();
    cache.check(&[8; 32], &nonce, t + 1).unwrap();
    assert_eq!(cache.len(), 3);
    // Full of entries still inside the window: a new request is refused, none forgotten.
    assert_eq!(
        cache.check(&[9; 32], &[9; 16], t + 2),
        Err(ReplayError::Full)
    );
    assert_eq!(
        cache.check(&target, &nonce, t + 2),
        Err(ReplayError::Replayed)
    );
    // Past the window the first entry goes (its request can no longer be fresh).
    cache
        .check(&target, &nonce, t + 2 * MAX_SKEW_SECS + 1)
        .unwrap();
}
