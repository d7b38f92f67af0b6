//! The protocol core: pure functions of their inputs (no I/O, no clock, no randomness of
//! its own). `docs/protocol.md` specifies every byte layout, constant and KDF label here.
//!
//! - [`identity`]: long-term identities, fingerprints, safety numbers.
//! - [`bundle`]: signed prekeys and the bundle published to the relay.
//! - [`handshake`]: the hybrid (X25519 + ML-KEM-768) X3DH and the sealed initial envelope.
//! - [`invitation`]: the short text code that starts a relationship.
//! - [`ratchet`]: the Double Ratchet with encrypted headers.
//! - [`envelope`]: fixed-size envelopes.
//! - [`pickle`]: versioned, encrypted serialization of secret state for the store.
//! - [`codec`]: the fixed-layout byte reader/writer the formats share.

pub mod bundle;
pub mod codec;
pub mod envelope;
pub mod handshake;
pub mod identity;
pub mod invitation;
pub mod pickle;
pub mod ratchet;
