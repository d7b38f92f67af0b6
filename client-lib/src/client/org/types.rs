//! The plain data types of the organization/case façade on [`Client`](crate::client::Client).
//!
//! Every view that holds an alias, a text, a region, a household or a note has a redacted
//! `Debug`: it prints the kind of record and its non-identifying fields only.

use crate::client::Direction;
use crate::coordination::{CaseId, Need, Role, Status, Tier, Urgency};
use std::fmt;

/// The organization this profile belongs to (one per profile in this version).
#[derive(Clone, PartialEq, Eq)]
pub struct OrgView {
    /// The organization's name: local only, never sent to a relay; members learn it in
    /// the welcome.
    pub name: String,
    /// This profile's role on the roster.
    pub my_role: Role,
    /// This profile's alias on the roster (chosen by the coordinator who invited it).
    pub my_alias: String,
    /// The roster epoch number held.
    pub epoch: u64,
    /// The genesis hash in a short display form: what invitations pin.
    pub fingerprint: String,
    /// The organization's relays (from the roster).
    pub relays: Vec<String>,
    /// How long a closed case is kept before it is purged, in seconds.
    pub retention_secs: u64,
    /// True for coordinators and caseworkers (who hold the whole roster); hosts and travel
    /// helpers hold a membership certificate only.
    pub full_roster: bool,
    /// False while a join waits for the coordinator's answer.
    pub joined: bool,
    /// Requests refused at the standing intake address because too many untouched new
    /// cases came through it (a flood), counted since the organization was created here.
    pub intake_refused: u64,
}

impl fmt::Debug for OrgView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgView")
            .field("my_role", &self.my_role)
            .field("epoch", &self.epoch)
            .field("relays", &self.relays.len())
            .field("retention_secs", &self.retention_secs)
            .field("full_roster", &self.full_roster)
            .field("joined", &self.joined)
            .field("intake_refused", &self.intake_refused)
            .finish_non_exhaustive()
    }
}

/// One member of the organization, as this device knows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The member's alias on the roster.
    pub alias: String,
    /// The member's role.
    pub role: Role,
    /// The fingerprint of the member's organization identity, in display form.
    pub fingerprint: String,
    /// This is this profile.
    pub is_me: bool,
}

impl fmt::Debug for MemberView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberView")
            .field("role", &self.role)
            .field("is_me", &self.is_me)
            .finish_non_exhaustive()
    }
}

/// An invitation into the organization ([`Client::org_invite`](crate::client::Client::org_invite))
/// or to its intake ([`Client::org_intake`](crate::client::Client::org_intake),
/// [`Client::org_referral_invite`](crate::client::Client::org_referral_invite)).
#[derive(Clone, PartialEq, Eq)]
pub struct OrgInvitation {
    /// The code to pass on (`corridor-org1:…` for a membership, `corridor-intake1:…` for an
    /// intake or referral code).
    pub code: String,
    /// The local id of the underlying invitation (as in
    /// [`InvitationSummary::id`](crate::client::InvitationSummary::id)).
    pub id: u64,
    /// The role it grants; `None` for intake and referral codes.
    pub role: Option<Role>,
    /// Unix seconds after which it is refused.
    pub expires_at: u64,
}

impl fmt::Debug for OrgInvitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgInvitation")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One request for help this profile sent ([`Client::request_help`](crate::client::Client::request_help)).
#[derive(Clone, PartialEq, Eq)]
pub struct RequestView {
    /// A local short id of the request.
    pub id: String,
    /// The alias the request was sent under.
    pub alias: String,
    /// When it was sent (Unix seconds, to the minute).
    pub sent_at: u64,
    /// The contact label of whoever answers (replies arrive from it in `inbox`).
    pub desk: String,
    /// The organization closed the case.
    pub closed: bool,
    /// When this device deletes the request, its contact and the conversation.
    pub purge_at: Option<u64>,
}

impl fmt::Debug for RequestView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestView")
            .field("sent_at", &self.sent_at)
            .field("closed", &self.closed)
            .field("purge_at", &self.purge_at)
            .finish_non_exhaustive()
    }
}

/// Which cases [`Client::cases`](crate::client::Client::cases) lists. The default lists all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaseFilter {
    /// Only cases in this status.
    pub status: Option<Status>,
    /// Only cases assigned to this profile.
    pub mine: bool,
}

/// One case, as listed.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// The case id.
    pub id: CaseId,
    /// Its short form (what people type).
    pub short: String,
    /// Its status.
    pub status: Status,
    /// The verified tier, if any.
    pub tier: Option<Tier>,
    /// The requester's alias.
    pub alias: String,
    /// The region the requester gave.
    pub region: String,
    /// How many people the request is for.
    pub people: u32,
    /// The urgency the requester gave.
    pub urgency: Urgency,
    /// What the requester needs.
    pub needs: Vec<Need>,
    /// The assignee's alias, if assigned.
    pub assignee: Option<String>,
    /// Assigned to this profile.
    pub mine: bool,
    /// When the case was opened (Unix seconds).
    pub opened_at: u64,
    /// The time of its latest event.
    pub updated_at: u64,
    /// The referrer's alias, when it came through a referral code.
    pub referrer: Option<String>,
}

impl fmt::Debug for CaseSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseSummary")
            .field("status", &self.status)
            .field("tier", &self.tier)
            .field("mine", &self.mine)
            .field("opened_at", &self.opened_at)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// One event of a case's history, in words.
#[derive(Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The event's time (Unix seconds).
    pub at: u64,
    /// The author's alias.
    pub author: String,
    /// What happened, e.g. `assigned to ana`, `status verified`.
    pub what: String,
    /// A concurrent event the merge ordered out (it does not count).
    pub superseded: bool,
}

impl fmt::Debug for HistoryEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryEntry")
            .field("at", &self.at)
            .field("superseded", &self.superseded)
            .finish_non_exhaustive()
    }
}

/// One case note.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteView {
    /// When it was written (Unix seconds).
    pub at: u64,
    /// The author's alias.
    pub author: String,
    /// The text, zeroized when the view is dropped.
    pub text: zeroize::Zeroizing<String>,
}

impl fmt::Debug for NoteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteView")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// One vouch on a case.
#[derive(Clone, PartialEq, Eq)]
pub struct VouchView {
    /// The tier vouched for.
    pub tier: Tier,
    /// The signer's alias.
    pub by: String,
    /// Unix seconds after which it no longer counts.
    pub valid_until: u64,
    /// The signer's note.
    pub note: String,
}

impl fmt::Debug for VouchView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VouchView")
            .field("tier", &self.tier)
            .field("valid_until", &self.valid_until)
            .finish_non_exhaustive()
    }
}

/// One message with the requester, held by the desk holder's device.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseMessage {
    /// When it was sent or received (Unix seconds, to the minute).
    pub at: u64,
    /// From the requester (`Incoming`) or to them.
    pub direction: Direction,
    /// The text, zeroized when the view is dropped.
    pub text: zeroize::Zeroizing<String>,
}

impl fmt::Debug for CaseMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseMessage")
            .field("at", &self.at)
            .field("direction", &self.direction)
            .finish_non_exhaustive()
    }
}

/// Everything this device holds of one case.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseDetail {
    /// The summary.
    pub summary: CaseSummary,
    /// Adults in the request.
    pub adults: u32,
    /// Children in the request.
    pub children: u32,
    /// The household description.
    pub household: String,
    /// Languages the requester speaks.
    pub languages: Vec<String>,
    /// How to reach the requester safely.
    pub safe_contact: String,
    /// The requester's free-text note.
    pub note: String,
    /// Every event, in the merge order.
    pub history: Vec<HistoryEntry>,
    /// Notes, oldest first.
    pub notes: Vec<NoteView>,
    /// Vouches.
    pub vouches: Vec<VouchView>,
    /// The conversation with the requester on this device (the desk holder's).
    pub messages: Vec<CaseMessage>,
}

impl fmt::Debug for CaseDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseDetail")
            .field("summary", &self.summary)
            .field("history", &self.history.len())
            .field("notes", &self.notes.len())
            .field("vouches", &self.vouches.len())
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

/// One entry of this member's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    /// Its sequence number.
    pub seq: u64,
    /// When (Unix seconds).
    pub at: u64,
    /// The case's short id.
    pub case: String,
    /// The action, e.g. `assigned`, `note`, `purged`.
    pub action: String,
}

/// The outcome of [`Client::audit_verify`](crate::client::Client::audit_verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// How many entries the log holds.
    pub entries: u64,
    /// The head hash, short hex form.
    pub head: String,
}

/// The organization half of a [`SyncReport`](crate::client::SyncReport).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgSyncReport {
    /// Cases opened on this device (a request arrived, or a coordinator replicated one).
    pub new_cases: usize,
    /// Case events accepted for cases already held.
    pub case_updates: usize,
    /// Roster epochs (or certificates) accepted.
    pub roster_updates: usize,
    /// Requests refused at the standing intake address: a flood past the intake cap.
    pub intake_refused: u32,
    /// Cases (or requests) purged after their retention.
    pub purged_cases: usize,
    /// Organization messages refused (bad signature, no authority, not entitled, bad
    /// lifecycle, malformed); they were dropped and changed nothing.
    pub refused: usize,
}
