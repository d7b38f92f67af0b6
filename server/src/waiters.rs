//! Wakes long-polling fetches when a deposit lands. In memory only: one `Notify` per
//! mailbox that currently has a waiting fetch, removed when the last waiter leaves.

use crate::layout::Key32;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The registry of mailboxes with waiting fetches.
#[derive(Debug, Default)]
pub struct Waiters {
    map: Mutex<HashMap<Key32, Arc<Notify>>>,
}

/// A registration; dropping it forgets the mailbox if no one else waits on it.
#[derive(Debug)]
pub struct Waiting {
    waiters: Arc<Waiters>,
    key: Key32,
    notify: Arc<Notify>,
}

impl Waiting {
    /// How many registrations (this one included) wait on this mailbox.
    pub fn count(&self) -> usize {
        // One reference is the map's, when the registry holds it.
        Arc::strong_count(&self.notify).saturating_sub(1).max(1)
    }

    /// The notifier to wait on.
    pub fn notify(&self) -> &Notify {
        &self.notify
    }
}

impl Waiters {
    /// Registers interest in `key`.
    pub fn subscribe(self: &Arc<Self>, key: Key32) -> Waiting {
        let notify = match self.map.lock() {
            Ok(mut map) => map.entry(key).or_default().clone(),
            // A poisoned lock only loses the wake-up; the fetch still ends at its deadline.
            Err(_) => Arc::new(Notify::new()),
        };
        Waiting {
            waiters: self.clone(),
            key,
            notify,
        }
    }

    /// Wakes every fetch waiting on `key`.
    pub fn wake(&self, key: &Key32) {
        if let Ok(map) = self.map.lock() {
            if let Some(notify) = map.get(key) {
                notify.notify_waiters();
            }
        }
    }

    /// Wakes every fetch waiting on a mailbox for which `matches` is true (the PostgreSQL
    /// engine's notifications name only a bucket of mailboxes, see
    /// [`crate::layout::notify_bucket`]).
    pub fn wake_where(&self, matches: impl Fn(&Key32) -> bool) {
        if let Ok(map) = self.map.lock() {
            for (key, notify) in map.iter() {
                if matches(key) {
                    notify.notify_waiters();
                }
            }
        }
    }

    /// Wakes every waiting fetch (each re-reads its mailbox; used when notifications may
    /// have been missed).
    pub fn wake_all(&self) {
        self.wake_where(|_| true);
    }

    /// Number of fetches registered, over all mailboxes.
    pub fn fetches(&self) -> usize {
        self.map
            .lock()
            .map(|m| {
                m.values()
                    .map(|n| Arc::strong_count(n).saturating_sub(1))
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Number of mailboxes with waiting fetches.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when no fetch waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Ok(mut map) = self.waiters.map.lock() {
            // The map's reference plus ours: nobody else waits.
            if Arc::strong_count(&self.notify) <= 2 {
                map.remove(&self.key);
            }
        }
    }
}
