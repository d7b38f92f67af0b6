//! Profile life cycle: create, unlock, wrong passphrase, passphrase change, panic wipe,
//! duress, wipe after N failures.

// clippy.toml lets #[test] bodies unwrap; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::store::{
    DURESS_PAYLOAD_MAX, KEY_FILE_LEN, KdfParams, Passphrase, Profile, StoreError, UnlockKind,
};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

const NOW: u64 = 1_750_000_000;

fn params() -> KdfParams {
    KdfParams::insecure_for_tests(64, 1, 1).unwrap()
}

fn pass(s: &str) -> Passphrase {
    Passphrase::from(s)
}

fn profile_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    (tmp, dir)
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn populated(dir: &Path) {
    let store = Profile::create(dir, &pass("real passphrase"), params()).unwrap();
    store.put("contacts", b"alice", b"mailbox-a", None).unwrap();
    store.put("cases", b"case-1", b"open", None).unwrap();
    store.flush().unwrap();
}

#[test]
fn create_then_unlock_keeps_the_data() {
    let (_tmp, dir) = profile_dir();
    assert!(!Profile::exists(&dir));
    populated(&dir);
    assert!(Profile::exists(&dir));
    assert_eq!(
        std::fs::metadata(dir.join("key")).unwrap().len(),
        KEY_FILE_LEN as u64
    );

    let unlocked = Profile::unlock(&dir, &pass("real passphrase")).unwrap();
    assert!(matches!(unlocked.kind, UnlockKind::Normal));
    let store = unlocked.store;
    assert_eq!(
        store
            .get("contacts", b"alice", NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"mailbox-a"
    );
    assert_eq!(
        store
            .get("cases", b"case-1", NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"open"
    );
}

#[test]
fn create_refuses_an_existing_profile_and_empty_passphrases() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let before = snapshot(&dir);
    assert!(matches!(
        Profile::create(&dir, &pass("other"), params()),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(snapshot(&dir), before);

    let (_tmp2, dir2) = profile_dir();
    assert!(matches!(
        Profile::create(&dir2, &pass(""), params()),
        Err(StoreError::EmptyPassphrase)
    ));
    assert!(!Profile::exists(&dir2));
}

#[test]
fn production_constructor_refuses_weak_parameters() {
    assert!(KdfParams::new(64, 1, 1).is_err());
    assert!(KdfParams::new(8 * 1024, 3, 1).is_err());
}

#[test]
fn unlocking_nothing_is_a_clear_error() {
    let (_tmp, dir) = profile_dir();
    assert!(matches!(
        Profile::unlock(&dir, &pass("anything")),
        Err(StoreError::NoProfile)
    ));
}

#[test]
fn wrong_passphrase_is_a_clear_error_and_changes_nothing() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    {
        let store = Profile::unlock(&dir, &pass("real passphrase"))
            .unwrap()
            .store;
        store.set_duress(&pass("duress"), b"kit").unwrap();
    }
    let before = snapshot(&dir);
    for wrong in ["real passphrasE", "real passphrase ", "x"] {
        let error = Profile::unlock(&dir, &pass(wrong)).unwrap_err();
        assert!(matches!(error, StoreError::WrongPassphrase));
        assert_eq!(error.to_string(), "wrong passphrase");
    }
    assert_eq!(
        snapshot(&dir),
        before,
        "a failed unlock must not touch any file"
    );
    // And the profile still opens.
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    assert!(store.get("contacts", b"alice", NOW).unwrap().is_some());
}

#[test]
fn damaged_key_file_is_reported_not_panicked_on() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let key = dir.join("key");
    let good = std::fs::read(&key).unwrap();
    std::fs::write(&key, &good[..100]).unwrap();
    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::CorruptKeyFile)
    ));
    // A flipped ciphertext bit in the normal slot: the slot no longer opens.
    let mut flipped = good.clone();
    flipped[60] ^= 1;
    std::fs::write(&key, &flipped).unwrap();
    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::WrongPassphrase)
    ));
    std::fs::write(&key, &good).unwrap();
    assert!(Profile::unlock(&dir, &pass("real passphrase")).is_ok());
}

#[test]
fn passphrase_change_rewraps_only_the_key() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    store.set_duress(&pass("duress"), b"kit").unwrap();
    store.flush().unwrap();
    let db_before = snapshot(&dir.join("db-0"));

    // Wrong old passphrase: refused, nothing changes.
    let key_before = std::fs::read(dir.join("key")).unwrap();
    assert!(matches!(
        store.change_passphrase(&pass("not it"), &pass("new passphrase")),
        Err(StoreError::WrongPassphrase)
    ));
    // The duress passphrase cannot become the passphrase.
    assert!(matches!(
        store.change_passphrase(&pass("real passphrase"), &pass("duress")),
        Err(StoreError::SameAsOtherPassphrase)
    ));
    assert_eq!(std::fs::read(dir.join("key")).unwrap(), key_before);

    let witness = dir.parent().unwrap().join("witness");
    std::fs::hard_link(dir.join("key"), &witness).unwrap();
    store
        .change_passphrase(&pass("real passphrase"), &pass("new passphrase"))
        .unwrap();
    drop(store);
    // The wrapping under the old passphrase was overwritten in place, not just unlinked.
    let old_version = std::fs::read(&witness).unwrap();
    assert_eq!(old_version.len(), key_before.len());
    assert_ne!(old_version, key_before);
    assert!(!dir.join("key.old").exists());
    assert_eq!(
        snapshot(&dir.join("db-0")),
        db_before,
        "no record was re-encrypted"
    );

    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::WrongPassphrase)
    ));
    let unlocked = Profile::unlock(&dir, &pass("new passphrase")).unwrap();
    assert!(matches!(unlocked.kind, UnlockKind::Normal));
    assert!(
        unlocked
            .store
            .get("contacts", b"alice", NOW)
            .unwrap()
            .is_some()
    );
    drop(unlocked);
    // The duress passphrase survived the change.
    let unlocked = Profile::unlock(&dir, &pass("duress")).unwrap();
    assert!(matches!(unlocked.kind, UnlockKind::Duress { .. }));
}

#[test]
fn panic_wipe_leaves_nothing_that_opens() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    // A second name for the key file's inode shows what happened to its bytes in place.
    let witness = dir.parent().unwrap().join("witness");
    std::fs::hard_link(dir.join("key"), &witness).unwrap();
    let original = std::fs::read(&witness).unwrap();
    // Keep a copy of the database, as if sled's files had survived on the medium.
    let db_copy = snapshot(&dir.join("db-0"));

    Profile::panic_wipe(&dir).unwrap();

    assert!(!Profile::exists(&dir));
    assert!(!dir.exists(), "the emptied profile directory is removed");
    let after = std::fs::read(&witness).unwrap();
    assert_eq!(after.len(), original.len());
    assert_ne!(
        after, original,
        "the key file was overwritten in place before unlinking"
    );
    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::NoProfile)
    ));

    // Even with the database restored and the overwritten key file's bytes put back, the
    // right passphrase opens nothing.
    for (path, bytes) in &db_copy {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::write(dir.join("key"), &after).unwrap();
    assert!(Profile::unlock(&dir, &pass("real passphrase")).is_err());

    // Wiping nothing is fine (a panic button may be pressed twice).
    Profile::panic_wipe(&dir).unwrap();
    Profile::panic_wipe(&dir).unwrap();
}

#[test]
fn wipe_of_an_open_store() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    store.wipe().unwrap();
    assert!(!Profile::exists(&dir));
    assert!(!dir.exists());
}

#[test]
fn duress_unlock_destroys_the_real_profile_and_opens_an_empty_one() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    {
        let store = Profile::unlock(&dir, &pass("real passphrase"))
            .unwrap()
            .store;
        store
            .set_duress(&pass("duress"), b"alert kit: relay, deposit, keys")
            .unwrap();
        store.set_failed_unlock_limit(NonZeroU32::new(7)).unwrap();
    }
    let witness = dir.parent().unwrap().join("witness");
    std::fs::hard_link(dir.join("key"), &witness).unwrap();
    let original = std::fs::read(&witness).unwrap();

    let unlocked = Profile::unlock(&dir, &pass("duress")).unwrap();
    match &unlocked.kind {
        UnlockKind::Duress { payload } => {
            assert_eq!(payload.as_slice(), b"alert kit: relay, deposit, keys");
        }
        other => panic!("expected a duress unlock, got {other:?}"),
    }
    assert_eq!(
        format!("{:?}", unlocked.kind),
        "Duress { payload: redacted }"
    );

    // The decoy is empty and works normally.
    let store = unlocked.store;
    assert!(store.get("contacts", b"alice", NOW).unwrap().is_none());
    assert!(store.scan("contacts", NOW).unwrap().is_empty());
    assert!(store.scan("cases", NOW).unwrap().is_empty());
    store.put("notes", b"n1", b"shopping list", None).unwrap();
    // The decoy keeps the look of the real profile's settings.
    assert_eq!(store.failed_unlock_limit().unwrap(), NonZeroU32::new(7));
    drop(store);

    // The real data key is gone: the old key file's bytes were overwritten in place.
    let overwritten = std::fs::read(&witness).unwrap();
    assert_ne!(overwritten, original);
    // The key file looks like any other: same size, same header (parameters and salt).
    let new_key = std::fs::read(dir.join("key")).unwrap();
    assert_eq!(new_key.len(), KEY_FILE_LEN);
    assert_eq!(new_key[..38], original[..38]);

    // The real passphrase opens nothing; the duress passphrase now opens the decoy as a
    // normal profile (its duress slot is unused again).
    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::WrongPassphrase)
    ));
    let again = Profile::unlock(&dir, &pass("duress")).unwrap();
    assert!(matches!(again.kind, UnlockKind::Normal));
    assert_eq!(
        again
            .store
            .get("notes", b"n1", NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"shopping list"
    );
}

#[test]
fn duress_passphrase_must_differ_and_payload_must_fit() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    let before = std::fs::read(dir.join("key")).unwrap();
    assert!(matches!(
        store.set_duress(&pass("real passphrase"), b"kit"),
        Err(StoreError::SameAsOtherPassphrase)
    ));
    assert!(matches!(
        store.set_duress(&pass("duress"), &vec![0; DURESS_PAYLOAD_MAX + 1]),
        Err(StoreError::PayloadTooLarge { .. })
    ));
    assert!(matches!(
        store.set_duress(&pass(""), b"kit"),
        Err(StoreError::EmptyPassphrase)
    ));
    assert_eq!(std::fs::read(dir.join("key")).unwrap(), before);
    store
        .set_duress(&pass("duress"), &vec![1; DURESS_PAYLOAD_MAX])
        .unwrap();
    assert_eq!(std::fs::read(dir.join("key")).unwrap().len(), KEY_FILE_LEN);
}

#[test]
fn cleared_duress_passphrase_is_just_wrong() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    store.set_duress(&pass("duress"), b"kit").unwrap();
    store.clear_duress().unwrap();
    drop(store);
    assert!(matches!(
        Profile::unlock(&dir, &pass("duress")),
        Err(StoreError::WrongPassphrase)
    ));
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    assert!(store.get("contacts", b"alice", NOW).unwrap().is_some());
}

#[test]
fn key_file_does_not_reveal_whether_duress_is_set() {
    let (_tmp, with) = profile_dir();
    let (_tmp2, without) = profile_dir();
    populated(&with);
    populated(&without);
    Profile::unlock(&with, &pass("real passphrase"))
        .unwrap()
        .store
        .set_duress(&pass("duress"), b"")
        .unwrap();
    let a = std::fs::read(with.join("key")).unwrap();
    let b = std::fs::read(without.join("key")).unwrap();
    assert_eq!(a.len(), b.len());
    // Both duress slots are full-length high-entropy bytes: no zero runs, no length field.
    for file in [&a, &b] {
        let slot = &file[102..];
        let zeros = slot.iter().filter(|&&x| x == 0).count();
        assert!(zeros < slot.len() / 64, "slot looks structured");
    }
}

#[test]
fn failed_unlock_limit_wipes_after_n_consecutive_failures() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let store = Profile::unlock(&dir, &pass("real passphrase"))
        .unwrap()
        .store;
    assert_eq!(store.failed_unlock_limit().unwrap(), None);
    store.set_failed_unlock_limit(NonZeroU32::new(3)).unwrap();
    drop(store);

    // Two failures, then a success resets the count.
    for _ in 0..2 {
        assert!(matches!(
            Profile::unlock(&dir, &pass("guess")),
            Err(StoreError::WrongPassphrase)
        ));
    }
    drop(Profile::unlock(&dir, &pass("real passphrase")).unwrap());
    for _ in 0..2 {
        assert!(matches!(
            Profile::unlock(&dir, &pass("guess")),
            Err(StoreError::WrongPassphrase)
        ));
    }
    assert!(Profile::exists(&dir));
    assert!(matches!(
        Profile::unlock(&dir, &pass("guess")),
        Err(StoreError::WipedAfterFailedUnlocks)
    ));
    assert!(!Profile::exists(&dir));
    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::NoProfile)
    ));
}

#[test]
fn failed_unlock_limit_is_off_by_default() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    for _ in 0..12 {
        assert!(matches!(
            Profile::unlock(&dir, &pass("guess")),
            Err(StoreError::WrongPassphrase)
        ));
    }
    assert!(Profile::unlock(&dir, &pass("real passphrase")).is_ok());
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    let unlocked = Profile::unlock(&dir, &pass("real passphrase")).unwrap();
    let shown = format!("{unlocked:?} {:?}", pass("real passphrase"));
    assert!(!shown.contains("real passphrase"));
    assert!(!shown.contains("profile"), "no path in Debug: {shown}");
}

#[test]
fn store_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<corridor_client::store::Store>();
    assert_send_sync::<corridor_client::store::Unlocked>();
}

#[test]
fn interrupted_creation_leaves_no_profile_and_is_cleaned_up() {
    let (_tmp, dir) = profile_dir();
    populated(&dir);
    // Simulate a creation that died before writing the key file: a database but no key.
    std::fs::remove_file(dir.join("key")).unwrap();
    assert!(!Profile::exists(&dir));
    assert!(matches!(
        Profile::unlock(&dir, &pass("real passphrase")),
        Err(StoreError::NoProfile)
    ));
    let store = Profile::create(&dir, &pass("fresh"), params()).unwrap();
    assert!(store.scan("contacts", NOW).unwrap().is_empty());
}
