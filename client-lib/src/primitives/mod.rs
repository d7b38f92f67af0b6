//! Typed wrappers over the cryptographic crates.
