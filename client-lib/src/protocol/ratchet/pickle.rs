//! Persistence of a [`Session`]: the "pickle" pattern. The live session does not implement
//! `Serialize`; [`Session::pickle`] copies its state into a [`SessionPickle`], which zeroizes
//! on drop and is meant to be encrypted before it leaves memory
//! ([`SessionPickle::encrypt`]).

use super::skipped::{SkippedChain, SkippedKeys};
use super::{MAX_SKIP, MAX_SKIPPED_KEYS, Session};
use crate::primitives::aead::{self, NONCE_LEN};
use crate::primitives::random::{self, TryCryptoRng};
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::primitives::{CryptoError, Secret};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The pickle format version this code writes and reads.
pub const SESSION_PICKLE_VERSION: u8 = 1;

/// Associated data of an encrypted session pickle.
const PICKLE_AAD: &[u8] = b"Corridor session pickle v1";

/// Why a pickle could not be restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PickleError {
    /// Wrong key, or the bytes were altered.
    #[error("session pickle could not be decrypted")]
    Decrypt,
    /// A version this code does not read.
    #[error("unsupported session pickle version")]
    UnsupportedVersion,
    /// The bytes decrypted but do not describe a valid session.
    #[error("session pickle is malformed")]
    Malformed,
    /// The random number generator failed while encrypting.
    #[error("random number generator failed")]
    Rng,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct SkippedKeyPickle {
    number: u32,
    key: [u8; 32],
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct SkippedChainPickle {
    header_key: [u8; 32],
    keys: Vec<SkippedKeyPickle>,
}

/// A session's complete state in serializable form. It holds secrets in the clear, so it
/// zeroizes on drop and has a redacted `Debug`; store it only through
/// [`SessionPickle::encrypt`].
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct SessionPickle {
    version: u8,
    ad: Vec<u8>,
    root: [u8; 32],
    self_ratchet: [u8; 32],
    remote_ratchet: Option<[u8; 32]>,
    sending_chain: Option<[u8; 32]>,
    receiving_chain: Option<[u8; 32]>,
    header_send: Option<[u8; 32]>,
    header_recv: Option<[u8; 32]>,
    next_header_send: [u8; 32],
    next_header_recv: [u8; 32],
    sent: u32,
    received: u32,
    previous_sent: u32,
    ratchet_pending: bool,
    skipped: Vec<SkippedChainPickle>,
}

impl std::fmt::Debug for SessionPickle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionPickle(redacted)")
    }
}

fn opt(s: &Option<Secret<32>>) -> Option<[u8; 32]> {
    s.as_ref().map(|s| *s.expose())
}

fn secret(bytes: &[u8; 32]) -> Secret<32> {
    Secret::from_bytes(*bytes)
}

fn opt_secret(bytes: &Option<[u8; 32]>) -> Option<Secret<32>> {
    bytes.as_ref().map(secret)
}

impl SessionPickle {
    /// Encrypts the pickle under `key` (ChaCha20-Poly1305, random nonce):
    /// `version (1) || nonce (12) || ciphertext || tag`.
    ///
    /// # Errors
    /// [`PickleError::Rng`] if `rng` fails; [`PickleError::Malformed`] if serialization
    /// fails (it cannot for this type).
    pub fn encrypt<R: TryCryptoRng + ?Sized>(
        &self,
        key: &Secret<32>,
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let plain = Zeroizing::new(serde_json::to_vec(self).map_err(|_| PickleError::Malformed)?);
        let nonce: [u8; NONCE_LEN] = random::array(rng).map_err(|_| PickleError::Rng)?;
        let sealed =
            aead::seal(key, &nonce, PICKLE_AAD, &plain).map_err(|_| PickleError::Malformed)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SESSION_PICKLE_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`encrypt`](Self::encrypt) produced.
    ///
    /// # Errors
    /// [`PickleError::UnsupportedVersion`], [`PickleError::Decrypt`] (wrong key or altered
    /// bytes), [`PickleError::Malformed`].
    pub fn decrypt(bytes: &[u8], key: &Secret<32>) -> Result<Self, PickleError> {
        let (version, rest) = bytes.split_first().ok_or(PickleError::Malformed)?;
        if *version != SESSION_PICKLE_VERSION {
            return Err(PickleError::UnsupportedVersion);
        }
        let (nonce, sealed) = rest
            .split_at_checked(NONCE_LEN)
            .ok_or(PickleError::Malformed)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| PickleError::Malformed)?;
        let plain = aead::open(key, &nonce, PICKLE_AAD, sealed).map_err(|e| match e {
            CryptoError::Decrypt => PickleError::Decrypt,
            _ => PickleError::Malformed,
        })?;
        let pickle: Self = serde_json::from_slice(&plain).map_err(|_| PickleError::Malformed)?;
        if pickle.version != SESSION_PICKLE_VERSION {
            return Err(PickleError::UnsupportedVersion);
        }
        Ok(pickle)
    }
}

impl Session {
    /// Copies the session's state into a [`SessionPickle`] for the store.
    pub fn pickle(&self) -> SessionPickle {
        SessionPickle {
            version: SESSION_PICKLE_VERSION,
            ad: self.ad.clone(),
            root: *self.root.expose(),
            self_ratchet: *self.self_ratchet.to_secret().expose(),
            remote_ratchet: self.remote_ratchet.map(|k| k.to_bytes()),
            sending_chain: opt(&self.sending_chain),
            receiving_chain: opt(&self.receiving_chain),
            header_send: opt(&self.header_send),
            header_recv: opt(&self.header_recv),
            next_header_send: *self.next_header_send.expose(),
            next_header_recv: *self.next_header_recv.expose(),
            sent: self.sent,
            received: self.received,
            previous_sent: self.previous_sent,
            ratchet_pending: self.ratchet_pending,
            skipped: self
                .skipped
                .chains()
                .map(|chain| SkippedChainPickle {
                    header_key: *chain.header_key.expose(),
                    keys: chain
                        .keys
                        .iter()
                        .map(|(number, key)| SkippedKeyPickle {
                            number: *number,
                            key: *key.expose(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Restores a session from a pickle.
    ///
    /// # Errors
    /// [`PickleError::UnsupportedVersion`], or [`PickleError::Malformed`] if the state is
    /// inconsistent (a chain without its header key, skipped keys past the bounds).
    pub fn from_pickle(pickle: &SessionPickle) -> Result<Self, PickleError> {
        if pickle.version != SESSION_PICKLE_VERSION {
            return Err(PickleError::UnsupportedVersion);
        }
        let consistent = (pickle.receiving_chain.is_none() || pickle.header_recv.is_some())
            && (pickle.sending_chain.is_none() || pickle.header_send.is_some())
            && (!pickle.ratchet_pending || pickle.remote_ratchet.is_some())
            && pickle
                .skipped
                .iter()
                .all(|c| c.keys.len() <= MAX_SKIP as usize)
            && pickle.skipped.iter().map(|c| c.keys.len()).sum::<usize>() <= MAX_SKIPPED_KEYS;
        if !consistent {
            return Err(PickleError::Malformed);
        }
        let chains = pickle
            .skipped
            .iter()
            .map(|chain| SkippedChain {
                header_key: secret(&chain.header_key),
                keys: chain
                    .keys
                    .iter()
                    .map(|k| (k.number, secret(&k.key)))
                    .collect(),
            })
            .collect();
        Ok(Self {
            ad: pickle.ad.clone(),
            root: secret(&pickle.root),
            self_ratchet: X25519Secret::from_secret(&secret(&pickle.self_ratchet)),
            remote_ratchet: pickle.remote_ratchet.map(X25519Public::from_bytes),
            sending_chain: opt_secret(&pickle.sending_chain),
            receiving_chain: opt_secret(&pickle.receiving_chain),
            header_send: opt_secret(&pickle.header_send),
            header_recv: opt_secret(&pickle.header_recv),
            next_header_send: secret(&pickle.next_header_send),
            next_header_recv: secret(&pickle.next_header_recv),
            sent: pickle.sent,
            received: pickle.received,
            previous_sent: pickle.previous_sent,
            ratchet_pending: pickle.ratchet_pending,
            skipped: SkippedKeys::from_chains(chains),
        })
    }
}
