//! Prekey bundles: publish or replace, fetch (consuming one one-time prekey), delete.

use super::{check_signed, read_failed};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::layout;
use crate::state::AppState;
use crate::writer::{Op, Outcome};
use axum::Json;
use axum::extract::State;
use corridor_wire::api::{
    Bundle, DeleteBundleRequest, DeleteBundleResponse, ErrorBody, FetchBundleRequest,
    FetchBundleResponse, PublishBundleRequest, PublishBundleResponse,
};
use corridor_wire::b64::Blob;
use std::collections::HashSet;

fn check_bundle_limits(state: &AppState, bundle: &Bundle) -> Result<(), ApiError> {
    let config = state.config();
    let max = config.max_bundle_part_bytes;
    let mut ids = HashSet::new();
    let fits = bundle.signed.as_bytes().len() <= max
        && bundle.last_resort.as_bytes().len() <= max
        && bundle.one_time.len() <= config.max_one_time_prekeys
        && bundle
            .one_time
            .iter()
            .all(|p| p.key.as_bytes().len() <= max && ids.insert(p.id));
    if fits {
        Ok(())
    } else {
        Err(ApiError::BAD_BUNDLE)
    }
}

/// Publishes or replaces a bundle. The first publish binds the bundle id to `auth_key`.
#[utoipa::path(
    post,
    path = "/v1/bundles",
    tag = "bundles",
    request_body = PublishBundleRequest,
    responses(
        (status = 200, description = "Bundle stored", body = PublishBundleResponse),
        (status = 400, description = "invalid_body, bad_bundle", body = ErrorBody),
        (status = 401, description = "bad_signature (also for an invalid auth_key), stale_timestamp", body = ErrorBody),
        (status = 403, description = "bundle_key_mismatch", body = ErrorBody),
        (status = 409, description = "replayed", body = ErrorBody),
        (status = 413, description = "body_too_large", body = ErrorBody),
        (status = 429, description = "relay_full, rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn publish(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<PublishBundleRequest>,
) -> Result<Json<PublishBundleResponse>, ApiError> {
    if let Some(existing) = state
        .bundle(req.bundle_id.as_bytes())
        .await
        .map_err(read_failed)?
    {
        if existing.auth_key != req.auth_key.0 {
            return Err(ApiError::BUNDLE_KEY_MISMATCH);
        }
    }
    let transcript = PublishBundleRequest::transcript(
        &req.bundle_id,
        &req.auth_key,
        &req.bundle,
        req.auth.timestamp,
        req.auth.nonce.as_bytes(),
    );
    let key = layout::bundle_key(req.bundle_id.as_bytes());
    // The key comes with the request, so an invalid one is just a signature that cannot
    // verify; the bundle's limits are checked only for a request its key signed.
    check_signed(
        &state,
        &key,
        req.auth_key.as_bytes(),
        &transcript,
        &req.auth,
    )
    .await
    .map_err(|err| {
        if err == ApiError::BAD_KEY {
            ApiError::BAD_SIGNATURE
        } else {
            err
        }
    })?;
    check_bundle_limits(&state, &req.bundle)?;
    match state
        .write(Op::PublishBundle {
            bundle_id: req.bundle_id.0,
            auth_key: req.auth_key.0,
            bundle: req.bundle,
            hour: state.clock().hour(),
        })
        .await?
    {
        Outcome::Published(one_time_available) => {
            Ok(Json(PublishBundleResponse { one_time_available }))
        }
        _ => Err(ApiError::INTERNAL),
    }
}

/// Fetches a bundle with one one-time prekey (never handed out again), or with the
/// last-resort prekey when none is left.
#[utoipa::path(
    post,
    path = "/v1/bundles/fetch",
    tag = "bundles",
    request_body = FetchBundleRequest,
    responses(
        (status = 200, description = "The bundle and the prekey handed to this caller", body = FetchBundleResponse),
        (status = 400, description = "invalid_body", body = ErrorBody),
        (status = 404, description = "no_such_bundle", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn fetch(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<FetchBundleRequest>,
) -> Result<Json<FetchBundleResponse>, ApiError> {
    match state
        .write(Op::TakeBundle {
            bundle_id: req.bundle_id.0,
            hour: state.clock().hour(),
        })
        .await?
    {
        Outcome::Taken(signed, prekey) => Ok(Json(FetchBundleResponse {
            signed: Blob(signed),
            prekey,
        })),
        _ => Err(ApiError::INTERNAL),
    }
}

/// Deletes a bundle.
#[utoipa::path(
    post,
    path = "/v1/bundles/delete",
    tag = "bundles",
    request_body = DeleteBundleRequest,
    responses(
        (status = 200, description = "Bundle deleted", body = DeleteBundleResponse),
        (status = 400, description = "invalid_body, bad_key", body = ErrorBody),
        (status = 401, description = "bad_signature, stale_timestamp", body = ErrorBody),
        (status = 404, description = "no_such_bundle", body = ErrorBody),
        (status = 409, description = "replayed", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DeleteBundleRequest>,
) -> Result<Json<DeleteBundleResponse>, ApiError> {
    let existing = state
        .bundle(req.bundle_id.as_bytes())
        .await
        .map_err(read_failed)?
        .ok_or(ApiError::NO_SUCH_BUNDLE)?;
    let transcript = DeleteBundleRequest::transcript(
        &req.bundle_id,
        req.auth.timestamp,
        req.auth.nonce.as_bytes(),
    );
    let key = layout::bundle_key(req.bundle_id.as_bytes());
    check_signed(&state, &key, &existing.auth_key, &transcript, &req.auth).await?;
    state
        .write(Op::DeleteBundle {
            bundle_id: req.bundle_id.0,
        })
        .await?;
    Ok(Json(DeleteBundleResponse { deleted: true }))
}
