//! Check-ins for people in transit: the two codes, how the caseworker's device classifies
//! a check-in, the schedule, and the escalation of a missed check-in until a member
//! acknowledges it.
//!
//! The requester chooses a normal and a duress code. Both go to the caseworker; the
//! requester's device keeps neither, and no record of which is which. At a check-in the
//! requester types a code; whatever it is, their screen and their local record are the
//! same. Only the caseworker's device tells them apart ([`CheckinCodes::classify`]), in
//! constant time, holding only keyed digests of the codes.
//!
//! A missed check-in escalates ([`escalation`]): at the due time a reminder to the
//! requester; one grace period later an alert to the assigned caseworker; two grace periods
//! later to every coordinator; until someone acknowledges it. Every team device computes
//! the same alert from the same schedule and check-ins ([`AlertId::for_missed`]), and the
//! first acknowledgement takes it ([`AlertBook::acknowledge`]): when two members
//! acknowledge concurrently, every replica keeps the earlier `(time, key)` one.

use super::encoding::{Field, FieldError, Lines, check_text};
use super::ids::CaseId;
use crate::primitives::ed25519::VerifyingKey;
use crate::primitives::kdf::sha256;
use std::collections::BTreeMap;
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Shortest check-in code, in characters.
pub const MIN_CODE: usize = 4;
/// Longest check-in code, in characters.
pub const MAX_CODE: usize = 64;
/// Shortest interval between check-ins (15 minutes).
pub const MIN_EVERY_SECS: u64 = 15 * 60;
/// Longest interval between check-ins (7 days).
pub const MAX_EVERY_SECS: u64 = 7 * 24 * 3600;
/// Shortest grace period (5 minutes).
pub const MIN_GRACE_SECS: u64 = 5 * 60;

const CODE_EXPECTED: FieldError = FieldError::Invalid {
    field: Field::CheckinCode,
    expected: "a check-in code of 4 to 64 characters on one line",
};

/// A check-in code as typed, in a buffer zeroized on drop. `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckinCode(Zeroizing<String>);

impl CheckinCode {
    /// Checks a code: 4 to 64 characters, one line, no control or bidirectional-override
    /// characters. Leading and trailing spaces are dropped (people type them by accident).
    ///
    /// # Errors
    /// [`FieldError`] saying what is expected, never repeating the code.
    pub fn new(typed: &str) -> Result<Self, FieldError> {
        let trimmed = typed.trim();
        check_text(Field::CheckinCode, trimmed, 1, MAX_CODE, Lines::One)
            .map_err(|_| CODE_EXPECTED)?;
        if trimmed.chars().count() < MIN_CODE {
            return Err(CODE_EXPECTED);
        }
        Ok(Self(Zeroizing::new(trimmed.to_owned())))
    }

    /// The code's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CheckinCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CheckinCode(..)")
    }
}

/// What a check-in meant, as only the caseworker's device can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckinKind {
    /// The normal code: all is well.
    Ok,
    /// The duress code: the person is in danger (and may be watched while typing).
    Duress,
    /// Neither code: treat as a warning (a typo, or someone else holds the phone).
    Unknown,
}

/// Why a pair of codes was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodesError {
    /// The two codes are the same (ignoring case), so they could not be told apart.
    #[error("the normal and the duress code must differ")]
    Same,
}

/// The caseworker's device's copy of a case's two codes: keyed digests, never the codes.
#[derive(Clone)]
pub struct CheckinCodes {
    case: CaseId,
    normal: [u8; 32],
    duress: [u8; 32],
}

impl fmt::Debug for CheckinCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CheckinCodes(..)")
    }
}

impl Drop for CheckinCodes {
    fn drop(&mut self) {
        self.normal.zeroize();
        self.duress.zeroize();
    }
}

fn digest(case: &CaseId, code: &str) -> [u8; 32] {
    // Case-insensitive: a code typed on a phone keyboard under stress keeps its meaning.
    let mut input = Zeroizing::new(b"Corridor_v1_checkin_code".to_vec());
    input.extend_from_slice(&case.0);
    input.extend_from_slice(code.to_lowercase().as_bytes());
    sha256(&input)
}

impl CheckinCodes {
    /// Keeps the digests of the two codes the requester chose for `case`.
    ///
    /// # Errors
    /// [`CodesError::Same`] if they cannot be told apart.
    pub fn new(
        case: CaseId,
        normal: &CheckinCode,
        duress: &CheckinCode,
    ) -> Result<Self, CodesError> {
        let normal = digest(&case, normal.as_str());
        let duress = digest(&case, duress.as_str());
        if bool::from(normal.ct_eq(&duress)) {
            return Err(CodesError::Same);
        }
        Ok(Self {
            case,
            normal,
            duress,
        })
    }

    /// Restores from the stored digests.
    pub fn from_digests(case: CaseId, normal: [u8; 32], duress: [u8; 32]) -> Self {
        Self {
            case,
            normal,
            duress,
        }
    }

    /// The stored digests (normal, duress), for the encrypted store.
    pub fn digests(&self) -> ([u8; 32], [u8; 32]) {
        (self.normal, self.duress)
    }

    /// Classifies what the requester typed. Both comparisons always run, in constant time.
    pub fn classify(&self, typed: &str) -> CheckinKind {
        let seen = digest(&self.case, typed.trim());
        let is_normal = seen.ct_eq(&self.normal);
        let is_duress = seen.ct_eq(&self.duress);
        match (bool::from(is_normal), bool::from(is_duress)) {
            (true, _) => CheckinKind::Ok,
            (false, true) => CheckinKind::Duress,
            (false, false) => CheckinKind::Unknown,
        }
    }
}

/// How often a person in transit checks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// When the schedule started (Unix seconds): the first check-in is due `every` later.
    pub start: u64,
    /// Seconds between check-ins.
    pub every: u64,
    /// Seconds each escalation step waits.
    pub grace: u64,
}

impl Schedule {
    /// A schedule from `start`, checked: `every` from 15 minutes to 7 days, `grace` from 5
    /// minutes to `every`.
    ///
    /// # Errors
    /// [`FieldError::Invalid`] saying what is expected.
    pub fn new(start: u64, every: u64, grace: u64) -> Result<Self, FieldError> {
        if !(MIN_EVERY_SECS..=MAX_EVERY_SECS).contains(&every) {
            return Err(FieldError::Invalid {
                field: Field::Schedule,
                expected: "an interval from 15 minutes to 7 days",
            });
        }
        if grace < MIN_GRACE_SECS || grace > every {
            return Err(FieldError::Invalid {
                field: Field::Schedule,
                expected: "a grace period from 5 minutes up to the interval",
            });
        }
        Ok(Self {
            start,
            every,
            grace,
        })
    }

    /// When the next check-in is due, given the last one that counted (`None`: none yet).
    pub fn due(&self, last_checkin: Option<u64>) -> u64 {
        last_checkin
            .unwrap_or(self.start)
            .max(self.start)
            .saturating_add(self.every)
    }
}

/// How far a missed check-in has escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Escalation {
    /// Not due yet.
    OnTime,
    /// Due: the requester's device reminds them.
    RemindRequester,
    /// One grace period overdue: the assigned caseworker is alerted.
    AlertAssignee,
    /// Two grace periods overdue: every coordinator is alerted.
    AlertCoordinators,
}

/// The escalation at `now` for `schedule`, given the last check-in that counted (normal or
/// duress; an unknown code does not count), and the time it was due.
pub fn escalation(schedule: &Schedule, last_checkin: Option<u64>, now: u64) -> (Escalation, u64) {
    let due = schedule.due(last_checkin);
    let level = if now < due {
        Escalation::OnTime
    } else if now < due.saturating_add(schedule.grace) {
        Escalation::RemindRequester
    } else if now < due.saturating_add(schedule.grace.saturating_mul(2)) {
        Escalation::AlertAssignee
    } else {
        Escalation::AlertCoordinators
    };
    (level, due)
}

/// An alert's id: the same on every team device for the same event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertId(pub [u8; 16]);

impl fmt::Debug for AlertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AlertId({})", self.short())
    }
}

impl AlertId {
    fn derive(tag: u8, case: &CaseId, at: u64) -> Self {
        let mut input = b"Corridor_v1_alert".to_vec();
        input.push(tag);
        input.extend_from_slice(&case.0);
        input.extend_from_slice(&at.to_be_bytes());
        let hash = sha256(&input);
        let mut id = [0u8; 16];
        id.copy_from_slice(&hash[..16]);
        Self(id)
    }

    /// The alert for the check-in of `case` that was due at `due` and was missed.
    pub fn for_missed(case: &CaseId, due: u64) -> Self {
        Self::derive(1, case, due)
    }

    /// The alert for a duress (or unknown-code) check-in of `case` received at `at`.
    pub fn for_checkin(case: &CaseId, kind: CheckinKind, at: u64) -> Self {
        Self::derive(
            match kind {
                CheckinKind::Ok => 0,
                CheckinKind::Duress => 2,
                CheckinKind::Unknown => 3,
            },
            case,
            at,
        )
    }

    /// Short form for people: 8 lowercase hex digits.
    pub fn short(&self) -> String {
        self.0[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Why an alert was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A check-in was missed (due at this time).
    Missed {
        /// When it was due.
        due: u64,
    },
    /// The duress code was used.
    Duress,
    /// A code that is neither was used.
    UnknownCode,
}

/// An alert and who took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Its id.
    pub id: AlertId,
    /// The case.
    pub case: CaseId,
    /// Why.
    pub kind: AlertKind,
    /// When it was raised (Unix seconds).
    pub raised_at: u64,
    /// The acknowledgement that took it: the member's key and the time.
    pub acknowledged: Option<(VerifyingKey, u64)>,
}

/// What [`AlertBook::acknowledge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// This acknowledgement took the alert.
    Taken,
    /// Another member's earlier acknowledgement already holds it.
    AlreadyTaken,
    /// This acknowledgement was earlier than the one held, and replaced it (concurrent
    /// acknowledgements converge on the earliest).
    Replaced,
}

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// No alert with this id.
    #[error("no such alert")]
    Unknown,
}

/// The alerts a team device knows, raised once each, and their acknowledgements.
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    alerts: BTreeMap<AlertId, Alert>,
}

impl AlertBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises an alert once: raising the same id again changes nothing and answers false.
    pub fn raise(&mut self, id: AlertId, case: CaseId, kind: AlertKind, at: u64) -> bool {
        if self.alerts.contains_key(&id) {
            return false;
        }
        self.alerts.insert(
            id,
            Alert {
                id,
                case,
                kind,
                raised_at: at,
                acknowledged: None,
            },
        );
        true
    }

    /// Records `member`'s acknowledgement at `at`. The first takes it; every replica keeps
    /// the acknowledgement with the smallest `(time, key bytes)`, so replicas that learn of
    /// concurrent acknowledgements in any order agree.
    ///
    /// # Errors
    /// [`AlertError::Unknown`].
    pub fn acknowledge(
        &mut self,
        id: &AlertId,
        member: VerifyingKey,
        at: u64,
    ) -> Result<Ack, AlertError> {
        let alert = self.alerts.get_mut(id).ok_or(AlertError::Unknown)?;
        match alert.acknowledged {
            None => {
                alert.acknowledged = Some((member, at));
                Ok(Ack::Taken)
            }
            Some((held, held_at)) => {
                if (at, member.as_bytes()) < (held_at, held.as_bytes()) {
                    alert.acknowledged = Some((member, at));
                    Ok(Ack::Replaced)
                } else {
                    Ok(Ack::AlreadyTaken)
                }
            }
        }
    }

    /// The alert with this id.
    pub fn get(&self, id: &AlertId) -> Option<&Alert> {
        self.alerts.get(id)
    }

    /// Every alert, in id order.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values()
    }

    /// Alerts nobody has acknowledged yet.
    pub fn open(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values().filter(|a| a.acknowledged.is_none())
    }
}
