//! A JSON body extractor whose every rejection is an [`ApiError`] (axum's own answers with
//! plain text).

use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON request body; rejections become 400, 413 or 415 with a JSON error.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            // The serde message is not returned: it can quote the client's input.
            Err(rejection) => Err(match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::BODY_TOO_LARGE,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UNSUPPORTED_MEDIA_TYPE,
                _ => ApiError::INVALID_BODY,
            }),
        }
    }
}
