//! How one logical record becomes one opaque sled entry.
//!
//! ```text
//! sled key   = HMAC(name key, "tree" || len(tree) || tree)[..16]            (tree tag)
//!           || HMAC(name key, "record" || len(tree) || tree || record key)   (record id)
//! sled value = nonce (12) || ChaCha20-Poly1305(value key, nonce,
//!                 aad = "corridor/store/v1/record" || sled key,
//!                 plaintext) || tag (16)
//! plaintext  = version (1) || flags (1, bit 0: has expiry) || expires_at (8, BE)
//!           || len(tree) (4, BE) || tree || len(record key) (4, BE) || record key
//!           || len(value) (4, BE) || value || zero padding up to a multiple of 256 bytes
//! ```
//!
//! Lengths are u32 big-endian. The name key and value key are HKDF-SHA256 expansions of the
//! data key. The tree tag lets a logical tree be listed with one prefix scan; the tree name
//! and record key travel inside the ciphertext, so a listing can return the key and a
//! re-key can recompute every sled key. Binding the sled key as associated data, and
//! checking after decryption that the record's own name maps to it, means a record moved to
//! another key or tree fails to open.

use super::error::StoreError;
use crate::primitives::Secret;
use crate::primitives::aead::{self, AeadKey, NONCE_LEN};
use crate::primitives::kdf::{hkdf_sha256, hmac_sha256};
use crate::primitives::random::{self, OsRng};
use std::fmt;
use zeroize::Zeroizing;

const TREE_TAG_LEN: usize = 16;
const RECORD_ID_LEN: usize = 32;
/// Length of every sled key the store writes.
pub(crate) const SLED_KEY_LEN: usize = TREE_TAG_LEN + RECORD_ID_LEN;
const FORMAT_VERSION: u8 = 1;
const FLAG_EXPIRES: u8 = 1;
const PAD_TO: usize = 256;
const AAD_LABEL: &[u8] = b"corridor/store/v1/record";

/// One record as read back: its key, value and expiry.
///
/// `Debug` shows lengths and expiry only, never the bytes.
pub struct Record {
    /// The record key given to [`super::Store::put`].
    pub key: Zeroizing<Vec<u8>>,
    /// The value.
    pub value: Zeroizing<Vec<u8>>,
    /// Unix time (seconds) from which the record no longer exists, if any.
    pub expires_at: Option<u64>,
}

impl Record {
    /// Whether the record is expired at `now` (Unix seconds): `now >= expires_at`.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("key_len", &self.key.len())
            .field("value_len", &self.value.len())
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The keys derived from the data key, and the record encoding under them.
pub(crate) struct RecordCipher {
    name_key: Secret<32>,
    value_key: AeadKey,
}

fn expand(data_key: &Secret<32>, info: &[u8]) -> Result<Secret<32>, StoreError> {
    let mut okm = Zeroizing::new([0u8; 32]);
    hkdf_sha256(&[], data_key.expose(), info, okm.as_mut_slice())?;
    Ok(Secret::from_bytes(*okm))
}

fn length_prefixed(label: &[u8], tree: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(label.len() + 4 + tree.len());
    input.extend_from_slice(label);
    // Tree names longer than 4 GiB cannot be built in practice; saturating keeps the
    // encoding total without a panic path.
    input.extend_from_slice(&u32::try_from(tree.len()).unwrap_or(u32::MAX).to_be_bytes());
    input.extend_from_slice(tree.as_bytes());
    input
}

fn u32_len(len: usize) -> Result<[u8; 4], StoreError> {
    u32::try_from(len)
        .map(u32::to_be_bytes)
        .map_err(|_| StoreError::CorruptRecord)
}

impl RecordCipher {
    pub(crate) fn new(data_key: &Secret<32>) -> Result<Self, StoreError> {
        Ok(Self {
            name_key: expand(data_key, b"corridor/store/v1/record-names")?,
            value_key: expand(data_key, b"corridor/store/v1/record-values")?,
        })
    }

    /// The sled-key prefix shared by every record of `tree`.
    pub(crate) fn tree_tag(&self, tree: &str) -> [u8; TREE_TAG_LEN] {
        let mac = hmac_sha256(self.name_key.expose(), &length_prefixed(b"tree", tree));
        let mut tag = [0u8; TREE_TAG_LEN];
        tag.copy_from_slice(&mac.expose()[..TREE_TAG_LEN]);
        tag
    }

    /// The sled key of record `key` in `tree`.
    pub(crate) fn sled_key(&self, tree: &str, key: &[u8]) -> [u8; SLED_KEY_LEN] {
        let mut input = Zeroizing::new(length_prefixed(b"record", tree));
        input.extend_from_slice(key);
        let id = hmac_sha256(self.name_key.expose(), &input);
        let mut out = [0u8; SLED_KEY_LEN];
        out[..TREE_TAG_LEN].copy_from_slice(&self.tree_tag(tree));
        out[TREE_TAG_LEN..].copy_from_slice(id.expose());
        out
    }

    /// Encrypts record `key` of `tree`; returns its sled key and sled value.
    pub(crate) fn seal(
        &self,
        tree: &str,
        key: &[u8],
        value: &[u8],
        expires_at: Option<u64>,
    ) -> Result<([u8; SLED_KEY_LEN], Vec<u8>), StoreError> {
        let sled_key = self.sled_key(tree, key);
        let unpadded = 1 + 1 + 8 + 4 + tree.len() + 4 + key.len() + 4 + value.len();
        let padded = unpadded.div_ceil(PAD_TO) * PAD_TO;
        let mut plaintext = Zeroizing::new(Vec::with_capacity(padded));
        plaintext.push(FORMAT_VERSION);
        plaintext.push(if expires_at.is_some() {
            FLAG_EXPIRES
        } else {
            0
        });
        plaintext.extend_from_slice(&expires_at.unwrap_or(0).to_be_bytes());
        plaintext.extend_from_slice(&u32_len(tree.len())?);
        plaintext.extend_from_slice(tree.as_bytes());
        plaintext.extend_from_slice(&u32_len(key.len())?);
        plaintext.extend_from_slice(key);
        plaintext.extend_from_slice(&u32_len(value.len())?);
        plaintext.extend_from_slice(value);
        plaintext.resize(padded, 0);
        let nonce: [u8; NONCE_LEN] = random::array(&mut OsRng)?;
        let aad = [AAD_LABEL, sled_key.as_slice()].concat();
        let ciphertext = aead::seal(&self.value_key, &nonce, &aad, &plaintext)?;
        Ok((sled_key, [nonce.as_slice(), &ciphertext].concat()))
    }

    /// Decrypts the entry stored under `sled_key` and checks that it is a record of `tree`.
    pub(crate) fn open(
        &self,
        tree: &str,
        sled_key: &[u8],
        stored: &[u8],
    ) -> Result<Record, StoreError> {
        let opened = self.open_any_tree(sled_key, stored)?;
        if opened.tree != tree {
            return Err(StoreError::CorruptRecord);
        }
        Ok(opened.record)
    }

    /// Decrypts the entry stored under `sled_key`, whatever its tree (for purging and
    /// re-keying), and checks that the record's own tree and key map to `sled_key`.
    pub(crate) fn open_any_tree(
        &self,
        sled_key: &[u8],
        stored: &[u8],
    ) -> Result<Opened, StoreError> {
        let (nonce, ciphertext) = stored
            .split_at_checked(NONCE_LEN)
            .ok_or(StoreError::CorruptRecord)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| StoreError::CorruptRecord)?;
        let aad = [AAD_LABEL, sled_key].concat();
        let plaintext = aead::open(&self.value_key, &nonce, &aad, ciphertext)
            .map_err(|_| StoreError::CorruptRecord)?;
        let opened = decode(&plaintext).ok_or(StoreError::CorruptRecord)?;
        // The AEAD proves we wrote these bytes under this sled key; this proves the sled
        // key is the one the record's own name maps to.
        if self.sled_key(&opened.tree, &opened.record.key).as_slice() != sled_key {
            return Err(StoreError::CorruptRecord);
        }
        Ok(opened)
    }
}

/// A decrypted record together with the logical tree it belongs to.
pub(crate) struct Opened {
    pub(crate) tree: String,
    pub(crate) record: Record,
}

fn decode(plaintext: &[u8]) -> Option<Opened> {
    let (&version, rest) = plaintext.split_first()?;
    if version != FORMAT_VERSION {
        return None;
    }
    let (&flags, rest) = rest.split_first()?;
    let (expires, rest) = rest.split_at_checked(8)?;
    let expires = u64::from_be_bytes(expires.try_into().ok()?);
    let expires_at = match flags {
        0 => None,
        FLAG_EXPIRES => Some(expires),
        _ => return None,
    };
    let (tree, rest) = take_prefixed(rest)?;
    let (key, rest) = take_prefixed(rest)?;
    let (value, _padding) = take_prefixed(rest)?;
    Some(Opened {
        tree: String::from_utf8(tree.to_vec()).ok()?,
        record: Record {
            key: Zeroizing::new(key.to_vec()),
            value: Zeroizing::new(value.to_vec()),
            expires_at,
        },
    })
}

/// Fuzzing and corpus replay only (`fuzz/`, `client-lib/tests/fuzz_replay.rs`): the
/// decoder of a decrypted record plaintext, which is otherwise reached only behind the
/// AEAD. Returns the record's tree and the record, or `None` for anything malformed.
#[doc(hidden)]
pub fn decode_record_plaintext(plaintext: &[u8]) -> Option<(String, Record)> {
    decode(plaintext).map(|opened| (opened.tree, opened.record))
}

fn take_prefixed(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = input.split_at_checked(4)?;
    let len = usize::try_from(u32::from_be_bytes(len.try_into().ok()?)).ok()?;
    rest.split_at_checked(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> RecordCipher {
        RecordCipher::new(&Secret::from_bytes([3; 32])).unwrap()
    }

    #[test]
    fn round_trip_with_and_without_expiry() {
        let c = cipher();
        let (sk, sealed) = c
            .seal("contacts", b"alice", b"mailbox 42", Some(1_700_000_000))
            .unwrap();
        assert_eq!(sk, c.sled_key("contacts", b"alice"));
        let record = c.open("contacts", &sk, &sealed).unwrap();
        assert_eq!(record.key.as_slice(), b"alice");
        assert_eq!(record.value.as_slice(), b"mailbox 42");
        assert_eq!(record.expires_at, Some(1_700_000_000));
        assert!(!record.is_expired(1_699_999_999));
        assert!(record.is_expired(1_700_000_000));

        let (_, sealed) = c.seal("contacts", b"alice", b"", None).unwrap();
        let record = c.open("contacts", &sk, &sealed).unwrap();
        assert_eq!(record.expires_at, None);
        assert!(!record.is_expired(u64::MAX));
    }

    #[test]
    fn sizes_are_padded() {
        let c = cipher();
        let (_, short) = c.seal("t", b"k", b"a", None).unwrap();
        let (_, longer) = c.seal("t", b"k", &[0u8; 200], None).unwrap();
        assert_eq!(short.len(), longer.len());
        assert_eq!(short.len(), NONCE_LEN + PAD_TO + aead::TAG_LEN);
    }

    #[test]
    fn records_cannot_be_moved_between_keys_or_trees() {
        let c = cipher();
        let a = c.sled_key("contacts", b"alice");
        let b = c.sled_key("contacts", b"bob");
        let other_tree = c.sled_key("cases", b"alice");
        assert_ne!(a[..TREE_TAG_LEN], other_tree[..TREE_TAG_LEN]);
        assert_eq!(a[..TREE_TAG_LEN], b[..TREE_TAG_LEN]);
        let (_, sealed) = c.seal("contacts", b"alice", b"v", None).unwrap();
        assert!(matches!(
            c.open("contacts", &b, &sealed),
            Err(StoreError::CorruptRecord)
        ));
        assert!(matches!(
            c.open("cases", &other_tree, &sealed),
            Err(StoreError::CorruptRecord)
        ));
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(matches!(
            c.open("contacts", &a, &flipped),
            Err(StoreError::CorruptRecord)
        ));
        assert!(matches!(
            c.open("contacts", &a, &sealed[..10]),
            Err(StoreError::CorruptRecord)
        ));
    }

    #[test]
    fn tree_names_are_length_delimited() {
        let c = cipher();
        assert_ne!(c.sled_key("ab", b"c"), c.sled_key("a", b"bc"));
    }

    #[test]
    fn different_data_keys_give_unrelated_names() {
        let other = RecordCipher::new(&Secret::from_bytes([4; 32])).unwrap();
        assert_ne!(cipher().sled_key("t", b"k"), other.sled_key("t", b"k"));
    }

    #[test]
    fn decoder_rejects_garbage_without_panicking() {
        for len in 0..64 {
            let junk = vec![1u8; len];
            assert!(decode(&junk).is_none());
        }
        assert!(decode(&[1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        // Well-formed apart from a tree name that is not UTF-8.
        let mut bad_tree = vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF];
        bad_tree.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(decode(&bad_tree).is_none());
        let mut good_tree = bad_tree.clone();
        good_tree[14] = b't';
        assert_eq!(decode(&good_tree).unwrap().tree, "t");
    }

    #[test]
    fn debug_hides_content() {
        let record = Record {
            key: Zeroizing::new(b"alice".to_vec()),
            value: Zeroizing::new(b"secret".to_vec()),
            expires_at: None,
        };
        let shown = format!("{record:?}");
        assert!(!shown.contains("alice") && !shown.contains("secret"));
    }
}
