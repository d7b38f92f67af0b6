//! Arguments that may be given as `-` to read them from stdin instead, which keeps message
//! text and invitation codes out of shell history and out of other users' `ps` listings.

use std::io::Read as _;

use crate::exit_codes::{ExitCode, Failure};

/// The most read from stdin for one argument.
const MAX_STDIN: u64 = 1024 * 1024;

/// Returns `arg`, or all of stdin (without the final line ending) when `arg` is `-`.
pub(crate) fn text_or_stdin(arg: String) -> anyhow::Result<String> {
    if arg != "-" {
        return Ok(arg);
    }
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
