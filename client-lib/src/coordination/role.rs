//! Roles on the roster and what each may do: the one authority table every replica checks.
//!
//! | action | who may sign it |
//! | --- | --- |
//! | a roster epoch | a coordinator of the previous epoch (genesis: the founding coordinator, in it) |
//! | a membership certificate | a coordinator of the current epoch |
//! | open a case ([`CaseAction::Open`]) | a coordinator (intake lands at the coordinators) |
//! | assign a case ([`CaseAction::Assign`]) | a coordinator; the assignee must be a caseworker |
//! | change a case's status, add a note, attach a vouch | a coordinator, or the caseworker the case is assigned to |
//! | a vouch about a requester, tier direct | a coordinator or caseworker |
//! | a vouch about a requester, tier partner or co | a coordinator or caseworker, or a registered referrer |
//!
//! Hosts and travel helpers sign nothing about cases: they see only what a proposal shows
//! them (issue 11), never a case record.

use super::encoding::{DecodeError, Field, FieldError};
use super::vouch::Tier;
use std::fmt;
use std::str::FromStr;

/// A member's role in the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Role {
    /// Leads the organization: signs roster epochs and certificates, opens and assigns
    /// cases. Holds the full roster.
    Coordinator = 1,
    /// Works the cases assigned to them. Holds the full roster.
    Caseworker = 2,
    /// Keeps a safe house. Holds only their own membership certificate.
    Host = 3,
    /// Helps with travel. Holds only their own membership certificate.
    TravelHelper = 4,
}

impl Role {
    /// Every role, in encoding order.
    pub const ALL: [Role; 4] = [
        Role::Coordinator,
        Role::Caseworker,
        Role::Host,
        Role::TravelHelper,
    ];

    /// The name used on the command line and in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coordinator => "coordinator",
            Self::Caseworker => "caseworker",
            Self::Host => "host",
            Self::TravelHelper => "travel-helper",
        }
    }

    /// Whether this role receives the full roster (coordinators and caseworkers) rather
    /// than only its own certificate.
    pub fn holds_full_roster(self) -> bool {
        matches!(self, Self::Coordinator | Self::Caseworker)
    }

    pub(crate) fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        Self::ALL
            .into_iter()
            .find(|role| *role as u8 == byte)
            .ok_or(DecodeError::UnknownValue(Field::Role))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == s.trim())
            .ok_or(FieldError::Invalid {
                field: Field::Role,
                expected: "one of coordinator, caseworker, host, travel-helper",
            })
    }
}

/// Something a member does to a case, for the authority check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaseAction {
    /// Create the case from an intake request.
    Open,
    /// Assign the case to a caseworker.
    Assign,
    /// Move the case to another status.
    ChangeStatus,
    /// Attach a vouch to the case.
    AttachVouch,
    /// Add a note.
    Note,
}

impl fmt::Display for CaseAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "open a case",
            Self::Assign => "assign a case",
            Self::ChangeStatus => "change a case's status",
            Self::AttachVouch => "attach a vouch",
            Self::Note => "add a note",
        })
    }
}

/// Whether a member with `role` may do `action` to a case; `is_assignee` says whether the
/// member is the caseworker the case is currently assigned to. This is the table in the
/// [module docs](self).
pub fn may_act(role: Role, is_assignee: bool, action: CaseAction) -> bool {
    match (role, action) {
        (Role::Coordinator, _) => true,
        (
            Role::Caseworker,
            CaseAction::ChangeStatus | CaseAction::AttachVouch | CaseAction::Note,
        ) => is_assignee,
        _ => false,
    }
}

/// Whether a roster member with `role` may sign a vouch of `tier` about a requester.
/// (Registered referrers are not members; they may sign [`Tier::Partner`] and
/// [`Tier::Co`], see [`referrer_may_vouch`].)
pub fn member_may_vouch(role: Role, _tier: Tier) -> bool {
    matches!(role, Role::Coordinator | Role::Caseworker)
}

/// Whether a registered referrer may sign a vouch of `tier`: partner- and co-verification
/// are what a field partner does; direct verification is a caseworker's own.
pub fn referrer_may_vouch(tier: Tier) -> bool {
    matches!(tier, Tier::Partner | Tier::Co)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_say_what_is_expected() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(Role::from_byte(role as u8), Ok(role));
        }
        let err = "admin".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("travel-helper"));
        assert_eq!(
            Role::from_byte(0),
            Err(DecodeError::UnknownValue(Field::Role))
        );
    }

    #[test]
    fn authority_table() {
        use CaseAction::*;
        for action in [Open, Assign, ChangeStatus, AttachVouch, Note] {
            assert!(may_act(Role::Coordinator, false, action));
            assert!(!may_act(Role::Host, true, action));
            assert!(!may_act(Role::TravelHelper, true, action));
            assert!(!may_act(Role::Caseworker, false, action));
        }
        assert!(may_act(Role::Caseworker, true, ChangeStatus));
        assert!(may_act(Role::Caseworker, true, Note));
        assert!(may_act(Role::Caseworker, true, AttachVouch));
        assert!(!may_act(Role::Caseworker, true, Assign));
        assert!(!may_act(Role::Caseworker, true, Open));
        assert!(referrer_may_vouch(Tier::Partner));
        assert!(referrer_may_vouch(Tier::Co));
        assert!(!referrer_may_vouch(Tier::Direct));
        assert!(member_may_vouch(Role::Caseworker, Tier::Direct));
        assert!(!member_may_vouch(Role::Host, Tier::Partner));
    }
}
