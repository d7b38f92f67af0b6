//! A seized profile directory must not contain any alias, mailbox id, message text, tree
//! name or duress payload in readable form. We write recognizable canaries through every
//! path the store offers, then scan every byte of every file for them.

// clippy.toml lets #[test] bodies unwrap; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::store::{KdfParams, Passphrase, Profile};
use data_encoding::{BASE64, HEXLOWER};
use std::num::NonZeroU64;
use std::path::Path;

const NOW: u64 = 1_750_000_000;

const ALIAS: &str = "Canary-Alias-Nadia";
const MESSAGE: &str = "canary message: meet at the blue door on Tuesday";
const MAILBOX_ID: [u8; 16] = *b"\x9c\x11canary-mbx\x42\x07\xee\x01";
const TREE: &str = "canary-tree-contacts";
const PAYLOAD: &str = "canary duress payload relay.example";

fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn needles() -> Vec<(&'static str, Vec<u8>)> {
    let mut needles = Vec::new();
    for (name, bytes) in [
        ("alias", ALIAS.as_bytes().to_vec()),
        ("message", MESSAGE.as_bytes().to_vec()),
        ("mailbox id", MAILBOX_ID.to_vec()),
        ("tree name", TREE.as_bytes().to_vec()),
        ("duress payload", PAYLOAD.as_bytes().to_vec()),
        ("passphrase", b"canary passphrase".to_vec()),
    ] {
        // A fragment catches partial leaks; encodings catch a leak through serialization.
        needles.push((name, bytes[..8].to_vec()));
        needles.push((name, HEXLOWER.encode(&bytes).into_bytes()));
        needles.push((name, BASE64.encode(&bytes).into_bytes()));
        needles.push((name, bytes));
    }
    needles.push((
        "mailbox id hex",
        HEXLOWER.encode(&MAILBOX_ID[..8]).into_bytes(),
    ));
    needles
}

fn assert_clean(dir: &Path, stage: &str) {
    let files = files_under(dir);
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for (name, needle) in needles() {
            assert!(
                !contains(bytes, &needle),
                "{stage}: the {name} appears in plaintext in {path}"
            );
        }
    }
}

#[test]
fn no_canary_appears_anywhere_in_the_profile_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let passphrase = Passphrase::from("canary passphrase");
    let store = Profile::create(
        &dir,
        &passphrase,
        KdfParams::insecure_for_tests(64, 1, 1).unwrap(),
    )
    .unwrap();

    store
        .put(TREE, ALIAS.as_bytes(), &MAILBOX_ID, None)
        .unwrap();
    store
        .put(TREE, &MAILBOX_ID, ALIAS.as_bytes(), Some(NOW + 10))
        .unwrap();
    store
        .put("aliases", ALIAS.as_bytes(), MESSAGE.as_bytes(), None)
        .unwrap();
    store
        .set_disappearing_timer(&MAILBOX_ID, NonZeroU64::new(60))
        .unwrap();
    for i in 0..50u64 {
        store
            .put_message(&MAILBOX_ID, &i.to_be_bytes(), MESSAGE.as_bytes(), NOW)
            .unwrap();
    }
    store
        .set_duress(&Passphrase::from("canary duress"), PAYLOAD.as_bytes())
        .unwrap();
    store.flush().unwrap();
    assert_clean(&dir, "after writing");

    // Overwrites, deletions and purges leave old versions in sled's log until it reuses
    // the space: those must be ciphertext too.
    for i in 0..50u64 {
        store
            .put(TREE, &i.to_be_bytes(), MESSAGE.as_bytes(), None)
            .unwrap();
        store.delete(TREE, &i.to_be_bytes()).unwrap();
    }
    store.purge_expired(NOW + 60).unwrap();
    store
        .change_passphrase(&passphrase, &Passphrase::from("canary passphrase 2"))
        .unwrap();
    drop(store);
    assert_clean(&dir, "after deletes, purge and passphrase change");

    // The canaries really were stored (the scan above is not vacuous).
    let mut store = Profile::unlock(&dir, &Passphrase::from("canary passphrase 2"))
        .unwrap()
        .store;
    store.rekey(NOW).unwrap();
    assert_eq!(
        store
            .get(TREE, ALIAS.as_bytes(), NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        MAILBOX_ID.as_slice()
    );
    drop(store);
    assert_clean(&dir, "after a normal unlock and a re-key");
}

/// The scanner itself finds a planted canary (so a clean result means something).
#[test]
fn the_scanner_finds_a_planted_canary() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("leak"), format!("xx{ALIAS}yy")).unwrap();
    let result = std::panic::catch_unwind(|| assert_clean(tmp.path(), "planted"));
    assert!(result.is_err());
}
