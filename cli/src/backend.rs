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
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Self {
        Passphrase(zeroize::Zeroizing::new(bytes))
    }
}

/// Errors from the client library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ClientError {
    /// The client library is not built yet.
    #[error("the Corridor client library is not available in this build")]
    Unavailable,
    /// Wrong passphrase.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// No such contact.
    #[error("no such contact")]
    UnknownContact,
    /// Safety number mismatch.
    #[error("safety number mismatch")]
    SafetyNumberMismatch,
    /// Relay unreachable.
    #[error("relay unreachable")]
    RelayUnreachable,
    /// Bad invitation.
    #[error("invalid invitation")]
    InvalidInvitation,
}

/// Key-derivation cost.
pub(crate) enum KdfChoice {
    /// Production Argon2id parameters.
    Default,
    /// Fast parameters for tests only.
    FastForTests,
}

/// What `init` creates.
pub(crate) struct CreateOptions {
    pub(crate) name: String,
    pub(crate) relays: Vec<String>,
    pub(crate) proxy: Option<String>,
    pub(crate) kdf: KdfChoice,
}

/// How to open a profile.
pub(crate) struct OpenOptions {
    pub(crate) proxy: Option<String>,
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
    pub(crate) fn digits(&self) -> String {
        String::new()
    }
    pub(crate) fn compact(&self) -> String {
        String::new()
    }
}

/// Result of a send.
pub(crate) enum SendOutcome {
    Delivered,
    Queued,
}

/// Result of a sync.
pub(crate) struct SyncReport {
    pub(crate) received: usize,
    pub(crate) sent: usize,
    pub(crate) still_queued: usize,
    pub(crate) unreachable: Vec<String>,
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
