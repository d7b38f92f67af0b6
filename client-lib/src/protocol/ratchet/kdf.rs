//! The ratchet's key derivations: initial keys from the handshake secret, the root KDF, the
//! chain KDF and the message-key expansion. Every label is documented in `docs/protocol.md`
//! ("Double Ratchet"), byte for byte.
//!
//! Public so that test vectors can pin each step on its own and a second implementation can
//! check itself step by step; a [`super::Session`] is the only thing that needs them.

use crate::primitives::aead::{AeadKey, NONCE_LEN};
use crate::primitives::kdf::{hkdf_sha256, hmac_sha256};
use crate::primitives::{CryptoError, Secret};
use zeroize::Zeroizing;

/// HKDF info for the initial root key derived from the handshake secret SK.
pub const LABEL_INIT_ROOT: &[u8] = b"Corridor_v1_ratchet_init_root";
/// HKDF info for the shared header key HKa: the initiator's first sending header key.
pub const LABEL_INIT_HKA: &[u8] = b"Corridor_v1_ratchet_init_header_a";
/// HKDF info for the shared next header key NHKb: the responder's first sending header key.
pub const LABEL_INIT_NHKB: &[u8] = b"Corridor_v1_ratchet_init_next_header_b";
/// HKDF info of the root KDF.
pub const LABEL_ROOT: &[u8] = b"Corridor_v1_ratchet_root";
/// HKDF info that expands a message key (with the header nonce as salt) into an AEAD key
/// and nonce.
pub const LABEL_MESSAGE: &[u8] = b"Corridor_v1_ratchet_message_key";
/// HMAC input that derives a message key from a chain key.
pub const CHAIN_MESSAGE_BYTE: u8 = 0x01;
/// HMAC input that derives the next chain key from a chain key.
pub const CHAIN_NEXT_BYTE: u8 = 0x02;

/// 32 zero bytes: the HKDF salt wherever the input key material is already uniform.
const ZERO_SALT: [u8; 32] = [0u8; 32];

fn hkdf32(salt: &[u8], ikm: &[u8], info: &[u8]) -> Result<Secret<32>, CryptoError> {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf_sha256(salt, ikm, info, out.as_mut_slice())?;
    Ok(Secret::from_bytes(*out))
}

/// The three keys both parties derive from the handshake secret.
pub struct InitialKeys {
    /// RK0, the responder's first root key (the initiator's first root-KDF salt).
    pub root: Secret<32>,
    /// HKa: the initiator's first sending header key.
    pub header_a: Secret<32>,
    /// NHKb: the responder's first sending header key.
    pub next_header_b: Secret<32>,
}

/// RK0, HKa, NHKb from SK, each under its own label.
///
/// # Errors
/// Never for these lengths; the `Result` keeps the path free of panics.
pub fn initial_keys(sk: &Secret<32>) -> Result<InitialKeys, CryptoError> {
    Ok(InitialKeys {
        root: hkdf32(&ZERO_SALT, sk.expose(), LABEL_INIT_ROOT)?,
        header_a: hkdf32(&ZERO_SALT, sk.expose(), LABEL_INIT_HKA)?,
        next_header_b: hkdf32(&ZERO_SALT, sk.expose(), LABEL_INIT_NHKB)?,
    })
}

/// The root KDF's output: the next root key, a new chain key and the next header key.
pub struct RootStep {
    /// RK': the next root key.
    pub root: Secret<32>,
    /// CK: the new chain key.
    pub chain: Secret<32>,
    /// NHK: the next header key for the same direction as the new chain.
    pub next_header: Secret<32>,
}

/// KDF_RK_HE: HKDF-SHA256 with the root key as salt and the DH output as input key
/// material, 96 bytes split into RK' || CK || NHK.
///
/// # Errors
/// Never for these lengths; the `Result` keeps the path free of panics.
pub fn root_step(root: &Secret<32>, dh_out: &Secret<32>) -> Result<RootStep, CryptoError> {
    let mut out = Zeroizing::new([0u8; 96]);
    hkdf_sha256(
        root.expose(),
        dh_out.expose(),
        LABEL_ROOT,
        out.as_mut_slice(),
    )?;
    Ok(RootStep {
        root: Secret::try_from_slice(&out[..32])?,
        chain: Secret::try_from_slice(&out[32..64])?,
        next_header: Secret::try_from_slice(&out[64..])?,
    })
}

/// KDF_CK: (next chain key, message key) = (HMAC(CK, 0x02), HMAC(CK, 0x01)).
pub fn chain_step(chain: &Secret<32>) -> (Secret<32>, Secret<32>) {
    let message = hmac_sha256(chain.expose(), &[CHAIN_MESSAGE_BYTE]);
    let next = hmac_sha256(chain.expose(), &[CHAIN_NEXT_BYTE]);
    (next, message)
}

/// The AEAD key and nonce of one message, expanded from its message key.
pub struct MessageCipher {
    /// The ChaCha20-Poly1305 key.
    pub key: AeadKey,
    /// The ChaCha20-Poly1305 nonce.
    pub nonce: [u8; NONCE_LEN],
}

/// HKDF-SHA256(salt = `header_nonce`, ikm = MK, info = [`LABEL_MESSAGE`]) → 44 bytes:
/// key (32) || nonce (12).
///
/// `header_nonce` is the 12 random bytes that start the message's encrypted header (drawn
/// fresh for every encryption). A sender whose state was rolled back (a crash before the
/// state reached the disk, a restored backup, an imaged disk) derives the same message key
/// MK for a repeated message number, but draws a new header nonce, so its body key and
/// nonce differ: it can never encrypt two plaintexts under one ChaCha20 key and nonce.
///
/// # Errors
/// Never for these lengths; the `Result` keeps the path free of panics.
pub fn message_cipher(
    message_key: &Secret<32>,
    header_nonce: &[u8; NONCE_LEN],
) -> Result<MessageCipher, CryptoError> {
    let mut out = Zeroizing::new([0u8; 32 + NONCE_LEN]);
    hkdf_sha256(
        header_nonce,
        message_key.expose(),
        LABEL_MESSAGE,
        out.as_mut_slice(),
    )?;
    let key = AeadKey::try_from_slice(&out[..32])?;
    let nonce: [u8; NONCE_LEN] = out[32..].try_into().map_err(|_| CryptoError::Length)?;
    Ok(MessageCipher { key, nonce })
}
