//! [`Store`]: an unlocked profile.

use super::error::StoreError;
use super::files;
use super::guard::Guard;
use super::keyfile::{KEY_FILE_NAME, KeyFile, Wrapped, normal_slot_key};
use super::profile::{Profile, db_dir};
use super::records::{Record, RecordCipher, SLED_KEY_LEN};
use crate::primitives::Secret;
use crate::primitives::aead::AeadKey;
use crate::primitives::passphrase::{Passphrase, derive_kek};
use crate::primitives::random::OsRng;
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
    generation: u32,
    // The key sealing the normal slot (derived from the passphrase), kept so that a re-key
    // needs no passphrase; it also serializes read-modify-write cycles of the key file
    // and guard file.
    normal_slot_key: Mutex<AeadKey>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Store { .. }")
    }
}

fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    Ok(sled::Config::new()
        .path(path)
        .cache_capacity(16 * 1024 * 1024)
        .open()?)
}

fn empty_check(passphrase: &Passphrase) -> Result<(), StoreError> {
    if passphrase.is_empty() {
        Err(StoreError::EmptyPassphrase)
    } else {
        Ok(())
    }
}

impl Store {
    /// Opens (or creates) the database of generation `wrapped.generation` in `dir` under
    /// `wrapped.data_key`, and removes the other generation's directory if an interrupted
    /// re-key left it behind.
    pub(crate) fn open_db(
        dir: &Path,
        wrapped: Wrapped,
        normal_slot_key: AeadKey,
    ) -> Result<Self, StoreError> {
        let Wrapped {
            data_key,
            generation,
        } = wrapped;
        files::remove_dir_if_present(&db_dir(dir, generation.wrapping_add(1)))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            db: open_sled(&db_dir(dir, generation))?,
            cipher: RecordCipher::new(&data_key)?,
            data_key,
            generation,
            normal_slot_key: Mutex::new(normal_slot_key),
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
        let (sled_key, sealed) = self.cipher.seal(tree, key, value, expires_at)?;
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
            .map(|opened| opened.record.expires_at)
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

    fn lock(&self) -> std::sync::MutexGuard<'_, AeadKey> {
        // A poisoned lock only means another thread panicked mid-write; the files are
        // replaced atomically, so the state on disk is still whole.
        self.normal_slot_key
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
        if file.open_normal(&normal_slot_key(&kek)?).is_ok() {
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
        let mut slot_key = self.lock();
        let mut file = self.read_key_file()?;
        let old_kek = derive_kek(old.expose(), file.salt(), file.params())?;
        match file.open_normal(&normal_slot_key(&old_kek)?) {
            Ok(current) if current.data_key == self.data_key => {}
            _ => return Err(StoreError::WrongPassphrase),
        }
        let new_kek = derive_kek(new.expose(), file.salt(), file.params())?;
        if file.open_duress(&new_kek).is_ok() {
            return Err(StoreError::SameAsOtherPassphrase);
        }
        let new_slot_key = normal_slot_key(&new_kek)?;
        file.seal_normal(
            &new_slot_key,
            &Wrapped {
                data_key: self.data_key.clone(),
                generation: self.generation,
            },
        )?;
        self.write_key_file(&file)?;
        *slot_key = new_slot_key;
        Ok(())
    }

    /// Moves every live record to a new database under a new random data key, then
    /// destroys the old data key (the key file is rewritten and its previous version
    /// overwritten in place) and deletes the old database. Records expired at `now` are
    /// not carried over. Returns how many records were.
    ///
    /// This is what makes deletion final: sled keeps deleted and overwritten ciphertext in
    /// its log until it reuses the space, readable by anyone who later obtains the data
    /// key (a coerced unlock); after a re-key that ciphertext is under a key that no longer
    /// exists. No passphrase is needed. It costs a copy of the database, so call it when
    /// the store is idle (for example once a day, after [`Store::purge_expired`]).
    ///
    /// Crash-safe: the new key file is the commit point; until it is written the old
    /// database and key are intact, and whichever database the key file does not name is
    /// removed at the next unlock.
    ///
    /// # Errors
    /// [`StoreError::CorruptRecord`] if a record fails authentication (nothing changes);
    /// I/O and database failures (nothing changes unless the error comes after the commit
    /// point, in which case the store already uses the new key and only the clean-up of
    /// the old files failed).
    pub fn rekey(&mut self, now: u64) -> Result<usize, StoreError> {
        self.rekey_map(now, |_, _, _| Ok(None))
    }

    /// [`Store::rekey`], rewriting records on the way: `rewrite(tree, key, value)` is
    /// called for every live record and may return a replacement value. The client uses it
    /// to rotate the key its pickles are sealed under in the same commit, so that key does
    /// not outlive the data key either. If `rewrite` fails, nothing changes.
    ///
    /// # Errors
    /// As [`Store::rekey`], plus whatever `rewrite` returns.
    pub fn rekey_map<F>(&mut self, now: u64, rewrite: F) -> Result<usize, StoreError>
    where
        F: FnMut(&str, &[u8], &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError>,
    {
        let slot_key = self.lock().clone();
        let mut file = self.read_key_file()?;
        match file.open_normal(&slot_key) {
            Ok(current)
                if current.data_key == self.data_key && current.generation == self.generation => {}
            _ => return Err(StoreError::CorruptKeyFile),
        }
        let next = Wrapped {
            data_key: Secret::random(&mut OsRng)?,
            generation: self.generation.wrapping_add(1),
        };
        let next_path = db_dir(&self.dir, next.generation);
        files::remove_dir_if_present(&next_path)?;
        let next_cipher = RecordCipher::new(&next.data_key)?;
        let next_db = open_sled(&next_path)?;
        let copied = self.copy_live_records(&next_db, &next_cipher, now, rewrite);
        let committed = copied.and_then(|count| {
            file.seal_normal(&slot_key, &next)?;
            let old = files::link_old(&self.dir, KEY_FILE_NAME)?;
            files::write_atomic(&self.dir, KEY_FILE_NAME, &file.encode())?;
            Ok((count, old))
        });
        let (count, old_key_file) = match committed {
            Ok(done) => done,
            Err(error) => {
                drop(next_db);
                let _ = files::remove_dir_if_present(&next_path);
                return Err(error);
            }
        };
        // Committed: switch to the new database, then destroy the old key and database.
        let old_path = db_dir(&self.dir, self.generation);
        drop(std::mem::replace(&mut self.db, next_db));
        self.cipher = next_cipher;
        self.data_key = next.data_key;
        self.generation = next.generation;
        files::shred_old(old_key_file)?;
        files::remove_dir_if_present(&old_path)?;
        Ok(count)
    }

    fn copy_live_records<F>(
        &self,
        target: &sled::Db,
        cipher: &RecordCipher,
        now: u64,
        mut rewrite: F,
    ) -> Result<usize, StoreError>
    where
        F: FnMut(&str, &[u8], &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError>,
    {
        let mut count = 0;
        for entry in self.db.iter() {
            let (sled_key, stored) = entry?;
            let opened = self.cipher.open_any_tree(&sled_key, &stored)?;
            let record = &opened.record;
            if record.is_expired(now) {
                continue;
            }
            let replaced = rewrite(&opened.tree, &record.key, &record.value)?;
            let value = replaced.as_deref().map_or(record.value.as_slice(), |v| v);
            let (key, value) = cipher.seal(&opened.tree, &record.key, value, record.expires_at)?;
            target.insert(key, value)?;
            count += 1;
        }
        target.flush()?;
        Ok(count)
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
