//! The slice of `corridor_client` the CLI uses, in one place so that every command names
//! the same types.

pub(crate) use corridor_client::client::{
    Client, ClientError, ContactSummary, CreateOptions, Direction, Event, InvitationKind,
    KdfChoice, MAX_INVITATION_SECS, MAX_TEXT_BYTES, MessageKind, MessageView, NetTimeouts,
    OpenOptions, Passphrase, SendOutcome,
};
