//! Identifiers: the organization, the case, and the hashes that chain epochs and events.

use super::encoding::short_hex;
use crate::primitives::CryptoError;
use crate::primitives::random::{self, TryCryptoRng};
use data_encoding::BASE32_NOPAD;
use std::fmt;

/// An organization's id: 16 random bytes chosen at genesis, named in everything the
/// organization signs so that a signature cannot be moved to another organization.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgId(pub [u8; 16]);

impl OrgId {
    /// A fresh id from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        Ok(Self(random::array(rng)?))
    }
}

impl fmt::Debug for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgId({}..)", short_hex(&self.0))
    }
}

/// A case's id: 16 random bytes. People see the [short form](Self::short).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId(pub [u8; 16]);

impl CaseId {
    /// A fresh id from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        Ok(Self(random::array(rng)?))
    }

    /// The short id people read and type, like Primero's: the first 40 bits in lowercase
    /// base32, as two groups of four (`k3f7-q2za`). Short ids can collide (about one
    /// chance in a million among 1,500 cases); software keys on the full id.
    pub fn short(&self) -> String {
        let text = BASE32_NOPAD.encode(&self.0[..5]).to_ascii_lowercase();
        format!("{}-{}", &text[..4], &text[4..])
    }

    /// Whether `typed` (case-insensitive, with or without the dash) is this id's short
    /// form or a prefix of it of at least four characters.
    pub fn matches_short(&self, typed: &str) -> bool {
        let want: String = self.short().chars().filter(|c| *c != '-').collect();
        let typed: String = typed
            .trim()
            .chars()
            .filter(|c| *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        typed.len() >= 4 && want.starts_with(&typed)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CaseId(..)")
    }
}

/// The SHA-256 hash of an encoded roster epoch (with its signature): what the next epoch
/// names as its parent.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochHash(pub [u8; 32]);

impl fmt::Debug for EpochHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EpochHash({}..)", short_hex(&self.0))
    }
}

/// The SHA-256 hash of an encoded case event (with its signature): what later events
/// name as parents.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventHash(pub [u8; 32]);

impl fmt::Debug for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventHash({}..)", short_hex(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_id_form_and_matching() {
        let id = CaseId([0u8; 16]);
        assert_eq!(id.short(), "aaaa-aaaa");
        let id = CaseId([0xff; 16]);
        assert_eq!(id.short(), "7777-7777");
        assert!(id.matches_short("7777-7777"));
        assert!(id.matches_short("77777777"));
        assert!(id.matches_short("7777"));
        assert!(!id.matches_short("777"));
        assert!(!id.matches_short("7777-7776"));
        assert_eq!(format!("{id:?}"), "CaseId(..)");
    }
}
