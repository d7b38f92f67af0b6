//! Shared set-up for the `Client` tests: clients on in-memory relays, cheap KDF, a manual
//! clock. Included by each `client_*.rs` test file with `#[path]`; compiled on its own it
//! holds no tests.
#![allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::new_without_default,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use corridor_client::client::{
    Client, CreateOptions, Event, InvitationKind, KdfChoice, ManualClock, OpenOptions, Passphrase,
};
use corridor_client::transport::{
    AuthSigner, HttpConfig, MailboxIds, MemoryRelay, MemoryRelayConfig, NetFailure,
    ReceivedEnvelope, Relay, RelayFuture, RelayPool, RelayUrl, TransportError,
};
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{
    Admission, AuthKey, Bundle, BundleId, ChallengeResponse, DepositCredential, DepositId,
    FetchBundleResponse, ReadId,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;

/// The URL the first in-memory relay answers to. Nothing listens there: the pool maps it
/// to a `MemoryRelay`.
pub const RELAY: &str = "http://127.0.0.1:9/";
/// A second in-memory relay.
pub const RELAY_2: &str = "http://127.0.0.1:10/";

/// One deposit a relay took: the mailbox's deposit id and credential, and the envelope.
pub type Deposited = (DepositId, DepositCredential, Box<[u8; ENVELOPE_SIZE]>);

/// A relay wrapper that remembers every id and credential it saw, so tests can look for
/// them on disk or deposit into a mailbox as a stranger would.
pub struct Recording {
    pub inner: Arc<MemoryRelay>,
    pub mailboxes: Mutex<Vec<MailboxIds>>,
    pub bundles: Mutex<Vec<BundleId>>,
    /// When set, every bundle fetch answers this instead: a relay substituting keys.
    pub substitute: Mutex<Option<FetchBundleResponse>>,
    /// When set, every deposit is stored twice (a deposit retried after a timeout).
    pub duplicate_deposits: AtomicBool,
    /// When set, every acknowledgement fails as if the connection dropped.
    pub fail_acks: AtomicBool,
    /// When set, every operation hangs forever: a relay that accepted the connection and
    /// never answers.
    pub hang: AtomicBool,
    /// Every envelope deposited (successfully), in order, with its mailbox.
    pub deposits: Mutex<Vec<Deposited>>,
}

impl Recording {
    /// How many deposits the relay has taken so far.
    pub fn deposit_count(&self) -> usize {
        self.deposits.lock().unwrap().len()
    }

    pub fn new(inner: Arc<MemoryRelay>) -> Self {
        Self {
            inner,
            mailboxes: Mutex::new(Vec::new()),
            bundles: Mutex::new(Vec::new()),
            substitute: Mutex::new(None),
            duplicate_deposits: AtomicBool::new(false),
            fail_acks: AtomicBool::new(false),
            deposits: Mutex::new(Vec::new()),
            hang: AtomicBool::new(false),
        }
    }

    /// Every id and credential seen, raw.
    pub fn secrets(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for ids in self.mailboxes.lock().unwrap().iter() {
            out.push(ids.read_id.0.to_vec());
            out.push(ids.deposit_id.0.to_vec());
            out.push(ids.deposit_credential.0.to_vec());
        }
        for id in self.bundles.lock().unwrap().iter() {
            out.push(id.0.to_vec());
        }
        out
    }
}

impl Recording {
    /// Hangs forever when [`Recording::hang`] is set.
    async fn maybe_hang(&self) {
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }
}

impl Relay for Recording {
    fn challenge(&self) -> RelayFuture<'_, ChallengeResponse> {
        Box::pin(async move {
            self.maybe_hang().await;
            self.inner.challenge().await
        })
    }

    fn create_mailbox<'a>(
        &'a self,
        auth_key: &'a AuthKey,
        admission: &'a Admission,
    ) -> RelayFuture<'a, MailboxIds> {
        Box::pin(async move {
            let ids = self.inner.create_mailbox(auth_key, admission).await?;
            self.mailboxes.lock().unwrap().push(ids.clone());
            Ok(ids)
        })
    }

    fn deposit<'a>(
        &'a self,
        deposit_id: &'a DepositId,
        credential: &'a DepositCredential,
        envelope: &'a [u8; ENVELOPE_SIZE],
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            self.maybe_hang().await;
            if self.duplicate_deposits.load(Ordering::SeqCst) {
                self.inner.deposit(deposit_id, credential, envelope).await?;
            }
            self.inner.deposit(deposit_id, credential, envelope).await?;
            self.deposits
                .lock()
                .unwrap()
                .push((*deposit_id, *credential, Box::new(*envelope)));
            Ok(())
        })
    }

    fn fetch<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        wait_secs: u32,
    ) -> RelayFuture<'a, Vec<ReceivedEnvelope>> {
        Box::pin(async move {
            self.maybe_hang().await;
            self.inner.fetch(read_id, signer, wait_secs).await
        })
    }

    fn ack<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        seqs: &'a [u64],
    ) -> RelayFuture<'a, u32> {
        if self.fail_acks.load(Ordering::SeqCst) {
            return Box::pin(async { Err(TransportError::Unreachable(NetFailure::Interrupted)) });
        }
        Box::pin(async move {
            self.maybe_hang().await;
            self.inner.ack(read_id, signer, seqs).await
        })
    }

    fn destroy<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            self.maybe_hang().await;
            self.inner.destroy(read_id, signer).await
        })
    }

    fn publish_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
        bundle: &'a Bundle,
    ) -> RelayFuture<'a, u32> {
        self.bundles.lock().unwrap().push(*bundle_id);
        self.inner.publish_bundle(bundle_id, signer, bundle)
    }

    fn fetch_bundle<'a>(&'a self, bundle_id: &'a BundleId) -> RelayFuture<'a, FetchBundleResponse> {
        if let Some(fake) = self.substitute.lock().unwrap().clone() {
            return Box::pin(async move { Ok(fake) });
        }
        Box::pin(async move {
            self.maybe_hang().await;
            self.inner.fetch_bundle(bundle_id).await
        })
    }

    fn delete_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        self.inner.delete_bundle(bundle_id, signer)
    }
}

/// In-memory relays shared by every client of a test, and one clock.
pub struct World {
    pub pool: Arc<RelayPool>,
    pub relay: Arc<MemoryRelay>,
    /// The first relay as the clients see it: every id recorded.
    pub recorder: Arc<Recording>,
    pub relay_2: Arc<MemoryRelay>,
    pub clock: Arc<ManualClock>,
    pub root: TempDir,
}

pub fn memory_relay() -> Arc<MemoryRelay> {
    Arc::new(MemoryRelay::new(MemoryRelayConfig {
        difficulty: 1,
        ..MemoryRelayConfig::default()
    }))
}

impl World {
    pub fn new() -> Self {
        let pool = Arc::new(RelayPool::new(HttpConfig::default()));
        let relay = memory_relay();
        let relay_2 = memory_relay();
        let recorder = Arc::new(Recording::new(relay.clone()));
        pool.insert(
            RelayUrl::parse(RELAY).unwrap(),
            recorder.clone() as Arc<dyn Relay>,
        );
        pool.insert(
            RelayUrl::parse(RELAY_2).unwrap(),
            relay_2.clone() as Arc<dyn Relay>,
        );
        Self {
            pool,
            relay,
            recorder,
            relay_2,
            clock: Arc::new(ManualClock::new()),
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn create_options(&self, name: &str) -> CreateOptions {
        CreateOptions {
            name: name.to_owned(),
            relays: vec![RELAY.to_owned()],
            proxy: None,
            kdf: KdfChoice::InsecureFast,
            transport: Some(self.pool.clone()),
            clock: Some(self.clock.clone()),
            ..CreateOptions::default()
        }
    }

    pub fn open_options(&self) -> OpenOptions {
        OpenOptions {
            proxy: None,
            transport: Some(self.pool.clone()),
            clock: Some(self.clock.clone()),
            ..OpenOptions::default()
        }
    }

    /// A new profile named `name` in its own directory, passphrase `pass-<name>`.
    pub async fn client(&self, name: &str) -> Client {
        Client::create(&self.dir(name), &pass(name), self.create_options(name))
            .await
            .unwrap()
    }

    pub async fn reopen(&self, name: &str) -> Client {
        Client::open(&self.dir(name), &pass(name), self.open_options())
            .await
            .unwrap()
    }
}

pub fn pass(name: &str) -> Passphrase {
    Passphrase::from(format!("pass-{name}").as_str())
}

/// `inviter` invites, `invitee` accepts (naming the inviter `inviter_label`), the inviter
/// syncs and renames the new contact `invitee_label`, the invitee syncs: both sides are
/// established.
pub async fn connect(inviter: &Client, inviter_label: &str, invitee: &Client, invitee_label: &str) {
    let code = inviter
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    invitee
        .accept_invitation(&code, inviter_label)
        .await
        .unwrap();
    let report = inviter.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1, "{report:?}");
    inviter
        .rename_contact(&report.new_contacts[0], invitee_label)
        .unwrap();
    invitee.sync().await.unwrap();
    let contact = invitee
        .contacts()
        .unwrap()
        .into_iter()
        .find(|c| c.label == inviter_label)
        .unwrap();
    assert!(contact.established);
}

/// Text messages received from `label`, oldest first (alerts left out).
pub fn received_from(client: &Client, label: &str) -> Vec<String> {
    client
        .inbox(Some(label))
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == corridor_client::client::Direction::Incoming)
        .filter(|m| m.kind == corridor_client::client::MessageKind::Text)
        .map(|m| m.text.to_string())
        .collect()
}

/// Every event waiting in `rx`.
pub fn drain(rx: &mut tokio::sync::broadcast::Receiver<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(event) = rx.try_recv() {
        out.push(event);
    }
    out
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// True when `needle` occurs in any file under `dir`.
pub fn dir_contains(dir: &Path, needle: &[u8]) -> bool {
    files_under(dir).iter().any(|file| {
        let bytes = std::fs::read(file).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}
