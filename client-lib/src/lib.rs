//! Corridor client library.
//!
//! Layers, each calling only the ones above it in this list:
//!
//! 1. [`primitives`]: typed wrappers over the audited cryptographic crates.
//! 2. [`protocol`]: identities, prekey bundles, the hybrid X3DH handshake, the Double
//!    Ratchet with encrypted headers, fixed-size sealed envelopes, invitations. No I/O, no
//!    clock, no randomness of its own.
//! 3. [`store`]: the encrypted local profile.
//! 4. [`transport`]: the relay client.
//! 5. [`coordination`]: the evacuation domain's pure core (roster, intake, cases, vouches,
//!    audit), carried inside the encryption (`docs/coordination.md`).
//! 6. [`client`]: the [`Client`] façade partner organizations embed (`docs/library.md`).
#![forbid(unsafe_code)]

pub mod client;
pub mod coordination;
pub mod primitives;
pub mod protocol;
pub mod store;
pub mod transport;
pub use client::{Client, ClientError};
