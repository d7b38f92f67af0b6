//! Signed requests: how a mailbox (or bundle) owner proves it holds the per-mailbox key.
//!
//! The owner signs a transcript with the Ed25519 key it supplied when it created the
//! mailbox. That key is fresh for every mailbox and unrelated to any identity key, so the
//! relay cannot link two mailboxes of one person through it.
//!
//! Transcript, byte for byte:
//!
//! ```text
//! "corridor-relay-auth-v1" 0x00
//! op            1 byte   (see [`Op`])
//! target        16 bytes (the read id or bundle id)
//! timestamp     8 bytes  big-endian Unix seconds
//! nonce         16 bytes random
//! body_digest   32 bytes SHA-256 of the operation's body (see [`body_digest`])
//! ```
//!
//! The relay accepts a timestamp within [`MAX_SKEW_SECS`] of its clock and refuses a nonce
//! it has already seen for the same target inside that window, so a captured request
//! cannot be replayed.

use crate::{ID_LEN, NONCE_LEN};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// Domain separation prefix of the transcript.
pub const TRANSCRIPT_PREFIX: &[u8] = b"corridor-relay-auth-v1\0";

/// How far (in seconds) a signed request's timestamp may be from the relay's clock.
pub const MAX_SKEW_SECS: u64 = 120;

/// The operation a signature authorizes. The tag is part of the transcript, so a
/// signature for one operation never authorizes another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Fetch messages from a mailbox.
    Fetch = 1,
    /// Acknowledge (delete) messages.
    Ack = 2,
    /// Destroy a mailbox.
    Destroy = 3,
    /// Publish or replace a prekey bundle.
    PublishBundle = 4,
    /// Delete a prekey bundle.
    DeleteBundle = 5,
}

/// Builds the transcript a request's signature covers.
pub fn transcript(
    op: Op,
    target: &[u8; ID_LEN],
    timestamp: u64,
    nonce: &[u8; NONCE_LEN],
    body_digest: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(TRANSCRIPT_PREFIX.len() + 1 + ID_LEN + 8 + NONCE_LEN + 32);
    out.extend_from_slice(TRANSCRIPT_PREFIX);
    out.push(op as u8);
    out.extend_from_slice(target);
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(nonce);
    out.extend_from_slice(body_digest);
    out
}

/// SHA-256 over a list of parts, each preceded by its length as 8 bytes big-endian.
///
/// The length prefixes make the encoding unambiguous: no two different lists of parts
/// hash the same input.
pub fn body_digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Why a signed request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The public key is not a valid Ed25519 point.
    #[error("invalid auth key")]
    BadKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The timestamp is outside the accepted window.
    #[error("stale or future timestamp")]
    Stale,
}

/// Verifies `signature` over `transcript` with `auth_key` (strict Ed25519 verification:
/// small-order keys and non-canonical signatures are refused).
pub fn verify(
    auth_key: &[u8; 32],
    transcript: &[u8],
    signature: &[u8; 64],
) -> Result<(), AuthError> {
    let key = VerifyingKey::from_bytes(auth_key).map_err(|_| AuthError::BadKey)?;
    if key.is_weak() {
        return Err(AuthError::BadKey);
    }
    let signature = Signature::from_bytes(signature);
    key.verify_strict(transcript, &signature)
        .map_err(|_| AuthError::BadSignature)
}

/// Checks that `timestamp` is within [`MAX_SKEW_SECS`] of `now` (both Unix seconds).
pub fn check_fresh(timestamp: u64, now: u64) -> Result<(), AuthError> {
    if timestamp.abs_diff(now) <= MAX_SKEW_SECS {
        Ok(())
    } else {
        Err(AuthError::Stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(op: Op) -> ([u8; 32], Vec<u8>, [u8; 64]) {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let t = transcript(op, &[1; 16], 1_700_000_000, &[2; 16], &body_digest(&[b"x"]));
        let sig = key.sign(&t).to_bytes();
        (key.verifying_key().to_bytes(), t, sig)
    }

    #[test]
    fn good_signature_verifies() {
        let (pk, t, sig) = signed(Op::Fetch);
        assert_eq!(verify(&pk, &t, &sig), Ok(()));
    }

    #[test]
    fn signature_for_one_op_does_not_authorize_another() {
        let (pk, _, sig) = signed(Op::Fetch);
        let other = transcript(
            Op::Destroy,
            &[1; 16],
            1_700_000_000,
            &[2; 16],
            &body_digest(&[b"x"]),
        );
        assert_eq!(verify(&pk, &other, &sig), Err(AuthError::BadSignature));
    }

    #[test]
    fn flipped_bits_are_refused() {
        let (pk, t, sig) = signed(Op::Ack);
        for i in 0..t.len() * 8 {
            let mut bad = t.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(verify(&pk, &bad, &sig).is_err());
        }
    }

    #[test]
    fn digest_parts_are_unambiguous() {
        assert_ne!(body_digest(&[b"ab", b"c"]), body_digest(&[b"a", b"bc"]));
    }

    #[test]
    fn freshness_window() {
        assert!(check_fresh(1000, 1000 + MAX_SKEW_SECS).is_ok());
        assert!(check_fresh(1000, 1001 + MAX_SKEW_SECS).is_err());
        assert!(check_fresh(1001 + MAX_SKEW_SECS, 1000).is_err());
    }
}
