//! The `Client`'s records in the encrypted store: serde JSON values in a few logical
//! trees. The store encrypts every key and value; nothing here is readable on disk.

use super::{ClientError, KdfChoice, Passphrase, Result};
use crate::primitives::Secret;
use crate::primitives::random::OsRng;
use crate::store::{KdfParams, Profile, Store, StoreError, UnlockKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
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
    /// The organization record (`client/org`).
    Org,
    /// Cases held (`client/cases`).
    Cases,
    /// A requester's own requests (`client/requests`).
    Requests,
    /// Organization messages persisted before acknowledgement (`client/org-inbox`).
    OrgInbox,
    /// This member's audit log and its checkpoint (`client/audit`).
    Audit,
}

impl Tree {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tree::Meta => "client/meta",
            Tree::Contacts => "client/contacts",
            Tree::Invitations => "client/invitations",
            Tree::Outbox => "client/outbox",
            Tree::Messages => "client/messages",
            Tree::Org => "client/org",
            Tree::Cases => "client/cases",
            Tree::Requests => "client/requests",
            Tree::OrgInbox => "client/org-inbox",
            Tree::Audit => "client/audit",
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
            StoreError::BelowKdfFloor => ClientError::WeakKdf,
            _ => ClientError::Storage,
        }
    }
}

/// The open store, shared by the `Client` and its [`Gate`].
///
/// # Persist before effect
///
/// Every write marks the store *unsettled*. [`Db::settle`] makes all writes so far durable
/// (one sled flush, which fsyncs) if and only if there are unsettled ones. It is reached
/// from exactly two places:
///
/// - the [`Gate`] that `Net` calls before every request that changes something on a relay
///   (deposit, acknowledge, create/destroy a mailbox, publish/fetch/delete a bundle), so
///   no deposit or acknowledgement can leave before the state it depends on is on disk;
/// - the end of every critical section that writes records (the guard returned by
///   `Client::lock`, and [`Db::settle`] in the few answers given outside one), so no
///   answer reaches the caller before its state is durable.
///
/// A failed flush poisons the store: every later read, write and gate answers
/// [`ClientError::Storage`] (the kernel may have dropped the dirty pages; carrying on would
/// act on state that may not be on disk).
pub(crate) struct Db {
    shared: Arc<Shared>,
}

struct Shared {
    store: RwLock<Store>,
    /// Writes since the last flush.
    unsettled: AtomicBool,
    /// A flush failed: refuse everything.
    poisoned: AtomicBool,
    /// Writes since the last re-key.
    since_rekey: AtomicBool,
    /// Makes [`Db::next_seq`]'s read-increment-write atomic.
    seq: Mutex<()>,
}

/// The handle `Net` holds: it can only make the store durable, nothing else.
#[derive(Clone)]
pub(crate) struct Gate(Arc<Shared>);

impl Gate {
    /// Makes every write so far durable; see [`Db`].
    pub(crate) fn settle(&self) -> Result<()> {
        self.0.settle()
    }
}

impl Shared {
    fn check(&self) -> Result<()> {
        if self.poisoned.load(Ordering::SeqCst) {
            Err(ClientError::Storage)
        } else {
            Ok(())
        }
    }

    fn store(&self) -> Result<RwLockReadGuard<'_, Store>> {
        self.check()?;
        self.store.read().map_err(|_| ClientError::Internal)
    }

    fn wrote(&self) {
        self.unsettled.store(true, Ordering::SeqCst);
        self.since_rekey.store(true, Ordering::SeqCst);
    }

    fn settle(&self) -> Result<()> {
        self.check()?;
        // Cleared before the flush: a write racing with it sets the flag again and is
        // flushed next time; every write that finished before this line is in this flush.
        if self.unsettled.swap(false, Ordering::SeqCst) {
            let flushed = self.store().and_then(|s| Ok(s.flush()?));
            if let Err(error) = flushed {
                self.poisoned.store(true, Ordering::SeqCst);
                self.unsettled.store(true, Ordering::SeqCst);
                return Err(error);
            }
        }
        Ok(())
    }
}

impl Db {
    pub(crate) fn exists(dir: &Path) -> bool {
        Profile::exists(dir)
    }

    fn wrap(store: Store) -> Self {
        Self {
            shared: Arc::new(Shared {
                store: RwLock::new(store),
                unsettled: AtomicBool::new(false),
                poisoned: AtomicBool::new(false),
                since_rekey: AtomicBool::new(false),
                seq: Mutex::new(()),
            }),
        }
    }

    pub(crate) async fn create(
        dir: &Path,
        passphrase: &Passphrase,
        kdf: KdfChoice,
    ) -> Result<Self> {
        let params = match kdf {
            KdfChoice::Default => KdfParams::RECOMMENDED,
            #[cfg(feature = "insecure-fast-kdf")]
            KdfChoice::InsecureFast => {
                KdfParams::insecure_for_tests(64, 1, 1).map_err(|_| ClientError::Internal)?
            }
        };
        let dir: PathBuf = dir.to_path_buf();
        let passphrase = Passphrase::new(passphrase.expose().to_vec());
        // Argon2id takes a second or more: keep it off the async worker threads.
        let store = tokio::task::spawn_blocking(move || Profile::create(dir, &passphrase, params))
            .await
            .map_err(|_| ClientError::Internal)??;
        Ok(Self::wrap(store))
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
        Ok((Self::wrap(unlocked.store), payload))
    }

    /// The handle that lets `Net` make the store durable before a relay request.
    pub(crate) fn gate(&self) -> Gate {
        Gate(self.shared.clone())
    }

    /// Makes every write so far durable (fsync), if there is any; see [`Db`].
    pub(crate) fn settle(&self) -> Result<()> {
        self.shared.settle()
    }

    pub(crate) fn panic_wipe(dir: &Path) -> Result<()> {
        Ok(Profile::panic_wipe(dir)?)
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, tree: Tree, key: &[u8]) -> Result<Option<T>> {
        // Expiry of the client's records is decided by the client (messages carry their
        // own); `now = 0` reads every record still present.
        match self.shared.store()?.get(tree.name(), key, 0)? {
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
        let store = self.shared.store()?;
        // Marked even if the write fails half-way: a flush too many costs nothing.
        self.shared.wrote();
        Ok(store.put(tree.name(), key, &bytes, expires_at)?)
    }

    pub(crate) fn remove(&self, tree: Tree, key: &[u8]) -> Result<()> {
        let store = self.shared.store()?;
        self.shared.wrote();
        store.delete(tree.name(), key)?;
        Ok(())
    }

    /// Every record of a tree, sorted by key.
    pub(crate) fn all<T: DeserializeOwned>(&self, tree: Tree) -> Result<Vec<(Vec<u8>, T)>> {
        self.shared
            .store()?
            .scan(tree.name(), 0)?
            .into_iter()
            .map(|record| {
                let value =
                    serde_json::from_slice(&record.value).map_err(|_| ClientError::Storage)?;
                Ok((record.key.to_vec(), value))
            })
            .collect()
    }

    /// Deletes every record expired at `now`; returns how many.
    pub(crate) fn purge_expired(&self, now: u64) -> Result<usize> {
        let store = self.shared.store()?;
        let purged = store.purge_expired(now)?;
        if purged > 0 {
            self.shared.wrote();
        }
        Ok(purged)
    }

    /// Whether anything was written since the last re-key.
    pub(crate) fn written_since_rekey(&self) -> bool {
        self.shared.since_rekey.load(Ordering::SeqCst)
    }

    /// Re-keys the store ([`Store::rekey_map`]): every live record moves under a new data
    /// key and the old one is destroyed, records expired at `now` are dropped, and the
    /// key the client's pickles are sealed under is replaced in the same commit (every
    /// pickle found in any record is re-sealed under the new one, see `at_rest.rs`).
    /// Returns how many records were carried over.
    pub(crate) fn rekey(&self, now: u64) -> Result<usize> {
        self.shared.check()?;
        let mut store = self
            .shared
            .store
            .write()
            .map_err(|_| ClientError::Internal)?;
        let old_key = pickle_key_of(&store)?;
        let new_key = match &old_key {
            Some(_) => Some(Secret::<32>::random(&mut OsRng).map_err(|_| ClientError::Crypto)?),
            None => None,
        };
        let keys = old_key.as_ref().zip(new_key.as_ref());
        let count = store.rekey_map(now, |tree, key, value| match keys {
            Some((old, new)) => {
                let is_profile = tree == Tree::Meta.name() && key == PROFILE_KEY;
                super::at_rest::repickle(value, old, new, is_profile)
                    .map_err(|_| StoreError::CorruptRecord)
            }
            None => Ok(None),
        });
        // On error the commit point had not been passed (or only the clean-up failed and
        // the store already uses the new key): either way the store is consistent.
        let count = count?;
        self.shared.unsettled.store(false, Ordering::SeqCst);
        self.shared.since_rekey.store(false, Ordering::SeqCst);
        Ok(count)
    }

    /// A fresh number from a persisted counter: record ids and outbox order.
    pub(crate) fn next_seq(&self) -> Result<u64> {
        let _guard = self.shared.seq.lock().map_err(|_| ClientError::Internal)?;
        let current: u64 = self.get(Tree::Meta, SEQ_KEY)?.unwrap_or(1);
        self.put(Tree::Meta, SEQ_KEY, &current.saturating_add(1), None)?;
        Ok(current)
    }

    pub(crate) fn set_duress(&self, duress: &Passphrase, payload: &[u8]) -> Result<()> {
        // The key file is replaced atomically and fsynced by the store itself.
        Ok(self.shared.store()?.set_duress(duress, payload)?)
    }

    pub(crate) fn change_passphrase(&self, old: &Passphrase, new: &Passphrase) -> Result<()> {
        Ok(self.shared.store()?.change_passphrase(old, new)?)
    }
}

/// The pickle key in the profile record, if there is a profile record yet.
fn pickle_key_of(store: &Store) -> Result<Option<Secret<32>>> {
    let Some(bytes) = store.get(Tree::Meta.name(), PROFILE_KEY, 0)? else {
        return Ok(None);
    };
    super::at_rest::pickle_key_in(&bytes).map(Some)
}
