//! Turning an error into a message on stderr and an exit code.

use crate::backend::ClientError;
use crate::exit_codes::{ExitCode, Failure};

/// Prints `err` (its whole chain, once) on stderr and returns the exit code it maps to.
///
/// A closed stdout (`corridor inbox | head -1`) is not an error: nothing is printed and the
/// code is [`ExitCode::Success`].
pub(crate) fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::Success;
    }
    eprintln!("corridor: {err:#}");
    if let Some(hint) = err
        .chain()
        .find_map(|c| c.downcast_ref::<ClientError>())
        .and_then(hint)
    {
        eprintln!("corridor: {hint}");
    }
    exit_code(err)
}

/// The exit code for `err`, from the first error in its chain that has one.
pub(crate) fn exit_code(err: &anyhow::Error) -> ExitCode {
    for cause in err.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return failure.code();
        }
        if let Some(client) = cause.downcast_ref::<ClientError>() {
            return client_code(client);
        }
    }
    ExitCode::GeneralError
}

fn client_code(err: &ClientError) -> ExitCode {
    use ClientError as E;
    match err {
        E::WrongPassphrase | E::ProfileWiped => ExitCode::WrongPassphrase,
        E::NoProfile | E::UnknownContact | E::UnknownInvitation => ExitCode::NotFound,
        E::RelayUnreachable => ExitCode::RelayUnreachable,
        E::SafetyNumberMismatch => ExitCode::VerificationMismatch,
        E::InvalidInvitation
        | E::InvitationExpired
        | E::InvitationUnavailable
        | E::BundleMismatch => ExitCode::InvalidInvitation,
        E::EmptyPassphrase
        | E::PassphraseConflict
        | E::TooManyAlertContacts
        | E::LabelTaken
        | E::InvalidLabel
        | E::InvalidRelay
        | E::NoRelay
        | E::InvalidMessage => ExitCode::Usage,
        _ => ExitCode::GeneralError,
    }
}

/// A second line for the errors where the user needs to know what to do next.
fn hint(err: &ClientError) -> Option<&'static str> {
    use ClientError as E;
    Some(match err {
        E::WrongPassphrase => {
            "nothing was changed; check the passphrase (or the file given to --passphrase-file)"
        }
        E::BundleMismatch => {
            "the keys on the relay do not belong to whoever made this invitation: do not use it, \
             and tell the person through another channel"
        }
        E::SafetyNumberMismatch => {
            "the contact stays unverified; a mismatch can mean someone is in the middle: do not use \
             this contact until you have compared again in person"
        }
        E::RelayUnreachable => {
            "nothing was lost; try again later, or check --proxy and your connection"
        }
        _ => return None,
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn client_errors_map_to_their_documented_codes() {
        let cases = [
            (ClientError::WrongPassphrase, ExitCode::WrongPassphrase),
            (ClientError::UnknownContact, ExitCode::NotFound),
            (ClientError::NoProfile, ExitCode::NotFound),
            (ClientError::RelayUnreachable, ExitCode::RelayUnreachable),
            (
                ClientError::SafetyNumberMismatch,
                ExitCode::VerificationMismatch,
            ),
            (ClientError::InvitationExpired, ExitCode::InvalidInvitation),
            (ClientError::BundleMismatch, ExitCode::InvalidInvitation),
            (ClientError::InvalidLabel, ExitCode::Usage),
            (ClientError::RelayRefused, ExitCode::GeneralError),
        ];
        for (err, code) in cases {
            assert_eq!(exit_code(&anyhow::Error::new(err)), code);
        }
    }

    #[test]
    fn the_code_is_found_under_added_context() {
        let err = Err::<(), _>(ClientError::WrongPassphrase)
            .context("while unlocking")
            .unwrap_err();
        assert_eq!(exit_code(&err), ExitCode::WrongPassphrase);
        let err = anyhow::Error::new(Failure::new(ExitCode::Cancelled, "no"));
        assert_eq!(exit_code(&err), ExitCode::Cancelled);
        assert_eq!(exit_code(&anyhow::anyhow!("other")), ExitCode::GeneralError);
    }

    #[test]
    fn a_closed_stdout_is_success() {
        let err = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(report(&err), ExitCode::Success);
    }
}
