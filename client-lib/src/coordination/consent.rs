//! Consent to hand a case to a partner organization, as Primero models transfers and
//! referrals, but signed end to end.
//!
//! The caseworker asks ([`ConsentAsk`], over the requester's session); the requester
//! answers with a [`Consent`] signed by the pairwise key the case knows them by, naming the
//! purpose (transfer or referral), the partner and the fields that may be shared, and
//! whether they agree. [`handoff_authority`] decides whether a handoff may go ahead: a
//! matching consent that was given, or a [`ConsentOverride`] signed by two different
//! current coordinators. Without either it is refused.

use super::encoding::{
    DecodeError, Field, FieldError, Kind, Lines, by_name, check_text, finish_signed, list_by_name,
    put_header, put_text, read_header, read_key, read_signature, read_text, signed_bytes,
};
use super::ids::{CaseId, OrgId};
use super::role::Role;
use super::roster::Roster;
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::protocol::codec::Writer;
use crate::protocol::identity::Identity;
use std::fmt;
use std::str::FromStr;

/// What a consent signature covers, before the consent's bytes.
pub const CONSENT_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_consent";
/// What each override signature covers, before the override's bytes.
pub const OVERRIDE_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_consent_override";
/// Longest partner name, in characters.
pub const MAX_PARTNER: usize = 100;
/// Longest encoded consent.
pub const MAX_CONSENT_LEN: usize = 2 + 16 + 16 + 16 + 1 + 4 + 4 * MAX_PARTNER + 2 + 1 + 8 + 32 + 64;
/// Longest encoded override.
pub const MAX_OVERRIDE_LEN: usize = 2 + 16 + 16 + 1 + 4 + 4 * MAX_PARTNER + 2 + 8 + 2 * (32 + 64);

/// What the handoff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Purpose {
    /// The case moves to the partner; the sending organization deletes its copy.
    Transfer = 1,
    /// The partner gets a field-limited view for a service.
    Referral = 2,
}

impl Purpose {
    /// Both, in encoding order.
    pub const ALL: [Purpose; 2] = [Purpose::Transfer, Purpose::Referral];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Referral => "referral",
        }
    }

    fn from_byte(b: u8) -> Result<Self, DecodeError> {
        Self::ALL
            .into_iter()
            .find(|p| *p as u8 == b)
            .ok_or(DecodeError::UnknownValue(Field::Purpose))
    }
}

impl FromStr for Purpose {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        by_name(
            s,
            &Self::ALL,
            Self::as_str,
            FieldError::Invalid {
                field: Field::Purpose,
                expected: "transfer or referral",
            },
        )
    }
}

/// A part of the case record that may be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum CaseField {
    /// The alias.
    Alias = 0x01,
    /// The region.
    Region = 0x02,
    /// Adults, children and what a host must know of the household.
    Household = 0x04,
    /// The needs.
    Needs = 0x08,
    /// The languages.
    Languages = 0x10,
    /// When and how contact is safe.
    SafeContact = 0x20,
    /// The free-text note.
    Note = 0x40,
    /// The verification (tier and vouches).
    Verification = 0x80,
}

impl CaseField {
    /// Every field, in encoding order.
    pub const ALL: [CaseField; 8] = [
        CaseField::Alias,
        CaseField::Region,
        CaseField::Household,
        CaseField::Needs,
        CaseField::Languages,
        CaseField::SafeContact,
        CaseField::Note,
        CaseField::Verification,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alias => "alias",
            Self::Region => "region",
            Self::Household => "household",
            Self::Needs => "needs",
            Self::Languages => "languages",
            Self::SafeContact => "safe-contact",
            Self::Note => "note",
            Self::Verification => "verification",
        }
    }
}

/// A non-empty set of [`CaseField`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseFields(u16);

const FIELDS_EXPECTED: FieldError = FieldError::Invalid {
    field: Field::SharedFields,
    expected: "one or more of alias, region, household, needs, languages, safe-contact, note, verification",
};

impl CaseFields {
    const DEFINED: u16 = 0xff;

    /// The set of `fields`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] if empty.
    pub fn new(fields: &[CaseField]) -> Result<Self, FieldError> {
        Self::from_bits(fields.iter().fold(0u16, |b, f| b | *f as u16))
    }

    fn from_bits(bits: u16) -> Result<Self, FieldError> {
        if bits == 0 || bits & !Self::DEFINED != 0 {
            return Err(FIELDS_EXPECTED);
        }
        Ok(Self(bits))
    }

    /// Every field.
    pub fn all() -> Self {
        Self(Self::DEFINED)
    }

    /// Parses `alias,needs,...`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] for an empty list or an unknown name.
    pub fn parse_list(list: &str) -> Result<Self, FieldError> {
        Self::new(&list_by_name(
            list,
            &CaseField::ALL,
            CaseField::as_str,
            FIELDS_EXPECTED,
        )?)
    }

    /// Whether `field` is in the set.
    pub fn contains(self, field: CaseField) -> bool {
        self.0 & field as u16 != 0
    }

    /// Whether every field of `other` is in this set.
    pub fn covers(self, other: CaseFields) -> bool {
        other.0 & !self.0 == 0
    }

    /// The fields, in encoding order.
    pub fn iter(self) -> impl Iterator<Item = CaseField> {
        CaseField::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }
}

/// What the caseworker asks the requester to agree to (sent over the requester's
/// session, which authenticates it; not signed).
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentAsk {
    /// Names this question; the answer repeats it.
    pub ask: [u8; 16],
    /// The case.
    pub case: CaseId,
    /// Transfer or referral.
    pub purpose: Purpose,
    /// The partner organization, by the name the requester will recognize.
    pub partner: String,
    /// What would be shared.
    pub fields: CaseFields,
}

impl ConsentAsk {
    /// Checks the partner name.
    ///
    /// # Errors
    /// [`FieldError`] naming the field.
    pub fn check(&self) -> Result<(), FieldError> {
        check_partner(&self.partner)
    }
}

impl fmt::Debug for ConsentAsk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsentAsk")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

fn check_partner(partner: &str) -> Result<(), FieldError> {
    check_text(Field::Partner, partner, 1, MAX_PARTNER, Lines::One)?;
    if partner.trim() != partner {
        return Err(FieldError::Invalid {
            field: Field::Partner,
            expected: "a name without leading or trailing spaces",
        });
    }
    Ok(())
}

/// The requester's signed answer. `Debug` shows purpose and decision only.
#[derive(Clone, PartialEq, Eq)]
pub struct Consent {
    org: OrgId,
    case: CaseId,
    ask: [u8; 16],
    purpose: Purpose,
    partner: String,
    fields: CaseFields,
    given: bool,
    at: u64,
    signer: VerifyingKey,
    signature: Signature,
}

/// Why a handoff was refused, or a consent or override did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// Malformed, or a signature fails.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A field is not what is expected.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// No consent for this purpose, partner and these fields, and no override.
    #[error("the requester has not consented to this handoff")]
    NoConsent,
    /// The requester refused (their latest answer for this purpose and partner).
    #[error("the requester refused this handoff")]
    Refused,
    /// An override needs two different current coordinators.
    #[error("overriding consent needs two different coordinators")]
    OverrideNeedsTwoCoordinators,
}

impl Consent {
    /// The requester (holding the case's pairwise identity) answers `ask`.
    ///
    /// # Errors
    /// [`ConsentError::Field`] for a bad partner name.
    pub fn answer(
        requester: &Identity,
        org: OrgId,
        ask: &ConsentAsk,
        given: bool,
        at: u64,
    ) -> Result<Self, ConsentError> {
        ask.check()?;
        let mut consent = Self {
            org,
            case: ask.case,
            ask: ask.ask,
            purpose: ask.purpose,
            partner: ask.partner.clone(),
            fields: ask.fields,
            given,
            at,
            signer: *requester.public().signing_key(),
            signature: Signature::from_bytes([0; 64]),
        };
        let body = consent.body()?;
        consent.signature = requester.sign(&signed_bytes(CONSENT_SIGNATURE_LABEL, &body));
        Ok(consent)
    }

    /// The question answered.
    pub fn ask(&self) -> [u8; 16] {
        self.ask
    }
    /// The case.
    pub fn case(&self) -> CaseId {
        self.case
    }
    /// Transfer or referral.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// The partner named.
    pub fn partner(&self) -> &str {
        &self.partner
    }
    /// The fields named.
    pub fn fields(&self) -> CaseFields {
        self.fields
    }
    /// Whether the requester agreed.
    pub fn is_given(&self) -> bool {
        self.given
    }
    /// When (the requester's clock).
    pub fn at(&self) -> u64 {
        self.at
    }
    /// The key that signed it.
    pub fn signer(&self) -> &VerifyingKey {
        &self.signer
    }

    fn body(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::Consent);
        out.put(&self.org.0);
        out.put(&self.case.0);
        out.put(&self.ask);
        out.put_u8(self.purpose as u8);
        put_text(&mut out, &self.partner)?;
        out.put(&self.fields.0.to_be_bytes());
        out.put_u8(u8::from(self.given));
        out.put_u64(self.at);
        out.put(self.signer.as_bytes());
        Ok(out)
    }

    /// The encoding (`docs/coordination.md`, "Consent").
    ///
    /// # Errors
    /// None in practice.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = self.body()?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes a consent and verifies its signature.
    ///
    /// # Errors
    /// [`DecodeError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::Consent, MAX_CONSENT_LEN)?;
        let org = OrgId(r.array()?);
        let case = CaseId(r.array()?);
        let ask = r.array()?;
        let purpose = Purpose::from_byte(r.u8()?)?;
        let partner = read_text(&mut r, Field::Partner, 1, MAX_PARTNER, Lines::One)?;
        check_partner(&partner)?;
        let fields = CaseFields::from_bits(u16::from_be_bytes(r.array()?))?;
        let given = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(DecodeError::NotCanonical(Field::Purpose)),
        };
        let at = r.u64()?;
        let signer = read_key(&mut r)?;
        let signature = finish_signed(r, bytes, CONSENT_SIGNATURE_LABEL, &signer)?;
        Ok(Self {
            org,
            case,
            ask,
            purpose,
            partner,
            fields,
            given,
            at,
            signer,
            signature,
        })
    }
}

impl fmt::Debug for Consent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consent")
            .field("purpose", &self.purpose)
            .field("given", &self.given)
            .finish_non_exhaustive()
    }
}

/// Two coordinators' signed decision to hand a case off without the requester's consent
/// (the requester cannot be reached and is in danger). `Debug` shows the purpose only.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentOverride {
    org: OrgId,
    case: CaseId,
    purpose: Purpose,
    partner: String,
    fields: CaseFields,
    at: u64,
    /// Two (key, signature) pairs, keys strictly ascending.
    signers: [(VerifyingKey, Signature); 2],
}

impl ConsentOverride {
    /// The bytes both coordinators sign (without the signer list).
    fn body(
        org: OrgId,
        case: CaseId,
        purpose: Purpose,
        partner: &str,
        fields: CaseFields,
        at: u64,
    ) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::ConsentOverride);
        out.put(&org.0);
        out.put(&case.0);
        out.put_u8(purpose as u8);
        put_text(&mut out, partner)?;
        out.put(&fields.0.to_be_bytes());
        out.put_u64(at);
        Ok(out)
    }

    /// One coordinator's signature over an override (to be combined with a second
    /// coordinator's by [`Self::combine`]).
    ///
    /// # Errors
    /// [`ConsentError::Field`] for a bad partner name.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_part(
        coordinator: &Identity,
        org: OrgId,
        case: CaseId,
        purpose: Purpose,
        partner: &str,
        fields: CaseFields,
        at: u64,
    ) -> Result<(VerifyingKey, Signature), ConsentError> {
        check_partner(partner)?;
        let body = Self::body(org, case, purpose, partner, fields, at)?;
        Ok((
            *coordinator.public().signing_key(),
            coordinator.sign(&signed_bytes(OVERRIDE_SIGNATURE_LABEL, &body)),
        ))
    }

    /// Combines two parts into an override, verifying both signatures.
    ///
    /// # Errors
    /// [`ConsentError::OverrideNeedsTwoCoordinators`] if both parts are by one key,
    /// [`DecodeError::BadSignature`] if a part does not verify.
    #[allow(clippy::too_many_arguments)]
    pub fn combine(
        org: OrgId,
        case: CaseId,
        purpose: Purpose,
        partner: &str,
        fields: CaseFields,
        at: u64,
        a: (VerifyingKey, Signature),
        b: (VerifyingKey, Signature),
    ) -> Result<Self, ConsentError> {
        check_partner(partner)?;
        let (first, second) = match a.0.as_bytes().cmp(b.0.as_bytes()) {
            std::cmp::Ordering::Less => (a, b),
            std::cmp::Ordering::Greater => (b, a),
            std::cmp::Ordering::Equal => return Err(ConsentError::OverrideNeedsTwoCoordinators),
        };
        let body = Self::body(org, case, purpose, partner, fields, at)?;
        let signed = signed_bytes(OVERRIDE_SIGNATURE_LABEL, &body);
        for (key, sig) in [&first, &second] {
            key.verify(&signed, sig)
                .map_err(|_| DecodeError::BadSignature)?;
        }
        Ok(Self {
            org,
            case,
            purpose,
            partner: partner.to_owned(),
            fields,
            at,
            signers: [first, second],
        })
    }

    /// The encoding: the signed body, then both (key, signature) pairs.
    ///
    /// # Errors
    /// None in practice.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Self::body(
            self.org,
            self.case,
            self.purpose,
            &self.partner,
            self.fields,
            self.at,
        )?;
        for (key, sig) in &self.signers {
            out.put(key.as_bytes());
            out.put(&sig.to_bytes());
        }
        Ok(out)
    }

    /// Decodes an override and verifies both signatures.
    ///
    /// # Errors
    /// [`DecodeError`]; [`DecodeError::NotCanonical`] if the keys are not strictly
    /// ascending.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::ConsentOverride, MAX_OVERRIDE_LEN)?;
        let org = OrgId(r.array()?);
        let case = CaseId(r.array()?);
        let purpose = Purpose::from_byte(r.u8()?)?;
        let partner = read_text(&mut r, Field::Partner, 1, MAX_PARTNER, Lines::One)?;
        check_partner(&partner)?;
        let fields = CaseFields::from_bits(u16::from_be_bytes(r.array()?))?;
        let at = r.u64()?;
        let k1 = read_key(&mut r)?;
        let s1 = read_signature(&mut r)?;
        let k2 = read_key(&mut r)?;
        let s2 = read_signature(&mut r)?;
        r.finish()?;
        if k1.as_bytes() >= k2.as_bytes() {
            return Err(DecodeError::NotCanonical(Field::Members));
        }
        Self::combine(org, case, purpose, &partner, fields, at, (k1, s1), (k2, s2)).map_err(|e| {
            match e {
                ConsentError::Decode(d) => d,
                _ => DecodeError::NotCanonical(Field::Members),
            }
        })
    }

    /// The two signers' keys.
    pub fn signers(&self) -> [&VerifyingKey; 2] {
        [&self.signers[0].0, &self.signers[1].0]
    }
}

impl fmt::Debug for ConsentOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsentOverride")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

/// What allows a handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The requester's consent.
    Consent,
    /// Two coordinators' override.
    Override,
}

/// Whether a handoff of `case` for `purpose` to `partner`, sharing `fields`, may go
/// ahead. Consents count only when signed by `requester` (the case's requester key) for
/// this organization and case; among those for this purpose and partner the latest answer
/// (by time, then by signature bytes) decides, and it must be given and cover `fields`.
/// Otherwise an override counts when both its signers are current coordinators of
/// `roster` and it names the same case, purpose, partner and covers the fields.
///
/// # Errors
/// [`ConsentError::Refused`] if the latest answer was no (and there is no override),
/// [`ConsentError::NoConsent`] otherwise.
#[allow(clippy::too_many_arguments)]
pub fn handoff_authority<'a>(
    roster: &Roster,
    case: CaseId,
    requester: &VerifyingKey,
    purpose: Purpose,
    partner: &str,
    fields: CaseFields,
    consents: impl IntoIterator<Item = &'a Consent>,
    overrides: impl IntoIterator<Item = &'a ConsentOverride>,
) -> Result<Authority, ConsentError> {
    let org = roster.org();
    let latest = consents
        .into_iter()
        .filter(|c| {
            c.org == org
                && c.case == case
                && c.signer == *requester
                && c.purpose == purpose
                && c.partner == partner
        })
        .max_by(|a, b| (a.at, a.signature.to_bytes()).cmp(&(b.at, b.signature.to_bytes())));
    if let Some(c) = latest
        && c.given
        && c.fields.covers(fields)
    {
        return Ok(Authority::Consent);
    }
    let overridden = overrides.into_iter().any(|o| {
        o.org == org
            && o.case == case
            && o.purpose == purpose
            && o.partner == partner
            && o.fields.covers(fields)
            && o.signers
                .iter()
                .all(|(key, _)| roster.role_of(key).ok() == Some(Role::Coordinator))
    });
    if overridden {
        return Ok(Authority::Override);
    }
    match latest {
        Some(c) if !c.given => Err(ConsentError::Refused),
        _ => Err(ConsentError::NoConsent),
    }
}
