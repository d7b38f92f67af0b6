//! The public organization/case methods of [`Client`].

use super::super::db::Tree;
use super::super::records::{InvitationRecord, MessageRecord, StoredDirection};
use super::super::{
    Client, ClientError, Direction, IdentityChoice, InvitationKind, MAX_INVITATION_SECS, Result,
    SendOutcome, coarse,
};
use super::state::{
    CaseRecord, ORG_IDENTITY, OrgRecord, PendingMember, Referral, RequestRecord, StandingIntake,
    case_of, fingerprint, hex, role_from, unhex32,
};
use super::types::{
    CaseDetail, CaseFilter, CaseMessage, CaseSummary, HistoryEntry, MemberView, NoteView,
    OrgInvitation, OrgView, RequestView, VouchView,
};
use crate::coordination::encoding::{Lines, check_text};
use crate::coordination::{
    Action, Case, CaseError, CaseId, DecodeError, EventBody, Field, IntakeForm, IntakeRequest,
    OrgId, OrgMessage, Role, Roster, RosterDraft, RosterError, Status, Tier, Vouch, VouchError,
};
use crate::primitives::ed25519::VerifyingKey;
use crate::primitives::random::OsRng;
use crate::protocol::identity::Identity;
use corridor_wire::b64::Blob;

/// The prefix of a membership code from [`Client::org_invite`]:
/// `corridor-org1:<genesis hash, 64 hex>.<role>.<ordinary invitation code>`.
pub const ORG_CODE_PREFIX: &str = "corridor-org1:";
/// The prefix of an intake or referral code: `corridor-intake1:<ordinary invitation code>`.
pub const INTAKE_CODE_PREFIX: &str = "corridor-intake1:";
/// The default retention of closed cases: 30 days.
const DEFAULT_RETENTION: u64 = 30 * 24 * 3600;
/// The default validity of a vouch: 90 days.
const DEFAULT_VOUCH_SECS: u64 = 90 * 24 * 3600;

fn roster_err(e: RosterError) -> ClientError {
    match e {
        RosterError::Field(f) => ClientError::InvalidField(f),
        other => ClientError::Roster(other),
    }
}

fn case_err(e: CaseError) -> ClientError {
    match e {
        CaseError::Decode(DecodeError::Field(f)) => ClientError::InvalidField(f),
        CaseError::Vouch(VouchError::Field(f)) => ClientError::InvalidField(f),
        other => ClientError::Case(other),
    }
}

fn alias_of(roster: &Roster, key: &VerifyingKey) -> String {
    roster
        .current()
        .member(key)
        .map(|m| m.alias().to_owned())
        .or_else(|| roster.current().referrer(key).map(|r| r.alias().to_owned()))
        .unwrap_or_else(|| "(former member)".to_owned())
}

fn describe(roster: &Roster, body: &EventBody) -> String {
    match body {
        EventBody::Opened { .. } => "opened".to_owned(),
        EventBody::Assigned { caseworker } => {
            format!("assigned to {}", alias_of(roster, caseworker))
        }
        EventBody::StatusChanged { to, reason } if reason.is_empty() => format!("status {to}"),
        EventBody::StatusChanged { to, reason } => format!("status {to}: {reason}"),
        EventBody::Vouched { vouch } => format!("vouched ({})", vouch.tier()),
        EventBody::Noted { .. } => "note".to_owned(),
    }
}

impl Client {
    fn org_view(&self, org: &OrgRecord) -> Result<OrgView> {
        let role = org.role()?;
        Ok(OrgView {
            name: org.name.clone(),
            my_role: role,
            my_alias: org.alias.clone(),
            epoch: org.epoch,
            fingerprint: fingerprint(&org.genesis),
            relays: org.relays.clone(),
            retention_secs: org.retention_secs,
            full_roster: role.holds_full_roster(),
            joined: org.joined,
            intake_refused: org.intake_refused,
        })
    }

    /// The organization, its roster and this profile's identity, for a coordinator.
    fn coordinator_state(&self) -> Result<(OrgRecord, Roster, Identity)> {
        let org = self.org_required()?;
        if org.role()? != Role::Coordinator {
            return Err(ClientError::NotPermitted("only coordinators may do this"));
        }
        let roster = self.org_roster(&org)?.ok_or(ClientError::NoOrganization)?;
        Ok((org, roster, self.org_identity()?))
    }

    /// Creates the organization; this profile is its founding coordinator, under the
    /// named identity `org` and the alias `my_alias`. `retention_secs` (how long a closed
    /// case is kept) defaults to 30 days. The organization's relays are this profile's
    /// relays at creation.
    ///
    /// # Errors
    /// [`ClientError::OrgExists`], [`ClientError::InvalidField`] (alias, name),
    /// [`ClientError::Roster`], [`ClientError::Storage`], [`ClientError::Crypto`].
    pub async fn org_create(
        &self,
        name: &str,
        my_alias: &str,
        retention_secs: Option<u64>,
    ) -> Result<OrgView> {
        let _op = self.op.lock().await;
        if self.org_record()?.is_some() {
            return Err(ClientError::OrgExists);
        }
        check_text(
            Field::OrgName,
            name,
            1,
            crate::coordination::message::MAX_ORG_NAME,
            Lines::One,
        )
        .map_err(ClientError::InvalidField)?;
        let retention = retention_secs.unwrap_or(DEFAULT_RETENTION);
        let (pickle, _) =
            self.relationship_identity(&IdentityChoice::Named(ORG_IDENTITY.to_owned()))?;
        let identity = self.keys_of(&pickle)?.identity;
        let org_id = OrgId::random(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        let mut draft = RosterDraft::genesis(org_id, retention).map_err(roster_err)?;
        draft
            .add_member(identity.public(), Role::Coordinator, my_alias)
            .map_err(roster_err)?;
        let profile = self.profile()?;
        let relays: Vec<crate::transport::RelayUrl> = profile
            .relays
            .iter()
            .filter_map(|r| crate::transport::RelayUrl::parse(r).ok())
            .take(crate::coordination::roster::MAX_RELAYS)
            .collect();
        draft.set_relays(relays.clone()).map_err(roster_err)?;
        let genesis = draft
            .sign(&identity, coarse(self.now()))
            .map_err(roster_err)?;
        let record = OrgRecord {
            org: Some(org_id.0),
            name: name.trim().to_owned(),
            role: Role::Coordinator as u8,
            alias: my_alias.trim().to_owned(),
            genesis: genesis.hash().0,
            chain: vec![Blob::from(genesis.encode().map_err(roster_err)?)],
            certificate: None,
            epoch: 0,
            joined: true,
            relays: relays.iter().map(|r| r.as_str().to_owned()).collect(),
            retention_secs: retention,
            inviter: None,
            pending: Vec::new(),
            referrals: Vec::new(),
            standing: None,
            intake_refused: 0,
            standing_admitted: 0,
            seen: Vec::new(),
        };
        {
            let _guard = self.lock()?;
            self.save_org(&record)?;
        }
        self.org_view(&record)
    }

    /// The organization this profile belongs to, or `None`.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn org(&self) -> Result<Option<OrgView>> {
        self.org_record()?.map(|r| self.org_view(&r)).transpose()
    }

    /// Coordinator only: a one-time invitation into the organization with the role and
    /// the genesis fingerprint; the alias (the coordinator chooses aliases) is kept here
    /// and sent in the welcome. The code is `corridor-org1:<genesis>.<role>.<code>`.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`],
    /// [`ClientError::InvalidField`] (alias), [`ClientError::Roster`] (alias taken),
    /// the errors of [`Client::create_invitation`].
    pub async fn org_invite(
        &self,
        role: Role,
        alias: &str,
        valid_secs: u64,
    ) -> Result<OrgInvitation> {
        let _op = self.op.lock().await;
        let (org, roster, _) = self.coordinator_state()?;
        // The same checks the next epoch will make.
        let mut draft = roster.draft();
        let probe = Identity::generate(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        draft
            .add_member(probe.public(), role, alias)
            .map_err(roster_err)?;
        let wanted = alias.trim().to_lowercase();
        if org.pending.iter().any(|p| p.alias.to_lowercase() == wanted) {
            return Err(ClientError::Roster(RosterError::DuplicateAlias));
        }
        let (id, inner, expires_at) = self
            .create_invitation_unlocked(
                InvitationKind::OneTime,
                valid_secs,
                &IdentityChoice::Named(ORG_IDENTITY.to_owned()),
            )
            .await?;
        {
            let _guard = self.lock()?;
            let mut org = self.org_required()?;
            org.pending.push(PendingMember {
                invitation: id,
                role: role as u8,
                alias: alias.trim().to_owned(),
            });
            self.save_org(&org)?;
        }
        Ok(OrgInvitation {
            code: format!(
                "{ORG_CODE_PREFIX}{}.{}.{inner}",
                hex(&org.genesis),
                role.as_str()
            ),
            id,
            role: Some(role),
            expires_at,
        })
    }

    /// Joins with a code from [`Client::org_invite`]: pins the organization's genesis
    /// fingerprint (a roster with another genesis is refused). The membership is complete
    /// ([`OrgView::joined`]) after the coordinator's next sync and then this profile's.
    ///
    /// # Errors
    /// [`ClientError::OrgExists`], [`ClientError::InvalidInvitation`], the errors of
    /// [`Client::accept_invitation`].
    pub async fn org_join(&self, code: &str) -> Result<OrgView> {
        let rest = code
            .trim()
            .strip_prefix(ORG_CODE_PREFIX)
            .ok_or(ClientError::InvalidInvitation)?;
        let mut parts = rest.splitn(3, '.');
        let (Some(genesis), Some(role), Some(inner)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ClientError::InvalidInvitation);
        };
        let genesis = unhex32(genesis).ok_or(ClientError::InvalidInvitation)?;
        let role: Role = role.parse().map_err(|_| ClientError::InvalidInvitation)?;
        let _op = self.op.lock().await;
        if self.org_record()?.is_some() {
            return Err(ClientError::OrgExists);
        }
        let mut label = "org-coordinator".to_owned();
        let mut n = 2;
        while self.contact_by_label(&label).is_ok() {
            label = format!("org-coordinator-{n}");
            n += 1;
        }
        let summary = self
            .accept_invitation_unlocked(
                inner,
                &label,
                &IdentityChoice::Named(ORG_IDENTITY.to_owned()),
            )
            .await?;
        let record = {
            let _guard = self.lock()?;
            let contact = self.contact_by_label(&summary.label)?;
            let record = OrgRecord {
                org: None,
                name: String::new(),
                role: role as u8,
                alias: String::new(),
                genesis,
                chain: Vec::new(),
                certificate: None,
                epoch: 0,
                joined: false,
                relays: Vec::new(),
                retention_secs: 0,
                inviter: Some(contact.id),
                pending: Vec::new(),
                referrals: Vec::new(),
                standing: None,
                intake_refused: 0,
                standing_admitted: 0,
                seen: Vec::new(),
            };
            self.save_org(&record)?;
            record
        };
        self.org_view(&record)
    }

    /// Coordinators and caseworkers: every current member. Hosts and travel helpers: only
    /// themselves (they hold no roster), never an error.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::Storage`].
    pub fn org_members(&self) -> Result<Vec<MemberView>> {
        let org = self.org_required()?;
        let me = self.org_key()?;
        let my_fingerprint = self.org_identity()?.fingerprint().to_string();
        if let Some(roster) = self.org_roster(&org)? {
            return Ok(roster
                .current()
                .members()
                .map(|m| MemberView {
                    alias: m.alias().to_owned(),
                    role: m.role(),
                    fingerprint: m.identity().fingerprint().to_string(),
                    is_me: *m.key() == me,
                })
                .collect());
        }
        Ok(vec![MemberView {
            alias: org.alias.clone(),
            role: org.role()?,
            fingerprint: my_fingerprint,
            is_me: true,
        }])
    }

    /// Coordinator only: a new epoch without that member, fanned out at once (or queued);
    /// its sessions here are removed, and nothing is sent to it from this epoch on.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`] (yourself),
    /// [`ClientError::UnknownMember`], [`ClientError::Roster`] (e.g. the last coordinator),
    /// [`ClientError::Storage`].
    pub async fn org_remove(&self, alias: &str) -> Result<OrgView> {
        let _op = self.op.lock().await;
        let (labels, view) = {
            let _guard = self.lock()?;
            let (mut org, mut roster, identity) = self.coordinator_state()?;
            let wanted = alias.trim().to_lowercase();
            let key = *roster
                .current()
                .members()
                .find(|m| m.alias().to_lowercase() == wanted)
                .ok_or(ClientError::UnknownMember)?
                .key();
            if key == *identity.public().signing_key() {
                return Err(ClientError::NotPermitted(
                    "a coordinator cannot remove itself",
                ));
            }
            let mut draft = roster.draft();
            draft.remove_member(&key).map_err(roster_err)?;
            let epoch = draft
                .sign(
                    &identity,
                    coarse(self.now()).max(roster.current().issued_at()),
                )
                .map_err(roster_err)?;
            roster.apply(epoch.clone()).map_err(roster_err)?;
            org.chain
                .push(Blob::from(epoch.encode().map_err(roster_err)?));
            org.epoch = roster.number();
            self.save_org(&org)?;
            self.fanout_epochs(&roster, &[epoch], None)?;
            let labels: Vec<String> = self
                .member_contacts()?
                .into_iter()
                .filter(|(_, _, k)| *k == key)
                .map(|(_, label, _)| label)
                .collect();
            (labels, self.org_view(&org)?)
        };
        for label in labels {
            let _ = self.remove_contact_unlocked(&label).await;
        }
        let _ = self.flush_outbox().await?;
        self.at_rest(true)?;
        Ok(view)
    }

    /// Coordinator only: the standing intake code (made on the first call, the same code
    /// after, until it expires or is revoked with [`Client::revoke_invitation`]; then a new
    /// one). Everyone who uses it sees the one key made for it.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`], the errors of
    /// [`Client::create_invitation`].
    pub async fn org_intake(&self) -> Result<OrgInvitation> {
        let _op = self.op.lock().await;
        let (org, _, _) = self.coordinator_state()?;
        // A revoked standing code (`revoke_invitation`) is gone from the invitations: make
        // a new one rather than print a dead code.
        let live = |s: &&StandingIntake| {
            s.expires_at > self.now()
                && matches!(
                    self.db
                        .get::<InvitationRecord>(Tree::Invitations, &s.invitation.to_be_bytes()),
                    Ok(Some(_))
                )
        };
        if let Some(standing) = org.standing.as_ref().filter(live) {
            return Ok(OrgInvitation {
                code: format!("{INTAKE_CODE_PREFIX}{}", standing.code),
                id: standing.invitation,
                role: None,
                expires_at: standing.expires_at,
            });
        }
        let (id, code, expires_at) = self
            .create_invitation_unlocked(
                InvitationKind::Standing { max_uses: None },
                MAX_INVITATION_SECS,
                &IdentityChoice::Fresh,
            )
            .await?;
        {
            let _guard = self.lock()?;
            let mut org = self.org_required()?;
            org.standing = Some(StandingIntake {
                invitation: id,
                code: code.clone(),
                expires_at,
            });
            org.standing_admitted = 0;
            self.save_org(&org)?;
        }
        Ok(OrgInvitation {
            code: format!("{INTAKE_CODE_PREFIX}{code}"),
            id,
            role: None,
            expires_at,
        })
    }

    /// Coordinator: a one-time intake code for a referrer to pass on, with an identity
    /// made for it alone; the case that arrives through it records `referrer` (a label
    /// local to this device). In this version a caseworker may not issue one (the request
    /// would arrive at a device that cannot open cases).
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`],
    /// [`ClientError::InvalidField`], the errors of [`Client::create_invitation`].
    pub async fn org_referral_invite(
        &self,
        referrer: Option<&str>,
        valid_secs: u64,
    ) -> Result<OrgInvitation> {
        if let Some(referrer) = referrer {
            check_text(
                Field::MemberAlias,
                referrer,
                1,
                crate::coordination::roster::MAX_MEMBER_ALIAS,
                Lines::One,
            )
            .map_err(ClientError::InvalidField)?;
        }
        let _op = self.op.lock().await;
        let org = self.org_required()?;
        if org.role()? != Role::Coordinator {
            return Err(ClientError::NotPermitted(
                "only coordinators may issue referral codes in this version",
            ));
        }
        let (id, code, expires_at) = self
            .create_invitation_unlocked(InvitationKind::OneTime, valid_secs, &IdentityChoice::Fresh)
            .await?;
        {
            let _guard = self.lock()?;
            let mut org = self.org_required()?;
            org.referrals.push(Referral {
                invitation: id,
                referrer: referrer.map(|r| r.trim().to_owned()),
            });
            self.save_org(&org)?;
        }
        Ok(OrgInvitation {
            code: format!("{INTAKE_CODE_PREFIX}{code}"),
            id,
            role: None,
            expires_at,
        })
    }

    /// Accepts an intake or referral code with an identity made for this request alone,
    /// and sends the form over the new session (queued if the relay is unreachable).
    /// Replies arrive as ordinary messages from contact [`RequestView::desk`]; when the
    /// case is assigned, this profile moves to the assignee on its own (same identity).
    ///
    /// # Errors
    /// [`ClientError::InvalidField`] (the form; names the field, never the value),
    /// [`ClientError::InvalidInvitation`], the errors of [`Client::accept_invitation`].
    pub async fn request_help(&self, code: &str, form: &IntakeForm) -> Result<RequestView> {
        let request = IntakeRequest::new(form).map_err(ClientError::InvalidField)?;
        let trimmed = code.trim();
        let inner = trimmed.strip_prefix(INTAKE_CODE_PREFIX).unwrap_or(trimmed);
        let _op = self.op.lock().await;
        let id = self.db.next_seq()?;
        let identity_name = format!("request-{id}");
        let label = format!("desk-{id}");
        self.accept_invitation_unlocked(
            inner,
            &label,
            &IdentityChoice::Named(identity_name.clone()),
        )
        .await?;
        let record = {
            let _guard = self.lock()?;
            let mut contact = self.contact_by_label(&label)?;
            let alias = request.alias().to_owned();
            self.send_org(&mut contact, &OrgMessage::Intake { request })?;
            let record = RequestRecord {
                id,
                alias,
                sent_at: coarse(self.now()),
                contact: contact.id,
                identity_name,
                closed: false,
                purge_at: None,
                handover: None,
            };
            self.save_request(&record)?;
            record
        };
        let _ = self.flush_outbox().await?;
        self.at_rest(false)?;
        Ok(RequestView {
            id: id.to_string(),
            alias: record.alias,
            sent_at: record.sent_at,
            desk: label,
            closed: false,
            purge_at: None,
        })
    }

    /// The requests for help this profile sent, oldest first.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn requests(&self) -> Result<Vec<RequestView>> {
        let mut out = Vec::new();
        for r in self.request_records()? {
            out.push(RequestView {
                id: r.id.to_string(),
                alias: r.alias.clone(),
                sent_at: r.sent_at,
                desk: self
                    .contact_by_id(r.contact)?
                    .map(|c| c.label)
                    .unwrap_or_default(),
                closed: r.closed,
                purge_at: r.purge_at,
            });
        }
        Ok(out)
    }

    fn case_team_state(&self) -> Result<(OrgRecord, Roster, VerifyingKey)> {
        let org = self.org_required()?;
        if !org.role()?.holds_full_roster() {
            return Err(ClientError::NotPermitted(
                "hosts and travel helpers hold no cases",
            ));
        }
        let roster = self.org_roster(&org)?.ok_or(ClientError::NoOrganization)?;
        Ok((org, roster, self.org_key()?))
    }

    fn find_case(&self, id: &str) -> Result<(CaseRecord, Case)> {
        let typed: String = id.trim().chars().filter(|c| *c != '-').collect();
        if typed.len() < 4 {
            return Err(ClientError::UnknownCase);
        }
        let mut found: Vec<CaseRecord> = self
            .case_records()?
            .into_iter()
            .filter(|r| CaseId(r.id).matches_short(id))
            .collect();
        match found.len() {
            0 => Err(ClientError::UnknownCase),
            1 => {
                let record = found.remove(0);
                let case = case_of(&record)?;
                Ok((record, case))
            }
            _ => Err(ClientError::AmbiguousCase),
        }
    }

    fn summary_of(
        record: &CaseRecord,
        case: &Case,
        roster: &Roster,
        me: &VerifyingKey,
    ) -> CaseSummary {
        let state = case.state();
        let request = case.request();
        CaseSummary {
            id: case.id(),
            short: case.id().short(),
            status: state.status(),
            tier: state.verified_tier(),
            alias: request.map(|r| r.alias().to_owned()).unwrap_or_default(),
            region: request.map(|r| r.region().to_owned()).unwrap_or_default(),
            people: request.map(|r| u32::from(r.people())).unwrap_or(0),
            urgency: request
                .map(|r| r.urgency())
                .unwrap_or(crate::coordination::Urgency::ALL[0]),
            needs: request
                .map(|r| r.needs().iter().collect())
                .unwrap_or_default(),
            assignee: state.assignee().map(|k| alias_of(roster, k)),
            mine: state.assignee() == Some(me),
            opened_at: state.opened_at(),
            updated_at: state.updated_at(),
            referrer: record.referrer.clone(),
        }
    }

    /// The cases on this device (coordinators: every case; a caseworker: those assigned
    /// to it), newest first.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`] (hosts, travel
    /// helpers), [`ClientError::Storage`].
    pub fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let (_, roster, me) = self.case_team_state()?;
        let mut out = Vec::new();
        for record in self.case_records()? {
            let case = case_of(&record)?;
            let summary = Self::summary_of(&record, &case, &roster, &me);
            if filter.status.is_some_and(|s| s != summary.status) || (filter.mine && !summary.mine)
            {
                continue;
            }
            out.push(summary);
        }
        out.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(a.short.cmp(&b.short)));
        Ok(out)
    }

    /// One case. `id`: the short form or a prefix of at least 4 characters.
    ///
    /// # Errors
    /// [`ClientError::AmbiguousCase`], [`ClientError::UnknownCase`] (none, or not on this
    /// device), [`ClientError::NotPermitted`], [`ClientError::NoOrganization`],
    /// [`ClientError::Storage`].
    pub fn case(&self, id: &str) -> Result<CaseDetail> {
        let (_, roster, me) = self.case_team_state()?;
        let (record, case) = self.find_case(id)?;
        let summary = Self::summary_of(&record, &case, &roster, &me);
        let request = case.request();
        let superseded = case.superseded();
        let history = case
            .events_in_order()
            .into_iter()
            .map(|e| HistoryEntry {
                at: e.time(),
                author: alias_of(&roster, e.author()),
                what: describe(&roster, e.body()),
                superseded: superseded.contains(&e.hash()),
            })
            .collect();
        let notes = case
            .state()
            .notes()
            .iter()
            .filter_map(|n| {
                let text = match case.event(&n.event).map(|e| e.body()) {
                    Some(EventBody::Noted { text }) => text.clone(),
                    _ => return None,
                };
                Some(NoteView {
                    at: n.time,
                    author: alias_of(&roster, &n.author),
                    text: zeroize::Zeroizing::new(text),
                })
            })
            .collect();
        let vouches = case
            .state()
            .vouches()
            .iter()
            .map(|v: &Vouch| VouchView {
                tier: v.tier(),
                by: alias_of(&roster, v.signer()),
                valid_until: v.expires_at(),
                note: v.note().to_owned(),
            })
            .collect();
        let mut messages = Vec::new();
        if let Some(desk) = record.desk {
            let mut all: Vec<MessageRecord> = self
                .db
                .all::<MessageRecord>(Tree::Messages)?
                .into_iter()
                .map(|(_, m)| m)
                .filter(|m| m.contact == desk)
                .collect();
            all.sort_by_key(|m| (m.at, m.order));
            messages = all
                .into_iter()
                .map(|m| CaseMessage {
                    at: m.at,
                    direction: if m.direction == StoredDirection::In {
                        Direction::Incoming
                    } else {
                        Direction::Outgoing
                    },
                    text: m.text.to_zeroizing(),
                })
                .collect();
        }
        Ok(CaseDetail {
            summary,
            adults: request.map(|r| u32::from(r.adults())).unwrap_or(0),
            children: request.map(|r| u32::from(r.children())).unwrap_or(0),
            household: request
                .map(|r| r.household().to_owned())
                .unwrap_or_default(),
            languages: request.map(|r| r.languages().to_vec()).unwrap_or_default(),
            safe_contact: request
                .map(|r| r.safe_contact().to_owned())
                .unwrap_or_default(),
            note: request.map(|r| r.note().to_owned()).unwrap_or_default(),
            history,
            notes,
            vouches,
            messages,
        })
    }

    /// Signs one event on a case, stores it, audits it and fans it out to the team.
    async fn case_act<F>(&self, id: &str, action: Action, make: F) -> Result<CaseSummary>
    where
        F: FnOnce(&Case, &Roster, &Identity, u64) -> Result<EventBody>,
    {
        let _op = self.op.lock().await;
        let summary = {
            let _guard = self.lock()?;
            let (mut org, roster, me) = self.case_team_state()?;
            let (mut record, mut case) = self.find_case(id)?;
            let identity = self.org_identity()?;
            let now = coarse(self.now()).max(case.state().updated_at());
            let body = make(&case, &roster, &identity, now)?;
            let before = case.state().assignee().copied();
            let event = case
                .author(&identity, &roster, now, body)
                .map_err(case_err)?;
            if record.counted {
                record.counted = false;
                org.standing_admitted = org.standing_admitted.saturating_sub(1);
                self.save_org(&org)?;
            }
            self.finish_case_update(&roster, &case, &mut record)?;
            self.audit_append(case.id(), action, Some(event.hash()))?;
            let after = case.state().assignee().copied();
            let extra = if before != after { before } else { None };
            self.fanout_case(&roster, &case, extra, None)?;
            Self::summary_of(&record, &case, &roster, &me)
        };
        let _ = self.flush_outbox().await?;
        self.at_rest(false)?;
        Ok(summary)
    }

    /// Coordinator: assigns the case to a caseworker. The `assigned` event goes to the
    /// team (the new and the old assignee included); the new assignee's device then
    /// introduces itself to the requester through whoever holds the requester's session.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::UnknownMember`],
    /// [`ClientError::Case`] (not a caseworker, not permitted), [`ClientError::Storage`].
    pub async fn case_assign(&self, id: &str, member_alias: &str) -> Result<CaseSummary> {
        let wanted = member_alias.trim().to_lowercase();
        self.case_act(id, Action::Assigned, |_, roster, _, _| {
            let key = *roster
                .current()
                .members()
                .find(|m| m.alias().to_lowercase() == wanted)
                .ok_or(ClientError::UnknownMember)?
                .key();
            Ok(EventBody::Assigned { caseworker: key })
        })
        .await
    }

    /// Moves the case to `status` with a reason (may be empty).
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`] (lifecycle, e.g. verified
    /// without a vouch; not permitted), [`ClientError::InvalidField`] (reason),
    /// [`ClientError::Storage`].
    pub async fn case_set_status(
        &self,
        id: &str,
        status: Status,
        reason: &str,
    ) -> Result<CaseSummary> {
        let reason = reason.to_owned();
        self.case_act(id, Action::StatusChanged(status), move |_, _, _, _| {
            Ok(EventBody::StatusChanged { to: status, reason })
        })
        .await
    }

    /// Adds a note to the case, for the team.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`], [`ClientError::InvalidField`],
    /// [`ClientError::Storage`].
    pub async fn case_note(&self, id: &str, text: &str) -> Result<CaseSummary> {
        let text = text.to_owned();
        self.case_act(id, Action::Noted, move |_, _, _, _| {
            Ok(EventBody::Noted { text })
        })
        .await
    }

    /// Sends text to the requester, from the device holding the requester's session (the
    /// assignee once the introduction is done, else the coordinator who opened the case).
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::NotPermitted`] (this device does not
    /// hold the requester's session), [`ClientError::InvalidMessage`],
    /// [`ClientError::Storage`].
    pub async fn case_send(&self, id: &str, text: &str) -> Result<SendOutcome> {
        self.case_team_state()?;
        let (record, case) = self.find_case(id)?;
        let desk = record.desk.ok_or(ClientError::NotPermitted(
            "this device does not hold the requester's session for this case",
        ))?;
        let label = self
            .contact_by_id(desk)?
            .ok_or(ClientError::NotPermitted(
                "this device does not hold the requester's session for this case",
            ))?
            .label;
        let outcome = self.send(&label, text).await?;
        {
            let _guard = self.lock()?;
            self.audit_append(case.id(), Action::Messaged, None)?;
        }
        Ok(outcome)
    }

    /// Closes the case: the team schedules its purge at the close plus the roster's
    /// retention, and the desk holder tells the requester (whose device does the same).
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`] (only from arrived, declined or
    /// withdrawn), [`ClientError::Storage`].
    pub async fn case_close(&self, id: &str) -> Result<CaseSummary> {
        self.case_set_status(id, Status::Closed, "").await
    }

    /// Vouches for the requester at `tier`; `valid_secs` defaults to 90 days.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`], [`ClientError::InvalidField`],
    /// [`ClientError::Storage`].
    pub async fn case_vouch(
        &self,
        id: &str,
        tier: Tier,
        note: &str,
        valid_secs: Option<u64>,
    ) -> Result<CaseSummary> {
        let note = note.to_owned();
        let valid = valid_secs.unwrap_or(DEFAULT_VOUCH_SECS);
        self.case_act(id, Action::Vouched(tier), move |case, _, identity, now| {
            let vouch = Vouch::issue(
                identity,
                case.state().org(),
                case.id(),
                *case.state().requester(),
                tier,
                &note,
                now,
                now.saturating_add(valid),
            )
            .map_err(|e| case_err(CaseError::Vouch(e)))?;
            Ok(EventBody::Vouched { vouch })
        })
        .await
    }

    /// The role given in a membership code, without joining (for a front end to show).
    ///
    /// # Errors
    /// [`ClientError::InvalidInvitation`].
    pub fn org_code_role(code: &str) -> Result<Role> {
        let rest = code
            .trim()
            .strip_prefix(ORG_CODE_PREFIX)
            .ok_or(ClientError::InvalidInvitation)?;
        let role = rest
            .split('.')
            .nth(1)
            .ok_or(ClientError::InvalidInvitation)?;
        let _ = role_from;
        role.parse().map_err(|_| ClientError::InvalidInvitation)
    }
}
