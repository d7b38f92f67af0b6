//! The intake request: the structured form a requester sends to ask for help.
//!
//! Every field is checked when the request is made ([`IntakeRequest::new`]) and again
//! when it is decoded, with a [`FieldError`] that names the field and says what is
//! expected. The text is the most sensitive thing Corridor carries (who someone is, where,
//! what happened), so the type zeroizes its text on drop and its `Debug` shows nothing.

use super::encoding::{
    self, DecodeError, Field, FieldError, Kind, Lines, check_text, put_header, put_text,
    read_count, read_header, read_text,
};
use crate::protocol::codec::{Reader, Writer};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroize;

/// Longest alias, in characters.
pub const MAX_ALIAS: usize = 64;
/// Longest region, in characters.
pub const MAX_REGION: usize = 100;
/// Most adults (and, separately, most children) in one request.
pub const MAX_PEOPLE: u8 = 50;
/// Longest household description, in characters.
pub const MAX_HOUSEHOLD: usize = 1000;
/// Most languages.
pub const MAX_LANGUAGES: usize = 8;
/// Longest language tag (BCP 47's practical maximum).
pub const MAX_LANGUAGE_TAG: usize = 35;
/// Longest safe-contact text, in characters.
pub const MAX_SAFE_CONTACT: usize = 300;
/// Longest free-text note, in characters.
pub const MAX_NOTE: usize = 4000;
/// Longest encoded request: every text at its bound in four-byte characters, plus fields.
pub const MAX_REQUEST_LEN: usize = 4
    * (MAX_ALIAS + MAX_REGION + MAX_HOUSEHOLD + MAX_SAFE_CONTACT + MAX_NOTE)
    + MAX_LANGUAGES * (4 + MAX_LANGUAGE_TAG)
    + 64;

/// One kind of help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Need {
    /// A safe place to stay.
    Shelter = 0x01,
    /// Help getting out (tickets, funds, escort).
    Travel = 0x02,
    /// Legal help (asylum, status).
    Legal = 0x04,
    /// Medical care.
    Medical = 0x08,
    /// Identity or travel documents.
    Documents = 0x10,
}

impl Need {
    /// Every need, in encoding order.
    pub const ALL: [Need; 5] = [
        Need::Shelter,
        Need::Travel,
        Need::Legal,
        Need::Medical,
        Need::Documents,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shelter => "shelter",
            Self::Travel => "travel",
            Self::Legal => "legal",
            Self::Medical => "medical",
            Self::Documents => "documents",
        }
    }
}

impl FromStr for Need {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|need| need.as_str() == s.trim())
            .ok_or(NEEDS_EXPECTED)
    }
}

const NEEDS_EXPECTED: FieldError = FieldError::Invalid {
    field: Field::Needs,
    expected: "one or more of shelter, travel, legal, medical, documents",
};

/// A non-empty set of [`Need`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Needs(u8);

impl Needs {
    const DEFINED: u8 = 0x1f;

    /// The set of `needs` (duplicates collapse).
    ///
    /// # Errors
    /// [`FieldError::Invalid`] if `needs` is empty.
    pub fn new(needs: &[Need]) -> Result<Self, FieldError> {
        let bits = needs.iter().fold(0u8, |bits, need| bits | *need as u8);
        if bits == 0 {
            return Err(NEEDS_EXPECTED);
        }
        Ok(Self(bits))
    }

    /// Parses a comma-separated list such as `shelter,travel`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] for an empty list or an unknown name.
    pub fn parse_list(list: &str) -> Result<Self, FieldError> {
        let needs = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Need::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&needs)
    }

    /// Whether `need` is in the set.
    pub fn contains(self, need: Need) -> bool {
        self.0 & need as u8 != 0
    }

    /// The needs in the set, in [`Need::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Need> {
        Need::ALL
            .into_iter()
            .filter(move |need| self.contains(*need))
    }

    fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        if byte & !Self::DEFINED != 0 {
            return Err(DecodeError::NotCanonical(Field::Needs));
        }
        if byte == 0 {
            return Err(NEEDS_EXPECTED.into());
        }
        Ok(Self(byte))
    }
}

impl fmt::Debug for Needs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Need::as_str))
            .finish()
    }
}

/// How urgent the request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Urgency {
    /// Can wait weeks.
    Low = 1,
    /// Days to weeks.
    Medium = 2,
    /// Days.
    High = 3,
    /// Immediate danger.
    Critical = 4,
}

impl Urgency {
    /// Every urgency, lowest first.
    pub const ALL: [Urgency; 4] = [
        Urgency::Low,
        Urgency::Medium,
        Urgency::High,
        Urgency::Critical,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl FromStr for Urgency {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == s.trim())
            .ok_or(FieldError::Invalid {
                field: Field::Urgency,
                expected: "one of low, medium, high, critical",
            })
    }
}

/// What a requester fills in, before it is checked. Its `Debug` shows nothing.
#[derive(Clone, Default)]
pub struct IntakeForm {
    /// The name the requester wants to be called (not their real name).
    pub alias: String,
    /// Where they are, coarsely (a city or region, never an address).
    pub region: String,
    /// How many adults.
    pub adults: u32,
    /// How many children.
    pub children: u32,
    /// What a host must know about the household.
    pub household: String,
    /// What help is needed.
    pub needs: Vec<Need>,
    /// Languages spoken, most preferred first, as BCP 47 tags (`tr`, `ru`, `az`, `fa`).
    pub languages: Vec<String>,
    /// How urgent.
    pub urgency: Option<Urgency>,
    /// When and how contact is safe.
    pub safe_contact: String,
    /// Anything else, in their own words.
    pub note: String,
}

impl fmt::Debug for IntakeForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntakeForm(..)")
    }
}

impl Drop for IntakeForm {
    fn drop(&mut self) {
        self.alias.zeroize();
        self.region.zeroize();
        self.household.zeroize();
        self.languages.zeroize();
        self.safe_contact.zeroize();
        self.note.zeroize();
    }
}

/// A checked intake request. Text zeroized on drop; `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct IntakeRequest {
    alias: String,
    region: String,
    adults: u8,
    children: u8,
    household: String,
    needs: Needs,
    languages: Vec<String>,
    urgency: Urgency,
    safe_contact: String,
    note: String,
}

impl IntakeRequest {
    /// Checks `form` field by field, in the order the fields are listed.
    ///
    /// # Errors
    /// The first [`FieldError`]: an empty alias, region or safe-contact; a text over its
    /// bound or holding control or bidirectional-override characters; no people, more
    /// than [`MAX_PEOPLE`] adults or children; no needs; no languages, too many, a
    /// malformed tag or one listed twice; no urgency.
    pub fn new(form: &IntakeForm) -> Result<Self, FieldError> {
        check_text(Field::Alias, &form.alias, 1, MAX_ALIAS, Lines::One)?;
        check_text(Field::Region, &form.region, 1, MAX_REGION, Lines::One)?;
        let adults = people(Field::Adults, form.adults)?;
        let children = people(Field::Children, form.children)?;
        if adults == 0 && children == 0 {
            return Err(FieldError::Invalid {
                field: Field::Adults,
                expected: "at least one person",
            });
        }
        check_text(
            Field::Household,
            &form.household,
            0,
            MAX_HOUSEHOLD,
            Lines::Many,
        )?;
        let needs = Needs::new(&form.needs)?;
        let languages = languages(&form.languages)?;
        let urgency = form.urgency.ok_or(FieldError::Invalid {
            field: Field::Urgency,
            expected: "one of low, medium, high, critical",
        })?;
        check_text(
            Field::SafeContact,
            &form.safe_contact,
            1,
            MAX_SAFE_CONTACT,
            Lines::Many,
        )?;
        check_text(Field::Note, &form.note, 0, MAX_NOTE, Lines::Many)?;
        Ok(Self {
            alias: form.alias.trim().to_owned(),
            region: form.region.trim().to_owned(),
            adults,
            children,
            household: form.household.clone(),
            needs,
            languages,
            urgency,
            safe_contact: form.safe_contact.clone(),
            note: form.note.clone(),
        })
    }

    /// The requester's alias.
    pub fn alias(&self) -> &str {
        &self.alias
    }
    /// The coarse region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// How many adults.
    pub fn adults(&self) -> u8 {
        self.adults
    }
    /// How many children.
    pub fn children(&self) -> u8 {
        self.children
    }
    /// Adults plus children.
    pub fn people(&self) -> u16 {
        u16::from(self.adults) + u16::from(self.children)
    }
    /// What a host must know about the household.
    pub fn household(&self) -> &str {
        &self.household
    }
    /// The needs.
    pub fn needs(&self) -> Needs {
        self.needs
    }
    /// Languages, most preferred first, lowercase.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }
    /// The urgency.
    pub fn urgency(&self) -> Urgency {
        self.urgency
    }
    /// When and how contact is safe.
    pub fn safe_contact(&self) -> &str {
        &self.safe_contact
    }
    /// The free-text note.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// The encoding (`docs/coordination.md`, "Intake request").
    ///
    /// # Errors
    /// None in practice: every field is within its bound. A length that did not fit its
    /// prefix would be [`DecodeError::Truncated`].
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::IntakeRequest);
        put_text(&mut out, &self.alias)?;
        put_text(&mut out, &self.region)?;
        out.put_u8(self.adults);
        out.put_u8(self.children);
        put_text(&mut out, &self.household)?;
        out.put_u8(self.needs.0);
        put_languages(&mut out, &self.languages)?;
        out.put_u8(self.urgency as u8);
        put_text(&mut out, &self.safe_contact)?;
        put_text(&mut out, &self.note)?;
        Ok(out)
    }

    /// Decodes and re-checks a request.
    ///
    /// # Errors
    /// [`DecodeError`] for a malformed encoding, [`DecodeError::Field`] for a field that
    /// [`Self::new`] would refuse.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::IntakeRequest, MAX_REQUEST_LEN)?;
        let alias = read_text(&mut r, Field::Alias, 1, MAX_ALIAS, Lines::One)?;
        let region = read_text(&mut r, Field::Region, 1, MAX_REGION, Lines::One)?;
        let adults = people(Field::Adults, r.u8()?.into())?;
        let children = people(Field::Children, r.u8()?.into())?;
        if adults == 0 && children == 0 {
            return Err(FieldError::Invalid {
                field: Field::Adults,
                expected: "at least one person",
            }
            .into());
        }
        let household = read_text(&mut r, Field::Household, 0, MAX_HOUSEHOLD, Lines::Many)?;
        let needs = Needs::from_byte(r.u8()?)?;
        let languages = read_languages(&mut r, false)?;
        let urgency_byte = r.u8()?;
        let urgency = Urgency::ALL
            .into_iter()
            .find(|u| *u as u8 == urgency_byte)
            .ok_or(DecodeError::UnknownValue(Field::Urgency))?;
        let safe_contact = read_text(&mut r, Field::SafeContact, 1, MAX_SAFE_CONTACT, Lines::Many)?;
        let note = read_text(&mut r, Field::Note, 0, MAX_NOTE, Lines::Many)?;
        r.finish()?;
        if alias.trim() != alias || region.trim() != region {
            return Err(DecodeError::NotCanonical(Field::Alias));
        }
        Ok(Self {
            alias,
            region,
            adults,
            children,
            household,
            needs,
            languages,
            urgency,
            safe_contact,
            note,
        })
    }
}

impl fmt::Debug for IntakeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntakeRequest(..)")
    }
}

impl Drop for IntakeRequest {
    fn drop(&mut self) {
        self.alias.zeroize();
        self.region.zeroize();
        self.household.zeroize();
        self.languages.zeroize();
        self.safe_contact.zeroize();
        self.note.zeroize();
    }
}

fn people(field: Field, count: u32) -> Result<u8, FieldError> {
    u8::try_from(count)
        .ok()
        .filter(|n| *n <= MAX_PEOPLE)
        .ok_or(FieldError::Invalid {
            field,
            expected: "a number from 0 to 50",
        })
}

/// Parses a comma-separated language list such as `tr,ru` into tags for
/// [`IntakeForm::languages`] (checked by [`IntakeRequest::new`]).
pub fn parse_languages(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

const LANGUAGES_EXPECTED: FieldError = FieldError::Invalid {
    field: Field::Languages,
    expected: "1 to 8 distinct language tags such as tr, ru, az, fa or pt-br",
};

/// Appends a language list (a count, then each tag as `short` bytes).
pub(crate) fn put_languages(out: &mut Vec<u8>, tags: &[String]) -> Result<(), DecodeError> {
    encoding::put_count(out, tags.len());
    for tag in tags {
        out.put_short_bytes(tag.as_bytes())?;
    }
    Ok(())
}

/// Reads a language list and checks it as [`languages`] does; the stored form must be the
/// canonical (lowercase, trimmed) one. With `allow_empty`, an empty list is accepted.
pub(crate) fn read_languages(
    r: &mut Reader<'_>,
    allow_empty: bool,
) -> Result<Vec<String>, DecodeError> {
    let count = read_count(r, Field::Languages, MAX_LANGUAGES)?;
    if count == 0 && allow_empty {
        return Ok(Vec::new());
    }
    let mut tags = Vec::with_capacity(count);
    for _ in 0..count {
        let tag = std::str::from_utf8(r.short_bytes()?)
            .map_err(|_| DecodeError::NotCanonical(Field::Languages))?;
        tags.push(tag.to_owned());
    }
    let checked = languages(&tags)?;
    if checked != tags {
        return Err(DecodeError::NotCanonical(Field::Languages));
    }
    Ok(checked)
}

/// Checks and lowercases language tags: 1 to [`MAX_LANGUAGES`], each a BCP 47-shaped tag
/// (a 2-8 letter primary subtag, then `-` and 1-8 letters or digits), none twice.
pub(crate) fn languages(tags: &[String]) -> Result<Vec<String>, FieldError> {
    if tags.is_empty() || tags.len() > MAX_LANGUAGES {
        return Err(LANGUAGES_EXPECTED);
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_ascii_lowercase();
        if !is_language_tag(&tag) || out.contains(&tag) {
            return Err(LANGUAGES_EXPECTED);
        }
        out.push(tag);
    }
    Ok(out)
}

fn is_language_tag(tag: &str) -> bool {
    if tag.len() > MAX_LANGUAGE_TAG {
        return false;
    }
    let mut subtags = tag.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
    primary_ok
        && subtags.all(|s| {
            (1..=8).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for good in ["tr", "ru", "az", "pt-br", "zh-hant-tw", "ckb"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in [
            "",
            "t",
            "tr-",
            "-tr",
            "t1",
            "tr_tr",
            "abcdefghi",
            "tr--x",
            "é",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
