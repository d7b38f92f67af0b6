//! Handler tests (`oneshot`) for the mailbox endpoints and every error they answer.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use corridor_relay::Config;
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use std::time::{Duration, Instant};

#[tokio::test]
async fn pow_admission_creates_a_mailbox_once_per_challenge() {
    let h = harness().await;
    let (status, body) = h.get("/v1/challenge").await;
    assert_eq!(status, StatusCode::OK);
    let challenge: ChallengeResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(challenge.difficulty, 4);
    let solution = corridor_wire::pow::solve(challenge.challenge.as_bytes(), 4).unwrap();
    let req = CreateMailboxRequest {
        auth_key: Bytes(key(1).verifying_key().to_bytes()),
        admission: Admission::Pow {
            challenge: challenge.challenge.clone(),
            solution,
        },
    };
    let created: CreateMailboxResponse = h.ok("/v1/mailboxes", &req).await;
    assert_ne!(created.read_id.0, created.deposit_id.0);
    assert_error(
        h.post("/v1/mailboxes", &req).await,
        StatusCode::FORBIDDEN,
        "challenge_used",
    );
}

#[tokio::test]
async fn creation_refuses_bad_admission_and_bad_keys() {
    let h = harness().await;
    let good_key = Bytes(key(1).verifying_key().to_bytes());
    let wrong_token = CreateMailboxRequest {
        auth_key: good_key,
        admission: Admission::Token {
            token: "not-the-token".into(),
        },
    };
    assert_error(
        h.post("/v1/mailboxes", &wrong_token).await,
        StatusCode::FORBIDDEN,
        "bad_admission",
    );
    let forged = CreateMailboxRequest {
        auth_key: good_key,
        admission: Admission::Pow {
            challenge: Blob(vec![0; 56]),
            solution: 0,
        },
    };
    assert_error(
        h.post("/v1/mailboxes", &forged).await,
        StatusCode::FORBIDDEN,
        "bad_admission",
    );
    // An unsolved genuine challenge.
    let (_, body) = h.get("/v1/challenge").await;
    let challenge: ChallengeResponse = serde_json::from_slice(&body).unwrap();
    let wrong = (0..)
        .find(|s| !corridor_wire::pow::check(challenge.challenge.as_bytes(), *s, 4))
        .unwrap();
    let unsolved = CreateMailboxRequest {
        auth_key: good_key,
        admission: Admission::Pow {
            challenge: challenge.challenge,
            solution: wrong,
        },
    };
    assert_error(
        h.post("/v1/mailboxes", &unsolved).await,
        StatusCode::FORBIDDEN,
        "bad_admission",
    );
    // An expired challenge.
    let (_, body) = h.get("/v1/challenge").await;
    let challenge: ChallengeResponse = serde_json::from_slice(&body).unwrap();
    let solution = corridor_wire::pow::solve(challenge.challenge.as_bytes(), 4).unwrap();
    h.clock.advance(601);
    let expired = CreateMailboxRequest {
        auth_key: good_key,
        admission: Admission::Pow {
            challenge: challenge.challenge,
            solution,
        },
    };
    assert_error(
        h.post("/v1/mailboxes", &expired).await,
        StatusCode::FORBIDDEN,
        "bad_admission",
    );
    // The identity point is a weak key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = CreateMailboxRequest {
        auth_key: Bytes(identity),
        admission: Admission::Token {
            token: TOKEN.into(),
        },
    };
    assert_error(
        h.post("/v1/mailboxes", &weak).await,
        StatusCode::BAD_REQUEST,
        "bad_key",
    );
}

#[tokio::test]
async fn deposit_fetch_ack_round_trip() {
    let h = harness().await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    for fill in [1u8, 2, 3] {
        let resp: DepositResponse = h
            .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(fill)))
            .await;
        assert!(resp.stored);
    }
    let messages = h.fetch_all(&owner, &mb.read_id).await;
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0].envelope, envelope(1));
    assert!(messages.windows(2).all(|w| w[0].seq < w[1].seq));
    let acked: AckResponse = h
        .ok(
            "/v1/mailboxes/ack",
            &h.ack_req(
                &owner,
                &mb.read_id,
                vec![messages[0].seq, messages[1].seq, 999],
            ),
        )
        .await;
    assert_eq!(acked.deleted, 2);
    let left = h.fetch_all(&owner, &mb.read_id).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].envelope, envelope(3));
}

#[tokio::test]
async fn deposit_errors() {
    let h = harness().await;
    let mb = h.create_mailbox(&key(1)).await;
    let mut wrong_cred = h.deposit_req(&mb, envelope(1));
    wrong_cred.credential.0[0] ^= 1;
    assert_error(
        h.post("/v1/mailboxes/deposit", &wrong_cred).await,
        StatusCode::FORBIDDEN,
        "bad_credential",
    );
    let mut unknown = h.deposit_req(&mb, envelope(1));
    unknown.deposit_id = Bytes([7; 16]);
    assert_error(
        h.post("/v1/mailboxes/deposit", &unknown).await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    // The read id is not a deposit id.
    let mut read_as_deposit = h.deposit_req(&mb, envelope(1));
    read_as_deposit.deposit_id = mb.read_id;
    assert_error(
        h.post("/v1/mailboxes/deposit", &read_as_deposit).await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    for size in [0, 4095, 4097] {
        let short = h.deposit_req(&mb, Blob(vec![0; size]));
        assert_error(
            h.post("/v1/mailboxes/deposit", &short).await,
            StatusCode::BAD_REQUEST,
            "bad_envelope_size",
        );
    }
    assert_error(
        h.post_bytes("/v1/mailboxes/deposit", b"{not json".to_vec())
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    );
    assert_error(
        h.post_bytes("/v1/mailboxes/deposit", br#"{"deposit_id":"AA"}"#.to_vec())
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    );
    let req = Request::post("/v1/mailboxes/deposit")
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let (status, body) = h.raw(req).await;
    assert_error(
        (status, serde_json::from_slice(&body).unwrap()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let huge = h.deposit_req(&mb, Blob(vec![0; 200_000]));
    assert_error(
        h.post("/v1/mailboxes/deposit", &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );
    // Nothing was stored by any of these.
    assert!(h.fetch_all(&key(1), &mb.read_id).await.is_empty());
}

#[tokio::test]
async fn signed_requests_refuse_wrong_keys_stale_times_and_replays() {
    let h = harness().await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;

    let by_stranger = h.fetch_req(&key(2), &mb.read_id, 0);
    assert_error(
        h.post("/v1/mailboxes/fetch", &by_stranger).await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
    // A valid signature over other fields (wait_secs changed after signing).
    let mut tampered = h.fetch_req(&owner, &mb.read_id, 0);
    tampered.wait_secs = 1;
    assert_error(
        h.post("/v1/mailboxes/fetch", &tampered).await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
    // A fetch signature does not authorize a destroy.
    let fetch = h.fetch_req(&owner, &mb.read_id, 0);
    let as_destroy = DestroyRequest {
        read_id: mb.read_id,
        auth: fetch.auth.clone(),
    };
    assert_error(
        h.post("/v1/mailboxes/destroy", &as_destroy).await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
    // Replay.
    let _: FetchResponse = h.ok("/v1/mailboxes/fetch", &fetch).await;
    assert_error(
        h.post("/v1/mailboxes/fetch", &fetch).await,
        StatusCode::CONFLICT,
        "replayed",
    );
    let ack = h.ack_req(&owner, &mb.read_id, vec![1]);
    let _: AckResponse = h.ok("/v1/mailboxes/ack", &ack).await;
    assert_error(
        h.post("/v1/mailboxes/ack", &ack).await,
        StatusCode::CONFLICT,
        "replayed",
    );
    // Stale and future timestamps.
    let stale = h.fetch_req(&owner, &mb.read_id, 0);
    h.clock.advance(121);
    assert_error(
        h.post("/v1/mailboxes/fetch", &stale).await,
        StatusCode::UNAUTHORIZED,
        "stale_timestamp",
    );
    let future = h.fetch_req(&owner, &mb.read_id, 0);
    h.clock.set(h.now() - 121);
    assert_error(
        h.post("/v1/mailboxes/fetch", &future).await,
        StatusCode::UNAUTHORIZED,
        "stale_timestamp",
    );
    // Unknown mailbox.
    let unknown = h.fetch_req(&owner, &Bytes([9; 16]), 0);
    assert_error(
        h.post("/v1/mailboxes/fetch", &unknown).await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    let unknown = h.ack_req(&owner, &Bytes([9; 16]), vec![]);
    assert_error(
        h.post("/v1/mailboxes/ack", &unknown).await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    let unknown = h.destroy_req(&owner, &Bytes([9; 16]));
    assert_error(
        h.post("/v1/mailboxes/destroy", &unknown).await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    // Garbage signature bytes.
    let mut garbage = h.fetch_req(&owner, &mb.read_id, 0);
    garbage.auth.signature = Bytes([0xff; 64]);
    assert_error(
        h.post("/v1/mailboxes/fetch", &garbage).await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
}

#[tokio::test]
async fn ack_refuses_too_many_seqs() {
    let h = harness().await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let req = h.ack_req(&owner, &mb.read_id, (0..1001).collect());
    assert_error(
        h.post("/v1/mailboxes/ack", &req).await,
        StatusCode::BAD_REQUEST,
        "too_many_seqs",
    );
}

#[tokio::test]
async fn destroy_leaves_no_row_behind() {
    let h = harness().await;
    let owner = key(1);
    let keep = h.create_mailbox(&key(3)).await;
    // Every row but the replay window's: each names no mailbox (a hash of the target
    // with the request's nonce, which is not stored) and is forgotten within two hours.
    let rows_before = h.rows_but_seen().await;
    let mb = h.create_mailbox(&owner).await;
    for fill in 0..5 {
        let _: DepositResponse = h
            .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(fill)))
            .await;
    }
    let _: DestroyResponse = h
        .ok("/v1/mailboxes/destroy", &h.destroy_req(&owner, &mb.read_id))
        .await;
    assert_eq!(h.rows_but_seen().await, rows_before);
    assert_error(
        h.post("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(1)))
            .await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    assert_error(
        h.post("/v1/mailboxes/fetch", &h.fetch_req(&owner, &mb.read_id, 0))
            .await,
        StatusCode::NOT_FOUND,
        "no_such_mailbox",
    );
    // The other mailbox is untouched.
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&keep, envelope(1)))
        .await;
}

#[tokio::test]
async fn long_poll_wakes_when_a_deposit_arrives() {
    let h = harness().await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let fetch = h.fetch_req(&owner, &mb.read_id, 20);
    let app = h.app.clone();
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "fetch returned before any deposit");
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(5)))
        .await;
    let got = waiting.await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].envelope, envelope(5));
    // Woken by the deposit, well before the 20 s wait ran out.
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn long_poll_on_an_empty_mailbox_returns_empty_after_the_wait() {
    let h = harness().await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let started = Instant::now();
    let resp: FetchResponse = h
        .ok("/v1/mailboxes/fetch", &h.fetch_req(&owner, &mb.read_id, 1))
        .await;
    assert!(resp.messages.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn ttl_expires_undelivered_mail_with_an_injected_clock() {
    let h = harness().await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(1)))
        .await;
    // Just under 14 days (plus the rest of the hour): still there.
    h.clock.advance(14 * 24 * 3600 - 3600);
    assert_eq!(h.state.sweep().await.unwrap(), 0);
    assert_eq!(h.fetch_all(&owner, &mb.read_id).await.len(), 1);
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(2)))
        .await;
    // Past 14 days for the first message only.
    h.clock.advance(2 * 3600);
    let left = h.fetch_all(&owner, &mb.read_id).await;
    assert_eq!(left.len(), 1, "expired mail is not handed out");
    assert_eq!(left[0].envelope, envelope(2));
    let rows_before = h.rows(b'Q').await;
    assert_eq!(h.state.sweep().await.unwrap(), 1);
    assert_eq!(h.rows(b'Q').await, rows_before - 1);
    assert_eq!(h.rows(b'X').await, 1);
}

#[tokio::test]
async fn mailbox_caps_answer_429() {
    let h = harness_with(Config {
        max_messages_per_mailbox: 2,
        ..test_config()
    })
    .await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    for fill in 0..2 {
        let _: DepositResponse = h
            .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(fill)))
            .await;
    }
    assert_error(
        h.post("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(3)))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "mailbox_full",
    );
    // Acknowledging makes room again.
    let seqs = h
        .fetch_all(&owner, &mb.read_id)
        .await
        .iter()
        .map(|m| m.seq)
        .collect();
    let _: AckResponse = h
        .ok("/v1/mailboxes/ack", &h.ack_req(&owner, &mb.read_id, seqs))
        .await;
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(3)))
        .await;

    let h = harness_with(Config {
        max_bytes_per_mailbox: 3 * 4096,
        ..test_config()
    })
    .await;
    let mb = h.create_mailbox(&owner).await;
    for fill in 0..3 {
        let _: DepositResponse = h
            .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(fill)))
            .await;
    }
    assert_error(
        h.post("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(3)))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "mailbox_full",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_deposits_are_each_fetched_once() {
    let h = std::sync::Arc::new(harness_durable(test_config()).await);
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let mut tasks = Vec::new();
    for i in 0..300u32 {
        let h = h.clone();
        let mut env = vec![0u8; 4096];
        env[..4].copy_from_slice(&i.to_be_bytes());
        let req = h.deposit_req(&mb, Blob(env));
        tasks.push(tokio::spawn(async move {
            let (status, _) = h.post("/v1/mailboxes/deposit", &req).await;
            (i, status)
        }));
    }
    let mut acknowledged = std::collections::BTreeSet::new();
    for task in tasks {
        let (i, status) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        acknowledged.insert(i);
    }
    // The writer grouped them: fewer flushes than deposits.
    assert!(h.state.metrics().flushes() < h.state.metrics().flushed_ops());
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let batch = h.fetch_all(&owner, &mb.read_id).await;
        if batch.is_empty() {
            break;
        }
        for m in &batch {
            let i = u32::from_be_bytes(m.envelope.as_bytes()[..4].try_into().unwrap());
            assert!(seen.insert(i), "message {i} fetched twice");
        }
        let seqs = batch.iter().map(|m| m.seq).collect();
        let _: AckResponse = h
            .ok("/v1/mailboxes/ack", &h.ack_req(&owner, &mb.read_id, seqs))
            .await;
    }
    assert_eq!(seen, acknowledged);
}

#[tokio::test]
async fn relay_wide_mailbox_cap_answers_429_and_frees_on_destroy() {
    let h = harness_with(Config {
        max_mailboxes: 2,
        ..test_config()
    })
    .await;
    let owner = key(1);
    let first = h.create_mailbox(&owner).await;
    let _second = h.create_mailbox(&owner).await;
    let req = CreateMailboxRequest {
        auth_key: Bytes(owner.verifying_key().to_bytes()),
        admission: Admission::Token {
            token: TOKEN.into(),
        },
    };
    assert_error(
        h.post("/v1/mailboxes", &req).await,
        StatusCode::TOO_MANY_REQUESTS,
        "relay_full",
    );
    let _: DestroyResponse = h
        .ok(
            "/v1/mailboxes/destroy",
            &h.destroy_req(&owner, &first.read_id),
        )
        .await;
    let _third = h.create_mailbox(&owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_four_fetches_wait_on_one_mailbox() {
    let h = std::sync::Arc::new(harness().await);
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let req = h.fetch_req(&owner, &mb.read_id, 20);
        let h = h.clone();
        waiting.push(tokio::spawn(async move {
            h.post("/v1/mailboxes/fetch", &req).await
        }));
    }
    h.until_waiting(4).await;
    assert!(waiting.iter().all(|t| !t.is_finished()));
    // The fifth does not wait: it answers at once, empty.
    let started = Instant::now();
    let fifth: FetchResponse = h
        .ok("/v1/mailboxes/fetch", &h.fetch_req(&owner, &mb.read_id, 20))
        .await;
    assert!(fifth.messages.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10));
    // A deposit wakes the four.
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(1)))
        .await;
    for task in waiting {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_fetches_hold_at_most_half_the_request_slots() {
    let h = std::sync::Arc::new(
        harness_with(Config {
            max_concurrent_requests: 4,
            ..test_config()
        })
        .await,
    );
    let mut waiting = Vec::new();
    let mut boxes = Vec::new();
    for seed in 1..=3u8 {
        let owner = key(seed);
        let mb = h.create_mailbox(&owner).await;
        boxes.push((owner, mb));
    }
    for (owner, mb) in &boxes[..2] {
        let req = h.fetch_req(owner, &mb.read_id, 20);
        let h = h.clone();
        waiting.push(tokio::spawn(async move {
            h.post("/v1/mailboxes/fetch", &req).await
        }));
    }
    h.until_waiting(2).await;
    // Two slots wait; a third mailbox's long-poll answers at once, leaving room for deposits.
    let (owner, mb) = &boxes[2];
    let started = Instant::now();
    let third: FetchResponse = h
        .ok("/v1/mailboxes/fetch", &h.fetch_req(owner, &mb.read_id, 20))
        .await;
    assert!(third.messages.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10));
    for (_, mb) in &boxes[..2] {
        let _: DepositResponse = h
            .ok("/v1/mailboxes/deposit", &h.deposit_req(mb, envelope(1)))
            .await;
    }
    for task in waiting {
        assert_eq!(task.await.unwrap().0, StatusCode::OK);
    }
}

/// Mail is never handed out once `message_ttl_hours` have passed since it arrived,
/// wherever in the hour it arrived, and whether or not a sweep ran.
#[tokio::test]
async fn a_fetch_never_hands_out_mail_past_its_ttl() {
    for arrival_offset in [0, 1, 1800, 3599] {
        for ttl_hours in [1, 2, 336] {
            let h = harness_with(Config {
                message_ttl_hours: ttl_hours,
                ..test_config()
            })
            .await;
            let owner = key(1);
            let mb = h.create_mailbox(&owner).await;
            // T0 is at the start of an hour.
            h.clock.set(T0 + arrival_offset);
            let _: DepositResponse = h
                .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(1)))
                .await;
            h.clock.set(T0 + arrival_offset + ttl_hours * 3600);
            assert!(
                h.fetch_all(&owner, &mb.read_id).await.is_empty(),
                "handed out {ttl_hours} h after arriving at +{arrival_offset} s"
            );
            // It was kept until the last second of the hour in which its TTL ends.
            h.clock
                .set((T0 + ttl_hours * 3600 - 1).max(T0 + arrival_offset));
            assert_eq!(h.fetch_all(&owner, &mb.read_id).await.len(), 1);
        }
    }
}

/// The `mailbox_full` message says what frees space: an acknowledgement, not a fetch.
#[tokio::test]
async fn mailbox_full_is_freed_by_an_ack_not_by_a_fetch() {
    let h = harness_with(Config {
        max_messages_per_mailbox: 2,
        ..test_config()
    })
    .await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    for fill in 0..2 {
        let _: DepositResponse = h
            .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(fill)))
            .await;
    }
    let full = h
        .post("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(2)))
        .await;
    let message = full.1["message"].as_str().unwrap_or_default().to_owned();
    assert_error(full, StatusCode::TOO_MANY_REQUESTS, "mailbox_full");
    assert!(message.contains("acknowledges"), "{message}");
    let fetched = h.fetch_all(&owner, &mb.read_id).await;
    assert_eq!(fetched.len(), 2);
    assert_error(
        h.post("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(2)))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "mailbox_full",
    );
    let _: AckResponse = h
        .ok(
            "/v1/mailboxes/ack",
            &h.ack_req(&owner, &mb.read_id, vec![fetched[0].seq]),
        )
        .await;
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(2)))
        .await;
}
