//! The `Client`: the façade a partner organization embeds, and the CLI's engine.
//!
//! A `Client` owns one unlocked profile (an encrypted store in a directory) and talks to
//! relays through [`crate::transport`]. Every method returns a typed [`ClientError`];
//! nothing panics across the API. `docs/library.md` walks through the flows; the short
//! version:
//!
//! - [`Client::create_invitation`] publishes a prekey bundle and opens an intake mailbox;
//!   the returned code is what the other person needs.
//! - [`Client::accept_invitation`] runs the hybrid X3DH handshake, starts the ratchet and
//!   sends the inviter a reply mailbox, sealed to the intake mailbox.
//! - [`Client::sync`] delivers the outbox, fetches and decrypts every mailbox, persists
//!   before acknowledging, answers new contacts, and deletes expired data.
//! - [`Client::send`] encrypts into the outbox first, then tries to deliver; an
//!   unreachable relay means [`SendOutcome::Queued`], never a lost message.
//!
//! Concurrency: a `Client` is `Send + Sync`. Network operations (`send`, `sync`, invite,
//! accept, rotate, duress set-up) run one at a time; read-only calls never wait on the
//! network.

mod alert;
mod at_rest;
mod db;
mod duress;
mod error;
mod invite;
mod net;
mod org;
mod payload;
mod prekey_schedule;
mod proto;
mod records;
mod rotate;
mod sync;
mod types;

pub use crate::store::Passphrase;
pub use at_rest::REKEY_EVERY_SECS;
pub use error::{ClientError, Result};
pub use invite::MAX_INVITATION_SECS;
pub use org::{
    AuditReport, AuditView, CaseDetail, CaseFilter, CaseMessage, CaseSummary, HistoryEntry,
    INTAKE_CODE_PREFIX, MAX_UNTOUCHED_STANDING, MemberView, NoteView, ORG_CODE_PREFIX,
    OrgInvitation, OrgSyncReport, OrgView, RequestView, VouchView,
};
pub use prekey_schedule::{ONE_TIME_REFILL_BELOW, PREKEY_OVERLAP_SECS, PREKEY_ROTATION_SECS};
pub use types::{
    Clock, ContactSummary, CreateOptions, Direction, Event, IdentityChoice, IdentityView,
    InvitationKind, InvitationSummary, KdfChoice, ManualClock, MessageKind, MessageView,
    NetTimeouts, OpenOptions, SafetyNumberView, SendOutcome, SyncReport, SystemClock, Whoami,
};

#[doc(hidden)]
pub use payload::fuzz_payload_reencode;
#[doc(hidden)]
pub use records::{FUZZ_RECORD_KINDS, fuzz_record_reencode};

use db::{Db, Tree};
use net::Net;
use payload::Payload;
use records::{
    ContactRecord, MessageRecord, NamedIdentityRecord, OutboxItem, ProfileRecord, SecretBytes,
    SecretText, StoredDirection, StoredKind,
};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// Whether this build has the cargo feature `insecure-fast-kdf` (test builds only): then
/// [`KdfChoice`] has its cheap test variant and profiles below the Argon2id floor open.
/// A release build says `false`.
pub const WEAK_KDF_ALLOWED: bool = cfg!(feature = "insecure-fast-kdf");

/// Longest accepted label, in characters.
const MAX_LABEL_CHARS: usize = 64;
/// Longest accepted message text, in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// How many events a slow subscriber may fall behind before it misses some.
const EVENT_CAPACITY: usize = 256;

/// One unlocked profile. See the [module documentation](self).
pub struct Client {
    db: Db,
    net: Arc<Net>,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<Event>,
    /// Serializes operations that touch the network.
    op: tokio::sync::Mutex<()>,
    /// Serializes read-modify-write of records; never held across an `.await`.
    records: Mutex<()>,
    /// Something was deleted for good: re-key at the end of the operation.
    rekey_requested: AtomicBool,
    /// Clock reading of the last re-key (or of the open).
    last_rekey: AtomicU64,
}

/// The records lock, held while records are read and rewritten. Releasing it makes every
/// write made under it durable (the "answer" half of persist-before-effect, see
/// [`db::Db`]): whatever the caller is told next is on disk. A flush failure here poisons
/// the store, so the next operation fails instead of acting on state that is not durable.
pub(crate) struct Writing<'a> {
    db: &'a Db,
    _records: MutexGuard<'a, ()>,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        // Runs before the mutex is released (fields drop after this body).
        let _ = self.db.settle();
    }
}

/// A meta record present while a profile is open: found at the next open, it means the
/// last session ended without its closing re-key (a crash), so the open re-keys.
const OPEN_MARKER: &[u8] = b"open-session";

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client(..)")
    }
}

/// Rounds a Unix time down to the minute: the only precision stored or sent.
pub(crate) fn coarse(t: u64) -> u64 {
    t - t % 60
}

/// Named identities live in [`Tree::Meta`] under this prefix and their name.
const NAMED_IDENTITY_PREFIX: &[u8] = b"identity/";

fn named_identity_key(name: &str) -> Vec<u8> {
    [NAMED_IDENTITY_PREFIX, name.as_bytes()].concat()
}

fn check_label(label: &str) -> Result<()> {
    let chars = label.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(ClientError::InvalidLabel);
    }
    if label.trim() != label {
        return Err(ClientError::InvalidLabel);
    }
    Ok(())
}

impl Client {
    /// Creates a new profile in `dir` (which must not hold one), with a fresh identity.
    ///
    /// With [`CreateOptions::check_relays`] (the default) every relay must answer first
    /// (within [`CreateOptions::timeouts`]); otherwise nothing is created.
    ///
    /// # Errors
    /// [`ClientError::ProfileExists`], [`ClientError::NoRelay`],
    /// [`ClientError::InvalidRelay`], [`ClientError::InvalidProxy`],
    /// [`ClientError::RelayUnreachable`] / [`ClientError::RelayRefused`] (a relay did not
    /// answer the check), [`ClientError::Storage`], [`ClientError::Crypto`].
    pub async fn create(dir: &Path, passphrase: &Passphrase, opts: CreateOptions) -> Result<Self> {
        if opts.relays.is_empty() {
            return Err(ClientError::NoRelay);
        }
        for relay in &opts.relays {
            net::check_url(relay)?;
        }
        if Db::exists(dir) {
            return Err(ClientError::ProfileExists);
        }
        let net = Net::new(opts.transport.clone(), opts.timeouts);
        net.configure(&opts.relays, opts.proxy.as_deref())?;
        if opts.check_relays {
            for relay in &opts.relays {
                net.health(relay).await?;
            }
        }
        let db = Db::create(dir, passphrase, opts.kdf).await?;
        let clock = opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let client = Self::assemble(db, net, clock);
        client.init_profile(opts.name.clone(), opts.relays.clone(), opts.proxy.clone())?;
        client.db.put(Tree::Meta, OPEN_MARKER, &true, None)?;
        client.db.settle()?;
        Ok(client)
    }

    /// Opens the profile in `dir`, with its persisted relays and proxy (or
    /// [`OpenOptions::proxy`] for this session).
    ///
    /// If `passphrase` is the duress passphrase, the store has already destroyed the real
    /// profile; this call then initializes an empty profile with the same name, relays and
    /// proxy, queues each duress alert, and returns it. The caller cannot tell the two
    /// cases apart, and neither can the relay: a normal unlock queues a cover envelope for
    /// each alert target (see `set_duress`). Either way this call then tries, for at most
    /// 5 seconds, to deliver them; what is not delivered goes with the next `sync` (or
    /// `send`, `accept_invitation`, `rotate`). A profile without a duress set-up makes no
    /// network request here.
    ///
    /// # Errors
    /// [`ClientError::NoProfile`], [`ClientError::WrongPassphrase`],
    /// [`ClientError::InvalidRelay`], [`ClientError::InvalidProxy`], [`ClientError::Storage`].
    pub async fn open(dir: &Path, passphrase: &Passphrase, opts: OpenOptions) -> Result<Self> {
        if !Db::exists(dir) {
            return Err(ClientError::NoProfile);
        }
        if let Some(proxy) = opts.proxy.as_deref() {
            crate::transport::ProxyUrl::parse(proxy).map_err(|_| ClientError::InvalidProxy)?;
        }
        let (db, duress_payload) = Db::open(dir, passphrase).await?;
        let net = Net::new(opts.transport.clone(), opts.timeouts);
        let clock = opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let client = Self::assemble(db, net, clock);
        match duress_payload {
            Some(payload) => client.become_decoy(&payload)?,
            None => {
                if client
                    .db
                    .get::<ProfileRecord>(Tree::Meta, db::PROFILE_KEY)?
                    .is_none()
                {
                    // An empty store (a decoy opened again): give it an identity.
                    client.init_profile(String::new(), Vec::new(), None)?;
                }
                client.queue_unlock_covers()?;
            }
        }
        client.opened()?;
        let profile = client.profile()?;
        let proxy = opts.proxy.clone().or_else(|| profile.proxy.clone());
        client
            .net
            .configure(&client.chosen_relays(&profile), proxy.as_deref())?;
        client.send_unlock_traffic().await;
        Ok(client)
    }

    /// True when `dir` holds a profile.
    pub fn profile_exists(dir: &Path) -> bool {
        Db::exists(dir)
    }

    /// Destroys the profile in `dir` at once: the key file first (so the rest is
    /// unreadable immediately), then everything else. No passphrase needed.
    ///
    /// # Errors
    /// [`ClientError::Storage`] if the files could not be removed.
    pub fn panic_wipe(dir: &Path) -> Result<()> {
        Db::panic_wipe(dir)
    }

    fn assemble(db: Db, net: Net, clock: Arc<dyn Clock>) -> Self {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        net.attach(db.gate());
        let now = clock.now();
        Self {
            db,
            net: Arc::new(net),
            clock,
            events,
            op: tokio::sync::Mutex::new(()),
            records: Mutex::new(()),
            rekey_requested: AtomicBool::new(false),
            last_rekey: AtomicU64::new(now),
        }
    }

    /// Right after an unlock: purge what expired while the profile was closed, re-key if
    /// the last session did not end with its closing re-key, mark the session open.
    fn opened(&self) -> Result<()> {
        let unclean = self.db.get::<bool>(Tree::Meta, OPEN_MARKER)?.is_some();
        let mut purged = self.db.purge_expired(self.now())? > 0;
        {
            // Cases and requests whose retention ran out while the profile was closed.
            let _guard = self.lock()?;
            purged |= self.org_purge(self.now())? > 0;
        }
        if unclean || purged {
            self.rekey_now()?;
        }
        self.db.put(Tree::Meta, OPEN_MARKER, &true, None)?;
        self.db.settle()
    }

    /// Before the profile closes: purge, clear the open marker, and re-key if anything
    /// was written in this session (so every superseded secret of the session is shredded).
    async fn close_at_rest(&self) -> Result<()> {
        let _op = self.op.lock().await;
        self.db.purge_expired(self.now())?;
        self.db.remove(Tree::Meta, OPEN_MARKER)?;
        if self.db.written_since_rekey() {
            self.rekey_now()?;
        }
        self.db.settle()
    }

    fn init_profile(&self, name: String, relays: Vec<String>, proxy: Option<String>) -> Result<()> {
        let (identity, pickle_key) = proto::new_identity()?;
        let record = ProfileRecord {
            name,
            relays,
            identity,
            pickle_key,
            next_label: 1,
            proxy,
            duress_settings: None,
        };
        self.db.put(Tree::Meta, db::PROFILE_KEY, &record, None)
    }

    pub(crate) fn lock(&self) -> Result<Writing<'_>> {
        let records = self.records.lock().map_err(|_| ClientError::Internal)?;
        Ok(Writing {
            db: &self.db,
            _records: records,
        })
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    pub(crate) fn profile(&self) -> Result<ProfileRecord> {
        self.db
            .get(Tree::Meta, db::PROFILE_KEY)?
            .ok_or(ClientError::Storage)
    }

    pub(crate) fn keys(&self) -> Result<proto::Keys> {
        let profile = self.profile()?;
        proto::Keys::load(&profile.identity, &profile.pickle_key)
    }

    /// The keys of one relationship's identity (a contact's or an invitation's pickle).
    pub(crate) fn keys_of(&self, identity: &SecretBytes) -> Result<proto::Keys> {
        let profile = self.profile()?;
        proto::Keys::load(identity, &profile.pickle_key)
    }

    /// The identity a new relationship uses, as (pickle, name): a fresh one, or the named
    /// one (created and persisted on its first use).
    pub(crate) fn relationship_identity(
        &self,
        choice: &IdentityChoice,
    ) -> Result<(SecretBytes, Option<String>)> {
        let profile = self.profile()?;
        match choice {
            IdentityChoice::Fresh => {
                Ok((proto::new_relationship_identity(&profile.pickle_key)?, None))
            }
            IdentityChoice::Named(name) => {
                check_label(name)?;
                let _guard = self.lock()?;
                let key = named_identity_key(name);
                if let Some(existing) = self.db.get::<NamedIdentityRecord>(Tree::Meta, &key)? {
                    return Ok((existing.identity, Some(name.clone())));
                }
                let record = NamedIdentityRecord {
                    name: name.clone(),
                    identity: proto::new_relationship_identity(&profile.pickle_key)?,
                    created_at: coarse(self.now()),
                };
                self.db.put(Tree::Meta, &key, &record, None)?;
                Ok((record.identity.clone(), Some(name.clone())))
            }
        }
    }

    fn named_identity_records(&self) -> Result<Vec<NamedIdentityRecord>> {
        Ok(self
            .db
            .all::<serde_json::Value>(Tree::Meta)?
            .into_iter()
            .filter(|(key, _)| key.starts_with(NAMED_IDENTITY_PREFIX))
            .filter_map(|(_, value)| serde_json::from_value::<NamedIdentityRecord>(value).ok())
            .collect())
    }

    /// The named stable identities this profile holds (see [`IdentityChoice::Named`]),
    /// sorted by name.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn identities(&self) -> Result<Vec<IdentityView>> {
        let mut out = Vec::new();
        for record in self.named_identity_records()? {
            out.push(IdentityView {
                fingerprint: proto::fingerprint(&self.keys_of(&record.identity)?),
                name: record.name,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The key sessions and prekeys are pickled under.
    pub(crate) fn pickle_key(&self) -> Result<crate::primitives::Secret<32>> {
        let profile = self.profile()?;
        crate::primitives::Secret::try_from_slice(profile.pickle_key.expose())
            .map_err(|_| ClientError::Storage)
    }

    pub(crate) fn emit(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }

    /// The profile's name, local fingerprint, named identities and relays. See
    /// [`Whoami`] for what the fingerprint is now that every relationship has its own
    /// identity.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn whoami(&self) -> Result<Whoami> {
        let profile = self.profile()?;
        let fresh_identities = self
            .all_contacts()?
            .iter()
            .filter(|c| c.identity_name.is_none())
            .count();
        Ok(Whoami {
            name: profile.name.clone(),
            fingerprint: proto::fingerprint(&self.keys()?),
            identities: self.identities()?,
            fresh_identities,
            relays: profile.relays.clone(),
        })
    }

    /// A receiver of every [`Event`] from now on (messages, new contacts, alerts).
    /// Events are produced by [`Client::sync`].
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    // ---- contacts ----------------------------------------------------------------

    pub(crate) fn all_contacts(&self) -> Result<Vec<ContactRecord>> {
        Ok(self
            .db
            .all::<ContactRecord>(Tree::Contacts)?
            .into_iter()
            .map(|(_, c)| c)
            .collect())
    }

    pub(crate) fn contact_by_label(&self, label: &str) -> Result<ContactRecord> {
        self.all_contacts()?
            .into_iter()
            .find(|c| c.label == label)
            .ok_or(ClientError::UnknownContact)
    }

    pub(crate) fn contact_by_id(&self, id: u64) -> Result<Option<ContactRecord>> {
        self.db.get(Tree::Contacts, &id.to_be_bytes())
    }

    pub(crate) fn save_contact(&self, contact: &ContactRecord) -> Result<()> {
        self.db
            .put(Tree::Contacts, &contact.id.to_be_bytes(), contact, None)
    }

    fn summary(contact: &ContactRecord) -> ContactSummary {
        ContactSummary {
            label: contact.label.clone(),
            verified: contact.verified,
            receives_duress_alerts: contact.receives_alerts,
            established: contact.established(),
            timer: contact.timer,
            relay: contact
                .incoming
                .last()
                .map(|m| m.relay.clone())
                .unwrap_or_default(),
            awaiting_reply_since: contact.awaiting_reply_since,
            identity: contact.identity_name.clone(),
            duress_alert_at: None,
        }
    }

    /// Every contact, sorted by label.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn contacts(&self) -> Result<Vec<ContactSummary>> {
        let mut all = Vec::new();
        for contact in self.all_contacts()? {
            let mut summary = Self::summary(&contact);
            summary.duress_alert_at = self.alert_state(contact.id)?.at;
            all.push(summary);
        }
        all.sort_by(|a, b| a.label.cmp(&b.label));
        Ok(all)
    }

    /// Renames a contact. New contacts from invitations arrive with a provisional label
    /// (`new-1`, `new-2`, …); the inviter names them here. Labels stay on this device.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::InvalidLabel`],
    /// [`ClientError::LabelTaken`], [`ClientError::Storage`].
    pub fn rename_contact(&self, label: &str, new_label: &str) -> Result<()> {
        check_label(new_label)?;
        let _guard = self.lock()?;
        if label != new_label && self.contact_by_label(new_label).is_ok() {
            return Err(ClientError::LabelTaken);
        }
        let mut contact = self.contact_by_label(label)?;
        contact.label = new_label.to_owned();
        self.save_contact(&contact)
    }

    /// Forgets a contact: its session, its messages and (best effort, on the next sync)
    /// nothing more is read from its mailboxes. Mailboxes are destroyed on the relay now if
    /// it is reachable.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::Storage`].
    pub async fn remove_contact(&self, label: &str) -> Result<()> {
        let _op = self.op.lock().await;
        self.remove_contact_unlocked(label).await
    }

    /// [`Client::remove_contact`] for a caller that already holds the network operation
    /// lock.
    pub(crate) async fn remove_contact_unlocked(&self, label: &str) -> Result<()> {
        let contact = {
            let _guard = self.lock()?;
            let contact = self.contact_by_label(label)?;
            self.db.remove(Tree::Contacts, &contact.id.to_be_bytes())?;
            self.delete_messages_of(contact.id)?;
            self.delete_outbox_of(contact.id)?;
            self.delete_alert_state(contact.id)?;
            contact
        };
        for mailbox in &contact.incoming {
            // One silent relay costs one timeout, not one per mailbox.
            if let Err(e) = self.net.destroy(mailbox).await {
                if e.is_transient() {
                    break;
                }
            }
        }
        // The contact's session and messages are deleted: shred them now.
        self.at_rest(true)
    }

    /// The safety number shared with a contact. Compare it with the contact in person or
    /// over a trusted channel, then call [`Client::confirm_verified`].
    ///
    /// It is computed from the two identities of this relationship alone (ours for this
    /// contact and theirs), so it differs for every contact, even for two contacts of the
    /// same named identity.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::Storage`], [`ClientError::Crypto`].
    pub fn safety_number(&self, contact: &str) -> Result<SafetyNumberView> {
        let contact = self.contact_by_label(contact)?;
        let keys = self.keys_of(&contact.identity)?;
        proto::safety_number(&keys, contact.peer_identity.as_bytes())
    }

    /// Marks a contact verified if `entered` (the safety number as the contact read it
    /// out, in any spacing, or its compact form) matches; compares in constant time.
    ///
    /// # Errors
    /// [`ClientError::SafetyNumberMismatch`] (nothing changes), [`ClientError::UnknownContact`],
    /// [`ClientError::Storage`].
    pub fn confirm_verified(&self, contact: &str, entered: &str) -> Result<()> {
        use subtle::ConstantTimeEq;
        let view = self.safety_number(contact)?;
        let digits_only = |s: &str| -> Vec<u8> { s.bytes().filter(u8::is_ascii_digit).collect() };
        let expected_digits = digits_only(view.digits());
        let entered_digits = digits_only(entered);
        let by_digits = entered
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_whitespace() || b == b'-')
            && entered_digits.len() == expected_digits.len()
            && bool::from(entered_digits.as_slice().ct_eq(expected_digits.as_slice()));
        // The compact form is base32 behind a prefix: compare case-insensitively.
        let scanned = entered.trim().to_ascii_uppercase();
        let compact = view.compact().to_ascii_uppercase();
        let by_compact = scanned.len() == compact.len()
            && bool::from(scanned.as_bytes().ct_eq(compact.as_bytes()));
        if !(by_digits || by_compact) {
            return Err(ClientError::SafetyNumberMismatch);
        }
        let _guard = self.lock()?;
        let mut record = self.contact_by_label(contact)?;
        record.verified = true;
        self.save_contact(&record)
    }

    // ---- messages ----------------------------------------------------------------

    /// Encrypts `payload` for `contact` (advancing and persisting its ratchet) and queues
    /// the envelopes in the outbox. Call with the records lock held.
    pub(crate) fn enqueue(
        &self,
        contact: &mut ContactRecord,
        payload: &Payload,
    ) -> Result<Vec<u64>> {
        let (targets, envelopes) = proto::seal_for(&self.pickle_key()?, contact, payload)?;
        let mut seqs = Vec::with_capacity(envelopes.len());
        // The session advanced: persist it before anything can be sent with it.
        self.save_contact(contact)?;
        for envelope in envelopes {
            let seq = self.db.next_seq()?;
            let item = OutboxItem {
                contact: contact.id,
                to: targets.to.clone(),
                envelope: envelope.into(),
                initial: targets.initial,
                unlock: false,
            };
            self.db.put(Tree::Outbox, &seq.to_be_bytes(), &item, None)?;
            seqs.push(seq);
        }
        Ok(seqs)
    }

    pub(crate) fn expiry_for(&self, contact: &ContactRecord, at: u64) -> Option<u64> {
        contact.timer.map(|t| at.saturating_add(t))
    }

    pub(crate) fn store_message(&self, key: &[u8], record: &MessageRecord) -> Result<()> {
        self.db.put(Tree::Messages, key, record, record.expires_at)
    }

    /// Sends a text message. The envelopes are written to the outbox before any network
    /// call, then delivered.
    ///
    /// Returns [`SendOutcome::Queued`] if the relay was unreachable: the message waits in
    /// the outbox and the next [`Client::sync`] delivers it.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::InvalidMessage`] (empty or longer
    /// than [`MAX_TEXT_BYTES`]), [`ClientError::Storage`], [`ClientError::Crypto`].
    pub async fn send(&self, contact: &str, text: &str) -> Result<SendOutcome> {
        if text.is_empty() || text.len() > MAX_TEXT_BYTES {
            return Err(ClientError::InvalidMessage);
        }
        let _op = self.op.lock().await;
        let seqs = {
            let _guard = self.lock()?;
            let mut record = self.contact_by_label(contact)?;
            let at = coarse(self.now());
            let seqs = self.enqueue(
                &mut record,
                &Payload::Text {
                    body: SecretText::from(text),
                    sent_at: at,
                },
            )?;
            let message = MessageRecord {
                contact: record.id,
                direction: StoredDirection::Out,
                kind: StoredKind::Text,
                text: SecretText::from(text),
                at,
                expires_at: self.expiry_for(&record, at),
                order: self.db.next_seq()?,
            };
            let mut key = record.id.to_be_bytes().to_vec();
            key.extend_from_slice(&message.order.to_be_bytes());
            self.store_message(&key, &message)?;
            seqs
        };
        let flushed = self.flush_outbox().await?;
        self.at_rest(false)?;
        if seqs.iter().all(|s| flushed.delivered.contains(s)) {
            Ok(SendOutcome::Delivered)
        } else {
            Ok(SendOutcome::Queued)
        }
    }

    /// Stored messages, oldest first: all of them, or one contact's. Expired messages are
    /// deleted first.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::Storage`].
    pub fn inbox(&self, contact: Option<&str>) -> Result<Vec<MessageView>> {
        let now = self.now();
        {
            let _guard = self.lock()?;
            if self.db.purge_expired(now)? > 0 {
                // Shredded by the next operation's (or the close's) re-key.
                self.request_rekey();
            }
        }
        let contacts = self.all_contacts()?;
        let only = match contact {
            Some(label) => Some(
                contacts
                    .iter()
                    .find(|c| c.label == label)
                    .map(|c| c.id)
                    .ok_or(ClientError::UnknownContact)?,
            ),
            None => None,
        };
        let mut messages: Vec<MessageRecord> = self
            .db
            .all::<MessageRecord>(Tree::Messages)?
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| only.is_none_or(|id| m.contact == id))
            .filter(|m| m.expires_at.is_none_or(|e| e > now))
            .collect();
        messages.sort_by_key(|m| (m.at, m.order));
        let seen = self.seen_marks()?;
        // Outbox sequence numbers still waiting, per contact. `send` allocates a message's
        // envelope numbers just before the message's own `order`, so an outgoing message
        // is queued while an outbox entry of its contact lies between the previous
        // outgoing message's order and its own.
        let mut pending: std::collections::HashMap<u64, Vec<u64>> = Default::default();
        for (key, item) in self.db.all::<OutboxItem>(Tree::Outbox)? {
            if let Ok(seq) = <[u8; 8]>::try_from(key.as_slice()) {
                pending
                    .entry(item.contact)
                    .or_default()
                    .push(u64::from_be_bytes(seq));
            }
        }
        let mut previous_out: std::collections::HashMap<u64, u64> = Default::default();
        let mut by_order: Vec<&MessageRecord> = messages.iter().collect();
        by_order.sort_by_key(|m| m.order);
        let mut queued_orders = std::collections::HashSet::new();
        for m in by_order {
            if m.direction != StoredDirection::Out {
                continue;
            }
            let after = previous_out.insert(m.contact, m.order).unwrap_or(0);
            if pending
                .get(&m.contact)
                .is_some_and(|seqs| seqs.iter().any(|s| *s > after && *s < m.order))
            {
                queued_orders.insert(m.order);
            }
        }
        Ok(messages
            .into_iter()
            .filter_map(|m| {
                let label = contacts.iter().find(|c| c.id == m.contact)?.label.clone();
                let incoming = m.direction == StoredDirection::In;
                Some(MessageView {
                    contact: label,
                    direction: if incoming {
                        Direction::Incoming
                    } else {
                        Direction::Outgoing
                    },
                    kind: match m.kind {
                        StoredKind::Text => MessageKind::Text,
                        StoredKind::Alert => MessageKind::DuressAlert,
                    },
                    text: m.text.to_zeroizing(),
                    at: m.at,
                    expires_at: m.expires_at,
                    unread: incoming && seen.get(&m.contact).is_none_or(|s| m.order > *s),
                    queued: queued_orders.contains(&m.order),
                })
            })
            .collect())
    }

    fn seen_marks(&self) -> Result<std::collections::BTreeMap<u64, u64>> {
        Ok(self.db.get(Tree::Meta, db::SEEN_KEY)?.unwrap_or_default())
    }

    /// Marks every stored message (of `contact`, or of all contacts) as read: from now on
    /// [`MessageView::unread`] is false for them. The mark is stored in the encrypted
    /// profile, per contact.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::Storage`].
    pub fn mark_read(&self, contact: Option<&str>) -> Result<()> {
        let _guard = self.lock()?;
        let only = match contact {
            Some(label) => Some(self.contact_by_label(label)?.id),
            None => None,
        };
        let mut seen = self.seen_marks()?;
        for (_, m) in self.db.all::<MessageRecord>(Tree::Messages)? {
            if only.is_none_or(|id| id == m.contact) {
                let mark = seen.entry(m.contact).or_insert(0);
                *mark = (*mark).max(m.order);
            }
        }
        self.db.put(Tree::Meta, db::SEEN_KEY, &seen, None)
    }

    /// Sets the disappearing-message timer for a conversation (`None` turns it off).
    /// Messages stored from now on, sent or received, are deleted `secs` after their time.
    /// The contact is told (through the ratchet, on the next send or sync) so its copies
    /// disappear too.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::Storage`], [`ClientError::Crypto`].
    pub fn set_timer(&self, contact: &str, secs: Option<u64>) -> Result<()> {
        let _guard = self.lock()?;
        let mut record = self.contact_by_label(contact)?;
        record.timer = secs.filter(|s| *s > 0);
        let secs = record.timer;
        self.enqueue(&mut record, &Payload::Timer { secs })?;
        Ok(())
    }

    pub(crate) fn delete_messages_of(&self, contact: u64) -> Result<()> {
        for (key, m) in self.db.all::<MessageRecord>(Tree::Messages)? {
            if m.contact == contact {
                self.db.remove(Tree::Messages, &key)?;
            }
        }
        Ok(())
    }

    pub(crate) fn delete_outbox_of(&self, contact: u64) -> Result<()> {
        for (key, item) in self.db.all::<OutboxItem>(Tree::Outbox)? {
            if item.contact == contact {
                self.db.remove(Tree::Outbox, &key)?;
            }
        }
        Ok(())
    }

    /// Changes the profile passphrase.
    ///
    /// # Errors
    /// [`ClientError::WrongPassphrase`] if `old` is wrong, [`ClientError::Storage`].
    pub fn change_passphrase(&self, old: &Passphrase, new: &Passphrase) -> Result<()> {
        self.db.change_passphrase(old, new)
    }
}
