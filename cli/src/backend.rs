//! The slice of `corridor_client` the CLI uses.
//!
//! Placeholder until `corridor_client::Client` lands on main: it has the agreed shape
//! (see `notes/interfaces.md`) and refuses every operation, so the CLI's own parts (parsing,
//! passphrase input, sanitizing, output) can be built and tested first. It is replaced by
//! re-exports of the real types.
#![allow(dead_code)]

use std::path::Path;

type Result<T> = std::result::Result<T, ClientError>;

/// A passphrase held in a zeroizing buffer.
pub(crate) struct Passphrase(zeroize::Zeroizing<Vec<u8>>);

impl Passphrase {
    /// Takes ownership of `bytes`.
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Passphrase(zeroize::Zeroizing::new(bytes))
    }
}

/// Errors from the client library (mirrors `corridor_client::ClientError`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ClientError {
    #[error("the Corridor client library is not available in this build")]
    Unavailable,
    #[error("a profile already exists in this directory")]
    ProfileExists,
    #[error("no profile in this directory")]
    NoProfile,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("wrong passphrase; the failed-unlock limit was reached and the profile was wiped")]
    ProfileWiped,
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error("the duress passphrase and the passphrase must differ")]
    PassphraseConflict,
    #[error("too many contacts chosen for duress alerts")]
    TooManyAlertContacts,
    #[error("no such contact")]
    UnknownContact,
    #[error("a contact with this label already exists")]
    LabelTaken,
    #[error("invalid label")]
    InvalidLabel,
    #[error("invalid invitation code")]
    InvalidInvitation,
    #[error("the invitation has expired")]
    InvitationExpired,
    #[error("the invitation's key bundle failed verification")]
    BundleMismatch,
    #[error("the invitation is no longer available on the relay")]
    InvitationUnavailable,
    #[error("safety number does not match")]
    SafetyNumberMismatch,
    #[error("relay unreachable")]
    RelayUnreachable,
    #[error("relay refused the request")]
    RelayRefused,
    #[error("invalid relay address")]
    InvalidRelay,
    #[error("no relay configured")]
    NoRelay,
    #[error("invalid message")]
    InvalidMessage,
    #[error("the contact is not established yet")]
    NotEstablished,
}

/// Key-derivation cost.
#[derive(Default)]
pub(crate) enum KdfChoice {
    #[default]
    /// Production Argon2id parameters.
    Default,
    /// Fast parameters for tests only.
    FastForTests,
}

/// What `init` creates.
#[derive(Default)]
pub(crate) struct CreateOptions {
    pub(crate) name: String,
    pub(crate) relays: Vec<String>,
    pub(crate) proxy: Option<String>,
    pub(crate) kdf: KdfChoice,
    pub(crate) transport: Option<()>,
}

/// How to open a profile.
#[derive(Default)]
pub(crate) struct OpenOptions {
    pub(crate) proxy: Option<String>,
    pub(crate) transport: Option<()>,
}

/// Invitation kind.
pub(crate) enum InvitationKind {
    OneTime,
    Standing { max_uses: Option<u32> },
}

/// Own identity.
pub(crate) struct Whoami {
    pub(crate) name: String,
    pub(crate) fingerprint: String,
    pub(crate) relays: Vec<String>,
}

/// A contact.
pub(crate) struct ContactSummary {
    pub(crate) label: String,
    pub(crate) verified: bool,
    pub(crate) receives_duress_alerts: bool,
    pub(crate) established: bool,
    pub(crate) timer: Option<u64>,
    pub(crate) relay: String,
}

/// A safety number.
pub(crate) struct SafetyNumberView;

impl SafetyNumberView {
    pub(crate) fn digits(&self) -> &str {
        ""
    }
    pub(crate) fn compact(&self) -> &str {
        ""
    }
}

/// Result of a send.
pub(crate) enum SendOutcome {
    Delivered,
    Queued,
}

/// Result of a sync.
pub(crate) struct SyncReport {
    pub(crate) sent: usize,
    pub(crate) outbox_pending: usize,
    pub(crate) undeliverable: usize,
    pub(crate) messages: usize,
    pub(crate) new_contacts: Vec<String>,
    pub(crate) duress_alerts: usize,
    pub(crate) rejected: usize,
    pub(crate) unreachable_relays: usize,
}

/// Record kind.
pub(crate) enum MessageKind {
    Text,
    DuressAlert,
}

/// Sync events.
#[derive(Clone)]
#[non_exhaustive]
pub(crate) enum Event {
    MessageReceived { contact: String },
    ContactAdded { contact: String },
    DuressAlert { contact: String },
}

/// Message direction.
pub(crate) enum Direction {
    Incoming,
    Outgoing,
}

/// A stored message.
pub(crate) struct MessageView {
    pub(crate) contact: String,
    pub(crate) direction: Direction,
    pub(crate) kind: MessageKind,
    pub(crate) text: String,
    pub(crate) at: u64,
    pub(crate) expires_at: Option<u64>,
}

/// The stand-in for `corridor_client::Client`.
pub(crate) struct Client;

impl Client {
    pub(crate) fn profile_exists(dir: &Path) -> bool {
        dir.join("key").exists()
    }
    pub(crate) async fn create(_dir: &Path, _p: &Passphrase, _o: CreateOptions) -> Result<Client> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn open(_dir: &Path, _p: &Passphrase, _o: OpenOptions) -> Result<Client> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn panic_wipe(_dir: &Path) -> Result<()> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn close(self) {}
    pub(crate) fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        tokio::sync::broadcast::channel(1).1
    }
    pub(crate) fn rename_contact(&self, _l: &str, _n: &str) -> Result<()> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn whoami(&self) -> Result<Whoami> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn create_invitation(&self, _k: InvitationKind, _secs: u64) -> Result<String> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn accept_invitation(
        &self,
        _code: &str,
        _label: &str,
    ) -> Result<ContactSummary> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn contacts(&self) -> Result<Vec<ContactSummary>> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn safety_number(&self, _c: &str) -> Result<SafetyNumberView> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn confirm_verified(&self, _c: &str, _entered: &str) -> Result<()> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn send(&self, _c: &str, _t: &str) -> Result<SendOutcome> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn sync(&self) -> Result<SyncReport> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn inbox(&self, _c: Option<&str>) -> Result<Vec<MessageView>> {
        Err(ClientError::Unavailable)
    }
    pub(crate) async fn set_duress(&self, _d: &Passphrase, _alert: &[&str]) -> Result<()> {
        Err(ClientError::Unavailable)
    }
    pub(crate) fn change_passphrase(&self, _old: &Passphrase, _new: &Passphrase) -> Result<()> {
        Err(ClientError::Unavailable)
    }
}
