//! The one error type of the [`Client`](super::Client) API.

/// Everything that can go wrong in a [`Client`](super::Client) call.
///
/// Messages are fixed strings: they never carry an alias, a mailbox id, a key or any
/// plaintext, so they can be logged or shown as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// `create` found a profile already in the directory.
    #[error("a profile already exists in this directory")]
    ProfileExists,
    /// `open` found no profile in the directory.
    #[error("no profile in this directory")]
    NoProfile,
    /// The passphrase does not open the profile.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The passphrase was wrong and the failed-unlock limit was reached: the profile has
    /// been wiped.
    #[error("wrong passphrase; the failed-unlock limit was reached and the profile was wiped")]
    ProfileWiped,
    /// Passphrases must not be empty.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The duress passphrase and the profile passphrase must differ.
    #[error("the duress passphrase and the passphrase must differ")]
    PassphraseConflict,
    /// The duress alert kit for this many contacts does not fit the key file's duress
    /// slot; choose fewer contacts.
    #[error("too many contacts chosen for duress alerts")]
    TooManyAlertContacts,
    /// No contact has this label.
    #[error("no such contact")]
    UnknownContact,
    /// Another contact already has this label.
    #[error("a contact with this label already exists")]
    LabelTaken,
    /// The label is empty, too long or contains control characters.
    #[error("invalid label")]
    InvalidLabel,
    /// No open invitation has this id.
    #[error("no such invitation")]
    UnknownInvitation,
    /// The invitation code is malformed, has a bad checksum, or is of an unknown version.
    #[error("invalid invitation code")]
    InvalidInvitation,
    /// The invitation has expired.
    #[error("the invitation has expired")]
    InvitationExpired,
    /// The prekey bundle fetched for the invitation failed verification, or does not
    /// belong to the inviter named in the invitation. Treat this as an attack.
    #[error("the invitation's key bundle failed verification")]
    BundleMismatch,
    /// The invitation's bundle is gone from the relay (used up, expired or deleted).
    #[error("the invitation is no longer available on the relay")]
    InvitationUnavailable,
    /// The invitation code was issued by this profile: a profile cannot become its own
    /// contact. Give the code to the other person instead.
    #[error("this invitation was made by this profile; give it to the other person instead")]
    OwnInvitation,
    /// This profile already accepted this invitation; the contact made then is `label`
    /// (the local label, for the caller to show; the message itself never carries it).
    #[error("this invitation was already accepted by this profile")]
    AlreadyAccepted {
        /// The local label of the contact made by the earlier accept.
        label: String,
    },
    /// The typed safety number does not match.
    #[error("safety number does not match")]
    SafetyNumberMismatch,
    /// A relay could not be reached (network error, timeout, or relay overloaded).
    /// Nothing was lost: queued messages stay in the outbox until the next `sync`.
    #[error("relay unreachable")]
    RelayUnreachable,
    /// The relay refused the request (bad request, limit reached, unknown mailbox).
    #[error("relay refused the request")]
    RelayRefused,
    /// The relay URL is not usable (malformed, or not an allowed scheme).
    #[error(
        "invalid relay address: use https://host[:port][/path] (plain http only for 127.0.0.1, localhost or a .onion address)"
    )]
    InvalidRelay,
    /// The proxy setting is not usable.
    #[error(
        "invalid proxy: use socks5h://host:port (for Tor on this machine: socks5h://127.0.0.1:9050)"
    )]
    InvalidProxy,
    /// The profile needs at least one relay.
    #[error("no relay configured")]
    NoRelay,
    /// A relay that is not on this profile's list, named by someone else (an invitation
    /// code, a contact's mailbox address) or asked for in a call. Nothing was sent to it.
    /// A relay named by a peer is used only if it is on the list or, when a proxy is set,
    /// through the proxy (and never a loopback, local-network or plain-`http` one).
    #[error(
        "that relay is not on this profile's list of relays, so nothing was sent to it; add it (relay add) if you trust it, or set a proxy"
    )]
    RelayNotAllowed,
    /// `remove_relay`: the relay is not on the list.
    #[error("that relay is not on this profile's list of relays")]
    UnknownRelay,
    /// `remove_relay`: it is the only relay; add another one first.
    #[error("cannot remove the only relay; add another one first")]
    LastRelay,
    /// `remove_relay`: a mailbox of this profile, a contact's mailbox it writes to, an
    /// open invitation or a duress alert still lives on the relay.
    #[error(
        "a contact, an open invitation or a duress alert still uses that relay; rotate or remove those contacts and revoke those invitations first"
    )]
    RelayInUse,
    /// The message text is empty or too long.
    #[error("invalid message")]
    InvalidMessage,
    /// The contact is not ready for this operation yet (for example rotation before the
    /// first reply arrived).
    #[error("the contact is not established yet")]
    NotEstablished,
    /// The profile store failed (disk error, corrupt record).
    #[error("profile storage error")]
    Storage,
    /// The profile's stored Argon2id parameters are below the production floor (it was
    /// made by a test build with `KdfChoice::InsecureFast`); a build without the
    /// `insecure-fast-kdf` feature refuses to open it. Nothing was changed.
    #[error("this profile was made with test-only weak passphrase hashing; refusing to open it")]
    WeakKdf,
    /// A cryptographic operation failed (no randomness, corrupt key material).
    #[error("cryptographic failure")]
    Crypto,
    /// This profile belongs to no organization (create one, or join with an invitation).
    #[error("this profile belongs to no organization")]
    NoOrganization,
    /// This profile already belongs to an organization (one per profile in this version).
    #[error("this profile already belongs to an organization")]
    OrgExists,
    /// This profile's role may not do that; the text says what (a fixed phrase, e.g.
    /// "only coordinators may invite members").
    #[error("not permitted: {0}")]
    NotPermitted(&'static str),
    /// No case on this device has that id (or this profile is not on its team).
    #[error("no such case on this device")]
    UnknownCase,
    /// The id prefix matches more than one case; type more of it.
    #[error("that case id prefix matches more than one case; type more of it")]
    AmbiguousCase,
    /// No current member has that alias.
    #[error("no such member")]
    UnknownMember,
    /// A form field is not what is expected (the message names the field, never the value).
    #[error("invalid field: {0}")]
    InvalidField(crate::coordination::FieldError),
    /// The case refused the action (lifecycle, authority, limits).
    #[error("the case refused this: {0}")]
    Case(crate::coordination::CaseError),
    /// The roster refused the change.
    #[error("the roster refused this: {0}")]
    Roster(crate::coordination::RosterError),
    /// The audit log's hash chain is broken at entry `seq` (tampered or truncated).
    #[error("the audit log is broken at entry {seq}")]
    AuditBroken {
        /// The first entry that does not verify.
        seq: u64,
    },
    /// An internal invariant broke; the operation was abandoned without side effects
    /// beyond those already persisted.
    #[error("internal error")]
    Internal,
}

/// Shorthand for `Result<T, ClientError>`.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
