//! The shared state every handler sees.

use crate::RelayError;
use crate::admission::Admission;
use crate::clock::Clock;
use crate::config::Config;
use crate::data::{BundleRow, DataError, MailboxCaps, MailboxRow, StoredMessage};
use crate::error::ApiError;
use crate::layout::Key32;
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::postgres::PgEngine;
use crate::replay::ReplayCache;
use crate::store::{MemoryStore, Store, StoreError};
use crate::waiters::Waiters;
use crate::writer::{Op, Outcome, Writer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where the data lives: one process's store with its writer thread, or a PostgreSQL
/// database that several instances share.
#[derive(Debug)]
enum Engine {
    Local {
        store: Arc<dyn Store>,
        writer: Writer,
    },
    Postgres(PgEngine),
}

#[derive(Debug)]
struct Inner {
    config: Config,
    engine: Engine,
    clock: Arc<dyn Clock>,
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
        let caps = caps(&config);
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
        Ok(Self::assemble(
            config,
            Engine::Local { store, writer },
            clock,
            waiters,
            admission,
            metrics,
        ))
    }

    /// State over the PostgreSQL database at `config.database_url`: connects, applies
    /// pending schema migrations, counts a boot epoch and starts this instance's writer and
    /// notification listener ([`crate::postgres`]). Any number of instances may share one
    /// database.
    pub async fn postgres(config: Config, clock: Arc<dyn Clock>) -> Result<Self, RelayError> {
        config.validate()?;
        let metrics = Arc::new(Metrics::new());
        let waiters = Arc::new(Waiters::default());
        let engine =
            PgEngine::open(&config, caps(&config), waiters.clone(), metrics.clone()).await?;
        let admission = Admission::with_secret(
            engine.challenge_secret(),
            config.pow_difficulty,
            config.challenge_ttl_secs,
            &config.operator_tokens.0,
        );
        Ok(Self::assemble(
            config,
            Engine::Postgres(engine),
            clock,
            waiters,
            admission,
            metrics,
        ))
    }

    fn assemble(
        config: Config,
        engine: Engine,
        clock: Arc<dyn Clock>,
        waiters: Arc<Waiters>,
        admission: Admission,
        metrics: Arc<Metrics>,
    ) -> Self {
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
        Self {
            inner: Arc::new(Inner {
                replay: ReplayCache::new(config.replay_cache_entries),
                config,
                engine,
                clock,
                waiters,
                admission,
                metrics,
                limiter,
                long_poll_slots,
                shutdown,
            }),
        }
    }

    /// State over a fresh [`MemoryStore`] (for tests).
    pub fn in_memory(config: Config, clock: Arc<dyn Clock>) -> Result<Self, RelayError> {
        Self::new(config, Arc::new(MemoryStore::new()), clock)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store, when the data lives in this process (sled or memory); `None` on
    /// PostgreSQL.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        match &self.inner.engine {
            Engine::Local { store, .. } => Some(store),
            Engine::Postgres(_) => None,
        }
    }

    /// The storage engine in use.
    pub fn storage(&self) -> crate::config::Storage {
        match &self.inner.engine {
            Engine::Local { .. } => crate::config::Storage::Sled,
            Engine::Postgres(_) => crate::config::Storage::Postgres,
        }
    }

    /// How many rows of one kind are stored (`prefix` as in [`crate::layout`]; on
    /// PostgreSQL the rows of the table that holds them), for tests and monitoring.
    pub async fn count_rows(&self, prefix: u8) -> Result<u64, StoreError> {
        match &self.inner.engine {
            Engine::Local { store, .. } => store.count_prefix(&[prefix]),
            Engine::Postgres(pg) => pg.count_rows(prefix).await,
        }
    }

    /// Where a deposit id routes: the mailbox key and the stored credential hash.
    pub(crate) async fn route(
        &self,
        deposit_id: &[u8; corridor_wire::ID_LEN],
    ) -> Result<Option<(Key32, Key32)>, StoreError> {
        match &self.inner.engine {
            Engine::Local { store, .. } => crate::data::route(store.as_ref(), deposit_id),
            Engine::Postgres(pg) => pg.route(deposit_id).await,
        }
    }

    /// The mailbox stored under `key`, if any.
    pub(crate) async fn mailbox(&self, key: &Key32) -> Result<Option<MailboxRow>, StoreError> {
        match &self.inner.engine {
            Engine::Local { store, .. } => crate::data::mailbox(store.as_ref(), key),
            Engine::Postgres(pg) => pg.mailbox(key).await,
        }
    }

    /// The bundle stored for `bundle_id`, if any.
    pub(crate) async fn bundle(
        &self,
        bundle_id: &[u8; corridor_wire::ID_LEN],
    ) -> Result<Option<BundleRow>, StoreError> {
        match &self.inner.engine {
            Engine::Local { store, .. } => crate::data::bundle(store.as_ref(), bundle_id),
            Engine::Postgres(pg) => pg.bundle(bundle_id).await,
        }
    }

    /// Admits a mailbox creation: an operator token, or a solved challenge consumed once
    /// (in this process on sled; for every instance on PostgreSQL).
    pub(crate) async fn admit(
        &self,
        admission: &corridor_wire::api::Admission,
    ) -> Result<(), ApiError> {
        let now = self.inner.clock.now();
        match &self.inner.engine {
            Engine::Local { .. } => self.inner.admission.admit(admission, now),
            Engine::Postgres(pg) => match self.inner.admission.check(admission, now)? {
                crate::admission::Checked::Token => Ok(()),
                crate::admission::Checked::Pow(used) => pg.consume_challenge(used).await,
            },
        }
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
        let result = match &self.inner.engine {
            Engine::Local { writer, .. } => writer.submit(op).await,
            Engine::Postgres(pg) => pg.write(op).await,
        };
        result.map_err(|err| match err {
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
    ///
    /// On PostgreSQL every visible row is committed, and so durable.
    pub(crate) async fn fetchable(
        &self,
        mailbox: &Key32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let (limit, cutoff) = (self.inner.config.fetch_batch, self.ttl_cutoff_hour());
        match &self.inner.engine {
            Engine::Local { store, writer } => {
                let mut messages = crate::data::messages(store.as_ref(), mailbox, limit, cutoff)?;
                // Read after the messages: a deposit is marked unflushed before it is applied.
                if let Some(first) = writer.unflushed().first(mailbox) {
                    messages.retain(|m| m.seq < first);
                }
                Ok(messages)
            }
            Engine::Postgres(pg) => pg.messages(mailbox, limit, cutoff).await,
        }
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
        if let Engine::Postgres(pg) = &self.inner.engine {
            let hour = self.inner.clock.hour();
            return pg
                .sweep(self.ttl_cutoff_hour(), hour.saturating_sub(1), hour)
                .await
                .map_err(|err| {
                    tracing::warn!("expiry sweep failed: {err}");
                    ApiError::INTERNAL
                });
        }
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
        match &self.inner.engine {
            Engine::Local { writer, .. } => writer.stop().await,
            Engine::Postgres(pg) => pg.close().await,
        }
    }
}

fn caps(config: &Config) -> MailboxCaps {
    MailboxCaps {
        max_messages: config.max_messages_per_mailbox,
        max_bytes: config.max_bytes_per_mailbox,
        max_mailboxes: config.max_mailboxes,
        max_bundles: config.max_bundles,
        bundle_one_time_per_hour: config.bundle_one_time_per_hour,
    }
}
