//! The PostgreSQL group-commit writer of one instance, and its notification listener.
//!
//! One task drains a channel of operations; the ones that queued up while the previous
//! transaction committed (at most `max_batch`) run in one transaction, in lock order, and
//! are answered after its commit. A statement that fails for one operation (an id
//! collision) rolls the transaction back and it is run again without that operation; a
//! deadlock, a serialization failure or a lost connection before the commit runs it again
//! (reconnecting, for about half a minute); a commit whose outcome is unknown is answered
//! as a failure and never run again.

use super::{CHANNEL, engine_error};
use crate::data::{DataError, MailboxCaps};
use crate::layout::{self, Key32};
use crate::metrics::Metrics;
use crate::store::StoreError;
use crate::waiters::Waiters;
use crate::writer::{Op, Outcome};
use corridor_wire::api::{HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, Client, NoTls, Statement, Transaction};

/// How many times a batch is tried (with growing pauses, about 30 s in all) before its
/// operations are answered as failed.
const MAX_ATTEMPTS: u32 = 40;

struct Request {
    op: Op,
    reply: oneshot::Sender<Result<Outcome, DataError>>,
}

enum Message {
    Apply(Request),
    Stop(oneshot::Sender<()>),
}

/// A handle to the writer task.
#[derive(Debug, Clone)]
pub struct PgWriter {
    tx: mpsc::Sender<Message>,
}

impl PgWriter {
    pub(crate) fn start(
        pg: tokio_postgres::Config,
        caps: MailboxCaps,
        min_seq: u64,
        max_batch: usize,
        waiters: Arc<Waiters>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(8192);
        let context = Context {
            pg,
            conn: None,
            caps,
            min_seq,
            max_batch: max_batch.max(1),
            waiters,
            metrics,
        };
        tokio::spawn(run(rx, context));
        Self { tx }
    }

    /// Submits `op` and waits until its transaction committed.
    pub async fn submit(&self, op: Op) -> Result<Outcome, DataError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Message::Apply(Request { op, reply }))
            .await
            .map_err(|_| DataError::Stopped)?;
        answer.await.map_err(|_| DataError::Stopped)?
    }

    /// Stops the writer after every operation already queued is committed.
    pub async fn stop(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Stop(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// The prepared statements of one connection.
struct Statements {
    lock_relay: Statement,
    create: Statement,
    lock_mailbox: Statement,
    deposit: Statement,
    ack: Statement,
    destroy: Statement,
    lock_bundle: Statement,
    count_bundle: Statement,
    insert_bundle: Statement,
    update_bundle: Statement,
    delete_prekeys: Statement,
    insert_prekeys: Statement,
    take_prekey: Statement,
    rate: Statement,
    delete_bundle: Statement,
    seen: Statement,
    notify: Statement,
}

impl Statements {
    async fn prepare(client: &Client) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            lock_relay: client.prepare("SELECT 1 FROM relay FOR UPDATE").await?,
            create: client
                .prepare(
                    "WITH c AS (UPDATE relay SET mailboxes = mailboxes + 1 \
                       WHERE mailboxes < $7 RETURNING 1), \
                     m AS (INSERT INTO mailboxes (key, auth_key, masked_route, next_seq, count, bytes) \
                       SELECT $1, $2, $3, 1, 0, 0 FROM c), \
                     r AS (INSERT INTO routes (key, masked_mailbox, credential_hash) \
                       SELECT $4, $5, $6 FROM c) \
                     SELECT count(*) FROM c",
                )
                .await?,
            lock_mailbox: client
                .prepare("SELECT masked_route FROM mailboxes WHERE key = $1 FOR UPDATE")
                .await?,
            deposit: client
                .prepare(
                    "WITH m AS (UPDATE mailboxes SET next_seq = GREATEST(next_seq, $2) + 1, \
                       count = count + 1, bytes = bytes + $3 \
                       WHERE key = $1 AND count < $4 AND bytes + $3 <= $5 \
                       RETURNING next_seq - 1 AS seq), \
                     i AS (INSERT INTO messages (mailbox, seq, hour, envelope) \
                       SELECT $1, seq, $6, $7 FROM m) \
                     SELECT seq FROM m",
                )
                .await?,
            ack: client
                .prepare(
                    "WITH d AS (DELETE FROM messages WHERE mailbox = $1 AND seq = ANY($2) \
                       RETURNING octet_length(envelope) AS len), \
                     u AS (UPDATE mailboxes SET count = count - (SELECT count(*) FROM d), \
                       bytes = bytes - (SELECT COALESCE(sum(len), 0) FROM d) \
                       WHERE key = $1 AND EXISTS (SELECT 1 FROM d)) \
                     SELECT count(*) FROM d",
                )
                .await?,
            destroy: client
                .prepare(
                    "WITH m AS (DELETE FROM mailboxes WHERE key = $1), \
                     r AS (DELETE FROM routes WHERE key = $2), \
                     q AS (DELETE FROM messages WHERE mailbox = $1) \
                     UPDATE relay SET mailboxes = mailboxes - 1",
                )
                .await?,
            lock_bundle: client
                .prepare(
                    "SELECT auth_key, signed, last_resort, rate_hour, rate_count FROM bundles \
                     WHERE key = $1 FOR UPDATE",
                )
                .await?,
            count_bundle: client
                .prepare("UPDATE relay SET bundles = bundles + 1 WHERE bundles < $1 RETURNING 1")
                .await?,
            insert_bundle: client
                .prepare(
                    "INSERT INTO bundles (key, auth_key, hour, signed, last_resort) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .await?,
            update_bundle: client
                .prepare(
                    "UPDATE bundles SET hour = $2, signed = $3, last_resort = $4 WHERE key = $1",
                )
                .await?,
            delete_prekeys: client
                .prepare("DELETE FROM one_time_prekeys WHERE bundle = $1")
                .await?,
            insert_prekeys: client
                .prepare(
                    "INSERT INTO one_time_prekeys (bundle, id, key) \
                     SELECT $1, u.id, u.key FROM unnest($2::bigint[], $3::bytea[]) AS u(id, key)",
                )
                .await?,
            take_prekey: client
                .prepare(
                    "DELETE FROM one_time_prekeys WHERE bundle = $1 AND id = \
                     (SELECT min(id) FROM one_time_prekeys WHERE bundle = $1) RETURNING id, key",
                )
                .await?,
            rate: client
                .prepare("UPDATE bundles SET rate_hour = $2, rate_count = $3 WHERE key = $1")
                .await?,
            delete_bundle: client
                .prepare(
                    "WITH o AS (DELETE FROM one_time_prekeys WHERE bundle = $1), \
                     b AS (DELETE FROM bundles WHERE key = $1) \
                     UPDATE relay SET bundles = bundles - 1",
                )
                .await?,
            seen: client
                .prepare(
                    "INSERT INTO seen (key, hour) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
                     SET hour = EXCLUDED.hour WHERE seen.hour < EXCLUDED.hour - 1 RETURNING 1",
                )
                .await?,
            notify: client.prepare("SELECT pg_notify($1, $2)").await?,
        })
    }
}

struct Conn {
    client: Client,
    driver: tokio::task::JoinHandle<()>,
    st: Statements,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

struct Context {
    pg: tokio_postgres::Config,
    conn: Option<Conn>,
    caps: MailboxCaps,
    min_seq: u64,
    max_batch: usize,
    waiters: Arc<Waiters>,
    metrics: Arc<Metrics>,
}

/// Why a transaction did not commit.
enum Failure {
    /// A statement of the operation at this position failed; the others may be run again.
    Op(usize, tokio_postgres::Error),
    /// A statement for the whole batch failed.
    Batch(tokio_postgres::Error),
    /// Deadlock or serialization failure: run it again.
    Retry,
    /// The connection broke before the commit: reconnect and run it again.
    Connection(tokio_postgres::Error),
    /// The connection broke during the commit: it may or may not have committed.
    CommitUnknown(tokio_postgres::Error),
}

fn classify(at: Option<usize>, err: tokio_postgres::Error) -> Failure {
    match err.code() {
        None => Failure::Connection(err),
        Some(code)
            if *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::T_R_SERIALIZATION_FAILURE =>
        {
            Failure::Retry
        }
        Some(code) if code.code().starts_with("08") || code.code().starts_with("57P") => {
            // Connection exceptions, administrator shutdown, crash shutdown.
            Failure::Connection(err)
        }
        Some(_) => match at {
            Some(position) => Failure::Op(position, err),
            None => Failure::Batch(err),
        },
    }
}

fn op_error(err: &tokio_postgres::Error) -> DataError {
    if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        DataError::Exists
    } else {
        DataError::Store(engine_error(err))
    }
}

/// The rows an operation locks: `(domain, key)`, sorted; the `relay` row (domain 0) is
/// locked at the start of any transaction holding an operation that changes a total.
fn lock_order(op: &Op) -> (u8, Key32) {
    match op {
        Op::Create { .. } => (0, [0; 32]),
        Op::Destroy { read_id } => (1, layout::mailbox_key(read_id)),
        Op::Deposit { mailbox, .. } | Op::Ack { mailbox, .. } => (1, *mailbox),
        Op::PublishBundle { bundle_id, .. }
        | Op::TakeBundle { bundle_id, .. }
        | Op::DeleteBundle { bundle_id } => (2, layout::bundle_key(bundle_id)),
        Op::Seen { key, .. } => (3, *key),
        Op::Expire { .. } => (4, [0; 32]),
    }
}

fn changes_totals(op: &Op) -> bool {
    matches!(
        op,
        Op::Create { .. } | Op::Destroy { .. } | Op::PublishBundle { .. } | Op::DeleteBundle { .. }
    )
}

/// The mailbox whose long-polls an applied operation should wake.
fn wakes(op: &Op) -> Option<Key32> {
    match op {
        Op::Deposit { mailbox, .. } => Some(*mailbox),
        Op::Destroy { read_id } => Some(layout::mailbox_key(read_id)),
        _ => None,
    }
}

fn i64_of(value: u64) -> Result<i64, DataError> {
    i64::try_from(value).map_err(|_| DataError::Store(StoreError::Corrupt))
}

async fn run(mut rx: mpsc::Receiver<Message>, mut context: Context) {
    let mut stop = None;
    while stop.is_none() {
        let Some(first) = rx.recv().await else {
            break;
        };
        let mut batch = Vec::with_capacity(context.max_batch);
        match first {
            Message::Apply(request) => batch.push(request),
            Message::Stop(done) => stop = Some(done),
        }
        while stop.is_none() && batch.len() < context.max_batch {
            match rx.try_recv() {
                Ok(Message::Apply(request)) => batch.push(request),
                Ok(Message::Stop(done)) => stop = Some(done),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let started = Instant::now();
        let ops: Vec<&Op> = batch.iter().map(|r| &r.op).collect();
        let results = context.execute(&ops).await;
        context.metrics.record_flush(batch.len(), started.elapsed());
        for (request, result) in batch.into_iter().zip(results) {
            if result.is_ok() {
                if let Some(mailbox) = wakes(&request.op) {
                    context.waiters.wake(&mailbox);
                }
            }
            // The requester may have gone away (timeout); its write stands.
            let _ = request.reply.send(result);
        }
    }
    rx.close();
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

impl Context {
    async fn connection(&mut self) -> Result<&mut Conn, tokio_postgres::Error> {
        if let Some(conn) = self.conn.take() {
            if !conn.client.is_closed() {
                return Ok(self.conn.insert(conn));
            }
        }
        let (client, connection) = self.pg.connect(NoTls).await?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let st = match Statements::prepare(&client).await {
            Ok(st) => st,
            Err(err) => {
                driver.abort();
                return Err(err);
            }
        };
        Ok(self.conn.insert(Conn { client, driver, st }))
    }

    /// Runs `ops` in one transaction (again if needed); one result per operation, in order.
    async fn execute(&mut self, ops: &[&Op]) -> Vec<Result<Outcome, DataError>> {
        let mut order: Vec<usize> = (0..ops.len()).collect();
        order.sort_by_key(|i| lock_order(ops[*i]));
        let mut results: Vec<Option<Result<Outcome, DataError>>> =
            (0..ops.len()).map(|_| None).collect();
        for (i, op) in ops.iter().enumerate() {
            if matches!(op, Op::Expire { .. }) {
                // The sweep runs outside the writer on PostgreSQL (PgEngine::sweep).
                results[i] = Some(Err(DataError::Store(StoreError::Engine(
                    "expiry is not a writer operation on postgres".into(),
                ))));
            }
        }
        let mut attempts = 0;
        loop {
            let live: Vec<usize> = order
                .iter()
                .copied()
                .filter(|i| results[*i].is_none())
                .collect();
            if live.is_empty() {
                break;
            }
            if attempts >= MAX_ATTEMPTS {
                tracing::error!("database unavailable: {} writes failed", live.len());
                for i in live {
                    results[i] = Some(Err(DataError::Store(StoreError::Engine(
                        "database unavailable".into(),
                    ))));
                }
                break;
            }
            if attempts > 0 {
                let pause = Duration::from_millis(50 * u64::from(attempts.min(20)));
                tokio::time::sleep(pause).await;
            }
            attempts += 1;
            let (caps, min_seq) = (self.caps, self.min_seq);
            let conn = match self.connection().await {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::warn!("cannot reach the database: {}", engine_error(&err));
                    continue;
                }
            };
            let batch: Vec<&Op> = live.iter().map(|i| ops[*i]).collect();
            match transaction(conn, &batch, caps, min_seq).await {
                Ok(outcomes) => {
                    for (i, outcome) in live.iter().zip(outcomes) {
                        results[*i] = Some(outcome);
                    }
                    break;
                }
                Err(Failure::Op(position, err)) => {
                    if let Some(i) = live.get(position) {
                        results[*i] = Some(Err(op_error(&err)));
                    }
                }
                Err(Failure::Batch(err)) => {
                    tracing::error!("write transaction failed: {}", engine_error(&err));
                    for i in live {
                        results[i] = Some(Err(DataError::Store(engine_error(&err))));
                    }
                    break;
                }
                Err(Failure::Retry) => {}
                Err(Failure::Connection(err)) => {
                    tracing::warn!("database connection lost: {}", engine_error(&err));
                    self.conn = None;
                }
                Err(Failure::CommitUnknown(err)) => {
                    tracing::error!(
                        "database connection lost during a commit ({}): {} writes answered as \
                         failed, whether or not they committed",
                        engine_error(&err),
                        live.len()
                    );
                    self.conn = None;
                    for i in live {
                        results[i] = Some(Err(DataError::Store(StoreError::Engine(
                            "commit outcome unknown".into(),
                        ))));
                    }
                    break;
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(DataError::Store(StoreError::Engine("not run".into()))))
            })
            .collect()
    }
}

async fn transaction(
    conn: &mut Conn,
    ops: &[&Op],
    caps: MailboxCaps,
    min_seq: u64,
) -> Result<Vec<Result<Outcome, DataError>>, Failure> {
    let st = &conn.st;
    let tx = conn
        .client
        .transaction()
        .await
        .map_err(|e| classify(None, e))?;
    if ops.iter().any(|op| changes_totals(op)) {
        tx.execute(&st.lock_relay, &[])
            .await
            .map_err(|e| classify(None, e))?;
    }
    let mut outcomes = Vec::with_capacity(ops.len());
    let mut buckets = BTreeSet::new();
    for (position, op) in ops.iter().enumerate() {
        let outcome = apply(&tx, st, op, caps, min_seq)
            .await
            .map_err(|e| classify(Some(position), e))?;
        if outcome.is_ok() {
            if let Some(mailbox) = wakes(op) {
                buckets.insert(layout::notify_bucket(&mailbox));
            }
        }
        outcomes.push(outcome);
    }
    for bucket in buckets {
        tx.execute(&st.notify, &[&CHANNEL, &format!("{bucket:04x}")])
            .await
            .map_err(|e| classify(None, e))?;
    }
    tx.commit().await.map_err(|err| match classify(None, err) {
        Failure::Connection(err) => Failure::CommitUnknown(err),
        // The server answered: it did not commit.
        Failure::Batch(_) => Failure::Retry,
        other => other,
    })?;
    Ok(outcomes)
}

/// One operation's statements. `Err` is a database failure (the transaction is lost);
/// `Ok(Err(..))` an operation that does not apply (nothing was written for it).
async fn apply(
    tx: &Transaction<'_>,
    st: &Statements,
    op: &Op,
    caps: MailboxCaps,
    min_seq: u64,
) -> Result<Result<Outcome, DataError>, tokio_postgres::Error> {
    let checked = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    Ok(match op {
        Op::Create {
            read_id,
            deposit_id,
            credential_hash,
            auth_key,
        } => {
            let mailbox = layout::mailbox_key(read_id);
            let route = layout::route_key(deposit_id);
            let row = tx
                .query_one(
                    &st.create,
                    &[
                        &mailbox.as_slice(),
                        &auth_key.as_slice(),
                        &layout::mask_route(read_id, &route).as_slice(),
                        &route.as_slice(),
                        &layout::mask_mailbox(deposit_id, &mailbox).as_slice(),
                        &credential_hash.as_slice(),
                        &checked(caps.max_mailboxes),
                    ],
                )
                .await?;
            if row.try_get::<_, i64>(0)? == 0 {
                Err(DataError::RelayFull)
            } else {
                Ok(Outcome::Done)
            }
        }
        Op::Deposit {
            mailbox,
            hour,
            envelope,
        } => {
            if tx
                .query_opt(&st.lock_mailbox, &[&mailbox.as_slice()])
                .await?
                .is_none()
            {
                return Ok(Err(DataError::NoMailbox));
            }
            let (hour, size) = match (i64_of(*hour), i64_of(envelope.len() as u64)) {
                (Ok(hour), Ok(size)) => (hour, size),
                (Err(err), _) | (_, Err(err)) => return Ok(Err(err)),
            };
            let row = tx
                .query_opt(
                    &st.deposit,
                    &[
                        &mailbox.as_slice(),
                        &checked(min_seq),
                        &size,
                        &checked(caps.max_messages),
                        &checked(caps.max_bytes),
                        &hour,
                        envelope,
                    ],
                )
                .await?;
            match row {
                Some(row) => match u64::try_from(row.try_get::<_, i64>(0)?) {
                    Ok(seq) => Ok(Outcome::Deposited(seq)),
                    Err(_) => Err(DataError::Store(StoreError::Corrupt)),
                },
                None => Err(DataError::MailboxFull),
            }
        }
        Op::Ack { mailbox, seqs } => {
            if tx
                .query_opt(&st.lock_mailbox, &[&mailbox.as_slice()])
                .await?
                .is_none()
            {
                return Ok(Err(DataError::NoMailbox));
            }
            // A number above i64::MAX was never given.
            let seqs: Vec<i64> = seqs.iter().filter_map(|s| i64::try_from(*s).ok()).collect();
            let row = tx.query_one(&st.ack, &[&mailbox.as_slice(), &seqs]).await?;
            let deleted = row.try_get::<_, i64>(0)?;
            Ok(Outcome::Acked(u32::try_from(deleted).unwrap_or(u32::MAX)))
        }
        Op::Destroy { read_id } => {
            let mailbox = layout::mailbox_key(read_id);
            let Some(row) = tx
                .query_opt(&st.lock_mailbox, &[&mailbox.as_slice()])
                .await?
            else {
                return Ok(Err(DataError::NoMailbox));
            };
            let masked: &[u8] = row.try_get(0)?;
            let Ok(masked) = Key32::try_from(masked) else {
                return Ok(Err(DataError::Store(StoreError::Corrupt)));
            };
            let route = layout::mask_route(read_id, &masked);
            tx.execute(&st.destroy, &[&mailbox.as_slice(), &route.as_slice()])
                .await?;
            Ok(Outcome::Done)
        }
        Op::PublishBundle {
            bundle_id,
            auth_key,
            bundle,
            hour,
        } => {
            let key = layout::bundle_key(bundle_id);
            let hour = checked(*hour);
            match tx.query_opt(&st.lock_bundle, &[&key.as_slice()]).await? {
                Some(row) => {
                    let existing: &[u8] = row.try_get(0)?;
                    if existing != auth_key.as_slice() {
                        return Ok(Err(DataError::BundleKeyMismatch));
                    }
                    tx.execute(
                        &st.update_bundle,
                        &[
                            &key.as_slice(),
                            &hour,
                            &bundle.signed.0,
                            &bundle.last_resort.0,
                        ],
                    )
                    .await?;
                }
                None => {
                    if tx
                        .query_opt(&st.count_bundle, &[&checked(caps.max_bundles)])
                        .await?
                        .is_none()
                    {
                        return Ok(Err(DataError::RelayFull));
                    }
                    tx.execute(
                        &st.insert_bundle,
                        &[
                            &key.as_slice(),
                            &auth_key.as_slice(),
                            &hour,
                            &bundle.signed.0,
                            &bundle.last_resort.0,
                        ],
                    )
                    .await?;
                }
            }
            tx.execute(&st.delete_prekeys, &[&key.as_slice()]).await?;
            // The last of equal ids wins, as on sled.
            let unique: BTreeMap<u32, &Vec<u8>> =
                bundle.one_time.iter().map(|p| (p.id, &p.key.0)).collect();
            if !unique.is_empty() {
                let ids: Vec<i64> = unique.keys().map(|id| i64::from(*id)).collect();
                let keys: Vec<&[u8]> = unique.values().map(|k| k.as_slice()).collect();
                tx.execute(&st.insert_prekeys, &[&key.as_slice(), &ids, &keys])
                    .await?;
            }
            Ok(Outcome::Published(
                u32::try_from(unique.len()).unwrap_or(u32::MAX),
            ))
        }
        Op::TakeBundle { bundle_id, hour } => {
            let key = layout::bundle_key(bundle_id);
            let Some(row) = tx.query_opt(&st.lock_bundle, &[&key.as_slice()]).await? else {
                return Ok(Err(DataError::NoBundle));
            };
            let signed: Vec<u8> = row.try_get(1)?;
            let last_resort: Vec<u8> = row.try_get(2)?;
            let rate_hour: i64 = row.try_get(3)?;
            let rate_count: i64 = row.try_get(4)?;
            let hour = checked(*hour);
            let handed = if rate_hour == hour { rate_count } else { 0 };
            let mut prekey = HandedPrekey::LastResort {
                key: Blob(last_resort),
            };
            if handed < i64::from(caps.bundle_one_time_per_hour) {
                if let Some(taken) = tx.query_opt(&st.take_prekey, &[&key.as_slice()]).await? {
                    let id: i64 = taken.try_get(0)?;
                    let value: Vec<u8> = taken.try_get(1)?;
                    tx.execute(&st.rate, &[&key.as_slice(), &hour, &(handed + 1)])
                        .await?;
                    let Ok(id) = u32::try_from(id) else {
                        return Ok(Err(DataError::Store(StoreError::Corrupt)));
                    };
                    prekey = HandedPrekey::OneTime(OneTimePrekey {
                        id,
                        key: Blob(value),
                    });
                }
            }
            Ok(Outcome::Taken(signed, prekey))
        }
        Op::DeleteBundle { bundle_id } => {
            let key = layout::bundle_key(bundle_id);
            if tx
                .query_opt(&st.lock_bundle, &[&key.as_slice()])
                .await?
                .is_none()
            {
                return Ok(Err(DataError::NoBundle));
            }
            tx.execute(&st.delete_bundle, &[&key.as_slice()]).await?;
            Ok(Outcome::Done)
        }
        Op::Seen { hour, key } => {
            if tx
                .query_opt(&st.seen, &[&key.as_slice(), &checked(*hour)])
                .await?
                .is_some()
            {
                Ok(Outcome::Done)
            } else {
                Err(DataError::Replayed)
            }
        }
        Op::Expire { .. } => Err(DataError::Store(StoreError::Engine(
            "expiry is not a writer operation on postgres".into(),
        ))),
    })
}

/// Listens for deposits committed by any instance and wakes the fetches waiting here on
/// the notified bucket. After (re)connecting it wakes every waiting fetch, since
/// notifications sent while it was not listening are lost. Runs until aborted.
pub(crate) async fn listen(pg: tokio_postgres::Config, waiters: Arc<Waiters>) {
    loop {
        if let Ok((client, mut connection)) = pg.connect(NoTls).await {
            let (tx, mut rx) = mpsc::unbounded_channel::<Option<u16>>();
            let driver = tokio::spawn(async move {
                while let Some(message) =
                    std::future::poll_fn(|cx| connection.poll_message(cx)).await
                {
                    match message {
                        Ok(AsyncMessage::Notification(n)) => {
                            if tx.send(u16::from_str_radix(n.payload(), 16).ok()).is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .is_ok()
            {
                waiters.wake_all();
                while let Some(bucket) = rx.recv().await {
                    match bucket {
                        Some(bucket) => {
                            waiters.wake_where(|key| layout::notify_bucket(key) == bucket)
                        }
                        None => waiters.wake_all(),
                    }
                }
            }
            driver.abort();
            waiters.wake_all();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
