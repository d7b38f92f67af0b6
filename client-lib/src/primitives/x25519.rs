//! X25519 Diffie-Hellman (RFC 7748).

use super::error::CryptoError;
use super::secret::Secret;
use rand_core::TryCryptoRng;
use std::fmt;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

/// Length of an X25519 public key, secret key and shared secret.
pub const KEY_LEN: usize = 32;

/// An X25519 secret key (a static secret: usable for many exchanges).
///
/// Zeroized on drop (x25519-dalek), redacted `Debug`, constant-time `==`. Boxed, so
/// moving an `X25519Secret` copies a pointer, not the key. Making one is not copy-free:
/// x25519-dalek's `StaticSecret::from` takes the 32 bytes by value and the `StaticSecret`
/// is built on the stack before it is boxed, so those transient stack copies are not
/// wiped (safe Rust cannot reach them; see "Secrets in memory" in docs/protocol.md).
///
/// Held raw, as the 32 bytes it was made from: clamping (RFC 7748 `decodeScalar25519`)
/// happens at every use, so [`X25519Secret::to_secret`] returns the unclamped bytes.
///
/// The matching public key is computed at most once per key, on the first
/// [`X25519Secret::public`], and kept next to the secret (a base-point multiplication is
/// the largest cost of a ratchet encryption otherwise). It is public, so keeping it holds
/// no secret longer than the key itself is held.
pub struct X25519Secret(Box<Keypair>);

/// The secret and, once computed, its public key.
struct Keypair {
    secret: x25519_dalek::StaticSecret,
    public: OnceLock<x25519_dalek::PublicKey>,
}

impl X25519Secret {
    /// A fresh key from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        let bytes = Secret::<32>::random(rng)?;
        Ok(Self::from_secret(&bytes))
    }

    /// The key whose 32-byte encoding is `bytes` (clamping happens at use, per RFC 7748).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::from_secret(&Secret::from_bytes(bytes))
    }

    /// The key whose 32-byte encoding is held in `bytes`.
    pub fn from_secret(bytes: &Secret<32>) -> Self {
        Self(Box::new(Keypair {
            secret: x25519_dalek::StaticSecret::from(*bytes.expose()),
            public: OnceLock::new(),
        }))
    }

    /// The 32-byte encoding, for pickling.
    pub fn to_secret(&self) -> Secret<32> {
        Secret::from_bytes(self.0.secret.to_bytes())
    }

    /// The matching public key (computed on the first call, then remembered).
    pub fn public(&self) -> X25519Public {
        X25519Public(
            *self
                .0
                .public
                .get_or_init(|| x25519_dalek::PublicKey::from(&self.0.secret)),
        )
    }

    /// X25519(self, their_public).
    ///
    /// # Errors
    /// [`CryptoError::NonContributory`] if the result is all zeros, which happens exactly
    /// when `their_public` is a low-order point: such a "shared secret" is known to anyone,
    /// so accepting it would let a peer force a known key.
    pub fn diffie_hellman(&self, their_public: &X25519Public) -> Result<Secret<32>, CryptoError> {
        let shared = self.0.secret.diffie_hellman(&their_public.0);
        if !shared.was_contributory() {
            return Err(CryptoError::NonContributory);
        }
        Ok(Secret::from_bytes(shared.to_bytes()))
    }
}

impl Clone for X25519Secret {
    fn clone(&self) -> Self {
        Self(Box::new(Keypair {
            secret: self.0.secret.clone(),
            public: self.0.public.clone(),
        }))
    }
}

impl PartialEq for X25519Secret {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.secret.as_bytes().ct_eq(other.0.secret.as_bytes()))
    }
}

impl Eq for X25519Secret {}

impl fmt::Debug for X25519Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519Secret(redacted)")
    }
}

/// An X25519 public key: any 32 bytes (RFC 7748 accepts every u-coordinate; low-order
/// points are caught by [`X25519Secret::diffie_hellman`]).
///
/// `Debug` prints no bytes: a public key is a stable identifier and must not reach logs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct X25519Public(x25519_dalek::PublicKey);

impl X25519Public {
    /// The key with encoding `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(x25519_dalek::PublicKey::from(bytes))
    }

    /// The key encoded in `bytes`.
    ///
    /// # Errors
    /// [`CryptoError::Length`] unless `bytes` is exactly 32 bytes.
    pub fn try_from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::Length)?;
        Ok(Self::from_bytes(array))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The 32-byte encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for X25519Public {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519Public(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;
    use data_encoding::HEXLOWER;

    fn hex32(s: &str) -> [u8; 32] {
        HEXLOWER.decode(s.as_bytes()).unwrap().try_into().unwrap()
    }

    /// RFC 7748 section 6.1.
    #[test]
    fn rfc7748_diffie_hellman() {
        let alice = X25519Secret::from_bytes(hex32(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let bob = X25519Secret::from_bytes(hex32(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        ));
        assert_eq!(
            alice.public().to_bytes(),
            hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        assert_eq!(
            bob.public().to_bytes(),
            hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        );
        let shared = hex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(
            alice.diffie_hellman(&bob.public()).unwrap().expose(),
            &shared
        );
        assert_eq!(
            bob.diffie_hellman(&alice.public()).unwrap().expose(),
            &shared
        );
    }

    /// RFC 7748 section 5.2, first vector.
    #[test]
    fn rfc7748_scalar_mult() {
        let k = X25519Secret::from_bytes(hex32(
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        ));
        let u = X25519Public::from_bytes(hex32(
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        ));
        assert_eq!(
            k.diffie_hellman(&u).unwrap().expose(),
            &hex32("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
        );
    }

    #[test]
    fn low_order_points_are_rejected() {
        let secret = X25519Secret::generate(&mut OsRng).unwrap();
        // The zero point, the point of order 1 (u = 1), and a point of order 8.
        let low_order = [
            [0u8; 32],
            {
                let mut one = [0u8; 32];
                one[0] = 1;
                one
            },
            hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ];
        for point in low_order {
            assert_eq!(
                secret
                    .diffie_hellman(&X25519Public::from_bytes(point))
                    .err(),
                Some(CryptoError::NonContributory)
            );
        }
    }

    /// The remembered public key is the one a fresh computation gives, also for a clone
    /// and for a clone made before the first computation.
    #[test]
    fn remembered_public_key_is_the_computed_one() {
        let a = X25519Secret::generate(&mut OsRng).unwrap();
        let early_clone = a.clone();
        let first = a.public();
        assert_eq!(a.public(), first);
        let fresh = X25519Secret::from_secret(&a.to_secret());
        assert_eq!(fresh.public(), first);
        assert_eq!(a.clone().public(), first);
        assert_eq!(early_clone.public(), first);
        let b = X25519Secret::generate(&mut OsRng).unwrap();
        assert_ne!(b.public(), first);
    }

    #[test]
    fn secret_round_trips_and_is_redacted() {
        let a = X25519Secret::generate(&mut OsRng).unwrap();
        let b = X25519Secret::from_secret(&a.to_secret());
        assert_eq!(a, b);
        assert_eq!(a.public(), b.public());
        assert_eq!(format!("{a:?}"), "X25519Secret(redacted)");
        assert_eq!(format!("{:?}", a.public()), "X25519Public(..)");
        assert_ne!(a, X25519Secret::generate(&mut OsRng).unwrap());
    }
}
