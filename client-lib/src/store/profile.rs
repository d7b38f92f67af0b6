//! [`Profile`]: creating, unlocking and wiping a profile directory.

use super::error::StoreError;
use super::files;
use super::guard::{GUARD_FILE_NAME, Guard};
use super::handle::Store;
use super::keyfile::{KEY_FILE_NAME, KeyFile, Wrapped, normal_slot_key};
use crate::primitives::Secret;
use crate::primitives::aead::AeadKey;
use crate::primitives::passphrase::{KdfParams, Passphrase, SALT_LEN, derive_kek};
use crate::primitives::random::{self, OsRng};
use std::fmt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The two database directory names; generation `g` lives in `DB_DIR_NAMES[g % 2]`, so a
/// re-key can build the next database beside the current one.
const DB_DIR_NAMES: [&str; 2] = ["db-0", "db-1"];

/// The database directory of `generation`.
pub(crate) fn db_dir(dir: &Path, generation: u32) -> PathBuf {
    dir.join(DB_DIR_NAMES[usize::from(generation % 2 == 1)])
}

/// Operations on a profile directory as a whole. Not constructible: a namespace for
/// [`Profile::create`], [`Profile::unlock`], [`Profile::panic_wipe`], [`Profile::exists`].
#[derive(Debug)]
pub struct Profile(());

/// What [`Profile::unlock`] opened.
pub struct Unlocked {
    /// The open store. After a duress unlock it is a new, empty profile, which the same
    /// (duress) passphrase opens normally from then on.
    pub store: Store,
    /// Which passphrase was given.
    pub kind: UnlockKind,
}

/// Which passphrase unlocked the profile.
#[non_exhaustive]
pub enum UnlockKind {
    /// The profile's passphrase: the real profile is open.
    Normal,
    /// The duress passphrase. By the time this is returned the real profile has been
    /// destroyed (its data key overwritten, its database deleted) and replaced by an empty
    /// one; `payload` is what [`Store::set_duress`] stored (for the client: what it needs
    /// to send the duress alert).
    Duress {
        /// The payload given to [`Store::set_duress`].
        payload: Zeroizing<Vec<u8>>,
    },
}

impl fmt::Debug for UnlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("Normal"),
            Self::Duress { .. } => f.write_str("Duress { payload: redacted }"),
        }
    }
}

impl fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unlocked")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Profile {
    /// Whether `dir` holds a profile (a key file).
    pub fn exists(dir: impl AsRef<Path>) -> bool {
        dir.as_ref().join(KEY_FILE_NAME).is_file()
    }

    /// Creates a new, empty profile in `dir` (created if missing, mode 0700 on Unix),
    /// protected by `passphrase` stretched with `params`. Costs one Argon2id derivation.
    ///
    /// The key file is written last, so an interrupted creation leaves no profile (a
    /// leftover database without key file is unreadable and is removed by the next
    /// `create`).
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`], [`StoreError::EmptyPassphrase`], I/O and database
    /// failures.
    pub fn create(
        dir: impl AsRef<Path>,
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<Store, StoreError> {
        let dir = dir.as_ref();
        if Self::exists(dir) {
            return Err(StoreError::AlreadyExists);
        }
        if passphrase.is_empty() {
            return Err(StoreError::EmptyPassphrase);
        }
        check_floor(&params)?;
        files::create_private_dir(dir)?;
        let salt: [u8; SALT_LEN] = random::array(&mut OsRng)?;
        let kek = derive_kek(passphrase.expose(), &salt, &params)?;
        for name in DB_DIR_NAMES {
            files::remove_dir_if_present(&dir.join(name))?;
        }
        install_fresh(dir, params, salt, normal_slot_key(&kek)?, 0)
    }

    /// Unlocks the profile in `dir` with `passphrase`.
    ///
    /// One Argon2id derivation with the parameters the key file states, then both key
    /// slots are tried, always both, so the normal and the duress path do the same work:
    ///
    /// - the normal slot opens: the key file is rewritten (normal slot re-sealed under a
    ///   fresh nonce, duress slot untouched) and the database is opened;
    /// - the duress slot opens: the real profile is destroyed as by
    ///   [`Profile::panic_wipe`], an empty profile is installed under the same passphrase,
    ///   salt and parameters (so no second derivation is needed), and its key file has a
    ///   fresh unused duress slot;
    /// - neither opens: [`StoreError::WrongPassphrase`] and nothing changes on disk, except
    ///   the failed-unlock counter when a limit is set (incremented before the derivation,
    ///   so killing the process mid-unlock still counts); when that count reaches the
    ///   limit the profile is wiped and [`StoreError::WipedAfterFailedUnlocks`] returned.
    ///
    /// # Errors
    /// The above, plus [`StoreError::NoProfile`], [`StoreError::CorruptKeyFile`],
    /// [`StoreError::UnsupportedVersion`], I/O and database failures.
    pub fn unlock(dir: impl AsRef<Path>, passphrase: &Passphrase) -> Result<Unlocked, StoreError> {
        let dir = dir.as_ref();
        let bytes =
            files::read_if_present(&dir.join(KEY_FILE_NAME))?.ok_or(StoreError::NoProfile)?;
        let mut file = KeyFile::decode(&bytes)?;
        // Before the guard counts an attempt: a refused profile is left exactly as it is.
        check_floor(file.params())?;
        let mut guard = Guard::load(dir)?;
        if guard.enabled() {
            guard.count = guard.count.saturating_add(1);
            guard.save(dir)?;
        }

        let kek = derive_kek(passphrase.expose(), file.salt(), file.params())?;
        let slot_key = normal_slot_key(&kek)?;
        let normal = file.open_normal(&slot_key);
        let duress = file.open_duress(&kek);

        match (normal, duress) {
            (Ok(wrapped), _) => {
                file.seal_normal(&slot_key, &wrapped)?;
                files::replace_and_shred_old(dir, KEY_FILE_NAME, &file.encode())?;
                // Written whether or not a limit is set, so both paths write it.
                Guard {
                    limit: guard.limit,
                    count: 0,
                }
                .save(dir)?;
                let store = Store::open_db(dir, wrapped, slot_key)?;
                // The duress path flushes its new database; so does this one.
                store.flush()?;
                Ok(Unlocked {
                    store,
                    kind: UnlockKind::Normal,
                })
            }
            (Err(_), Ok(payload)) => {
                destroy_contents(dir)?;
                let store =
                    install_fresh(dir, *file.params(), *file.salt(), slot_key, guard.limit)?;
                Ok(Unlocked {
                    store,
                    kind: UnlockKind::Duress { payload },
                })
            }
            (Err(_), Err(_)) => {
                if guard.enabled() && guard.count >= guard.limit {
                    Self::panic_wipe(dir)?;
                    return Err(StoreError::WipedAfterFailedUnlocks);
                }
                Err(StoreError::WrongPassphrase)
            }
        }
    }

    /// Destroys the profile in `dir`: first the key file (overwritten with random bytes of
    /// its size, fsynced, unlinked, directory fsynced), which alone makes everything else
    /// unreadable; then the database and the other files; then the directory if empty.
    /// Needs no passphrase. A directory without a profile is not an error.
    ///
    /// The profile must not be open in this process (use [`Store::wipe`] for an open one).
    ///
    /// # Errors
    /// I/O failures; if the key file could not be destroyed the error says so and the rest
    /// is left in place.
    pub fn panic_wipe(dir: impl AsRef<Path>) -> Result<(), StoreError> {
        let dir = dir.as_ref();
        if !dir.exists() {
            return Ok(());
        }
        destroy_contents(dir)?;
        // Only removed when empty: never delete files this store did not write.
        let _ = std::fs::remove_dir(dir);
        Ok(())
    }
}

/// Refuses Argon2id parameters below the production floor unless this is a test build
/// (cargo feature `insecure-fast-kdf`). The floor is checked on every create and unlock, so
/// a profile made by a test build cannot be opened by a release build and weak parameters
/// written into a key file by someone else are refused rather than trusted.
fn check_floor(params: &KdfParams) -> Result<(), StoreError> {
    floor(params, cfg!(feature = "insecure-fast-kdf"))
}

fn floor(params: &KdfParams, weak_allowed: bool) -> Result<(), StoreError> {
    if params.meets_floor() || weak_allowed {
        Ok(())
    } else {
        Err(StoreError::BelowKdfFloor)
    }
}

/// Destroys the key file first, then everything else the store wrote in `dir`.
fn destroy_contents(dir: &Path) -> Result<(), StoreError> {
    files::shred(&dir.join(KEY_FILE_NAME))?;
    files::shred(&dir.join(format!("{KEY_FILE_NAME}.tmp")))?;
    files::shred(&dir.join(format!("{KEY_FILE_NAME}.old")))?;
    files::sync_dir(dir)?;
    for name in DB_DIR_NAMES {
        files::remove_dir_if_present(&dir.join(name))?;
    }
    files::remove_if_present(&dir.join(GUARD_FILE_NAME))?;
    files::remove_if_present(&dir.join(format!("{GUARD_FILE_NAME}.tmp")))?;
    files::sync_dir(dir)
}

/// Writes a new empty profile into `dir` whose normal slot is sealed under `slot_key`:
/// guard file, database, and last the key file (whose appearance is what makes the profile
/// exist).
fn install_fresh(
    dir: &Path,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    slot_key: AeadKey,
    guard_limit: u32,
) -> Result<Store, StoreError> {
    let wrapped = Wrapped {
        data_key: Secret::<32>::random(&mut OsRng)?,
        generation: 0,
    };
    let file = KeyFile::new(params, salt, &slot_key, &wrapped)?;
    Guard {
        limit: guard_limit,
        count: 0,
    }
    .save(dir)?;
    let store = Store::open_db(dir, wrapped, slot_key)?;
    store.flush()?;
    files::write_atomic(dir, KEY_FILE_NAME, &file.encode())?;
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_floor_is_refused_unless_weak_is_allowed() {
        let weak = KdfParams::insecure_for_tests(64, 1, 1).unwrap();
        assert!(matches!(
            floor(&weak, false),
            Err(StoreError::BelowKdfFloor)
        ));
        assert!(floor(&weak, true).is_ok());
        // One step under the floor in either dimension is still refused.
        let thin = KdfParams::insecure_for_tests(KdfParams::FLOOR_M_COST_KIB - 1, 3, 1).unwrap();
        let quick =
            KdfParams::insecure_for_tests(64 * 1024, KdfParams::FLOOR_T_COST - 1, 1).unwrap();
        assert!(floor(&thin, false).is_err() && floor(&quick, false).is_err());
        let at_floor =
            KdfParams::new(KdfParams::FLOOR_M_COST_KIB, KdfParams::FLOOR_T_COST, 1).unwrap();
        assert!(floor(&at_floor, false).is_ok());
        assert!(floor(&KdfParams::RECOMMENDED, false).is_ok());
    }
}
