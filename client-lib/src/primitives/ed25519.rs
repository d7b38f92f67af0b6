//! Ed25519 signatures (RFC 8032), verified strictly.

use super::error::CryptoError;
use super::secret::Secret;
use ed25519_dalek::Signer;
use rand_core::TryCryptoRng;
use std::fmt;
use subtle::ConstantTimeEq;

/// Length of a public key and of a secret seed.
pub const KEY_LEN: usize = 32;
/// Length of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 signing key. Zeroized on drop (ed25519-dalek), redacted `Debug`,
/// constant-time `==`.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A fresh key from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        let seed = Secret::<32>::random(rng)?;
        Ok(Self::from_secret(&seed))
    }

    /// The key with the 32-byte secret seed `seed` (RFC 8032's "private key").
    pub fn from_bytes(seed: [u8; 32]) -> Self {
        Self::from_secret(&Secret::from_bytes(seed))
    }

    /// The key with the secret seed held in `seed`.
    pub fn from_secret(seed: &Secret<32>) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed.expose()))
    }

    /// The 32-byte secret seed, for pickling.
    pub fn to_secret(&self) -> Secret<32> {
        Secret::from_bytes(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// Signs `message` (deterministic: the same key and message give the same signature).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl Clone for SigningKey {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl Eq for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(redacted)")
    }
}

/// An Ed25519 public key: a valid point encoding that is not of small order.
///
/// `Debug` prints no bytes: a public key is a stable identifier and must not reach logs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Decodes a public key.
    ///
    /// # Errors
    /// [`CryptoError::BadKey`] if `bytes` is not a point encoding or is a weak
    /// (small-order) key, for which signatures prove nothing.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        let key =
            ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| CryptoError::BadKey)?;
        if key.is_weak() {
            return Err(CryptoError::BadKey);
        }
        Ok(Self(key))
    }

    /// Decodes a public key from a slice.
    ///
    /// # Errors
    /// [`CryptoError::Length`] unless exactly 32 bytes; otherwise as [`Self::from_bytes`].
    pub fn try_from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::Length)?;
        Self::from_bytes(&array)
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The 32-byte encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Verifies `signature` on `message` with ed25519-dalek's `verify_strict`: rejects
    /// non-canonical signatures and small-order components, so a signature cannot be
    /// mauled into a second valid one.
    ///
    /// # Errors
    /// [`CryptoError::BadSignature`] if it does not verify.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), CryptoError> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(message, &sig)
            .map_err(|_| CryptoError::BadSignature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey(..)")
    }
}

/// An Ed25519 signature (64 bytes; checked only when verified).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// Wraps 64 signature bytes.
    pub fn from_bytes(bytes: [u8; 64]) -> Self {
        Self(bytes)
    }

    /// Wraps a slice of exactly 64 bytes.
    ///
    /// # Errors
    /// [`CryptoError::Length`] unless exactly 64 bytes.
    pub fn try_from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        Ok(Self(bytes.try_into().map_err(|_| CryptoError::Length)?))
    }

    /// The 64-byte encoding.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;
    use data_encoding::HEXLOWER;

    fn hex(s: &str) -> Vec<u8> {
        HEXLOWER.decode(s.as_bytes()).unwrap()
    }

    /// RFC 8032 section 7.1, TEST 1 (empty message).
    #[test]
    fn rfc8032_test_1() {
        let key = SigningKey::from_bytes(
            hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap(),
        );
        assert_eq!(
            key.verifying_key().to_bytes().to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let sig = key.sign(b"");
        assert_eq!(
            sig.to_bytes().to_vec(),
            hex(concat!(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
                "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ))
        );
        key.verifying_key().verify(b"", &sig).unwrap();
    }

    #[test]
    fn every_bit_flip_of_signature_or_message_is_rejected() {
        let key = SigningKey::generate(&mut OsRng).unwrap();
        let vk = key.verifying_key();
        let msg = b"corridor".to_vec();
        let sig = key.sign(&msg);
        vk.verify(&msg, &sig).unwrap();
        for i in 0..512 {
            let mut bytes = sig.to_bytes();
            bytes[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                vk.verify(&msg, &Signature::from_bytes(bytes)),
                Err(CryptoError::BadSignature)
            );
        }
        for i in 0..msg.len() * 8 {
            let mut bad = msg.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(vk.verify(&bad, &sig), Err(CryptoError::BadSignature));
        }
        let other = SigningKey::generate(&mut OsRng).unwrap().verifying_key();
        assert_eq!(other.verify(&msg, &sig), Err(CryptoError::BadSignature));
    }

    #[test]
    fn weak_and_invalid_keys_are_rejected() {
        // The identity point (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            VerifyingKey::from_bytes(&identity).err(),
            Some(CryptoError::BadKey)
        );
        // About half of all y coordinates are not on the curve: some small y must fail.
        let rejected = (2u8..40)
            .filter(|y| {
                let mut bytes = [0u8; 32];
                bytes[0] = *y;
                VerifyingKey::from_bytes(&bytes).err() == Some(CryptoError::BadKey)
            })
            .count();
        assert!(rejected > 0);
    }

    #[test]
    fn debug_is_redacted_and_seed_round_trips() {
        let key = SigningKey::generate(&mut OsRng).unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(redacted)");
        let again = SigningKey::from_secret(&key.to_secret());
        assert_eq!(key, again);
        assert_eq!(key.verifying_key(), again.verifying_key());
    }
}
