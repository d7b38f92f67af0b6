//! Handler tests (`oneshot`) for the prekey bundle endpoints.

use crate::common::*;
use axum::http::StatusCode;
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use std::collections::BTreeSet;
use std::sync::Arc;

const ID: BundleId = Bytes([5; 16]);

#[tokio::test]
async fn publish_fetch_consumes_one_time_prekeys_then_last_resort() {
    let h = harness().await;
    let owner = key(1);
    let published: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&owner, ID, bundle(3)))
        .await;
    assert_eq!(published.one_time_available, 3);
    let mut ids = BTreeSet::new();
    for _ in 0..3 {
        let got: FetchBundleResponse = h
            .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: ID })
            .await;
        assert_eq!(got.signed, Blob(vec![1; 100]));
        match got.prekey {
            HandedPrekey::OneTime(p) => assert!(ids.insert(p.id)),
            other => panic!("expected a one-time prekey, got {other:?}"),
        }
    }
    let got: FetchBundleResponse = h
        .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: ID })
        .await;
    assert_eq!(
        got.prekey,
        HandedPrekey::LastResort {
            key: Blob(vec![9; 32])
        }
    );
    // A replacement by the same key refills the pool.
    let replaced: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&owner, ID, bundle(2)))
        .await;
    assert_eq!(replaced.one_time_available, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_one_time_prekey_is_never_handed_out_twice_under_concurrency() {
    let h = Arc::new(harness().await);
    let _: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&key(1), ID, bundle(20)))
        .await;
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move {
                let got: FetchBundleResponse = h
                    .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: ID })
                    .await;
                got.prekey
            })
        })
        .collect();
    let mut one_time = Vec::new();
    let mut last_resort = 0;
    for task in tasks {
        match task.await.unwrap() {
            HandedPrekey::OneTime(p) => one_time.push(p.id),
            HandedPrekey::LastResort { .. } => last_resort += 1,
        }
    }
    let distinct: BTreeSet<_> = one_time.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        one_time.len(),
        "a prekey was handed out twice"
    );
    assert_eq!(distinct, (0..20).collect());
    assert_eq!(last_resort, 40);
}

#[tokio::test]
async fn publish_errors() {
    let h = harness().await;
    let owner = key(1);
    let _: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&owner, ID, bundle(1)))
        .await;
    // Another key cannot take over the id.
    assert_error(
        h.post("/v1/bundles", &h.publish_req(&key(2), ID, bundle(1)))
            .await,
        StatusCode::FORBIDDEN,
        "bundle_key_mismatch",
    );
    // A signature that does not cover the bundle as sent.
    let mut tampered = h.publish_req(&owner, ID, bundle(1));
    tampered.bundle.last_resort = Blob(vec![8; 32]);
    assert_error(
        h.post("/v1/bundles", &tampered).await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
    let replay = h.publish_req(&owner, ID, bundle(1));
    let _: PublishBundleResponse = h.ok("/v1/bundles", &replay).await;
    assert_error(
        h.post("/v1/bundles", &replay).await,
        StatusCode::CONFLICT,
        "replayed",
    );
    let too_many = h.publish_req(&owner, Bytes([6; 16]), bundle(201));
    assert_error(
        h.post("/v1/bundles", &too_many).await,
        StatusCode::BAD_REQUEST,
        "bad_bundle",
    );
    let mut dup = bundle(2);
    dup.one_time[1].id = dup.one_time[0].id;
    assert_error(
        h.post("/v1/bundles", &h.publish_req(&owner, Bytes([6; 16]), dup))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_bundle",
    );
    let mut big = bundle(0);
    big.signed = Blob(vec![0; 8193]);
    assert_error(
        h.post("/v1/bundles", &h.publish_req(&owner, Bytes([6; 16]), big))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_bundle",
    );
    let stale = h.publish_req(&owner, ID, bundle(1));
    h.clock.advance(300);
    assert_error(
        h.post("/v1/bundles", &stale).await,
        StatusCode::UNAUTHORIZED,
        "stale_timestamp",
    );
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut weak = h.publish_req(&owner, Bytes([7; 16]), bundle(0));
    weak.auth_key = Bytes(identity);
    // The key comes with the request: a weak one is a signature that cannot verify.
    assert_error(
        h.post("/v1/bundles", &weak).await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
}

#[tokio::test]
async fn fetch_and_delete_errors_and_delete() {
    let h = harness().await;
    let owner = key(1);
    assert_error(
        h.post("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: ID })
            .await,
        StatusCode::NOT_FOUND,
        "no_such_bundle",
    );
    assert_error(
        h.post("/v1/bundles/delete", &h.delete_bundle_req(&owner, ID))
            .await,
        StatusCode::NOT_FOUND,
        "no_such_bundle",
    );
    let _: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&owner, ID, bundle(4)))
        .await;
    assert_error(
        h.post("/v1/bundles/delete", &h.delete_bundle_req(&key(2), ID))
            .await,
        StatusCode::UNAUTHORIZED,
        "bad_signature",
    );
    let delete = h.delete_bundle_req(&owner, ID);
    let _: DeleteBundleResponse = h.ok("/v1/bundles/delete", &delete).await;
    // No bundle row is left behind (what remains is the boot epoch and the hashed
    // nonces of the two signed requests, which name no bundle).
    for prefix in [b'B', b'O', b'P'] {
        assert_eq!(h.rows(prefix).await, 0);
    }
    assert_error(
        h.post("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: ID })
            .await,
        StatusCode::NOT_FOUND,
        "no_such_bundle",
    );
    assert_error(
        h.post_bytes("/v1/bundles/fetch", br#"{"bundle_id":"short"}"#.to_vec())
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    );
}

#[tokio::test]
async fn relay_wide_bundle_cap_answers_429_but_replacement_still_works() {
    let h = harness_with(corridor_relay::Config {
        max_bundles: 1,
        ..test_config()
    })
    .await;
    let owner = key(1);
    let _: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&owner, ID, bundle(1)))
        .await;
    assert_error(
        h.post(
            "/v1/bundles",
            &h.publish_req(&owner, Bytes([6; 16]), bundle(1)),
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "relay_full",
    );
    let _: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&owner, ID, bundle(2)))
        .await;
    let _: DeleteBundleResponse = h
        .ok("/v1/bundles/delete", &h.delete_bundle_req(&owner, ID))
        .await;
    let _: PublishBundleResponse = h
        .ok(
            "/v1/bundles",
            &h.publish_req(&owner, Bytes([6; 16]), bundle(1)),
        )
        .await;
}

/// Whoever holds a bundle id gets at most `bundle_one_time_per_hour` one-time prekeys an
/// hour; every further fetch in that hour gets the last-resort prekey, so a stranger
/// fetching a thousand times drains nothing more.
#[tokio::test]
async fn one_time_prekeys_are_handed_out_at_the_configured_hourly_rate() {
    let h = harness_with(corridor_relay::Config {
        bundle_one_time_per_hour: 3,
        ..test_config()
    })
    .await;
    let _: PublishBundleResponse = h
        .ok("/v1/bundles", &h.publish_req(&key(1), ID, bundle(10)))
        .await;
    let take = || async {
        let got: FetchBundleResponse = h
            .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id: ID })
            .await;
        matches!(got.prekey, HandedPrekey::OneTime(_))
    };
    let mut one_time = 0;
    for _ in 0..1000 {
        one_time += usize::from(take().await);
    }
    assert_eq!(one_time, 3);
    assert_eq!(h.rows(b'O').await, 7);
    h.clock.advance(3600);
    let mut next_hour = 0;
    for _ in 0..10 {
        next_hour += usize::from(take().await);
    }
    assert_eq!(next_hour, 3);
}
