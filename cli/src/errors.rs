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
    match err {
        ClientError::WrongPassphrase => ExitCode::WrongPassphrase,
        ClientError::UnknownContact => ExitCode::NotFound,
        ClientError::SafetyNumberMismatch => ExitCode::VerificationMismatch,
        ClientError::RelayUnreachable => ExitCode::RelayUnreachable,
        ClientError::InvalidInvitation => ExitCode::InvalidInvitation,
        _ => ExitCode::GeneralError,
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
