//! The hybrid X3DH handshake (X25519 + ML-KEM-768, in the manner of PQXDH) and the sealed
//! initial envelope that carries its first message past the relay.
//!
//! With A the initiator and B the responder, and IK meaning the X25519 identity key:
//!
//! ```text
//! DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)
//! DH4 = DH(EK_A, OPK_B)   (or the last-resort prekey when no one-time prekey was left)
//! (CT, SS) = ML-KEM-768.Encaps(PQPK_B)
//! SK = HKDF-SHA256(salt = 32 × 0x00, IKM = 32 × 0xFF || DH1 || DH2 || DH3 || DH4 || SS,
//!                  info = X3DH_INFO, L = 32)
//! AD = IK_A.keys || IK_B.keys    (ed25519 || x25519 of each: 128 bytes)
//! ```
//!
//! The relay always hands out a one-time or the last-resort prekey, so DH4 is always
//! present. The initiator then starts the Double Ratchet with SK, AD and the signed
//! prekey as the remote ratchet key; the responder with SK, AD and the signed prekey's
//! secret as its own ratchet key pair.

use super::bundle::{PrekeyRef, PrekeySet, VerifiedBundle};
use super::codec::{Reader, Writer};
use super::envelope::ENVELOPE_VERSION;
use super::identity::{Identity, PUBLIC_IDENTITY_LEN, PublicIdentity};
use crate::primitives::aead::{self, AeadKey};
use crate::primitives::mlkem::{self, KemCiphertext, KemPublic, KemSecret};
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::primitives::{CryptoError, Secret, kdf, random};
use corridor_wire::ENVELOPE_SIZE;
use rand_core::TryCryptoRng;
use std::fmt;
use zeroize::Zeroizing;

/// HKDF info for the handshake's shared secret.
pub const X3DH_INFO: &[u8] = b"Corridor_v1_X3DH_X25519_SHA-256_ML-KEM-768";
/// HKDF info for the initial envelope's hybrid (X25519 + ML-KEM-768) sealing key, also
/// the start of its AEAD associated data.
pub const INITIAL_SEAL_INFO: &[u8] = b"Corridor_v1_initial_envelope_X25519_ML-KEM-768";
/// Version byte that starts an [`InitialHeader`].
pub const INITIAL_HEADER_VERSION: u8 = 1;
/// Length of an encoded [`InitialHeader`].
pub const INITIAL_HEADER_LEN: usize =
    1 + PUBLIC_IDENTITY_LEN + 32 + 4 + 1 + 4 + 4 + mlkem::CIPHERTEXT_LEN;
/// Length of the sealing ephemeral key that follows the version byte of an initial
/// envelope.
pub const SEAL_EPHEMERAL_LEN: usize = 32;
/// Length of the clear prefix of an initial envelope: the version byte
/// ([`ENVELOPE_VERSION`], the same as every ratchet envelope's), the sealing key E' and
/// the seal's ML-KEM-768 ciphertext.
pub const INITIAL_PREFIX_LEN: usize = 1 + SEAL_EPHEMERAL_LEN + mlkem::CIPHERTEXT_LEN;
/// Exact length of the `inner` message an initial envelope carries (a ratchet message
/// built with `envelope::seal_with_capacity`).
pub const INITIAL_INNER_LEN: usize =
    ENVELOPE_SIZE - INITIAL_PREFIX_LEN - aead::TAG_LEN - INITIAL_HEADER_LEN;

/// Bit 7 of the last byte of an X25519 u-coordinate: always clear in a canonical key,
/// ignored by every receiver (RFC 7748 §5), so the sender fills it with a random bit.
const U_TOP_BIT: u8 = 0x80;
/// Length of the associated data: both identities' public keys.
pub const ASSOCIATED_DATA_LEN: usize = 128;

const PREKEY_ONE_TIME: u8 = 1;
const PREKEY_LAST_RESORT: u8 = 2;

/// Why a handshake or an initial envelope failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The envelope is not exactly [`ENVELOPE_SIZE`] bytes, or `inner` is not exactly
    /// [`INITIAL_INNER_LEN`] bytes.
    #[error("wrong length")]
    Length,
    /// The initial envelope did not decrypt (not for this seal key, or altered).
    #[error("initial envelope decryption failed")]
    Decrypt,
    /// The initial envelope does not start with [`ENVELOPE_VERSION`].
    #[error("unsupported envelope version")]
    EnvelopeVersion,
    /// The decrypted header does not have the expected layout.
    #[error("malformed initial header")]
    Malformed,
    /// Unknown header version.
    #[error("unsupported initial header version")]
    Version,
    /// The initiator's identity is invalid or its signature is bad.
    #[error("bad initiator identity")]
    Identity,
    /// The header names a prekey this responder does not hold (used, rotated or never
    /// issued).
    #[error("unknown prekey")]
    UnknownPrekey,
    /// A primitive failed: a non-contributory key exchange or the random generator.
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
}

/// What both sides derive: the shared secret SK and the associated data AD that the
/// Double Ratchet binds to every message, plus the peer's verified identity.
pub struct HandshakeOutput {
    /// SK.
    pub shared: Secret<32>,
    /// AD = IK_A keys || IK_B keys.
    pub associated_data: Vec<u8>,
    /// The other party's identity.
    pub peer: PublicIdentity,
}

impl fmt::Debug for HandshakeOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HandshakeOutput(redacted)")
    }
}

/// The initiator's result.
#[derive(Debug)]
pub struct Initiation {
    /// SK, AD and the responder's identity.
    pub output: HandshakeOutput,
    /// The header to seal into every initial envelope until the first reply arrives.
    pub header: InitialHeader,
    /// The responder's signed prekey: the initiator's first remote ratchet key.
    pub remote_ratchet: X25519Public,
    /// The bundle's verified ML-KEM-768 prekey: every initial envelope's seal
    /// encapsulates afresh to it ([`seal_initial`]).
    pub kem_prekey: KemPublic,
}

/// The responder's result.
#[derive(Debug)]
pub struct Response {
    /// SK, AD and the initiator's identity.
    pub output: HandshakeOutput,
    /// The signed prekey's secret: the responder's first ratchet key pair.
    pub own_ratchet: X25519Secret,
    /// The prekey the handshake used; pass it to [`PrekeySet::consume`] once the first
    /// message has decrypted.
    pub prekey: PrekeyRef,
}

/// What the initiator tells the responder, inside the sealed initial envelope.
#[derive(Clone, PartialEq, Eq)]
pub struct InitialHeader {
    initiator: PublicIdentity,
    ephemeral: X25519Public,
    signed_prekey_id: u32,
    prekey: PrekeyRef,
    kem_prekey_id: u32,
    kem_ciphertext: KemCiphertext,
}

impl InitialHeader {
    /// The initiator's identity.
    pub fn initiator(&self) -> &PublicIdentity {
        &self.initiator
    }

    /// The initiator's ephemeral key EK_A. Every initial envelope of one handshake repeats
    /// it, so the responder recognizes a repeat by it.
    pub fn ephemeral(&self) -> &X25519Public {
        &self.ephemeral
    }

    /// The prekey used for DH4.
    pub fn prekey(&self) -> PrekeyRef {
        self.prekey
    }

    /// `version || initiator identity || EK_A || SPK id || prekey kind || prekey id ||
    /// PQPK id || ML-KEM ciphertext` ([`INITIAL_HEADER_LEN`] bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(INITIAL_HEADER_LEN);
        out.put_u8(INITIAL_HEADER_VERSION);
        out.put(&self.initiator.encode());
        out.put(self.ephemeral.as_bytes());
        out.put_u32(self.signed_prekey_id);
        let (kind, id) = match self.prekey {
            PrekeyRef::OneTime(id) => (PREKEY_ONE_TIME, id),
            PrekeyRef::LastResort(id) => (PREKEY_LAST_RESORT, id),
        };
        out.put_u8(kind);
        out.put_u32(id);
        out.put_u32(self.kem_prekey_id);
        out.put(self.kem_ciphertext.as_bytes());
        out
    }

    /// Decodes a header and verifies the initiator identity's signature.
    ///
    /// # Errors
    /// See [`HandshakeError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, HandshakeError> {
        let m = |_| HandshakeError::Malformed;
        let mut r = Reader::new(bytes);
        if r.u8().map_err(m)? != INITIAL_HEADER_VERSION {
            return Err(HandshakeError::Version);
        }
        let initiator = PublicIdentity::decode(r.take(PUBLIC_IDENTITY_LEN).map_err(m)?)
            .map_err(|_| HandshakeError::Identity)?;
        let ephemeral = X25519Public::from_bytes(r.array().map_err(m)?);
        let signed_prekey_id = r.u32().map_err(m)?;
        let kind = r.u8().map_err(m)?;
        let id = r.u32().map_err(m)?;
        let prekey = match kind {
            PREKEY_ONE_TIME => PrekeyRef::OneTime(id),
            PREKEY_LAST_RESORT => PrekeyRef::LastResort(id),
            _ => return Err(HandshakeError::Malformed),
        };
        let kem_prekey_id = r.u32().map_err(m)?;
        let kem_ciphertext = KemCiphertext::from_bytes(r.take(mlkem::CIPHERTEXT_LEN).map_err(m)?)
            .map_err(|_| HandshakeError::Malformed)?;
        r.finish().map_err(m)?;
        Ok(Self {
            initiator,
            ephemeral,
            signed_prekey_id,
            prekey,
            kem_prekey_id,
            kem_ciphertext,
        })
    }
}

impl fmt::Debug for InitialHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InitialHeader(..)")
    }
}

fn derive(
    dh: [&Secret<32>; 4],
    kem_shared: &Secret<32>,
    initiator: &PublicIdentity,
    responder: &PublicIdentity,
) -> Result<(Secret<32>, Vec<u8>), CryptoError> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 * 6));
    ikm.extend_from_slice(&[0xFF; 32]);
    for secret in dh {
        ikm.extend_from_slice(secret.expose());
    }
    ikm.extend_from_slice(kem_shared.expose());
    let mut sk = Zeroizing::new([0u8; 32]);
    kdf::hkdf_sha256(&[0u8; 32], &ikm, X3DH_INFO, sk.as_mut_slice())?;
    let ad = [initiator.key_bytes(), responder.key_bytes()].concat();
    Ok((Secret::from_bytes(*sk), ad))
}

/// The initiator's side: runs the handshake against a verified bundle.
///
/// # Errors
/// [`HandshakeError::Crypto`] if a Diffie-Hellman is non-contributory or the generator
/// fails.
pub fn initiate<R: TryCryptoRng + ?Sized>(
    identity: &Identity,
    bundle: &VerifiedBundle,
    rng: &mut R,
) -> Result<Initiation, HandshakeError> {
    let ephemeral = X25519Secret::generate(rng)?;
    let peer = bundle.identity().clone();
    let (spk_id, spk) = bundle.signed_prekey();
    let (prekey, opk) = bundle.prekey();
    let (kem_id, kem) = bundle.kem_prekey();

    let dh1 = identity.dh_secret().diffie_hellman(spk)?;
    let dh2 = ephemeral.diffie_hellman(peer.dh_key())?;
    let dh3 = ephemeral.diffie_hellman(spk)?;
    let dh4 = ephemeral.diffie_hellman(opk)?;
    let (kem_ciphertext, kem_shared) = kem.encapsulate(rng)?;
    let own = identity.public();
    let (shared, associated_data) = derive([&dh1, &dh2, &dh3, &dh4], &kem_shared, &own, &peer)?;
    Ok(Initiation {
        output: HandshakeOutput {
            shared,
            associated_data,
            peer,
        },
        header: InitialHeader {
            initiator: own,
            ephemeral: ephemeral.public(),
            signed_prekey_id: spk_id,
            prekey,
            kem_prekey_id: kem_id,
            kem_ciphertext,
        },
        remote_ratchet: *spk,
        kem_prekey: kem.clone(),
    })
}

/// The responder's side: derives the same SK and AD from a received header.
///
/// Nothing here proves the initiator is live: the caller must authenticate the first
/// inner message with the result before acting on it or consuming the prekey.
///
/// # Errors
/// [`HandshakeError::UnknownPrekey`] if a prekey id is not held;
/// [`HandshakeError::Crypto`] for a non-contributory Diffie-Hellman.
pub fn respond(
    identity: &Identity,
    prekeys: &PrekeySet,
    header: &InitialHeader,
) -> Result<Response, HandshakeError> {
    let spk = prekeys
        .signed_secret(header.signed_prekey_id)
        .ok_or(HandshakeError::UnknownPrekey)?;
    let opk = prekeys
        .prekey_secret(header.prekey)
        .ok_or(HandshakeError::UnknownPrekey)?;
    let kem = prekeys
        .kem_secret(header.kem_prekey_id)
        .ok_or(HandshakeError::UnknownPrekey)?;
    let peer = header.initiator.clone();

    let dh1 = spk.diffie_hellman(peer.dh_key())?;
    let dh2 = identity.dh_secret().diffie_hellman(&header.ephemeral)?;
    let dh3 = spk.diffie_hellman(&header.ephemeral)?;
    let dh4 = opk.diffie_hellman(&header.ephemeral)?;
    let kem_shared = kem.decapsulate(&header.kem_ciphertext)?;
    let own = identity.public();
    let (shared, associated_data) = derive([&dh1, &dh2, &dh3, &dh4], &kem_shared, &peer, &own)?;
    Ok(Response {
        output: HandshakeOutput {
            shared,
            associated_data,
            peer,
        },
        own_ratchet: spk.clone(),
        prekey: header.prekey,
    })
}

fn initial_aad(prefix: &[u8; INITIAL_PREFIX_LEN]) -> Vec<u8> {
    [INITIAL_SEAL_INFO, prefix.as_slice()].concat()
}

/// The X-Wing-style combiner: both shared secrets, the X25519 "ciphertext" E, the seal
/// key S and the ML-KEM ciphertext into one HKDF-SHA256.
fn seal_key(
    ephemeral: &X25519Public,
    seal_public: &X25519Public,
    kem_ciphertext: &[u8],
    dh: &Secret<32>,
    kem_shared: &Secret<{ mlkem::SHARED_LEN }>,
) -> Result<AeadKey, CryptoError> {
    let salt = [
        ephemeral.as_bytes().as_slice(),
        seal_public.as_bytes(),
        kem_ciphertext,
    ]
    .concat();
    let mut ikm = Zeroizing::new([0u8; mlkem::SHARED_LEN + 32]);
    ikm[..mlkem::SHARED_LEN].copy_from_slice(kem_shared.expose());
    ikm[mlkem::SHARED_LEN..].copy_from_slice(dh.expose());
    let mut key = Zeroizing::new([0u8; 32]);
    kdf::hkdf_sha256(&salt, ikm.as_slice(), INITIAL_SEAL_INFO, key.as_mut_slice())?;
    Ok(Secret::from_bytes(*key))
}

/// Seals `header || inner` as one [`ENVELOPE_SIZE`]-byte envelope with a hybrid seal:
/// X25519 to the invitation's seal key S and ML-KEM-768 to the bundle's verified PQ
/// prekey (`kem_prekey`, [`Initiation::kem_prekey`]), combined as X-Wing does:
///
/// ```text
/// envelope = 0x01 || E' || CT_seal || ChaCha20-Poly1305(k, 0^12, aad, header || inner)
/// (CT_seal, SS) = ML-KEM-768.Encaps(PQPK)          fresh per envelope
/// k = HKDF-SHA256(salt = E || S || CT_seal, IKM = SS || DH(e, S), info = INITIAL_SEAL_INFO)
/// aad = INITIAL_SEAL_INFO || 0x01 || E' || CT_seal
/// ```
///
/// The nonce is zero because the key is used once (E and the encapsulation are fresh).
/// The first byte is [`ENVELOPE_VERSION`], as in every ratchet envelope, and E' is E
/// with its top bit (always clear in a canonical key) replaced by a random bit, so
/// neither the first byte nor the 33rd tells the relay an initial envelope from a
/// ratchet one. The salt uses the canonical E; the associated data holds the
/// transmitted prefix, so the envelope cannot be altered into a second valid one.
/// Opening needs both the seal secret and the PQ prekey's secret: breaking X25519 alone
/// (a quantum adversary) does not open the seal. The relay sees a fresh public key, a
/// fresh ML-KEM ciphertext and an AEAD ciphertext: no identity, prekey id or other
/// stable value. Neither an X25519 u-coordinate nor an ML-KEM ciphertext is uniformly
/// random, so a statistical test over many envelopes can still separate them (see
/// `docs/protocol.md`).
///
/// Randomness is drawn in this order: e (32 bytes), the coin (1 byte), the ML-KEM
/// message m (32 bytes).
///
/// # Errors
/// [`HandshakeError::Length`] unless `inner` is exactly [`INITIAL_INNER_LEN`] bytes;
/// [`HandshakeError::Crypto`] for a low-order seal key or a generator failure.
pub fn seal_initial<R: TryCryptoRng + ?Sized>(
    seal_public: &X25519Public,
    kem_prekey: &KemPublic,
    header: &InitialHeader,
    inner: &[u8],
    rng: &mut R,
) -> Result<[u8; ENVELOPE_SIZE], HandshakeError> {
    if inner.len() != INITIAL_INNER_LEN {
        return Err(HandshakeError::Length);
    }
    let ephemeral = X25519Secret::generate(rng)?;
    let e_pub = ephemeral.public();
    let [coin]: [u8; 1] = random::array(rng)?;
    let (kem_ciphertext, kem_shared) = kem_prekey.encapsulate(rng)?;
    let dh = ephemeral.diffie_hellman(seal_public)?;
    let key = seal_key(
        &e_pub,
        seal_public,
        kem_ciphertext.as_bytes(),
        &dh,
        &kem_shared,
    )?;
    let mut prefix = [0u8; INITIAL_PREFIX_LEN];
    prefix[0] = ENVELOPE_VERSION;
    prefix[1..=SEAL_EPHEMERAL_LEN].copy_from_slice(e_pub.as_bytes());
    prefix[SEAL_EPHEMERAL_LEN] |= coin & U_TOP_BIT;
    prefix[1 + SEAL_EPHEMERAL_LEN..].copy_from_slice(kem_ciphertext.as_bytes());
    let mut plain = Zeroizing::new(header.encode());
    plain.extend_from_slice(inner);
    let sealed = aead::seal(&key, &[0u8; aead::NONCE_LEN], &initial_aad(&prefix), &plain)?;
    let mut out = [0u8; ENVELOPE_SIZE];
    let (head, body) = out.split_at_mut(INITIAL_PREFIX_LEN);
    head.copy_from_slice(&prefix);
    if body.len() != sealed.len() {
        return Err(HandshakeError::Length);
    }
    body.copy_from_slice(&sealed);
    Ok(out)
}

/// An opened initial envelope.
#[derive(Debug)]
pub struct OpenedInitial {
    /// The handshake header (initiator identity verified).
    pub header: InitialHeader,
    /// The first ratchet message, [`INITIAL_INNER_LEN`] bytes.
    pub inner: Zeroizing<Vec<u8>>,
}

/// Opens an initial envelope with the invitation's seal secret and its ML-KEM-768
/// prekey secrets (`kem_secrets`: the current and, during a rotation's overlap, the
/// previous one, [`PrekeySet::kem_secrets`]). Each is tried in turn (no PQ prekey id is
/// in the clear: it would mark every envelope made against one bundle); the seal opens
/// only if both the X25519 and the ML-KEM part are right.
///
/// # Errors
/// [`HandshakeError::Length`] for input that is not [`ENVELOPE_SIZE`] bytes,
/// [`HandshakeError::EnvelopeVersion`] if the first byte is not [`ENVELOPE_VERSION`],
/// [`HandshakeError::Decrypt`] for anything not sealed to these keys or altered
/// (including an empty `kem_secrets`), and the header's decoding errors. Never panics
/// on arbitrary input.
pub fn open_initial(
    seal_secret: &X25519Secret,
    kem_secrets: &[&KemSecret],
    envelope: &[u8],
) -> Result<OpenedInitial, HandshakeError> {
    if envelope.len() != ENVELOPE_SIZE {
        return Err(HandshakeError::Length);
    }
    let (head, body) = envelope
        .split_at_checked(INITIAL_PREFIX_LEN)
        .ok_or(HandshakeError::Length)?;
    let prefix: [u8; INITIAL_PREFIX_LEN] = head.try_into().map_err(|_| HandshakeError::Length)?;
    if prefix[0] != ENVELOPE_VERSION {
        return Err(HandshakeError::EnvelopeVersion);
    }
    // The canonical E (top bit clear) is what the salt was derived from.
    let mut canonical = [0u8; SEAL_EPHEMERAL_LEN];
    canonical.copy_from_slice(&prefix[1..=SEAL_EPHEMERAL_LEN]);
    canonical[SEAL_EPHEMERAL_LEN - 1] &= !U_TOP_BIT;
    let e_pub = X25519Public::from_bytes(canonical);
    let ct_bytes = &prefix[1 + SEAL_EPHEMERAL_LEN..];
    let kem_ciphertext = KemCiphertext::from_bytes(ct_bytes).map_err(|_| HandshakeError::Length)?;
    let dh = seal_secret
        .diffie_hellman(&e_pub)
        .map_err(|_| HandshakeError::Decrypt)?;
    let seal_public = seal_secret.public();
    let aad = initial_aad(&prefix);
    let mut opened = None;
    for kem_secret in kem_secrets {
        let kem_shared = kem_secret
            .decapsulate(&kem_ciphertext)
            .map_err(|_| HandshakeError::Decrypt)?;
        let key = seal_key(&e_pub, &seal_public, ct_bytes, &dh, &kem_shared)
            .map_err(|_| HandshakeError::Decrypt)?;
        if let Ok(plain) = aead::open(&key, &[0u8; aead::NONCE_LEN], &aad, body) {
            opened = Some(plain);
            break;
        }
    }
    let plain = opened.ok_or(HandshakeError::Decrypt)?;
    let (header, inner) = plain
        .split_at_checked(INITIAL_HEADER_LEN)
        .ok_or(HandshakeError::Malformed)?;
    Ok(OpenedInitial {
        header: InitialHeader::decode(header)?,
        inner: Zeroizing::new(inner.to_vec()),
    })
}
