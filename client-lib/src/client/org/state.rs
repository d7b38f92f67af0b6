//! The organization's records in the encrypted store, and the helpers that load them.
//!
//! Trees (`docs/store.md`): `client/org` (the one organization record), `client/cases`
//! (one record per case held, keyed by the case id: its accepted events, each once, in
//! the merge order), `client/requests` (a requester's own requests), `client/org-inbox`
//! (organization messages received and persisted before their acknowledgement, processed
//! later in the same sync), `client/audit` (this member's audit entries and, in a record
//! of its own, the checkpoint).

use super::super::db::Tree;
use super::super::records::{ContactRecord, NamedIdentityRecord};
use super::super::{Client, ClientError, Result, named_identity_key};
use crate::coordination::{Case, CaseEvent, CaseId, Role, Roster, RosterEpoch};
use crate::primitives::ed25519::VerifyingKey;
use crate::protocol::identity::{Identity, PublicIdentity};
use corridor_wire::b64::Blob;
use serde::{Deserialize, Serialize};

/// The named identity a member uses on the roster and with other members.
pub(crate) const ORG_IDENTITY: &str = "org";
/// The key of the organization record in `Tree::Org`.
const ORG_KEY: &[u8] = b"state";

/// A membership invitation this coordinator issued and that has not been used yet.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PendingMember {
    pub(crate) invitation: u64,
    pub(crate) role: u8,
    pub(crate) alias: String,
}

/// A referral (one-time intake) code this member issued.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Referral {
    pub(crate) invitation: u64,
    pub(crate) referrer: Option<String>,
}

/// The standing intake address.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct StandingIntake {
    pub(crate) invitation: u64,
    pub(crate) code: String,
    pub(crate) expires_at: u64,
}

/// The organization as this profile holds it.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct OrgRecord {
    /// `None` while a join waits for the welcome.
    pub(crate) org: Option<[u8; 16]>,
    pub(crate) name: String,
    pub(crate) role: u8,
    pub(crate) alias: String,
    /// The genesis hash: made here (founder) or pinned by the invitation (joiner).
    pub(crate) genesis: [u8; 32],
    /// The whole chain (coordinators and caseworkers), canonical encodings.
    pub(crate) chain: Vec<Blob>,
    /// A host's or travel helper's certificate.
    pub(crate) certificate: Option<Blob>,
    /// The epoch number held (for hosts: as last told).
    pub(crate) epoch: u64,
    pub(crate) joined: bool,
    /// The organization's relays (from the roster, or the founder's relays).
    pub(crate) relays: Vec<String>,
    pub(crate) retention_secs: u64,
    /// The joiner's contact with the coordinator who invited it.
    pub(crate) inviter: Option<u64>,
    pub(crate) pending: Vec<PendingMember>,
    pub(crate) referrals: Vec<Referral>,
    pub(crate) standing: Option<StandingIntake>,
    /// Requests refused at the standing address (flood), ever.
    pub(crate) intake_refused: u64,
    /// People admitted through the standing address whose case is still untouched (or
    /// not opened yet): what the flood cap counts.
    pub(crate) standing_admitted: u32,
    /// Hashes of introductions already passed on (dedupe, never sent back).
    pub(crate) seen: Vec<[u8; 32]>,
}

impl OrgRecord {
    pub(crate) fn role(&self) -> Result<Role> {
        role_from(self.role)
    }
}

pub(crate) fn role_from(byte: u8) -> Result<Role> {
    Role::ALL
        .into_iter()
        .find(|r| *r as u8 == byte)
        .ok_or(ClientError::Storage)
}

/// One case this device holds.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct CaseRecord {
    pub(crate) id: [u8; 16],
    /// Accepted events, each once, in the merge order (restored with `Case::restore`).
    pub(crate) events: Vec<Blob>,
    /// The contact holding the requester's session on this device, if it is here.
    pub(crate) desk: Option<u64>,
    pub(crate) via_standing: bool,
    /// Counted in `OrgRecord::standing_admitted` (untouched and from the standing address).
    pub(crate) counted: bool,
    pub(crate) referrer: Option<String>,
    pub(crate) purge_at: Option<u64>,
    /// The assignee's one-time invitation for the requester.
    pub(crate) intro_invitation: Option<u64>,
    /// This device is the assignee and must make that invitation.
    pub(crate) need_intro: bool,
    /// The requester was told the case is closed.
    pub(crate) closed_told: bool,
    /// An earlier assignee: purge once the requester is passed on.
    pub(crate) leaving: bool,
}

/// One request for help this profile sent.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct RequestRecord {
    pub(crate) id: u64,
    pub(crate) alias: String,
    pub(crate) sent_at: u64,
    pub(crate) contact: u64,
    pub(crate) identity_name: String,
    pub(crate) closed: bool,
    pub(crate) purge_at: Option<u64>,
    /// A code to move to (the new assignee's), not accepted yet.
    pub(crate) handover: Option<String>,
}

/// An organization message persisted before its acknowledgement.
#[derive(Serialize, Deserialize)]
pub(crate) struct InboxItem {
    pub(crate) contact: u64,
    pub(crate) msg: Blob,
}

impl Client {
    pub(crate) fn org_record(&self) -> Result<Option<OrgRecord>> {
        self.db.get(Tree::Org, ORG_KEY)
    }

    pub(crate) fn org_required(&self) -> Result<OrgRecord> {
        self.org_record()?.ok_or(ClientError::NoOrganization)
    }

    pub(crate) fn save_org(&self, record: &OrgRecord) -> Result<()> {
        self.db.put(Tree::Org, ORG_KEY, record, None)
    }

    /// This profile's organization identity (it must exist: made at create or join).
    pub(crate) fn org_identity(&self) -> Result<Identity> {
        let record: NamedIdentityRecord = self
            .db
            .get(Tree::Meta, &named_identity_key(ORG_IDENTITY))?
            .ok_or(ClientError::NoOrganization)?;
        Ok(self.keys_of(&record.identity)?.identity)
    }

    pub(crate) fn org_key(&self) -> Result<VerifyingKey> {
        Ok(*self.org_identity()?.public().signing_key())
    }

    /// The roster held (coordinators and caseworkers), replayed from the stored chain.
    pub(crate) fn org_roster(&self, record: &OrgRecord) -> Result<Option<Roster>> {
        if record.chain.is_empty() {
            return Ok(None);
        }
        let chain = record
            .chain
            .iter()
            .map(|b| RosterEpoch::decode(b.as_bytes()).map_err(|_| ClientError::Storage))
            .collect::<Result<Vec<_>>>()?;
        Roster::from_chain(&chain)
            .map(Some)
            .map_err(|_| ClientError::Storage)
    }

    pub(crate) fn case_records(&self) -> Result<Vec<CaseRecord>> {
        Ok(self
            .db
            .all::<CaseRecord>(Tree::Cases)?
            .into_iter()
            .map(|(_, c)| c)
            .collect())
    }

    pub(crate) fn case_record(&self, id: &CaseId) -> Result<Option<CaseRecord>> {
        self.db.get(Tree::Cases, &id.0)
    }

    pub(crate) fn save_case(&self, record: &CaseRecord) -> Result<()> {
        self.db.put(Tree::Cases, &record.id, record, None)
    }

    pub(crate) fn delete_case(&self, id: &[u8; 16]) -> Result<()> {
        self.db.remove(Tree::Cases, id)
    }

    pub(crate) fn request_records(&self) -> Result<Vec<RequestRecord>> {
        Ok(self
            .db
            .all::<RequestRecord>(Tree::Requests)?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    pub(crate) fn save_request(&self, record: &RequestRecord) -> Result<()> {
        self.db
            .put(Tree::Requests, &record.id.to_be_bytes(), record, None)
    }
}

/// A case replica from its record.
pub(crate) fn case_of(record: &CaseRecord) -> Result<Case> {
    let events = record
        .events
        .iter()
        .map(|b| CaseEvent::decode(b.as_bytes()).map_err(|_| ClientError::Storage))
        .collect::<Result<Vec<_>>>()?;
    Case::restore(events).map_err(|_| ClientError::Storage)
}

/// The case's events as stored: each once, in the merge order.
pub(crate) fn events_of(case: &Case) -> Result<Vec<Blob>> {
    case.events_in_order()
        .into_iter()
        .map(|e| {
            e.encode()
                .map(Blob::from)
                .map_err(|_| ClientError::Internal)
        })
        .collect()
}

/// The organization key of a member contact (its peer identity's signing key).
pub(crate) fn peer_key(contact: &ContactRecord) -> Option<VerifyingKey> {
    PublicIdentity::decode(contact.peer_identity.as_bytes())
        .ok()
        .map(|p| *p.signing_key())
}

/// The peer's whole public identity.
pub(crate) fn peer_identity(contact: &ContactRecord) -> Result<PublicIdentity> {
    PublicIdentity::decode(contact.peer_identity.as_bytes()).map_err(|_| ClientError::Storage)
}

/// A short display form of the genesis hash: what people compare.
pub(crate) fn fingerprint(genesis: &[u8; 32]) -> String {
    let hex: String = genesis.iter().take(8).map(|b| format!("{b:02x}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
