//! The ratchet header and its encryption (the header-encryption variant of the Double
//! Ratchet).
//!
//! Plaintext header, [`HEADER_LEN`] bytes:
//! `version (1) || ratchet public key (32) || PN (u32 big-endian) || N (u32 big-endian)`.
//!
//! Encrypted header, [`ENCRYPTED_HEADER_LEN`] bytes:
//! `nonce (12) || ChaCha20-Poly1305(header key, nonce, aad = session AD, header) (41 + 16)`.
//! A header key serves a whole chain, so its nonces cannot be counters that an observer
//! could link; they are fresh random bytes.

use crate::primitives::aead::{self, NONCE_LEN, TAG_LEN};
use crate::primitives::random::{self, TryCryptoRng};
use crate::primitives::x25519::X25519Public;
use crate::primitives::{CryptoError, Secret};

/// The header version this code writes and accepts.
pub(crate) const HEADER_VERSION: u8 = 1;
/// Length of a plaintext header.
pub(crate) const HEADER_LEN: usize = 1 + 32 + 4 + 4;
/// Length of an encrypted header as it appears at the start of a ratchet message.
pub(crate) const ENCRYPTED_HEADER_LEN: usize = NONCE_LEN + HEADER_LEN + TAG_LEN;

/// A decrypted header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The sender's current ratchet public key.
    pub(crate) ratchet_key: X25519Public,
    /// Number of messages in the sender's previous sending chain.
    pub(crate) previous_chain_len: u32,
    /// This message's number in the sender's current sending chain.
    pub(crate) number: u32,
}

/// Why an authenticated header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// Did not authenticate under the key tried.
    Decrypt,
    /// Authenticated, but a version this code does not speak.
    Version,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = HEADER_VERSION;
        out[1..33].copy_from_slice(self.ratchet_key.as_bytes());
        out[33..37].copy_from_slice(&self.previous_chain_len.to_be_bytes());
        out[37..41].copy_from_slice(&self.number.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let bytes: &[u8; HEADER_LEN] = bytes.try_into().map_err(|_| HeaderError::Decrypt)?;
        let (version, rest) = bytes.split_first().ok_or(HeaderError::Decrypt)?;
        if *version != HEADER_VERSION {
            return Err(HeaderError::Version);
        }
        let (key, rest) = rest.split_at_checked(32).ok_or(HeaderError::Decrypt)?;
        let (pn, n) = rest.split_at_checked(4).ok_or(HeaderError::Decrypt)?;
        let key: [u8; 32] = key.try_into().map_err(|_| HeaderError::Decrypt)?;
        let pn: [u8; 4] = pn.try_into().map_err(|_| HeaderError::Decrypt)?;
        let n: [u8; 4] = n.try_into().map_err(|_| HeaderError::Decrypt)?;
        Ok(Self {
            ratchet_key: X25519Public::from_bytes(key),
            previous_chain_len: u32::from_be_bytes(pn),
            number: u32::from_be_bytes(n),
        })
    }

    /// Encrypts the header under `key` with a fresh random nonce, binding `ad`.
    pub(crate) fn seal<R: TryCryptoRng + ?Sized>(
        &self,
        key: &Secret<32>,
        ad: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = random::array(rng)?;
        let sealed = aead::seal(key, &nonce, ad, &self.encode())?;
        let mut out = Vec::with_capacity(ENCRYPTED_HEADER_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Tries to decrypt an encrypted header (exactly [`ENCRYPTED_HEADER_LEN`] bytes) under
    /// `key`.
    pub(crate) fn open(encrypted: &[u8], key: &Secret<32>, ad: &[u8]) -> Result<Self, HeaderError> {
        if encrypted.len() != ENCRYPTED_HEADER_LEN {
            return Err(HeaderError::Decrypt);
        }
        let (nonce, sealed) = encrypted
            .split_at_checked(NONCE_LEN)
            .ok_or(HeaderError::Decrypt)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| HeaderError::Decrypt)?;
        let plain = aead::open(key, &nonce, ad, sealed).map_err(|_| HeaderError::Decrypt)?;
        Self::decode(&plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let header = Header {
            ratchet_key: X25519Public::from_bytes([7u8; 32]),
            previous_chain_len: 0x0102_0304,
            number: 0xA0B0_C0D0,
        };
        let bytes = header.encode();
        assert_eq!(bytes[0], HEADER_VERSION);
        assert_eq!(&bytes[33..], &[1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD0]);
        assert_eq!(Header::decode(&bytes), Ok(header));
        let mut other = bytes;
        other[0] = 2;
        assert_eq!(Header::decode(&other), Err(HeaderError::Version));
        assert_eq!(Header::decode(&bytes[1..]), Err(HeaderError::Decrypt));
    }
}
