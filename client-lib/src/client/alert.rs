//! Duress alert envelopes.
//!
//! An alert is one envelope of [`ENVELOPE_SIZE`] bytes shaped like every ratchet envelope:
//! the envelope version byte, then a random 12-byte nonce and ChaCha20-Poly1305 under the
//! alert key of a fixed, zero-padded plaintext. To the relay and to an observer it is as
//! random-looking, and as long, as any other envelope. Only the contact holding the alert
//! key can tell it apart, by opening it.

use crate::primitives::aead::{self, AeadKey};
use crate::primitives::random;
use crate::protocol::envelope::ENVELOPE_VERSION;
use corridor_wire::ENVELOPE_SIZE;
use rand_core::TryCryptoRng;

const AAD: &[u8] = b"corridor-duress-alert-v1";
const MARKER: &[u8] = b"corridor-duress-alert-v1\0";
const BODY_LEN: usize = ENVELOPE_SIZE - 1 - aead::NONCE_LEN - aead::TAG_LEN;

/// Seals an alert under `key`.
pub(crate) fn seal<R: TryCryptoRng + ?Sized>(
    key: &[u8],
    rng: &mut R,
) -> Option<[u8; ENVELOPE_SIZE]> {
    let key = AeadKey::try_from_slice(key).ok()?;
    let nonce: [u8; aead::NONCE_LEN] = random::array(rng).ok()?;
    let mut body = vec![0u8; BODY_LEN];
    body.get_mut(..MARKER.len())?.copy_from_slice(MARKER);
    let sealed = aead::seal(&key, &nonce, AAD, &body).ok()?;
    let mut out = [0u8; ENVELOPE_SIZE];
    let (version, rest) = out.split_first_mut()?;
    *version = ENVELOPE_VERSION;
    let (head, tail) = rest.split_at_mut_checked(aead::NONCE_LEN)?;
    head.copy_from_slice(&nonce);
    if tail.len() != sealed.len() {
        return None;
    }
    tail.copy_from_slice(&sealed);
    Some(out)
}

/// True when `envelope` is an alert sealed under `key`.
pub(crate) fn is_alert(key: &[u8], envelope: &[u8]) -> bool {
    let Ok(key) = AeadKey::try_from_slice(key) else {
        return false;
    };
    let Some((&ENVELOPE_VERSION, rest)) = envelope.split_first() else {
        return false;
    };
    let Some((nonce, sealed)) = rest.split_at_checked(aead::NONCE_LEN) else {
        return false;
    };
    let Ok(nonce) = <[u8; aead::NONCE_LEN]>::try_from(nonce) else {
        return false;
    };
    match aead::open(&key, &nonce, AAD, sealed) {
        Ok(body) => body.starts_with(MARKER),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;

    #[test]
    fn alert_opens_only_under_its_key_and_has_envelope_size() {
        let key = [7u8; 32];
        let other = [8u8; 32];
        let envelope = seal(&key, &mut OsRng).unwrap();
        assert_eq!(envelope.len(), ENVELOPE_SIZE);
        // Same first byte as every ratchet envelope.
        assert_eq!(envelope[0], ENVELOPE_VERSION);
        assert!(is_alert(&key, &envelope));
        assert!(!is_alert(&other, &envelope));
        let mut flipped = envelope;
        flipped[100] ^= 1;
        assert!(!is_alert(&key, &flipped));
        assert!(!is_alert(&key, &envelope[..100]));
    }

    #[test]
    fn two_alerts_under_one_key_differ() {
        let key = [7u8; 32];
        let a = seal(&key, &mut OsRng).unwrap();
        let b = seal(&key, &mut OsRng).unwrap();
        assert_ne!(a, b);
        // No fixed plaintext marker leaks: the padding is encrypted.
        assert!(!a.windows(MARKER.len()).any(|w| w == MARKER));
    }
}
