//! The group-commit writer: the only code that mutates the store.
//!
//! One thread drains a channel of pending operations, applies up to `max_batch` of them
//! (each as one atomic store batch), calls the store's blocking `flush()` once for all of
//! them, and only then answers each. A deposit is therefore never acknowledged before it
//! is on disk, and concurrent deposits share one fsync. With `max_batch = 1` this is the
//! one-flush-per-deposit baseline the benchmark compares against.
//!
//! Reads run outside the writer, so they can see a write that is applied but not yet
//! flushed. A fetch must not hand out such an envelope: a crash would take it back.
//! [`Unflushed`] tells readers, per mailbox, the first sequence number not yet durable; the
//! writer records it before applying a deposit and clears it after the flush.
//!
//! Each start of the writer counts one more boot epoch in the store ([`data::next_epoch`])
//! and numbers deposits from that epoch's range ([`data::seq_floor`]), so no sequence
//! number is given twice, not even one that a crash took back before anyone saw it.
//!
//! sled's `flush_async` is not used: it is known to hang under concurrent callers (sled
//! issue #1241).

use crate::data::{self, DataError, MailboxCaps};
use crate::layout::Key32;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::waiters::Waiters;
use corridor_wire::ID_LEN;
use corridor_wire::api::{Bundle, HandedPrekey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// A mutation for the writer.
#[derive(Debug)]
pub enum Op {
    /// Create a mailbox and its route.
    Create {
        /// Read id.
        read_id: [u8; ID_LEN],
        /// Deposit id.
        deposit_id: [u8; ID_LEN],
        /// Hash of the deposit credential.
        credential_hash: Key32,
        /// The mailbox's auth key.
        auth_key: [u8; 32],
    },
    /// Append an envelope.
    Deposit {
        /// The mailbox key.
        mailbox: Key32,
        /// Hour of arrival.
        hour: u64,
        /// The envelope.
        envelope: Vec<u8>,
    },
    /// Delete messages.
    Ack {
        /// The mailbox key.
        mailbox: Key32,
        /// Sequence numbers.
        seqs: Vec<u64>,
    },
    /// Delete a mailbox.
    Destroy {
        /// Read id.
        read_id: [u8; ID_LEN],
    },
    /// Publish or replace a bundle.
    PublishBundle {
        /// Bundle id.
        bundle_id: [u8; ID_LEN],
        /// Its auth key.
        auth_key: [u8; 32],
        /// The bundle.
        bundle: Bundle,
        /// Hour of publication.
        hour: u64,
    },
    /// Hand out a bundle with one prekey.
    TakeBundle {
        /// Bundle id.
        bundle_id: [u8; ID_LEN],
        /// Hour of the fetch (for the per-bundle rate).
        hour: u64,
    },
    /// Remember an accepted signed request (the persisted replay window).
    Seen {
        /// Hour of acceptance.
        hour: u64,
        /// [`crate::layout::seen_key`] of the request.
        key: Key32,
    },
    /// Delete a bundle.
    DeleteBundle {
        /// Bundle id.
        bundle_id: [u8; ID_LEN],
    },
    /// Delete messages from hours before `cutoff_hour`, and remembered signed requests
    /// from hours before `seen_cutoff_hour`.
    Expire {
        /// First hour whose messages are kept.
        cutoff_hour: u64,
        /// First hour whose remembered signed requests are kept.
        seen_cutoff_hour: u64,
    },
}

/// What an applied operation produced.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing to report.
    Done,
    /// The deposit's sequence number.
    Deposited(u64),
    /// Messages deleted by an ack.
    Acked(u32),
    /// One-time prekeys available after a publish.
    Published(u32),
    /// A handed-out bundle.
    Taken(Vec<u8>, HandedPrekey),
    /// Messages deleted by expiry.
    Expired(u64),
}

struct Request {
    op: Op,
    reply: oneshot::Sender<Result<Outcome, DataError>>,
}

enum Message {
    Apply(Request),
    Stop(oneshot::Sender<()>),
}

/// Per mailbox, the first sequence number that may be applied but not yet flushed.
/// Readers hand out only messages below it.
#[derive(Debug, Default)]
pub struct Unflushed {
    map: Mutex<HashMap<Key32, u64>>,
}

impl Unflushed {
    /// The first sequence number of `mailbox` that may not be durable yet, if any.
    /// Call it after reading the messages: a deposit is recorded here before it is applied.
    pub fn first(&self, mailbox: &Key32) -> Option<u64> {
        match self.map.lock() {
            Ok(map) => map.get(mailbox).copied(),
            // Unknown: treat everything as not durable; the next fetch will see it.
            Err(_) => Some(0),
        }
    }

    fn note(&self, mailbox: Key32, seq: u64) {
        if let Ok(mut map) = self.map.lock() {
            map.entry(mailbox).or_insert(seq);
        }
    }

    fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

/// A handle to the writer thread.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Message>,
    unflushed: Arc<Unflushed>,
}

/// Most expired messages deleted in one store batch.
const EXPIRE_CHUNK: usize = 10_000;

impl Writer {
    /// Counts a new boot epoch in `store` (durably) and starts the writer thread over it.
    pub fn start(
        store: Arc<dyn Store>,
        caps: MailboxCaps,
        max_batch: usize,
        waiters: Arc<Waiters>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, DataError> {
        let epoch = data::next_epoch(store.as_ref())?;
        store.flush()?;
        let (tx, rx) = mpsc::channel(8192);
        let unflushed = Arc::new(Unflushed::default());
        let context = Context {
            store,
            caps,
            max_batch: max_batch.max(1),
            min_seq: data::seq_floor(epoch),
            unflushed: unflushed.clone(),
            waiters,
            metrics,
        };
        std::thread::Builder::new()
            .name("corridor-writer".into())
            .spawn(move || run(rx, context))
            .map_err(|err| crate::store::StoreError::Engine(err.to_string()))?;
        Ok(Self { tx, unflushed })
    }

    /// What readers consult to hand out only durable messages.
    pub fn unflushed(&self) -> &Unflushed {
        &self.unflushed
    }

    /// Submits `op` and waits until it is applied and flushed.
    pub async fn submit(&self, op: Op) -> Result<Outcome, DataError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Message::Apply(Request { op, reply }))
            .await
            .map_err(|_| DataError::Stopped)?;
        answer.await.map_err(|_| DataError::Stopped)?
    }

    /// Stops the writer after every operation already queued is applied and flushed.
    pub async fn stop(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Stop(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// How many mailboxes and bundles exist; only the writer changes them.
#[derive(Debug, Clone, Copy)]
struct Totals {
    mailboxes: u64,
    bundles: u64,
}

struct Context {
    store: Arc<dyn Store>,
    caps: MailboxCaps,
    max_batch: usize,
    min_seq: u64,
    unflushed: Arc<Unflushed>,
    waiters: Arc<Waiters>,
    metrics: Arc<Metrics>,
}

fn apply(context: &Context, op: &Op, totals: &mut Totals) -> Result<Outcome, DataError> {
    let store = context.store.as_ref();
    let caps = context.caps;
    match op {
        Op::Create {
            read_id,
            deposit_id,
            credential_hash,
            auth_key,
        } => {
            if totals.mailboxes >= caps.max_mailboxes {
                return Err(DataError::RelayFull);
            }
            data::create_mailbox(store, read_id, deposit_id, credential_hash, auth_key)?;
            totals.mailboxes += 1;
            Ok(Outcome::Done)
        }
        Op::Deposit {
            mailbox,
            hour,
            envelope,
        } => {
            // Recorded before the write is applied, so a reader that sees the envelope
            // also sees that it is not durable yet.
            let next = data::mailbox(store, mailbox)?.map_or(0, |m| m.next_seq);
            context.unflushed.note(*mailbox, next.max(context.min_seq));
            data::deposit(store, mailbox, *hour, envelope, caps, context.min_seq)
                .map(Outcome::Deposited)
        }
        Op::Ack { mailbox, seqs } => data::ack(store, mailbox, seqs).map(Outcome::Acked),
        Op::Destroy { read_id } => {
            data::destroy(store, read_id)?;
            totals.mailboxes = totals.mailboxes.saturating_sub(1);
            Ok(Outcome::Done)
        }
        Op::PublishBundle {
            bundle_id,
            auth_key,
            bundle,
            hour,
        } => {
            let new = data::bundle(store, bundle_id)?.is_none();
            if new && totals.bundles >= caps.max_bundles {
                return Err(DataError::RelayFull);
            }
            let available = data::publish_bundle(store, bundle_id, auth_key, bundle, *hour)?;
            if new {
                totals.bundles += 1;
            }
            Ok(Outcome::Published(available))
        }
        Op::TakeBundle { bundle_id, hour } => {
            data::take_bundle(store, bundle_id, *hour, caps.bundle_one_time_per_hour)
                .map(|(signed, prekey)| Outcome::Taken(signed, prekey))
        }
        Op::Seen { hour, key } => data::remember_seen(store, *hour, key).map(|()| Outcome::Done),
        Op::DeleteBundle { bundle_id } => {
            data::delete_bundle(store, bundle_id)?;
            totals.bundles = totals.bundles.saturating_sub(1);
            Ok(Outcome::Done)
        }
        Op::Expire {
            cutoff_hour,
            seen_cutoff_hour,
        } => {
            while data::forget_seen(store, *seen_cutoff_hour, EXPIRE_CHUNK)? == EXPIRE_CHUNK as u64
            {
            }
            let mut total = 0;
            loop {
                let n = data::expire(store, *cutoff_hour, EXPIRE_CHUNK)?;
                total += n;
                if n < EXPIRE_CHUNK as u64 {
                    break Ok(Outcome::Expired(total));
                }
            }
        }
    }
}

fn run(mut rx: mpsc::Receiver<Message>, context: Context) {
    let Context {
        store,
        max_batch,
        waiters,
        metrics,
        ..
    } = &context;
    let max_batch = *max_batch;
    let mut totals = Totals {
        mailboxes: store.count_prefix(&[crate::layout::MAILBOX]).unwrap_or(0),
        bundles: store.count_prefix(&[crate::layout::BUNDLE]).unwrap_or(0),
    };
    let mut stop = None;
    while stop.is_none() {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut batch = Vec::with_capacity(max_batch);
        match first {
            Message::Apply(request) => batch.push(request),
            Message::Stop(done) => stop = Some(done),
        }
        while stop.is_none() && batch.len() < max_batch {
            match rx.try_recv() {
                Ok(Message::Apply(request)) => batch.push(request),
                Ok(Message::Stop(done)) => stop = Some(done),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let results: Vec<_> = batch
            .iter()
            .map(|request| apply(&context, &request.op, &mut totals))
            .collect();
        let started = Instant::now();
        let flushed = store.flush();
        metrics.record_flush(batch.len(), started.elapsed());
        if flushed.is_ok() {
            context.unflushed.clear();
        }
        if let Err(err) = &flushed {
            tracing::error!("flush failed: {err}");
        }
        for (request, result) in batch.into_iter().zip(results) {
            let result = match (&flushed, result) {
                (Err(_), Ok(_)) => Err(DataError::Store(crate::store::StoreError::Engine(
                    "flush failed".into(),
                ))),
                (_, result) => result,
            };
            if let (Op::Deposit { mailbox, .. }, Ok(_)) = (&request.op, &result) {
                waiters.wake(mailbox);
            }
            // The requester may have gone away (timeout); its write stands.
            let _ = request.reply.send(result);
        }
    }
    rx.close();
    if let Err(err) = store.flush() {
        tracing::error!("final flush failed: {err}");
    }
    if let Some(done) = stop {
        let _ = done.send(());
    }
}
