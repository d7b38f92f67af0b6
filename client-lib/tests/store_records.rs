//! Encrypted records: typed access, expiry and purging, disappearing messages, tamper
//! detection.

// clippy.toml lets #[test] bodies unwrap; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::store::{KdfParams, Passphrase, Profile, Store, StoreError};
use proptest::prelude::*;
use std::num::NonZeroU64;
use std::path::Path;

const NOW: u64 = 1_750_000_000;

fn params() -> KdfParams {
    KdfParams::insecure_for_tests(64, 1, 1).unwrap()
}

fn new_store(dir: &Path) -> Store {
    Profile::create(dir, &Passphrase::from("pw"), params()).unwrap()
}

#[test]
fn put_get_delete_and_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(tmp.path());
    store.put("contacts", b"bob", b"2", None).unwrap();
    store.put("contacts", b"alice", b"1", None).unwrap();
    store.put("contacts", b"carol", b"3", None).unwrap();
    store.put("cases", b"alice", b"a case", None).unwrap();

    assert_eq!(
        store
            .get("contacts", b"alice", NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"1"
    );
    assert_eq!(
        store
            .get("cases", b"alice", NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"a case"
    );
    assert!(store.get("contacts", b"dave", NOW).unwrap().is_none());
    assert!(store.get("other", b"alice", NOW).unwrap().is_none());

    store.put("contacts", b"bob", b"two", None).unwrap();
    let listed: Vec<(Vec<u8>, Vec<u8>)> = store
        .scan("contacts", NOW)
        .unwrap()
        .into_iter()
        .map(|r| (r.key.to_vec(), r.value.to_vec()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (b"alice".to_vec(), b"1".to_vec()),
            (b"bob".to_vec(), b"two".to_vec()),
            (b"carol".to_vec(), b"3".to_vec()),
        ]
    );
    assert_eq!(store.scan("cases", NOW).unwrap().len(), 1);

    assert!(store.delete("contacts", b"bob").unwrap());
    assert!(!store.delete("contacts", b"bob").unwrap());
    assert_eq!(store.scan("contacts", NOW).unwrap().len(), 2);
    assert_eq!(store.clear_tree("contacts").unwrap(), 2);
    assert!(store.scan("contacts", NOW).unwrap().is_empty());
    assert_eq!(store.scan("cases", NOW).unwrap().len(), 1);
}

#[test]
fn records_persist_across_unlocks() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(tmp.path());
    store.put("t", b"k", b"v", Some(NOW + 100)).unwrap();
    drop(store);
    let store = Profile::unlock(tmp.path(), &Passphrase::from("pw"))
        .unwrap()
        .store;
    let record = store.get_record("t", b"k", NOW).unwrap().unwrap();
    assert_eq!(record.value.as_slice(), b"v");
    assert_eq!(record.expires_at, Some(NOW + 100));
}

#[test]
fn expired_records_are_invisible_then_purged() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(tmp.path());
    store.put("msgs", b"1", b"old", Some(NOW - 1)).unwrap();
    store.put("msgs", b"2", b"now", Some(NOW)).unwrap();
    store.put("msgs", b"3", b"later", Some(NOW + 60)).unwrap();
    store.put("msgs", b"4", b"forever", None).unwrap();
    store.put("cases", b"closed", b"x", Some(NOW - 5)).unwrap();

    assert!(store.get("msgs", b"1", NOW).unwrap().is_none());
    assert!(
        store.get("msgs", b"2", NOW).unwrap().is_none(),
        "expiry is inclusive"
    );
    assert!(store.get("msgs", b"2", NOW - 1).unwrap().is_some());
    let keys: Vec<Vec<u8>> = store
        .scan("msgs", NOW)
        .unwrap()
        .into_iter()
        .map(|r| r.key.to_vec())
        .collect();
    assert_eq!(keys, vec![b"3".to_vec(), b"4".to_vec()]);

    assert_eq!(store.purge_expired(NOW).unwrap(), 3);
    // Gone for good, even when read "in the past".
    assert!(store.get("msgs", b"1", 0).unwrap().is_none());
    assert!(store.get("cases", b"closed", 0).unwrap().is_none());
    assert!(store.get("msgs", b"3", NOW).unwrap().is_some());
    assert_eq!(store.purge_expired(NOW).unwrap(), 0);
    assert_eq!(store.purge_expired(NOW + 60).unwrap(), 1);
    assert_eq!(store.scan("msgs", u64::MAX).unwrap().len(), 1);
}

#[test]
fn disappearing_messages_follow_the_conversation_timer() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(tmp.path());
    let chat = b"conversation-1";
    let other = b"conversation-2";
    assert_eq!(store.disappearing_timer(chat).unwrap(), None);
    assert_eq!(
        store
            .put_message(chat, &1u64.to_be_bytes(), b"kept", NOW)
            .unwrap(),
        None
    );

    store
        .set_disappearing_timer(chat, NonZeroU64::new(3600))
        .unwrap();
    assert_eq!(
        store.disappearing_timer(chat).unwrap(),
        NonZeroU64::new(3600)
    );
    assert_eq!(store.disappearing_timer(other).unwrap(), None);
    assert_eq!(
        store
            .put_message(chat, &2u64.to_be_bytes(), b"fleeting", NOW)
            .unwrap(),
        Some(NOW + 3600)
    );
    store
        .put_message(other, &1u64.to_be_bytes(), b"elsewhere", NOW)
        .unwrap();

    let bodies = |at| -> Vec<Vec<u8>> {
        store
            .messages(chat, at)
            .unwrap()
            .into_iter()
            .map(|r| r.value.to_vec())
            .collect()
    };
    assert_eq!(bodies(NOW), vec![b"kept".to_vec(), b"fleeting".to_vec()]);
    assert_eq!(bodies(NOW + 3600), vec![b"kept".to_vec()]);
    assert_eq!(store.purge_expired(NOW + 3600).unwrap(), 1);
    assert_eq!(store.messages(other, NOW + 3600).unwrap().len(), 1);

    store.set_disappearing_timer(chat, None).unwrap();
    assert_eq!(store.disappearing_timer(chat).unwrap(), None);
    assert_eq!(store.delete_conversation(chat).unwrap(), 1);
    assert!(store.messages(chat, NOW).unwrap().is_empty());
}

/// Moving ciphertext around inside the database is detected.
#[test]
fn swapped_records_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let store = new_store(tmp.path());
    store.put("contacts", b"alice", b"mailbox-a", None).unwrap();
    store.put("contacts", b"bob", b"mailbox-b", None).unwrap();
    drop(store);

    {
        let db = sled::open(tmp.path().join("db-0")).unwrap();
        let entries: Vec<_> = db.iter().map(Result::unwrap).collect();
        assert_eq!(entries.len(), 2);
        db.insert(&entries[0].0, entries[1].1.clone()).unwrap();
        db.insert(&entries[1].0, entries[0].1.clone()).unwrap();
        db.flush().unwrap();
    }

    let store = Profile::unlock(tmp.path(), &Passphrase::from("pw"))
        .unwrap()
        .store;
    assert!(matches!(
        store.get("contacts", b"alice", NOW),
        Err(StoreError::CorruptRecord)
    ));
    assert!(matches!(
        store.scan("contacts", NOW),
        Err(StoreError::CorruptRecord)
    ));
    assert!(matches!(
        store.purge_expired(NOW),
        Err(StoreError::CorruptRecord)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_record_round_trips(
        tree in ".{0,20}",
        key in proptest::collection::vec(any::<u8>(), 0..64),
        value in proptest::collection::vec(any::<u8>(), 0..1024),
        expires_at in proptest::option::of(any::<u64>()),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let store = new_store(tmp.path());
        store.put(&tree, &key, &value, expires_at).unwrap();
        let record = store.get_record(&tree, &key, 0).unwrap();
        if expires_at == Some(0) {
            prop_assert!(record.is_none());
        } else {
            let record = record.unwrap();
            prop_assert_eq!(record.value.as_slice(), value.as_slice());
            prop_assert_eq!(record.key.as_slice(), key.as_slice());
            prop_assert_eq!(record.expires_at, expires_at);
            let listed = store.scan(&tree, 0).unwrap();
            prop_assert_eq!(listed.len(), 1);
        }
    }
}

fn hard_link_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            hard_link_tree(&path, &target);
        } else {
            std::fs::hard_link(&path, &target).unwrap();
        }
    }
}

/// Re-keying moves live records under a new data key and makes the old ciphertext (sled's
/// log keeps deleted records until it reuses the space) unreadable for good.
#[test]
fn rekey_makes_deleted_and_expired_records_unrecoverable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let mut store = new_store(&dir);
    store
        .set_duress(&Passphrase::from("duress"), b"kit")
        .unwrap();
    store.put("contacts", b"alice", b"mailbox-a", None).unwrap();
    store.put("msgs", b"1", b"expired", Some(NOW - 1)).unwrap();
    store.put("msgs", b"2", b"live", Some(NOW + 60)).unwrap();
    store.put("msgs", b"3", b"deleted", None).unwrap();
    store.delete("msgs", b"3").unwrap();
    store.flush().unwrap();

    // Keep the old database's inodes and the old key file's inode alive, as a forensic
    // copy of the medium would.
    let old_db = tmp.path().join("old-db");
    hard_link_tree(&dir.join("db-0"), &old_db);
    let witness = tmp.path().join("old-key");
    std::fs::hard_link(dir.join("key"), &witness).unwrap();
    let old_key = std::fs::read(&witness).unwrap();

    assert_eq!(store.rekey(NOW).unwrap(), 2);
    assert!(!dir.join("db-0").exists());
    assert!(dir.join("db-1").exists());
    assert_ne!(
        std::fs::read(&witness).unwrap(),
        old_key,
        "old key file overwritten"
    );

    // The store goes on working, and so does every passphrase.
    assert_eq!(
        store
            .get("contacts", b"alice", NOW)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"mailbox-a"
    );
    assert!(store.get("msgs", b"1", 0).unwrap().is_none());
    store.put("contacts", b"bob", b"mailbox-b", None).unwrap();
    drop(store);
    let unlocked = Profile::unlock(&dir, &Passphrase::from("pw")).unwrap();
    let keys: Vec<Vec<u8>> = unlocked
        .store
        .scan("msgs", NOW)
        .unwrap()
        .into_iter()
        .map(|r| r.key.to_vec())
        .collect();
    assert_eq!(keys, vec![b"2".to_vec()]);
    assert_eq!(unlocked.store.scan("contacts", NOW).unwrap().len(), 2);
    drop(unlocked);

    // The old ciphertext under the current key file: nothing decrypts.
    std::fs::remove_dir_all(dir.join("db-1")).unwrap();
    std::fs::rename(&old_db, dir.join("db-1")).unwrap();
    let store = Profile::unlock(&dir, &Passphrase::from("pw"))
        .unwrap()
        .store;
    // Names are HMACs under the new key, so lookups find nothing; and every old entry
    // fails authentication under the new key.
    assert!(store.get("contacts", b"alice", NOW).unwrap().is_none());
    assert!(matches!(
        store.purge_expired(NOW),
        Err(StoreError::CorruptRecord)
    ));
    drop(store);

    // The duress slot survived the re-key.
    let unlocked = Profile::unlock(&dir, &Passphrase::from("duress")).unwrap();
    assert!(matches!(
        unlocked.kind,
        corridor_client::store::UnlockKind::Duress { .. }
    ));
}

#[test]
fn a_leftover_database_from_an_interrupted_rekey_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let store = new_store(&dir);
    store.put("t", b"k", b"v", None).unwrap();
    drop(store);
    std::fs::create_dir_all(dir.join("db-1")).unwrap();
    std::fs::write(dir.join("db-1").join("junk"), b"partial copy").unwrap();
    let store = Profile::unlock(&dir, &Passphrase::from("pw"))
        .unwrap()
        .store;
    assert!(!dir.join("db-1").exists());
    assert!(store.get("t", b"k", NOW).unwrap().is_some());
}
