//! The PostgreSQL storage engine: several relay instances serving the same mailboxes.
//!
//! sled's engine relies on one process with one writer thread. Here every promise is kept
//! by the database instead, so it holds across instances:
//!
//! - **Durable before answered, durable before handed out.** A write is answered after its
//!   transaction commits (the relay's sessions run with `synchronous_commit = on`), and
//!   PostgreSQL makes a transaction visible to other sessions only after its commit record
//!   is flushed, so every fetch, at any instance, reads only durable envelopes.
//! - **Group commit.** Each instance's [`writer`] runs the operations that queued up while
//!   the previous transaction committed in one transaction: concurrent deposits share a
//!   commit, as they share a flush on sled.
//! - **Sequence numbers** come from the mailbox row, updated under its row lock, so they
//!   rise across instances; each start of an instance also counts a boot epoch and numbers
//!   from its range ([`crate::data::seq_floor`]), as on sled.
//! - **Caps** are checked in the statement that updates the row holding the count (the
//!   mailbox row; the one `relay` row for mailbox and bundle totals), under its lock.
//! - **One-time prekeys** are deleted under the bundle row's lock, so each is handed out once.
//! - **Replay window and used challenges** are rows inserted with `ON CONFLICT`: of two
//!   instances accepting the same request, the second waits for the first's commit and
//!   refuses. The challenge secret is one row every instance reads.
//! - **Long-polls** wake through `LISTEN`/`NOTIFY`: a deposit's transaction notifies the
//!   mailbox's bucket ([`crate::layout::notify_bucket`]) on commit; every instance's
//!   listener wakes its fetches waiting on that bucket.
//!
//! Locks are taken in one global order (the `relay` row first, then rows in the order of
//! their keys), so two instances' transactions do not deadlock; a deadlock or serialization
//! failure reported anyway is retried, as is a transaction cut short by a lost connection.
//! A commit whose outcome is unknown (the connection broke during it) is answered as a
//! failure and never retried, so nothing is stored twice.

mod schema;
mod writer;

use crate::admission::UsedChallenge;
use crate::config::Config;
use crate::data::{BundleRow, DataError, MailboxCaps, MailboxRow, StoredMessage};
use crate::error::ApiError;
use crate::layout::{self, Key32};
use crate::metrics::Metrics;
use crate::store::StoreError;
use crate::waiters::Waiters;
use crate::writer::{Op, Outcome};
use corridor_wire::ID_LEN;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::NoTls;
use zeroize::Zeroizing;

pub use writer::PgWriter;

/// The channel notifications travel on.
pub(crate) const CHANNEL: &str = "corridor_mail";

/// A connection string parsed for tokio-postgres with the relay's session settings.
pub(crate) fn pg_config(
    url: &crate::config::DatabaseUrl,
) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url
        .0
        .parse()
        // The parser's message may quote the string: say only that it is invalid.
        .map_err(|_| StoreError::Engine(format!("invalid database_url {}", url.redacted())))?;
    config
        .application_name("corridor-relay")
        .connect_timeout(Duration::from_secs(10))
        // Commits are durable before they are answered or visible, whatever the server's
        // default.
        .options("-c synchronous_commit=on");
    Ok(config)
}

/// A database failure as a [`StoreError`], without the statement or its parameters.
pub(crate) fn engine_error(err: &tokio_postgres::Error) -> StoreError {
    match err.as_db_error() {
        Some(db) => {
            StoreError::Engine(format!("postgres: {} ({})", db.message(), db.code().code()))
        }
        None => StoreError::Engine(format!("postgres: {err}")),
    }
}

fn i64_of(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt)
}

fn u64_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt)
}

fn key32(bytes: &[u8]) -> Result<Key32, StoreError> {
    bytes.try_into().map_err(|_| StoreError::Corrupt)
}

/// The PostgreSQL engine of one relay instance: a pool for reads, the group-commit writer,
/// and the notification listener.
pub struct PgEngine {
    pool: Pool,
    writer: PgWriter,
    listener: tokio::task::JoinHandle<()>,
    challenge_secret: Zeroizing<[u8; 32]>,
    challenge_ttl_secs: u64,
    epoch: u64,
}

impl std::fmt::Debug for PgEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEngine")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl PgEngine {
    /// Connects to `config.database_url`, applies pending migrations, counts one more boot
    /// epoch (committed before anything is served), and starts the writer and the listener.
    pub async fn open(
        config: &Config,
        caps: MailboxCaps,
        waiters: Arc<Waiters>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, StoreError> {
        let url = config
            .database_url
            .as_ref()
            .ok_or_else(|| StoreError::Engine("no database_url configured".into()))?;
        let pg = pg_config(url)?;
        let (mut client, connection) = pg.connect(NoTls).await.map_err(|err| {
            StoreError::Engine(format!(
                "cannot connect to {}: {}",
                url.redacted(),
                engine_error(&err)
            ))
        })?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut fresh_secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(fresh_secret.as_mut())
            .map_err(|_| StoreError::Engine("random generator unavailable".into()))?;
        let opened = migrate_and_boot(&mut client, &fresh_secret).await;
        drop(client);
        driver.abort();
        let (epoch, challenge_secret) = opened?;
        let pool = Pool::builder(Manager::from_config(
            pg.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        ))
        .max_size(config.database_pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .build()
        .map_err(|err| StoreError::Engine(format!("connection pool: {err}")))?;
        let writer = PgWriter::start(
            pg.clone(),
            caps,
            crate::data::seq_floor(epoch),
            config.group_commit_max_batch,
            waiters.clone(),
            metrics,
        );
        let listener = tokio::spawn(writer::listen(pg, waiters));
        Ok(Self {
            pool,
            writer,
            listener,
            challenge_secret,
            challenge_ttl_secs: config.challenge_ttl_secs,
            epoch,
        })
    }

    /// The boot epoch this instance numbers deposits from.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The challenge secret every instance on this database shares.
    pub(crate) fn challenge_secret(&self) -> Zeroizing<[u8; 32]> {
        self.challenge_secret.clone()
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|err| StoreError::Engine(format!("postgres pool: {err}")))
    }

    async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(sql)
            .await
            .map_err(|e| engine_error(&e))?;
        client
            .query_opt(&statement, params)
            .await
            .map_err(|e| engine_error(&e))
    }

    /// Where a deposit id routes: the mailbox key and the stored credential hash.
    pub async fn route(
        &self,
        deposit_id: &[u8; ID_LEN],
    ) -> Result<Option<(Key32, Key32)>, StoreError> {
        let key = layout::route_key(deposit_id);
        let Some(row) = self
            .query_opt(
                "SELECT masked_mailbox, credential_hash FROM routes WHERE key = $1",
                &[&key.as_slice()],
            )
            .await?
        else {
            return Ok(None);
        };
        let masked = key32(row.try_get(0).map_err(|e| engine_error(&e))?)?;
        let credential = key32(row.try_get(1).map_err(|e| engine_error(&e))?)?;
        Ok(Some((
            layout::mask_mailbox(deposit_id, &masked),
            credential,
        )))
    }

    /// The mailbox stored under `key`, if any.
    pub async fn mailbox(&self, key: &Key32) -> Result<Option<MailboxRow>, StoreError> {
        let Some(row) = self
            .query_opt(
                "SELECT auth_key, masked_route, next_seq, count, bytes FROM mailboxes WHERE key = $1",
                &[&key.as_slice()],
            )
            .await?
        else {
            return Ok(None);
        };
        let get_i64 = |i| row.try_get::<_, i64>(i).map_err(|e| engine_error(&e));
        Ok(Some(MailboxRow {
            auth_key: key32(row.try_get(0).map_err(|e| engine_error(&e))?)?,
            masked_route: key32(row.try_get(1).map_err(|e| engine_error(&e))?)?,
            next_seq: u64_of(get_i64(2)?)?,
            count: u64_of(get_i64(3)?)?,
            bytes: u64_of(get_i64(4)?)?,
        }))
    }

    /// The bundle stored for `bundle_id`, if any.
    pub async fn bundle(&self, bundle_id: &[u8; ID_LEN]) -> Result<Option<BundleRow>, StoreError> {
        let key = layout::bundle_key(bundle_id);
        let Some(row) = self
            .query_opt(
                "SELECT auth_key, hour, signed, last_resort FROM bundles WHERE key = $1",
                &[&key.as_slice()],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(BundleRow {
            auth_key: key32(row.try_get(0).map_err(|e| engine_error(&e))?)?,
            hour: u64_of(row.try_get(1).map_err(|e| engine_error(&e))?)?,
            signed: row.try_get(2).map_err(|e| engine_error(&e))?,
            last_resort: row.try_get(3).map_err(|e| engine_error(&e))?,
        }))
    }

    /// Up to `limit` messages of a mailbox from hour `min_hour` on, oldest first. Only
    /// committed (hence durable) rows are visible.
    pub async fn messages(
        &self,
        mailbox: &Key32,
        limit: usize,
        min_hour: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT seq, hour, envelope FROM messages WHERE mailbox = $1 AND hour >= $2 \
                 ORDER BY seq LIMIT $3",
            )
            .await
            .map_err(|e| engine_error(&e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &statement,
                &[&mailbox.as_slice(), &i64_of(min_hour)?, &limit],
            )
            .await
            .map_err(|e| engine_error(&e))?;
        rows.iter()
            .map(|row| {
                Ok(StoredMessage {
                    seq: u64_of(row.try_get(0).map_err(|e| engine_error(&e))?)?,
                    hour: u64_of(row.try_get(1).map_err(|e| engine_error(&e))?)?,
                    envelope: row.try_get(2).map_err(|e| engine_error(&e))?,
                })
            })
            .collect()
    }

    /// Consumes a solved challenge for every instance: the first to insert its row admits;
    /// any later use, at any instance, answers `challenge_used`. Committed before it returns.
    pub async fn consume_challenge(&self, used: UsedChallenge) -> Result<(), ApiError> {
        let key = layout::used_challenge_key(&used.random);
        let hour = i64::try_from(used.issued / 3600).map_err(|_| ApiError::BAD_ADMISSION)?;
        let client = self.client().await.map_err(read_failed)?;
        let inserted = client
            .execute(
                "INSERT INTO used_challenges (key, hour) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key.as_slice(), &hour],
            )
            .await
            .map_err(|e| read_failed(engine_error(&e)))?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(ApiError::CHALLENGE_USED)
        }
    }

    /// Submits a mutation to this instance's group-commit writer; answers once committed.
    pub async fn write(&self, op: Op) -> Result<Outcome, DataError> {
        self.writer.submit(op).await
    }

    /// Deletes messages from hours before `cutoff_hour`, remembered signed requests from
    /// hours before `seen_cutoff_hour`, and used challenges that have expired; returns how
    /// many messages. Each mailbox's messages go in one transaction under its row lock, so
    /// instances sweeping at once count each deletion once.
    pub async fn sweep(
        &self,
        cutoff_hour: u64,
        seen_cutoff_hour: u64,
        now_hour: u64,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let err = |e: tokio_postgres::Error| engine_error(&e);
        client
            .execute(
                "DELETE FROM seen WHERE hour < $1",
                &[&i64_of(seen_cutoff_hour)?],
            )
            .await
            .map_err(err)?;
        // A challenge is valid for `challenge_ttl_secs` after the hour it was issued in.
        let challenge_hours = self.challenge_ttl_secs.div_ceil(3600) + 1;
        client
            .execute(
                "DELETE FROM used_challenges WHERE hour < $1",
                &[&i64_of(now_hour.saturating_sub(challenge_hours))?],
            )
            .await
            .map_err(err)?;
        let cutoff = i64_of(cutoff_hour)?;
        let mut total = 0u64;
        loop {
            let mailboxes: Vec<Vec<u8>> = client
                .query(
                    "SELECT DISTINCT mailbox FROM messages WHERE hour < $1 LIMIT 1000",
                    &[&cutoff],
                )
                .await
                .map_err(err)?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()
                .map_err(err)?;
            if mailboxes.is_empty() {
                return Ok(total);
            }
            for mailbox in mailboxes {
                let tx = client.transaction().await.map_err(err)?;
                tx.execute(
                    "SELECT 1 FROM mailboxes WHERE key = $1 FOR UPDATE",
                    &[&mailbox],
                )
                .await
                .map_err(err)?;
                let row = tx
                    .query_one(
                        "WITH d AS (DELETE FROM messages WHERE mailbox = $1 AND hour < $2 \
                           RETURNING octet_length(envelope) AS len), \
                         u AS (UPDATE mailboxes SET count = count - (SELECT count(*) FROM d), \
                           bytes = bytes - (SELECT COALESCE(sum(len), 0) FROM d) \
                           WHERE key = $1 AND EXISTS (SELECT 1 FROM d)) \
                         SELECT count(*) FROM d",
                        &[&mailbox, &cutoff],
                    )
                    .await
                    .map_err(err)?;
                tx.commit().await.map_err(err)?;
                total += u64_of(row.try_get(0).map_err(err)?)?;
            }
        }
    }

    /// How many rows one kind of sled row corresponds to here (`prefix` as in
    /// [`crate::layout`]), for tests and metrics: the same count sled would show.
    pub async fn count_rows(&self, prefix: u8) -> Result<u64, StoreError> {
        let sql = match prefix {
            layout::MAILBOX => "SELECT count(*) FROM mailboxes",
            layout::ROUTE => "SELECT count(*) FROM routes",
            // The expiry index is an index over the messages themselves.
            layout::MESSAGE | layout::EXPIRY => "SELECT count(*) FROM messages",
            layout::BUNDLE => "SELECT count(*) FROM bundles",
            layout::ONE_TIME => "SELECT count(*) FROM one_time_prekeys",
            layout::BUNDLE_RATE => "SELECT count(*) FROM bundles WHERE rate_count > 0",
            layout::SEEN => "SELECT count(*) FROM seen",
            layout::EPOCH => "SELECT count(*) FROM relay",
            _ => return Ok(0),
        };
        let row = self.query_opt(sql, &[]).await?;
        match row {
            Some(row) => u64_of(row.try_get(0).map_err(|e| engine_error(&e))?),
            None => Ok(0),
        }
    }

    /// Stops the writer after every queued operation is committed, and the listener.
    /// Reads still work (later writes answer `shutting_down`); the pool's connections close
    /// when the engine is dropped.
    pub async fn close(&self) {
        self.writer.stop().await;
        self.listener.abort();
    }
}

fn read_failed(err: StoreError) -> ApiError {
    tracing::error!("database failed: {err}");
    ApiError::INTERNAL
}

/// Applies migrations and counts one more boot; returns the epoch and the shared challenge
/// secret (`fresh` is stored if the database has none yet).
async fn migrate_and_boot(
    client: &mut tokio_postgres::Client,
    fresh: &[u8; 32],
) -> Result<(u64, Zeroizing<[u8; 32]>), StoreError> {
    let err = |e: tokio_postgres::Error| engine_error(&e);
    let fsync: String = client
        .query_one("SHOW fsync", &[])
        .await
        .map_err(err)?
        .try_get(0)
        .map_err(err)?;
    if fsync != "on" {
        tracing::warn!(
            "the PostgreSQL server runs with fsync = {fsync}: a crash of its machine can lose \
             deposits the relay acknowledged"
        );
    }
    let tx = client.transaction().await.map_err(err)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&schema::MIGRATION_LOCK],
    )
    .await
    .map_err(err)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS corridor_schema (version integer PRIMARY KEY)")
        .await
        .map_err(err)?;
    let current: Option<i32> = tx
        .query_one("SELECT max(version) FROM corridor_schema", &[])
        .await
        .map_err(err)?
        .try_get(0)
        .map_err(err)?;
    let current = current.unwrap_or(0);
    let latest = schema::MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > latest {
        return Err(StoreError::Engine(format!(
            "the database schema is version {current}, newer than this relay's {latest}: run \
             the newer relay"
        )));
    }
    for (version, sql) in schema::MIGRATIONS {
        if *version > current {
            tx.batch_execute(sql).await.map_err(err)?;
            tx.execute(
                "INSERT INTO corridor_schema (version) VALUES ($1)",
                &[version],
            )
            .await
            .map_err(err)?;
            tracing::info!("database schema migrated to version {version}");
        }
    }
    tx.execute(
        "INSERT INTO relay (singleton, epoch, mailboxes, bundles, challenge_secret) \
         VALUES (true, 0, 0, 0, $1) ON CONFLICT DO NOTHING",
        &[&fresh.as_slice()],
    )
    .await
    .map_err(err)?;
    let row = tx
        .query_one(
            "UPDATE relay SET epoch = epoch + 1 RETURNING epoch, challenge_secret",
            &[],
        )
        .await
        .map_err(err)?;
    let epoch = u64_of(row.try_get(0).map_err(err)?)?;
    let stored: &[u8] = row.try_get(1).map_err(err)?;
    let secret = Zeroizing::new(key32(stored)?);
    tx.commit().await.map_err(err)?;
    Ok((epoch, secret))
}
