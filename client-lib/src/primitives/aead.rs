//! ChaCha20-Poly1305 (RFC 8439).
//!
//! Nonces are the caller's business: every key in Corridor is used either with a counter
//! nonce under a key that is used once per message (the ratchet) or once only (sealing), so
//! the protocol layer decides how nonces are formed and documents it in `docs/protocol.md`.

use super::error::CryptoError;
use super::secret::Secret;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use zeroize::Zeroizing;

/// A ChaCha20-Poly1305 key.
pub type AeadKey = Secret<32>;

/// Length of the authentication tag appended to every ciphertext.
pub const TAG_LEN: usize = 16;

/// Length of a nonce.
pub const NONCE_LEN: usize = 12;

/// Length of a key.
pub const KEY_LEN: usize = 32;

fn cipher(key: &AeadKey) -> Result<ChaCha20Poly1305, CryptoError> {
    // From a slice, so no unzeroized copy of the key lands in this stack frame.
    ChaCha20Poly1305::new_from_slice(key.expose()).map_err(|_| CryptoError::Length)
}

/// Encrypts `plaintext` and authenticates it together with `aad`.
///
/// Returns `ciphertext || tag`, `plaintext.len() + TAG_LEN` bytes.
///
/// # Errors
/// [`CryptoError::Length`] if the input exceeds ChaCha20-Poly1305's limits (256 GiB).
pub fn seal(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    // Zeroizing until it holds only ciphertext, so a refused input leaves no plaintext copy.
    let mut buffer = Zeroizing::new(Vec::with_capacity(plaintext.len() + TAG_LEN));
    buffer.extend_from_slice(plaintext);
    cipher(key)?
        .encrypt_in_place(&Nonce::from(*nonce), aad, &mut *buffer)
        .map_err(|_| CryptoError::Length)?;
    Ok(std::mem::take(&mut *buffer))
}

/// Checks and decrypts `ciphertext || tag`.
///
/// # Errors
/// [`CryptoError::Decrypt`] for every failure, including input shorter than a tag.
pub fn open(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() < TAG_LEN {
        return Err(CryptoError::Decrypt);
    }
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    cipher(key)
        .map_err(|_| CryptoError::Decrypt)?
        .decrypt_in_place(&Nonce::from(*nonce), aad, &mut *buffer)
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::HEXLOWER;

    fn hex(s: &str) -> Vec<u8> {
        HEXLOWER.decode(s.as_bytes()).unwrap()
    }

    const PLAINTEXT: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";

    fn rfc8439() -> (AeadKey, [u8; 12], Vec<u8>) {
        let key_bytes: Vec<u8> = (0x80u8..=0x9f).collect();
        let key = AeadKey::try_from_slice(&key_bytes).unwrap();
        let nonce: [u8; 12] = hex("070000004041424344454647").try_into().unwrap();
        (key, nonce, hex("50515253c0c1c2c3c4c5c6c7"))
    }

    /// RFC 8439 section 2.8.2.
    #[test]
    fn rfc8439_known_answer() {
        let (key, nonce, aad) = rfc8439();
        let sealed = seal(&key, &nonce, &aad, PLAINTEXT).unwrap();
        let expected = hex(concat!(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6",
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36",
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc",
            "3ff4def08e4b7a9de576d26586cec64b6116",
            "1ae10b594f09e26a7e902ecbd0600691"
        ));
        assert_eq!(sealed, expected);
        assert_eq!(
            open(&key, &nonce, &aad, &sealed).unwrap().as_slice(),
            PLAINTEXT
        );
    }

    #[test]
    fn every_bit_flip_is_rejected() {
        let (key, nonce, aad) = rfc8439();
        let sealed = seal(&key, &nonce, &aad, b"short message").unwrap();
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                open(&key, &nonce, &aad, &bad).err(),
                Some(CryptoError::Decrypt)
            );
        }
        let mut bad_aad = aad.clone();
        bad_aad[0] ^= 1;
        assert_eq!(
            open(&key, &nonce, &bad_aad, &sealed).err(),
            Some(CryptoError::Decrypt)
        );
        let mut bad_nonce = nonce;
        bad_nonce[11] ^= 0x80;
        assert_eq!(
            open(&key, &bad_nonce, &aad, &sealed).err(),
            Some(CryptoError::Decrypt)
        );
    }

    #[test]
    fn short_input_is_a_decrypt_error() {
        let (key, nonce, aad) = rfc8439();
        for len in 0..TAG_LEN {
            assert_eq!(
                open(&key, &nonce, &aad, &vec![0u8; len]).err(),
                Some(CryptoError::Decrypt)
            );
        }
    }
}
