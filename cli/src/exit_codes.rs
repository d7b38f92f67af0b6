//! The process exit codes `corridor` promises to scripts.
//!
//! They are part of the interface: `docs/caseworkers.md` lists them and a test checks that
//! the list there matches this enum. A code, once given a meaning, keeps it.

use std::fmt;

/// Why `corridor` stopped. The numeric values are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitCode {
    /// The command did what was asked.
    Success,
    /// Any failure without a more specific code below.
    GeneralError,
    /// The command line was wrong (unknown flag, missing argument), or no passphrase source
    /// was available (no `--passphrase-file` and no terminal).
    Usage,
    /// The passphrase did not open the profile. Nothing was changed.
    WrongPassphrase,
    /// No profile in the home directory, or no contact with that name.
    NotFound,
    /// No relay could be reached. A message that was being sent is kept in the outbox and
    /// goes out on the next `corridor sync`.
    RelayUnreachable,
    /// The safety number entered with `verify --confirm` does not match. The contact stays
    /// unverified.
    VerificationMismatch,
    /// The invitation code is malformed, expired, already used or was revoked.
    InvalidInvitation,
    /// The user declined a confirmation (for example of `corridor panic`), or one was needed
    /// and there was no terminal to ask on and no `--yes`.
    Cancelled,
    /// Another `corridor` process (typically a `corridor shell`) has the profile open.
    ProfileBusy,
    /// This profile already has that contact: the invitation was accepted before.
    AlreadyContact,
    /// A relay someone else named (an invitation code, a contact's mailbox) is not on this
    /// profile's list; nothing was sent to it.
    RelayNotAllowed,
}

impl ExitCode {
    /// Every code, in numeric order (used by the documentation test).
    #[cfg(test)]
    pub(crate) const ALL: [ExitCode; 12] = [
        ExitCode::Success,
        ExitCode::GeneralError,
        ExitCode::Usage,
        ExitCode::WrongPassphrase,
        ExitCode::NotFound,
        ExitCode::RelayUnreachable,
        ExitCode::VerificationMismatch,
        ExitCode::InvalidInvitation,
        ExitCode::Cancelled,
        ExitCode::ProfileBusy,
        ExitCode::AlreadyContact,
        ExitCode::RelayNotAllowed,
    ];

    /// The number the process exits with.
    pub(crate) fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::GeneralError => 1,
            ExitCode::Usage => 2,
            ExitCode::WrongPassphrase => 3,
            ExitCode::NotFound => 4,
            ExitCode::RelayUnreachable => 5,
            ExitCode::VerificationMismatch => 6,
            ExitCode::InvalidInvitation => 7,
            ExitCode::Cancelled => 8,
            ExitCode::ProfileBusy => 9,
            ExitCode::AlreadyContact => 10,
            ExitCode::RelayNotAllowed => 11,
        }
    }

    /// A stable name for the code, the `reason` field of a JSON error.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ExitCode::Success => "ok",
            ExitCode::GeneralError => "error",
            ExitCode::Usage => "usage",
            ExitCode::WrongPassphrase => "wrong_passphrase",
            ExitCode::NotFound => "not_found",
            ExitCode::RelayUnreachable => "relay_unreachable",
            ExitCode::VerificationMismatch => "safety_number_mismatch",
            ExitCode::InvalidInvitation => "invalid_invitation",
            ExitCode::Cancelled => "cancelled",
            ExitCode::ProfileBusy => "profile_busy",
            ExitCode::AlreadyContact => "already_contact",
            ExitCode::RelayNotAllowed => "relay_not_allowed",
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

/// An error the CLI itself decided on, with the exit code it maps to.
///
/// The message is shown to the user as is, on their own terminal; it must not contain a
/// passphrase, a mailbox id or message text (a contact label the user typed or owns may
/// appear, sanitized).
#[derive(Debug)]
pub(crate) struct Failure {
    code: ExitCode,
    message: String,
    hint: Option<String>,
}

impl Failure {
    /// A failure with `code` and a user-facing `message`.
    pub(crate) fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// The same failure with a second line saying what to do next.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// What to do next, if said.
    pub(crate) fn next_step(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The exit code this failure maps to.
    pub(crate) fn code(&self) -> ExitCode {
        self.code
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_in_order() {
        for (i, code) in ExitCode::ALL.iter().enumerate() {
            assert_eq!(usize::from(code.code()), i);
        }
    }

    #[test]
    fn caseworker_guide_documents_every_code() {
        let guide = include_str!("../../docs/caseworkers.md");
        for code in ExitCode::ALL {
            let row = format!("| {} |", code.code());
            assert!(
                guide.contains(&row),
                "docs/caseworkers.md lacks a row for exit code {}",
                code.code()
            );
        }
        // No row for a code that does not exist.
        let next = format!("| {} |", ExitCode::ALL.len());
        assert!(!guide.contains(&next));
    }
}
