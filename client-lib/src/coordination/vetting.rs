//! Vetting: a coordinator's signed record that a host or travel helper was checked (a
//! home visit, references, an interview). Offers from members who are not vetted are
//! shown as such and never matched ([`super::matching`]).
//!
//! The record names the organization and the member's organization key, so it cannot be
//! moved to another member or organization. [`is_vetted`] accepts a record only while its
//! signer is a current coordinator and the member is still on the roster as a host or
//! travel helper.

use super::encoding::{
    DecodeError, Field, FieldError, Kind, Lines, by_name, check_text, finish_signed, put_header,
    put_text, read_header, read_key, read_text, signed_bytes,
};
use super::ids::OrgId;
use super::role::Role;
use super::roster::Roster;
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::protocol::codec::Writer;
use crate::protocol::identity::Identity;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroize;

/// What a vetting signature covers, before the record's bytes.
pub const VETTING_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_vetting";
/// Longest vetting note, in characters.
pub const MAX_VETTING_NOTE: usize = 500;
/// Longest encoded vetting record.
pub const MAX_VETTING_LEN: usize = 2 + 16 + 32 + 1 + 8 + 4 + 4 * MAX_VETTING_NOTE + 32 + 64;

/// How a member was vetted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum VettingKind {
    /// Someone from the organization visited the home.
    HomeVisit = 1,
    /// References were checked.
    References = 2,
    /// The member was interviewed.
    Interview = 3,
}

impl VettingKind {
    /// Every kind, in encoding order.
    pub const ALL: [VettingKind; 3] = [
        VettingKind::HomeVisit,
        VettingKind::References,
        VettingKind::Interview,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HomeVisit => "home-visit",
            Self::References => "references",
            Self::Interview => "interview",
        }
    }
}

impl fmt::Display for VettingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VettingKind {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        by_name(
            s,
            &Self::ALL,
            Self::as_str,
            FieldError::Invalid {
                field: Field::VettingKind,
                expected: "one of home-visit, references, interview",
            },
        )
    }
}

/// Why a vetting record was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VettingError {
    /// Malformed, or the signature fails.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The note is too long or has forbidden characters.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The record is for another organization.
    #[error("the vetting record is for another organization")]
    WrongOrganization,
    /// The signer is not a current coordinator.
    #[error("only a coordinator may vet a member")]
    SignerNotCoordinator,
    /// The member is not a current host or travel helper.
    #[error("only hosts and travel helpers are vetted")]
    NotVettable,
}

/// A signed vetting record (its signature checked). `Debug` shows the kind only.
#[derive(Clone, PartialEq, Eq)]
pub struct Vetting {
    org: OrgId,
    member: VerifyingKey,
    kind: VettingKind,
    issued_at: u64,
    note: String,
    signer: VerifyingKey,
    signature: Signature,
}

impl Vetting {
    /// Signs a record that `member` was vetted by `kind`. The signer's and the member's
    /// standing are checked against `roster` now, and again by [`is_vetted`] whenever the
    /// record is used.
    ///
    /// # Errors
    /// [`VettingError::Field`] for a bad note, [`VettingError::SignerNotCoordinator`],
    /// [`VettingError::NotVettable`].
    pub fn issue(
        signer: &Identity,
        roster: &Roster,
        member: VerifyingKey,
        kind: VettingKind,
        note: &str,
        issued_at: u64,
    ) -> Result<Self, VettingError> {
        check_text(Field::VettingNote, note, 0, MAX_VETTING_NOTE, Lines::Many)?;
        let mut record = Self {
            org: roster.org(),
            member,
            kind,
            issued_at,
            note: note.to_owned(),
            signer: *signer.public().signing_key(),
            signature: Signature::from_bytes([0; 64]),
        };
        record.check(roster)?;
        let body = record.body()?;
        record.signature = signer.sign(&signed_bytes(VETTING_SIGNATURE_LABEL, &body));
        Ok(record)
    }

    /// The organization.
    pub fn org(&self) -> OrgId {
        self.org
    }
    /// The vetted member's organization key.
    pub fn member(&self) -> &VerifyingKey {
        &self.member
    }
    /// How they were vetted.
    pub fn kind(&self) -> VettingKind {
        self.kind
    }
    /// When (the coordinator's clock).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// The coordinator's note.
    pub fn note(&self) -> &str {
        &self.note
    }
    /// The coordinator who signed it.
    pub fn signer(&self) -> &VerifyingKey {
        &self.signer
    }

    /// Checks the record against the roster now: same organization, signed by a current
    /// coordinator, about a current host or travel helper.
    ///
    /// # Errors
    /// [`VettingError::WrongOrganization`], [`VettingError::SignerNotCoordinator`],
    /// [`VettingError::NotVettable`].
    pub fn check(&self, roster: &Roster) -> Result<(), VettingError> {
        if self.org != roster.org() {
            return Err(VettingError::WrongOrganization);
        }
        if roster.role_of(&self.signer).ok() != Some(Role::Coordinator) {
            return Err(VettingError::SignerNotCoordinator);
        }
        match roster.role_of(&self.member) {
            Ok(Role::Host | Role::TravelHelper) => Ok(()),
            _ => Err(VettingError::NotVettable),
        }
    }

    fn body(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::Vetting);
        out.put(&self.org.0);
        out.put(self.member.as_bytes());
        out.put_u8(self.kind as u8);
        out.put_u64(self.issued_at);
        put_text(&mut out, &self.note)?;
        out.put(self.signer.as_bytes());
        Ok(out)
    }

    /// The encoding (`docs/coordination.md`, "Vetting record").
    ///
    /// # Errors
    /// None in practice.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = self.body()?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes a record and verifies its signature (not yet its standing: [`Self::check`]).
    ///
    /// # Errors
    /// [`DecodeError`]: malformed, out of range, or [`DecodeError::BadSignature`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::Vetting, MAX_VETTING_LEN)?;
        let org = OrgId(r.array()?);
        let member = read_key(&mut r)?;
        let kind_byte = r.u8()?;
        let kind = VettingKind::ALL
            .into_iter()
            .find(|k| *k as u8 == kind_byte)
            .ok_or(DecodeError::UnknownValue(Field::VettingKind))?;
        let issued_at = r.u64()?;
        let note = read_text(&mut r, Field::VettingNote, 0, MAX_VETTING_NOTE, Lines::Many)?;
        let signer = read_key(&mut r)?;
        let signature = finish_signed(r, bytes, VETTING_SIGNATURE_LABEL, &signer)?;
        Ok(Self {
            org,
            member,
            kind,
            issued_at,
            note,
            signer,
            signature,
        })
    }
}

impl fmt::Debug for Vetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vetting")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Drop for Vetting {
    fn drop(&mut self) {
        self.note.zeroize();
    }
}

/// Whether `member` is vetted now: one of `records` is about this member and passes
/// [`Vetting::check`] against the current roster (a record by a coordinator who was
/// removed since, or about a member who was removed, does not count).
pub fn is_vetted<'a>(
    records: impl IntoIterator<Item = &'a Vetting>,
    roster: &Roster,
    member: &VerifyingKey,
) -> bool {
    records
        .into_iter()
        .any(|r| r.member == *member && r.check(roster).is_ok())
}
