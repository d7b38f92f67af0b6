//! `sync`: deliver the outbox, drain every mailbox, answer new contacts, renew standing
//! invitations' prekeys, retire old mailboxes, purge expired data.
//!
//! Ordering rule: an envelope is acknowledged on the relay only after everything it
//! changed (session state, message, contact) is persisted. A crash in between only causes
//! the envelope to be fetched again; the ratchet rejects the duplicate, and a message
//! record is keyed by the envelope's hash so it is never stored twice.

use super::alert::AlertKind;
use super::db::Tree;
use super::duress::MAX_SEEN_ALERTS;
use super::net::DepositFailure;
use super::net::canon;
use super::payload::Payload;
use super::records::{
    ContactRecord, InvitationRecord, MessageRecord, OutboxItem, OwnedMailbox, StoredDirection,
    StoredKind,
};
use super::{Client, ClientError, Event, Result, SyncReport, alert, coarse, proto};
use std::collections::HashSet;

/// At most this many fetch rounds per mailbox and sync, so a flooded mailbox cannot keep
/// a sync running forever.
const MAX_ROUNDS: usize = 64;
/// Alert keys kept per contact (the newest ones).
const MAX_ALERT_KEYS: usize = 4;

/// What one outbox flush did.
#[derive(Default)]
pub(crate) struct Flushed {
    pub(crate) delivered: HashSet<u64>,
    pub(crate) pending: usize,
    pub(crate) undeliverable: usize,
    pub(crate) unreachable: HashSet<String>,
}

/// Which mailbox an envelope came from.
#[derive(Clone, Copy)]
enum Source {
    Intake { invitation: u64 },
    Contact { contact: u64, mailbox: [u8; 16] },
}

/// What happened to one envelope; every outcome is acknowledged.
enum Outcome {
    Handled,
    Rejected,
    /// A first contact through a used-up invitation: refused, counted on its own.
    RefusedReused,
}

impl Client {
    /// Deposits every outbox envelope whose relay answers, oldest first. An envelope
    /// leaves the outbox only after the relay confirmed it stored it.
    pub(crate) async fn flush_outbox(&self) -> Result<Flushed> {
        self.flush_outbox_items(false).await
    }

    /// [`Client::flush_outbox`], or with `only_unlock` only the unlock traffic (duress
    /// alerts and covers).
    pub(crate) async fn flush_outbox_items(&self, only_unlock: bool) -> Result<Flushed> {
        let mut flushed = Flushed::default();
        let mut items = self.db.all::<OutboxItem>(Tree::Outbox)?;
        if only_unlock {
            items.retain(|(_, item)| item.unlock);
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, item) in items {
            let Ok(seq_bytes) = <[u8; 8]>::try_from(key.as_slice()) else {
                continue;
            };
            let seq = u64::from_be_bytes(seq_bytes);
            // Unlock traffic (duress alerts and their covers) is nobody's message: it is
            // never counted, so a decoy's report looks like any other.
            let counted = usize::from(!item.unlock);
            let relay = canon(&item.to.relay);
            if flushed.unreachable.contains(&relay) {
                flushed.pending += counted;
                continue;
            }
            match self.net.deposit(&item.to, item.envelope.as_bytes()).await {
                Ok(()) => {
                    let _guard = self.lock()?;
                    self.db.remove(Tree::Outbox, &key)?;
                    if !item.unlock {
                        flushed.delivered.insert(seq);
                    }
                }
                Err(DepositFailure::Later) => {
                    // Keep order per relay: nothing more goes there in this flush.
                    flushed.unreachable.insert(relay);
                    flushed.pending += counted;
                }
                Err(DepositFailure::NotAllowed) => {
                    // The relay is no longer permitted (list or proxy changed): kept.
                    flushed.pending += counted;
                }
                Err(DepositFailure::Gone) => {
                    let _guard = self.lock()?;
                    self.db.remove(Tree::Outbox, &key)?;
                    flushed.undeliverable += counted;
                }
            }
        }
        Ok(flushed)
    }

    /// Delivers the outbox, then fetches, decrypts, persists and acknowledges everything
    /// waiting in every mailbox of this profile; answers people who used an invitation;
    /// renews standing invitations' prekeys when due (see [`PREKEY_ROTATION_SECS`]);
    /// retires rotated mailboxes; deletes expired messages and invitations.
    ///
    /// [`PREKEY_ROTATION_SECS`]: super::PREKEY_ROTATION_SECS
    ///
    /// Unreachable relays are not an error: they are counted in
    /// [`SyncReport::unreachable_relays`], and whatever was to be sent stays in the outbox
    /// ([`SyncReport::outbox_pending`]).
    ///
    /// # Errors
    /// [`ClientError::Storage`] or [`ClientError::Crypto`] for local failures; envelopes
    /// not yet persisted are then not acknowledged, so nothing is lost.
    pub async fn sync(&self) -> Result<SyncReport> {
        let _op = self.op.lock().await;
        let mut report = SyncReport::default();
        let mut unreachable: HashSet<String> = HashSet::new();

        let first = self.flush_outbox().await?;
        report.sent += first.delivered.len();
        report.undeliverable += first.undeliverable;
        unreachable.extend(first.unreachable);

        let now = self.now();
        let invitations: Vec<InvitationRecord> = self
            .db
            .all::<InvitationRecord>(Tree::Invitations)?
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        // Intakes emptied in this sync: only these may forget replaced prekeys.
        let mut drained_intakes: HashSet<u64> = HashSet::new();
        for invitation in &invitations {
            if invitation.expires_at <= now {
                continue;
            }
            let source = Source::Intake {
                invitation: invitation.id,
            };
            if self
                .drain(&invitation.intake, source, &mut report, &mut unreachable)
                .await?
            {
                drained_intakes.insert(invitation.id);
            }
        }

        for contact in self.all_contacts()? {
            for mailbox in &contact.incoming {
                let source = Source::Contact {
                    contact: contact.id,
                    mailbox: mailbox.deposit_id.0,
                };
                self.drain(mailbox, source, &mut report, &mut unreachable)
                    .await?;
            }
        }

        self.give_new_contacts_a_mailbox(&mut unreachable).await?;
        self.maintain_standing_invitations(&mut unreachable, &drained_intakes)
            .await?;
        self.close_used_invitations(&mut unreachable).await?;
        self.retire_mailboxes(&mut report, &mut unreachable).await?;
        self.org_sync(&mut report, &mut unreachable).await?;
        // The organization layer labels its members and requesters itself (`org-…`,
        // `req-…`): only contacts still carrying their provisional label are new to name.
        let labels: HashSet<String> = self.all_contacts()?.into_iter().map(|c| c.label).collect();
        report.new_contacts.retain(|label| labels.contains(label));

        let second = self.flush_outbox().await?;
        report.sent += second.delivered.len();
        report.undeliverable += second.undeliverable;
        report.outbox_pending = second.pending;
        unreachable.extend(second.unreachable);
        report.unreachable_relays = unreachable.len();

        // Expired data goes now, and with it (re-key) every copy sled kept.
        let purged = self.db.purge_expired(self.now())? > 0;
        self.at_rest(purged)?;
        Ok(report)
    }

    /// Waits until at least one of this profile's mailboxes holds mail, or `max_secs` pass
    /// (long-poll on every mailbox at once). Returns whether mail is waiting; nothing is
    /// fetched for good or acknowledged: call [`Client::sync`] next. Together they make a
    /// receive loop:
    ///
    /// ```no_run
    /// # async fn run(client: &corridor_client::Client) -> Result<(), corridor_client::ClientError> {
    /// loop {
    ///     if client.wait_for_mail(25).await? {
    ///         client.sync().await?;
    ///     }
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::RelayUnreachable`] if no relay answered at all;
    /// [`ClientError::Storage`].
    pub async fn wait_for_mail(&self, max_secs: u32) -> Result<bool> {
        let now = self.now();
        let mut mailboxes: Vec<OwnedMailbox> = self
            .db
            .all::<InvitationRecord>(Tree::Invitations)?
            .into_iter()
            .filter(|(_, i)| i.expires_at > now)
            .map(|(_, i)| i.intake)
            .collect();
        for contact in self.all_contacts()? {
            mailboxes.extend(contact.incoming);
        }
        if mailboxes.is_empty() {
            return Ok(false);
        }
        let mut waiting = tokio::task::JoinSet::new();
        for mailbox in mailboxes {
            let net = self.net.clone();
            waiting
                .spawn(async move { net.fetch(&mailbox, max_secs).await.map(|m| !m.is_empty()) });
        }
        let mut answered = false;
        while let Some(joined) = waiting.join_next().await {
            match joined {
                Ok(Ok(true)) => {
                    waiting.abort_all();
                    return Ok(true);
                }
                Ok(Ok(false)) => answered = true,
                _ => {}
            }
        }
        if answered {
            Ok(false)
        } else {
            Err(ClientError::RelayUnreachable)
        }
    }

    /// Fetches, processes and acknowledges one mailbox until it is empty. Returns whether
    /// it was emptied in this call (false: relay unreachable, a fetch or ack error, or
    /// more than `MAX_ROUNDS` batches waiting).
    async fn drain(
        &self,
        mailbox: &OwnedMailbox,
        source: Source,
        report: &mut SyncReport,
        unreachable: &mut HashSet<String>,
    ) -> Result<bool> {
        if unreachable.contains(&canon(&mailbox.relay)) {
            return Ok(false);
        }
        for _ in 0..MAX_ROUNDS {
            let messages = match self.net.fetch(mailbox, 0).await {
                Ok(messages) => messages,
                Err(e) => {
                    if e.is_transient() {
                        unreachable.insert(canon(&mailbox.relay));
                    }
                    return Ok(false);
                }
            };
            if messages.is_empty() {
                return Ok(true);
            }
            let mut seqs = Vec::with_capacity(messages.len());
            let mut events = Vec::new();
            {
                // One critical section per fetched batch: releasing it makes the whole
                // batch durable (one fsync), before any event and before the ack.
                let _guard = self.lock()?;
                for message in &messages {
                    match self.process(source, &message.envelope[..], report, &mut events)? {
                        Outcome::Handled => {}
                        Outcome::Rejected => report.rejected += 1,
                        Outcome::RefusedReused => {
                            report.refused_reused = report.refused_reused.saturating_add(1);
                        }
                    }
                    seqs.push(message.seq);
                }
            }
            for event in events {
                self.emit(event);
            }
            if let Err(e) = self.net.ack(mailbox, &seqs).await {
                if e.is_transient() {
                    unreachable.insert(canon(&mailbox.relay));
                }
                // Not acknowledged: fetched again next time, rejected as duplicates.
                return Ok(false);
            }
        }
        Ok(false)
    }

    /// Processes one envelope. Call with the records lock held; the events are emitted by
    /// the caller once the batch is durable.
    fn process(
        &self,
        source: Source,
        envelope: &[u8],
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<Outcome> {
        match source {
            Source::Intake { invitation } => {
                self.process_intake(invitation, envelope, report, events)
            }
            Source::Contact { contact, mailbox } => {
                self.process_contact(contact, mailbox, envelope, report, events)
            }
        }
    }

    fn process_contact(
        &self,
        contact_id: u64,
        mailbox: [u8; 16],
        envelope: &[u8],
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<Outcome> {
        let Some(mut contact) = self.contact_by_id(contact_id)? else {
            return Ok(Outcome::Rejected);
        };
        // A byte-identical repeat of an envelope already stored (the sender was killed
        // between its deposit and clearing its outbox, so it deposited it again): known,
        // not a failure. Anything else the ratchet refuses is counted as rejected.
        let key = message_key(contact.id, envelope);
        if self
            .db
            .get::<MessageRecord>(Tree::Messages, &key)?
            .is_some()
        {
            report.duplicates += 1;
            return Ok(Outcome::Handled);
        }
        let index = contact
            .incoming
            .iter()
            .position(|m| m.deposit_id.0 == mailbox);
        match proto::open_message(&self.pickle_key()?, &mut contact, envelope) {
            Ok(opened) => {
                if let Some(origin) = contact.origin.as_mut() {
                    origin.heard_direct = true;
                }
                // Something arrived from the contact: it is no longer awaited.
                contact.awaiting_reply_since = None;
                if let Some(index) = index {
                    // The peer writes to this mailbox now: older ones can go.
                    for older in contact.incoming.iter_mut().take(index) {
                        if older.retire_by.is_some() {
                            older.retire_by = Some(0);
                        }
                    }
                }
                if let Some(bytes) = opened {
                    self.handle_payload(&mut contact, &bytes, envelope, index, report, events)?;
                }
                self.save_contact(&contact)?;
                Ok(Outcome::Handled)
            }
            Err(_) => {
                // Not a ratchet message: perhaps a duress alert, or its cover.
                let opened = contact
                    .alert_keys
                    .iter()
                    .find_map(|key| alert::open(key.expose(), envelope));
                let Some((kind, nonce)) = opened else {
                    return Ok(Outcome::Rejected);
                };
                if kind == AlertKind::Cover {
                    return Ok(Outcome::Handled);
                }
                let mut state = self.alert_state(contact.id)?;
                if state.seen.contains(&nonce) {
                    // A replay, or the sender's retry of one it delivered: nothing new.
                    return Ok(Outcome::Handled);
                }
                state.seen.push(nonce);
                let excess = state.seen.len().saturating_sub(MAX_SEEN_ALERTS);
                state.seen.drain(..excess);
                let at = coarse(self.now());
                state.at = Some(at);
                let record = MessageRecord {
                    contact: contact.id,
                    direction: StoredDirection::In,
                    kind: StoredKind::Alert,
                    text: super::records::SecretText::default(),
                    at,
                    expires_at: None,
                    order: self.db.next_seq()?,
                };
                self.store_message(&message_key(contact.id, envelope), &record)?;
                self.save_alert_state(contact.id, &state)?;
                report.duress_alerts += 1;
                events.push(Event::DuressAlert {
                    contact: contact.label.clone(),
                });
                Ok(Outcome::Handled)
            }
        }
    }

    fn process_intake(
        &self,
        invitation_id: u64,
        envelope: &[u8],
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<Outcome> {
        let key = invitation_id.to_be_bytes();
        let Some(mut invitation) = self.db.get::<InvitationRecord>(Tree::Invitations, &key)? else {
            return Ok(Outcome::Rejected);
        };
        let Ok(initial) = proto::open_initial(
            &self.pickle_key()?,
            &invitation.seal_secret,
            &invitation.prekeys,
            envelope,
        ) else {
            return Ok(Outcome::Rejected);
        };
        let known = invitation
            .responders
            .iter()
            .find(|(eph, _)| *eph == initial.ephemeral)
            .map(|(_, id)| *id);
        if let Some(contact_id) = known {
            // A repeat: the initiator has not heard back yet and still writes here.
            let Some(mut contact) = self.contact_by_id(contact_id)? else {
                return Ok(Outcome::Rejected);
            };
            let Ok(opened) = proto::open_message(&self.pickle_key()?, &mut contact, &initial.inner)
            else {
                return Ok(Outcome::Rejected);
            };
            if let Some(bytes) = opened {
                self.handle_payload(&mut contact, &bytes, envelope, None, report, events)?;
            }
            self.save_contact(&contact)?;
            return Ok(Outcome::Handled);
        }
        if invitation.expires_at <= self.now() {
            return Ok(Outcome::Rejected);
        }
        if invitation.exhausted() {
            // Only a holder of the code can seal to the intake: this is a second person
            // who got a used-up code. They get no answer; say so.
            events.push(Event::InvitationReused {
                invitation: invitation.id,
            });
            return Ok(Outcome::RefusedReused);
        }
        let mut profile = self.profile()?;
        let keys = self.keys_of(&invitation.identity)?;
        let Ok(responded) = proto::respond(&keys, &invitation.prekeys, &initial) else {
            return Ok(Outcome::Rejected);
        };
        let mut contact = ContactRecord {
            id: self.db.next_seq()?,
            label: format!("new-{}", profile.next_label),
            identity: invitation.identity.clone(),
            identity_name: invitation.identity_name.clone(),
            awaiting_reply_since: None,
            accepted: None,
            peer_identity: responded.peer_identity.into(),
            session: responded.session,
            reassembler: None,
            verified: false,
            receives_alerts: false,
            alert_keys: Vec::new(),
            timer: None,
            outgoing: None,
            pending_initial: None,
            incoming: Vec::new(),
            origin: Some(super::records::Origin {
                invitation: invitation.id,
                ephemeral: initial.ephemeral,
                heard_direct: false,
            }),
        };
        // The first payload must be the initiator's reply mailbox; anything else is not
        // a contact we answer.
        let Ok(Some(bytes)) =
            proto::open_message(&self.pickle_key()?, &mut contact, &initial.inner)
        else {
            return Ok(Outcome::Rejected);
        };
        let Ok(Payload::MailboxUpdate { mailbox }) = Payload::decode(&bytes) else {
            return Ok(Outcome::Rejected);
        };
        // The organization's standing intake address has a flood cap: past it, a new
        // person is refused here, before any contact (or anything they sent) is stored.
        if self.org_intake_full(invitation.id)? {
            report.org.intake_refused = report.org.intake_refused.saturating_add(1);
            return Ok(Outcome::Handled);
        }
        // Only chosen relays: a stranger using the invitation does not pick the server
        // this device talks to. No contact is made, nothing is sent there.
        if self.net.permits(&mailbox.relay).is_err() {
            report.relays_refused += 1;
            events.push(Event::RelayRefused { contact: None });
            return Ok(Outcome::Handled);
        }
        contact.outgoing = Some(mailbox);
        while self.contact_by_label(&contact.label).is_ok() {
            profile.next_label += 1;
            contact.label = format!("new-{}", profile.next_label);
        }
        profile.next_label += 1;
        self.save_contact(&contact)?;
        invitation.uses = invitation.uses.saturating_add(1);
        invitation.prekeys = responded.prekeys;
        if let (Some(schedule), Some(used)) = (invitation.schedule.as_mut(), responded.one_time) {
            schedule.used(used);
        }
        invitation.responders.push((initial.ephemeral, contact.id));
        self.db.put(Tree::Invitations, &key, &invitation, None)?;
        self.db
            .put(Tree::Meta, super::db::PROFILE_KEY, &profile, None)?;
        report.new_contacts.push(contact.label.clone());
        events.push(Event::ContactAdded {
            contact: contact.label.clone(),
        });
        Ok(Outcome::Handled)
    }

    fn handle_payload(
        &self,
        contact: &mut ContactRecord,
        bytes: &[u8],
        envelope: &[u8],
        mailbox_index: Option<usize>,
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let Ok(payload) = Payload::decode(bytes) else {
            report.rejected += 1;
            return Ok(());
        };
        let label = contact.label.clone();
        match payload {
            Payload::Text { body, .. } => {
                // The receive time, not the sender's claim: coarse and local.
                let at = coarse(self.now());
                let record = MessageRecord {
                    contact: contact.id,
                    direction: StoredDirection::In,
                    kind: StoredKind::Text,
                    text: body,
                    at,
                    expires_at: self.expiry_for(contact, at),
                    order: self.db.next_seq()?,
                };
                self.store_message(&message_key(contact.id, envelope), &record)?;
                report.messages += 1;
                events.push(Event::MessageReceived { contact: label });
            }
            Payload::MailboxUpdate { mailbox } => {
                // Only chosen relays: the contact keeps its old address (or stays
                // pending), and nothing is sent to the one it named.
                if self.net.permits(&mailbox.relay).is_err() {
                    report.relays_refused += 1;
                    events.push(Event::RelayRefused {
                        contact: Some(label),
                    });
                    return Ok(());
                }
                if contact.pending_initial.take().is_some() {
                    contact.outgoing = Some(mailbox);
                    events.push(Event::ContactEstablished { contact: label });
                } else {
                    contact.outgoing = Some(mailbox.clone());
                    self.readdress_outbox(contact.id, &mailbox)?;
                    events.push(Event::MailboxRotated { contact: label });
                }
            }
            Payload::DuressAlertKey { key } => {
                contact
                    .alert_keys
                    .push(super::records::SecretBytes::new(key.0.to_vec()));
                let excess = contact.alert_keys.len().saturating_sub(MAX_ALERT_KEYS);
                contact.alert_keys.drain(..excess);
                if let Some(mailbox) = mailbox_index.and_then(|i| contact.incoming.get_mut(i)) {
                    mailbox.keep_for_alerts = true;
                }
            }
            Payload::Org { msg } => {
                // Persisted now (before the ack); checked and applied in the org step.
                self.org_receive(contact.id, msg)?;
            }
            Payload::Timer { secs } => {
                contact.timer = secs;
                events.push(Event::TimerChanged {
                    contact: label,
                    secs,
                });
            }
        }
        Ok(())
    }

    fn readdress_outbox(&self, contact: u64, to: &super::payload::MailboxAddress) -> Result<()> {
        for (key, mut item) in self.db.all::<OutboxItem>(Tree::Outbox)? {
            if item.contact == contact && !item.initial {
                item.to = to.clone();
                self.db.put(Tree::Outbox, &key, &item, None)?;
            }
        }
        Ok(())
    }

    /// A contact that arrived through an invitation gets its own mailbox for the
    /// initiator → us direction, announced through the ratchet (our first reply).
    async fn give_new_contacts_a_mailbox(&self, unreachable: &mut HashSet<String>) -> Result<()> {
        let profile = self.profile()?;
        let waiting: Vec<(u64, Option<String>)> = self
            .all_contacts()?
            .into_iter()
            .filter(|c| c.origin.is_some() && c.incoming.is_empty())
            .map(|c| (c.id, c.identity_name))
            .collect();
        for (id, identity_name) in waiting {
            let Ok(relay) = self.home_relay(&profile, identity_name.as_deref()) else {
                continue;
            };
            if unreachable.contains(&canon(&relay)) {
                continue;
            }
            let mailbox = match self.net.create_mailbox(&relay).await {
                Ok(mailbox) => mailbox,
                Err(e) => {
                    if e.is_transient() {
                        unreachable.insert(canon(&relay));
                    }
                    continue;
                }
            };
            let _guard = self.lock()?;
            let Some(mut contact) = self.contact_by_id(id)? else {
                continue;
            };
            let address = mailbox.address();
            contact.incoming.push(mailbox);
            self.enqueue(&mut contact, &Payload::MailboxUpdate { mailbox: address })?;
        }
        Ok(())
    }

    /// Deletes the bundle of a used-up invitation, and destroys its intake mailbox once
    /// every contact made through it writes to its own mailbox (or it expired).
    async fn close_used_invitations(&self, unreachable: &mut HashSet<String>) -> Result<()> {
        let now = self.now();
        let contacts = self.all_contacts()?;
        for (key, mut invitation) in self.db.all::<InvitationRecord>(Tree::Invitations)? {
            let expired = invitation.expires_at <= now;
            if (expired || invitation.exhausted())
                && invitation.bundle_live
                && !unreachable.contains(&canon(&invitation.bundle_relay))
            {
                match self
                    .net
                    .delete_bundle(
                        &invitation.bundle_relay,
                        &invitation.bundle_id,
                        &invitation.bundle_auth_seed,
                    )
                    .await
                {
                    Ok(()) => invitation.bundle_live = false,
                    Err(e) if e.is_transient() => {
                        unreachable.insert(canon(&invitation.bundle_relay));
                    }
                    // Already gone (relay TTL): nothing left to delete.
                    Err(_) => invitation.bundle_live = false,
                }
                let _guard = self.lock()?;
                self.db.put(Tree::Invitations, &key, &invitation, None)?;
            }
            let all_moved = invitation.responders.iter().all(|(_, id)| {
                contacts
                    .iter()
                    .find(|c| c.id == *id)
                    .is_none_or(|c| c.origin.as_ref().is_none_or(|o| o.heard_direct))
            });
            if unreachable.contains(&canon(&invitation.intake.relay)) {
                continue;
            }
            if expired || (invitation.exhausted() && all_moved) {
                match self.net.destroy(&invitation.intake).await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => {
                        unreachable.insert(canon(&invitation.intake.relay));
                        continue;
                    }
                    Err(_) => {}
                }
                if invitation.bundle_live {
                    continue;
                }
                let _guard = self.lock()?;
                self.db.remove(Tree::Invitations, &key)?;
                self.request_rekey();
            }
        }
        Ok(())
    }

    /// Destroys rotated-away mailboxes once the peer writes to the new one (or the grace
    /// period is over), after one last drain.
    async fn retire_mailboxes(
        &self,
        report: &mut SyncReport,
        unreachable: &mut HashSet<String>,
    ) -> Result<()> {
        let now = self.now();
        for contact in self.all_contacts()? {
            let due: Vec<OwnedMailbox> = contact
                .incoming
                .iter()
                .filter(|m| m.retire_by.is_some_and(|t| t <= now) && !m.keep_for_alerts)
                .cloned()
                .collect();
            for mailbox in due {
                let source = Source::Contact {
                    contact: contact.id,
                    mailbox: mailbox.deposit_id.0,
                };
                self.drain(&mailbox, source, report, unreachable).await?;
                if unreachable.contains(&canon(&mailbox.relay)) {
                    continue;
                }
                match self.net.destroy(&mailbox).await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => {
                        unreachable.insert(canon(&mailbox.relay));
                        continue;
                    }
                    Err(_) => {}
                }
                let _guard = self.lock()?;
                if let Some(mut fresh) = self.contact_by_id(contact.id)? {
                    fresh
                        .incoming
                        .retain(|m| m.deposit_id != mailbox.deposit_id);
                    self.save_contact(&fresh)?;
                    self.request_rekey();
                }
            }
        }
        Ok(())
    }
}

/// The store key of a received message: the contact, then a hash of the envelope, so a
/// re-fetched envelope overwrites rather than duplicates.
fn message_key(contact: u64, envelope: &[u8]) -> Vec<u8> {
    let digest = crate::primitives::kdf::sha256(envelope);
    let mut key = contact.to_be_bytes().to_vec();
    key.extend_from_slice(digest.get(..16).unwrap_or(&digest));
    key
}
