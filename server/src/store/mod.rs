//! Storage behind a small trait.
//!
//! The relay's data model ([`crate::data`]) is written once, against [`Store`]: an ordered
//! key-value map with atomic batches and an explicit flush. The embedded default is
//! [`SledStore`]; [`MemoryStore`] backs the handler tests. A shared database engine (for
//! operators who run several relay instances) only has to implement these five methods.
//!
//! Every mutation reaches the store from the single group-commit writer
//! ([`crate::writer`]), so an implementation needs atomic batches but no compare-and-swap.

mod memory;
mod sled_store;

pub use memory::MemoryStore;
pub use sled_store::{Compaction, SledOptions, SledStore, compact, dir_size};

/// A key and its value, as [`Store::range`] returns them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// One write in an atomic batch.
#[derive(Clone, PartialEq, Eq)]
pub enum Write {
    /// Set `key` to `value`.
    Put(Vec<u8>, Vec<u8>),
    /// Remove `key` (no error if absent).
    Delete(Vec<u8>),
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys and values are ids and envelopes: never printed.
        match self {
            Write::Put(k, v) => write!(f, "Put({} bytes, {} bytes)", k.len(), v.len()),
            Write::Delete(k) => write!(f, "Delete({} bytes)", k.len()),
        }
    }
}

/// A storage failure. It carries no keys or values, only the engine's description.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption).
    #[error("storage engine error: {0}")]
    Engine(String),
    /// A stored record could not be decoded.
    #[error("corrupt record")]
    Corrupt,
}

/// An ordered key-value store with atomic batches and an explicit flush.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` entries with `start <= key < end`, in key order.
    fn range(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, StoreError>;

    /// Applies every write or none of them. Not necessarily durable until [`Store::flush`].
    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Makes every applied batch durable (fsync). Blocking.
    fn flush(&self) -> Result<(), StoreError>;

    /// Number of entries whose key starts with `prefix` (for metrics and tests).
    fn count_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError>;
}

/// The exclusive upper bound of the keys starting with `prefix`: `prefix` with its last
/// byte incremented (carrying), or `None` if every byte is 0xff.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: &dyn Store) {
        store
            .apply(vec![
                Write::Put(b"a1".to_vec(), b"x".to_vec()),
                Write::Put(b"a2".to_vec(), b"y".to_vec()),
                Write::Put(b"b1".to_vec(), b"z".to_vec()),
            ])
            .unwrap();
        store.flush().unwrap();
        assert_eq!(store.get(b"a2").unwrap(), Some(b"y".to_vec()));
        let end = prefix_end(b"a").unwrap();
        let rows = store.range(b"a", &end, 10).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(store.range(b"a", &end, 1).unwrap().len(), 1);
        assert_eq!(store.count_prefix(b"a").unwrap(), 2);
        store.apply(vec![Write::Delete(b"a1".to_vec())]).unwrap();
        assert_eq!(store.get(b"a1").unwrap(), None);
        assert_eq!(store.count_prefix(b"a").unwrap(), 1);
    }

    #[test]
    fn memory_store_semantics() {
        exercise(&MemoryStore::new());
    }

    #[test]
    fn sled_store_semantics() {
        let dir = tempfile::tempdir().unwrap();
        exercise(&SledStore::open(dir.path()).unwrap());
    }

    #[test]
    fn prefix_end_carries() {
        assert_eq!(prefix_end(b"a"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }
}
