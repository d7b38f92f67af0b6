//! The plain data types of the [`Client`](super::Client) API: options, views, outcomes
//! and events.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How an invitation may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationKind {
    /// One person may use it, once. The intake mailbox and the published bundle are
    /// destroyed after first use.
    OneTime,
    /// An organization's standing intake address: usable by several people until it
    /// expires or `max_uses` people have used it.
    Standing {
        /// The most people who may use it; `None` for no limit before expiry.
        max_uses: Option<u32>,
    },
}

/// Which identity a new relationship (an invitation made or accepted) uses.
///
/// The default, [`IdentityChoice::Fresh`], makes an identity for that relationship alone,
/// so two people this profile talks to never see a common key. A named identity is a
/// stable one (an organization identity, the key on a roster): every relationship made
/// with the same name shows the same key, and so links them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IdentityChoice {
    /// A new identity, made for this relationship alone and used for nothing else.
    #[default]
    Fresh,
    /// The stable identity stored under this name, created on its first use. Names follow
    /// the rules of contact labels.
    Named(String),
}

/// A named identity this profile holds (see [`IdentityChoice::Named`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityView {
    /// The name it was created under (local only).
    pub name: String,
    /// Its fingerprint in display form: what peers of every relationship made with it see.
    pub fingerprint: String,
}

/// How expensive the passphrase derivation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KdfChoice {
    /// The store's production Argon2id parameters. Use this for every real profile.
    #[default]
    Default,
    /// Cheap parameters for tests only: a profile made with them is easy to brute-force.
    /// Exists only with the cargo feature `insecure-fast-kdf` (off by default), so no
    /// release build can make such a profile; without the feature, opening one is refused
    /// with [`ClientError::WeakKdf`](super::ClientError::WeakKdf).
    #[cfg(feature = "insecure-fast-kdf")]
    InsecureFast,
}

/// A source of the current time, in Unix seconds.
///
/// The protocol layer has no clock; the `Client` reads this one for message times,
/// expiries and invitation validity. Tests pass a [`ManualClock`] to move time forward.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock that starts at the system time and only moves when told to. For tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    /// A clock reading the system time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.offset
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        SystemClock
            .now()
            .saturating_add(self.offset.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// How long the client waits on a relay before giving up with
/// [`ClientError::RelayUnreachable`](super::ClientError::RelayUnreachable).
///
/// Every single relay operation (one deposit, one fetch, one mailbox creation with its
/// proof-of-work, one health check), retries included, gives up within `overall`; a
/// long-poll ([`Client::wait_for_mail`](super::Client::wait_for_mail)) adds its own wait on
/// top. A `Client` call stops talking to a relay after the first such failure within that
/// call, so against one relay that accepts connections and never answers, every call
/// returns within about `overall` (a `sync` with mailboxes on several silent relays within
/// `overall` per relay). Nothing is lost when it gives up: outgoing messages stay in the
/// outbox, unacknowledged mail stays on the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetTimeouts {
    /// The longest time to open a connection (TCP, the proxy's handshake, TLS).
    pub connect: Duration,
    /// The longest time for one relay operation, retries included.
    pub overall: Duration,
}

impl Default for NetTimeouts {
    /// `connect` 10 seconds, `overall` 30 seconds: enough for a slow mobile link or a
    /// Tor circuit, short enough that a person in a hurry is told soon. Raise them for a
    /// very slow network; lower them for tests.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            overall: Duration::from_secs(30),
        }
    }
}

/// Options for [`Client::create`](super::Client::create).
#[derive(Clone, Default)]
pub struct CreateOptions {
    /// The profile's own display name. Stays on this device; never sent to anyone.
    pub name: String,
    /// Relay base URLs (`https://…`, or `http://` for a loopback or `.onion` host). The
    /// first one hosts this profile's mailboxes. These (and, later, the relays its
    /// organization's roster names) are the only relays the profile ever contacts, except
    /// through `proxy`; see [`Client::add_relay`](super::Client::add_relay).
    pub relays: Vec<String>,
    /// Optional `socks5h://` proxy (Tor) for every relay request, persisted in the
    /// profile (see [`Client::set_proxy`](super::Client::set_proxy)).
    pub proxy: Option<String>,
    /// Passphrase derivation cost.
    pub kdf: KdfChoice,
    /// Check that every relay answers (`GET /healthz`, within `timeouts`) before creating
    /// anything; on failure nothing is created and the error is
    /// [`ClientError::RelayUnreachable`](super::ClientError::RelayUnreachable). `false` in
    /// [`CreateOptions::default`] (so a profile can be made offline); a front end that
    /// takes relay URLs from a person should set it (the CLI's `init` does, unless told
    /// not to).
    pub check_relays: bool,
    /// Network timeouts for this session.
    pub timeouts: NetTimeouts,
    /// Where relays come from. `None` means HTTP relays reached over the network (through
    /// `proxy` if set). Tests pass a pool holding in-memory relays.
    pub transport: Option<Arc<crate::transport::RelayPool>>,
    /// The clock. `None` means the system clock.
    pub clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for CreateOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateOptions")
            .field("relays", &self.relays.len())
            .field("proxy", &self.proxy.is_some())
            .field("kdf", &self.kdf)
            .field("check_relays", &self.check_relays)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

/// Options for [`Client::open`](super::Client::open).
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// A `socks5h://` proxy for this session only, instead of the one persisted in the
    /// profile ([`Client::set_proxy`](super::Client::set_proxy)). `None` (the usual case)
    /// applies the persisted setting.
    pub proxy: Option<String>,
    /// Network timeouts for this session.
    pub timeouts: NetTimeouts,
    /// Where relays come from; see [`CreateOptions::transport`].
    pub transport: Option<Arc<crate::transport::RelayPool>>,
    /// The clock. `None` means the system clock.
    pub clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("proxy", &self.proxy.is_some())
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

/// Who this profile is.
///
/// Every relationship uses an identity of its own (see [`IdentityChoice`]), so no single
/// key stands for the profile towards others: what a contact sees is in
/// [`Client::safety_number`](super::Client::safety_number), and the stable identities are
/// in `identities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whoami {
    /// The profile's display name (local only).
    pub name: String,
    /// The fingerprint of the profile's local identity, in display form. It tells this
    /// profile apart from another one on the same machine; no peer ever sees it, because
    /// no relationship uses it.
    pub fingerprint: String,
    /// The named stable identities, sorted by name (empty unless the caller made some).
    pub identities: Vec<IdentityView>,
    /// How many contacts use an identity made for them alone.
    pub fresh_identities: usize,
    /// The configured relay URLs.
    pub relays: Vec<String>,
}

/// One contact, as listed by [`Client::contacts`](super::Client::contacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSummary {
    /// The local label (alias) of the contact. Never sent to anyone.
    pub label: String,
    /// The safety number was compared and confirmed.
    pub verified: bool,
    /// This contact receives a duress alert if the duress passphrase is used.
    pub receives_duress_alerts: bool,
    /// A reply has come back on the contact's own mailbox: messages no longer go to the
    /// invitation's intake mailbox.
    pub established: bool,
    /// Disappearing-message timer in seconds, if set.
    pub timer: Option<u64>,
    /// The relay that holds this profile's mailbox for the contact.
    pub relay: String,
    /// We accepted this contact's invitation at this time (Unix seconds, to the minute) and
    /// nothing has arrived from them since. `None` once anything arrived, and for contacts
    /// that came through our own invitations. A value days old usually means the code had
    /// already been used by someone else: ask the contact for a new one.
    pub awaiting_reply_since: Option<u64>,
    /// The named identity this relationship uses, or `None` for one made for it alone.
    pub identity: Option<String>,
    /// When this contact's duress alert arrived (Unix seconds, rounded down to the
    /// minute), if one did: treat the contact as in danger and their phone as seized.
    pub duress_alert_at: Option<u64>,
}

/// One invitation this profile issued and still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSummary {
    /// A local number naming the invitation, for [`Client::revoke_invitation`](super::Client::revoke_invitation).
    pub id: u64,
    /// One-time or standing.
    pub kind: InvitationKind,
    /// How many people have used it.
    pub uses: u32,
    /// Unix seconds after which it is refused.
    pub expires_at: u64,
    /// No one else may use it (used up); it lingers only until the people who used it
    /// write to their own mailboxes.
    pub used_up: bool,
    /// The named identity the invitation shows, or `None` for one made for it alone.
    pub identity: Option<String>,
    /// Standing invitations: when the signed, last-resort and ML-KEM prekeys were last
    /// replaced (Unix seconds). `None` for one-time invitations, which never rotate.
    pub prekeys_rotated_at: Option<u64>,
}

/// A safety number for one contact.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyNumberView {
    pub(crate) digits: String,
    pub(crate) compact: String,
}

impl SafetyNumberView {
    /// Sixty digits in twelve groups of five, separated by spaces, to read aloud. Both
    /// sides see the same number.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// A compact text form for a QR code or copy-and-paste comparison.
    pub fn compact(&self) -> &str {
        &self.compact
    }
}

impl fmt::Debug for SafetyNumberView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SafetyNumberView(..)")
    }
}

/// What happened to a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Every envelope is stored on the relay.
    Delivered,
    /// The relay could not be reached; the envelopes wait in the outbox and the next
    /// `sync` delivers them. Nothing is lost.
    Queued,
}

/// What one [`Client::sync`](super::Client::sync) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Envelopes taken from the outbox and stored on a relay.
    pub sent: usize,
    /// Envelopes still waiting in the outbox (their relay was unreachable).
    pub outbox_pending: usize,
    /// Outbox envelopes the relay refused for good (e.g. the mailbox no longer exists).
    /// They are removed and counted here.
    pub undeliverable: usize,
    /// Text messages received.
    pub messages: usize,
    /// New contacts that arrived through one of this profile's invitations, by label: those
    /// still carrying their provisional `new-N` label when the sync ends (members and
    /// requesters, labelled by the organization layer, are reported in [`Self::org`]).
    pub new_contacts: Vec<String>,
    /// Duress alerts received.
    pub duress_alerts: usize,
    /// Envelopes fetched that could not be opened (garbage, replays); they were
    /// acknowledged and dropped.
    pub rejected: usize,
    /// Envelopes fetched that were byte-for-byte repeats of a message already stored
    /// (a sender that crashed after depositing deposits again); acknowledged and dropped,
    /// and not counted in `rejected`.
    pub duplicates: usize,
    /// How many relays could not be reached during this sync.
    pub unreachable_relays: usize,
    /// First-contact envelopes refused because their invitation was already used up (a
    /// one-time code that a second person also accepted, or a standing code past its
    /// `max_uses`). That person's contact never hears back; each one also raises
    /// [`Event::InvitationReused`]. Not counted in `rejected`.
    pub refused_reused: u32,
    /// Mailbox addresses a contact (or a stranger using an invitation) named on a relay
    /// this profile may not contact: not on its list, and no proxy set (or a loopback,
    /// local-network or plain-`http` address, refused even through the proxy). Nothing was
    /// sent there; each is also an [`Event::RelayRefused`]. See
    /// [`ClientError::RelayNotAllowed`](super::ClientError::RelayNotAllowed).
    pub relays_refused: usize,
    /// What the sync did for the organization (cases, roster, intake, retention).
    pub org: super::org::OrgSyncReport,
}

impl SyncReport {
    /// True when every relay answered and the outbox is empty.
    pub fn is_complete(&self) -> bool {
        self.unreachable_relays == 0 && self.outbox_pending == 0
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received from the contact.
    Incoming,
    /// Sent to the contact.
    Outgoing,
}

/// What kind of record an inbox entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A text message.
    Text,
    /// The contact used their duress passphrase: treat them as in danger and their
    /// profile as seized.
    DuressAlert,
}

/// One stored message.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageView {
    /// The contact's local label.
    pub contact: String,
    /// Incoming or outgoing.
    pub direction: Direction,
    /// Text or duress alert.
    pub kind: MessageKind,
    /// The text (empty for an alert), in a buffer zeroized when the view is dropped.
    pub text: zeroize::Zeroizing<String>,
    /// When it was sent or received, Unix seconds rounded down to the minute.
    pub at: u64,
    /// When it will be deleted from this device, if a timer applies.
    pub expires_at: Option<u64>,
    /// Incoming and not yet marked read with [`Client::mark_read`](super::Client::mark_read).
    pub unread: bool,
    /// Outgoing and still waiting in the outbox (its relay was unreachable): the next
    /// `sync` delivers it.
    pub queued: bool,
}

impl fmt::Debug for MessageView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageView")
            .field("direction", &self.direction)
            .field("kind", &self.kind)
            .field("at", &self.at)
            .field("expires_at", &self.expires_at)
            .field("unread", &self.unread)
            .field("queued", &self.queued)
            .finish_non_exhaustive()
    }
}

/// Something that happened during a `sync`, delivered to every
/// [`Client::subscribe`](super::Client::subscribe) receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A text message arrived.
    MessageReceived {
        /// The contact's label.
        contact: String,
    },
    /// Someone used one of this profile's invitations; the contact has a provisional
    /// label until renamed.
    ContactAdded {
        /// The provisional label.
        contact: String,
    },
    /// The first reply from an invited contact arrived: the contact is established.
    ContactEstablished {
        /// The contact's label.
        contact: String,
    },
    /// A contact used their duress passphrase.
    DuressAlert {
        /// The contact's label.
        contact: String,
    },
    /// A contact moved the mailbox this profile sends to.
    MailboxRotated {
        /// The contact's label.
        contact: String,
    },
    /// Someone sent a first message through an invitation that was already used up (a
    /// one-time code given to, or copied by, a second person). It was refused; they get no
    /// answer. One event per refused envelope.
    InvitationReused {
        /// The invitation's local id (as in [`InvitationSummary::id`]).
        invitation: u64,
    },
    /// A contact, or someone using one of this profile's invitations, asked to be written
    /// to on a relay this profile may not contact
    /// ([`ClientError::RelayNotAllowed`](super::ClientError::RelayNotAllowed)). Nothing was
    /// sent there. For a new contact through an invitation, no contact was made.
    RelayRefused {
        /// The contact's label, or `None` for someone using an invitation.
        contact: Option<String>,
    },
    /// A case arrived on this device (a request through an intake or referral code, or
    /// a case a coordinator replicated).
    CaseOpened {
        /// The case's short id.
        short: String,
    },
    /// A case held on this device changed (assignment, status, note, vouch).
    CaseUpdated {
        /// The case's short id.
        short: String,
    },
    /// A new roster epoch (or membership certificate) was accepted.
    RosterUpdated {
        /// The epoch number now held.
        epoch: u64,
    },
    /// Requests at the standing intake address were refused in this sync: too many
    /// untouched new cases came through it (a flood).
    IntakeFlood {
        /// How many were refused.
        refused: u32,
    },
    /// A contact changed the disappearing-message timer.
    TimerChanged {
        /// The contact's label.
        contact: String,
        /// The new timer in seconds, or `None` for off.
        secs: Option<u64>,
    },
}
