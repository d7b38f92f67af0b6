//! The shared state every handler sees.

use crate::RelayError;
use crate::admission::Admission;
use crate::clock::Clock;
use crate::config::Config;
use crate::data::StoredMessage;
use crate::data::{DataError, MailboxCaps};
use crate::error::ApiError;
use crate::layout::Key32;
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::replay::ReplayCache;
use crate::store::{MemoryStore, Store, StoreError};
use crate::waiters::Waiters;
use crate::writer::{Op, Outcome, Writer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug)]
struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    writer: Writer,
    waiters: Arc<Waiters>,
    replay: ReplayCache,
    admission: Admission,
    metrics: Arc<Metrics>,
    limiter: Limiter,
    long_poll_slots: Arc<tokio::sync::Semaphore>,
    shutdown: watch::Sender<bool>,
}

/// The relay's state: configuration, store, clock, the writer, caches and counters.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    /// State over `store`, reading time from `clock`. Starts the group-commit writer
    /// thread (it stops in [`AppState::close`] or when the last clone is dropped).
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RelayError> {
        config.validate()?;
        let metrics = Arc::new(Metrics::new());
        let waiters = Arc::new(Waiters::default());
        let caps = MailboxCaps {
            max_messages: config.max_messages_per_mailbox,
            max_bytes: config.max_bytes_per_mailbox,
            max_mailboxes: config.max_mailboxes,
            max_bundles: config.max_bundles,
            bundle_one_time_per_hour: config.bundle_one_time_per_hour,
        };
        let writer = Writer::start(
            store.clone(),
            caps,
            config.group_commit_max_batch,
            waiters.clone(),
            metrics.clone(),
        )
        .map_err(|err| match err {
            DataError::Store(err) => RelayError::Store(err),
            other => RelayError::Store(StoreError::Engine(other.to_string())),
        })?;
        let admission = Admission::new(
            config.pow_difficulty,
            config.challenge_ttl_secs,
            &config.operator_tokens.0,
        )
        .map_err(|_| RelayError::Random)?;
        let limiter = Limiter::new(
            config.rate_limit_per_sec,
            config.rate_limit_burst,
            config.max_concurrent_requests,
            Duration::from_secs(config.request_timeout_secs),
        );
        let (shutdown, _) = watch::channel(false);
        // Half the request slots at most may be held by waiting fetches.
        let long_poll_slots = Arc::new(tokio::sync::Semaphore::new(
            (config.max_concurrent_requests / 2).max(1),
        ));
        Ok(Self {
            inner: Arc::new(Inner {
                replay: ReplayCache::new(config.replay_cache_entries),
                config,
                store,
                clock,
                writer,
                waiters,
                admission,
                metrics,
                limiter,
                long_poll_slots,
                shutdown,
            }),
        })
    }

    /// State over a fresh [`MemoryStore`] (for tests).
    pub fn in_memory(config: Config, clock: Arc<dyn Clock>) -> Result<Self, RelayError> {
        Self::new(config, Arc::new(MemoryStore::new()), clock)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Fetches currently registered for a long-poll (for tests and monitoring).
    pub fn waiting_fetches(&self) -> usize {
        self.inner.waiters.fetches()
    }

    pub(crate) fn waiters(&self) -> &Arc<Waiters> {
        &self.inner.waiters
    }

    pub(crate) fn replay(&self) -> &ReplayCache {
        &self.inner.replay
    }

    pub(crate) fn admission(&self) -> &Admission {
        &self.inner.admission
    }

    pub(crate) fn long_poll_slots(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.inner.long_poll_slots
    }

    pub(crate) fn limiter(&self) -> &Limiter {
        &self.inner.limiter
    }

    /// Submits a mutation to the group-commit writer and waits until it is durable.
    pub(crate) async fn write(&self, op: Op) -> Result<Outcome, ApiError> {
        self.inner.writer.submit(op).await.map_err(|err| match err {
            DataError::NoMailbox => ApiError::NO_SUCH_MAILBOX,
            DataError::NoBundle => ApiError::NO_SUCH_BUNDLE,
            DataError::MailboxFull => ApiError::MAILBOX_FULL,
            DataError::Replayed => ApiError::REPLAYED,
            DataError::BundleKeyMismatch => ApiError::BUNDLE_KEY_MISMATCH,
            DataError::RelayFull => ApiError::RELAY_FULL,
            DataError::Stopped => ApiError::SHUTTING_DOWN,
            other => {
                tracing::error!("write failed: {other}");
                ApiError::INTERNAL
            }
        })
    }

    /// The first hour whose messages are still kept.
    ///
    /// Only the hour of arrival is stored, so a message from hour `h` arrived at
    /// `h * 3600` or later, and is kept only while `now < (h + ttl) * 3600`: never past
    /// `message_ttl_hours` after it arrived (and at least an hour less than that). Fetches
    /// apply this with the clock at the moment they read, not at the last sweep.
    pub fn ttl_cutoff_hour(&self) -> u64 {
        (self.inner.clock.hour() + 1).saturating_sub(self.inner.config.message_ttl_hours)
    }

    /// Up to `fetch_batch` messages of `mailbox` that may be handed out now: durable (never
    /// one whose deposit is not yet flushed, which a crash could take back) and within
    /// the TTL at this moment.
    pub(crate) fn fetchable(&self, mailbox: &Key32) -> Result<Vec<StoredMessage>, StoreError> {
        let mut messages = crate::data::messages(
            self.inner.store.as_ref(),
            mailbox,
            self.inner.config.fetch_batch,
            self.ttl_cutoff_hour(),
        )?;
        // Read after the messages: a deposit is marked unflushed before it is applied.
        if let Some(first) = self.inner.writer.unflushed().first(mailbox) {
            messages.retain(|m| m.seq < first);
        }
        Ok(messages)
    }

    /// Remembers an accepted signed request durably (through the writer), so it is
    /// refused even after a restart; answers `replayed` if it was already remembered.
    pub(crate) async fn remember_signed(
        &self,
        target: &Key32,
        nonce: &[u8],
    ) -> Result<(), ApiError> {
        self.write(Op::Seen {
            hour: self.inner.clock.hour(),
            key: crate::layout::seen_key(target, nonce),
        })
        .await
        .map(|_| ())
    }

    /// Deletes every message older than the TTL now; returns how many. The relay also
    /// does this every `sweep_interval_secs`.
    pub async fn sweep(&self) -> Result<u64, ApiError> {
        self.inner.admission.prune(self.inner.clock.now());
        match self
            .write(Op::Expire {
                cutoff_hour: self.ttl_cutoff_hour(),
                // A signed request is fresh for minutes; the previous hour's rows cover it.
                seen_cutoff_hour: self.inner.clock.hour().saturating_sub(1),
            })
            .await?
        {
            Outcome::Expired(n) => Ok(n),
            _ => Err(ApiError::INTERNAL),
        }
    }

    /// Tells long-polling fetches to return now (used when shutting down).
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// A receiver that turns true when shutdown begins.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Stops the writer after flushing everything queued. Later writes answer 503.
    pub async fn close(&self) {
        self.begin_shutdown();
        self.inner.writer.stop().await;
    }
}
