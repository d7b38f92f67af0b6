//! The organization's part of `sync`: organization messages received (persisted in the
//! org inbox before their envelopes were acknowledged) are checked and applied, members
//! who used their invitation are added to the roster, introductions are made and passed
//! on, and what is due is purged.
//!
//! Fan-out (the one seam an MLS group could replace): a message for "the case team" or
//! "the coordinators" goes to every entitled member this device has a session with; a
//! coordinator that accepts an epoch or case event it did not hold forwards it to its
//! other entitled sessions (never back to the sender; what is already held is not
//! forwarded again). Entitlement is checked at every hop from the roster and the case:
//! case events only to coordinators and the current assignee (and, for the assignment
//! that replaced it, the previous assignee), epochs only to coordinators and caseworkers.

use super::super::db::Tree;
use super::super::payload::Payload;
use super::super::records::ContactRecord;
use super::super::{
    Client, ClientError, Event, IdentityChoice, InvitationKind, Result, SyncReport,
};
use super::super::{coarse, named_identity_key};
use super::state::{
    CaseRecord, InboxItem, ORG_IDENTITY, OrgRecord, case_of, events_of, peer_identity, peer_key,
};
use crate::coordination::{
    Action, Applied, Case, CaseEvent, CaseId, EventBody, MembershipCertificate, OrgMessage, Role,
    Roster, RosterChange, RosterEpoch,
};
use crate::primitives::ed25519::VerifyingKey;
use crate::primitives::random::OsRng;
use corridor_wire::b64::Blob;
use std::collections::HashSet;

/// At most this many cases that came through the standing intake address may wait in
/// status `new`, untouched; past it, further requests there are refused (a flood).
pub const MAX_UNTOUCHED_STANDING: u32 = 200;
/// How long the new assignee's introduction code stays valid.
const INTRO_SECS: u64 = 14 * 24 * 3600;
/// Introductions remembered for dedupe.
const MAX_SEEN: usize = 256;
/// A membership certificate's lifetime.
const CERTIFICATE_SECS: u64 = 365 * 24 * 3600;

/// Work for the network half of the step, found under the lock.
#[derive(Default)]
struct Later {
    /// Contacts to remove (with their mailboxes): removed members.
    drop_contacts: Vec<String>,
}

impl Client {
    /// Persists one organization message from `contact` for the org step (call with the
    /// records lock held, inside the batch the envelope's acknowledgement waits for).
    pub(crate) fn org_receive(&self, contact: u64, msg: Blob) -> Result<()> {
        let seq = self.db.next_seq()?;
        self.db.put(
            Tree::OrgInbox,
            &seq.to_be_bytes(),
            &InboxItem { contact, msg },
            None,
        )
    }

    /// Encrypts one organization message for `contact` into the outbox (lock held).
    /// A member whose mailbox is not on one of the organization's relays is sent nothing
    /// (organization traffic goes only through the organization's relays).
    pub(crate) fn send_org(&self, contact: &mut ContactRecord, msg: &OrgMessage) -> Result<()> {
        if contact.identity_name.as_deref() == Some(ORG_IDENTITY)
            && let Some(outgoing) = contact.outgoing.as_ref()
            && !self.org_relay(&outgoing.relay)?
        {
            return Ok(());
        }
        let bytes = msg.encode().map_err(|_| ClientError::Internal)?;
        self.enqueue(
            contact,
            &Payload::Org {
                msg: Blob::from(bytes),
            },
        )?;
        Ok(())
    }

    pub(crate) fn send_org_to(&self, contact: u64, msg: &OrgMessage) -> Result<()> {
        if let Some(mut record) = self.contact_by_id(contact)? {
            self.send_org(&mut record, msg)?;
        }
        Ok(())
    }

    /// Contacts on the organization identity, with the member key each talks to.
    pub(crate) fn member_contacts(&self) -> Result<Vec<(u64, String, VerifyingKey)>> {
        Ok(self
            .all_contacts()?
            .into_iter()
            .filter(|c| c.identity_name.as_deref() == Some(ORG_IDENTITY))
            .filter_map(|c| peer_key(&c).map(|k| (c.id, c.label.clone(), k)))
            .collect())
    }

    /// Sends epochs to every coordinator and caseworker this device has a session with
    /// (current members only), except `except`.
    pub(crate) fn fanout_epochs(
        &self,
        roster: &Roster,
        epochs: &[RosterEpoch],
        except: Option<u64>,
    ) -> Result<()> {
        let me = self.org_key()?;
        let msg = OrgMessage::RosterEpochs {
            epochs: epochs.to_vec(),
        };
        for (id, _, key) in self.member_contacts()? {
            if Some(id) == except || key == me {
                continue;
            }
            if roster
                .role_of(&key)
                .is_ok_and(|role| role.holds_full_roster())
            {
                self.send_org_to(id, &msg)?;
            }
        }
        Ok(())
    }

    /// Sends the case (its whole history; receivers apply what they lack) to the case
    /// team this device has sessions with: coordinators, the assignee, and `extra` (the
    /// assignee an assignment just replaced), except `except`.
    pub(crate) fn fanout_case(
        &self,
        roster: &Roster,
        case: &Case,
        extra: Option<VerifyingKey>,
        except: Option<u64>,
    ) -> Result<()> {
        let me = self.org_key()?;
        let msg = OrgMessage::CaseEvents {
            case: case.id(),
            events: case.events_in_order().into_iter().cloned().collect(),
        };
        for (id, _, key) in self.member_contacts()? {
            if Some(id) == except || key == me || roster.member(&key).is_err() {
                continue;
            }
            let entitled = roster.role_of(&key).ok() == Some(Role::Coordinator)
                || case.state().assignee() == Some(&key)
                || extra == Some(key);
            if entitled {
                self.send_org_to(id, &msg)?;
            }
        }
        Ok(())
    }

    /// Renames a contact if the new label is free (lock held).
    pub(crate) fn relabel(&self, contact: u64, label: &str) -> Result<()> {
        if super::super::check_label(label).is_err() || self.contact_by_label(label).is_ok() {
            return Ok(());
        }
        if let Some(mut record) = self.contact_by_id(contact)? {
            record.label = label.to_owned();
            self.save_contact(&record)?;
        }
        Ok(())
    }

    /// Forgets a contact's session and conversation here, keeping what it queued in the
    /// outbox (a last message to it still leaves). Lock held.
    pub(crate) fn forget_contact(&self, contact: u64) -> Result<()> {
        self.db.remove(Tree::Contacts, &contact.to_be_bytes())?;
        self.delete_messages_of(contact)?;
        self.delete_alert_state(contact)?;
        self.request_rekey();
        Ok(())
    }

    /// The flood cap of the standing intake address, asked for each new person before a
    /// contact is made: `true` means refuse (nothing is stored but the count).
    pub(crate) fn org_intake_full(&self, invitation: u64) -> Result<bool> {
        let Some(mut org) = self.org_record()? else {
            return Ok(false);
        };
        if org
            .standing
            .as_ref()
            .is_none_or(|s| s.invitation != invitation)
        {
            return Ok(false);
        }
        if org.standing_admitted >= MAX_UNTOUCHED_STANDING {
            org.intake_refused = org.intake_refused.saturating_add(1);
            self.save_org(&org)?;
            return Ok(true);
        }
        org.standing_admitted = org.standing_admitted.saturating_add(1);
        self.save_org(&org)?;
        Ok(false)
    }

    /// The organization step of `sync` (the operation lock is held).
    pub(crate) async fn org_sync(
        &self,
        report: &mut SyncReport,
        unreachable: &mut HashSet<String>,
    ) -> Result<()> {
        let mut later = Later::default();
        let mut events = Vec::new();
        {
            let _guard = self.lock()?;
            for (key, item) in self.db.all::<InboxItem>(Tree::OrgInbox)? {
                let accepted = match OrgMessage::decode(item.msg.as_bytes()) {
                    Ok(msg) => {
                        self.org_handle(item.contact, msg, report, &mut events, &mut later)?
                    }
                    Err(_) => false,
                };
                if !accepted {
                    report.org.refused += 1;
                }
                self.db.remove(Tree::OrgInbox, &key)?;
            }
            self.admit_members(report, &mut events)?;
            self.link_introductions()?;
        }
        for event in events {
            self.emit(event);
        }
        for label in later.drop_contacts {
            let _ = self.remove_contact_unlocked(&label).await;
        }
        self.make_introductions(unreachable).await?;
        self.take_handovers().await?;
        {
            let _guard = self.lock()?;
            report.org.purged_cases += self.org_purge(self.now())?;
        }
        if report.org.intake_refused > 0 {
            self.emit(Event::IntakeFlood {
                refused: report.org.intake_refused,
            });
        }
        Ok(())
    }

    /// Checks and applies one message. `Ok(false)`: refused (counted), nothing changed.
    fn org_handle(
        &self,
        from: u64,
        msg: OrgMessage,
        report: &mut SyncReport,
        events: &mut Vec<Event>,
        later: &mut Later,
    ) -> Result<bool> {
        let Some(contact) = self.contact_by_id(from)? else {
            return Ok(false);
        };
        let member_channel = contact.identity_name.as_deref() == Some(ORG_IDENTITY);
        let Some(org) = self.org_record()? else {
            // A requester (no organization): only its desk may write to it.
            return self.requester_handle(from, msg);
        };
        if !member_channel {
            return match msg {
                OrgMessage::Intake { request } => {
                    self.on_intake(org, &contact, request, report, events)
                }
                other => self.requester_handle(from, other),
            };
        }
        let Some(sender) = peer_key(&contact) else {
            return Ok(false);
        };
        match msg {
            OrgMessage::Welcome {
                org: org_id,
                name,
                role,
                alias,
                genesis,
            } => {
                let mut org = org;
                if org.org.is_some()
                    || org.inviter != Some(from)
                    || genesis.0 != org.genesis
                    || role as u8 != org.role
                {
                    return Ok(false);
                }
                org.org = Some(org_id.0);
                org.name = name;
                org.alias = alias;
                self.save_org(&org)?;
                Ok(true)
            }
            OrgMessage::RosterEpochs { epochs } => {
                self.on_epochs(org, from, sender, epochs, report, events, later)
            }
            OrgMessage::CertificateGrant { certificate, epoch } => {
                self.on_certificate(org, from, sender, certificate, epoch, report, events)
            }
            OrgMessage::CaseEvents { case, events: list } => {
                self.on_case_events(org, from, sender, case, list, report, events)
            }
            OrgMessage::Introduce {
                case,
                assignee,
                code,
            } => self.on_introduce(org, from, sender, case, assignee, code),
            _ => Ok(false),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_epochs(
        &self,
        mut org: OrgRecord,
        from: u64,
        sender: VerifyingKey,
        epochs: Vec<RosterEpoch>,
        report: &mut SyncReport,
        events: &mut Vec<Event>,
        later: &mut Later,
    ) -> Result<bool> {
        let my_role = org.role()?;
        if !my_role.holds_full_roster() {
            return Ok(false);
        }
        let Some(org_id) = org.org else {
            return Ok(false);
        };
        let held = self.org_roster(&org)?;
        // Who may send epochs: a current coordinator, or (for the first chain) the
        // coordinator who invited this profile.
        let sender_ok = match &held {
            Some(roster) => roster.role_of(&sender).ok() == Some(Role::Coordinator),
            None => org.inviter == Some(from),
        };
        if !sender_ok {
            return Ok(false);
        }
        let mut epochs = epochs.into_iter();
        let (mut roster, mut new_epochs) = match held {
            Some(roster) => (roster, Vec::new()),
            None => {
                let Some(genesis) = epochs.next() else {
                    return Ok(false);
                };
                let pinned = crate::coordination::EpochHash(org.genesis);
                match Roster::from_pinned_genesis(genesis.clone(), &pinned) {
                    Ok(roster) if roster.org().0 == org_id => (roster, vec![genesis]),
                    _ => return Ok(false),
                }
            }
        };
        let mut removed = Vec::new();
        for epoch in epochs {
            match roster.apply(epoch.clone()) {
                Ok(RosterChange::AlreadyHeld) => {}
                Ok(RosterChange::Advanced { removed: r, .. }) => {
                    removed.extend(r);
                    new_epochs.push(epoch);
                }
                // Forged, rolled back, forked, a gap: the whole message changes nothing.
                Err(_) => return Ok(false),
            }
        }
        if new_epochs.is_empty() {
            return Ok(true);
        }
        let me = self.org_key()?;
        for epoch in &new_epochs {
            org.chain.push(Blob::from(
                epoch.encode().map_err(|_| ClientError::Internal)?,
            ));
        }
        org.epoch = roster.number();
        org.retention_secs = roster.retention_secs();
        org.relays = roster
            .relays()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect();
        org.joined = roster.member(&me).is_ok();
        self.save_org(&org)?;
        // The roster's relays join the ones this device may contact, from now on.
        let profile = self.profile()?;
        self.net
            .configure(&self.chosen_relays(&profile), profile.proxy.as_deref())?;
        report.org.roster_updates += new_epochs.len();
        events.push(Event::RosterUpdated { epoch: org.epoch });
        // Removed members get nothing from here on: their sessions go.
        for (id, label, key) in self.member_contacts()? {
            if removed.contains(&key) {
                let _ = id;
                later.drop_contacts.push(label);
            }
        }
        if my_role == Role::Coordinator {
            self.fanout_epochs(&roster, &new_epochs, Some(from))?;
        }
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_certificate(
        &self,
        mut org: OrgRecord,
        from: u64,
        sender: VerifyingKey,
        certificate: Box<MembershipCertificate>,
        epoch: u64,
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<bool> {
        let (Some(org_id), Some(inviter)) = (org.org, org.inviter) else {
            return Ok(false);
        };
        if org.role()?.holds_full_roster() || inviter != from {
            return Ok(false);
        }
        let me = self.org_key()?;
        let valid = certificate
            .verify(
                crate::coordination::OrgId(org_id),
                &[sender],
                org.epoch,
                self.now(),
            )
            .is_ok()
            && *certificate.identity().signing_key() == me
            && certificate.role() as u8 == org.role
            && epoch >= certificate.epoch();
        if !valid {
            return Ok(false);
        }
        org.certificate = Some(Blob::from(
            certificate.encode().map_err(|_| ClientError::Internal)?,
        ));
        org.epoch = epoch;
        org.joined = true;
        self.save_org(&org)?;
        report.org.roster_updates += 1;
        events.push(Event::RosterUpdated { epoch });
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_case_events(
        &self,
        mut org: OrgRecord,
        from: u64,
        sender: VerifyingKey,
        case_id: CaseId,
        list: Vec<CaseEvent>,
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<bool> {
        let Some(roster) = self.org_roster(&org)? else {
            return Ok(false);
        };
        let my_role = org.role()?;
        let me = self.org_key()?;
        let Ok(sender_role) = roster.role_of(&sender) else {
            return Ok(false);
        };
        let existing = self.case_record(&case_id)?;
        let is_new = existing.is_none();
        let mut list = list.into_iter();
        let (mut case, mut record) = match existing {
            Some(record) => (case_of(&record)?, record),
            None => {
                let Some(first) = list.next() else {
                    return Ok(false);
                };
                let Ok(case) = Case::open(first, &roster) else {
                    return Ok(false);
                };
                let record = CaseRecord {
                    id: case_id.0,
                    events: Vec::new(),
                    desk: None,
                    via_standing: false,
                    counted: false,
                    referrer: None,
                    purge_at: None,
                    intro_invitation: None,
                    need_intro: false,
                    closed_told: false,
                    leaving: false,
                };
                (case, record)
            }
        };
        // Case events come from coordinators, or from the case's assignee.
        if sender_role != Role::Coordinator && case.state().assignee() != Some(&sender) {
            return Ok(false);
        }
        let before = case.state().assignee().copied();
        let mut added = 0usize;
        let mut refused = 0usize;
        for event in list {
            match case.apply(event, &roster) {
                Ok(Applied::Added) => added += 1,
                Ok(_) => {}
                Err(_) => refused += 1,
            }
        }
        report.org.refused += refused;
        if !is_new && added == 0 {
            return Ok(refused == 0);
        }
        let after = case.state().assignee().copied();
        let short = case_id.short();
        if my_role != Role::Coordinator && after != Some(me) {
            if is_new {
                // Not on this case's team: nothing of it is kept.
                return Ok(false);
            }
            // This device was the assignee and no longer is: it is cut off, and its copy
            // goes once the requester is passed on.
            record.leaving = true;
            if record.desk.is_none() {
                self.delete_case(&record.id)?;
                self.audit_append(case_id, Action::Purged, None)?;
                self.request_rekey();
                report.org.purged_cases += 1;
                return Ok(true);
            }
        }
        if after == Some(me) && record.desk.is_none() && record.intro_invitation.is_none() {
            record.need_intro = true;
        }
        if record.counted && case.len() > 1 {
            record.counted = false;
            org.standing_admitted = org.standing_admitted.saturating_sub(1);
            self.save_org(&org)?;
        }
        self.finish_case_update(&roster, &case, &mut record)?;
        if is_new {
            report.org.new_cases += 1;
            events.push(Event::CaseOpened { short });
        } else {
            report.org.case_updates += 1;
            events.push(Event::CaseUpdated { short });
        }
        if my_role == Role::Coordinator {
            let extra = if before != after { before } else { None };
            self.fanout_case(&roster, &case, extra, Some(from))?;
        }
        Ok(true)
    }

    /// Stores the case and does what its state asks of the desk holder (tell the
    /// requester it is closed). Lock held.
    pub(crate) fn finish_case_update(
        &self,
        roster: &Roster,
        case: &Case,
        record: &mut CaseRecord,
    ) -> Result<()> {
        record.events = events_of(case)?;
        record.purge_at = case.state().purge_at(roster.retention_secs());
        if let (Some(purge_at), Some(desk), false) =
            (record.purge_at, record.desk, record.closed_told)
        {
            self.send_org_to(desk, &OrgMessage::CaseClosed { purge_at })?;
            record.closed_told = true;
        }
        self.save_case(record)
    }

    fn on_intake(
        &self,
        mut org: OrgRecord,
        contact: &ContactRecord,
        request: crate::coordination::IntakeRequest,
        report: &mut SyncReport,
        events: &mut Vec<Event>,
    ) -> Result<bool> {
        if org.role()? != Role::Coordinator {
            return Ok(false);
        }
        let Some(invitation) = contact.origin.as_ref().map(|o| o.invitation) else {
            return Ok(false);
        };
        let via_standing = org
            .standing
            .as_ref()
            .is_some_and(|s| s.invitation == invitation);
        let referral = org
            .referrals
            .iter()
            .position(|r| r.invitation == invitation);
        if !via_standing && referral.is_none() {
            return Ok(false);
        }
        if self
            .case_records()?
            .iter()
            .any(|c| c.desk == Some(contact.id))
        {
            return Ok(false);
        }
        let (Some(roster), Some(requester)) = (self.org_roster(&org)?, peer_key(contact)) else {
            return Ok(false);
        };
        let identity = self.org_identity()?;
        let case_id = CaseId::random(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        let Ok((case, opened)) = Case::create(
            &identity,
            &roster,
            case_id,
            requester,
            None,
            request,
            coarse(self.now()),
        ) else {
            return Ok(false);
        };
        let referrer = referral.and_then(|i| org.referrals.remove(i).referrer);
        let mut record = CaseRecord {
            id: case_id.0,
            events: Vec::new(),
            desk: Some(contact.id),
            via_standing,
            counted: via_standing,
            referrer,
            purge_at: None,
            intro_invitation: None,
            need_intro: false,
            closed_told: false,
            leaving: false,
        };
        self.save_org(&org)?;
        self.finish_case_update(&roster, &case, &mut record)?;
        self.audit_append(case_id, Action::Opened, Some(opened.hash()))?;
        self.relabel(contact.id, &format!("req-{}", case_id.short()))?;
        self.fanout_case(&roster, &case, None, Some(contact.id))?;
        report.org.new_cases += 1;
        events.push(Event::CaseOpened {
            short: case_id.short(),
        });
        Ok(true)
    }

    fn on_introduce(
        &self,
        mut org: OrgRecord,
        from: u64,
        sender: VerifyingKey,
        case_id: CaseId,
        assignee: VerifyingKey,
        code: String,
    ) -> Result<bool> {
        let Some(roster) = self.org_roster(&org)? else {
            return Ok(false);
        };
        let Ok(sender_role) = roster.role_of(&sender) else {
            return Ok(false);
        };
        if sender_role != Role::Coordinator && sender != assignee {
            return Ok(false);
        }
        let Some(mut record) = self.case_record(&case_id)? else {
            return Ok(false);
        };
        let case = case_of(&record)?;
        if case.state().assignee() != Some(&assignee) {
            // Stale: for an earlier assignee.
            return Ok(true);
        }
        let msg = OrgMessage::Introduce {
            case: case_id,
            assignee,
            code: code.clone(),
        };
        let digest =
            crate::primitives::kdf::sha256(&msg.encode().map_err(|_| ClientError::Internal)?);
        if org.seen.contains(&digest) {
            return Ok(true);
        }
        org.seen.push(digest);
        let excess = org.seen.len().saturating_sub(MAX_SEEN);
        org.seen.drain(..excess);
        self.save_org(&org)?;
        let me = self.org_key()?;
        if let Some(desk) = record.desk.filter(|_| assignee != me) {
            // Pass the requester on, then drop this device's session with them.
            self.send_org_to(desk, &OrgMessage::Handover { code })?;
            self.forget_contact(desk)?;
            record.desk = None;
            if org.role()? != Role::Coordinator {
                self.delete_case(&record.id)?;
                self.audit_append(case_id, Action::Purged, None)?;
                return Ok(true);
            }
            self.save_case(&record)?;
            return Ok(true);
        }
        if org.role()? == Role::Coordinator {
            // Not the desk holder: on to whoever may be (the other coordinators, and the
            // earlier assignees), never back.
            let earlier: Vec<VerifyingKey> = case
                .events_in_order()
                .into_iter()
                .filter_map(|e| match e.body() {
                    EventBody::Assigned { caseworker } => Some(*caseworker),
                    _ => None,
                })
                .filter(|k| *k != assignee)
                .collect();
            for (id, _, key) in self.member_contacts()? {
                if id == from || key == assignee || roster.member(&key).is_err() {
                    continue;
                }
                if roster.role_of(&key).ok() == Some(Role::Coordinator) || earlier.contains(&key) {
                    self.send_org_to(id, &msg)?;
                }
            }
        }
        Ok(true)
    }

    /// Messages to a requester's request, from its desk.
    fn requester_handle(&self, from: u64, msg: OrgMessage) -> Result<bool> {
        let Some(mut request) = self
            .request_records()?
            .into_iter()
            .find(|r| r.contact == from)
        else {
            return Ok(false);
        };
        match msg {
            OrgMessage::Handover { code } => {
                request.handover = Some(code);
                self.save_request(&request)?;
                Ok(true)
            }
            OrgMessage::CaseClosed { purge_at } => {
                request.closed = true;
                // Never later than the longest retention from now.
                let bound = self
                    .now()
                    .saturating_add(crate::coordination::roster::MAX_RETENTION);
                request.purge_at = Some(purge_at.min(bound));
                self.save_request(&request)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Coordinator: members who used their invitation join the roster (lock held).
    fn admit_members(&self, report: &mut SyncReport, events: &mut Vec<Event>) -> Result<()> {
        let Some(mut org) = self.org_record()? else {
            return Ok(());
        };
        if org.pending.is_empty() || org.role()? != Role::Coordinator {
            return Ok(());
        }
        let Some(mut roster) = self.org_roster(&org)? else {
            return Ok(());
        };
        let identity = self.org_identity()?;
        let contacts = self.all_contacts()?;
        let mut still = Vec::new();
        for pending in std::mem::take(&mut org.pending) {
            let Some(contact) = contacts.iter().find(|c| {
                c.identity_name.as_deref() == Some(ORG_IDENTITY)
                    && c.origin
                        .as_ref()
                        .is_some_and(|o| o.invitation == pending.invitation)
            }) else {
                still.push(pending);
                continue;
            };
            let role = super::state::role_from(pending.role)?;
            let member = peer_identity(contact)?;
            let key = *member.signing_key();
            let mut draft = roster.draft();
            let signed = draft
                .add_member(member, role, &pending.alias)
                .and_then(|()| {
                    draft.sign(
                        &identity,
                        coarse(self.now()).max(roster.current().issued_at()),
                    )
                });
            let Ok(epoch) = signed else {
                report.org.refused += 1;
                continue;
            };
            if roster.apply(epoch.clone()).is_err() {
                report.org.refused += 1;
                continue;
            }
            org.chain.push(Blob::from(
                epoch.encode().map_err(|_| ClientError::Internal)?,
            ));
            org.epoch = roster.number();
            let Some(org_id) = org.org else {
                return Err(ClientError::Internal);
            };
            let mut record = match self.contact_by_id(contact.id)? {
                Some(r) => r,
                None => continue,
            };
            self.send_org(
                &mut record,
                &OrgMessage::Welcome {
                    org: crate::coordination::OrgId(org_id),
                    name: org.name.clone(),
                    role,
                    alias: pending.alias.clone(),
                    genesis: crate::coordination::EpochHash(org.genesis),
                },
            )?;
            if role.holds_full_roster() {
                let chain = org
                    .chain
                    .iter()
                    .map(|b| RosterEpoch::decode(b.as_bytes()).map_err(|_| ClientError::Storage))
                    .collect::<Result<Vec<_>>>()?;
                self.send_org(&mut record, &OrgMessage::RosterEpochs { epochs: chain })?;
            } else {
                let now = coarse(self.now());
                let certificate = MembershipCertificate::issue(
                    &roster,
                    &identity,
                    &key,
                    now,
                    now.saturating_add(CERTIFICATE_SECS),
                )
                .map_err(|_| ClientError::Internal)?;
                self.send_org(
                    &mut record,
                    &OrgMessage::CertificateGrant {
                        certificate: Box::new(certificate),
                        epoch: roster.number(),
                    },
                )?;
            }
            let alias: String = pending.alias.chars().take(56).collect();
            self.relabel(contact.id, &format!("org-{}", alias.trim()))?;
            self.fanout_epochs(&roster, &[epoch], Some(contact.id))?;
            report.org.roster_updates += 1;
            events.push(Event::RosterUpdated {
                epoch: roster.number(),
            });
        }
        org.pending = still;
        self.save_org(&org)
    }

    /// Assignee: a contact made through its introduction code becomes the case's desk.
    fn link_introductions(&self) -> Result<()> {
        let pending: Vec<CaseRecord> = self
            .case_records()?
            .into_iter()
            .filter(|c| c.intro_invitation.is_some() && c.desk.is_none())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let contacts = self.all_contacts()?;
        for mut record in pending {
            let Some(contact) = contacts
                .iter()
                .find(|c| c.origin.as_ref().map(|o| o.invitation) == record.intro_invitation)
            else {
                continue;
            };
            record.desk = Some(contact.id);
            self.save_case(&record)?;
            self.relabel(contact.id, &format!("req-{}", CaseId(record.id).short()))?;
        }
        Ok(())
    }

    /// Assignee: makes the one-time invitation for the requester and sends its code to
    /// the coordinators this device has sessions with (who pass it to the desk holder).
    async fn make_introductions(&self, unreachable: &HashSet<String>) -> Result<()> {
        let due: Vec<CaseRecord> = self
            .case_records()?
            .into_iter()
            .filter(|c| c.need_intro)
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let profile = self.profile()?;
        if profile
            .relays
            .first()
            .is_some_and(|r| unreachable.contains(&super::super::net::canon(r)))
        {
            return Ok(());
        }
        for record in due {
            let Ok((invitation, code, _)) = self
                .create_invitation_unlocked(
                    InvitationKind::OneTime,
                    INTRO_SECS,
                    &IdentityChoice::Fresh,
                )
                .await
            else {
                return Ok(());
            };
            let _guard = self.lock()?;
            let Some(mut record) = self.case_record(&CaseId(record.id))? else {
                continue;
            };
            let Some(org) = self.org_record()? else {
                continue;
            };
            let Some(roster) = self.org_roster(&org)? else {
                continue;
            };
            record.need_intro = false;
            record.intro_invitation = Some(invitation);
            self.save_case(&record)?;
            let msg = OrgMessage::Introduce {
                case: CaseId(record.id),
                assignee: self.org_key()?,
                code,
            };
            for (id, _, key) in self.member_contacts()? {
                if roster.role_of(&key).ok() == Some(Role::Coordinator) {
                    self.send_org_to(id, &msg)?;
                }
            }
        }
        Ok(())
    }

    /// Requester: moves to the new assignee's code (same request identity), then drops the
    /// old contact.
    async fn take_handovers(&self) -> Result<()> {
        for request in self.request_records()? {
            let Some(code) = request.handover.clone() else {
                continue;
            };
            let Some(old) = self.contact_by_id(request.contact)? else {
                continue;
            };
            let temp = format!("desk-{}-next", request.id);
            let accepted = self
                .accept_invitation_unlocked(
                    &code,
                    &temp,
                    &IdentityChoice::Named(request.identity_name.clone()),
                )
                .await;
            let _guard = self.lock()?;
            let mut fresh = match self
                .request_records()?
                .into_iter()
                .find(|r| r.id == request.id)
            {
                Some(r) => r,
                None => continue,
            };
            match accepted {
                Ok(_) => {
                    let new = self.contact_by_label(&temp)?;
                    self.forget_contact(old.id)?;
                    self.delete_outbox_of(old.id)?;
                    self.relabel(new.id, &old.label)?;
                    fresh.contact = new.id;
                    fresh.handover = None;
                }
                Err(ClientError::RelayUnreachable) => continue,
                Err(_) => fresh.handover = None,
            }
            self.save_request(&fresh)?;
        }
        Ok(())
    }

    /// Deletes every case and request whose retention ran out at `now`, with their
    /// contacts and conversations, and asks for the store's re-key (crypto-shredding).
    /// Audit entries stay (ids and actions), and a `purged` entry is added. Lock held.
    pub(crate) fn org_purge(&self, now: u64) -> Result<usize> {
        let mut purged = 0;
        for record in self.case_records()? {
            if record.purge_at.is_some_and(|at| at <= now) {
                if let Some(desk) = record.desk {
                    self.forget_contact(desk)?;
                    self.delete_outbox_of(desk)?;
                }
                self.delete_case(&record.id)?;
                if self.org_record()?.is_some() {
                    self.audit_append(CaseId(record.id), Action::Purged, None)?;
                }
                purged += 1;
            }
        }
        for request in self.request_records()? {
            if request.purge_at.is_some_and(|at| at <= now) {
                self.forget_contact(request.contact)?;
                self.delete_outbox_of(request.contact)?;
                self.db
                    .remove(Tree::Meta, &named_identity_key(&request.identity_name))?;
                self.db.remove(Tree::Requests, &request.id.to_be_bytes())?;
                purged += 1;
            }
        }
        if purged > 0 {
            self.request_rekey();
        }
        Ok(purged)
    }
}
