//! The store's error type.

use crate::primitives::CryptoError;
use crate::primitives::passphrase::KdfParamsError;

/// Why a store operation failed.
///
/// Messages name the operation and never carry a passphrase, key, record name, record
/// content or path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The passphrase opens neither key slot. Nothing on disk was changed, except the
    /// failed-unlock counter when a limit is set.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The passphrase was wrong and it was the last attempt the failed-unlock limit
    /// allowed: the profile has been wiped.
    #[error("wrong passphrase: the failed-unlock limit was reached and the profile was wiped")]
    WipedAfterFailedUnlocks,
    /// There is no profile (no key file) in the directory.
    #[error("no profile in this directory")]
    NoProfile,
    /// [`super::Profile::create`] found a profile already there.
    #[error("a profile already exists in this directory")]
    AlreadyExists,
    /// The key file has the wrong size or magic, or parameters outside the caps.
    #[error("the key file is damaged or is not a Corridor key file")]
    CorruptKeyFile,
    /// The key file was written by a version of Corridor this one cannot read.
    #[error("unsupported key file version {0}")]
    UnsupportedVersion(u16),
    /// The key file's Argon2id parameters are below the production floor
    /// ([`crate::store::KdfParams::meets_floor`]): only a build with the
    /// `insecure-fast-kdf` feature opens (or creates) such a profile. Nothing was changed.
    #[error("the profile's Argon2id parameters are below the production floor")]
    BelowKdfFloor,
    /// A record failed authentication or decoding: the database was altered or damaged.
    #[error("a stored record is damaged or was tampered with")]
    CorruptRecord,
    /// Passphrases must not be empty.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The duress passphrase opens the normal slot, or the new passphrase opens the duress
    /// slot: the two must differ, or one of them would hide the other.
    #[error("the duress passphrase and the passphrase must differ")]
    SameAsOtherPassphrase,
    /// The duress payload does not fit the key file's fixed-size duress slot.
    #[error("the duress payload is {len} bytes; at most {max} fit")]
    PayloadTooLarge {
        /// Length offered.
        len: usize,
        /// [`super::DURESS_PAYLOAD_MAX`].
        max: usize,
    },
    /// Refused Argon2id parameters.
    #[error("key derivation parameters refused: {0}")]
    KdfParams(#[from] KdfParamsError),
    /// A cryptographic primitive failed (randomness, key derivation).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
    /// The embedded database (sled) failed.
    #[error("database failure")]
    Database(#[source] sled::Error),
    /// A file-system operation failed.
    #[error("I/O failure while {operation}")]
    Io {
        /// What the store was doing, in a few words.
        operation: &'static str,
        /// The underlying error (it names no path).
        #[source]
        source: std::io::Error,
    },
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        Self::Database(error)
    }
}

/// Builds a `map_err` adapter that names the operation.
pub(crate) fn io_error(operation: &'static str) -> impl Fn(std::io::Error) -> StoreError {
    move |source| StoreError::Io { operation, source }
}
