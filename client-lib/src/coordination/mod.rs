//! The coordination domain's pure core: typed, versioned messages and the state machines
//! the case team runs over them. No I/O, no clock, no randomness of its own: time (Unix
//! seconds) and randomness are arguments. `docs/coordination.md` specifies the formats
//! and the rules.
//!
//! One file per concern:
//!
//! - [`encoding`]: the shared layout (version, kind), the text checks, [`DecodeError`]
//!   and [`FieldError`].
//! - [`ids`]: organization and case ids (the case's short form), epoch and event hashes.
//! - [`role`]: roles and the authority table (who may sign what).
//! - [`roster`]: the hash-chained, signed roster and its state machine [`Roster::apply`].
//! - [`certificate`]: membership certificates for hosts and travel helpers.
//! - [`intake`]: the intake request form and its field checks.
//! - [`vouch`]: verification tiers and signed, scoped, expiring vouches.
//! - [`lifecycle`]: case statuses and the allowed transitions.
//! - [`event`]: signed case events in a hash-linked DAG.
//! - [`case`]: the case replica (acceptance and the deterministic merge).
//! - [`audit`]: each member's hash-chained audit log.
//! - [`message`]: the typed organization messages members, coordinators and requesters
//!   exchange over their sessions.
//! - [`offer`]: signed shelter and travel offers and the book of them.
//! - [`vetting`]: coordinators' signed vetting records on hosts and travel helpers.
//! - [`matching`]: ranking offers for a case, with reasons.
//! - [`checkin`]: check-in codes, schedules, escalation and alerts.
//! - [`consent`]: the requester's signed consent to a transfer or referral, and overrides.

pub mod audit;
pub mod case;
pub mod certificate;
pub mod checkin;
pub mod consent;
pub mod encoding;
pub mod event;
pub mod ids;
pub mod intake;
pub mod lifecycle;
pub mod matching;
pub mod message;
pub mod offer;
pub mod role;
pub mod roster;
pub mod vetting;
pub mod vouch;

pub use audit::{Action, AuditEntry, AuditError, AuditLog, Checkpoint};
pub use case::{Applied, Case, CaseError, CaseState, Note};
pub use certificate::{CertificateError, MembershipCertificate};
pub use checkin::{
    Alert, AlertBook, AlertId, AlertKind, CheckinCode, CheckinCodes, CheckinKind, Escalation,
    Schedule,
};
pub use consent::{
    Authority, CaseField, CaseFields, Consent, ConsentAsk, ConsentError, ConsentOverride, Purpose,
};
pub use encoding::{DecodeError, Field, FieldError};
pub use event::{CaseEvent, EventBody, EventHeader};
pub use ids::{CaseId, EpochHash, EventHash, OrgId};
pub use intake::{IntakeForm, IntakeRequest, Need, Needs, Urgency};
pub use lifecycle::Status;
pub use matching::{Candidate, Exclusion, Exclusions, MatchReport, Seeker};
pub use message::OrgMessage;
pub use offer::{
    Day, HouseRule, HouseRules, Offer, OfferBody, OfferBook, OfferChange, OfferError, OfferId,
    OfferTerms, Provision, Provisions,
};
pub use role::{CaseAction, Role};
pub use roster::{Member, Referrer, Roster, RosterChange, RosterDraft, RosterEpoch, RosterError};
pub use vetting::{Vetting, VettingError, VettingKind};
pub use vouch::{Tier, Vouch, VouchError};
