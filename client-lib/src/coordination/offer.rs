//! Offers: what a host (shelter) or a travel helper (a journey) can give, signed by the
//! member who gives it, and the book of offers a case team's device keeps.
//!
//! An offer carries coarse places only (a region and a city, or a route between two
//! cities), never an address: the exact location leaves the host's device only for the
//! matched requester (issue 11, introductions). An offer is signed with its author's
//! organization key; [`OfferBook::apply`] accepts it only from a key on the current roster
//! with the role the offer needs (shelter: host, travel: travel helper), so a fake host
//! cannot publish one. Updates and withdrawals are later revisions of the same offer by the
//! same author. Capacity goes down as proposals are accepted ([`OfferBook::record_taken`]).

use super::encoding::{
    DecodeError, Field, FieldError, Kind, Lines, check_text, finish_signed, list_by_name,
    put_header, put_text, read_flag, read_header, read_key, read_text, short_hex, signed_bytes,
};
use super::ids::OrgId;
use super::intake::{MAX_LANGUAGE_TAG, MAX_LANGUAGES, MAX_REGION, put_languages, read_languages};
use super::role::Role;
use super::roster::{Roster, RosterError};
use crate::primitives::CryptoError;
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::primitives::random::{self, TryCryptoRng};
use crate::protocol::codec::Writer;
use crate::protocol::identity::Identity;
use data_encoding::BASE32_NOPAD;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};
use zeroize::Zeroize;

/// What an offer signature covers, before the offer's bytes.
pub const OFFER_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_offer";
/// Longest city, origin or destination, in characters.
pub const MAX_PLACE: usize = 100;
/// Most beds or seats in one offer.
pub const MAX_CAPACITY: u8 = 50;
/// Longest period an offer may cover, in days (from and to inclusive).
pub const MAX_OFFER_DAYS: u32 = 366;
/// Longest encoded offer.
pub const MAX_OFFER_LEN: usize = 2
    + 16
    + 16
    + 4
    + 1
    + 32
    + 1
    + 8
    + 4
    + 4
    + 1
    + 2 * (4 + 4 * MAX_PLACE)
    + 4
    + 4
    + MAX_LANGUAGES * (1 + MAX_LANGUAGE_TAG)
    + 64;

/// A calendar day: days since 1970-01-01 (UTC). Offers and needs are dated to the day.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Day(pub u32);

impl Day {
    /// The day a Unix time falls on (UTC).
    pub fn of_unix(secs: u64) -> Self {
        Self(u32::try_from(secs / 86_400).unwrap_or(u32::MAX))
    }

    /// The Unix time at the start of this day.
    pub fn start_unix(self) -> u64 {
        u64::from(self.0) * 86_400
    }

    /// Days from `self` to `later` (0 if `later` is not after `self`).
    pub fn days_until(self, later: Day) -> u32 {
        later.0.saturating_sub(self.0)
    }
}

impl fmt::Display for Day {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = UNIX_EPOCH + Duration::from_secs(self.start_unix());
        let text = humantime::format_rfc3339_seconds(at).to_string();
        f.write_str(text.get(..10).unwrap_or(&text))
    }
}

impl FromStr for Day {
    type Err = FieldError;

    /// Parses `YYYY-MM-DD` (a real calendar date).
    fn from_str(s: &str) -> Result<Self, FieldError> {
        const EXPECTED: FieldError = FieldError::Invalid {
            field: Field::Dates,
            expected: "a date as YYYY-MM-DD, such as 2027-03-01",
        };
        let s = s.trim();
        let shaped = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shaped {
            return Err(EXPECTED);
        }
        let at = humantime::parse_rfc3339(&format!("{s}T00:00:00Z")).map_err(|_| EXPECTED)?;
        let secs = at
            .duration_since(UNIX_EPOCH)
            .map_err(|_| EXPECTED)?
            .as_secs();
        Ok(Self::of_unix(secs))
    }
}

/// An offer's id: 16 random bytes, chosen by its author; shown short like a case id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfferId(pub [u8; 16]);

impl OfferId {
    /// A fresh id from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        Ok(Self(random::array(rng)?))
    }

    /// The short form people type: the first 40 bits in lowercase base32, two groups of
    /// four (`q2za-k3f7`).
    pub fn short(&self) -> String {
        let text = BASE32_NOPAD.encode(&self.0[..5]).to_ascii_lowercase();
        format!("{}-{}", &text[..4], &text[4..])
    }

    /// Whether `typed` is this id's short form or a prefix of it of at least four
    /// characters (case-insensitive, dash optional).
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

impl fmt::Display for OfferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for OfferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OfferId({}..)", short_hex(&self.0))
    }
}

/// A host's house rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum HouseRule {
    /// Only women (and their children) stay here.
    WomenOnly = 0x01,
    /// Only families with children stay here.
    Families = 0x02,
    /// No children.
    NoChildren = 0x04,
}

impl HouseRule {
    /// Every rule, in encoding order.
    pub const ALL: [HouseRule; 3] = [
        HouseRule::WomenOnly,
        HouseRule::Families,
        HouseRule::NoChildren,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WomenOnly => "women-only",
            Self::Families => "families",
            Self::NoChildren => "no-children",
        }
    }
}

/// A set of [`HouseRule`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct HouseRules(u8);

const RULES_EXPECTED: FieldError = FieldError::Invalid {
    field: Field::HouseRules,
    expected: "rules from women-only, families, no-children (families and no-children exclude each other)",
};

impl HouseRules {
    const DEFINED: u8 = 0x07;

    /// The set of `rules`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] for families together with no-children.
    pub fn new(rules: &[HouseRule]) -> Result<Self, FieldError> {
        let bits = rules.iter().fold(0u8, |bits, rule| bits | *rule as u8);
        Self::from_bits(bits)
    }

    fn from_bits(bits: u8) -> Result<Self, FieldError> {
        let both = HouseRule::Families as u8 | HouseRule::NoChildren as u8;
        if bits & !Self::DEFINED != 0 || bits & both == both {
            return Err(RULES_EXPECTED);
        }
        Ok(Self(bits))
    }

    /// Parses a comma-separated list such as `women-only,no-children` (empty: no rules).
    ///
    /// # Errors
    /// [`FieldError::Invalid`] for an unknown name or a contradiction.
    pub fn parse_list(list: &str) -> Result<Self, FieldError> {
        Self::new(&list_by_name(
            list,
            &HouseRule::ALL,
            HouseRule::as_str,
            RULES_EXPECTED,
        )?)
    }

    /// Whether `rule` is in the set.
    pub fn contains(self, rule: HouseRule) -> bool {
        self.0 & rule as u8 != 0
    }

    /// The rules in the set, in encoding order.
    pub fn iter(self) -> impl Iterator<Item = HouseRule> {
        HouseRule::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }
}

/// Something a travel helper provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Provision {
    /// Tickets (bus, train, plane).
    Tickets = 0x01,
    /// Money for the journey.
    Funds = 0x02,
    /// Someone travels with them.
    Escort = 0x04,
    /// Help with identity or travel documents.
    Documents = 0x08,
    /// Legal help on the way (borders, asylum).
    Legal = 0x10,
}

impl Provision {
    /// Every provision, in encoding order.
    pub const ALL: [Provision; 5] = [
        Provision::Tickets,
        Provision::Funds,
        Provision::Escort,
        Provision::Documents,
        Provision::Legal,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tickets => "tickets",
            Self::Funds => "funds",
            Self::Escort => "escort",
            Self::Documents => "documents",
            Self::Legal => "legal",
        }
    }
}

/// A non-empty set of [`Provision`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Provisions(u8);

const PROVIDES_EXPECTED: FieldError = FieldError::Invalid {
    field: Field::Provides,
    expected: "one or more of tickets, funds, escort, documents, legal",
};

impl Provisions {
    const DEFINED: u8 = 0x1f;

    /// The set of `items`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] if empty.
    pub fn new(items: &[Provision]) -> Result<Self, FieldError> {
        let bits = items.iter().fold(0u8, |bits, p| bits | *p as u8);
        Self::from_bits(bits)
    }

    fn from_bits(bits: u8) -> Result<Self, FieldError> {
        if bits == 0 || bits & !Self::DEFINED != 0 {
            return Err(PROVIDES_EXPECTED);
        }
        Ok(Self(bits))
    }

    /// Parses a comma-separated list such as `tickets,escort`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] for an empty list or an unknown name.
    pub fn parse_list(list: &str) -> Result<Self, FieldError> {
        Self::new(&list_by_name(
            list,
            &Provision::ALL,
            Provision::as_str,
            PROVIDES_EXPECTED,
        )?)
    }

    /// Whether `item` is in the set.
    pub fn contains(self, item: Provision) -> bool {
        self.0 & item as u8 != 0
    }

    /// The provisions in the set, in encoding order.
    pub fn iter(self) -> impl Iterator<Item = Provision> {
        Provision::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

/// What is offered.
#[derive(Clone, PartialEq, Eq)]
pub enum OfferBody {
    /// A place to stay.
    Shelter {
        /// The region (coarse; never an address).
        region: String,
        /// The city.
        city: String,
        /// Free beds.
        beds: u8,
        /// House rules.
        rules: HouseRules,
        /// Step-free, accessible.
        accessible: bool,
        /// Pets welcome.
        pets: bool,
        /// Languages spoken in the house (0 to 8 tags).
        languages: Vec<String>,
    },
    /// Help with a journey.
    Travel {
        /// Where it starts (a city).
        origin: String,
        /// Where it ends (a city).
        destination: String,
        /// What is provided.
        provides: Provisions,
        /// Free seats (people who can be helped).
        seats: u8,
        /// Languages the helper speaks (0 to 8 tags).
        languages: Vec<String>,
    },
}

impl OfferBody {
    /// The role that may offer this: a host for shelter, a travel helper for travel.
    pub fn role(&self) -> Role {
        match self {
            Self::Shelter { .. } => Role::Host,
            Self::Travel { .. } => Role::TravelHelper,
        }
    }

    /// Beds or seats.
    pub fn capacity(&self) -> u8 {
        match self {
            Self::Shelter { beds, .. } => *beds,
            Self::Travel { seats, .. } => *seats,
        }
    }

    /// The languages listed.
    pub fn languages(&self) -> &[String] {
        match self {
            Self::Shelter { languages, .. } | Self::Travel { languages, .. } => languages,
        }
    }

    fn check(&self) -> Result<(), FieldError> {
        match self {
            Self::Shelter {
                region,
                city,
                beds,
                languages,
                ..
            } => {
                check_place(Field::Region, region, MAX_REGION)?;
                check_place(Field::City, city, MAX_PLACE)?;
                check_capacity(Field::Beds, *beds)?;
                check_offer_languages(languages)
            }
            Self::Travel {
                origin,
                destination,
                seats,
                languages,
                ..
            } => {
                check_place(Field::Origin, origin, MAX_PLACE)?;
                check_place(Field::Destination, destination, MAX_PLACE)?;
                check_capacity(Field::Seats, *seats)?;
                check_offer_languages(languages)
            }
        }
    }
}

impl Drop for OfferBody {
    fn drop(&mut self) {
        match self {
            Self::Shelter {
                region,
                city,
                languages,
                ..
            } => {
                region.zeroize();
                city.zeroize();
                languages.zeroize();
            }
            Self::Travel {
                origin,
                destination,
                languages,
                ..
            } => {
                origin.zeroize();
                destination.zeroize();
                languages.zeroize();
            }
        }
    }
}

fn check_place(field: Field, text: &str, max: usize) -> Result<(), FieldError> {
    check_text(field, text, 1, max, Lines::One)?;
    if text.trim() != text {
        return Err(FieldError::Invalid {
            field,
            expected: "a place name without leading or trailing spaces",
        });
    }
    Ok(())
}

fn check_capacity(field: Field, n: u8) -> Result<(), FieldError> {
    if n == 0 || n > MAX_CAPACITY {
        return Err(FieldError::Invalid {
            field,
            expected: "a number from 1 to 50",
        });
    }
    Ok(())
}

fn check_offer_languages(tags: &[String]) -> Result<(), FieldError> {
    if tags.is_empty() {
        return Ok(());
    }
    let checked = super::intake::languages(tags)?;
    if checked != tags {
        return Err(FieldError::Invalid {
            field: Field::Languages,
            expected: "lowercase language tags such as tr, ru, az",
        });
    }
    Ok(())
}

/// The terms of an offer as its author fills them in: the dates and what is offered.
#[derive(Clone, PartialEq, Eq)]
pub struct OfferTerms {
    /// First day available.
    pub from: Day,
    /// Last day available (inclusive).
    pub to: Day,
    /// What is offered.
    pub body: OfferBody,
}

impl OfferTerms {
    /// Checks every field: places, capacity, languages, and dates (`from <= to`, at most
    /// [`MAX_OFFER_DAYS`] days).
    ///
    /// # Errors
    /// The first [`FieldError`], naming the field.
    pub fn check(&self) -> Result<(), FieldError> {
        self.body.check()?;
        check_dates(self.from, self.to)
    }
}

impl fmt::Debug for OfferTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OfferTerms(..)")
    }
}

fn check_dates(from: Day, to: Day) -> Result<(), FieldError> {
    if to < from || to.0 - from.0 >= MAX_OFFER_DAYS {
        return Err(FieldError::Invalid {
            field: Field::Dates,
            expected: "a last day on or after the first day, at most 366 days later",
        });
    }
    Ok(())
}

/// Why an offer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    /// Malformed, or the signature fails.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A field is not what is expected.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The offer is for another organization.
    #[error("the offer is for another organization")]
    WrongOrganization,
    /// The author is not on the current roster (never was, or was removed).
    #[error("the offer's author is not a member of the organization")]
    NotOnRoster,
    /// The author's role on the roster is not the one the offer needs (shelter: host,
    /// travel: travel helper) or not the one the offer was signed as.
    #[error("only a {needed} may make this offer")]
    WrongRole {
        /// The role the offer needs.
        needed: Role,
    },
    /// Another key already published an offer with this id.
    #[error("the offer id belongs to another member")]
    AuthorMismatch,
    /// A revision not newer than the one held.
    #[error("an older revision of the offer (held {held}, offered {offered})")]
    Stale {
        /// The revision held.
        held: u32,
        /// The revision offered.
        offered: u32,
    },
    /// The offer was withdrawn; it takes no further revisions.
    #[error("the offer was withdrawn")]
    Withdrawn,
    /// An update or withdrawal of an offer this book does not hold.
    #[error("no such offer")]
    UnknownOffer,
    /// Taking more places than are free.
    #[error("the offer has {free} free, {wanted} wanted")]
    NotEnoughCapacity {
        /// Places free.
        free: u32,
        /// Places wanted.
        wanted: u32,
    },
}

impl From<RosterError> for OfferError {
    fn from(_: RosterError) -> Self {
        Self::NotOnRoster
    }
}

/// A signed offer (its signature checked). `Debug` shows the id, revision and role only.
#[derive(Clone, PartialEq, Eq)]
pub struct Offer {
    org: OrgId,
    id: OfferId,
    revision: u32,
    withdrawn: bool,
    author: VerifyingKey,
    author_role: Role,
    issued_at: u64,
    terms: OfferTerms,
    signature: Signature,
}

impl Offer {
    /// Signs revision 0 of a new offer by `author`, acting as the role the terms need.
    ///
    /// # Errors
    /// [`OfferError::Field`] for a field that fails its check.
    pub fn publish(
        author: &Identity,
        org: OrgId,
        id: OfferId,
        terms: OfferTerms,
        issued_at: u64,
    ) -> Result<Self, OfferError> {
        terms.check()?;
        Self::sign(author, org, id, 0, false, terms, issued_at)
    }

    /// Signs the next revision with new terms (same id, same author).
    ///
    /// # Errors
    /// [`OfferError::AuthorMismatch`] if `author` did not publish this offer,
    /// [`OfferError::Withdrawn`] after a withdrawal, [`OfferError::Field`] for bad terms.
    pub fn update(
        &self,
        author: &Identity,
        terms: OfferTerms,
        issued_at: u64,
    ) -> Result<Self, OfferError> {
        self.check_successor(author)?;
        terms.check()?;
        Self::sign(
            author,
            self.org,
            self.id,
            self.next_revision()?,
            false,
            terms,
            issued_at.max(self.issued_at),
        )
    }

    /// Signs the withdrawal: the next revision, with the same terms, marked withdrawn.
    ///
    /// # Errors
    /// As [`Self::update`].
    pub fn withdraw(&self, author: &Identity, issued_at: u64) -> Result<Self, OfferError> {
        self.check_successor(author)?;
        Self::sign(
            author,
            self.org,
            self.id,
            self.next_revision()?,
            true,
            self.terms.clone(),
            issued_at.max(self.issued_at),
        )
    }

    fn check_successor(&self, author: &Identity) -> Result<(), OfferError> {
        if *author.public().signing_key() != self.author {
            return Err(OfferError::AuthorMismatch);
        }
        if self.withdrawn {
            return Err(OfferError::Withdrawn);
        }
        Ok(())
    }

    fn next_revision(&self) -> Result<u32, OfferError> {
        self.revision.checked_add(1).ok_or(OfferError::Stale {
            held: self.revision,
            offered: self.revision,
        })
    }

    fn sign(
        author: &Identity,
        org: OrgId,
        id: OfferId,
        revision: u32,
        withdrawn: bool,
        terms: OfferTerms,
        issued_at: u64,
    ) -> Result<Self, OfferError> {
        let mut offer = Self {
            org,
            id,
            revision,
            withdrawn,
            author: *author.public().signing_key(),
            author_role: terms.body.role(),
            issued_at,
            terms,
            signature: Signature::from_bytes([0; 64]),
        };
        let body = offer.body()?;
        offer.signature = author.sign(&signed_bytes(OFFER_SIGNATURE_LABEL, &body));
        Ok(offer)
    }

    /// The organization.
    pub fn org(&self) -> OrgId {
        self.org
    }
    /// The offer's id.
    pub fn id(&self) -> OfferId {
        self.id
    }
    /// Its revision (0 when first published).
    pub fn revision(&self) -> u32 {
        self.revision
    }
    /// Whether this revision withdraws the offer.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn
    }
    /// The author's organization key.
    pub fn author(&self) -> &VerifyingKey {
        &self.author
    }
    /// The role the author signed as.
    pub fn author_role(&self) -> Role {
        self.author_role
    }
    /// When this revision was signed (the author's clock).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// The terms.
    pub fn terms(&self) -> &OfferTerms {
        &self.terms
    }

    fn body(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::Offer);
        out.put(&self.org.0);
        out.put(&self.id.0);
        out.put_u32(self.revision);
        out.put_u8(if self.withdrawn { 2 } else { 1 });
        out.put(self.author.as_bytes());
        out.put_u8(self.author_role as u8);
        out.put_u64(self.issued_at);
        out.put_u32(self.terms.from.0);
        out.put_u32(self.terms.to.0);
        match &self.terms.body {
            OfferBody::Shelter {
                region,
                city,
                beds,
                rules,
                accessible,
                pets,
                languages,
            } => {
                out.put_u8(1);
                put_text(&mut out, region)?;
                put_text(&mut out, city)?;
                out.put_u8(*beds);
                out.put_u8(rules.0);
                out.put_u8(u8::from(*accessible));
                out.put_u8(u8::from(*pets));
                put_languages(&mut out, languages)?;
            }
            OfferBody::Travel {
                origin,
                destination,
                provides,
                seats,
                languages,
            } => {
                out.put_u8(2);
                put_text(&mut out, origin)?;
                put_text(&mut out, destination)?;
                out.put_u8(provides.0);
                out.put_u8(*seats);
                put_languages(&mut out, languages)?;
            }
        }
        Ok(out)
    }

    /// The encoding (`docs/coordination.md`, "Offer").
    ///
    /// # Errors
    /// None in practice (every field is within its bound).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = self.body()?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes an offer, re-checks its fields and verifies its signature.
    ///
    /// # Errors
    /// [`DecodeError`]: malformed, out of range, or [`DecodeError::BadSignature`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::Offer, MAX_OFFER_LEN)?;
        let org = OrgId(r.array()?);
        let id = OfferId(r.array()?);
        let revision = r.u32()?;
        let withdrawn = match r.u8()? {
            1 => false,
            2 => true,
            _ => return Err(DecodeError::UnknownValue(Field::Status)),
        };
        let author = read_key(&mut r)?;
        let author_role = Role::from_byte(r.u8()?)?;
        let issued_at = r.u64()?;
        let from = Day(r.u32()?);
        let to = Day(r.u32()?);
        let body = match r.u8()? {
            1 => {
                let region = read_text(&mut r, Field::Region, 1, MAX_REGION, Lines::One)?;
                let city = read_text(&mut r, Field::City, 1, MAX_PLACE, Lines::One)?;
                let beds = r.u8()?;
                let rules = HouseRules::from_bits(r.u8()?)?;
                let accessible = read_flag(&mut r, Field::HouseRules)?;
                let pets = read_flag(&mut r, Field::HouseRules)?;
                let languages = read_languages(&mut r, true)?;
                OfferBody::Shelter {
                    region,
                    city,
                    beds,
                    rules,
                    accessible,
                    pets,
                    languages,
                }
            }
            2 => {
                let origin = read_text(&mut r, Field::Origin, 1, MAX_PLACE, Lines::One)?;
                let destination = read_text(&mut r, Field::Destination, 1, MAX_PLACE, Lines::One)?;
                let provides = Provisions::from_bits(r.u8()?)?;
                let seats = r.u8()?;
                let languages = read_languages(&mut r, true)?;
                OfferBody::Travel {
                    origin,
                    destination,
                    provides,
                    seats,
                    languages,
                }
            }
            _ => return Err(DecodeError::UnknownValue(Field::EventBody)),
        };
        let terms = OfferTerms { from, to, body };
        terms.check()?;
        if terms.body.role() != author_role {
            return Err(DecodeError::NotCanonical(Field::Role));
        }
        let signature = finish_signed(r, bytes, OFFER_SIGNATURE_LABEL, &author)?;
        Ok(Self {
            org,
            id,
            revision,
            withdrawn,
            author,
            author_role,
            issued_at,
            terms,
            signature,
        })
    }

    /// Checks the author against the roster: a current member whose role is the one the
    /// offer needs and was signed as.
    ///
    /// # Errors
    /// [`OfferError::WrongOrganization`], [`OfferError::NotOnRoster`] (not listed, or
    /// removed), [`OfferError::WrongRole`].
    pub fn check_author(&self, roster: &Roster) -> Result<(), OfferError> {
        if self.org != roster.org() {
            return Err(OfferError::WrongOrganization);
        }
        let role = roster.role_of(&self.author)?;
        let needed = self.terms.body.role();
        if role != needed || self.author_role != needed {
            return Err(OfferError::WrongRole { needed });
        }
        Ok(())
    }
}

impl fmt::Debug for Offer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Offer")
            .field("id", &self.id)
            .field("revision", &self.revision)
            .field("role", &self.author_role)
            .field("withdrawn", &self.withdrawn)
            .finish_non_exhaustive()
    }
}

/// What [`OfferBook::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferChange {
    /// A new offer.
    Published,
    /// A newer revision replaced the held one.
    Updated,
    /// The offer was withdrawn.
    Withdrawn,
    /// This exact revision was already held (not an error: fan-out may deliver twice).
    AlreadyHeld,
}

/// The offers a case team's device holds: the latest revision of each, and how many of
/// its places accepted proposals have taken.
#[derive(Debug, Clone, Default)]
pub struct OfferBook {
    offers: BTreeMap<OfferId, Offer>,
    /// Per offer: proposal id -> places taken.
    taken: BTreeMap<OfferId, BTreeMap<[u8; 16], u32>>,
}

impl OfferBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `offer` if its author may make it now (checked against `roster`) and it is
    /// newer than the revision held. Changes nothing on error.
    ///
    /// # Errors
    /// [`Offer::check_author`]'s errors, [`OfferError::AuthorMismatch`],
    /// [`OfferError::Stale`], [`OfferError::Withdrawn`].
    pub fn apply(&mut self, offer: Offer, roster: &Roster) -> Result<OfferChange, OfferError> {
        offer.check_author(roster)?;
        if let Some(held) = self.offers.get(&offer.id) {
            if held.author != offer.author {
                return Err(OfferError::AuthorMismatch);
            }
            if *held == offer {
                return Ok(OfferChange::AlreadyHeld);
            }
            if held.withdrawn {
                return Err(OfferError::Withdrawn);
            }
            if offer.revision <= held.revision {
                return Err(OfferError::Stale {
                    held: held.revision,
                    offered: offer.revision,
                });
            }
        }
        let change = match (self.offers.contains_key(&offer.id), offer.withdrawn) {
            (_, true) => OfferChange::Withdrawn,
            (true, false) => OfferChange::Updated,
            (false, false) => OfferChange::Published,
        };
        self.offers.insert(offer.id, offer);
        Ok(change)
    }

    /// The offer held under `id`.
    pub fn get(&self, id: &OfferId) -> Option<&Offer> {
        self.offers.get(id)
    }

    /// Every offer held (withdrawn ones included), in id order.
    pub fn offers(&self) -> impl Iterator<Item = &Offer> {
        self.offers.values()
    }

    /// Places still free on offer `id`: its capacity less what accepted proposals took
    /// (0 for a withdrawn or unknown offer).
    pub fn free(&self, id: &OfferId) -> u32 {
        let Some(offer) = self.offers.get(id) else {
            return 0;
        };
        if offer.withdrawn {
            return 0;
        }
        let taken: u32 = self.taken.get(id).map_or(0, |t| t.values().sum());
        u32::from(offer.terms.body.capacity()).saturating_sub(taken)
    }

    /// Records that proposal `proposal` (an accepted one) takes `places` of offer `id`.
    /// Recording the same proposal again changes nothing.
    ///
    /// # Errors
    /// [`OfferError::UnknownOffer`], [`OfferError::Withdrawn`],
    /// [`OfferError::NotEnoughCapacity`].
    pub fn record_taken(
        &mut self,
        id: &OfferId,
        proposal: [u8; 16],
        places: u32,
    ) -> Result<(), OfferError> {
        let offer = self.offers.get(id).ok_or(OfferError::UnknownOffer)?;
        if offer.withdrawn {
            return Err(OfferError::Withdrawn);
        }
        if self
            .taken
            .get(id)
            .is_some_and(|t| t.contains_key(&proposal))
        {
            return Ok(());
        }
        let free = self.free(id);
        if places > free {
            return Err(OfferError::NotEnoughCapacity {
                free,
                wanted: places,
            });
        }
        self.taken.entry(*id).or_default().insert(proposal, places);
        Ok(())
    }

    /// Forgets a taken place (the proposal fell through).
    pub fn release(&mut self, id: &OfferId, proposal: &[u8; 16]) {
        if let Some(t) = self.taken.get_mut(id) {
            t.remove(proposal);
        }
    }
}
