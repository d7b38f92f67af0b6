//! The failed-unlock counter behind the optional wipe-after-N-failures.
//!
//! It lives in its own small plaintext file, `unlock-guard`, because it must be updated
//! before the passphrase is known to be right (or known at all): 16 bytes, magic
//! `"CRDRGRD\0"`, the limit (0 = off) and the count of consecutive failures, both u32
//! big-endian. Every profile has the file, so its presence says nothing; its content does
//! say whether a limit is set.
//!
//! Limits, said plainly in `docs/store.md`: this only stops someone guessing through the
//! app. Anyone who copies the directory first, or edits this file, guesses offline against
//! the key file without any limit but Argon2id's cost.

use super::error::StoreError;
use super::files;
use std::path::Path;

pub(crate) const GUARD_FILE_NAME: &str = "unlock-guard";
const MAGIC: [u8; 8] = *b"CRDRGRD\0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Guard {
    /// Consecutive failures allowed before the wipe; 0 = no limit.
    pub(crate) limit: u32,
    /// Failures (or attempts in progress) since the last successful unlock.
    pub(crate) count: u32,
}

impl Guard {
    /// Reads the guard. A missing or unreadable file means "no limit": a file that does
    /// not decode can only come from someone who could copy the directory anyway.
    pub(crate) fn load(dir: &Path) -> Result<Self, StoreError> {
        let Some(bytes) = files::read_if_present(&dir.join(GUARD_FILE_NAME))? else {
            return Ok(Self::default());
        };
        Ok(Self::decode(&bytes).unwrap_or_default())
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; 16] = bytes.try_into().ok()?;
        let (magic, rest) = bytes.split_at_checked(8)?;
        if magic != MAGIC {
            return None;
        }
        let (limit, count) = rest.split_at_checked(4)?;
        Some(Self {
            limit: u32::from_be_bytes(limit.try_into().ok()?),
            count: u32::from_be_bytes(count.try_into().ok()?),
        })
    }

    fn encode(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&MAGIC);
        out[8..12].copy_from_slice(&self.limit.to_be_bytes());
        out[12..].copy_from_slice(&self.count.to_be_bytes());
        out
    }

    /// Writes the guard durably (atomic replace).
    pub(crate) fn save(&self, dir: &Path) -> Result<(), StoreError> {
        files::write_atomic(dir, GUARD_FILE_NAME, &self.encode())
    }

    pub(crate) fn enabled(&self) -> bool {
        self.limit > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_fallbacks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Guard::load(dir.path()).unwrap(), Guard::default());
        let guard = Guard { limit: 5, count: 2 };
        guard.save(dir.path()).unwrap();
        assert_eq!(Guard::load(dir.path()).unwrap(), guard);
        std::fs::write(dir.path().join(GUARD_FILE_NAME), b"garbage").unwrap();
        assert_eq!(Guard::load(dir.path()).unwrap(), Guard::default());
    }
}
