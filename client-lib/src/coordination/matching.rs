//! Matching, on the caseworker's device: which offers fit a verified case, ranked, with
//! the reason for every rank and every exclusion. A person decides; this only sorts.
//!
//! Pure and deterministic: the same [`Seeker`] and candidates give the same report. The
//! rules (also in `docs/coordination.md`, "Matching"):
//!
//! **Hard constraints**, each an [`Exclusion`] (an offer may fail several; all are listed):
//!
//! | exclusion | when |
//! | --- | --- |
//! | `Withdrawn` | the offer was withdrawn |
//! | `NotVetted` | its author has no valid vetting record |
//! | `NeedNotCovered` | shelter offered but shelter not needed, or travel likewise |
//! | `WrongPlace` | shelter: neither its region nor its city is the case's destination; travel: its origin is not where the requester is, or its destination not the case's destination (compared ignoring case) |
//! | `NoDateOverlap` | its dates and the case's dates share no day |
//! | `Capacity` | free beds or seats fewer than the people (adults + children) |
//! | `WomenOnly` | a women-only shelter and a household that is not only women |
//! | `FamiliesOnly` | a shelter for families and a household without children |
//! | `NoChildren` | a shelter without children and a household with children |
//! | `NeedsWomenOnly` | the household needs a women-only shelter and this one is not |
//! | `NotAccessible` | the household needs an accessible place and this one is not |
//! | `NoPets` | the household has pets and pets are not welcome |
//! | `NoCommonLanguage` | the case requires a common language and there is none |
//!
//! **Score** of an offer that passes, in points ([`Score`]):
//!
//! - date fit, 0 to 40: `40 × (days of the case's window the offer covers) / (days in the window)`, rounded down;
//! - delay, 0 to −40: days between the first day needed and the offer's first day (when it
//!   starts later), times the urgency weight (low 1, medium 2, high 4, critical 8), capped;
//! - slack, 0 to 20: `20 − 4 × min(free − people, 5)`: the closest fit first, so a large
//!   house stays free for a large family;
//! - languages, 0 to 20: 10 per language spoken by both, at most 2.
//!
//! Ranked by total, highest first; ties by the earlier first day, then by the offer id's
//! bytes (ascending). The case's urgency therefore weighs how much a late start costs.

use super::intake::{Need, Needs, Urgency};
use super::offer::{Day, HouseRule, Offer, OfferBody, OfferId};
use std::cmp::Ordering;
use std::fmt;

/// What the case needs from an offer: the part of the case record matching reads, plus
/// what the caseworker sets for the journey (the destination and dates).
#[derive(Clone, PartialEq, Eq)]
pub struct Seeker {
    /// What help is needed (from the request).
    pub needs: Needs,
    /// Where the requester is now (the request's region, or the city they are in).
    pub location: String,
    /// Where they are going: the city or region a shelter must be in, where travel ends.
    pub destination: String,
    /// Adults.
    pub adults: u32,
    /// Children.
    pub children: u32,
    /// First day help is needed.
    pub from: Day,
    /// Last day (inclusive).
    pub to: Day,
    /// The request's urgency.
    pub urgency: Urgency,
    /// Languages the household speaks (lowercase tags).
    pub languages: Vec<String>,
    /// Whether a common language is required.
    pub require_language: bool,
    /// The household is only women (and their children).
    pub all_women: bool,
    /// The household needs a women-only shelter.
    pub needs_women_only: bool,
    /// Someone needs an accessible place.
    pub needs_accessible: bool,
    /// The household has pets.
    pub has_pets: bool,
}

impl fmt::Debug for Seeker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seeker(..)")
    }
}

impl Seeker {
    /// Adults and children.
    pub fn people(&self) -> u32 {
        self.adults.saturating_add(self.children)
    }
}

/// One offer to consider, with what the case team's device knows about it beyond the
/// signed offer.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The offer (latest revision).
    pub offer: &'a Offer,
    /// Places still free ([`super::offer::OfferBook::free`]).
    pub free: u32,
    /// Whether its author is vetted ([`super::vetting::is_vetted`]).
    pub vetted: bool,
}

/// A hard constraint an offer fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum Exclusion {
    /// The offer was withdrawn.
    Withdrawn = 1 << 0,
    /// Its author is not vetted.
    NotVetted = 1 << 1,
    /// It is not help this case needs.
    NeedNotCovered = 1 << 2,
    /// Not in the place needed (shelter), or not the route (travel).
    WrongPlace = 1 << 3,
    /// No day in common.
    NoDateOverlap = 1 << 4,
    /// Fewer free places than people.
    Capacity = 1 << 5,
    /// Women-only shelter, household not only women.
    WomenOnly = 1 << 6,
    /// Families-only shelter, household without children.
    FamiliesOnly = 1 << 7,
    /// No children allowed, household with children.
    NoChildren = 1 << 8,
    /// The household needs a women-only shelter.
    NeedsWomenOnly = 1 << 9,
    /// The household needs an accessible place.
    NotAccessible = 1 << 10,
    /// The household has pets.
    NoPets = 1 << 11,
    /// No language in common, and one is required.
    NoCommonLanguage = 1 << 12,
}

impl Exclusion {
    /// Every exclusion, in the order they are checked and listed.
    pub const ALL: [Exclusion; 13] = [
        Exclusion::Withdrawn,
        Exclusion::NotVetted,
        Exclusion::NeedNotCovered,
        Exclusion::WrongPlace,
        Exclusion::NoDateOverlap,
        Exclusion::Capacity,
        Exclusion::WomenOnly,
        Exclusion::FamiliesOnly,
        Exclusion::NoChildren,
        Exclusion::NeedsWomenOnly,
        Exclusion::NotAccessible,
        Exclusion::NoPets,
        Exclusion::NoCommonLanguage,
    ];

    /// A stable name (for JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Withdrawn => "withdrawn",
            Self::NotVetted => "not-vetted",
            Self::NeedNotCovered => "need-not-covered",
            Self::WrongPlace => "wrong-place",
            Self::NoDateOverlap => "no-date-overlap",
            Self::Capacity => "capacity",
            Self::WomenOnly => "women-only",
            Self::FamiliesOnly => "families-only",
            Self::NoChildren => "no-children",
            Self::NeedsWomenOnly => "needs-women-only",
            Self::NotAccessible => "not-accessible",
            Self::NoPets => "no-pets",
            Self::NoCommonLanguage => "no-common-language",
        }
    }
}

/// The set of exclusions one offer fails (a bit set, so matching allocates nothing per
/// excluded offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Exclusions(u16);

impl Exclusions {
    fn add(&mut self, e: Exclusion) {
        self.0 |= e as u16;
    }

    /// Whether `e` is in the set.
    pub fn contains(self, e: Exclusion) -> bool {
        self.0 & e as u16 != 0
    }

    /// Whether the set is empty (the offer passes every constraint).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The exclusions, in [`Exclusion::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Exclusion> {
        Exclusion::ALL
            .into_iter()
            .filter(move |e| self.contains(*e))
    }
}

/// How an offer that passes scored, part by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    /// 0 to 40: how much of the needed window the offer covers.
    pub date_fit: i32,
    /// 0 to −40: the cost of starting after the first day needed, by urgency.
    pub delay: i32,
    /// 0 to 20: how closely the places fit the people.
    pub slack: i32,
    /// 0 to 20: languages in common.
    pub languages: i32,
    /// Days of the needed window covered.
    pub covered_days: u32,
    /// Days in the needed window.
    pub window_days: u32,
    /// Days the offer starts after the first day needed.
    pub late_days: u32,
    /// Free places beyond the people.
    pub spare: u32,
    /// Languages in common.
    pub common_languages: u32,
}

impl Score {
    /// The total the ranking sorts by.
    pub fn total(&self) -> i32 {
        self.date_fit + self.delay + self.slack + self.languages
    }
}

/// An offer that passes, with its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranked {
    /// Index into the candidates given to [`rank`].
    pub index: usize,
    /// The offer's id.
    pub offer: OfferId,
    /// The score.
    pub score: Score,
}

/// An offer that fails, with every reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Excluded {
    /// Index into the candidates given to [`rank`].
    pub index: usize,
    /// The offer's id.
    pub offer: OfferId,
    /// Why.
    pub reasons: Exclusions,
    /// Free places (for the capacity reason's words).
    pub free: u32,
}

/// What [`rank`] found: the ranked offers (best first) and the excluded ones (in the
/// order given).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatchReport {
    /// Offers that pass every constraint, best first.
    pub ranked: Vec<Ranked>,
    /// Offers that fail at least one, in candidate order.
    pub excluded: Vec<Excluded>,
}

/// Ranks `candidates` for `seeker`. See the [module documentation](self) for the rules.
pub fn rank(seeker: &Seeker, candidates: &[Candidate<'_>]) -> MatchReport {
    let location = seeker.location.trim().to_lowercase();
    let destination = seeker.destination.trim().to_lowercase();
    let people = seeker.people();
    let mut report = MatchReport::default();
    for (index, candidate) in candidates.iter().enumerate() {
        let (reasons, score) = judge(seeker, &location, &destination, people, candidate);
        let offer = candidate.offer.id();
        if reasons.is_empty() {
            report.ranked.push(Ranked {
                index,
                offer,
                score,
            });
        } else {
            report.excluded.push(Excluded {
                index,
                offer,
                reasons,
                free: candidate.free,
            });
        }
    }
    report.ranked.sort_by(|a, b| {
        let first_day = |r: &Ranked| candidates[r.index].offer.terms().from;
        b.score
            .total()
            .cmp(&a.score.total())
            .then_with(|| first_day(a).cmp(&first_day(b)))
            .then_with(|| a.offer.cmp(&b.offer))
            .then(Ordering::Equal)
    });
    report
}

fn same_place(offered: &str, wanted_lower: &str) -> bool {
    // Offers are short one-line names; compare without allocating when both are ASCII.
    if offered.is_ascii() && wanted_lower.is_ascii() {
        offered.trim().eq_ignore_ascii_case(wanted_lower)
    } else {
        offered.trim().to_lowercase() == wanted_lower
    }
}

fn urgency_weight(u: Urgency) -> i32 {
    match u {
        Urgency::Low => 1,
        Urgency::Medium => 2,
        Urgency::High => 4,
        Urgency::Critical => 8,
    }
}

fn judge(
    seeker: &Seeker,
    location: &str,
    destination: &str,
    people: u32,
    candidate: &Candidate<'_>,
) -> (Exclusions, Score) {
    let offer = candidate.offer;
    let terms = offer.terms();
    let mut out = Exclusions::default();
    if offer.is_withdrawn() {
        out.add(Exclusion::Withdrawn);
    }
    if !candidate.vetted {
        out.add(Exclusion::NotVetted);
    }
    match &terms.body {
        OfferBody::Shelter {
            region,
            city,
            rules,
            accessible,
            pets,
            ..
        } => {
            if !seeker.needs.contains(Need::Shelter) {
                out.add(Exclusion::NeedNotCovered);
            }
            if !same_place(region, destination) && !same_place(city, destination) {
                out.add(Exclusion::WrongPlace);
            }
            if rules.contains(HouseRule::WomenOnly) && !seeker.all_women {
                out.add(Exclusion::WomenOnly);
            }
            if rules.contains(HouseRule::Families) && seeker.children == 0 {
                out.add(Exclusion::FamiliesOnly);
            }
            if rules.contains(HouseRule::NoChildren) && seeker.children > 0 {
                out.add(Exclusion::NoChildren);
            }
            if seeker.needs_women_only && !rules.contains(HouseRule::WomenOnly) {
                out.add(Exclusion::NeedsWomenOnly);
            }
            if seeker.needs_accessible && !accessible {
                out.add(Exclusion::NotAccessible);
            }
            if seeker.has_pets && !pets {
                out.add(Exclusion::NoPets);
            }
        }
        OfferBody::Travel {
            origin,
            destination: to,
            ..
        } => {
            if !seeker.needs.contains(Need::Travel) {
                out.add(Exclusion::NeedNotCovered);
            }
            if !same_place(origin, location) || !same_place(to, destination) {
                out.add(Exclusion::WrongPlace);
            }
        }
    }
    let start = terms.from.max(seeker.from);
    let end = terms.to.min(seeker.to);
    if start > end {
        out.add(Exclusion::NoDateOverlap);
    }
    if candidate.free < people {
        out.add(Exclusion::Capacity);
    }
    let common = seeker
        .languages
        .iter()
        .filter(|tag| terms.body.languages().contains(tag))
        .count();
    if seeker.require_language && common == 0 {
        out.add(Exclusion::NoCommonLanguage);
    }
    if !out.is_empty() {
        return (out, Score::default());
    }
    let window_days = seeker.to.0.saturating_sub(seeker.from.0).saturating_add(1);
    let covered_days = end.0.saturating_sub(start.0).saturating_add(1);
    let late_days = seeker.from.days_until(terms.from);
    let spare = candidate.free.saturating_sub(people);
    let common_languages = u32::try_from(common).unwrap_or(u32::MAX);
    let score = Score {
        date_fit: i32::try_from(u64::from(covered_days) * 40 / u64::from(window_days.max(1)))
            .unwrap_or(40),
        delay: -(i32::try_from(late_days)
            .unwrap_or(i32::MAX)
            .saturating_mul(urgency_weight(seeker.urgency))
            .min(40)),
        slack: 20 - 4 * i32::try_from(spare.min(5)).unwrap_or(5),
        languages: 10 * i32::try_from(common_languages.min(2)).unwrap_or(2),
        covered_days,
        window_days,
        late_days,
        spare,
        common_languages,
    };
    (out, score)
}

/// Why an offer was excluded, in words a caseworker reads ("1 bed, 2 people").
pub fn describe_exclusion(e: Exclusion, seeker: &Seeker, offer: &Offer, free: u32) -> String {
    let terms = offer.terms();
    let unit = |n: u32| match (&terms.body, n) {
        (OfferBody::Shelter { .. }, 1) => "bed",
        (OfferBody::Shelter { .. }, _) => "beds",
        (OfferBody::Travel { .. }, 1) => "seat",
        (OfferBody::Travel { .. }, _) => "seats",
    };
    let people = seeker.people();
    match e {
        Exclusion::Withdrawn => "withdrawn by its author".to_owned(),
        Exclusion::NotVetted => "the host or helper is not vetted".to_owned(),
        Exclusion::NeedNotCovered => match terms.body {
            OfferBody::Shelter { .. } => "shelter, but the case does not need shelter".to_owned(),
            OfferBody::Travel { .. } => "travel help, but the case does not need travel".to_owned(),
        },
        Exclusion::WrongPlace => match &terms.body {
            OfferBody::Shelter { .. } => "not in the destination".to_owned(),
            OfferBody::Travel { .. } => "not the route needed".to_owned(),
        },
        Exclusion::NoDateOverlap => format!(
            "available {} to {}, needed {} to {}",
            terms.from, terms.to, seeker.from, seeker.to
        ),
        Exclusion::Capacity => format!(
            "{free} {}, {people} {}",
            unit(free),
            if people == 1 { "person" } else { "people" }
        ),
        Exclusion::WomenOnly => "women only; the household is not only women".to_owned(),
        Exclusion::FamiliesOnly => "families only; no children in the household".to_owned(),
        Exclusion::NoChildren => format!(
            "no children; the household has {} {}",
            seeker.children,
            if seeker.children == 1 {
                "child"
            } else {
                "children"
            }
        ),
        Exclusion::NeedsWomenOnly => "the household needs a women-only place".to_owned(),
        Exclusion::NotAccessible => "not accessible".to_owned(),
        Exclusion::NoPets => "no pets".to_owned(),
        Exclusion::NoCommonLanguage => "no language in common".to_owned(),
    }
}

/// Why an offer ranked as it did, in words ("covers 8 of 8 days; starts on time; 1 spare
/// bed; 1 language in common").
pub fn describe_score(score: &Score, offer: &Offer) -> String {
    let unit = match (&offer.terms().body, score.spare) {
        (OfferBody::Shelter { .. }, 1) => "spare bed",
        (OfferBody::Shelter { .. }, _) => "spare beds",
        (OfferBody::Travel { .. }, 1) => "spare seat",
        (OfferBody::Travel { .. }, _) => "spare seats",
    };
    let start = if score.late_days == 0 {
        "starts on time (0)".to_owned()
    } else {
        format!(
            "starts {} day{} late ({})",
            score.late_days,
            if score.late_days == 1 { "" } else { "s" },
            score.delay
        )
    };
    format!(
        "covers {} of {} days (+{}); {start}; {} {unit} (+{}); {} language{} in common (+{}); total {}",
        score.covered_days,
        score.window_days,
        score.date_fit,
        score.spare,
        score.slack,
        score.common_languages,
        if score.common_languages == 1 { "" } else { "s" },
        score.languages,
        score.total()
    )
}
