//! Turning an error into a message on stderr and an exit code.

use std::io::Write as _;

use serde::Serialize;

use crate::backend::ClientError;
use crate::exit_codes::{ExitCode, Failure};
use crate::output;

/// What a failure says to the person (or script) reading stderr.
#[derive(Debug, Serialize)]
pub(crate) struct Problem {
    /// What went wrong, in words.
    pub(crate) error: String,
    /// What to do next, when there is something to say.
    pub(crate) hint: Option<String>,
    /// The process exit code this failure maps to.
    pub(crate) exit_code: u8,
    /// A stable name for `exit_code` (`not_found`, `relay_unreachable`, …).
    pub(crate) reason: &'static str,
}

/// Prints `err` on stderr, as text (its chain, once, and a hint) or under `--json` as one
/// JSON object, and returns the exit code it maps to.
///
/// A closed stdout (`corridor inbox | head -1`) is not an error: nothing is printed and the
/// code is [`ExitCode::Success`].
pub(crate) fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::Success;
    }
    let problem = describe(err);
    if output::json_mode() {
        let mut stderr = std::io::stderr().lock();
        let _ = output::write_json(&mut stderr, &problem);
        let _ = stderr.write_all(b"\n");
    } else {
        eprintln!("corridor: {}", problem.error);
        if let Some(hint) = &problem.hint {
            eprintln!("corridor: {hint}");
        }
    }
    exit_code(err)
}

/// The words and the code for `err`.
pub(crate) fn describe(err: &anyhow::Error) -> Problem {
    let code = exit_code(err);
    let mut hint = None;
    let mut error = format!("{err:#}");
    for cause in err.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            hint = failure.next_step().map(str::to_owned);
            break;
        }
        if let Some(client) = cause.downcast_ref::<ClientError>() {
            if let Some(better) = message(client) {
                // Keep any context added above the client error, then the better words.
                let outer: Vec<String> = err
                    .chain()
                    .take_while(|c| c.downcast_ref::<ClientError>().is_none())
                    .map(ToString::to_string)
                    .collect();
                error = outer
                    .into_iter()
                    .chain(std::iter::once(better))
                    .collect::<Vec<_>>()
                    .join(": ");
            }
            hint = client_hint(client).map(str::to_owned);
            break;
        }
    }
    Problem {
        error,
        hint,
        exit_code: code.code(),
        reason: code.name(),
    }
}

/// A clap parse error as a [`Failure`] (exit code 2), for `--json` output: the error text
/// without clap's `error:` prefix, and clap's own suggestion as the hint.
pub(crate) fn usage_error(err: &clap::Error) -> anyhow::Error {
    let text = err.render().to_string();
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:"));
    let first = lines.next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first).to_string();
    let rest: Vec<&str> = lines.collect();
    let mut failure = Failure::new(ExitCode::Usage, first);
    if !rest.is_empty() {
        failure = failure.hint(rest.join(" "));
    }
    failure.into()
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
        E::NoProfile
        | E::UnknownContact
        | E::UnknownInvitation
        | E::UnknownCase
        | E::UnknownMember => ExitCode::NotFound,
        E::InvalidField(_) => ExitCode::Usage,
        E::RelayUnreachable => ExitCode::RelayUnreachable,
        E::SafetyNumberMismatch => ExitCode::VerificationMismatch,
        E::InvalidInvitation
        | E::InvitationExpired
        | E::InvitationUnavailable
        | E::BundleMismatch
        | E::OwnInvitation => ExitCode::InvalidInvitation,
        E::AlreadyAccepted { .. } => ExitCode::AlreadyContact,
        E::RelayNotAllowed => ExitCode::RelayNotAllowed,
        E::UnknownRelay => ExitCode::NotFound,
        E::InvalidProxy => ExitCode::Usage,
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

/// The label rules, said the same way wherever a label is refused.
pub(crate) const LABEL_RULES: &str =
    "a label has 1 to 64 characters, no control characters and no spaces at either end";

/// The relay address rules.
pub(crate) const RELAY_RULES: &str = "a relay address is https://HOST[:PORT] (plain http:// only \
     for 127.0.0.1, localhost or a .onion address)";

/// Clearer words than the library's fixed message, where the CLI knows more.
fn message(err: &ClientError) -> Option<String> {
    use ClientError as E;
    Some(match err {
        E::InvalidLabel => format!("invalid label: {LABEL_RULES}"),
        E::LabelTaken => "another contact already has that label".into(),
        E::InvalidRelay => format!("invalid relay address: {RELAY_RULES}"),
        E::RelayUnreachable => "the relay could not be reached, or did not answer in time".into(),
        E::NoRelay => "the profile needs at least one relay".into(),
        E::InvalidMessage => format!(
            "the message is empty or longer than {} bytes",
            crate::commands::send::LIMIT_TEXT
        ),
        E::InvitationUnavailable => {
            "the invitation is no longer available: it was used up, revoked or has expired".into()
        }
        E::NotEstablished => "the contact has not answered yet".into(),
        E::OwnInvitation => {
            "this invitation code is your own: a profile cannot be its own contact".into()
        }
        E::AlreadyAccepted { label } => format!(
            "you already accepted this invitation: that contact is '{}'; nothing was added",
            crate::sanitize::sanitize(label)
        ),
        E::Storage => "the profile could not be read or written".into(),
        E::NoOrganization => "this profile belongs to no organization".into(),
        E::OrgExists => "this profile already belongs to an organization (one per profile)".into(),
        E::UnknownCase => "no case with that id on this device".into(),
        E::UnknownMember => "no member has that alias".into(),
        E::AmbiguousCase => "more than one case starts with that id".into(),
        E::AuditBroken { seq } => format!(
            "the audit log is broken at entry {seq}: it was changed, or entries were removed"
        ),
        _ => return None,
    })
}

/// A second line for the errors where the user needs to know what to do next.
fn client_hint(err: &ClientError) -> Option<&'static str> {
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
            "nothing was lost (Ctrl-C or a timeout never loses the outbox); try again later, or \
             check `corridor relay list`, `corridor proxy show` and your connection"
        }
        E::InvitationExpired | E::InvitationUnavailable | E::InvalidInvitation => {
            "ask the person who invited you for a new code"
        }
        E::LabelTaken => "choose another label, or rename that contact first",
        E::OwnInvitation => {
            "give the code to the other person; they run `corridor accept CODE --name NAME`"
        }
        E::AlreadyAccepted { .. } => {
            "use that contact (`corridor contacts`); ask for a new code only if it stopped working"
        }
        E::UnknownContact => "`corridor contacts` lists your contacts",
        E::UnknownInvitation => "`corridor invitations` lists the open ones",
        E::NotEstablished => "run `corridor sync`; this works once their first message arrived",
        E::Storage => {
            "check that the disk is not full and that no other corridor process holds the profile"
        }
        E::NoRelay => "add one with `corridor relay add URL`",
        E::RelayNotAllowed => {
            "if you trust that relay, add it with `corridor relay add URL` and try again; or set a \
             proxy (`corridor proxy set socks5h://127.0.0.1:9050`) to reach it through Tor"
        }
        E::UnknownRelay => "`corridor relay list` shows the relays as they are spelled",
        E::LastRelay => "add another relay first: `corridor relay add URL`",
        E::RelayInUse => {
            "move those contacts with `corridor rotate CONTACT --relay OTHER`, or remove them, and \
             revoke those invitations (`corridor invitations`), then try again"
        }
        E::InvalidProxy => "Tor on this machine is socks5h://127.0.0.1:9050",
        E::NoOrganization => {
            "create one with `corridor org create NAME`, or join one with `corridor org join CODE`"
        }
        E::OrgExists => "use another profile (--home DIR) for a second organization",
        E::UnknownCase => {
            "`corridor cases` lists the cases on this device (coordinators hold every case, a \
             caseworker the ones assigned to them)"
        }
        E::UnknownMember => "`corridor org members` lists the members",
        E::AmbiguousCase => "type more of the id, as `corridor cases` shows it",
        E::NotPermitted(_) => "`corridor org` shows your role",
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
    fn problems_carry_the_code_and_a_hint() {
        let p = describe(&anyhow::Error::new(ClientError::InvalidLabel));
        assert_eq!(p.exit_code, 2);
        assert_eq!(p.reason, "usage");
        assert!(p.error.contains("64 characters"), "{}", p.error);
        let p = describe(&anyhow::Error::new(
            Failure::new(ExitCode::Cancelled, "no").hint("pass --yes"),
        ));
        assert_eq!((p.exit_code, p.hint.as_deref()), (8, Some("pass --yes")));
        let p = describe(
            &Err::<(), _>(ClientError::RelayUnreachable)
                .context("while sending")
                .unwrap_err(),
        );
        assert!(
            p.error
                .starts_with("while sending: the relay could not be reached"),
            "{}",
            p.error
        );
        assert!(p.hint.unwrap().contains("nothing was lost"));
    }

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
            (ClientError::UnknownCase, ExitCode::NotFound),
            (ClientError::UnknownMember, ExitCode::NotFound),
            (
                ClientError::InvalidField(corridor_client::coordination::FieldError::Empty(
                    corridor_client::coordination::Field::Alias,
                )),
                ExitCode::Usage,
            ),
            (ClientError::NoOrganization, ExitCode::GeneralError),
            (ClientError::AmbiguousCase, ExitCode::GeneralError),
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
