//! The byte layout every coordination message shares, and the checks on the text fields.
//!
//! A coordination message is `version (1) || kind (1) || fields`, written with the
//! protocol's strict codec ([`crate::protocol::codec`]): fixed-size keys and ids, big-endian
//! integers, text as a four-byte length and UTF-8. There is exactly one encoding of each
//! value (lists sorted where order carries no meaning, no optional padding), so what is
//! signed and hashed is what is decoded. Every decoder refuses trailing bytes, unknown
//! versions, unknown kinds and out-of-range values with a [`DecodeError`], never a panic.
//! `docs/coordination.md` lists the layouts.

use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::protocol::codec::{Reader, Truncated, Writer};
use std::fmt;

/// The version byte that starts every coordination message this code writes and reads.
pub const COORDINATION_VERSION: u8 = 1;

/// The kind byte after the version: which message follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[non_exhaustive]
pub enum Kind {
    /// A roster epoch ([`super::roster::RosterEpoch`]).
    RosterEpoch = 1,
    /// A membership certificate ([`super::certificate::MembershipCertificate`]).
    Certificate = 2,
    /// A vouch ([`super::vouch::Vouch`]).
    Vouch = 3,
    /// An intake request ([`super::intake::IntakeRequest`]).
    IntakeRequest = 4,
    /// A case event ([`super::event::CaseEvent`]).
    CaseEvent = 5,
    /// An audit log entry ([`super::audit::AuditEntry`]).
    AuditEntry = 6,
    /// Organization message: the welcome to a new member ([`super::message::OrgMessage`]).
    Welcome = 7,
    /// Organization message: a run of roster epochs.
    RosterEpochs = 8,
    /// Organization message: a membership certificate and the current epoch number.
    CertificateGrant = 9,
    /// Organization message: a case's events, parents first.
    CaseEvents = 10,
    /// Organization message: an intake request (requester to organization).
    Intake = 11,
    /// Organization message: the new assignee's one-time invitation, for the desk holder.
    Introduce = 12,
    /// Organization message: the desk holder passes the new assignee's code on to the
    /// requester.
    Handover = 13,
    /// Organization message: the case is closed; the requester's device purges at the time given.
    CaseClosed = 14,
    /// A shelter or travel offer ([`super::offer::Offer`]).
    Offer = 0x20,
    /// A coordinator's vetting record on a host or travel helper ([`super::vetting::Vetting`]).
    Vetting = 0x21,
    /// A requester's consent to a transfer or referral ([`super::consent::Consent`]).
    Consent = 0x22,
    /// Two coordinators overriding consent ([`super::consent::ConsentOverride`]).
    ConsentOverride = 0x23,
}

/// Why bytes were refused as a coordination message. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended early, had bytes left over, or a length ran past the end.
    #[error("message has the wrong length")]
    Truncated,
    /// The input is longer than any message of its kind may be.
    #[error("message is longer than {max} bytes")]
    TooLarge {
        /// The bound for this kind.
        max: usize,
    },
    /// The version byte is not [`COORDINATION_VERSION`].
    #[error("unknown coordination message version {0}")]
    Version(u8),
    /// The kind byte is not the kind the caller asked to decode.
    #[error("not the expected kind of coordination message")]
    WrongKind,
    /// A public key is not a valid Ed25519 key, or an identity's own signature fails.
    #[error("invalid public key")]
    BadKey,
    /// The message's signature does not verify under the key it names.
    #[error("bad signature")]
    BadSignature,
    /// An enumerated field holds a value this version does not define.
    #[error("unknown value in field {0}")]
    UnknownValue(Field),
    /// A list is longer than allowed.
    #[error("too many entries in {field} (at most {max})")]
    TooMany {
        /// Which list.
        field: Field,
        /// Its bound.
        max: usize,
    },
    /// The encoding is not the one canonical encoding (a list out of order, a duplicate,
    /// a flag byte with undefined bits).
    #[error("non-canonical encoding of {0}")]
    NotCanonical(Field),
    /// A field's value fails the same check it would fail when the message is made.
    #[error(transparent)]
    Field(#[from] FieldError),
}

impl From<Truncated> for DecodeError {
    fn from(_: Truncated) -> Self {
        Self::Truncated
    }
}

/// The name of a field, for errors that say which field is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// A requester's alias.
    Alias,
    /// The region a requester is in.
    Region,
    /// How many adults.
    Adults,
    /// How many children.
    Children,
    /// What a host must know about the household.
    Household,
    /// The needs (shelter, travel, legal, medical, documents).
    Needs,
    /// The languages spoken.
    Languages,
    /// The urgency.
    Urgency,
    /// When and how contact is safe.
    SafeContact,
    /// Free text from the requester.
    Note,
    /// A member's or referrer's display alias on the roster.
    MemberAlias,
    /// A role.
    Role,
    /// The roster's member list.
    Members,
    /// The roster's registered referrers.
    Referrers,
    /// The organization's relays.
    Relays,
    /// The roster's retention policy.
    Retention,
    /// A validity period (issued at, expires at).
    Validity,
    /// A vouch's verification tier.
    Tier,
    /// A vouch's note.
    VouchNote,
    /// A case status.
    Status,
    /// The reason given with a status change.
    Reason,
    /// A case note's text.
    CaseNote,
    /// A case event's parents.
    Parents,
    /// A case event's body.
    EventBody,
    /// An audit entry's action.
    Action,
    /// The organization's name (organization messages).
    OrgName,
    /// An invitation code carried in an organization message.
    Code,
    /// A list inside an organization message.
    Messages,
    /// An offer's city.
    City,
    /// A shelter's beds.
    Beds,
    /// A travel offer's seats.
    Seats,
    /// An offer's or a need's dates.
    Dates,
    /// A shelter's house rules.
    HouseRules,
    /// What a travel offer provides.
    Provides,
    /// Where a journey starts.
    Origin,
    /// Where a journey ends.
    Destination,
    /// How a member was vetted.
    VettingKind,
    /// A vetting record's note.
    VettingNote,
    /// The partner organization named in a consent.
    Partner,
    /// The case fields a consent allows to share.
    SharedFields,
    /// What a consent is for (transfer or referral).
    Purpose,
    /// A check-in code.
    CheckinCode,
    /// A check-in schedule.
    Schedule,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Alias => "alias",
            Self::Region => "region",
            Self::Adults => "adults",
            Self::Children => "children",
            Self::Household => "household",
            Self::Needs => "needs",
            Self::Languages => "languages",
            Self::Urgency => "urgency",
            Self::SafeContact => "safe-contact",
            Self::Note => "note",
            Self::MemberAlias => "member alias",
            Self::Role => "role",
            Self::Members => "members",
            Self::Referrers => "referrers",
            Self::Relays => "relays",
            Self::Retention => "retention",
            Self::Validity => "validity",
            Self::Tier => "tier",
            Self::VouchNote => "vouch note",
            Self::Status => "status",
            Self::Reason => "reason",
            Self::CaseNote => "case note",
            Self::Parents => "parents",
            Self::EventBody => "event body",
            Self::Action => "action",
            Self::OrgName => "organization name",
            Self::Code => "invitation code",
            Self::Messages => "messages",
            Self::City => "city",
            Self::Beds => "beds",
            Self::Seats => "seats",
            Self::Dates => "dates",
            Self::HouseRules => "rules",
            Self::Provides => "provides",
            Self::Origin => "origin",
            Self::Destination => "destination",
            Self::VettingKind => "kind",
            Self::VettingNote => "vetting note",
            Self::Partner => "partner",
            Self::SharedFields => "fields",
            Self::Purpose => "purpose",
            Self::CheckinCode => "check-in code",
            Self::Schedule => "schedule",
        })
    }
}

/// A field value that is not what is expected. The message says what is expected and
/// never repeats the value (it may be someone's alias or story).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A required text is empty (or only whitespace).
    #[error("{0} must not be empty")]
    Empty(Field),
    /// A text is longer than allowed.
    #[error("{field} must be at most {max} characters")]
    TooLong {
        /// Which field.
        field: Field,
        /// Its bound, in characters (Unicode scalar values).
        max: usize,
    },
    /// A text holds a control character (other than a line break where lines are
    /// allowed) or a bidirectional-override character, which could disguise what a reader
    /// sees.
    #[error("{0} must not contain control or bidirectional-override characters")]
    ForbiddenCharacter(Field),
    /// A value is out of range or not one of the defined values.
    #[error("{field}: expected {expected}")]
    Invalid {
        /// Which field.
        field: Field,
        /// What would be accepted, in words.
        expected: &'static str,
    },
}

/// Whether a text field may span several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    One,
    Many,
}

/// Checks a text field: `min`..=`max` characters (a `min` of 1 also refuses text that
/// is only whitespace), no control characters except `\n` when `lines` is
/// [`Lines::Many`], no bidirectional overrides or isolates.
pub(crate) fn check_text(
    field: Field,
    text: &str,
    min: usize,
    max: usize,
    lines: Lines,
) -> Result<(), FieldError> {
    if min > 0 && text.trim().is_empty() {
        return Err(FieldError::Empty(field));
    }
    let mut count = 0usize;
    for c in text.chars() {
        count += 1;
        let allowed_break = c == '\n' && lines == Lines::Many;
        if (c.is_control() && !allowed_break) || is_bidi_control(c) {
            return Err(FieldError::ForbiddenCharacter(field));
        }
    }
    if count > max {
        return Err(FieldError::TooLong { field, max });
    }
    Ok(())
}

/// Bidirectional embedding, override and isolate controls (Unicode's Bidi_Control minus
/// the marks), which can make text read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Starts a message: version and kind.
pub(crate) fn put_header(out: &mut Vec<u8>, kind: Kind) {
    out.put_u8(COORDINATION_VERSION);
    out.put_u8(kind as u8);
}

/// Checks the size bound, the version and the kind, and returns a reader after them.
pub(crate) fn read_header(bytes: &[u8], kind: Kind, max: usize) -> Result<Reader<'_>, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLarge { max });
    }
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != COORDINATION_VERSION {
        return Err(DecodeError::Version(version));
    }
    if r.u8()? != kind as u8 {
        return Err(DecodeError::WrongKind);
    }
    Ok(r)
}

/// Appends a text field (four-byte length, UTF-8).
pub(crate) fn put_text(out: &mut Vec<u8>, text: &str) -> Result<(), DecodeError> {
    out.put_long_bytes(text.as_bytes())?;
    Ok(())
}

/// Reads a text field and checks it as [`check_text`] does.
pub(crate) fn read_text(
    r: &mut Reader<'_>,
    field: Field,
    min: usize,
    max: usize,
    lines: Lines,
) -> Result<String, DecodeError> {
    let bytes = r.long_bytes()?;
    // A character is at most four bytes; longer input cannot pass the bound.
    if bytes.len() > max.saturating_mul(4) {
        return Err(FieldError::TooLong { field, max }.into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FieldError::Invalid {
        field,
        expected: "UTF-8 text",
    })?;
    check_text(field, text, min, max, lines)?;
    Ok(text.to_owned())
}

/// Reads a 32-byte Ed25519 public key.
pub(crate) fn read_key(r: &mut Reader<'_>) -> Result<VerifyingKey, DecodeError> {
    VerifyingKey::from_bytes(&r.array()?).map_err(|_| DecodeError::BadKey)
}

/// Reads a 64-byte signature.
pub(crate) fn read_signature(r: &mut Reader<'_>) -> Result<Signature, DecodeError> {
    Ok(Signature::from_bytes(r.array()?))
}

/// Reads a list count (four bytes) and checks it against `max`.
pub(crate) fn read_count(
    r: &mut Reader<'_>,
    field: Field,
    max: usize,
) -> Result<usize, DecodeError> {
    let count = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooMany { field, max })?;
    if count > max {
        return Err(DecodeError::TooMany { field, max });
    }
    Ok(count)
}

/// Appends a list count. Callers have already checked it against the list's bound, which
/// is far below `u32::MAX`.
pub(crate) fn put_count(out: &mut Vec<u8>, count: usize) {
    out.put_u32(u32::try_from(count).unwrap_or(u32::MAX));
}

/// The bytes a signature covers: a label naming the message's purpose, then the message
/// up to (not including) the signature.
pub(crate) fn signed_bytes(label: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + body.len());
    out.extend_from_slice(label);
    out.extend_from_slice(body);
    out
}

/// Reads the signature that ends a signed message and verifies it: `signer` signed
/// `label || bytes[..body_len]`, where `body_len` is the length of everything before the
/// signature. Refuses trailing bytes.
pub(crate) fn finish_signed(
    mut r: Reader<'_>,
    bytes: &[u8],
    label: &[u8],
    signer: &VerifyingKey,
) -> Result<Signature, DecodeError> {
    let body_len = bytes.len() - r.remaining();
    let signature = read_signature(&mut r)?;
    r.finish()?;
    signer
        .verify(&signed_bytes(label, &bytes[..body_len]), &signature)
        .map_err(|_| DecodeError::BadSignature)?;
    Ok(signature)
}

/// The value among `all` whose name (`name`) is `typed`, trimmed; else `err`.
pub(crate) fn by_name<T: Copy>(
    typed: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    err: FieldError,
) -> Result<T, FieldError> {
    let typed = typed.trim();
    all.iter().copied().find(|v| name(*v) == typed).ok_or(err)
}

/// A comma-separated list of names, each as [`by_name`] reads it (empty entries skipped).
pub(crate) fn list_by_name<T: Copy>(
    list: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    err: FieldError,
) -> Result<Vec<T>, FieldError> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| by_name(s, all, name, err))
        .collect()
}

/// Reads a flag byte: `0x00` or `0x01`, anything else is not canonical.
pub(crate) fn read_flag(r: &mut Reader<'_>, field: Field) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::NotCanonical(field)),
    }
}

/// Hex of the first four bytes, for `Debug` of hashes (enough to tell two apart in a
/// test failure, too little to be a stable identifier in a log).
pub(crate) fn short_hex(bytes: &[u8]) -> String {
    bytes.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let f = Field::Alias;
        assert_eq!(check_text(f, "Ali", 1, 3, Lines::One), Ok(()));
        assert_eq!(
            check_text(f, "   ", 1, 3, Lines::One),
            Err(FieldError::Empty(f))
        );
        assert_eq!(check_text(f, "", 0, 3, Lines::One), Ok(()));
        assert_eq!(
            check_text(f, "Alis", 1, 3, Lines::One),
            Err(FieldError::TooLong { field: f, max: 3 })
        );
        // Characters, not bytes.
        assert_eq!(check_text(f, "ЁЖЗ", 1, 3, Lines::One), Ok(()));
        assert_eq!(
            check_text(f, "a\nb", 1, 3, Lines::One),
            Err(FieldError::ForbiddenCharacter(f))
        );
        assert_eq!(check_text(f, "a\nb", 1, 3, Lines::Many), Ok(()));
        assert_eq!(
            check_text(f, "a\u{202E}b", 1, 3, Lines::Many),
            Err(FieldError::ForbiddenCharacter(f))
        );
        assert_eq!(
            check_text(f, "a\u{7}", 1, 3, Lines::Many),
            Err(FieldError::ForbiddenCharacter(f))
        );
    }

    #[test]
    fn header_checks() {
        assert_eq!(
            read_header(&[1, 9], Kind::Vouch, 10).err(),
            Some(DecodeError::WrongKind)
        );
        assert_eq!(
            read_header(&[2, 3], Kind::Vouch, 10).err(),
            Some(DecodeError::Version(2))
        );
        assert_eq!(
            read_header(&[1], Kind::Vouch, 10).err(),
            Some(DecodeError::Truncated)
        );
        assert_eq!(
            read_header(&[0; 11], Kind::Vouch, 10).err(),
            Some(DecodeError::TooLarge { max: 10 })
        );
        assert!(read_header(&[1, 3], Kind::Vouch, 10).is_ok());
    }
}
