//! Prekeys: the responder's secret prekey set and the signed bundle it publishes, and the
//! initiator's verification of a fetched bundle.
//!
//! A bundle maps onto [`corridor_wire::api::Bundle`]:
//!
//! - `signed`: `version || identity || signed prekey (id, key, sig) || ML-KEM-768 prekey
//!   (id, key, sig)`;
//! - `one_time[i]`: id in the wire struct, `key = x25519 || sig`;
//! - `last_resort`: `id || x25519 || sig`.
//!
//! Every prekey, one-time ones included, is signed by the identity's Ed25519 key over
//! `label || bundle id || id || key`, with a different label per kind, so a relay can
//! neither substitute a key nor pass one kind off as another, and nobody (not even a
//! holder of two invitations of one identity) can splice a prekey of one invitation's
//! bundle into another's. The relay hands each fetcher one
//! one-time prekey, or the last-resort one when none is left.
//!
//! What is published is not that plain form: [`PrekeySet::bundle`] encrypts every part
//! under a [`BundleKey`] derived from the invitation's seal key and the bundle id, which
//! only holders of the invitation know, so the relay stores and hands out random bytes of
//! a fixed size per part and cannot link the bundles of one identity (nor learn the
//! identity behind a standing intake address). [`VerifiedBundle::from_fetch`] decrypts,
//! then checks every signature.

use super::codec::{Reader, Writer};
use super::identity::{Fingerprint, Identity, PUBLIC_IDENTITY_LEN, PublicIdentity};
use super::pickle::{self, PickleError};
use crate::primitives::aead;
use crate::primitives::ed25519::Signature;
use crate::primitives::mlkem::{self, KemPublic, KemSecret};
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::primitives::{CryptoError, Secret, kdf, random};
use corridor_wire::api::{Bundle, FetchBundleResponse, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;
use rand_core::TryCryptoRng;
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

/// Version byte that starts the `signed` part of a bundle.
pub const BUNDLE_VERSION: u8 = 1;
/// Signature label for the signed prekey.
pub const SIGNED_PREKEY_LABEL: &[u8] = b"Corridor_v1_signed_prekey";
/// Signature label for the ML-KEM-768 prekey.
pub const KEM_PREKEY_LABEL: &[u8] = b"Corridor_v1_kem_prekey";
/// Signature label for a one-time prekey.
pub const ONE_TIME_PREKEY_LABEL: &[u8] = b"Corridor_v1_one_time_prekey";
/// Signature label for the last-resort prekey.
pub const LAST_RESORT_PREKEY_LABEL: &[u8] = b"Corridor_v1_last_resort_prekey";
/// Length of the `signed` part.
pub const SIGNED_PART_LEN: usize =
    1 + PUBLIC_IDENTITY_LEN + (4 + 32 + 64) + (4 + mlkem::PUBLIC_LEN + 64);
/// Length of a one-time prekey's `key` blob.
pub const ONE_TIME_KEY_LEN: usize = 32 + 64;
/// Length of the `last_resort` part.
pub const LAST_RESORT_LEN: usize = 4 + 32 + 64;
/// HKDF info for the [`BundleKey`].
pub const BUNDLE_KEY_INFO: &[u8] = b"Corridor_v1_bundle_blob";
/// AEAD associated-data label of the encrypted `signed` part.
pub const BLOB_SIGNED_LABEL: &[u8] = b"Corridor_v1_bundle_signed";
/// AEAD associated-data label of an encrypted one-time prekey (followed by its id).
pub const BLOB_ONE_TIME_LABEL: &[u8] = b"Corridor_v1_bundle_one_time";
/// AEAD associated-data label of the encrypted last-resort part.
pub const BLOB_LAST_RESORT_LABEL: &[u8] = b"Corridor_v1_bundle_last_resort";
/// What encryption adds to every published part: a random nonce and the tag.
pub const BLOB_OVERHEAD: usize = aead::NONCE_LEN + aead::TAG_LEN;
/// Length of a bundle id (the invitation's `bundle_id`).
pub const BUNDLE_ID_LEN: usize = 16;
/// Pickle type label for a [`PrekeySet`].
pub const PREKEYS_PICKLE_LABEL: &str = "prekeys";
/// Content version of a prekey-set pickle (version 1 had no previous last-resort prekey;
/// it is refused).
pub const PREKEYS_PICKLE_VERSION: u8 = 2;

/// Why a fetched bundle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A part has the wrong length or layout.
    #[error("malformed bundle")]
    Malformed,
    /// Unknown bundle version.
    #[error("unsupported bundle version")]
    Version,
    /// The identity inside is invalid or its self-signature is bad.
    #[error("bad identity in bundle")]
    Identity,
    /// A key inside is invalid (e.g. an ML-KEM key failing its modulus check).
    #[error("invalid key in bundle")]
    BadKey,
    /// A prekey signature does not verify.
    #[error("bad prekey signature")]
    BadSignature,
    /// The bundle belongs to a different identity than the invitation names.
    #[error("bundle identity does not match the invitation")]
    WrongIdentity,
    /// A published part did not decrypt under the invitation's bundle key (altered, moved
    /// to another part or one-time id, or not this invitation's bundle).
    #[error("bundle part decryption failed")]
    Decrypt,
}

/// The key every published part of one invitation's bundle is encrypted under:
/// `HKDF-SHA256(salt = bundle id, IKM = seal public key, info = BUNDLE_KEY_INFO)`.
///
/// The seal public key travels only inside the invitation, so the relay (which knows the
/// bundle id) cannot derive it; everyone holding the invitation can, which is exactly who
/// may fetch the bundle. Redacted `Debug`, zeroized on drop.
///
/// It also remembers the bundle id, which every prekey signature of the bundle covers.
pub struct BundleKey {
    key: Secret<32>,
    bundle_id: [u8; BUNDLE_ID_LEN],
}

impl BundleKey {
    /// Derives the key of the bundle `bundle_id` published for an invitation whose seal
    /// key is `seal_public`.
    ///
    /// # Errors
    /// [`CryptoError`] only if HKDF refuses the output length (it does not for 32).
    pub fn derive(
        seal_public: &X25519Public,
        bundle_id: &[u8; BUNDLE_ID_LEN],
    ) -> Result<Self, CryptoError> {
        let mut key = Zeroizing::new([0u8; 32]);
        kdf::hkdf_sha256(
            bundle_id,
            seal_public.as_bytes(),
            BUNDLE_KEY_INFO,
            key.as_mut_slice(),
        )?;
        Ok(Self {
            key: Secret::from_bytes(*key),
            bundle_id: *bundle_id,
        })
    }

    /// The id of the bundle this key belongs to.
    pub fn bundle_id(&self) -> &[u8; BUNDLE_ID_LEN] {
        &self.bundle_id
    }

    /// `nonce || ChaCha20-Poly1305(plain, aad) || tag`, with a fresh random nonce.
    fn seal<R: TryCryptoRng + ?Sized>(
        &self,
        aad: &[u8],
        plain: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; aead::NONCE_LEN] = random::array(rng)?;
        let sealed = aead::seal(&self.key, &nonce, aad, plain)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, BundleError> {
        let (nonce, sealed) = blob
            .split_at_checked(aead::NONCE_LEN)
            .ok_or(BundleError::Decrypt)?;
        let nonce: [u8; aead::NONCE_LEN] = nonce.try_into().map_err(|_| BundleError::Decrypt)?;
        aead::open(&self.key, &nonce, aad, sealed).map_err(|_| BundleError::Decrypt)
    }

    /// Decrypts a relay's fetch answer into the plain form [`VerifiedBundle::verify`]
    /// checks. Only decrypts: the signatures are not checked here.
    ///
    /// # Errors
    /// [`BundleError::Decrypt`] if any part does not decrypt under this key with its
    /// part's label (and, for a one-time prekey, the id the relay reports).
    pub fn open_fetch(
        &self,
        response: &FetchBundleResponse,
    ) -> Result<(Zeroizing<Vec<u8>>, HandedPrekey), BundleError> {
        let signed = self.open(BLOB_SIGNED_LABEL, response.signed.as_bytes())?;
        let handed = match &response.prekey {
            HandedPrekey::OneTime(otp) => HandedPrekey::OneTime(OneTimePrekey {
                id: otp.id,
                key: Blob(
                    self.open(&one_time_aad(otp.id), otp.key.as_bytes())?
                        .to_vec(),
                ),
            }),
            HandedPrekey::LastResort { key } => HandedPrekey::LastResort {
                key: Blob(self.open(BLOB_LAST_RESORT_LABEL, key.as_bytes())?.to_vec()),
            },
        };
        Ok((signed, handed))
    }
}

impl fmt::Debug for BundleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BundleKey(redacted)")
    }
}

fn one_time_aad(id: u32) -> Vec<u8> {
    [BLOB_ONE_TIME_LABEL, &id.to_be_bytes()].concat()
}

/// Which prekey filled the handshake's fourth Diffie-Hellman.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrekeyRef {
    /// A one-time prekey, by id.
    OneTime(u32),
    /// The last-resort prekey, by id (handed out when no one-time prekey is left).
    LastResort(u32),
}

/// The bytes a prekey signature covers: `label || bundle id (16) || id (4) || public key`.
fn prekey_message(label: &[u8], bundle_id: &[u8; BUNDLE_ID_LEN], id: u32, key: &[u8]) -> Vec<u8> {
    [label, bundle_id.as_slice(), &id.to_be_bytes(), key].concat()
}

/// The responder's secret prekeys. Not `Serialize`: see [`PrekeySet::pickle`].
#[derive(Clone)]
pub struct PrekeySet {
    signed_id: u32,
    signed: X25519Secret,
    kem_id: u32,
    kem: KemSecret,
    last_resort_id: u32,
    last_resort: X25519Secret,
    one_time: BTreeMap<u32, X25519Secret>,
    previous: Option<Previous>,
    previous_last_resort: Option<(u32, X25519Secret)>,
    next_id: u32,
}

/// The signed and ML-KEM prekeys replaced by the last [`PrekeySet::rotate`], kept so that
/// handshakes begun against the old bundle still complete.
#[derive(Clone)]
struct Previous {
    signed_id: u32,
    signed: X25519Secret,
    kem_id: u32,
    kem: KemSecret,
}

impl PrekeySet {
    /// A new set with a signed prekey, an ML-KEM-768 prekey, a last-resort prekey and
    /// `one_time` one-time prekeys. Ids are assigned from a counter starting at 1.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(
        one_time: usize,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        let signed = X25519Secret::generate(rng)?;
        let kem = KemSecret::generate(rng)?;
        let last_resort = X25519Secret::generate(rng)?;
        let mut set = Self {
            signed_id: 1,
            signed,
            kem_id: 2,
            kem,
            last_resort_id: 3,
            last_resort,
            one_time: BTreeMap::new(),
            previous: None,
            previous_last_resort: None,
            next_id: 4,
        };
        set.add_one_time(one_time, rng)?;
        Ok(set)
    }

    /// Adds `count` fresh one-time prekeys and returns their ids (republish the bundle
    /// afterwards).
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn add_one_time<R: TryCryptoRng + ?Sized>(
        &mut self,
        count: usize,
        rng: &mut R,
    ) -> Result<Vec<u32>, CryptoError> {
        let mut ids = Vec::with_capacity(count);
        for _ in 0..count {
            let id = self.allocate_id()?;
            self.one_time.insert(id, X25519Secret::generate(rng)?);
            ids.push(id);
        }
        Ok(ids)
    }

    fn allocate_id(&mut self) -> Result<u32, CryptoError> {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).ok_or(CryptoError::Length)?;
        Ok(id)
    }

    /// Replaces the signed prekey and the ML-KEM prekey with fresh ones (new ids), so that
    /// a later compromise of the responder does not expose handshakes made long before.
    /// The replaced pair is kept until the next rotation or [`PrekeySet::forget_previous`],
    /// so handshakes begun against the old bundle still complete. Republish the bundle
    /// afterwards. Draws 32 bytes (signed prekey) then 64 (ML-KEM seed).
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn rotate<R: TryCryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<(), CryptoError> {
        let signed = X25519Secret::generate(rng)?;
        let kem = KemSecret::generate(rng)?;
        let signed_id = self.allocate_id()?;
        let kem_id = self.allocate_id()?;
        let old_signed = std::mem::replace(&mut self.signed, signed);
        let old_kem = std::mem::replace(&mut self.kem, kem);
        self.previous = Some(Previous {
            signed_id: std::mem::replace(&mut self.signed_id, signed_id),
            signed: old_signed,
            kem_id: std::mem::replace(&mut self.kem_id, kem_id),
            kem: old_kem,
        });
        Ok(())
    }

    /// Replaces the last-resort prekey with a fresh one (a new id from the counter), so
    /// that a first message replayed against the old one stops working once the old one is
    /// forgotten, and a later compromise does not expose handshakes made against it. The
    /// replaced key is kept until the next call or [`PrekeySet::forget_previous`].
    /// Republish the bundle afterwards. Draws 32 bytes.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn rotate_last_resort<R: TryCryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<(), CryptoError> {
        let fresh = X25519Secret::generate(rng)?;
        let id = self.allocate_id()?;
        let old = std::mem::replace(&mut self.last_resort, fresh);
        let old_id = std::mem::replace(&mut self.last_resort_id, id);
        self.previous_last_resort = Some((old_id, old));
        Ok(())
    }

    /// Deletes the prekeys replaced by the last [`PrekeySet::rotate`] and
    /// [`PrekeySet::rotate_last_resort`] (once no handshake can still be in flight against
    /// them). Returns whether there were any.
    pub fn forget_previous(&mut self) -> bool {
        let signed = self.previous.take().is_some();
        let last_resort = self.previous_last_resort.take().is_some();
        signed || last_resort
    }

    /// Whether replaced prekeys are still held (see [`PrekeySet::forget_previous`]).
    pub fn has_previous(&self) -> bool {
        self.previous.is_some() || self.previous_last_resort.is_some()
    }

    /// The ids of the one-time prekeys left, ascending.
    pub fn one_time_ids(&self) -> Vec<u32> {
        self.one_time.keys().copied().collect()
    }

    /// How many one-time prekeys are left.
    pub fn one_time_count(&self) -> usize {
        self.one_time.len()
    }

    /// The signed prekey's id and secret. The responder's first ratchet key pair is this
    /// key (X3DH → Double Ratchet hand-off).
    pub fn signed_prekey(&self) -> (u32, &X25519Secret) {
        (self.signed_id, &self.signed)
    }

    /// Deletes a one-time prekey once a handshake that used it has been authenticated
    /// (its first message decrypted), so it can never be used again. The last-resort
    /// prekey is kept. Returns whether a key was deleted.
    pub fn consume(&mut self, prekey: PrekeyRef) -> bool {
        match prekey {
            PrekeyRef::OneTime(id) => self.one_time.remove(&id).is_some(),
            PrekeyRef::LastResort(_) => false,
        }
    }

    pub(crate) fn signed_secret(&self, id: u32) -> Option<&X25519Secret> {
        if id == self.signed_id {
            return Some(&self.signed);
        }
        self.previous
            .as_ref()
            .and_then(|p| (id == p.signed_id).then_some(&p.signed))
    }

    /// The ML-KEM-768 prekey secrets an initial envelope's seal may be made to: the
    /// current one, then the previous one while a rotation's overlap lasts. Pass them
    /// to `handshake::open_initial`.
    pub fn kem_secrets(&self) -> Vec<&KemSecret> {
        let mut out = vec![&self.kem];
        if let Some(previous) = &self.previous {
            out.push(&previous.kem);
        }
        out
    }

    pub(crate) fn kem_secret(&self, id: u32) -> Option<&KemSecret> {
        if id == self.kem_id {
            return Some(&self.kem);
        }
        self.previous
            .as_ref()
            .and_then(|p| (id == p.kem_id).then_some(&p.kem))
    }

    pub(crate) fn prekey_secret(&self, prekey: PrekeyRef) -> Option<&X25519Secret> {
        match prekey {
            PrekeyRef::OneTime(id) => self.one_time.get(&id),
            PrekeyRef::LastResort(id) if id == self.last_resort_id => Some(&self.last_resort),
            PrekeyRef::LastResort(id) => self
                .previous_last_resort
                .as_ref()
                .and_then(|(old, secret)| (id == *old).then_some(secret)),
        }
    }

    /// The bundle to publish: [`PrekeySet::plain_bundle`] with every part (`signed`, each
    /// one-time key, `last_resort`) encrypted under `key` as
    /// `nonce (12) || ChaCha20-Poly1305 ciphertext || tag (16)`, with a fresh random
    /// nonce per part and the part's label (plus the one-time prekey id) as associated
    /// data. Every part of a kind has the same length; nothing in it is stable across
    /// bundles. Draws 12 bytes per part: `signed`, the one-time keys in id order, then
    /// `last_resort`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn bundle<R: TryCryptoRng + ?Sized>(
        &self,
        identity: &Identity,
        key: &BundleKey,
        rng: &mut R,
    ) -> Result<Bundle, CryptoError> {
        let plain = self.plain_bundle(identity, key.bundle_id());
        let signed = Blob(key.seal(BLOB_SIGNED_LABEL, plain.signed.as_bytes(), rng)?);
        let one_time = plain
            .one_time
            .iter()
            .map(|otp| {
                Ok(OneTimePrekey {
                    id: otp.id,
                    key: Blob(key.seal(&one_time_aad(otp.id), otp.key.as_bytes(), rng)?),
                })
            })
            .collect::<Result<Vec<_>, CryptoError>>()?;
        let last_resort =
            Blob(key.seal(BLOB_LAST_RESORT_LABEL, plain.last_resort.as_bytes(), rng)?);
        Ok(Bundle {
            signed,
            one_time,
            last_resort,
        })
    }

    /// The bundle's plain, signed form (identity in the clear). Never publish this: it is
    /// what [`PrekeySet::bundle`] encrypts and [`VerifiedBundle::verify`] checks, exposed
    /// for tests and test vectors. Every signature covers `bundle_id`.
    pub fn plain_bundle(&self, identity: &Identity, bundle_id: &[u8; BUNDLE_ID_LEN]) -> Bundle {
        let spk = self.signed.public();
        let kem = self.kem.public().to_bytes();
        let mut signed = Vec::with_capacity(SIGNED_PART_LEN);
        signed.put_u8(BUNDLE_VERSION);
        signed.put(&identity.public().encode());
        signed.put_u32(self.signed_id);
        signed.put(spk.as_bytes());
        signed.put(
            &identity
                .sign(&prekey_message(
                    SIGNED_PREKEY_LABEL,
                    bundle_id,
                    self.signed_id,
                    spk.as_bytes(),
                ))
                .to_bytes(),
        );
        signed.put_u32(self.kem_id);
        signed.put(&kem);
        signed.put(
            &identity
                .sign(&prekey_message(
                    KEM_PREKEY_LABEL,
                    bundle_id,
                    self.kem_id,
                    &kem,
                ))
                .to_bytes(),
        );

        let one_time = self
            .one_time
            .iter()
            .map(|(id, secret)| {
                let public = secret.public();
                let sig = identity.sign(&prekey_message(
                    ONE_TIME_PREKEY_LABEL,
                    bundle_id,
                    *id,
                    public.as_bytes(),
                ));
                OneTimePrekey {
                    id: *id,
                    key: Blob([public.as_bytes().as_slice(), &sig.to_bytes()].concat()),
                }
            })
            .collect();

        let lr = self.last_resort.public();
        let mut last_resort = Vec::with_capacity(LAST_RESORT_LEN);
        last_resort.put_u32(self.last_resort_id);
        last_resort.put(lr.as_bytes());
        last_resort.put(
            &identity
                .sign(&prekey_message(
                    LAST_RESORT_PREKEY_LABEL,
                    bundle_id,
                    self.last_resort_id,
                    lr.as_bytes(),
                ))
                .to_bytes(),
        );
        Bundle {
            signed: Blob(signed),
            one_time,
            last_resort: Blob(last_resort),
        }
    }

    /// Encrypts the prekey set for the store under `key`.
    ///
    /// # Errors
    /// [`PickleError::Crypto`] if the generator fails.
    pub fn pickle<R: TryCryptoRng + ?Sized>(
        &self,
        key: &Secret<32>,
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let mut p = Zeroizing::new(Vec::new());
        p.put_u8(PREKEYS_PICKLE_VERSION);
        p.put_u32(self.next_id);
        p.put_u32(self.signed_id);
        p.put(self.signed.to_secret().expose());
        p.put_u32(self.kem_id);
        p.put(self.kem.seed().expose());
        p.put_u32(self.last_resort_id);
        p.put(self.last_resort.to_secret().expose());
        match &self.previous {
            None => p.put_u8(0),
            Some(prev) => {
                p.put_u8(1);
                p.put_u32(prev.signed_id);
                p.put(prev.signed.to_secret().expose());
                p.put_u32(prev.kem_id);
                p.put(prev.kem.seed().expose());
            }
        }
        match &self.previous_last_resort {
            None => p.put_u8(0),
            Some((id, secret)) => {
                p.put_u8(1);
                p.put_u32(*id);
                p.put(secret.to_secret().expose());
            }
        }
        let count = u32::try_from(self.one_time.len()).map_err(|_| PickleError::Malformed)?;
        p.put_u32(count);
        for (id, secret) in &self.one_time {
            p.put_u32(*id);
            p.put(secret.to_secret().expose());
        }
        pickle::seal(key, PREKEYS_PICKLE_LABEL, &p, rng)
    }

    /// Decrypts a prekey set pickled by [`PrekeySet::pickle`].
    ///
    /// # Errors
    /// See [`PickleError`].
    pub fn unpickle(key: &Secret<32>, pickled: &[u8]) -> Result<Self, PickleError> {
        let plain = pickle::open(key, PREKEYS_PICKLE_LABEL, pickled)?;
        let mut r = Reader::new(&plain);
        let m = |_| PickleError::Malformed;
        if r.u8().map_err(m)? != PREKEYS_PICKLE_VERSION {
            return Err(PickleError::Version);
        }
        let x25519 = |r: &mut Reader<'_>| -> Result<X25519Secret, PickleError> {
            let bytes = Secret::<32>::try_from_slice(r.take(32).map_err(m)?)
                .map_err(|_| PickleError::Malformed)?;
            Ok(X25519Secret::from_secret(&bytes))
        };
        let next_id = r.u32().map_err(m)?;
        let signed_id = r.u32().map_err(m)?;
        let signed = x25519(&mut r)?;
        let kem_id = r.u32().map_err(m)?;
        let kem_seed = Secret::<64>::try_from_slice(r.take(64).map_err(m)?)
            .map_err(|_| PickleError::Malformed)?;
        let last_resort_id = r.u32().map_err(m)?;
        let last_resort = x25519(&mut r)?;
        let previous = match r.u8().map_err(m)? {
            0 => None,
            1 => {
                let signed_id = r.u32().map_err(m)?;
                let signed = x25519(&mut r)?;
                let kem_id = r.u32().map_err(m)?;
                let seed = Secret::<64>::try_from_slice(r.take(64).map_err(m)?)
                    .map_err(|_| PickleError::Malformed)?;
                Some(Previous {
                    signed_id,
                    signed,
                    kem_id,
                    kem: KemSecret::from_seed(seed),
                })
            }
            _ => return Err(PickleError::Malformed),
        };
        let previous_last_resort = match r.u8().map_err(m)? {
            0 => None,
            1 => Some((r.u32().map_err(m)?, x25519(&mut r)?)),
            _ => return Err(PickleError::Malformed),
        };
        let count = r.u32().map_err(m)?;
        let mut one_time = BTreeMap::new();
        for _ in 0..count {
            let id = r.u32().map_err(m)?;
            one_time.insert(id, x25519(&mut r)?);
        }
        r.finish().map_err(m)?;
        Ok(Self {
            signed_id,
            signed,
            kem_id,
            kem: KemSecret::from_seed(kem_seed),
            last_resort_id,
            last_resort,
            one_time,
            previous,
            previous_last_resort,
            next_id,
        })
    }
}

impl fmt::Debug for PrekeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrekeySet(redacted)")
    }
}

/// A fetched bundle whose every signature has been checked and whose identity matches
/// the fingerprint the invitation carried. The only way to get one is
/// [`VerifiedBundle::verify`].
#[derive(Clone)]
pub struct VerifiedBundle {
    identity: PublicIdentity,
    signed_prekey_id: u32,
    signed_prekey: X25519Public,
    kem_prekey_id: u32,
    kem_prekey: KemPublic,
    prekey: PrekeyRef,
    prekey_key: X25519Public,
}

impl VerifiedBundle {
    /// Verifies a fetched bundle's plain form (after [`BundleKey::open_fetch`]): its
    /// `signed` part and the prekey the relay handed out, every signature over the bundle
    /// id `bundle_id` (the invitation's).
    ///
    /// # Errors
    /// [`BundleError::WrongIdentity`] if the identity is not the one with fingerprint
    /// `expected`; otherwise see [`BundleError`]. Any bad signature is refused, including
    /// a valid signature made for another bundle (a spliced prekey).
    pub fn verify(
        signed: &[u8],
        handed: &HandedPrekey,
        expected: &Fingerprint,
        bundle_id: &[u8; BUNDLE_ID_LEN],
    ) -> Result<Self, BundleError> {
        let m = |_| BundleError::Malformed;
        if signed.len() != SIGNED_PART_LEN {
            return Err(BundleError::Malformed);
        }
        let mut r = Reader::new(signed);
        if r.u8().map_err(m)? != BUNDLE_VERSION {
            return Err(BundleError::Version);
        }
        let identity = PublicIdentity::decode(r.take(PUBLIC_IDENTITY_LEN).map_err(m)?)
            .map_err(|_| BundleError::Identity)?;
        if identity.fingerprint() != *expected {
            return Err(BundleError::WrongIdentity);
        }
        let vk = *identity.signing_key();
        let check = |label: &[u8], id: u32, key: &[u8], sig: [u8; 64]| {
            vk.verify(
                &prekey_message(label, bundle_id, id, key),
                &Signature::from_bytes(sig),
            )
            .map_err(|_| BundleError::BadSignature)
        };

        let signed_prekey_id = r.u32().map_err(m)?;
        let spk: [u8; 32] = r.array().map_err(m)?;
        check(
            SIGNED_PREKEY_LABEL,
            signed_prekey_id,
            &spk,
            r.array().map_err(m)?,
        )?;
        let kem_prekey_id = r.u32().map_err(m)?;
        let kem = r.take(mlkem::PUBLIC_LEN).map_err(m)?;
        check(KEM_PREKEY_LABEL, kem_prekey_id, kem, r.array().map_err(m)?)?;
        r.finish().map_err(m)?;
        let kem_prekey = KemPublic::from_bytes(kem).map_err(|_| BundleError::BadKey)?;

        let (prekey, prekey_key) = match handed {
            HandedPrekey::OneTime(otp) => {
                let mut r = Reader::new(otp.key.as_bytes());
                let key: [u8; 32] = r.array().map_err(m)?;
                let sig = r.array().map_err(m)?;
                r.finish().map_err(m)?;
                check(ONE_TIME_PREKEY_LABEL, otp.id, &key, sig)?;
                (PrekeyRef::OneTime(otp.id), key)
            }
            HandedPrekey::LastResort { key } => {
                let mut r = Reader::new(key.as_bytes());
                let id = r.u32().map_err(m)?;
                let key: [u8; 32] = r.array().map_err(m)?;
                let sig = r.array().map_err(m)?;
                r.finish().map_err(m)?;
                check(LAST_RESORT_PREKEY_LABEL, id, &key, sig)?;
                (PrekeyRef::LastResort(id), key)
            }
        };
        Ok(Self {
            identity,
            signed_prekey_id,
            signed_prekey: X25519Public::from_bytes(spk),
            kem_prekey_id,
            kem_prekey,
            prekey,
            prekey_key: X25519Public::from_bytes(prekey_key),
        })
    }

    /// Decrypts a relay's fetch answer with the invitation's bundle key, then runs
    /// [`VerifiedBundle::verify`] on it.
    ///
    /// # Errors
    /// [`BundleError::Decrypt`] if a part does not decrypt; otherwise as
    /// [`VerifiedBundle::verify`].
    pub fn from_fetch(
        response: &FetchBundleResponse,
        expected: &Fingerprint,
        key: &BundleKey,
    ) -> Result<Self, BundleError> {
        let (signed, handed) = key.open_fetch(response)?;
        Self::verify(&signed, &handed, expected, key.bundle_id())
    }

    /// The responder's identity.
    pub fn identity(&self) -> &PublicIdentity {
        &self.identity
    }

    /// The signed prekey: the initiator's first remote ratchet key.
    pub fn signed_prekey(&self) -> (u32, &X25519Public) {
        (self.signed_prekey_id, &self.signed_prekey)
    }

    /// The ML-KEM-768 prekey.
    pub fn kem_prekey(&self) -> (u32, &KemPublic) {
        (self.kem_prekey_id, &self.kem_prekey)
    }

    /// The one-time or last-resort prekey handed out with this bundle.
    pub fn prekey(&self) -> (PrekeyRef, &X25519Public) {
        (self.prekey, &self.prekey_key)
    }
}

impl fmt::Debug for VerifiedBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifiedBundle(..)")
    }
}
