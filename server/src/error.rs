//! The one error type every handler returns, and how it becomes a 4xx JSON answer.
//!
//! Codes are stable and documented in `docs/relay-api.md`. Messages are fixed strings:
//! they never echo a request, an id or an engine error back to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_wire::api::ErrorBody;

/// An error answer: a status, a stable code and a fixed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable machine-readable code (`ErrorBody::error`).
    pub code: &'static str,
    /// The human-readable explanation (`ErrorBody::message`).
    pub message: &'static str,
}

const fn err(status: StatusCode, code: &'static str, message: &'static str) -> ApiError {
    ApiError {
        status,
        code,
        message,
    }
}

impl ApiError {
    /// 400: the body is not the JSON the endpoint expects.
    pub const INVALID_BODY: Self = err(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        "the request body is not valid JSON of the expected shape",
    );
    /// 413: the body exceeds the relay's limit.
    pub const BODY_TOO_LARGE: Self = err(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "the request body exceeds the size limit",
    );
    /// 415: the body is not declared as JSON.
    pub const UNSUPPORTED_MEDIA_TYPE: Self = err(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the request body must be application/json",
    );
    /// 400: the envelope is not exactly `ENVELOPE_SIZE` bytes.
    pub const BAD_ENVELOPE_SIZE: Self = err(
        StatusCode::BAD_REQUEST,
        "bad_envelope_size",
        "an envelope must be exactly 4096 bytes",
    );
    /// 400: the supplied Ed25519 public key is invalid or weak.
    pub const BAD_KEY: Self = err(
        StatusCode::BAD_REQUEST,
        "bad_key",
        "the auth key is not a valid Ed25519 public key",
    );
    /// 400: too many sequence numbers in one acknowledgement.
    pub const TOO_MANY_SEQS: Self = err(
        StatusCode::BAD_REQUEST,
        "too_many_seqs",
        "too many sequence numbers in one acknowledgement",
    );
    /// 400: the bundle breaks a size or count limit, or repeats a prekey id.
    pub const BAD_BUNDLE: Self = err(
        StatusCode::BAD_REQUEST,
        "bad_bundle",
        "the bundle is too large, has too many one-time prekeys, or repeats a prekey id",
    );
    /// 401: the signature does not verify.
    pub const BAD_SIGNATURE: Self = err(
        StatusCode::UNAUTHORIZED,
        "bad_signature",
        "the signature does not verify",
    );
    /// 401: the signed timestamp is outside the accepted window.
    pub const STALE: Self = err(
        StatusCode::UNAUTHORIZED,
        "stale_timestamp",
        "the signed timestamp is too far from the relay's clock",
    );
    /// 409: the signed request was already used.
    pub const REPLAYED: Self = err(
        StatusCode::CONFLICT,
        "replayed",
        "this signed request was already used",
    );
    /// 403: the deposit credential is wrong.
    pub const BAD_CREDENTIAL: Self = err(
        StatusCode::FORBIDDEN,
        "bad_credential",
        "the deposit credential is wrong",
    );
    /// 403: the proof-of-work or operator token was refused.
    pub const BAD_ADMISSION: Self = err(
        StatusCode::FORBIDDEN,
        "bad_admission",
        "the proof-of-work or operator token was refused",
    );
    /// 403: the challenge was already used.
    pub const CHALLENGE_USED: Self = err(
        StatusCode::FORBIDDEN,
        "challenge_used",
        "this challenge was already used",
    );
    /// 403: the bundle id is bound to another auth key.
    pub const BUNDLE_KEY_MISMATCH: Self = err(
        StatusCode::FORBIDDEN,
        "bundle_key_mismatch",
        "this bundle id is bound to another auth key",
    );
    /// 404: no such mailbox.
    pub const NO_SUCH_MAILBOX: Self =
        err(StatusCode::NOT_FOUND, "no_such_mailbox", "no such mailbox");
    /// 404: no such bundle.
    pub const NO_SUCH_BUNDLE: Self = err(StatusCode::NOT_FOUND, "no_such_bundle", "no such bundle");
    /// 404: no such endpoint.
    pub const NOT_FOUND: Self = err(StatusCode::NOT_FOUND, "not_found", "no such endpoint");
    /// 405: the endpoint exists but not with this method.
    pub const METHOD_NOT_ALLOWED: Self = err(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    );
    /// 408: the request took longer than the relay allows.
    pub const TIMEOUT: Self = err(
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
        "the request took too long",
    );
    /// 429: the mailbox holds its maximum number of messages or bytes.
    pub const MAILBOX_FULL: Self = err(
        StatusCode::TOO_MANY_REQUESTS,
        "mailbox_full",
        "the mailbox is full; space is freed only when its reader acknowledges messages",
    );
    /// 429: the relay holds its maximum number of mailboxes or bundles.
    pub const RELAY_FULL: Self = err(
        StatusCode::TOO_MANY_REQUESTS,
        "relay_full",
        "the relay holds as many mailboxes or bundles as it accepts; use another relay",
    );
    /// 429: the relay's request rate limit was hit.
    pub const RATE_LIMITED: Self = err(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests; slow down",
    );
    /// 503: too many requests in flight, or a bounded cache is full.
    pub const OVERLOADED: Self = err(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        "the relay is overloaded; try again later",
    );
    /// 503: the relay is shutting down.
    pub const SHUTTING_DOWN: Self = err(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting_down",
        "the relay is shutting down; try again later",
    );
    /// 408: the request body did not arrive within `body_read_timeout_secs`.
    pub const BODY_TIMEOUT: Self = err(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "the request body did not arrive in time",
    );
    /// 400: the request is not valid HTTP/1.1 (answered by the HTTP parser).
    pub const MALFORMED_REQUEST: Self = err(
        StatusCode::BAD_REQUEST,
        "malformed_request",
        "the request is not valid HTTP/1.1",
    );
    /// 414: the request target is too long (answered by the HTTP parser).
    pub const URI_TOO_LONG: Self = err(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        "the request target is too long",
    );
    /// 431: the request head is too large or has too many header fields.
    pub const HEADERS_TOO_LARGE: Self = err(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        "the request headers are too large or too many",
    );
    /// 500: the storage engine failed. Never caused by client input.
    pub const INTERNAL: Self = err(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    );
}

impl ApiError {
    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code.to_string(),
            message: self.message.to_string(),
        }
    }

    /// A complete HTTP/1.1 answer carrying this error, that closes the connection: for
    /// the places below the router where the relay writes bytes itself.
    pub fn http1_bytes(&self) -> Vec<u8> {
        // Serializing two strings cannot fail; an empty object is the fallback anyway.
        let body = serde_json::to_vec(&self.body()).unwrap_or_else(|_| b"{}".to_vec());
        let mut out = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or(""),
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body);
        out
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// Answers every unknown path.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NOT_FOUND
}

/// Answers a known path with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::METHOD_NOT_ALLOWED
}
