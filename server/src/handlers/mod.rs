//! The `/v1` handlers.

pub(crate) mod bundle;
pub(crate) mod mailbox;
pub(crate) mod misc;

use crate::error::ApiError;
use crate::layout::Key32;
use crate::replay::ReplayError;
use crate::state::AppState;
use corridor_wire::api::SignedAuth;
use corridor_wire::auth::{self, AuthError};

/// Checks a signed request: fresh timestamp, valid signature by `auth_key` over
/// `transcript`, and a (target, nonce) never seen in the window. The replay cache is only
/// written after the signature verifies, so strangers cannot fill it. The (target, nonce)
/// is also remembered on disk before the request takes effect, so a request captured
/// before a restart is refused after it.
pub(crate) async fn check_signed(
    state: &AppState,
    target: &Key32,
    auth_key: &[u8; 32],
    transcript: &[u8],
    signed: &SignedAuth,
) -> Result<(), ApiError> {
    let now = state.clock().now();
    auth::check_fresh(signed.timestamp, now).map_err(|_| ApiError::STALE)?;
    auth::verify(auth_key, transcript, signed.signature.as_bytes()).map_err(|err| match err {
        AuthError::BadKey => ApiError::BAD_KEY,
        _ => ApiError::BAD_SIGNATURE,
    })?;
    state
        .replay()
        .check(target, signed.nonce.as_bytes(), now)
        .map_err(|err| match err {
            ReplayError::Replayed => ApiError::REPLAYED,
            ReplayError::Full => ApiError::OVERLOADED,
        })?;
    state.remember_signed(target, signed.nonce.as_bytes()).await
}

/// Maps a storage read failure to a generic 500 (logged without detail about the request).
pub(crate) fn read_failed(err: crate::store::StoreError) -> ApiError {
    tracing::error!("read failed: {err}");
    ApiError::INTERNAL
}
