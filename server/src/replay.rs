//! Replay protection for signed requests: each (target, nonce) is accepted once while its
//! timestamp could still pass the freshness check. Bounded; in memory only.

use crate::layout::Key32;
use corridor_wire::NONCE_LEN;
use corridor_wire::auth::MAX_SKEW_SECS;
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

type Entry = (Key32, [u8; NONCE_LEN]);

/// Why a signed request was refused by the replay cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayError {
    /// The (target, nonce) was already used.
    Replayed,
    /// The cache is full of unexpired entries.
    Full,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashSet<Entry>,
    // Insertion order with the time each entry may be forgotten; `now` only grows (or
    // nearly), so the front is always the oldest.
    order: VecDeque<(u64, Entry)>,
}

/// The set of recently used (target, nonce) pairs.
#[derive(Debug)]
pub struct ReplayCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl ReplayCache {
    /// A cache holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    /// Records (target, nonce) at time `now`; refuses it if already recorded.
    ///
    /// A request signed at `t` passes the freshness check until `t + MAX_SKEW_SECS`, and
    /// `t` is at most `now + MAX_SKEW_SECS`, so remembering it for `2 * MAX_SKEW_SECS`
    /// after `now` covers every possible replay.
    pub fn check(
        &self,
        target: &Key32,
        nonce: &[u8; NONCE_LEN],
        now: u64,
    ) -> Result<(), ReplayError> {
        let mut inner = self.inner.lock().map_err(|_| ReplayError::Full)?;
        while let Some((forget_at, entry)) = inner.order.front().copied() {
            if forget_at > now {
                break;
            }
            inner.order.pop_front();
            inner.seen.remove(&entry);
        }
        let entry = (*target, *nonce);
        if inner.seen.contains(&entry) {
            return Err(ReplayError::Replayed);
        }
        if inner.seen.len() >= self.capacity {
            return Err(ReplayError::Full);
        }
        inner.seen.insert(entry);
        let forget_at = now.saturating_add(2 * MAX_SKEW_SECS + 1);
        inner.order.push_back((forget_at, entry));
        Ok(())
    }

    /// Entries currently remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.seen.len()).unwrap_or(0)
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_are_refused_until_the_window_passes() {
        let cache = ReplayCache::new(10);
        cache.check(&[1; 32], &[2; 16], 1000).unwrap();
        assert_eq!(
            cache.check(&[1; 32], &[2; 16], 1100),
            Err(ReplayError::Replayed)
        );
        cache.check(&[9; 32], &[2; 16], 1100).unwrap();
        cache
            .check(&[1; 32], &[2; 16], 1000 + 2 * MAX_SKEW_SECS + 1)
            .unwrap();
    }

    #[test]
    fn capacity_is_bounded() {
        let cache = ReplayCache::new(2);
        cache.check(&[1; 32], &[1; 16], 0).unwrap();
        cache.check(&[1; 32], &[2; 16], 0).unwrap();
        assert_eq!(cache.check(&[1; 32], &[3; 16], 0), Err(ReplayError::Full));
        cache.check(&[1; 32], &[3; 16], 10_000).unwrap();
        assert_eq!(cache.len(), 1);
    }
}
