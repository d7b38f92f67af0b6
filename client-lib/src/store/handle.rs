//! [`Store`]: an unlocked profile.

use super::error::StoreError;
use super::files;
use super::guard::Guard;
use super::keyfile::{KEY_FILE_NAME, KeyFile};
use super::profile::{DB_DIR_NAME, Profile};
use super::records::{Record, RecordCipher, SLED_KEY_LEN};
use crate::primitives::Secret;
use crate::primitives::passphrase::{Passphrase, derive_kek};
use std::fmt;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// An unlocked profile: encrypted key-value records in named logical trees, and the key
/// management of the profile (passphrase, duress passphrase, failed-unlock limit).
///
/// Every record key and value is encrypted on disk (see `docs/store.md`). Time never comes
/// from a clock inside the store: reads and purges take `now` in Unix seconds.
///
/// Dropping the store flushes the database. One process at a time may hold a profile open.
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    cipher: RecordCipher,
    data_key: Secret<32>,
    // Serializes read-modify-write cycles of the key file and guard file.
    key_file_lock: Mutex<()>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Store { .. }")
    }
}

fn empty_check(passphrase: &Passphrase) -> Result<(), StoreError> {
    if passphrase.is_empty() {
        Err(StoreError::EmptyPassphrase)
    } else {
        Ok(())
    }
}

impl Store {
    /// Opens (or creates) the database of the profile in `dir` under `data_key`.
    pub(crate) fn open_db(dir: &Path, data_key: Secret<32>) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir.join(DB_DIR_NAME))
            .cache_capacity(16 * 1024 * 1024)
            .open()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            db,
            cipher: RecordCipher::new(&data_key)?,
            data_key,
            key_file_lock: Mutex::new(()),
        })
    }

    /// The profile directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ---- records -------------------------------------------------------------------

    /// Stores `value` under `key` in logical tree `tree`, replacing any previous value.
    /// With `expires_at` (Unix seconds) the record stops existing from that second on:
    /// reads ignore it and [`Store::purge_expired`] deletes it.
    ///
    /// # Errors
    /// [`StoreError::Database`] if sled fails; [`StoreError::Crypto`] if randomness fails.
    pub fn put(
        &self,
        tree: &str,
        key: &[u8],
        value: &[u8],
        expires_at: Option<u64>,
    ) -> Result<(), StoreError> {
        let sled_key = self.cipher.sled_key(tree, key);
        let sealed = self.cipher.seal(&sled_key, key, value, expires_at)?;
        self.db.insert(sled_key, sealed)?;
        Ok(())
    }

    /// The record under `key` in `tree`, unless absent or expired at `now`.
    ///
    /// # Errors
    /// [`StoreError::CorruptRecord`] if the stored entry fails authentication.
    pub fn get_record(
        &self,
        tree: &str,
        key: &[u8],
        now: u64,
    ) -> Result<Option<Record>, StoreError> {
        let sled_key = self.cipher.sled_key(tree, key);
        let Some(stored) = self.db.get(sled_key)? else {
            return Ok(None);
        };
        let record = self.cipher.open(tree, &sled_key, &stored)?;
        Ok((!record.is_expired(now)).then_some(record))
    }

    /// The value under `key` in `tree`, unless absent or expired at `now`.
    ///
    /// # Errors
    /// As [`Store::get_record`].
    pub fn get(
        &self,
        tree: &str,
        key: &[u8],
        now: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        Ok(self.get_record(tree, key, now)?.map(|record| record.value))
    }

    /// Deletes the record under `key` in `tree`; returns whether there was one (expired
    /// or not).
    ///
    /// # Errors
    /// [`StoreError::Database`] if sled fails.
    pub fn delete(&self, tree: &str, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.db.remove(self.cipher.sled_key(tree, key))?.is_some())
    }

    /// Every record of `tree` not expired at `now`, sorted by record key.
    ///
    /// # Errors
    /// [`StoreError::CorruptRecord`] if any entry of the tree fails authentication.
    pub fn scan(&self, tree: &str, now: u64) -> Result<Vec<Record>, StoreError> {
        let mut records = Vec::new();
        for entry in self.db.scan_prefix(self.cipher.tree_tag(tree)) {
            let (sled_key, stored) = entry?;
            let record = self.cipher.open(tree, &sled_key, &stored)?;
            if !record.is_expired(now) {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(records)
    }

    /// Deletes every record of `tree`; returns how many there were.
    ///
    /// # Errors
    /// [`StoreError::Database`] if sled fails.
    pub fn clear_tree(&self, tree: &str) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in self.db.scan_prefix(self.cipher.tree_tag(tree)) {
            let (sled_key, _) = entry?;
            if self.db.remove(sled_key)?.is_some() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Deletes every record, in every tree, expired at `now`; returns how many.
    ///
    /// Decrypts every record to read its expiry (expiries are not stored in the clear,
    /// since they would date the messages). A record rewritten meanwhile is left alone.
    /// Deleted ciphertext may linger in sled's log until sled reuses that space; it stays
    /// encrypted under the data key (see `docs/store.md`).
    ///
    /// # Errors
    /// [`StoreError::CorruptRecord`] if some entry fails authentication: every expired
    /// record that could be read has still been deleted.
    pub fn purge_expired(&self, now: u64) -> Result<usize, StoreError> {
        let mut removed = 0;
        let mut corrupt = false;
        for entry in self.db.iter() {
            let (sled_key, stored) = entry?;
            match self.expiry_of(&sled_key, &stored) {
                Some(Some(at)) if now >= at => {
                    // Only if unchanged since we read it.
                    if self
                        .db
                        .compare_and_swap(&sled_key, Some(&stored), None as Option<&[u8]>)?
                        .is_ok()
                    {
                        removed += 1;
                    }
                }
                Some(_) => {}
                None => corrupt = true,
            }
        }
        if corrupt {
            return Err(StoreError::CorruptRecord);
        }
        Ok(removed)
    }

    /// The expiry of an entry whose tree we do not know: authenticate it under its own
    /// sled key, then check the record's name maps back to it via its tree tag.
    fn expiry_of(&self, sled_key: &[u8], stored: &[u8]) -> Option<Option<u64>> {
        if sled_key.len() != SLED_KEY_LEN {
            return None;
        }
        self.cipher
            .open_any_tree(sled_key, stored)
            .ok()
            .map(|record| record.expires_at)
    }

    /// Makes every write so far durable (fsync).
    ///
    /// # Errors
    /// [`StoreError::Database`] if sled fails.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    // ---- key management ------------------------------------------------------------

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // A poisoned lock only means another thread panicked mid-write; the files are
        // replaced atomically, so the state on disk is still whole.
        self.key_file_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read_key_file(&self) -> Result<KeyFile, StoreError> {
        let bytes =
            files::read_if_present(&self.dir.join(KEY_FILE_NAME))?.ok_or(StoreError::NoProfile)?;
        KeyFile::decode(&bytes)
    }

    fn write_key_file(&self, file: &KeyFile) -> Result<(), StoreError> {
        files::replace_and_shred_old(&self.dir, KEY_FILE_NAME, &file.encode())
    }

    /// Sets (or replaces) the duress passphrase and the payload that an unlock with it
    /// hands back as [`super::UnlockKind::Duress`]. Costs one Argon2id derivation.
    ///
    /// Nothing on disk says whether a duress passphrase is set: the duress slot is always
    /// the same size, random-looking bytes.
    ///
    /// # Errors
    /// [`StoreError::EmptyPassphrase`]; [`StoreError::SameAsOtherPassphrase`] if it is the
    /// profile's passphrase; [`StoreError::PayloadTooLarge`] above
    /// [`super::DURESS_PAYLOAD_MAX`] bytes. Nothing changes on error.
    pub fn set_duress(&self, duress: &Passphrase, payload: &[u8]) -> Result<(), StoreError> {
        empty_check(duress)?;
        let _guard = self.lock();
        let mut file = self.read_key_file()?;
        let kek = derive_kek(duress.expose(), file.salt(), file.params())?;
        if file.open_normal(&kek).is_ok() {
            return Err(StoreError::SameAsOtherPassphrase);
        }
        file.seal_duress(&kek, payload)?;
        self.write_key_file(&file)
    }

    /// Removes the duress passphrase, if any (the slot becomes fresh random bytes).
    ///
    /// # Errors
    /// I/O failures.
    pub fn clear_duress(&self) -> Result<(), StoreError> {
        let _guard = self.lock();
        let mut file = self.read_key_file()?;
        file.clear_duress()?;
        self.write_key_file(&file)
    }

    /// Changes the passphrase: re-wraps the data key, re-encrypts no record. Salt and
    /// Argon2id parameters stay as they are (the duress slot depends on them). Costs two
    /// Argon2id derivations.
    ///
    /// # Errors
    /// [`StoreError::WrongPassphrase`] if `old` is not the passphrase;
    /// [`StoreError::SameAsOtherPassphrase`] if `new` is the duress passphrase;
    /// [`StoreError::EmptyPassphrase`]. Nothing changes on error.
    pub fn change_passphrase(&self, old: &Passphrase, new: &Passphrase) -> Result<(), StoreError> {
        empty_check(new)?;
        let _guard = self.lock();
        let mut file = self.read_key_file()?;
        let old_kek = derive_kek(old.expose(), file.salt(), file.params())?;
        match file.open_normal(&old_kek) {
            Ok(key) if key == self.data_key => {}
            _ => return Err(StoreError::WrongPassphrase),
        }
        let new_kek = derive_kek(new.expose(), file.salt(), file.params())?;
        if file.open_duress(&new_kek).is_ok() {
            return Err(StoreError::SameAsOtherPassphrase);
        }
        file.seal_normal(&new_kek, &self.data_key)?;
        self.write_key_file(&file)
    }

    /// Sets the optional wipe after `limit` consecutive failed unlocks (`None`: off, the
    /// default). Resets the failure count.
    ///
    /// # Errors
    /// I/O failures.
    pub fn set_failed_unlock_limit(&self, limit: Option<NonZeroU32>) -> Result<(), StoreError> {
        let _guard = self.lock();
        Guard {
            limit: limit.map_or(0, NonZeroU32::get),
            count: 0,
        }
        .save(&self.dir)
    }

    /// The failed-unlock limit, if one is set.
    ///
    /// # Errors
    /// I/O failures.
    pub fn failed_unlock_limit(&self) -> Result<Option<NonZeroU32>, StoreError> {
        Ok(NonZeroU32::new(Guard::load(&self.dir)?.limit))
    }

    /// Closes the store and wipes the profile as [`Profile::panic_wipe`] does.
    ///
    /// # Errors
    /// As [`Profile::panic_wipe`].
    pub fn wipe(self) -> Result<(), StoreError> {
        let dir = self.dir.clone();
        drop(self);
        Profile::panic_wipe(&dir)
    }
}
