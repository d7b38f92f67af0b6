//! Versioned, encrypted serialization of secret state for the store ("pickles").
//!
//! Live secret types never implement `Serialize`; each has `pickle(key, rng)` and
//! `unpickle(key, bytes)` built on [`seal`] and [`open`]. The store supplies the key.
//!
//! Layout: `"CPK" || version (1) || salt (32) || ChaCha20-Poly1305(plaintext) || tag`.
//! The AEAD key is `HKDF-SHA256(salt, pickle key, "Corridor_v1_pickle:" || type label)`,
//! a fresh key per pickle, so the nonce is fixed at zero and no nonce can ever repeat
//! under one key. The type label (e.g. `identity`, `prekeys`, `session`) is not stored:
//! it is bound through the key and the associated data, so a pickle of one type never
//! opens as another. The plaintext starts with a content version chosen by each type.

use crate::primitives::aead::{self, AeadKey};
use crate::primitives::{CryptoError, Secret, kdf, random};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

/// Magic bytes that start every pickle.
pub const PICKLE_MAGIC: &[u8; 3] = b"CPK";
/// Current outer pickle format version.
pub const PICKLE_VERSION: u8 = 1;
/// HKDF info prefix; the type label follows.
pub const PICKLE_KDF_LABEL: &[u8] = b"Corridor_v1_pickle:";
const SALT_LEN: usize = 32;
const HEADER_LEN: usize = 3 + 1 + SALT_LEN;

/// Why a pickle could not be made or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PickleError {
    /// Not a pickle (bad magic or too short).
    #[error("not a pickle")]
    NotAPickle,
    /// A pickle version (outer or content) this build does not know.
    #[error("unsupported pickle version")]
    Version,
    /// Wrong key, wrong type, or altered bytes.
    #[error("pickle decryption failed")]
    Decrypt,
    /// Decrypted, but the content does not have the expected layout.
    #[error("malformed pickle content")]
    Malformed,
    /// A primitive failed while pickling (the random number generator).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
}

fn pickle_key(key: &Secret<32>, salt: &[u8], label: &str) -> Result<AeadKey, CryptoError> {
    let info = [PICKLE_KDF_LABEL, label.as_bytes()].concat();
    let mut out = Zeroizing::new([0u8; 32]);
    kdf::hkdf_sha256(salt, key.expose(), &info, out.as_mut_slice())?;
    Ok(Secret::from_bytes(*out))
}

fn associated_data(label: &str) -> Vec<u8> {
    [PICKLE_MAGIC.as_slice(), &[PICKLE_VERSION], label.as_bytes()].concat()
}

/// Encrypts `plaintext` as a pickle of type `label` under `key`.
///
/// # Errors
/// [`PickleError::Crypto`] if the generator fails.
pub fn seal<R: TryCryptoRng + ?Sized>(
    key: &Secret<32>,
    label: &str,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, PickleError> {
    let salt: [u8; SALT_LEN] = random::array(rng)?;
    let aead_key = pickle_key(key, &salt, label)?;
    let sealed = aead::seal(
        &aead_key,
        &[0u8; aead::NONCE_LEN],
        &associated_data(label),
        plaintext,
    )?;
    let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
    out.extend_from_slice(PICKLE_MAGIC);
    out.push(PICKLE_VERSION);
    out.extend_from_slice(&salt);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a pickle of type `label` made by [`seal`] under `key`.
///
/// # Errors
/// See [`PickleError`]; never panics on arbitrary input.
pub fn open(
    key: &Secret<32>,
    label: &str,
    pickled: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PickleError> {
    let (magic, rest) = pickled.split_at_checked(3).ok_or(PickleError::NotAPickle)?;
    if magic != PICKLE_MAGIC {
        return Err(PickleError::NotAPickle);
    }
    let (version, rest) = rest.split_first().ok_or(PickleError::NotAPickle)?;
    if *version != PICKLE_VERSION {
        return Err(PickleError::Version);
    }
    let (salt, sealed) = rest
        .split_at_checked(SALT_LEN)
        .ok_or(PickleError::NotAPickle)?;
    let aead_key = pickle_key(key, salt, label).map_err(|_| PickleError::Decrypt)?;
    aead::open(
        &aead_key,
        &[0u8; aead::NONCE_LEN],
        &associated_data(label),
        sealed,
    )
    .map_err(|_| PickleError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;

    #[test]
    fn round_trip_and_type_binding() {
        let key = Secret::from_bytes([3u8; 32]);
        let sealed = seal(&key, "identity", b"secret state", &mut OsRng).unwrap();
        assert_eq!(
            open(&key, "identity", &sealed).unwrap().as_slice(),
            b"secret state"
        );
        assert_eq!(
            open(&key, "session", &sealed).err(),
            Some(PickleError::Decrypt)
        );
        let other = Secret::from_bytes([4u8; 32]);
        assert_eq!(
            open(&other, "identity", &sealed).err(),
            Some(PickleError::Decrypt)
        );
        // Two pickles of the same content differ (fresh salt).
        assert_ne!(
            sealed,
            seal(&key, "identity", b"secret state", &mut OsRng).unwrap()
        );
    }

    #[test]
    fn every_bit_flip_is_rejected() {
        let key = Secret::from_bytes([5u8; 32]);
        let sealed = seal(&key, "t", b"abc", &mut OsRng).unwrap();
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(open(&key, "t", &bad).is_err(), "bit {i} accepted");
        }
        for len in 0..sealed.len() {
            assert!(open(&key, "t", &sealed[..len]).is_err());
        }
    }
}
