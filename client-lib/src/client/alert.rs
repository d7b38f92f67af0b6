//! Duress alert envelopes, and the cover envelopes that make a normal unlock look the
//! same on the network.
//!
//! An alert is one envelope of [`ENVELOPE_SIZE`] bytes shaped like every ratchet envelope:
//! the envelope version byte, then a random 12-byte AEAD nonce and ChaCha20-Poly1305 under
//! the alert key of a fixed, zero-padded plaintext: a marker, a kind byte (alert or cover)
//! and a random 16-byte alert nonce. To the relay and to an observer it is as
//! random-looking, and as long, as any other envelope. Only the contact holding the alert
//! key can open it and tell an alert from a cover; it raises one event per alert nonce, so
//! a replayed alert (the relay or a retry depositing it again) raises nothing more.

use crate::primitives::aead::{self, AeadKey};
use crate::primitives::random;
use crate::protocol::envelope::ENVELOPE_VERSION;
use corridor_wire::ENVELOPE_SIZE;
use rand_core::TryCryptoRng;

const AAD: &[u8] = b"corridor-duress-alert-v2";
const MARKER: &[u8] = b"corridor-duress-alert-v2\0";
const BODY_LEN: usize = ENVELOPE_SIZE - 1 - aead::NONCE_LEN - aead::TAG_LEN;
/// The length of an alert's own nonce.
pub(crate) const ALERT_NONCE_LEN: usize = 16;

/// What an alert-key envelope says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlertKind {
    /// The sender's profile was opened with the duress passphrase.
    Alert,
    /// The sender's profile was opened normally: traffic that looks like an alert.
    Cover,
}

impl AlertKind {
    fn byte(self) -> u8 {
        match self {
            Self::Alert => 1,
            Self::Cover => 2,
        }
    }
}

/// Seals an alert or a cover under `key`, carrying `nonce`.
pub(crate) fn seal<R: TryCryptoRng + ?Sized>(
    key: &[u8],
    kind: AlertKind,
    nonce: &[u8; ALERT_NONCE_LEN],
    rng: &mut R,
) -> Option<[u8; ENVELOPE_SIZE]> {
    let key = AeadKey::try_from_slice(key).ok()?;
    let aead_nonce: [u8; aead::NONCE_LEN] = random::array(rng).ok()?;
    let mut body = zeroize::Zeroizing::new(vec![0u8; BODY_LEN]);
    let (marker, rest) = body.split_at_mut_checked(MARKER.len())?;
    marker.copy_from_slice(MARKER);
    let (kind_byte, rest) = rest.split_first_mut()?;
    *kind_byte = kind.byte();
    rest.get_mut(..ALERT_NONCE_LEN)?.copy_from_slice(nonce);
    let sealed = aead::seal(&key, &aead_nonce, AAD, &body).ok()?;
    let mut out = [0u8; ENVELOPE_SIZE];
    let (version, rest) = out.split_first_mut()?;
    *version = ENVELOPE_VERSION;
    let (head, tail) = rest.split_at_mut_checked(aead::NONCE_LEN)?;
    head.copy_from_slice(&aead_nonce);
    if tail.len() != sealed.len() {
        return None;
    }
    tail.copy_from_slice(&sealed);
    Some(out)
}

/// Opens `envelope` if it is an alert or a cover sealed under `key`.
pub(crate) fn open(key: &[u8], envelope: &[u8]) -> Option<(AlertKind, [u8; ALERT_NONCE_LEN])> {
    let key = AeadKey::try_from_slice(key).ok()?;
    let (&version, rest) = envelope.split_first()?;
    if version != ENVELOPE_VERSION {
        return None;
    }
    let (nonce, sealed) = rest.split_at_checked(aead::NONCE_LEN)?;
    let nonce = <[u8; aead::NONCE_LEN]>::try_from(nonce).ok()?;
    let body = zeroize::Zeroizing::new(aead::open(&key, &nonce, AAD, sealed).ok()?);
    let rest = body.strip_prefix(MARKER)?;
    let (&kind, rest) = rest.split_first()?;
    let kind = match kind {
        1 => AlertKind::Alert,
        2 => AlertKind::Cover,
        _ => return None,
    };
    let alert_nonce = <[u8; ALERT_NONCE_LEN]>::try_from(rest.get(..ALERT_NONCE_LEN)?).ok()?;
    Some((kind, alert_nonce))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;

    #[test]
    fn alert_opens_only_under_its_key_and_has_envelope_size() {
        let key = [7u8; 32];
        let other = [8u8; 32];
        let nonce = [5u8; ALERT_NONCE_LEN];
        let envelope = seal(&key, AlertKind::Alert, &nonce, &mut OsRng).unwrap();
        assert_eq!(envelope.len(), ENVELOPE_SIZE);
        // Same first byte as every ratchet envelope.
        assert_eq!(envelope[0], ENVELOPE_VERSION);
        assert_eq!(open(&key, &envelope), Some((AlertKind::Alert, nonce)));
        assert_eq!(open(&other, &envelope), None);
        let mut flipped = envelope;
        flipped[100] ^= 1;
        assert_eq!(open(&key, &flipped), None);
        assert_eq!(open(&key, &envelope[..100]), None);
        assert_eq!(open(&key, &[]), None);
        let cover = seal(&key, AlertKind::Cover, &nonce, &mut OsRng).unwrap();
        assert_eq!(open(&key, &cover), Some((AlertKind::Cover, nonce)));
    }

    #[test]
    fn alerts_and_covers_look_alike_and_never_repeat() {
        let key = [7u8; 32];
        let nonce = [5u8; ALERT_NONCE_LEN];
        let a = seal(&key, AlertKind::Alert, &nonce, &mut OsRng).unwrap();
        let b = seal(&key, AlertKind::Alert, &nonce, &mut OsRng).unwrap();
        let c = seal(&key, AlertKind::Cover, &nonce, &mut OsRng).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), c.len());
        assert_eq!(a[0], c[0]);
        // No fixed plaintext marker leaks: the padding is encrypted.
        for envelope in [&a, &c] {
            assert!(!envelope.windows(MARKER.len()).any(|w| w == MARKER));
        }
    }

    proptest::proptest! {
        #[test]
        fn seal_then_open_round_trips_and_garbage_never_opens(
            key in proptest::array::uniform32(0u8..),
            nonce in proptest::array::uniform16(0u8..),
            cover in proptest::bool::ANY,
            garbage in proptest::collection::vec(0u8.., 0..ENVELOPE_SIZE + 8),
        ) {
            let kind = if cover { AlertKind::Cover } else { AlertKind::Alert };
            let envelope = seal(&key, kind, &nonce, &mut OsRng).unwrap();
            proptest::prop_assert_eq!(open(&key, &envelope), Some((kind, nonce)));
            proptest::prop_assert_eq!(open(&key, &garbage), None);
        }
    }
}
