use super::{Entry, Store, StoreError, Write};
use std::path::Path;

/// The embedded default [`Store`]: one sled tree in the data directory.
///
/// `flush` calls sled's blocking `flush()` (never `flush_async`, which is known to hang
/// under concurrent callers: sled issue #1241).
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
}

fn engine(err: sled::Error) -> StoreError {
    StoreError::Engine(err.to_string())
}

impl SledStore {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            // A flush is issued explicitly after each group of writes; sled's own
            // periodic flush would only add fsyncs.
            .flush_every_ms(None)
            .open()
            .map_err(engine)?;
        Ok(Self { db })
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
