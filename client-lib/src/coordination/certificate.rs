//! Membership certificates: what a host or travel helper holds instead of the roster.
//!
//! A coordinator signs, for one member, the member's organization identity, role and
//! alias, the roster epoch it was issued under (number and hash), and a validity period.
//! A host's seized phone then shows its own certificate and one coordinator key, not the
//! network. Anyone holding a coordinator's key can check a certificate
//! ([`MembershipCertificate::verify`]); a coordinator or caseworker holding the full
//! roster checks it against the roster ([`MembershipCertificate::verify_with_roster`]),
//! which also refuses removed members, changed roles and certificates from a fork.

use super::encoding::{
    DecodeError, Field, FieldError, Kind, Lines, finish_signed, put_header, put_text, read_header,
    read_key, read_text, signed_bytes,
};
use super::ids::{EpochHash, OrgId};
use super::role::Role;
use super::roster::{MAX_MEMBER_ALIAS, Roster, RosterError};
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::protocol::codec::Writer;
use crate::protocol::identity::{Identity, PUBLIC_IDENTITY_LEN, PublicIdentity};
use std::fmt;
use zeroize::Zeroize;

/// What a certificate signature covers, before the certificate's bytes.
pub const CERTIFICATE_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_membership_certificate";
/// Longest validity of a certificate (one year and a day).
pub const MAX_CERTIFICATE_LIFETIME: u64 = 366 * 24 * 3600;
/// Longest encoded certificate.
pub const MAX_CERTIFICATE_LEN: usize =
    2 + 16 + 8 + 32 + PUBLIC_IDENTITY_LEN + 1 + 4 + 4 * MAX_MEMBER_ALIAS + 8 + 8 + 32 + 64;

/// Why a certificate was refused or could not be issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Malformed bytes or a bad signature.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The validity period is empty or too long.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The member (or the signer) is not on the roster, or was removed.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// The certificate is for another organization.
    #[error("the certificate is for another organization")]
    WrongOrganization,
    /// The signer is not one of the coordinator keys the verifier trusts.
    #[error("the certificate is not signed by a trusted coordinator")]
    UntrustedSigner,
    /// The signer is not a coordinator on the roster.
    #[error("the certificate is not signed by a coordinator")]
    SignerNotCoordinator,
    /// The member's role on the roster is not the certified one.
    #[error("the member's role has changed since the certificate was issued")]
    RoleChanged,
    /// The certificate names an epoch this roster does not hold (newer, or a fork).
    #[error("the certificate names an unknown roster epoch")]
    UnknownEpoch,
    /// The certificate was issued under an epoch older than the verifier requires.
    #[error("the certificate has been superseded by a newer roster epoch")]
    Superseded,
    /// Not valid yet at the time checked.
    #[error("the certificate is not valid yet")]
    NotYetValid,
    /// Expired at the time checked.
    #[error("the certificate has expired")]
    Expired,
}

/// A checked membership certificate (its signature verified). `Debug` shows the role and
/// the epoch number only.
#[derive(Clone, PartialEq, Eq)]
pub struct MembershipCertificate {
    org: OrgId,
    epoch: u64,
    epoch_hash: EpochHash,
    identity: PublicIdentity,
    role: Role,
    alias: String,
    issued_at: u64,
    expires_at: u64,
    signer: VerifyingKey,
    signature: Signature,
}

impl MembershipCertificate {
    /// A coordinator's certificate for the member with key `member`, under the roster's
    /// current epoch, valid from `issued_at` to `expires_at` (Unix seconds, inclusive).
    ///
    /// # Errors
    /// [`CertificateError::SignerNotCoordinator`] unless `coordinator` is a current
    /// coordinator; [`CertificateError::Roster`] if `member` is not a current member;
    /// [`CertificateError::Field`] for an empty or over-long period.
    pub fn issue(
        roster: &Roster,
        coordinator: &Identity,
        member: &VerifyingKey,
        issued_at: u64,
        expires_at: u64,
    ) -> Result<Self, CertificateError> {
        let signer = *coordinator.public().signing_key();
        if roster.role_of(&signer).ok() != Some(Role::Coordinator) {
            return Err(CertificateError::SignerNotCoordinator);
        }
        let entry = roster.member(member)?;
        check_period(issued_at, expires_at)?;
        let mut cert = Self {
            org: roster.org(),
            epoch: roster.number(),
            epoch_hash: roster.hash(),
            identity: entry.identity().clone(),
            role: entry.role(),
            alias: entry.alias().to_owned(),
            issued_at,
            expires_at,
            signer,
            signature: Signature::from_bytes([0; 64]),
        };
        let body = cert.body()?;
        cert.signature = coordinator.sign(&signed_bytes(CERTIFICATE_SIGNATURE_LABEL, &body));
        Ok(cert)
    }

    /// The organization.
    pub fn org(&self) -> OrgId {
        self.org
    }
    /// The roster epoch number it was issued under: the "current epoch" a host knows.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    /// The hash of that epoch.
    pub fn epoch_hash(&self) -> EpochHash {
        self.epoch_hash
    }
    /// The member's organization identity.
    pub fn identity(&self) -> &PublicIdentity {
        &self.identity
    }
    /// The certified role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// The member's alias.
    pub fn alias(&self) -> &str {
        &self.alias
    }
    /// Start of validity.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// End of validity (inclusive).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
    /// The coordinator who signed it.
    pub fn signer(&self) -> &VerifyingKey {
        &self.signer
    }

    fn check_time(&self, now: u64) -> Result<(), CertificateError> {
        if now < self.issued_at {
            return Err(CertificateError::NotYetValid);
        }
        if now > self.expires_at {
            return Err(CertificateError::Expired);
        }
        Ok(())
    }

    /// Checks the certificate without the roster: for organization `org`, signed by one
    /// of `trusted` coordinator keys, issued under epoch `min_epoch` or later, valid at
    /// `now`.
    ///
    /// # Errors
    /// [`CertificateError::WrongOrganization`], [`CertificateError::UntrustedSigner`],
    /// [`CertificateError::Superseded`], [`CertificateError::NotYetValid`],
    /// [`CertificateError::Expired`].
    pub fn verify(
        &self,
        org: OrgId,
        trusted: &[VerifyingKey],
        min_epoch: u64,
        now: u64,
    ) -> Result<(), CertificateError> {
        if self.org != org {
            return Err(CertificateError::WrongOrganization);
        }
        if !trusted.contains(&self.signer) {
            return Err(CertificateError::UntrustedSigner);
        }
        if self.epoch < min_epoch {
            return Err(CertificateError::Superseded);
        }
        self.check_time(now)
    }

    /// Checks the certificate against the full roster: same organization, an epoch on this
    /// roster's chain, signed by a current coordinator, the member still on the roster
    /// with the certified role, valid at `now`.
    ///
    /// # Errors
    /// [`CertificateError::WrongOrganization`], [`CertificateError::UnknownEpoch`],
    /// [`CertificateError::SignerNotCoordinator`], [`CertificateError::Roster`] (the
    /// member was removed or is unknown), [`CertificateError::RoleChanged`],
    /// [`CertificateError::NotYetValid`], [`CertificateError::Expired`].
    pub fn verify_with_roster(&self, roster: &Roster, now: u64) -> Result<(), CertificateError> {
        if self.org != roster.org() {
            return Err(CertificateError::WrongOrganization);
        }
        if roster.epoch_hash(self.epoch) != Some(self.epoch_hash) {
            return Err(CertificateError::UnknownEpoch);
        }
        if roster.role_of(&self.signer).ok() != Some(Role::Coordinator) {
            return Err(CertificateError::SignerNotCoordinator);
        }
        if roster.role_of(self.identity.signing_key())? != self.role {
            return Err(CertificateError::RoleChanged);
        }
        self.check_time(now)
    }

    fn body(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::Certificate);
        out.put(&self.org.0);
        out.put_u64(self.epoch);
        out.put(&self.epoch_hash.0);
        out.put(&self.identity.encode());
        out.put_u8(self.role as u8);
        put_text(&mut out, &self.alias)?;
        out.put_u64(self.issued_at);
        out.put_u64(self.expires_at);
        out.put(self.signer.as_bytes());
        Ok(out)
    }

    /// The encoding (`docs/coordination.md`, "Membership certificate").
    ///
    /// # Errors
    /// None in practice.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = self.body()?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes a certificate and verifies its signature.
    ///
    /// # Errors
    /// [`DecodeError`], including [`DecodeError::BadSignature`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::Certificate, MAX_CERTIFICATE_LEN)?;
        let org = OrgId(r.array()?);
        let epoch = r.u64()?;
        let epoch_hash = EpochHash(r.array()?);
        let identity = PublicIdentity::decode(r.take(PUBLIC_IDENTITY_LEN)?)
            .map_err(|_| DecodeError::BadKey)?;
        let role = Role::from_byte(r.u8()?)?;
        let alias = read_text(&mut r, Field::MemberAlias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
        let issued_at = r.u64()?;
        let expires_at = r.u64()?;
        check_period(issued_at, expires_at)?;
        let signer = read_key(&mut r)?;
        let signature = finish_signed(r, bytes, CERTIFICATE_SIGNATURE_LABEL, &signer)?;
        Ok(Self {
            org,
            epoch,
            epoch_hash,
            identity,
            role,
            alias,
            issued_at,
            expires_at,
            signer,
            signature,
        })
    }
}

fn check_period(issued_at: u64, expires_at: u64) -> Result<(), FieldError> {
    if expires_at <= issued_at || expires_at - issued_at > MAX_CERTIFICATE_LIFETIME {
        return Err(FieldError::Invalid {
            field: Field::Validity,
            expected: "an expiry after the issue time and at most 366 days later",
        });
    }
    Ok(())
}

impl fmt::Debug for MembershipCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MembershipCertificate")
            .field("role", &self.role)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl Drop for MembershipCertificate {
    fn drop(&mut self) {
        self.alias.zeroize();
    }
}
