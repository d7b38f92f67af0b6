//! Long-term identity: an Ed25519 signing key plus an X25519 key it signs, the
//! identity's fingerprint, and the safety number two people compare.

use super::codec::{Reader, Writer};
use super::pickle::{self, PickleError};
use crate::primitives::ed25519::{Signature, SigningKey, VerifyingKey};
use crate::primitives::kdf;
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::primitives::{CryptoError, Secret};
use data_encoding::{BASE32_NOPAD, HEXLOWER};
use rand_core::TryCryptoRng;
use std::fmt;
use zeroize::Zeroizing;

/// Version byte that starts an encoded [`PublicIdentity`].
pub const IDENTITY_VERSION: u8 = 1;
/// Length of an encoded [`PublicIdentity`]: version, Ed25519 key, X25519 key, signature.
pub const PUBLIC_IDENTITY_LEN: usize = 1 + 32 + 32 + 64;
/// What the Ed25519 key signs, followed by the X25519 public key.
pub const DH_KEY_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_identity_dh_key";
/// Prefix of the fingerprint hash input.
pub const FINGERPRINT_LABEL: &[u8] = b"Corridor_v1_fingerprint";
/// The stable id hashed into every safety-number half (Corridor has no phone numbers).
pub const SAFETY_NUMBER_ID: &[u8] = b"Corridor_v1_safety_number";
/// Iterations of SHA-512 per safety-number half (the same as Signal's).
pub const SAFETY_NUMBER_ITERATIONS: u32 = 5200;
/// Version that starts the compact (QR) safety-number form.
pub const SAFETY_NUMBER_VERSION: u8 = 1;
/// Text prefix of the compact safety-number form.
pub const SAFETY_NUMBER_PREFIX: &str = "CSN1-";
/// Content version inside an identity pickle.
const IDENTITY_PICKLE_VERSION: u8 = 1;
/// Pickle type label for an [`Identity`].
pub const IDENTITY_PICKLE_LABEL: &str = "identity";

/// Why an encoded identity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Not exactly [`PUBLIC_IDENTITY_LEN`] bytes.
    #[error("identity has the wrong length")]
    Length,
    /// Unknown version byte.
    #[error("unsupported identity version")]
    Version,
    /// The Ed25519 key is invalid or weak.
    #[error("invalid identity key")]
    BadKey,
    /// The Ed25519 key's signature over the X25519 key does not verify.
    #[error("bad identity signature")]
    BadSignature,
}

/// A person's (or device's) long-term secret identity.
///
/// Not `Serialize`: it reaches disk only through [`Identity::pickle`].
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    signing: SigningKey,
    dh: X25519Secret,
    /// The public half, computed once when the identity is made or unpickled (a base-point
    /// multiplication and a signature; Ed25519 signatures are deterministic, so it is the
    /// same value [`Identity::public`] would compute each time).
    public: PublicIdentity,
}

impl Identity {
    /// A fresh identity: 64 bytes from `rng` (Ed25519 seed, then X25519 key).
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        let signing = SigningKey::generate(rng)?;
        let dh = X25519Secret::generate(rng)?;
        Ok(Self::from_keys(signing, dh))
    }

    fn from_keys(signing: SigningKey, dh: X25519Secret) -> Self {
        let dh_public = dh.public();
        let public = PublicIdentity {
            signing: signing.verifying_key(),
            dh: dh_public,
            signature: signing.sign(&dh_signature_message(&dh_public)),
        };
        Self {
            signing,
            dh,
            public,
        }
    }

    /// The public half, with the signature binding the X25519 key to the Ed25519 key.
    pub fn public(&self) -> PublicIdentity {
        self.public.clone()
    }

    /// Signs `message` with the identity's Ed25519 key. Callers must prefix `message`
    /// with a label of their own (see `docs/protocol.md`) so signatures cannot be
    /// replayed across purposes.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// The X25519 identity key, used as IK in the handshake's Diffie-Hellmans.
    pub fn dh_secret(&self) -> &X25519Secret {
        &self.dh
    }

    /// The identity's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.public().fingerprint()
    }

    /// Encrypts the identity for the store under `key` (see [`pickle`]).
    ///
    /// # Errors
    /// [`PickleError::Crypto`] if the generator fails.
    pub fn pickle<R: TryCryptoRng + ?Sized>(
        &self,
        key: &Secret<32>,
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let mut plain = Zeroizing::new(Vec::with_capacity(65));
        plain.put_u8(IDENTITY_PICKLE_VERSION);
        plain.put(self.signing.to_secret().expose());
        plain.put(self.dh.to_secret().expose());
        pickle::seal(key, IDENTITY_PICKLE_LABEL, &plain, rng)
    }

    /// Decrypts an identity pickled by [`Identity::pickle`].
    ///
    /// # Errors
    /// [`PickleError::Decrypt`] under the wrong key, for another pickle type or for any
    /// alteration; [`PickleError::Version`] or [`PickleError::Malformed`] for content this
    /// version does not understand.
    pub fn unpickle(key: &Secret<32>, pickled: &[u8]) -> Result<Self, PickleError> {
        let plain = pickle::open(key, IDENTITY_PICKLE_LABEL, pickled)?;
        let mut r = Reader::new(&plain);
        if r.u8().map_err(|_| PickleError::Malformed)? != IDENTITY_PICKLE_VERSION {
            return Err(PickleError::Version);
        }
        let signing = Secret::<32>::try_from_slice(r.take(32).map_err(|_| PickleError::Malformed)?)
            .map_err(|_| PickleError::Malformed)?;
        let dh = Secret::<32>::try_from_slice(r.take(32).map_err(|_| PickleError::Malformed)?)
            .map_err(|_| PickleError::Malformed)?;
        r.finish().map_err(|_| PickleError::Malformed)?;
        Ok(Self::from_keys(
            SigningKey::from_secret(&signing),
            X25519Secret::from_secret(&dh),
        ))
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identity(redacted)")
    }
}

fn dh_signature_message(dh: &X25519Public) -> Vec<u8> {
    [DH_KEY_SIGNATURE_LABEL, dh.as_bytes().as_slice()].concat()
}

/// The public half of an [`Identity`]: the Ed25519 key, the X25519 key, and the Ed25519
/// signature over the X25519 key. A value of this type has always had its signature
/// checked.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicIdentity {
    signing: VerifyingKey,
    dh: X25519Public,
    signature: Signature,
}

impl PublicIdentity {
    /// The Ed25519 key.
    pub fn signing_key(&self) -> &VerifyingKey {
        &self.signing
    }

    /// The X25519 key.
    pub fn dh_key(&self) -> &X25519Public {
        &self.dh
    }

    /// `version || ed25519 key || x25519 key || signature` ([`PUBLIC_IDENTITY_LEN`] bytes).
    pub fn encode(&self) -> [u8; PUBLIC_IDENTITY_LEN] {
        let mut out = Vec::with_capacity(PUBLIC_IDENTITY_LEN);
        out.put_u8(IDENTITY_VERSION);
        out.put(self.signing.as_bytes());
        out.put(self.dh.as_bytes());
        out.put(&self.signature.to_bytes());
        let mut array = [0u8; PUBLIC_IDENTITY_LEN];
        array.copy_from_slice(&out);
        array
    }

    /// Decodes and verifies an encoded identity.
    ///
    /// # Errors
    /// See [`IdentityError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, IdentityError> {
        if bytes.len() != PUBLIC_IDENTITY_LEN {
            return Err(IdentityError::Length);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8().map_err(|_| IdentityError::Length)?;
        if version != IDENTITY_VERSION {
            return Err(IdentityError::Version);
        }
        let signing = VerifyingKey::from_bytes(&r.array().map_err(|_| IdentityError::Length)?)
            .map_err(|_| IdentityError::BadKey)?;
        let dh = X25519Public::from_bytes(r.array().map_err(|_| IdentityError::Length)?);
        let signature = Signature::from_bytes(r.array().map_err(|_| IdentityError::Length)?);
        r.finish().map_err(|_| IdentityError::Length)?;
        signing
            .verify(&dh_signature_message(&dh), &signature)
            .map_err(|_| IdentityError::BadSignature)?;
        Ok(Self {
            signing,
            dh,
            signature,
        })
    }

    /// The two public keys, `ed25519 || x25519` (64 bytes): what the fingerprint, the
    /// safety number and the handshake's associated data are computed over.
    pub fn key_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.signing.as_bytes());
        out[32..].copy_from_slice(self.dh.as_bytes());
        out
    }

    /// SHA-256(`FINGERPRINT_LABEL || ed25519 || x25519`).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(kdf::sha256_parts(&[FINGERPRINT_LABEL, &self.key_bytes()]))
    }
}

impl fmt::Debug for PublicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicIdentity(..)")
    }
}

/// An identity's 32-byte fingerprint. `Display` shows lowercase hex in groups of four;
/// `Debug` shows nothing, so fingerprints do not end up in logs by accident.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = HEXLOWER.encode(&self.0);
        let groups: Vec<&str> = hex
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        f.write_str(&groups.join(" "))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprint(..)")
    }
}

/// The number two people compare (aloud, or by scanning) to be sure each holds the
/// other's real identity. Both sides compute the same value.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyNumber {
    digits: String,
    compact: String,
}

impl SafetyNumber {
    /// The 60 digits without separators.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The 60 digits in twelve groups of five, separated by spaces, as Signal shows them.
    pub fn grouped(&self) -> String {
        let groups: Vec<&str> = self
            .digits
            .as_bytes()
            .chunks(5)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        groups.join(" ")
    }

    /// The compact form for a QR code: [`SAFETY_NUMBER_PREFIX`] then unpadded RFC 4648
    /// base32 of `version || lower fingerprint || higher fingerprint`.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    /// Whether a scanned compact form matches ours (case and surrounding whitespace are
    /// ignored).
    pub fn matches_compact(&self, scanned: &str) -> bool {
        scanned.trim().eq_ignore_ascii_case(&self.compact)
    }
}

impl fmt::Display for SafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl fmt::Debug for SafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SafetyNumber(..)")
    }
}

/// 30 digits for one identity, as Signal's `NumericFingerprintGenerator` computes them:
/// `h = SHA-512(0x0000 || key || id)`, then 5200 times `h = SHA-512(h || key)`; the first
/// 30 bytes make six 5-byte big-endian integers, each reduced mod 100000 to 5 digits.
fn safety_half(identity: &PublicIdentity) -> String {
    let key = identity.key_bytes();
    let mut hash = kdf::sha512_parts(&[&[0u8, 0u8], &key, SAFETY_NUMBER_ID]);
    for _ in 0..SAFETY_NUMBER_ITERATIONS {
        hash = kdf::sha512_parts(&[&hash, &key]);
    }
    let mut out = String::with_capacity(30);
    for chunk in hash.chunks(5).take(6) {
        let mut value = 0u64;
        for byte in chunk {
            value = (value << 8) | u64::from(*byte);
        }
        out.push_str(&format!("{:05}", value % 100_000));
    }
    out
}

/// The safety number of two identities. Symmetric: `safety_number(a, b) ==
/// safety_number(b, a)`. The halves are ordered by their digit strings (the compact form
/// by the fingerprints), so no "local" or "remote" role is needed.
pub fn safety_number(a: &PublicIdentity, b: &PublicIdentity) -> SafetyNumber {
    let (ha, hb) = (safety_half(a), safety_half(b));
    let digits = if ha <= hb { ha + &hb } else { hb + &ha };
    let (fa, fb) = (a.fingerprint(), b.fingerprint());
    let (lo, hi) = if fa.0 <= fb.0 { (fa, fb) } else { (fb, fa) };
    let mut raw = Vec::with_capacity(65);
    raw.put_u8(SAFETY_NUMBER_VERSION);
    raw.put(&lo.0);
    raw.put(&hi.0);
    let compact = format!("{SAFETY_NUMBER_PREFIX}{}", BASE32_NOPAD.encode(&raw));
    SafetyNumber { digits, compact }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;

    #[test]
    fn encode_decode_round_trip() {
        let id = Identity::generate(&mut OsRng).unwrap();
        let public = id.public();
        let bytes = public.encode();
        assert_eq!(PublicIdentity::decode(&bytes).unwrap(), public);
        assert_eq!(
            PublicIdentity::decode(&bytes[..128]).err(),
            Some(IdentityError::Length)
        );
        let mut wrong_version = bytes;
        wrong_version[0] = 2;
        assert_eq!(
            PublicIdentity::decode(&wrong_version).err(),
            Some(IdentityError::Version)
        );
    }

    #[test]
    fn every_bit_flip_is_rejected() {
        let public = Identity::generate(&mut OsRng).unwrap().public();
        let bytes = public.encode();
        for i in 0..bytes.len() * 8 {
            let mut bad = bytes;
            bad[i / 8] ^= 1 << (i % 8);
            assert!(PublicIdentity::decode(&bad).is_err(), "bit {i} accepted");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let id = Identity::generate(&mut OsRng).unwrap();
        assert_eq!(format!("{id:?}"), "Identity(redacted)");
        assert_eq!(format!("{:?}", id.fingerprint()), "Fingerprint(..)");
    }

    #[test]
    fn safety_number_shape() {
        let a = Identity::generate(&mut OsRng).unwrap().public();
        let b = Identity::generate(&mut OsRng).unwrap().public();
        let n = safety_number(&a, &b);
        assert_eq!(n.digits().len(), 60);
        assert!(n.digits().bytes().all(|c| c.is_ascii_digit()));
        let grouped = n.grouped();
        assert_eq!(grouped.split(' ').count(), 12);
        assert!(grouped.split(' ').all(|g| g.len() == 5));
        assert!(n.compact().starts_with(SAFETY_NUMBER_PREFIX));
        assert!(n.matches_compact(&n.compact().to_lowercase()));
    }
}
