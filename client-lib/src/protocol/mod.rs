//! The protocol core: pure functions of their inputs (no I/O, no clock, no randomness of
//! its own).

pub mod envelope;
pub mod ratchet;
