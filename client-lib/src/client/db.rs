//! The `Client`'s records in the encrypted store: serde JSON values in a few logical
//! trees. The store encrypts every key and value; nothing here is readable on disk.

use super::{ClientError, KdfChoice, Passphrase, Result};
use crate::store::{KdfParams, Profile, Store, StoreError, UnlockKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The key of the profile record in [`Tree::Meta`].
pub(crate) const PROFILE_KEY: &[u8] = b"profile";
/// The key, in [`Tree::Meta`], of the per-contact "read up to" marks (message `order`).
pub(crate) const SEEN_KEY: &[u8] = b"seen";
const SEQ_KEY: &[u8] = b"seq";

/// The logical trees the `Client` uses.
#[derive(Clone, Copy)]
pub(crate) enum Tree {
    Meta,
    Contacts,
    Invitations,
    Outbox,
    Messages,
}

impl Tree {
    fn name(self) -> &'static str {
        match self {
            Tree::Meta => "client/meta",
            Tree::Contacts => "client/contacts",
            Tree::Invitations => "client/invitations",
            Tree::Outbox => "client/outbox",
            Tree::Messages => "client/messages",
        }
    }
}

impl From<StoreError> for ClientError {
    fn from(value: StoreError) -> Self {
        match value {
            StoreError::WrongPassphrase => ClientError::WrongPassphrase,
            StoreError::WipedAfterFailedUnlocks => ClientError::ProfileWiped,
            StoreError::NoProfile => ClientError::NoProfile,
            StoreError::AlreadyExists => ClientError::ProfileExists,
            StoreError::EmptyPassphrase => ClientError::EmptyPassphrase,
            StoreError::SameAsOtherPassphrase => ClientError::PassphraseConflict,
            StoreError::PayloadTooLarge { .. } => ClientError::TooManyAlertContacts,
            _ => ClientError::Storage,
        }
    }
}

/// The open store.
pub(crate) struct Db {
    store: Store,
    /// Makes [`Db::next_seq`]'s read-increment-write atomic.
    seq: std::sync::Mutex<()>,
}

impl Db {
    pub(crate) fn exists(dir: &Path) -> bool {
        Profile::exists(dir)
    }

    pub(crate) async fn create(
        dir: &Path,
        passphrase: &Passphrase,
        kdf: KdfChoice,
    ) -> Result<Self> {
        let params = match kdf {
            KdfChoice::Default => KdfParams::RECOMMENDED,
            KdfChoice::FastForTests => {
                KdfParams::insecure_for_tests(64, 1, 1).map_err(|_| ClientError::Internal)?
            }
        };
        let dir: PathBuf = dir.to_path_buf();
        let passphrase = Passphrase::new(passphrase.expose().to_vec());
        // Argon2id takes a second or more: keep it off the async worker threads.
        let store = tokio::task::spawn_blocking(move || Profile::create(dir, &passphrase, params))
            .await
            .map_err(|_| ClientError::Internal)??;
        Ok(Self {
            store,
            seq: std::sync::Mutex::new(()),
        })
    }

    /// Opens the store; on a duress unlock also returns the duress payload.
    pub(crate) async fn open(
        dir: &Path,
        passphrase: &Passphrase,
    ) -> Result<(Self, Option<Zeroizing<Vec<u8>>>)> {
        let dir: PathBuf = dir.to_path_buf();
        let passphrase = Passphrase::new(passphrase.expose().to_vec());
        let unlocked = tokio::task::spawn_blocking(move || Profile::unlock(dir, &passphrase))
            .await
            .map_err(|_| ClientError::Internal)??;
        let payload = match unlocked.kind {
            UnlockKind::Duress { payload } => Some(payload),
            _ => None,
        };
        Ok((
            Self {
                store: unlocked.store,
                seq: std::sync::Mutex::new(()),
            },
            payload,
        ))
    }

    pub(crate) fn panic_wipe(dir: &Path) -> Result<()> {
        Ok(Profile::panic_wipe(dir)?)
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, tree: Tree, key: &[u8]) -> Result<Option<T>> {
        // Expiry of the client's records is decided by the client (messages carry their
        // own); `now = 0` reads every record still present.
        match self.store.get(tree.name(), key, 0)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| ClientError::Storage),
            None => Ok(None),
        }
    }

    pub(crate) fn put<T: Serialize>(
        &self,
        tree: Tree,
        key: &[u8],
        value: &T,
        expires_at: Option<u64>,
    ) -> Result<()> {
        let bytes = Zeroizing::new(serde_json::to_vec(value).map_err(|_| ClientError::Internal)?);
        Ok(self.store.put(tree.name(), key, &bytes, expires_at)?)
    }

    pub(crate) fn remove(&self, tree: Tree, key: &[u8]) -> Result<()> {
        self.store.delete(tree.name(), key)?;
        Ok(())
    }

    /// Every record of a tree, sorted by key.
    pub(crate) fn all<T: DeserializeOwned>(&self, tree: Tree) -> Result<Vec<(Vec<u8>, T)>> {
        self.store
            .scan(tree.name(), 0)?
            .into_iter()
            .map(|record| {
                let value =
                    serde_json::from_slice(&record.value).map_err(|_| ClientError::Storage)?;
                Ok((record.key.to_vec(), value))
            })
            .collect()
    }

    pub(crate) fn purge_expired(&self, now: u64) -> Result<usize> {
        Ok(self.store.purge_expired(now)?)
    }

    /// A fresh number from a persisted counter: record ids and outbox order.
    pub(crate) fn next_seq(&self) -> Result<u64> {
        let _guard = self.seq.lock().map_err(|_| ClientError::Internal)?;
        let current: u64 = self.get(Tree::Meta, SEQ_KEY)?.unwrap_or(1);
        self.put(Tree::Meta, SEQ_KEY, &current.saturating_add(1), None)?;
        Ok(current)
    }

    pub(crate) fn set_duress(&self, duress: &Passphrase, payload: &[u8]) -> Result<()> {
        Ok(self.store.set_duress(duress, payload)?)
    }

    pub(crate) fn change_passphrase(&self, old: &Passphrase, new: &Passphrase) -> Result<()> {
        Ok(self.store.change_passphrase(old, new)?)
    }
}
