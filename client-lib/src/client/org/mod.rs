//! The organization/case façade on [`Client`]: membership (roster, certificates), intake,
//! cases, the audit log and retention, over the pure core in [`crate::coordination`].
//!
//! `docs/library.md` ("Organizations and cases") walks through the flows and
//! `docs/coordination.md` specifies the messages.

mod types;

pub use types::{
    AuditReport, AuditView, CaseDetail, CaseFilter, CaseMessage, CaseSummary, HistoryEntry,
    MemberView, NoteView, OrgInvitation, OrgSyncReport, OrgView, RequestView, VouchView,
};

use super::{Client, ClientError, Result, SendOutcome};
use crate::coordination::{IntakeForm, Role, Status, Tier};

impl Client {
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
        let _ = (name, my_alias, retention_secs);
        Err(ClientError::Internal)
    }

    /// The organization this profile belongs to, or `None`.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn org(&self) -> Result<Option<OrgView>> {
        Ok(None)
    }

    /// Coordinator only: a one-time invitation into the organization carrying the role,
    /// the alias (the coordinator chooses aliases) and the genesis fingerprint.
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
        let _ = (role, alias, valid_secs);
        Err(ClientError::NoOrganization)
    }

    /// Joins with a code from [`Client::org_invite`]. The membership is complete
    /// ([`OrgView::joined`]) after the coordinator's next sync and then this profile's.
    ///
    /// # Errors
    /// [`ClientError::OrgExists`], [`ClientError::InvalidInvitation`], the errors of
    /// [`Client::accept_invitation`].
    pub async fn org_join(&self, code: &str) -> Result<OrgView> {
        let _ = code;
        Err(ClientError::InvalidInvitation)
    }

    /// Coordinators and caseworkers: every current member. Hosts and travel helpers: only
    /// themselves (they hold no roster).
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::Storage`].
    pub fn org_members(&self) -> Result<Vec<MemberView>> {
        Err(ClientError::NoOrganization)
    }

    /// Coordinator only: a new epoch without that member, fanned out at once (or queued).
    /// The member receives nothing from this epoch on.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`],
    /// [`ClientError::UnknownMember`], [`ClientError::Roster`] (e.g. the last coordinator),
    /// [`ClientError::Storage`].
    pub async fn org_remove(&self, alias: &str) -> Result<OrgView> {
        let _ = alias;
        Err(ClientError::NoOrganization)
    }

    /// Coordinator only: the standing intake code (made on the first call, the same code
    /// after).
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`], the errors of
    /// [`Client::create_invitation`].
    pub async fn org_intake(&self) -> Result<OrgInvitation> {
        Err(ClientError::NoOrganization)
    }

    /// Coordinator or caseworker: a one-time intake code for a referrer to pass on; the
    /// case that arrives through it records `referrer` (an alias, local to the team).
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`],
    /// [`ClientError::InvalidField`], the errors of [`Client::create_invitation`].
    pub async fn org_referral_invite(
        &self,
        referrer: Option<&str>,
        valid_secs: u64,
    ) -> Result<OrgInvitation> {
        let _ = (referrer, valid_secs);
        Err(ClientError::NoOrganization)
    }

    /// Accepts an intake or referral code with a fresh identity made for this request,
    /// and sends the form over the new session (queued if the relay is unreachable).
    /// Replies arrive as ordinary messages from contact [`RequestView::desk`].
    ///
    /// # Errors
    /// [`ClientError::InvalidField`] (the form), [`ClientError::InvalidInvitation`], the
    /// errors of [`Client::accept_invitation`].
    pub async fn request_help(&self, code: &str, form: &IntakeForm) -> Result<RequestView> {
        let _ = (code, form);
        Err(ClientError::InvalidInvitation)
    }

    /// The requests for help this profile sent, oldest first.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn requests(&self) -> Result<Vec<RequestView>> {
        Ok(Vec::new())
    }

    /// The cases on this device (coordinators: every case; a caseworker: those assigned
    /// to it), newest first.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::NotPermitted`] (hosts, travel
    /// helpers), [`ClientError::Storage`].
    pub fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let _ = filter;
        Err(ClientError::NoOrganization)
    }

    /// One case. `id`: the short form or a prefix of at least 4 characters.
    ///
    /// # Errors
    /// [`ClientError::AmbiguousCase`], [`ClientError::UnknownCase`] (none, or not on this
    /// device), [`ClientError::NoOrganization`], [`ClientError::Storage`].
    pub fn case(&self, id: &str) -> Result<CaseDetail> {
        let _ = id;
        Err(ClientError::NoOrganization)
    }

    /// Assigns the case to a caseworker: an `assigned` event to the team, then the
    /// introduction of the requester to the new assignee.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::UnknownMember`],
    /// [`ClientError::Case`], [`ClientError::NotPermitted`], [`ClientError::Storage`].
    pub async fn case_assign(&self, id: &str, member_alias: &str) -> Result<CaseSummary> {
        let _ = (id, member_alias);
        Err(ClientError::NoOrganization)
    }

    /// Moves the case to `status` with a reason.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`] (lifecycle, e.g. verified
    /// without a vouch), [`ClientError::InvalidField`] (reason), [`ClientError::Storage`].
    pub async fn case_set_status(
        &self,
        id: &str,
        status: Status,
        reason: &str,
    ) -> Result<CaseSummary> {
        let _ = (id, status, reason);
        Err(ClientError::NoOrganization)
    }

    /// Adds a note to the case, fanned out to the team.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`], [`ClientError::InvalidField`],
    /// [`ClientError::Storage`].
    pub async fn case_note(&self, id: &str, text: &str) -> Result<CaseSummary> {
        let _ = (id, text);
        Err(ClientError::NoOrganization)
    }

    /// Sends text to the requester, from whoever holds the requester's session (the
    /// assignee once the introduction is done, else the coordinator who opened the case).
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::NotPermitted`] (this device does not
    /// hold the requester's session), [`ClientError::InvalidMessage`],
    /// [`ClientError::Storage`].
    pub async fn case_send(&self, id: &str, text: &str) -> Result<SendOutcome> {
        let _ = (id, text);
        Err(ClientError::NoOrganization)
    }

    /// Closes the case: the team schedules its purge at the close + the roster's
    /// retention, and the requester is told.
    ///
    /// # Errors
    /// [`ClientError::UnknownCase`], [`ClientError::Case`], [`ClientError::Storage`].
    pub async fn case_close(&self, id: &str) -> Result<CaseSummary> {
        let _ = id;
        Err(ClientError::NoOrganization)
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
        let _ = (id, tier, note, valid_secs);
        Err(ClientError::NoOrganization)
    }

    /// This member's audit log, oldest first.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::Storage`].
    pub fn audit(&self) -> Result<Vec<AuditView>> {
        Err(ClientError::NoOrganization)
    }

    /// Verifies the audit log's hash chain against its stored checkpoint.
    ///
    /// # Errors
    /// [`ClientError::AuditBroken`] when the chain is broken,
    /// [`ClientError::NoOrganization`], [`ClientError::Storage`].
    pub fn audit_verify(&self) -> Result<AuditReport> {
        Err(ClientError::NoOrganization)
    }
}
