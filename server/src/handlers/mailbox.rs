//! Mailboxes: create, deposit, fetch (long-poll), acknowledge, destroy.

use super::{check_signed, read_failed};
use crate::admission::random_bytes;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::layout;
use crate::state::AppState;
use crate::writer::{Op, Outcome};
use axum::Json;
use axum::extract::State;
use corridor_wire::api::{
    AckRequest, AckResponse, CreateMailboxRequest, CreateMailboxResponse, DepositRequest,
    DepositResponse, DestroyRequest, DestroyResponse, ErrorBody, FetchRequest, FetchResponse,
    Message,
};
use corridor_wire::b64::{Blob, Bytes};
use corridor_wire::{CREDENTIAL_LEN, ENVELOPE_SIZE, ID_LEN};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Most fetches that may wait on one mailbox at once.
pub(crate) const MAX_WAITERS_PER_MAILBOX: usize = 4;

fn valid_key(key: &[u8; 32]) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(key).is_ok_and(|k| !k.is_weak())
}

/// Creates a mailbox.
#[utoipa::path(
    post,
    path = "/v1/mailboxes",
    tag = "mailboxes",
    request_body = CreateMailboxRequest,
    responses(
        (status = 200, description = "Mailbox created; the credential is shown only now", body = CreateMailboxResponse),
        (status = 400, description = "invalid_body, bad_key", body = ErrorBody),
        (status = 403, description = "bad_admission, challenge_used", body = ErrorBody),
        (status = 413, description = "body_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 429, description = "relay_full, rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateMailboxRequest>,
) -> Result<Json<CreateMailboxResponse>, ApiError> {
    // Admission first: a request without it learns nothing else (not even whether its
    // key would do).
    state.admit(&req.admission).await?;
    if !valid_key(req.auth_key.as_bytes()) {
        return Err(ApiError::BAD_KEY);
    }
    let mut read_id = [0u8; ID_LEN];
    let mut deposit_id = [0u8; ID_LEN];
    let mut credential = [0u8; CREDENTIAL_LEN];
    random_bytes(&mut read_id)?;
    random_bytes(&mut deposit_id)?;
    random_bytes(&mut credential)?;
    state
        .write(Op::Create {
            read_id,
            deposit_id,
            credential_hash: layout::credential_hash(&credential),
            auth_key: req.auth_key.0,
        })
        .await?;
    Ok(Json(CreateMailboxResponse {
        read_id: Bytes(read_id),
        deposit_id: Bytes(deposit_id),
        deposit_credential: Bytes(credential),
    }))
}

/// Deposits one envelope; answers only once it is on disk.
#[utoipa::path(
    post,
    path = "/v1/mailboxes/deposit",
    tag = "mailboxes",
    request_body = DepositRequest,
    responses(
        (status = 200, description = "Stored durably", body = DepositResponse),
        (status = 400, description = "invalid_body, bad_envelope_size", body = ErrorBody),
        (status = 403, description = "bad_credential", body = ErrorBody),
        (status = 404, description = "no_such_mailbox", body = ErrorBody),
        (status = 413, description = "body_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 429, description = "mailbox_full, rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn deposit(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DepositRequest>,
) -> Result<Json<DepositResponse>, ApiError> {
    if req.envelope.as_bytes().len() != ENVELOPE_SIZE {
        return Err(ApiError::BAD_ENVELOPE_SIZE);
    }
    let (mailbox, credential_hash) = state
        .route(req.deposit_id.as_bytes())
        .await
        .map_err(read_failed)?
        .ok_or(ApiError::NO_SUCH_MAILBOX)?;
    let presented = layout::credential_hash(req.credential.as_bytes());
    if !bool::from(presented.ct_eq(&credential_hash)) {
        return Err(ApiError::BAD_CREDENTIAL);
    }
    state
        .write(Op::Deposit {
            mailbox,
            hour: state.clock().hour(),
            envelope: req.envelope.0,
        })
        .await?;
    Ok(Json(DepositResponse { stored: true }))
}

/// Fetches waiting messages, long-polling up to `wait_secs` (capped) when there are none.
#[utoipa::path(
    post,
    path = "/v1/mailboxes/fetch",
    tag = "mailboxes",
    request_body = FetchRequest,
    responses(
        (status = 200, description = "Messages, oldest first (possibly none)", body = FetchResponse),
        (status = 400, description = "invalid_body, bad_key", body = ErrorBody),
        (status = 401, description = "bad_signature, stale_timestamp", body = ErrorBody),
        (status = 404, description = "no_such_mailbox", body = ErrorBody),
        (status = 408, description = "timeout", body = ErrorBody),
        (status = 409, description = "replayed", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded", body = ErrorBody),
    )
)]
pub(crate) async fn fetch(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<FetchRequest>,
) -> Result<Json<FetchResponse>, ApiError> {
    let key = layout::mailbox_key(req.read_id.as_bytes());
    let record = state
        .mailbox(&key)
        .await
        .map_err(read_failed)?
        .ok_or(ApiError::NO_SUCH_MAILBOX)?;
    let transcript = FetchRequest::transcript(
        &req.read_id,
        req.wait_secs,
        req.auth.timestamp,
        req.auth.nonce.as_bytes(),
    );
    check_signed(&state, &key, &record.auth_key, &transcript, &req.auth).await?;

    let mut wait = Duration::from_secs(u64::from(req.wait_secs.min(state.config().max_wait_secs)));
    let waiting = state.waiters().subscribe(key);
    // A waiting fetch holds a request slot; bound how many one mailbox, and all mailboxes
    // together, may hold, so long-polls cannot crowd out deposits. Beyond the bounds a
    // fetch answers at once instead of waiting.
    let _slot = if wait.is_zero() || waiting.count() > MAX_WAITERS_PER_MAILBOX {
        None
    } else {
        state.long_poll_slots().clone().try_acquire_owned().ok()
    };
    if _slot.is_none() {
        wait = Duration::ZERO;
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut shutdown = state.shutdown_signal();
    loop {
        let notified = waiting.notify().notified();
        tokio::pin!(notified);
        // Registered before reading, so a deposit landing in between still wakes us.
        notified.as_mut().enable();
        let messages = state.fetchable(&key).await.map_err(read_failed)?;
        // Destroyed while we waited.
        if messages.is_empty() && state.mailbox(&key).await.map_err(read_failed)?.is_none() {
            return Err(ApiError::NO_SUCH_MAILBOX);
        }
        if !messages.is_empty() || tokio::time::Instant::now() >= deadline || *shutdown.borrow() {
            return Ok(Json(FetchResponse {
                messages: messages
                    .into_iter()
                    .map(|m| Message {
                        seq: m.seq,
                        envelope: Blob(m.envelope),
                    })
                    .collect(),
            }));
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Acknowledges (deletes) messages.
#[utoipa::path(
    post,
    path = "/v1/mailboxes/ack",
    tag = "mailboxes",
    request_body = AckRequest,
    responses(
        (status = 200, description = "Messages deleted", body = AckResponse),
        (status = 400, description = "invalid_body, bad_key, too_many_seqs", body = ErrorBody),
        (status = 401, description = "bad_signature, stale_timestamp", body = ErrorBody),
        (status = 404, description = "no_such_mailbox", body = ErrorBody),
        (status = 409, description = "replayed", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn ack(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AckRequest>,
) -> Result<Json<AckResponse>, ApiError> {
    if req.seqs.len() > state.config().max_ack_seqs {
        return Err(ApiError::TOO_MANY_SEQS);
    }
    let key = layout::mailbox_key(req.read_id.as_bytes());
    let record = state
        .mailbox(&key)
        .await
        .map_err(read_failed)?
        .ok_or(ApiError::NO_SUCH_MAILBOX)?;
    let transcript = AckRequest::transcript(
        &req.read_id,
        &req.seqs,
        req.auth.timestamp,
        req.auth.nonce.as_bytes(),
    );
    check_signed(&state, &key, &record.auth_key, &transcript, &req.auth).await?;
    match state
        .write(Op::Ack {
            mailbox: key,
            seqs: req.seqs,
        })
        .await?
    {
        Outcome::Acked(deleted) => Ok(Json(AckResponse { deleted })),
        _ => Err(ApiError::INTERNAL),
    }
}

/// Destroys a mailbox, its route and its messages.
#[utoipa::path(
    post,
    path = "/v1/mailboxes/destroy",
    tag = "mailboxes",
    request_body = DestroyRequest,
    responses(
        (status = 200, description = "Mailbox destroyed", body = DestroyResponse),
        (status = 400, description = "invalid_body, bad_key", body = ErrorBody),
        (status = 401, description = "bad_signature, stale_timestamp", body = ErrorBody),
        (status = 404, description = "no_such_mailbox", body = ErrorBody),
        (status = 409, description = "replayed", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
        (status = 503, description = "overloaded, shutting_down", body = ErrorBody),
    )
)]
pub(crate) async fn destroy(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DestroyRequest>,
) -> Result<Json<DestroyResponse>, ApiError> {
    let key = layout::mailbox_key(req.read_id.as_bytes());
    let record = state
        .mailbox(&key)
        .await
        .map_err(read_failed)?
        .ok_or(ApiError::NO_SUCH_MAILBOX)?;
    let transcript =
        DestroyRequest::transcript(&req.read_id, req.auth.timestamp, req.auth.nonce.as_bytes());
    check_signed(&state, &key, &record.auth_key, &transcript, &req.auth).await?;
    state
        .write(Op::Destroy {
            read_id: req.read_id.0,
        })
        .await?;
    state.waiters().wake(&key);
    Ok(Json(DestroyResponse { destroyed: true }))
}
