//! Signing relay requests with a mailbox's (or bundle's) own key.
//!
//! The transcript is `corridor_wire::auth`'s; this module supplies the two inputs that are
//! not part of the request itself, the timestamp and the nonce, through [`Freshness`] so
//! tests can fix them. Every attempt of a request is signed afresh: the relay refuses a
//! nonce it has seen, so a retry must never repeat one.

use super::error::TransportError;
use crate::primitives::ed25519::SigningKey;
use crate::primitives::random::{self, OsRng};
use corridor_wire::NONCE_LEN;
use corridor_wire::api::{AuthKey, SignedAuth};
use corridor_wire::b64::Bytes;
use std::time::{SystemTime, UNIX_EPOCH};

/// The key that owns a mailbox or a bundle: it names itself by its Ed25519 public key and
/// signs relay transcripts.
///
/// Implemented for the library's own Ed25519 key type; an embedding application can
/// implement it for a key kept elsewhere (a hardware keystore).
pub trait AuthSigner: Send + Sync {
    /// The Ed25519 public key the relay knows this mailbox or bundle by.
    fn auth_key(&self) -> AuthKey;
    /// An Ed25519 signature over `transcript`.
    fn sign_transcript(&self, transcript: &[u8]) -> [u8; 64];
}

/// The clock and the nonce source of signed requests.
pub trait Freshness: Send + Sync {
    /// The current time in Unix seconds.
    fn now_unix(&self) -> u64;
    /// A fresh random nonce, never repeated.
    fn nonce(&self) -> Result<[u8; NONCE_LEN], TransportError>;
}

/// The system clock and the operating system's random number generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemFreshness;

impl Freshness for SystemFreshness {
    fn now_unix(&self) -> u64 {
        // A clock before 1970 signs timestamp 0, which the relay refuses as stale: a
        // clear error, not a panic.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn nonce(&self) -> Result<[u8; NONCE_LEN], TransportError> {
        random_bytes()
    }
}

/// Signs one request: draws a timestamp and nonce, lets `transcript` build the bytes to
/// sign from them, and returns the [`SignedAuth`] for the body.
pub(crate) fn sign_request(
    signer: &dyn AuthSigner,
    freshness: &dyn Freshness,
    transcript: impl FnOnce(u64, &[u8; NONCE_LEN]) -> Vec<u8>,
) -> Result<SignedAuth, TransportError> {
    let timestamp = freshness.now_unix();
    let nonce = freshness.nonce()?;
    let signature = signer.sign_transcript(&transcript(timestamp, &nonce));
    Ok(SignedAuth {
        timestamp,
        nonce: Bytes(nonce),
        signature: Bytes(signature),
    })
}

/// Public random bytes (ids, nonces, jitter) from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], TransportError> {
    random::array(&mut OsRng).map_err(|_| TransportError::Rng)
}

impl AuthSigner for SigningKey {
    fn auth_key(&self) -> AuthKey {
        Bytes(self.verifying_key().to_bytes())
    }

    fn sign_transcript(&self, transcript: &[u8]) -> [u8; 64] {
        self.sign(transcript).to_bytes()
    }
}
