//! The slice of `corridor_client` the CLI uses, in one place so that every command names
//! the same types.

pub(crate) use corridor_client::client::{
    Client, ClientError, CreateOptions, Direction, Event, InvitationKind, KdfChoice,
    MAX_INVITATION_SECS, MessageKind, MessageView, OpenOptions, Passphrase, SendOutcome,
};
