//! Seizure test: forward secrecy at rest.
//!
//! A forensic reader is given the passphrase (a forced unlock) and the raw files of a
//! profile directory. It is written here from the formats in `docs/store.md` (key file,
//! record encoding) and `docs/protocol.md` (pickles) with the primitives' own crates, not
//! through the store: it derives the data key from the key file, then tries every byte
//! offset of every file as the start of a sealed record (running ChaCha20 without the tag,
//! so no record name is needed) and keeps what decodes as the record layout.
//!
//! It must find superseded session states, expired messages and used prekey secrets in a
//! copy of the profile taken before a re-key (so the test can fail), and none of them
//! after the profile was closed (the closing re-key) or after the re-key interval of
//! activity passed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support.rs"]
mod support;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use corridor_client::client::{Clock, InvitationKind, REKEY_EVERY_SECS};
use data_encoding::BASE64URL_NOPAD;
use hkdf::Hkdf;
use serde_json::Value;
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use support::{World, pass};

// ---- the forensic reader (docs/store.md, docs/protocol.md) --------------------------

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut out)
        .unwrap();
    out
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Key file (version 1): header (38) || slot 0 (64) || slot 1. Returns the data key.
fn data_key(key_file: &[u8], passphrase: &[u8]) -> [u8; 32] {
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
struct Carved {
    tree: String,
    key: Vec<u8>,
    value: Vec<u8>,
    expires_at: Option<u64>,
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
fn carve(value_key: &[u8; 32], bytes: &[u8], found: &mut Vec<Carved>) {
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
fn seize(dir: &Path, passphrase: &[u8]) -> Vec<Carved> {
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
fn open_pickle(pickle_key: &[u8], label: &str, pickled: &[u8]) -> Option<Vec<u8>> {
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

fn json(record: &Carved) -> Option<Value> {
    serde_json::from_slice(&record.value).ok()
}

fn b64(value: &Value) -> Option<Vec<u8>> {
    BASE64URL_NOPAD.decode(value.as_str()?.as_bytes()).ok()
}

/// What the reader recovered, in the three categories the design promises to shred.
#[derive(Debug)]
struct Recovered {
    /// Per contact id: session states that open under a pickle key found on disk.
    sessions: BTreeMap<u64, BTreeSet<Vec<u8>>>,
    /// Message records whose expiry had passed at `now`.
    expired_messages: usize,
    /// Per invitation id: prekey sets that open under a pickle key found on disk.
    prekey_sets: BTreeMap<u64, BTreeSet<Vec<u8>>>,
}

fn recover(dir: &Path, passphrase: &[u8], now: u64) -> Recovered {
    let carved = seize(dir, passphrase);
    let pickle_keys: Vec<Vec<u8>> = carved
        .iter()
        .filter(|r| r.tree == "client/meta" && r.key == b"profile")
        .filter_map(|r| b64(json(r)?.get("pickle_key")?))
        .collect();
    assert!(
        !pickle_keys.is_empty(),
        "the reader found no profile record"
    );
    let opened = |label: &str, pickled: &[u8]| {
        pickle_keys
            .iter()
            .find_map(|k| open_pickle(k, label, pickled))
    };
    let mut sessions: BTreeMap<u64, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let mut prekey_sets: BTreeMap<u64, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let mut expired_messages = 0;
    for record in &carved {
        let Some(value) = json(record) else { continue };
        match record.tree.as_str() {
            "client/contacts" => {
                let id = value["id"].as_u64().unwrap();
                if let Some(state) = b64(&value["session"]).and_then(|p| opened("session", &p)) {
                    sessions.entry(id).or_default().insert(state);
                }
            }
            "client/invitations" => {
                let id = value["id"].as_u64().unwrap();
                // Whatever shape the invitation record has, any prekey pickle in it.
                let mut pickles = Vec::new();
                collect_strings(&value, &mut pickles);
                for pickled in pickles
                    .iter()
                    .filter_map(|s| BASE64URL_NOPAD.decode(s.as_bytes()).ok())
                {
                    if let Some(set) = opened("prekeys", &pickled) {
                        prekey_sets.entry(id).or_default().insert(set);
                    }
                }
            }
            "client/messages" if record.expires_at.is_some_and(|at| now >= at) => {
                expired_messages += 1;
            }
            _ => {}
        }
    }
    Recovered {
        sessions,
        expired_messages,
        prekey_sets,
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

// ---- the scenario ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_rekey_window_a_forced_unlock_recovers_nothing_superseded() {
    let world = World::new();
    let desk = world.client("desk").await;
    let requester = world.client("requester").await;
    // A standing invitation: it stays, and every use consumes one of its one-time prekeys.
    let code = desk
        .create_invitation(InvitationKind::Standing { max_uses: None }, 3600)
        .await
        .unwrap();
    requester.accept_invitation(&code, "desk").await.unwrap();
    let report = desk.sync().await.unwrap();
    desk.rename_contact(&report.new_contacts[0], "requester")
        .unwrap();
    requester.sync().await.unwrap();
    // Disappearing messages, a minute.
    desk.set_timer("requester", Some(60)).unwrap();
    for round in 0..6 {
        desk.send("requester", &format!("desk says {round}"))
            .await
            .unwrap();
        requester.sync().await.unwrap();
        requester
            .send("desk", &format!("requester says {round}"))
            .await
            .unwrap();
        desk.sync().await.unwrap();
    }
    // The messages expire; reading the inbox deletes them (the re-key comes later).
    world.clock.advance(120);
    assert!(desk.inbox(Some("requester")).unwrap().is_empty());
    let now = world.clock.now();

    // A copy taken now, before any re-key has run since the exchange: the reader must
    // find what the design promises to shred, or it proves nothing.
    let before = world.dir("desk-copy-before");
    copy_dir(&world.dir("desk"), &before);
    let found = recover(&before, pass("desk").expose(), now);
    let contact_states = found
        .sessions
        .values()
        .map(BTreeSet::len)
        .max()
        .unwrap_or(0);
    assert!(
        contact_states > 1,
        "control: the reader recovered no superseded session state ({found:?})"
    );
    assert!(
        found.expired_messages > 0,
        "control: the reader recovered no expired message"
    );
    let prekey_versions = found
        .prekey_sets
        .values()
        .map(BTreeSet::len)
        .max()
        .unwrap_or(0);
    assert!(
        prekey_versions > 1,
        "control: the reader recovered no superseded prekey set (with the used one-time prekey)"
    );
    println!(
        "before the re-key: {contact_states} session states of one contact, {} expired \
         messages, {prekey_versions} versions of the prekey set",
        found.expired_messages
    );

    // The window closes: the profile is closed (the CLI's shell lock does the same).
    desk.close().await;
    let after = recover(&world.dir("desk"), pass("desk").expose(), now);
    assert_eq!(after.expired_messages, 0, "an expired message survived");
    for (id, states) in &after.sessions {
        assert_eq!(
            states.len(),
            1,
            "contact {id}: superseded session states survived"
        );
    }
    assert_eq!(
        after.sessions.len(),
        1,
        "the current session must still be readable"
    );
    for (id, sets) in &after.prekey_sets {
        assert_eq!(sets.len(), 1, "invitation {id}: a used prekey set survived");
    }

    // The other window: no close, but the re-key interval of activity passes.
    let found = recover(&world.dir("requester"), pass("requester").expose(), now);
    assert!(
        found.sessions.values().any(|s| s.len() > 1),
        "control (requester)"
    );
    world.clock.advance(REKEY_EVERY_SECS);
    requester.send("desk", "one more").await.unwrap();
    let later = recover(
        &world.dir("requester"),
        pass("requester").expose(),
        world.clock.now(),
    );
    for (id, states) in &later.sessions {
        assert_eq!(
            states.len(),
            1,
            "requester, contact {id}: superseded states survived"
        );
    }
    assert_eq!(later.expired_messages, 0);
    requester.close().await;
}
