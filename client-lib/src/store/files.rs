//! The few file-system operations the profile needs, each with the durability it promises.

use super::error::{StoreError, io_error};
use crate::primitives::random::{self, OsRng};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Creates `dir` (and parents) readable by the owner only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(io_error("creating the profile directory"))
}

fn open_private_for_write(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes the entries of `dir` (creations, renames, unlinks) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    // Directories can be opened read-only and fsynced on Unix; elsewhere this is a no-op
    // because the platform offers no equivalent through std.
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error("syncing the profile directory"))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Replaces `path` with `bytes` atomically: a reader sees the old content or the new one,
/// never a mix, even across a crash. Write a temporary file, fsync it, rename it over the
/// target, fsync the directory.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let target = dir.join(name);
    let temporary = dir.join(format!("{name}.tmp"));
    let written = open_private_for_write(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(io_error("writing a profile file")(error));
    }
    fs::rename(&temporary, &target).map_err(io_error("replacing a profile file"))?;
    sync_dir(dir)
}

/// Replaces `name` in `dir` as [`write_atomic`] does, then overwrites the replaced
/// version in place (see [`shred`]), so that an old wrapping of the data key (under a
/// former passphrase, say) does not linger in free blocks.
///
/// Crash-safe: the old version is kept alive under `<name>.old` (a hard link) until the new
/// one is in place. A leftover `.old` from an interrupted run may still be the live file,
/// so it is only unlinked, never overwritten. Where hard links are not supported the old
/// version is simply replaced.
pub(crate) fn replace_and_shred_old(
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let old = link_old(dir, name)?;
    write_atomic(dir, name, bytes)?;
    shred_old(old)
}

/// First half of [`replace_and_shred_old`]: keeps the current version of `name` alive as
/// `<name>.old`. Returns that path if the link was made.
pub(crate) fn link_old(dir: &Path, name: &str) -> Result<Option<PathBuf>, StoreError> {
    let old = dir.join(format!("{name}.old"));
    remove_if_present(&old)?;
    Ok(fs::hard_link(dir.join(name), &old).is_ok().then_some(old))
}

/// Second half of [`replace_and_shred_old`], once the new version is in place.
pub(crate) fn shred_old(old: Option<PathBuf>) -> Result<(), StoreError> {
    match old {
        Some(old) => shred(&old),
        None => Ok(()),
    }
}

/// Overwrites the file at `path` in place with random bytes of its own length, fsyncs, and
/// unlinks it. A missing file is not an error.
///
/// On flash storage and copy-on-write file systems the old blocks may survive the
/// overwrite; `docs/store.md` says what that means.
pub(crate) fn shred(path: &Path) -> Result<(), StoreError> {
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(io_error("opening a file to wipe it")(error)),
    };
    let len = file
        .metadata()
        .map_err(io_error("reading a file's size to wipe it"))?
        .len();
    const CHUNK: usize = 64 * 1024;
    let mut chunk = vec![0u8; CHUNK];
    let mut remaining = len;
    while remaining > 0 {
        let n = usize::try_from(remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let part = &mut chunk[..n];
        random::fill(&mut OsRng, part)?;
        file.write_all(part)
            .map_err(io_error("overwriting a file to wipe it"))?;
        remaining -= n as u64;
    }
    file.sync_all().map_err(io_error("syncing a wiped file"))?;
    drop(file);
    remove_if_present(path)
}

/// Removes a file; a missing file is not an error.
pub(crate) fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("removing a profile file")(error)),
    }
}

/// Removes a directory tree; a missing directory is not an error.
pub(crate) fn remove_dir_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("removing the database")(error)),
    }
}

/// Reads a whole file, or `None` if it does not exist.
pub(crate) fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("reading a profile file")(error)),
    }
}
