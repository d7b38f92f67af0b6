//! Arguments that may be given as `-` to read them from stdin instead, which keeps message
//! text and invitation codes out of shell history and out of other users' `ps` listings.

use std::io::Read as _;
use std::sync::Mutex;

use crate::exit_codes::{ExitCode, Failure};

/// What already read stdin in this process, if anything: it can feed only one thing.
static STDIN_USER: Mutex<Option<&'static str>> = Mutex::new(None);

/// Claims stdin for `what` (for error messages, e.g. "the message text"); fails when
/// something else already read it.
pub(crate) fn claim_stdin(what: &'static str) -> anyhow::Result<()> {
    let mut user = STDIN_USER.lock().unwrap_or_else(|e| e.into_inner());
    match *user {
        Some(before) => Err(Failure::new(
            ExitCode::Usage,
            format!("stdin was already read for {before}; it cannot also give {what}"),
        )
        .hint("give one of them in a file or as an argument instead of -")
        .into()),
        None => {
            *user = Some(what);
            Ok(())
        }
    }
}

/// The most read from stdin for one argument.
const MAX_STDIN: u64 = 1024 * 1024;

/// Returns `arg`, or all of stdin (without the final line ending) when `arg` is `-`.
/// `what` names the argument in errors ("the message text").
pub(crate) fn text_or_stdin(arg: String, what: &'static str) -> anyhow::Result<String> {
    if arg != "-" {
        return Ok(arg);
    }
    claim_stdin(what)?;
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_STDIN + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure::new(ExitCode::GeneralError, format!("cannot read stdin: {e}")))?;
    if text.len() as u64 > MAX_STDIN {
        return Err(Failure::new(ExitCode::Usage, "stdin holds more than 1 MiB").into());
    }
    let trimmed = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    Ok(trimmed.to_string())
}
