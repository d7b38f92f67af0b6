//! ML-KEM-768 (FIPS 203), the post-quantum half of the handshake.

use super::error::CryptoError;
use super::random;
use super::secret::Secret;
use ml_kem::array::Array;
use ml_kem::{Decapsulate, KeyExport, MlKem768};
use rand_core::TryCryptoRng;
use std::fmt;
use zeroize::Zeroize;

/// Length of an encapsulation (public) key.
pub const PUBLIC_LEN: usize = 1184;
/// Length of a ciphertext.
pub const CIPHERTEXT_LEN: usize = 1088;
/// Length of the seed a decapsulation key is stored as (FIPS 203 `d || z`).
pub const SEED_LEN: usize = 64;
/// Length of a shared secret.
pub const SHARED_LEN: usize = 32;

type Dk = ml_kem::DecapsulationKey<MlKem768>;
type Ek = ml_kem::EncapsulationKey<MlKem768>;

/// An ML-KEM-768 decapsulation key, held as its 64-byte seed so it can be pickled.
///
/// Zeroized on drop (ml-kem's `zeroize` feature and [`Secret`]), redacted `Debug`. The
/// expanded key is boxed, so moving a `KemSecret` copies a pointer, not the key. Making one
/// is not copy-free: ml-kem takes the seed by value and builds the expanded key on the
/// stack before it is boxed; those transient copies are not wiped (see "Secrets in
/// memory" in docs/protocol.md).
pub struct KemSecret {
    seed: Secret<SEED_LEN>,
    key: Box<Dk>,
}

impl KemSecret {
    /// A fresh key pair from 64 bytes of `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        Ok(Self::from_seed(Secret::random(rng)?))
    }

    /// The key pair FIPS 203 `ML-KEM.KeyGen_internal(d, z)` derives from `seed = d || z`.
    /// Consumes the seed, which it keeps (boxed) for pickling.
    pub fn from_seed(seed: Secret<SEED_LEN>) -> Self {
        // Copied straight from the box into the array ml-kem takes, which is wiped here
        // after ml-kem has taken its copy.
        let mut array = ml_kem::Seed::default();
        array.copy_from_slice(seed.expose());
        let key = Box::new(Dk::from_seed(array));
        array.as_mut_slice().zeroize();
        Self { seed, key }
    }

    /// The 64-byte seed, for pickling.
    pub fn seed(&self) -> &Secret<SEED_LEN> {
        &self.seed
    }

    /// The matching encapsulation key.
    pub fn public(&self) -> KemPublic {
        KemPublic(self.key.encapsulation_key().clone())
    }

    /// Decapsulates `ciphertext`. ML-KEM uses implicit rejection: an altered ciphertext
    /// yields an unrelated pseudo-random secret rather than an error, and the failure
    /// shows up when the derived key fails to authenticate.
    ///
    /// # Errors
    /// None at present; the `Result` keeps the signature stable.
    pub fn decapsulate(
        &self,
        ciphertext: &KemCiphertext,
    ) -> Result<Secret<SHARED_LEN>, CryptoError> {
        let ct = Array::from(*ciphertext.0);
        let mut shared = self.key.decapsulate(&ct);
        let out = Secret::try_from_slice(shared.as_slice());
        shared.as_mut_slice().zeroize();
        out
    }
}

impl Clone for KemSecret {
    fn clone(&self) -> Self {
        Self::from_seed(self.seed.clone())
    }
}

impl fmt::Debug for KemSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KemSecret(redacted)")
    }
}

/// An ML-KEM-768 encapsulation key (1184 bytes), validated on decoding.
#[derive(Clone, PartialEq, Eq)]
pub struct KemPublic(Ek);

impl KemPublic {
    /// Decodes an encapsulation key.
    ///
    /// # Errors
    /// [`CryptoError::Length`] unless exactly [`PUBLIC_LEN`] bytes; [`CryptoError::BadKey`]
    /// if it fails FIPS 203's modulus check.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; PUBLIC_LEN] = bytes.try_into().map_err(|_| CryptoError::Length)?;
        let key = Ek::new(&Array::from(array)).map_err(|_| CryptoError::BadKey)?;
        Ok(Self(key))
    }

    /// The 1184-byte encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_LEN] {
        self.0.to_bytes().into()
    }

    /// Encapsulates a fresh shared secret to this key, using 32 bytes from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn encapsulate<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<(KemCiphertext, Secret<SHARED_LEN>), CryptoError> {
        let mut m = ml_kem::B32::default();
        random::fill(rng, m.as_mut_slice())?;
        let (ct, mut shared) = self.0.encapsulate_deterministic(&m);
        m.as_mut_slice().zeroize();
        let secret = Secret::try_from_slice(shared.as_slice());
        shared.as_mut_slice().zeroize();
        Ok((KemCiphertext(Box::new(ct.into())), secret?))
    }
}

impl fmt::Debug for KemPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KemPublic(..)")
    }
}

/// An ML-KEM-768 ciphertext (1088 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct KemCiphertext(Box<[u8; CIPHERTEXT_LEN]>);

impl KemCiphertext {
    /// Wraps a ciphertext.
    ///
    /// # Errors
    /// [`CryptoError::Length`] unless exactly [`CIPHERTEXT_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; CIPHERTEXT_LEN] = bytes.try_into().map_err(|_| CryptoError::Length)?;
        Ok(Self(Box::new(array)))
    }

    /// The 1088-byte encoding.
    pub fn as_bytes(&self) -> &[u8; CIPHERTEXT_LEN] {
        &self.0
    }
}

impl fmt::Debug for KemCiphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KemCiphertext(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;

    #[test]
    fn encapsulate_decapsulate_agree() {
        let dk = KemSecret::generate(&mut OsRng).unwrap();
        let ek = KemPublic::from_bytes(&dk.public().to_bytes()).unwrap();
        let (ct, shared) = ek.encapsulate(&mut OsRng).unwrap();
        let ct = KemCiphertext::from_bytes(ct.as_bytes()).unwrap();
        assert_eq!(dk.decapsulate(&ct).unwrap(), shared);
        // Implicit rejection: a flipped ciphertext bit gives a different secret.
        let mut bad = *ct.as_bytes();
        bad[100] ^= 1;
        let bad = KemCiphertext::from_bytes(&bad).unwrap();
        assert_ne!(dk.decapsulate(&bad).unwrap(), shared);
    }

    #[test]
    fn seed_determines_key() {
        let seed = Secret::<64>::from_bytes([42u8; 64]);
        let a = KemSecret::from_seed(seed.clone());
        let b = KemSecret::from_seed(seed);
        assert_eq!(a.public(), b.public());
        assert_eq!(a.clone().public(), a.public());
        assert_eq!(format!("{a:?}"), "KemSecret(redacted)");
    }

    #[test]
    fn malformed_public_keys_are_rejected() {
        assert_eq!(
            KemPublic::from_bytes(&[0u8; 1183]).err(),
            Some(CryptoError::Length)
        );
        // Coefficients are 12-bit values that must be below q = 3329; all-ones is not.
        assert_eq!(
            KemPublic::from_bytes(&[0xFF; PUBLIC_LEN]).err(),
            Some(CryptoError::BadKey)
        );
        assert_eq!(
            KemCiphertext::from_bytes(&[0u8; 1087]).err(),
            Some(CryptoError::Length)
        );
    }
}
