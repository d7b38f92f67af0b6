//! Getting a passphrase from the user without leaving copies around.
//!
//! A passphrase comes from a file named on the command line (first line, trailing newline
//! stripped) or from a prompt on the controlling terminal. Never from a flag value or an
//! environment variable: both end up in shell history, `ps` output and crash reports.
//! Buffers holding it are zeroized when dropped.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::backend::Passphrase;
use crate::exit_codes::{ExitCode, Failure};

/// The shortest new passphrase accepted. Existing passphrases are not checked.
pub(crate) const MIN_NEW_LEN: usize = 8;

/// Where a passphrase is read from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Source<'a> {
    /// The file given with the matching `--…-file` flag, if any.
    pub(crate) file: Option<&'a Path>,
    /// The flag that names such a file, for error messages (`--passphrase-file`).
    pub(crate) flag: &'static str,
}

/// Whether reading from `source` means prompting a person (who may try again).
pub(crate) fn prompts(source: Source<'_>) -> bool {
    source.file.is_none() && terminal_available()
}

/// Reads the passphrase of an existing profile (one prompt on a terminal).
pub(crate) fn read_current(source: Source<'_>, prompt: &str) -> anyhow::Result<Passphrase> {
    let bytes = read_raw(source, prompt)?;
    if bytes.is_empty() {
        return Err(Failure::new(ExitCode::Usage, "the passphrase is empty").into());
    }
    Ok(into_passphrase(bytes))
}

/// Reads a new passphrase: from the file, or typed twice on the terminal.
///
/// `what` names it in prompts ("new passphrase", "duress passphrase").
pub(crate) fn read_new(source: Source<'_>, what: &str) -> anyhow::Result<Passphrase> {
    let first = read_raw(source, &format!("Choose a {what}: "))?;
    if source.file.is_none() {
        let second = read_raw(source, &format!("Repeat the {what}: "))?;
        if !bool::from(first.as_slice().ct_eq(second.as_slice())) {
            return Err(Failure::new(
                ExitCode::Usage,
                "the two entries differ; nothing was changed",
            )
            .into());
        }
    }
    check_new(&first)?;
    Ok(into_passphrase(first))
}

/// Refuses passphrases too short to resist guessing once the key file is seized.
fn check_new(bytes: &[u8]) -> anyhow::Result<()> {
    let chars = String::from_utf8_lossy(bytes).chars().count();
    if chars < MIN_NEW_LEN {
        return Err(Failure::new(
            ExitCode::Usage,
            format!("a new passphrase needs at least {MIN_NEW_LEN} characters"),
        )
        .into());
    }
    Ok(())
}

fn into_passphrase(mut bytes: Zeroizing<Vec<u8>>) -> Passphrase {
    // Moves the buffer out (no copy); the emptied Zeroizing wrapper drops harmlessly.
    Passphrase::new(std::mem::take(&mut *bytes))
}

fn read_raw(source: Source<'_>, prompt: &str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    match source.file {
        Some(path) => read_file(path, source.flag),
        None if terminal_available() => {
            let mut typed = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| {
                Failure::new(
                    ExitCode::GeneralError,
                    format!("could not read the passphrase from the terminal: {e}"),
                )
            })?);
            Ok(Zeroizing::new(std::mem::take(&mut *typed).into_bytes()))
        }
        None => Err(Failure::new(
            ExitCode::Usage,
            format!(
                "no passphrase available: pass {} PATH, or run corridor on a terminal",
                source.flag
            ),
        )
        .into()),
    }
}

/// Reads the first line of stdin, without its line ending (`--passphrase-file -`).
fn read_stdin_line(flag: &'static str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    use std::io::BufRead as _;
    crate::input::claim_stdin(flag)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(1024));
    std::io::stdin()
        .lock()
        .take(64 * 1024)
        .read_until(b'\n', &mut buf)
        .map_err(|e| {
            Failure::new(
                ExitCode::GeneralError,
                format!("cannot read the passphrase from stdin: {e}"),
            )
        })?;
    strip_line(&mut buf);
    Ok(buf)
}

fn strip_line(buf: &mut Zeroizing<Vec<u8>>) {
    if let Some(end) = buf.iter().position(|&b| b == b'\n') {
        buf.truncate(end);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
}

/// Reads the first line of `path` (of stdin when `path` is `-`), without its line ending.
pub(crate) fn read_file(path: &Path, flag: &'static str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    if path == Path::new("-") {
        return read_stdin_line(flag);
    }
    let unreadable = |e: std::io::Error| {
        Failure::new(
            ExitCode::GeneralError,
            format!("cannot read the file given to {flag}: {e}"),
        )
    };
    let mut file = File::open(path).map_err(unreadable)?;
    warn_if_shared(&file, flag);
    // Reserve up front so that reading does not reallocate and leave unzeroized copies.
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let cap = usize::try_from(len)
        .unwrap_or(0)
        .saturating_add(1)
        .min(64 * 1024);
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    file.by_ref()
        .take(64 * 1024)
        .read_to_end(&mut buf)
        .map_err(unreadable)?;
    strip_line(&mut buf);
    Ok(buf)
}

#[cfg(unix)]
fn warn_if_shared(file: &File, flag: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = file.metadata() {
        if meta.permissions().mode() & 0o077 != 0 {
            crate::output::warn(format_args!(
                "the file given to {flag} is readable by other users (chmod 600 it)"
            ));
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_file: &File, _flag: &str) {}

/// Whether a prompt can be shown: rpassword talks to the controlling terminal directly.
pub(crate) fn terminal_available() -> bool {
    #[cfg(unix)]
    {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    }
    #[cfg(not(unix))]
    {
        use std::io::IsTerminal as _;
        std::io::stdin().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn file_with(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(contents).unwrap();
        f
    }

    #[test]
    fn first_line_without_line_ending() {
        for (contents, want) in [
            (&b"correct horse\n"[..], &b"correct horse"[..]),
            (b"correct horse\r\nsecond line\n", b"correct horse"),
            (b"no newline", b"no newline"),
            (b"  spaces kept  \n", b"  spaces kept  "),
        ] {
            let f = file_with(contents);
            assert_eq!(
                read_file(f.path(), "--passphrase-file").unwrap().as_slice(),
                want
            );
        }
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let err =
            read_file(Path::new("/nonexistent/corridor-pass"), "--passphrase-file").unwrap_err();
        assert!(err.to_string().contains("--passphrase-file"));
    }

    #[test]
    fn empty_passphrase_is_refused() {
        let f = file_with(b"\n");
        let source = Source {
            file: Some(f.path()),
            flag: "--passphrase-file",
        };
        let err = read_current(source, "").err().unwrap();
        assert_eq!(
            err.downcast_ref::<Failure>().unwrap().code(),
            ExitCode::Usage
        );
    }

    #[test]
    fn short_new_passphrase_is_refused() {
        let f = file_with(b"short\n");
        let source = Source {
            file: Some(f.path()),
            flag: "--new-passphrase-file",
        };
        assert!(read_new(source, "new passphrase").is_err());
        // Eight characters, counted as characters rather than bytes.
        let f = file_with("ĉiuĵaŭde ŝ\n".as_bytes());
        let source = Source {
            file: Some(f.path()),
            flag: "--new-passphrase-file",
        };
        assert!(read_new(source, "new passphrase").is_ok());
    }
}
