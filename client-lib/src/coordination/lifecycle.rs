//! A case's status and the transitions between statuses.
//!
//! | from | may become |
//! | --- | --- |
//! | new | verifying, declined, withdrawn |
//! | verifying | verified, declined, withdrawn |
//! | verified | matched, declined, withdrawn |
//! | matched | in-transit, verified (the match fell through), withdrawn |
//! | in-transit | arrived, withdrawn |
//! | arrived, declined, withdrawn | closed |
//! | closed | nothing |
//!
//! - declined (the organization cannot or will not help) from new, verifying, verified;
//! - withdrawn (the requester stopped, or was lost) from any status before arrived;
//! - closed only from arrived, declined or withdrawn; nothing follows closed.
//!
//! What else a transition needs (a vouch for verified, an assignee for matched) is
//! checked by the case ([`super::case`]).

use super::encoding::{DecodeError, Field, FieldError};
use std::fmt;
use std::str::FromStr;

/// A case's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Status {
    /// The request has arrived.
    New = 1,
    /// Someone is checking the story.
    Verifying = 2,
    /// A valid vouch verified the requester.
    Verified = 3,
    /// Matched to an offer.
    Matched = 4,
    /// On the way.
    InTransit = 5,
    /// Safe at the destination.
    Arrived = 6,
    /// Done; the retention period runs from here.
    Closed = 7,
    /// The organization declined.
    Declined = 8,
    /// The requester withdrew or was lost.
    Withdrawn = 9,
}

impl Status {
    /// Every status, in encoding order.
    pub const ALL: [Status; 9] = [
        Status::New,
        Status::Verifying,
        Status::Verified,
        Status::Matched,
        Status::InTransit,
        Status::Arrived,
        Status::Closed,
        Status::Declined,
        Status::Withdrawn,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Verifying => "verifying",
            Self::Verified => "verified",
            Self::Matched => "matched",
            Self::InTransit => "in-transit",
            Self::Arrived => "arrived",
            Self::Closed => "closed",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// The statuses this one may move to.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Verifying, Declined, Withdrawn],
            Verifying => &[Verified, Declined, Withdrawn],
            Verified => &[Matched, Declined, Withdrawn],
            Matched => &[InTransit, Verified, Withdrawn],
            InTransit => &[Arrived, Withdrawn],
            Arrived | Declined | Withdrawn => &[Closed],
            Closed => &[],
        }
    }

    /// Whether `self → to` is an allowed transition.
    pub fn may_become(self, to: Status) -> bool {
        self.next().contains(&to)
    }

    /// Whether nothing may follow (closed).
    pub fn is_terminal(self) -> bool {
        self.next().is_empty()
    }

    /// Whether a vouch may still be attached: the case is being worked on (not declined,
    /// withdrawn, arrived or closed).
    pub fn accepts_vouches(self) -> bool {
        matches!(
            self,
            Self::New | Self::Verifying | Self::Verified | Self::Matched | Self::InTransit
        )
    }

    pub(crate) fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        Self::ALL
            .into_iter()
            .find(|s| *s as u8 == byte)
            .ok_or(DecodeError::UnknownValue(Field::Status))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or(FieldError::Invalid {
                field: Field::Status,
                expected: "one of new, verifying, verified, matched, in-transit, arrived, closed, declined, withdrawn",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shape() {
        // Exactly the documented 17 edges.
        let edges: usize = Status::ALL.iter().map(|s| s.next().len()).sum();
        assert_eq!(edges, 17);
        assert!(Status::Closed.is_terminal());
        for s in Status::ALL {
            assert!(!s.may_become(s), "{s} to itself");
            assert!(!s.may_become(Status::New), "back to new from {s}");
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            assert_eq!(Status::from_byte(s as u8), Ok(s));
        }
        assert!(Status::Matched.may_become(Status::Verified));
        assert!(!Status::Arrived.may_become(Status::Withdrawn));
        assert!(!Status::New.may_become(Status::Verified));
    }
}
