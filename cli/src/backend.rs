//! The slice of `corridor_client` the CLI uses, in one place so that every command names
//! the same types.

pub(crate) use corridor_client::client::{
    CaseDetail, CaseFilter, CaseSummary, Client, ClientError, ContactSummary, CreateOptions,
    Direction, Event, InvitationKind, KdfChoice, MAX_INVITATION_SECS, MAX_TEXT_BYTES, MemberView,
    MessageKind, MessageView, NetTimeouts, OpenOptions, OrgInvitation, OrgSyncReport, OrgView,
    Passphrase, RequestView, SendOutcome,
};
pub(crate) use corridor_client::coordination::intake::parse_languages;
pub(crate) use corridor_client::coordination::{
    Field, FieldError, IntakeForm, IntakeRequest, Need, Needs, Role, Status, Tier, Urgency,
};
