//! The forensic reader, shared by the seizure tests of this crate and of `tests/`.
//!
//! It is given the passphrase (a forced unlock) and the raw files of a profile directory.
//! It is written from the formats in `docs/store.md` (key file, record encoding) and
//! `docs/protocol.md` (pickles) with the primitives' own crates, not through the store: it
//! derives the data key from the key file, then tries every byte offset of every file as
//! the start of a sealed record (running ChaCha20 without the tag, so no record name is
//! needed) and keeps what decodes as the record layout, current or left over in sled's log.
//!
//! Include it with `#[path = ".../client-lib/tests/forensic/mod.rs"] mod forensic;`.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use hkdf::Hkdf;
use sha2::Sha256;
use std::path::Path;

pub fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut out)
        .unwrap();
    out
}

pub fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Key file (version 1): header (38) || slot 0 (64) || slot 1. Returns the data key.
pub fn data_key(key_file: &[u8], passphrase: &[u8]) -> [u8; 32] {
    assert_eq!(key_file.len(), 8192);
    assert_eq!(&key_file[..8], b"CRDRKEY\0");
    let header = &key_file[..38];
    let params = Params::new(
        be32(header, 10),
        be32(header, 14),
        be32(header, 18),
        Some(32),
    )
    .unwrap();
    let mut kek = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, &header[22..38], &mut kek)
        .unwrap();
    let slot_key = hkdf(&[], &kek, b"corridor/store/v1/keyfile/slot\x00");
    let slot = &key_file[38..102];
    let mut aad = header.to_vec();
    aad.push(0);
    let plain = ChaCha20Poly1305::new_from_slice(&slot_key)
        .unwrap()
        .decrypt(
            &<[u8; 12]>::try_from(&slot[..12]).unwrap().into(),
            Payload {
                msg: &slot[12..],
                aad: &aad,
            },
        )
        .expect("the passphrase opens slot 0");
    plain[..32].try_into().unwrap()
}

/// One record carved out of the raw files.
pub struct Carved {
    /// The store tree the record belongs to (`client/...`).
    pub tree: String,
    /// The record's key.
    pub key: Vec<u8>,
    /// The record's value, decrypted.
    pub value: Vec<u8>,
    /// The record's expiry, if it has one.
    pub expires_at: Option<u64>,
}

fn keystream_at(value_key: &[u8; 32], nonce: &[u8], out: &mut [u8]) {
    let nonce: &[u8; 12] = nonce.try_into().unwrap();
    let mut cipher = ChaCha20::new(value_key.into(), nonce.into());
    // ChaCha20-Poly1305 (RFC 8439) encrypts from block 1; block 0 keys Poly1305.
    cipher.seek(64u64);
    cipher.apply_keystream(out);
}

/// Every sealed record (`nonce (12) || ciphertext`, plaintext = version 1 || flags ||
/// expires_at || len || tree || len || key || len || value || padding) found at any offset
/// of `bytes`, current or left over in sled's log.
pub fn carve(value_key: &[u8; 32], bytes: &[u8], found: &mut Vec<Carved>) {
    const PREFIX: &[u8] = b"client/";
    let mut head = [0u8; 14 + 7];
    let mut at = 0;
    while at + 12 + head.len() <= bytes.len() {
        let nonce = &bytes[at..at + 12];
        let body = &bytes[at + 12..];
        let head_len = head.len();
        head.copy_from_slice(&body[..head_len]);
        keystream_at(value_key, nonce, &mut head);
        let plausible = head[0] == 1
            && head[1] <= 1
            && (7..=64).contains(&be32(&head, 10))
            && &head[14..] == PREFIX;
        if !plausible {
            at += 1;
            continue;
        }
        // Decrypt up to 64 KiB (or the end of the file) and parse the lengths.
        let window = body.len().min(64 * 1024);
        let mut plain = body[..window].to_vec();
        keystream_at(value_key, nonce, &mut plain);
        let parsed = (|| {
            let tree_len = be32(&plain, 10) as usize;
            let tree = String::from_utf8(plain.get(14..14 + tree_len)?.to_vec()).ok()?;
            let mut pos = 14 + tree_len;
            let key_len = u32::from_be_bytes(plain.get(pos..pos + 4)?.try_into().ok()?) as usize;
            pos += 4;
            let key = plain.get(pos..pos + key_len)?.to_vec();
            pos += key_len;
            let value_len = u32::from_be_bytes(plain.get(pos..pos + 4)?.try_into().ok()?) as usize;
            pos += 4;
            let value = plain.get(pos..pos + value_len)?.to_vec();
            let expires = u64::from_be_bytes(plain[2..10].try_into().ok()?);
            Some(Carved {
                tree,
                key,
                value,
                expires_at: (plain[1] == 1).then_some(expires),
            })
        })();
        if let Some(record) = parsed {
            found.push(record);
        }
        at += 1;
    }
}

/// Everything the reader gets out of a profile directory with the passphrase.
pub fn seize(dir: &Path, passphrase: &[u8]) -> Vec<Carved> {
    let key = data_key(&std::fs::read(dir.join("key")).unwrap(), passphrase);
    let value_key = hkdf(&[], &key, b"corridor/store/v1/record-values");
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "key") {
                carve(&value_key, &std::fs::read(&path).unwrap(), &mut found);
            }
        }
    }
    found
}

/// Opens a pickle (`"CPK" || 1 || salt (32) || ChaCha20-Poly1305`, key = HKDF(salt,
/// pickle key, "Corridor_v1_pickle:" || label), nonce 0, aad = "CPK" || 1 || label).
pub fn open_pickle(pickle_key: &[u8], label: &str, pickled: &[u8]) -> Option<Vec<u8>> {
    if pickled.len() < 36 || &pickled[..4] != b"CPK\x01" {
        return None;
    }
    let key = hkdf(
        &pickled[4..36],
        pickle_key,
        &[b"Corridor_v1_pickle:".as_slice(), label.as_bytes()].concat(),
    );
    let aad = [b"CPK\x01".as_slice(), label.as_bytes()].concat();
    ChaCha20Poly1305::new_from_slice(&key)
        .unwrap()
        .decrypt(
            (&[0u8; 12]).into(),
            Payload {
                msg: &pickled[36..],
                aad: &aad,
            },
        )
        .ok()
}

/// Every decrypted record of the profile in `dir` whose key or value contains `needle`:
/// what a forced unlock of the seized directory shows of it. Empty means the reader
/// recovers nothing of it, current or left over.
pub fn find(dir: &Path, passphrase: &[u8], needle: &[u8]) -> Vec<Carved> {
    assert!(!needle.is_empty());
    seize(dir, passphrase)
        .into_iter()
        .filter(|r| {
            r.value.windows(needle.len()).any(|w| w == needle)
                || r.key.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

/// Whether the raw bytes of any file under `dir` (no decryption) contain `needle`.
pub fn raw_contains(dir: &Path, needle: &[u8]) -> bool {
    assert!(!needle.is_empty());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                return true;
            }
        }
    }
    false
}
