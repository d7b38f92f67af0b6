//! Two relay instances (two `AppState`s, each with its own writer, pool and listener) on
//! one PostgreSQL database: every promise of the relay holds across them.

mod common;

/// The storage engine of this test binary.
const BACKEND: common::Backend = common::Backend::Postgres;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::pg_cluster::PgCluster;
use common::*;
use corridor_relay::Config;
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn two_instances(config: Config) -> (Arc<Harness>, Arc<Harness>) {
    let url = PgCluster::shared().create_database();
    let a = harness_on_database(config.clone(), &url).await;
    let b = harness_on_database(config, &url).await;
    (Arc::new(a), Arc::new(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_at_one_instance_is_fetched_and_wakes_a_long_poll_at_the_other() {
    let (a, b) = two_instances(test_config()).await;
    let owner = key(1);
    let mb = a.create_mailbox(&owner).await;
    let fetch = b.fetch_req(&owner, &mb.read_id, 20);
    let app = b.app.clone();
    let started = Instant::now();
    let waiting = tokio::spawn(async move {
        let req = Request::post("/v1/mailboxes/fetch")
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(&fetch).unwrap()))
            .unwrap();
        use tower::ServiceExt;
        let resp = app.oneshot(req).await.unwrap();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice::<FetchResponse>(&bytes).unwrap()
    });
    b.until_waiting(1).await;
    assert!(!waiting.is_finished(), "fetch returned before any deposit");
    let _: DepositResponse = a
        .ok("/v1/mailboxes/deposit", &a.deposit_req(&mb, envelope(5)))
        .await;
    let got = waiting.await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].envelope, envelope(5));
    // Woken through NOTIFY from the other instance, well before the 20 s wait ran out.
    assert!(started.elapsed() < Duration::from_secs(15));
    // Acknowledged at B, gone at A.
    let seq = got.messages[0].seq;
    let acked: AckResponse = b
        .ok(
            "/v1/mailboxes/ack",
            &b.ack_req(&owner, &mb.read_id, vec![seq]),
        )
        .await;
    assert_eq!(acked.deleted, 1);
    assert!(a.fetch_all(&owner, &mb.read_id).await.is_empty());
    // Destroyed at A: B knows the mailbox no more.
    let _: DestroyResponse = a
        .ok("/v1/mailboxes/destroy", &a.destroy_req(&owner, &mb.read_id))
        .await;
    assert_error(
        b.post("/v1/mailboxes/deposit", &b.deposit_req(&mb, envelope(6)))
            .await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_accepted_at_one_instance_is_refused_at_the_other() {
    let (a, b) = two_instances(test_config()).await;
    let owner = key(1);
    let mb = a.create_mailbox(&owner).await;
    let fetch = a.fetch_req(&owner, &mb.read_id, 0);
    let _: FetchResponse = a.ok("/v1/mailboxes/fetch", &fetch).await;
    // B's own memory has never seen it: only the shared window refuses it.
    assert_error(
        b.post("/v1/mailboxes/fetch", &fetch).await,
        StatusCode::CONFLICT,
        "replayed",
    );
    let ack = b.ack_req(&owner, &mb.read_id, vec![1]);
    let _: AckResponse = b.ok("/v1/mailboxes/ack", &ack).await;
    assert_error(
        a.post("/v1/mailboxes/ack", &ack).await,
        StatusCode::CONFLICT,
        "replayed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_issued_by_one_instance_admits_once_at_any() {
    let (a, b) = two_instances(test_config()).await;
    let (status, body) = a.get("/v1/challenge").await;
    assert_eq!(status, StatusCode::OK);
    let challenge: ChallengeResponse = serde_json::from_slice(&body).unwrap();
    let solution = corridor_wire::pow::solve(challenge.challenge.as_bytes(), 4).unwrap();
    let req = CreateMailboxRequest {
        auth_key: Bytes(key(1).verifying_key().to_bytes()),
        admission: Admission::Pow {
            challenge: challenge.challenge,
            solution,
        },
    };
    let _: CreateMailboxResponse = b.ok("/v1/mailboxes", &req).await;
    for h in [&a, &b] {
        assert_error(
            h.post("/v1/mailboxes", &req).await,
            StatusCode::FORBIDDEN,
            "challenge_used",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_time_prekeys_taken_through_both_instances_are_each_handed_out_once() {
    let (a, b) = two_instances(Config {
        bundle_one_time_per_hour: 1000,
        ..test_config()
    })
    .await;
    let id: BundleId = Bytes([7; 16]);
    let _: PublishBundleResponse = a
        .ok("/v1/bundles", &a.publish_req(&key(1), id, bundle(40)))
        .await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let h = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let got: FetchBundleResponse = h
                .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: id })
                .await;
            got.prekey
        }));
    }
    let mut one_time = Vec::new();
    let mut last_resort = 0;
    for task in tasks {
        match task.await.unwrap() {
            HandedPrekey::OneTime(p) => one_time.push(p.id),
            HandedPrekey::LastResort { .. } => last_resort += 1,
        }
    }
    let unique: BTreeSet<u32> = one_time.iter().copied().collect();
    assert_eq!(
        unique.len(),
        one_time.len(),
        "a one-time prekey was handed out twice"
    );
    assert_eq!(one_time.len(), 40);
    assert_eq!(last_resort, 20);
    assert_eq!(a.rows(b'O').await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deposits_through_both_get_distinct_numbers_and_the_caps_hold() {
    let (a, b) = two_instances(Config {
        max_messages_per_mailbox: 150,
        max_mailboxes: 3,
        ..test_config()
    })
    .await;
    let owner = key(1);
    let mb = a.create_mailbox(&owner).await;
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let h = if i % 2 == 0 { a.clone() } else { b.clone() };
        let mut env = vec![0u8; 4096];
        env[..4].copy_from_slice(&i.to_be_bytes());
        let req = h.deposit_req(&mb, Blob(env));
        tasks.push(tokio::spawn(async move {
            h.post("/v1/mailboxes/deposit", &req).await.0
        }));
    }
    let mut stored = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::OK => stored += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("deposit answered {other}"),
        }
    }
    // The per-mailbox cap holds across instances.
    assert_eq!(stored, 150);
    let mut seqs = BTreeSet::new();
    let mut ids = BTreeSet::new();
    loop {
        let batch = b.fetch_all(&owner, &mb.read_id).await;
        if batch.is_empty() {
            break;
        }
        for m in &batch {
            assert!(seqs.insert(m.seq), "sequence number {} given twice", m.seq);
            let id = u32::from_be_bytes(m.envelope.as_bytes()[..4].try_into().unwrap());
            assert!(ids.insert(id), "envelope {id} fetched twice");
        }
        let _: AckResponse = a
            .ok(
                "/v1/mailboxes/ack",
                &a.ack_req(&owner, &mb.read_id, batch.iter().map(|m| m.seq).collect()),
            )
            .await;
    }
    assert_eq!(ids.len(), 150);
    // Group commit: fewer transactions than deposits on at least one instance.
    let (ta, tb) = (a.state.metrics().flushes(), b.state.metrics().flushes());
    let (oa, ob) = (
        a.state.metrics().flushed_ops(),
        b.state.metrics().flushed_ops(),
    );
    assert!(
        ta < oa || tb < ob,
        "no commit was shared ({ta}/{oa}, {tb}/{ob})"
    );
    // The relay-wide mailbox cap (3) holds across instances: one exists already.
    let mut creates = Vec::new();
    for i in 0..4u8 {
        let h = if i % 2 == 0 { a.clone() } else { b.clone() };
        creates.push(tokio::spawn(async move {
            let req = CreateMailboxRequest {
                auth_key: Bytes(key(10 + i).verifying_key().to_bytes()),
                admission: Admission::Token {
                    token: TOKEN.into(),
                },
            };
            h.post("/v1/mailboxes", &req).await.0
        }));
    }
    let mut created = 0;
    for task in creates {
        if task.await.unwrap() == StatusCode::OK {
            created += 1;
        }
    }
    assert_eq!(created, 2);
}
