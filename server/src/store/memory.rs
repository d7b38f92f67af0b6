use super::{Entry, Store, StoreError, Write};
use std::collections::BTreeMap;
use std::sync::Mutex;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// An in-memory [`Store`] for tests: a `BTreeMap` behind a mutex. Nothing survives the
/// process; `flush` does nothing.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<Map>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Map>, StoreError> {
        self.map
            .lock()
            .map_err(|_| StoreError::Engine("memory store lock poisoned".into()))
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock()?.get(key).cloned())
    }

    fn range(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, StoreError> {
        if start >= end {
            return Ok(Vec::new());
        }
        Ok(self
            .lock()?
            .range(start.to_vec()..end.to_vec())
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut map = self.lock()?;
        for write in writes {
            match write {
                Write::Put(k, v) => {
                    map.insert(k, v);
                }
                Write::Delete(k) => {
                    map.remove(&k);
                }
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn count_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError> {
        Ok(self
            .lock()?
            .keys()
            .filter(|k| k.starts_with(prefix))
            .count() as u64)
    }
}
