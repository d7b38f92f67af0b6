//! The relay's wire contract, shared by `corridor-relay` and `corridor-client`.
//!
//! This crate holds only what both sides must agree on byte for byte:
//!
//! - the JSON request and response bodies of the `/v1` API ([`api`]);
//! - the fixed envelope block size ([`ENVELOPE_SIZE`]);
//! - the transcript a mailbox owner signs to fetch, acknowledge or destroy, and the
//!   check the relay applies to it ([`auth`]);
//! - the proof-of-work that gates mailbox creation ([`pow`]).
//!
//! It holds no secret keys: signing happens in `corridor-client`, verification in the
//! relay through [`auth::verify`]. Binary values travel as unpadded base64url strings
//! ([`b64`]).
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod b64;
pub mod pow;

/// Size in bytes of every envelope the relay stores and hands out.
///
/// Every envelope on the wire has exactly this size, so neither the relay nor an observer
/// learns the kind or length of a message. Longer payloads are split into several envelopes
/// by the client. `docs/protocol.md` gives the reasons for 4 KiB.
pub const ENVELOPE_SIZE: usize = 4096;

/// Length in bytes of a mailbox read id, a mailbox deposit id and a bundle id.
pub const ID_LEN: usize = 16;

/// Length in bytes of a deposit credential.
pub const CREDENTIAL_LEN: usize = 32;

/// Length in bytes of the random nonce in a signed request.
pub const NONCE_LEN: usize = 16;

/// The API version prefix every endpoint lives under.
pub const API_PREFIX: &str = "/v1";
