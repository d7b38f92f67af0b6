//! Challenge, health, metrics and the OpenAPI document.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use corridor_wire::api::{ChallengeResponse, ErrorBody};
use corridor_wire::b64::Blob;

/// Issues a proof-of-work challenge for mailbox creation.
#[utoipa::path(
    get,
    path = "/v1/challenge",
    tag = "mailboxes",
    responses(
        (status = 200, description = "A fresh single-use challenge", body = ChallengeResponse),
        (status = 429, description = "rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded", body = ErrorBody),
    )
)]
pub(crate) async fn challenge(
    State(state): State<AppState>,
) -> Result<Json<ChallengeResponse>, ApiError> {
    let challenge = state.admission().issue(state.clock().now())?;
    Ok(Json(ChallengeResponse {
        challenge: Blob(challenge),
        difficulty: state.admission().difficulty(),
    }))
}

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object))
)]
pub(crate) async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    Json(crate::openapi::document(state.config()))
}

/// Liveness: answers 200 while the relay serves.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "The relay is up", body = Health))
)]
pub(crate) async fn healthz() -> impl IntoResponse {
    Json(Health {
        status: HealthStatus::Ok,
    })
}

/// The health answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    status: HealthStatus,
}

/// The only health status a serving relay reports.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum HealthStatus {
    /// Serving.
    Ok,
}

/// Prometheus metrics: counts and latencies per endpoint, nothing per mailbox.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain"))
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics().render();
    text.push_str("# HELP corridor_waiting_fetches Fetches currently waiting in a long-poll.\n");
    text.push_str("# TYPE corridor_waiting_fetches gauge\n");
    text.push_str(&format!(
        "corridor_waiting_fetches {}\n",
        state.waiting_fetches()
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
