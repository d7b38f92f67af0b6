//! The key file: a fixed-size file holding the Argon2id parameters and salt, and two
//! fixed-size slots that wrap secrets under keys derived from a passphrase.
//!
//! ```text
//! offset  length  field
//!      0       8  magic "CRDRKEY\0"
//!      8       2  version, big-endian (1)
//!     10       4  Argon2id memory cost in KiB, big-endian
//!     14       4  Argon2id passes, big-endian
//!     18       4  Argon2id lanes, big-endian
//!     22      16  Argon2id salt
//!     38      64  normal slot: nonce (12) || ChaCha20-Poly1305(data key (32) ||
//!                 database generation (4, BE)) || tag (16)
//!    102    8090  duress slot: nonce (12) || ChaCha20-Poly1305(payload length (4, BE)
//!                 || payload || zero padding, 8062 bytes) || tag (16), or 8090 random
//!                 bytes when no duress passphrase is set
//!   8192          end (the file is always exactly 8192 bytes)
//! ```
//!
//! Slot `i` is sealed under `HKDF-SHA256(ikm = Argon2id(passphrase, salt), info =
//! "corridor/store/v1/keyfile/slot" || i)` with the 38 header bytes and `i` as associated
//! data, so the parameters cannot be downgraded and slots cannot be swapped. One Argon2id
//! derivation serves both slots, and an unlock always tries both, so the work is the same
//! whichever passphrase was typed. An unused duress slot is random bytes of the same size:
//! without the duress passphrase nobody can tell whether one is set.

use super::error::StoreError;
use crate::primitives::aead::{self, AeadKey, NONCE_LEN, TAG_LEN};
use crate::primitives::kdf::hkdf_sha256;
use crate::primitives::passphrase::{KdfParams, SALT_LEN};
use crate::primitives::random::{self, OsRng};
use crate::primitives::{CryptoError, Secret};
use zeroize::Zeroizing;

/// File name of the key file inside the profile directory.
pub(crate) const KEY_FILE_NAME: &str = "key";

const MAGIC: [u8; 8] = *b"CRDRKEY\0";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 8 + 2 + 4 + 4 + 4 + SALT_LEN;
const DATA_KEY_LEN: usize = 32;
const NORMAL_PLAINTEXT_LEN: usize = DATA_KEY_LEN + 4;
const NORMAL_SLOT_LEN: usize = NONCE_LEN + NORMAL_PLAINTEXT_LEN + TAG_LEN;

/// Total size of a key file, whatever it holds.
pub const KEY_FILE_LEN: usize = 8192;

const DURESS_SLOT_LEN: usize = KEY_FILE_LEN - HEADER_LEN - NORMAL_SLOT_LEN;
const DURESS_PLAINTEXT_LEN: usize = DURESS_SLOT_LEN - NONCE_LEN - TAG_LEN;

/// Largest duress payload the key file's duress slot can carry.
pub const DURESS_PAYLOAD_MAX: usize = DURESS_PLAINTEXT_LEN - 4;

const NORMAL: u8 = 0;
const DURESS: u8 = 1;

/// What the normal slot wraps: the data key, and which database directory it encrypts
/// (the generation changes when [`super::Store::rekey`] moves to a new data key).
pub(crate) struct Wrapped {
    pub(crate) data_key: Secret<32>,
    pub(crate) generation: u32,
}

/// The key that seals the normal slot, derived from the key-encryption key.
pub(crate) fn normal_slot_key(kek: &Secret<32>) -> Result<AeadKey, StoreError> {
    KeyFile::slot_key(kek, NORMAL)
}

/// A decoded key file. Holds only ciphertext and public parameters.
#[derive(Clone)]
pub(crate) struct KeyFile {
    params: KdfParams,
    salt: [u8; SALT_LEN],
    normal: Vec<u8>,
    duress: Vec<u8>,
}

impl KeyFile {
    /// A new key file wrapping `wrapped` under `slot_key` (see [`normal_slot_key`]), with an
    /// unused (random) duress slot.
    pub(crate) fn new(
        params: KdfParams,
        salt: [u8; SALT_LEN],
        slot_key: &AeadKey,
        wrapped: &Wrapped,
    ) -> Result<Self, StoreError> {
        let mut file = Self {
            params,
            salt,
            normal: Vec::new(),
            duress: Vec::new(),
        };
        file.seal_normal(slot_key, wrapped)?;
        file.clear_duress()?;
        Ok(file)
    }

    pub(crate) fn params(&self) -> &KdfParams {
        &self.params
    }

    pub(crate) fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        header[8..10].copy_from_slice(&VERSION.to_be_bytes());
        header[10..14].copy_from_slice(&self.params.m_cost_kib().to_be_bytes());
        header[14..18].copy_from_slice(&self.params.t_cost().to_be_bytes());
        header[18..22].copy_from_slice(&self.params.p_cost().to_be_bytes());
        header[22..].copy_from_slice(&self.salt);
        header
    }

    /// The exact bytes to store.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(KEY_FILE_LEN);
        out.extend_from_slice(&self.header());
        out.extend_from_slice(&self.normal);
        out.extend_from_slice(&self.duress);
        out
    }

    /// Parses a key file. Authenticates nothing: that happens when a slot is opened.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.len() != KEY_FILE_LEN {
            return Err(StoreError::CorruptKeyFile);
        }
        let (header, slots) = bytes
            .split_at_checked(HEADER_LEN)
            .ok_or(StoreError::CorruptKeyFile)?;
        let (normal, duress) = slots
            .split_at_checked(NORMAL_SLOT_LEN)
            .ok_or(StoreError::CorruptKeyFile)?;
        if header[..8] != MAGIC {
            return Err(StoreError::CorruptKeyFile);
        }
        let version = u16::from_be_bytes([header[8], header[9]]);
        if version != VERSION {
            return Err(StoreError::UnsupportedVersion(version));
        }
        let word = |at: usize| -> Result<u32, StoreError> {
            header
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
                .ok_or(StoreError::CorruptKeyFile)
        };
        let params = KdfParams::from_stored(word(10)?, word(14)?, word(18)?)
            .map_err(|_| StoreError::CorruptKeyFile)?;
        let salt: [u8; SALT_LEN] = header[22..]
            .try_into()
            .map_err(|_| StoreError::CorruptKeyFile)?;
        Ok(Self {
            params,
            salt,
            normal: normal.to_vec(),
            duress: duress.to_vec(),
        })
    }

    fn slot_key(kek: &Secret<32>, slot: u8) -> Result<AeadKey, StoreError> {
        let mut okm = Zeroizing::new([0u8; 32]);
        hkdf_sha256(
            &[],
            kek.expose(),
            &[b"corridor/store/v1/keyfile/slot".as_slice(), &[slot]].concat(),
            okm.as_mut_slice(),
        )?;
        Ok(AeadKey::from_bytes(*okm))
    }

    fn aad(&self, slot: u8) -> Vec<u8> {
        let mut aad = self.header().to_vec();
        aad.push(slot);
        aad
    }

    fn seal_slot(&self, key: &AeadKey, slot: u8, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let nonce: [u8; NONCE_LEN] = random::array(&mut OsRng)?;
        let ciphertext = aead::seal(key, &nonce, &self.aad(slot), plaintext)?;
        Ok([nonce.as_slice(), &ciphertext].concat())
    }

    fn open_slot(
        &self,
        key: &AeadKey,
        slot: u8,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (nonce, ciphertext) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(CryptoError::Decrypt)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
        aead::open(key, &nonce, &self.aad(slot), ciphertext)
    }

    /// (Re)wraps `wrapped` in the normal slot under `slot_key`, with a fresh nonce.
    pub(crate) fn seal_normal(
        &mut self,
        slot_key: &AeadKey,
        wrapped: &Wrapped,
    ) -> Result<(), StoreError> {
        let mut plaintext = Zeroizing::new([0u8; NORMAL_PLAINTEXT_LEN]);
        plaintext[..DATA_KEY_LEN].copy_from_slice(wrapped.data_key.expose());
        plaintext[DATA_KEY_LEN..].copy_from_slice(&wrapped.generation.to_be_bytes());
        self.normal = self.seal_slot(slot_key, NORMAL, plaintext.as_slice())?;
        Ok(())
    }

    /// Puts `payload` in the duress slot under `kek`.
    pub(crate) fn seal_duress(
        &mut self,
        kek: &Secret<32>,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        if payload.len() > DURESS_PAYLOAD_MAX {
            return Err(StoreError::PayloadTooLarge {
                len: payload.len(),
                max: DURESS_PAYLOAD_MAX,
            });
        }
        let mut plaintext = Zeroizing::new(vec![0u8; DURESS_PLAINTEXT_LEN]);
        let len = u32::try_from(payload.len()).map_err(|_| StoreError::PayloadTooLarge {
            len: payload.len(),
            max: DURESS_PAYLOAD_MAX,
        })?;
        plaintext[..4].copy_from_slice(&len.to_be_bytes());
        plaintext[4..4 + payload.len()].copy_from_slice(payload);
        self.duress = self.seal_slot(&Self::slot_key(kek, DURESS)?, DURESS, &plaintext)?;
        Ok(())
    }

    /// Makes the duress slot unused: random bytes of the sealed slot's size.
    pub(crate) fn clear_duress(&mut self) -> Result<(), StoreError> {
        let mut slot = vec![0u8; DURESS_SLOT_LEN];
        random::fill(&mut OsRng, &mut slot)?;
        self.duress = slot;
        Ok(())
    }

    /// Tries the normal slot under `slot_key`: the data key and generation, or `Decrypt`.
    pub(crate) fn open_normal(&self, slot_key: &AeadKey) -> Result<Wrapped, CryptoError> {
        let plaintext = self.open_slot(slot_key, NORMAL, &self.normal)?;
        let (key, generation) = plaintext
            .split_at_checked(DATA_KEY_LEN)
            .ok_or(CryptoError::Decrypt)?;
        let generation: [u8; 4] = generation.try_into().map_err(|_| CryptoError::Decrypt)?;
        Ok(Wrapped {
            data_key: Secret::try_from_slice(key).map_err(|_| CryptoError::Decrypt)?,
            generation: u32::from_be_bytes(generation),
        })
    }

    /// Tries the duress slot under `kek`: the payload, or `Decrypt`.
    pub(crate) fn open_duress(&self, kek: &Secret<32>) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let key = Self::slot_key(kek, DURESS).map_err(|_| CryptoError::Decrypt)?;
        let plaintext = self.open_slot(&key, DURESS, &self.duress)?;
        let (len, rest) = plaintext.split_at_checked(4).ok_or(CryptoError::Decrypt)?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| CryptoError::Decrypt)?);
        let len = usize::try_from(len).map_err(|_| CryptoError::Decrypt)?;
        let payload = rest.get(..len).ok_or(CryptoError::Decrypt)?;
        Ok(Zeroizing::new(payload.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> Secret<32> {
        Secret::from_bytes([byte; 32])
    }

    fn normal(kek_byte: u8) -> AeadKey {
        normal_slot_key(&kek(kek_byte)).unwrap()
    }

    fn sample() -> KeyFile {
        let params = KdfParams::insecure_for_tests(64, 1, 1).unwrap();
        let wrapped = Wrapped {
            data_key: Secret::from_bytes([9; 32]),
            generation: 5,
        };
        KeyFile::new(params, [7; SALT_LEN], &normal(1), &wrapped).unwrap()
    }

    #[test]
    fn layout_is_fixed_size_and_round_trips() {
        let mut file = sample();
        assert_eq!(file.encode().len(), KEY_FILE_LEN);
        file.seal_duress(&kek(2), b"alert kit").unwrap();
        let bytes = file.encode();
        assert_eq!(bytes.len(), KEY_FILE_LEN);
        assert_eq!(&bytes[..8], b"CRDRKEY\0");
        let back = KeyFile::decode(&bytes).unwrap();
        let wrapped = back.open_normal(&normal(1)).unwrap();
        assert_eq!(wrapped.data_key.expose(), &[9; 32]);
        assert_eq!(wrapped.generation, 5);
        assert_eq!(back.open_duress(&kek(2)).unwrap().as_slice(), b"alert kit");
        assert!(back.open_normal(&normal(2)).is_err());
        assert!(back.open_duress(&kek(1)).is_err());
    }

    #[test]
    fn largest_payload_fits_and_one_more_byte_does_not() {
        let mut file = sample();
        let payload = vec![0x5A; DURESS_PAYLOAD_MAX];
        file.seal_duress(&kek(2), &payload).unwrap();
        assert_eq!(file.encode().len(), KEY_FILE_LEN);
        assert_eq!(
            file.open_duress(&kek(2)).unwrap().as_slice(),
            payload.as_slice()
        );
        assert!(matches!(
            file.seal_duress(&kek(2), &vec![0; DURESS_PAYLOAD_MAX + 1]),
            Err(StoreError::PayloadTooLarge { .. })
        ));
    }

    #[test]
    fn tampered_header_fails_authentication() {
        let bytes = sample().encode();
        // Raise the passes from 1 to 2: still valid parameters, but bound as associated data.
        let mut downgraded = bytes.clone();
        downgraded[17] = 2;
        let file = KeyFile::decode(&downgraded).unwrap();
        assert!(file.open_normal(&normal(1)).is_err());
        // Swap the salt.
        let mut resalted = bytes;
        resalted[30] ^= 1;
        assert!(
            KeyFile::decode(&resalted)
                .unwrap()
                .open_normal(&normal(1))
                .is_err()
        );
    }

    #[test]
    fn decoder_rejects_bad_input() {
        let bytes = sample().encode();
        assert!(matches!(
            KeyFile::decode(&bytes[..100]),
            Err(StoreError::CorruptKeyFile)
        ));
        assert!(matches!(
            KeyFile::decode(&[]),
            Err(StoreError::CorruptKeyFile)
        ));
        let mut bad_magic = bytes.clone();
        bad_magic[0] = b'X';
        assert!(matches!(
            KeyFile::decode(&bad_magic),
            Err(StoreError::CorruptKeyFile)
        ));
        let mut future = bytes.clone();
        future[9] = 2;
        assert!(matches!(
            KeyFile::decode(&future),
            Err(StoreError::UnsupportedVersion(2))
        ));
        let mut huge = bytes;
        huge[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            KeyFile::decode(&huge),
            Err(StoreError::CorruptKeyFile)
        ));
    }

    proptest::proptest! {
        /// Arbitrary bytes never panic the decoder, and a file that decodes (right size and
        /// magic, any parameters) still opens no slot without the right key.
        #[test]
        fn decoder_is_total(mut bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..KEY_FILE_LEN + 2), fix_header in proptest::bool::ANY) {
            if fix_header && bytes.len() >= 22 {
                bytes[..8].copy_from_slice(&MAGIC);
                bytes[8..10].copy_from_slice(&VERSION.to_be_bytes());
                bytes[10..22].copy_from_slice(&[0, 0, 0, 64, 0, 0, 0, 1, 0, 0, 0, 1]);
                bytes.resize(KEY_FILE_LEN, 0);
            }
            if let Ok(file) = KeyFile::decode(&bytes) {
                proptest::prop_assert!(file.open_normal(&normal(1)).is_err());
                proptest::prop_assert!(file.open_duress(&kek(1)).is_err());
            }
        }
    }

    #[test]
    fn unused_duress_slot_is_fresh_randomness() {
        let a = sample();
        let b = sample();
        assert_ne!(a.duress, b.duress);
        assert_eq!(a.duress.len(), DURESS_SLOT_LEN);
    }
}
