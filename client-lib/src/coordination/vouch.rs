//! Vouches: a signed, scoped, expiring statement that someone verified a requester.
//!
//! A vouch names the organization, the case and the requester's key (the pairwise key the
//! requester uses with the organization), so it cannot be reused for another case, another
//! person or another organization. Its signature is checked when it is decoded; whether
//! the signer may vouch (a member, or a registered referrer for the partner and co tiers)
//! is the roster's question ([`super::roster::Roster::may_vouch`]).

use super::encoding::{
    DecodeError, Field, FieldError, Kind, Lines, check_text, finish_signed, put_header, put_text,
    read_header, read_key, read_text, signed_bytes,
};
use super::ids::{CaseId, OrgId};
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::protocol::codec::Writer;
use crate::protocol::identity::Identity;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroize;

/// What a vouch signature covers, before the vouch's bytes.
pub const VOUCH_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_vouch";
/// Longest vouch note, in characters.
pub const MAX_VOUCH_NOTE: usize = 500;
/// Longest validity of a vouch (one year and a day): verification goes stale.
pub const MAX_VOUCH_LIFETIME: u64 = 366 * 24 * 3600;
/// Longest encoded vouch.
pub const MAX_VOUCH_LEN: usize = 2 + 16 + 16 + 32 + 1 + 8 + 8 + 4 + 4 * MAX_VOUCH_NOTE + 32 + 64;

/// How the requester was verified, as evacuation networks grade it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Tier {
    /// A trusted partner met the person and collected evidence.
    Partner = 1,
    /// A partner confirmed part of the story.
    Co = 2,
    /// A caseworker verified it directly (interview, document review).
    Direct = 3,
}

impl Tier {
    /// Every tier, in encoding order.
    pub const ALL: [Tier; 3] = [Tier::Partner, Tier::Co, Tier::Direct];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Co => "co",
            Self::Direct => "direct",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or(FieldError::Invalid {
                field: Field::Tier,
                expected: "one of partner, co, direct",
            })
    }
}

/// Why a vouch was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VouchError {
    /// The encoding is malformed or the signature fails.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A field is out of range (note, validity period).
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The vouch is for another organization.
    #[error("the vouch is for another organization")]
    WrongOrganization,
    /// The vouch is for another case.
    #[error("the vouch is for another case")]
    WrongCase,
    /// The vouch is about someone else's key.
    #[error("the vouch is about a different requester key")]
    WrongSubject,
    /// The vouch's validity has not started at the time it is checked against.
    #[error("the vouch is not valid yet")]
    NotYetValid,
    /// The vouch has expired at the time it is checked against.
    #[error("the vouch has expired")]
    Expired,
    /// The signer is neither a member who may vouch nor a registered referrer who may
    /// vouch at this tier.
    #[error("the signer may not vouch at this tier")]
    SignerNotAuthorized,
}

/// A verified vouch (its signature has been checked). `Debug` shows only the tier.
#[derive(Clone, PartialEq, Eq)]
pub struct Vouch {
    org: OrgId,
    case: CaseId,
    subject: VerifyingKey,
    tier: Tier,
    issued_at: u64,
    expires_at: u64,
    note: String,
    signer: VerifyingKey,
    signature: Signature,
}

impl Vouch {
    /// Signs a vouch by `signer` that the holder of `subject` (the requester's key on case
    /// `case` of organization `org`) was verified at `tier`, valid from `issued_at` to
    /// `expires_at` (Unix seconds, inclusive).
    ///
    /// # Errors
    /// [`VouchError::Field`] if the note is too long or has forbidden characters, or the
    /// period is empty or longer than [`MAX_VOUCH_LIFETIME`].
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        signer: &Identity,
        org: OrgId,
        case: CaseId,
        subject: VerifyingKey,
        tier: Tier,
        note: &str,
        issued_at: u64,
        expires_at: u64,
    ) -> Result<Self, VouchError> {
        check_text(Field::VouchNote, note, 0, MAX_VOUCH_NOTE, Lines::Many)?;
        check_period(issued_at, expires_at)?;
        let mut vouch = Self {
            org,
            case,
            subject,
            tier,
            issued_at,
            expires_at,
            note: note.to_owned(),
            signer: *signer.public().signing_key(),
            signature: Signature::from_bytes([0; 64]),
        };
        let body = vouch.body()?;
        vouch.signature = signer.sign(&signed_bytes(VOUCH_SIGNATURE_LABEL, &body));
        Ok(vouch)
    }

    /// The organization.
    pub fn org(&self) -> OrgId {
        self.org
    }
    /// The case.
    pub fn case(&self) -> CaseId {
        self.case
    }
    /// The requester key vouched for.
    pub fn subject(&self) -> &VerifyingKey {
        &self.subject
    }
    /// The tier.
    pub fn tier(&self) -> Tier {
        self.tier
    }
    /// Start of validity (Unix seconds).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// End of validity (Unix seconds, inclusive).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
    /// The signer's note.
    pub fn note(&self) -> &str {
        &self.note
    }
    /// Who signed it.
    pub fn signer(&self) -> &VerifyingKey {
        &self.signer
    }

    /// Checks the scope and the validity at time `at`. (The signer's authority is the
    /// roster's to check.)
    ///
    /// # Errors
    /// [`VouchError::WrongOrganization`], [`VouchError::WrongCase`],
    /// [`VouchError::WrongSubject`], [`VouchError::NotYetValid`], [`VouchError::Expired`].
    pub fn check(
        &self,
        org: OrgId,
        case: CaseId,
        subject: &VerifyingKey,
        at: u64,
    ) -> Result<(), VouchError> {
        if self.org != org {
            return Err(VouchError::WrongOrganization);
        }
        if self.case != case {
            return Err(VouchError::WrongCase);
        }
        if self.subject != *subject {
            return Err(VouchError::WrongSubject);
        }
        self.check_time(at)
    }

    /// Checks only the validity period at time `at`.
    ///
    /// # Errors
    /// [`VouchError::NotYetValid`] or [`VouchError::Expired`].
    pub fn check_time(&self, at: u64) -> Result<(), VouchError> {
        if at < self.issued_at {
            return Err(VouchError::NotYetValid);
        }
        if at > self.expires_at {
            return Err(VouchError::Expired);
        }
        Ok(())
    }

    fn body(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::Vouch);
        out.put(&self.org.0);
        out.put(&self.case.0);
        out.put(self.subject.as_bytes());
        out.put_u8(self.tier as u8);
        out.put_u64(self.issued_at);
        out.put_u64(self.expires_at);
        put_text(&mut out, &self.note)?;
        out.put(self.signer.as_bytes());
        Ok(out)
    }

    /// The encoding (`docs/coordination.md`, "Vouch").
    ///
    /// # Errors
    /// None in practice (every field is within its bound).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = self.body()?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes a vouch and verifies its signature.
    ///
    /// # Errors
    /// [`DecodeError`]: malformed, out of range, or [`DecodeError::BadSignature`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::Vouch, MAX_VOUCH_LEN)?;
        let org = OrgId(r.array()?);
        let case = CaseId(r.array()?);
        let subject = read_key(&mut r)?;
        let tier_byte = r.u8()?;
        let tier = Tier::ALL
            .into_iter()
            .find(|t| *t as u8 == tier_byte)
            .ok_or(DecodeError::UnknownValue(Field::Tier))?;
        let issued_at = r.u64()?;
        let expires_at = r.u64()?;
        check_period(issued_at, expires_at)?;
        let note = read_text(&mut r, Field::VouchNote, 0, MAX_VOUCH_NOTE, Lines::Many)?;
        let signer = read_key(&mut r)?;
        let signature = finish_signed(r, bytes, VOUCH_SIGNATURE_LABEL, &signer)?;
        Ok(Self {
            org,
            case,
            subject,
            tier,
            issued_at,
            expires_at,
            note,
            signer,
            signature,
        })
    }
}

fn check_period(issued_at: u64, expires_at: u64) -> Result<(), FieldError> {
    if expires_at <= issued_at || expires_at - issued_at > MAX_VOUCH_LIFETIME {
        return Err(FieldError::Invalid {
            field: Field::Validity,
            expected: "an expiry after the issue time and at most 366 days later",
        });
    }
    Ok(())
}

impl fmt::Debug for Vouch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vouch")
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

impl Drop for Vouch {
    fn drop(&mut self) {
        self.note.zeroize();
    }
}
