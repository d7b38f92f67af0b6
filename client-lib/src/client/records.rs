//! What the `Client` keeps in the encrypted store, one serde type per record.
//!
//! Protocol objects (identity, sessions, prekeys) are kept as the protocol layer's own
//! pickles, as opaque bytes, so a change in their format is the protocol's business.
//! These records are never written anywhere but the store, which encrypts keys and
//! values; secret fields still zeroize on drop and never print.

use super::payload::MailboxAddress;
use corridor_wire::api::{BundleId, DepositCredential, DepositId, ReadId};
use corridor_wire::b64::Blob;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret bytes inside a record: zeroized on drop, redacted `Debug`, base64 in the
/// (encrypted) record.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(redacted)")
    }
}

impl Serialize for SecretBytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = zeroize::Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&self.0));
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = zeroize::Zeroizing::new(String::deserialize(deserializer)?);
        data_encoding::BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

/// Message text inside a record or payload: zeroized on drop, redacted `Debug`, a plain
/// JSON string inside the (encrypted) record or ratchet payload.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SecretText(String);

impl SecretText {
    /// A copy for the caller, in a buffer that is zeroized when dropped.
    pub(crate) fn to_zeroizing(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(self.0.clone())
    }
}

impl From<&str> for SecretText {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(redacted)")
    }
}

impl Serialize for SecretText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// The profile's own settings and identity. One per store.
#[derive(Serialize, Deserialize)]
pub(crate) struct ProfileRecord {
    pub(crate) name: String,
    pub(crate) relays: Vec<String>,
    /// The identity's pickle.
    pub(crate) identity: SecretBytes,
    /// The key the profile's pickles (identity, prekeys) are sealed under.
    pub(crate) pickle_key: SecretBytes,
    /// Counter for provisional labels (`new-1`, `new-2`, …).
    pub(crate) next_label: u64,
    /// The `socks5h://` proxy every relay request goes through, if set.
    #[serde(default)]
    pub(crate) proxy: Option<String>,
    /// The relays and proxy written into the duress kit when the duress passphrase was
    /// last set (`None` if it never was): the kit cannot be rewritten without the duress
    /// passphrase, so a change since then must be pointed out.
    #[serde(default)]
    pub(crate) duress_settings: Option<(Vec<String>, Option<String>)>,
}

/// A mailbox this profile reads from.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct OwnedMailbox {
    pub(crate) relay: String,
    pub(crate) read_id: ReadId,
    pub(crate) deposit_id: DepositId,
    pub(crate) credential: DepositCredential,
    /// Seed of the mailbox's own Ed25519 auth key.
    pub(crate) auth_seed: SecretBytes,
    /// Set when a newer mailbox replaced this one: it is still read until the peer's
    /// first message arrives on the newer one, or until this deadline (Unix seconds).
    pub(crate) retire_by: Option<u64>,
    /// The peer was given a duress alert key while this was the current mailbox: its
    /// alert kit points here, so the mailbox is kept (and read for alerts) after rotation.
    pub(crate) keep_for_alerts: bool,
}

impl OwnedMailbox {
    pub(crate) fn address(&self) -> MailboxAddress {
        MailboxAddress {
            relay: self.relay.clone(),
            deposit_id: self.deposit_id,
            credential: self.credential,
        }
    }
}

/// The initiator's state until the first reply: every message goes to the inviter's
/// intake mailbox as an initial envelope repeating the handshake header.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PendingInitial {
    /// The encoded handshake header.
    pub(crate) header: Blob,
    /// The invitation's seal public key.
    pub(crate) seal_key: [u8; 32],
    /// The bundle's verified ML-KEM-768 prekey (1184 bytes): each initial envelope's
    /// hybrid seal encapsulates to it afresh.
    pub(crate) kem_prekey: Blob,
    pub(crate) intake: MailboxAddress,
}

/// Where a responder-side contact came from.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Origin {
    pub(crate) invitation: u64,
    /// The initiator's handshake ephemeral key: repeats carry it.
    pub(crate) ephemeral: [u8; 32],
    /// A message from the contact arrived on one of our own mailboxes for it: it no
    /// longer writes to the intake mailbox.
    pub(crate) heard_direct: bool,
}

/// A salted hash naming an invitation this profile accepted, so accepting it again is
/// refused ([`super::ClientError::AlreadyAccepted`]) without keeping the invitation's bundle
/// id: two profiles that accepted one standing code hold unrelated tags.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AcceptedTag {
    pub(crate) salt: [u8; 16],
    pub(crate) tag: [u8; 32],
}

/// One contact.
#[derive(Serialize, Deserialize)]
pub(crate) struct ContactRecord {
    pub(crate) id: u64,
    pub(crate) label: String,
    /// The identity this profile uses with this contact alone (its pickle): made fresh for
    /// the relationship, or a copy of a named identity (see `identity_name`).
    pub(crate) identity: SecretBytes,
    /// The named identity used with this contact, if the caller asked for one.
    pub(crate) identity_name: Option<String>,
    /// We accepted the contact's invitation at this (coarse) time and nothing has arrived
    /// from the contact since.
    pub(crate) awaiting_reply_since: Option<u64>,
    /// The invitation accepted to make this contact (initiator side only).
    pub(crate) accepted: Option<AcceptedTag>,
    /// The contact's encoded public identity.
    pub(crate) peer_identity: Blob,
    /// The ratchet session's pickle.
    pub(crate) session: SecretBytes,
    /// The pickled [`crate::protocol::envelope::Reassembler`] holding blocks of payloads
    /// not yet complete (multi-block payloads), persisted with the session they advanced
    /// so an acknowledged block is never lost; `None` when nothing is pending.
    pub(crate) reassembler: Option<SecretBytes>,
    pub(crate) verified: bool,
    /// This contact receives our duress alert.
    pub(crate) receives_alerts: bool,
    /// Keys this contact gave us to recognize its duress alerts.
    pub(crate) alert_keys: Vec<SecretBytes>,
    pub(crate) timer: Option<u64>,
    /// Where messages to the contact go, once established.
    pub(crate) outgoing: Option<MailboxAddress>,
    pub(crate) pending_initial: Option<PendingInitial>,
    /// Mailboxes we read the contact's messages from, oldest first; the last is current.
    pub(crate) incoming: Vec<OwnedMailbox>,
    pub(crate) origin: Option<Origin>,
}

impl ContactRecord {
    pub(crate) fn established(&self) -> bool {
        self.pending_initial.is_none() && self.outgoing.is_some()
    }
}

/// The prekey schedule of a standing invitation (see `docs/library.md`, "Standing
/// invitations: the prekey schedule").
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PrekeySchedule {
    /// When the signed, last-resort and ML-KEM prekeys were last replaced (or created).
    pub(crate) rotated_at: u64,
    /// The prekeys replaced at `rotated_at` are kept until then, for initiators that
    /// fetched the older bundle.
    pub(crate) previous_until: Option<u64>,
    /// One-time prekey ids in the bundle last published and not used by a handshake yet.
    pub(crate) live: Vec<u32>,
    /// One-time prekeys from an older publication (maybe handed out to an initiator whose
    /// first message has not arrived): kept, unpublished, until the time given.
    pub(crate) stale: Vec<(u32, u64)>,
    /// The local prekeys changed but the relay still holds an older bundle: publish again.
    pub(crate) unpublished: bool,
}

/// An invitation this profile issued.
#[derive(Serialize, Deserialize)]
pub(crate) struct InvitationRecord {
    pub(crate) id: u64,
    /// The identity the invitation's bundle is signed by (its pickle); every contact made
    /// through the invitation uses it. Fresh for the invitation unless `identity_name`.
    pub(crate) identity: SecretBytes,
    /// The named identity used, if the caller asked for one.
    pub(crate) identity_name: Option<String>,
    pub(crate) standing: bool,
    pub(crate) max_uses: Option<u32>,
    pub(crate) uses: u32,
    pub(crate) expires_at: u64,
    pub(crate) intake: OwnedMailbox,
    pub(crate) bundle_relay: String,
    pub(crate) bundle_id: BundleId,
    pub(crate) bundle_auth_seed: SecretBytes,
    /// The bundle is still published.
    pub(crate) bundle_live: bool,
    /// The invitation's X25519 seal secret.
    pub(crate) seal_secret: SecretBytes,
    /// The prekey secrets' pickle.
    pub(crate) prekeys: SecretBytes,
    /// Contacts made through this invitation, by handshake ephemeral key.
    pub(crate) responders: Vec<([u8; 32], u64)>,
    /// Standing invitations only: when prekeys rotate and one-time prekeys are refilled.
    pub(crate) schedule: Option<PrekeySchedule>,
}

impl InvitationRecord {
    /// No new person may use it.
    pub(crate) fn exhausted(&self) -> bool {
        if !self.standing {
            return self.uses >= 1;
        }
        self.max_uses.is_some_and(|max| self.uses >= max)
    }
}

/// A stable identity the caller named ([`super::IdentityChoice::Named`]), kept in
/// [`super::db::Tree::Meta`] under `identity/` + its name.
#[derive(Serialize, Deserialize)]
pub(crate) struct NamedIdentityRecord {
    pub(crate) name: String,
    /// The identity's pickle.
    pub(crate) identity: SecretBytes,
    pub(crate) created_at: u64,
}

/// One envelope waiting to be deposited.
#[derive(Serialize, Deserialize)]
pub(crate) struct OutboxItem {
    pub(crate) contact: u64,
    pub(crate) to: MailboxAddress,
    pub(crate) envelope: Blob,
    /// Sealed to an intake mailbox: not re-addressed when the contact moves.
    pub(crate) initial: bool,
    /// Unlock traffic (a duress alert or its cover, see `duress.rs`): not a message of
    /// any contact, never counted in a `SyncReport`, at most one waiting per target.
    #[serde(default)]
    pub(crate) unlock: bool,
}

/// Which way a stored message went.
#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum StoredDirection {
    In,
    Out,
}

/// What a stored message is.
#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum StoredKind {
    Text,
    Alert,
}

/// One stored message.
#[derive(Serialize, Deserialize)]
pub(crate) struct MessageRecord {
    pub(crate) contact: u64,
    pub(crate) direction: StoredDirection,
    pub(crate) kind: StoredKind,
    pub(crate) text: SecretText,
    pub(crate) at: u64,
    pub(crate) expires_at: Option<u64>,
    /// Orders messages that share a minute.
    pub(crate) order: u64,
}

/// Where a duress alert goes: one per contact marked to receive alerts.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AlertKitEntry {
    pub(crate) to: MailboxAddress,
    pub(crate) key: SecretBytes,
}

/// The duress slot's payload: what the decoy profile looks like, and where alerts go.
#[derive(Serialize, Deserialize)]
pub(crate) struct DuressKit {
    pub(crate) name: String,
    pub(crate) relays: Vec<String>,
    pub(crate) alerts: Vec<AlertKitEntry>,
    /// The proxy the real profile used, so the decoy's traffic takes the same path.
    #[serde(default)]
    pub(crate) proxy: Option<String>,
}

/// What this profile knows about one contact's duress alerts (kept beside the contact
/// record, under its id).
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct AlertState {
    /// When the first (or latest new) alert arrived, coarse.
    pub(crate) at: Option<u64>,
    /// The nonces of the alerts seen, newest last: a replayed alert raises nothing.
    pub(crate) seen: Vec<[u8; 16]>,
}

/// How many record types [`fuzz_record_reencode`] tells apart (its `kind` is taken modulo
/// this): profile, contact, invitation, named identity, outbox item, message, duress kit,
/// alert state.
#[doc(hidden)]
pub const FUZZ_RECORD_KINDS: u8 = 8;

fn reencode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let record: T = serde_json::from_slice(bytes).ok()?;
    serde_json::to_vec(&record)
        .ok()
        .map(zeroize::Zeroizing::new)
}

/// Fuzzing entry point (`fuzz/src/client.rs`, target `client_record`; not part of the
/// API): decodes a store record's value as the record type `kind` (modulo
/// [`FUZZ_RECORD_KINDS`]) exactly as the client's store layer reads it, and returns its
/// re-encoding, or `None` if it was refused.
#[doc(hidden)]
pub fn fuzz_record_reencode(kind: u8, bytes: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    match kind % FUZZ_RECORD_KINDS {
        0 => reencode::<ProfileRecord>(bytes),
        1 => reencode::<ContactRecord>(bytes),
        2 => reencode::<InvitationRecord>(bytes),
        3 => reencode::<NamedIdentityRecord>(bytes),
        4 => reencode::<OutboxItem>(bytes),
        5 => reencode::<MessageRecord>(bytes),
        6 => reencode::<DuressKit>(bytes),
        _ => reencode::<AlertState>(bytes),
    }
}
