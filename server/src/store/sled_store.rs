use super::{Entry, Store, StoreError, Write};
use std::path::{Path, PathBuf};

/// The embedded default [`Store`]: one sled tree in the data directory.
///
/// `flush` calls sled's blocking `flush()` (never `flush_async`, which is known to hang
/// under concurrent callers: sled issue #1241).
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
}

/// How to open a [`SledStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SledOptions {
    /// Bytes of sled's page cache (sled's own default is 1 GiB; the relay's is
    /// [`SledOptions::DEFAULT_CACHE_BYTES`]).
    pub cache_bytes: u64,
    /// Rewrite the database into a fresh directory before opening it, so space freed by
    /// acknowledgements, expiry and destroys goes back to the file system.
    pub compact: bool,
}

impl SledOptions {
    /// The relay's default page cache: 16 MiB.
    pub const DEFAULT_CACHE_BYTES: u64 = 16 * 1024 * 1024;
}

impl Default for SledOptions {
    fn default() -> Self {
        Self {
            cache_bytes: Self::DEFAULT_CACHE_BYTES,
            compact: false,
        }
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Bytes in the data directory before.
    pub bytes_before: u64,
    /// Bytes in the data directory after.
    pub bytes_after: u64,
    /// Entries copied.
    pub entries: u64,
}

fn engine(err: sled::Error) -> StoreError {
    StoreError::Engine(err.to_string())
}

fn io(err: std::io::Error) -> StoreError {
    StoreError::Engine(format!("compaction: {err}"))
}

fn open_db(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        // A flush is issued explicitly after each group of writes; sled's own
        // periodic flush would only add fsyncs.
        .flush_every_ms(None)
        .open()
        .map_err(engine)
}

/// Total size of the regular files under `dir`, in bytes.
pub fn dir_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    dir.with_file_name(name)
}

/// Finishes or undoes a compaction that a crash interrupted. The old copy is only removed
/// once the new one is in place, so one complete copy always exists.
fn recover(dir: &Path) -> Result<(), StoreError> {
    let old = sibling(dir, ".old");
    let new = sibling(dir, ".compacting");
    if new.exists() {
        std::fs::remove_dir_all(&new).map_err(io)?;
    }
    if old.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&old).map_err(io)?;
        } else {
            std::fs::rename(&old, dir).map_err(io)?;
        }
    }
    Ok(())
}

fn set_private(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Copies every entry of the database in `dir` into a fresh database and puts the copy in
/// its place. Needs free space for one more copy of the live data; reads and writes each
/// live entry once. A crash at any point leaves one complete database (see [`recover`]).
pub fn compact(dir: &Path, cache_bytes: u64) -> Result<Compaction, StoreError> {
    recover(dir)?;
    let bytes_before = dir_size(dir).map_err(io)?;
    let new = sibling(dir, ".compacting");
    let mut entries = 0u64;
    {
        let source = open_db(dir, cache_bytes)?;
        std::fs::create_dir_all(&new).map_err(io)?;
        set_private(&new)?;
        let target = open_db(&new, cache_bytes)?;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for item in source.iter() {
            let (k, v) = item.map_err(engine)?;
            batch.insert(k, v);
            in_batch += 1;
            entries += 1;
            if in_batch == 1000 {
                target
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(engine)?;
                in_batch = 0;
            }
        }
        target.apply_batch(batch).map_err(engine)?;
        target.flush().map_err(engine)?;
        if target.len() as u64 != entries {
            return Err(StoreError::Engine("compaction: copy is incomplete".into()));
        }
    }
    let old = sibling(dir, ".old");
    std::fs::rename(dir, &old).map_err(io)?;
    std::fs::rename(&new, dir).map_err(io)?;
    std::fs::remove_dir_all(&old).map_err(io)?;
    Ok(Compaction {
        bytes_before,
        bytes_after: dir_size(dir).map_err(io)?,
        entries,
    })
}

impl SledStore {
    /// Opens (or creates) the database in `dir` with the default options.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, SledOptions::default())
    }

    /// Opens (or creates) the database in `dir`, compacting it first if asked.
    pub fn open_with(dir: &Path, options: SledOptions) -> Result<Self, StoreError> {
        recover(dir)?;
        if options.compact && dir.exists() {
            let done = compact(dir, options.cache_bytes)?;
            tracing::info!(
                "compacted the data directory: {} entries, {} bytes before, {} after",
                done.entries,
                done.bytes_before,
                done.bytes_after
            );
        }
        Ok(Self {
            db: open_db(dir, options.cache_bytes)?,
        })
    }

    /// Bytes the database occupies on disk, as sled counts them.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(engine)
    }
}

impl Store for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn range(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, StoreError> {
        if start >= end {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for item in self.db.range(start..end).take(limit) {
            let (k, v) = item.map_err(engine)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for write in writes {
            match write {
                Write::Put(k, v) => batch.insert(k, v),
                Write::Delete(k) => batch.remove(k),
            }
        }
        self.db.apply_batch(batch).map_err(engine)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(engine)
    }

    fn count_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError> {
        let mut n = 0;
        for item in self.db.scan_prefix(prefix) {
            item.map_err(engine)?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_keeps_every_entry_and_frees_space() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        {
            let store = SledStore::open(&dir).unwrap();
            for i in 0u32..2000 {
                store
                    .apply(vec![Write::Put(i.to_be_bytes().to_vec(), vec![7; 4096])])
                    .unwrap();
            }
            let deletes = (0u32..1990).map(|i| Write::Delete(i.to_be_bytes().to_vec()));
            store.apply(deletes.collect()).unwrap();
            store.flush().unwrap();
        }
        let done = compact(&dir, SledOptions::DEFAULT_CACHE_BYTES).unwrap();
        assert_eq!(done.entries, 10);
        assert!(
            done.bytes_after < done.bytes_before / 4,
            "{done:?}: compaction freed too little"
        );
        let store = SledStore::open(&dir).unwrap();
        assert_eq!(store.count_prefix(&[]).unwrap(), 10);
        assert_eq!(
            store.get(&1995u32.to_be_bytes()).unwrap(),
            Some(vec![7; 4096])
        );
        assert!(!sibling(&dir, ".old").exists());
        assert!(!sibling(&dir, ".compacting").exists());
    }

    #[test]
    fn an_interrupted_compaction_leaves_the_old_copy() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        {
            let store = SledStore::open(&dir).unwrap();
            store
                .apply(vec![Write::Put(b"k".to_vec(), b"v".to_vec())])
                .unwrap();
            store.flush().unwrap();
        }
        // Crashed after moving the old copy aside, before the new one was in place.
        std::fs::rename(&dir, sibling(&dir, ".old")).unwrap();
        std::fs::create_dir_all(sibling(&dir, ".compacting")).unwrap();
        let store = SledStore::open(&dir).unwrap();
        assert_eq!(store.get(b"k").unwrap(), Some(b"v".to_vec()));
        assert!(!sibling(&dir, ".compacting").exists());
    }
}
