//! Typed wrappers over the audited cryptographic crates.
//!
//! Everything above this layer uses these types and never the underlying crates, so that
//! the rules hold in one place:
//!
//! - every secret zeroizes on drop, prints a redacted `Debug` and compares in constant time;
//! - randomness is always an argument (see [`random`]);
//! - a Diffie-Hellman result that does not depend on our secret (an all-zero shared secret
//!   from a low-order point) is an error, not a key;
//! - signatures are verified strictly (no malleable encodings, no weak keys).

pub mod aead;
pub mod ed25519;
pub mod error;
pub mod kdf;
pub mod mlkem;
pub mod passphrase;
pub mod random;
pub mod secret;
pub mod x25519;

pub use error::CryptoError;
pub use secret::Secret;
