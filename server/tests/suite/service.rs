//! Handler tests for the service-wide parts: limits, fallbacks, OpenAPI, health, metrics,
//! and the promise that nothing a client sends produces a 5xx.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use corridor_relay::Config;
use corridor_wire::api::*;
use std::collections::BTreeSet;
use std::sync::Arc;

const POST_PATHS: &[&str] = &[
    "/v1/mailboxes",
    "/v1/mailboxes/deposit",
    "/v1/mailboxes/fetch",
    "/v1/mailboxes/ack",
    "/v1/mailboxes/destroy",
    "/v1/bundles",
    "/v1/bundles/fetch",
    "/v1/bundles/delete",
];
const GET_PATHS: &[&str] = &["/v1/challenge", "/v1/openapi.json", "/healthz", "/metrics"];

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let h = harness().await;
    let (status, body) = h.get("/v1/nothing").await;
    assert_error(
        (status, serde_json::from_slice(&body).unwrap()),
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, body) = h.get("/v1/mailboxes/deposit").await;
    assert_error(
        (status, serde_json::from_slice(&body).unwrap()),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        h.post_bytes("/healthz", vec![]).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn openapi_document_matches_the_router() {
    let h = harness().await;
    let (status, body) = h.get("/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let mut served = BTreeSet::new();
    for p in POST_PATHS {
        served.insert(("POST".to_string(), p.to_string()));
    }
    for p in GET_PATHS {
        served.insert(("GET".to_string(), p.to_string()));
    }
    assert_eq!(documented, served);
    // Each documented operation reaches a handler (not the 404/405 fallbacks).
    for (method, path) in &documented {
        let req = Request::builder()
            .method(method.as_str())
            .uri(path)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, _) = h.raw(req).await;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} answered {status}"
        );
    }
    // Request and response schemas are present.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "DepositRequest",
        "FetchResponse",
        "ErrorBody",
        "HandedPrekey",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
}

#[tokio::test]
async fn health_and_metrics_reveal_no_ids() {
    let h = harness().await;
    let (status, body) = h.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(body).unwrap(), r#"{"status":"ok"}"#);
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let _: DepositResponse = h
        .ok("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(1)))
        .await;
    let (status, body) = h.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(
            "corridor_requests_total{endpoint=\"/v1/mailboxes/deposit\",status=\"2xx\"} 1"
        )
    );
    assert!(text.contains("corridor_flushes_total"));
    assert!(text.contains("corridor_waiting_fetches 0"));
    for id in [mb.read_id.to_text(), mb.deposit_id.to_text()] {
        assert!(!text.contains(&id));
    }
}

#[tokio::test]
async fn rate_limit_answers_429() {
    let h = harness_with(Config {
        rate_limit_per_sec: 1,
        rate_limit_burst: 2,
        ..test_config()
    })
    .await;
    // 1/s sustained plus a burst of 2: three at once pass, then at most one more per second.
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..30 {
        let (status, body) = h.get("/v1/challenge").await;
        statuses.push(status);
        if status != StatusCode::OK {
            refused = Some((status, serde_json::from_slice(&body).unwrap()));
        }
    }
    assert!(
        statuses[..3].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let passed = statuses.iter().filter(|s| **s == StatusCode::OK).count() as u64;
    assert!(
        passed <= 3 + started.elapsed().as_secs() + 1,
        "{statuses:?}"
    );
    assert_error(
        refused.expect("some requests were refused"),
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    // Health stays reachable for the operator.
    assert_eq!(h.get("/healthz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn concurrency_limit_answers_503_and_timeout_answers_408() {
    let h = Arc::new(
        harness_with(Config {
            max_concurrent_requests: 1,
            request_timeout_secs: 1,
            max_wait_secs: 5,
            ..test_config()
        })
        .await,
    );
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let fetch = h.fetch_req(&owner, &mb.read_id, 5);
    let holder = {
        let h = h.clone();
        tokio::spawn(async move { h.post("/v1/mailboxes/fetch", &fetch).await })
    };
    h.until_waiting(1).await;
    let (status, body) = h.get("/v1/challenge").await;
    assert_error(
        (status, serde_json::from_slice(&body).unwrap()),
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
    );
    // The long-poll outlives the 1 s request timeout.
    assert_error(
        holder.await.unwrap(),
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_cause_a_5xx(
        path in proptest::sample::select(POST_PATHS),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        json_like in "\\{\"(read_id|deposit_id|bundle_id|auth|seqs|envelope)\":[\"A-Za-z0-9_\\-{}\\[\\],:]{0,80}\\}",
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let h = harness().await;
            for bytes in [body.clone(), json_like.clone().into_bytes()] {
                let (status, value) = h.post_bytes(path, bytes).await;
                assert!(status.is_client_error(), "{path}: {status} {value}");
                assert!(value["error"].is_string());
            }
        });
    }
}

#[tokio::test]
async fn a_full_replay_cache_refuses_rather_than_forgets() {
    let h = harness_with(Config {
        replay_cache_entries: 1,
        ..test_config()
    })
    .await;
    let owner = key(1);
    let mb = h.create_mailbox(&owner).await;
    let _: FetchResponse = h
        .ok("/v1/mailboxes/fetch", &h.fetch_req(&owner, &mb.read_id, 0))
        .await;
    assert_error(
        h.post("/v1/mailboxes/fetch", &h.fetch_req(&owner, &mb.read_id, 0))
            .await,
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
    );
    // Once the first entry's window has passed, there is room again.
    h.clock.advance(300);
    let _: FetchResponse = h
        .ok("/v1/mailboxes/fetch", &h.fetch_req(&owner, &mb.read_id, 0))
        .await;
}

#[tokio::test]
async fn writes_after_close_answer_503_shutting_down() {
    let h = harness().await;
    let mb = h.create_mailbox(&key(1)).await;
    h.state.close().await;
    assert_error(
        h.post("/v1/mailboxes/deposit", &h.deposit_req(&mb, envelope(1)))
            .await,
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting_down",
    );
}
