//! The organization/case façade on [`Client`](super::Client): membership (roster, certificates), intake,
//! cases, the audit log and retention, over the pure core in [`crate::coordination`].
//!
//! `docs/library.md` ("Organizations and cases") walks through the flows and
//! `docs/coordination.md` specifies the messages.

mod audit;
#[cfg(feature = "insecure-fast-kdf")]
mod debug;
mod engine;
mod facade;
mod state;
mod types;

pub use engine::MAX_UNTOUCHED_STANDING;
pub use facade::{INTAKE_CODE_PREFIX, ORG_CODE_PREFIX};
pub(crate) use state::ORG_IDENTITY;
pub use types::{
    AuditReport, AuditView, CaseDetail, CaseFilter, CaseMessage, CaseSummary, HistoryEntry,
    MemberView, NoteView, OrgInvitation, OrgSyncReport, OrgView, RequestView, VouchView,
};
