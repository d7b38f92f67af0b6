//! The one error type of the primitives layer.

/// A cryptographic operation failed.
///
/// The variants say what kind of failure happened and never carry key material, plaintext
/// or the input that was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Authenticated decryption failed. Every cause (wrong key, wrong nonce, altered
    /// ciphertext, altered associated data, truncated input) is this one variant, so that
    /// an attacker learns nothing from which check failed.
    #[error("decryption failed")]
    Decrypt,
    /// A signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// A public key is not a valid encoding, or is a weak (small-order) key.
    #[error("invalid key")]
    BadKey,
    /// A Diffie-Hellman result did not depend on our secret key (low-order peer point).
    #[error("non-contributory key exchange")]
    NonContributory,
    /// The random number generator failed.
    #[error("random number generator failed")]
    Rng,
    /// An input or output had the wrong length.
    #[error("wrong length")]
    Length,
}
