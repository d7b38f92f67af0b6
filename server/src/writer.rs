//! The group-commit writer: the only code that mutates the store.
//!
//! One thread drains a channel of pending operations, applies up to `max_batch` of them
//! (each as one atomic store batch), calls the store's blocking `flush()` once for all of
//! them, and only then answers each. A deposit is therefore never acknowledged before it
//! is on disk, and concurrent deposits share one fsync. With `max_batch = 1` this is the
//! one-flush-per-deposit baseline the benchmark compares against.
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
use std::sync::Arc;
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
    },
    /// Delete a bundle.
    DeleteBundle {
        /// Bundle id.
        bundle_id: [u8; ID_LEN],
    },
    /// Delete messages from hours before `cutoff_hour`.
    Expire {
        /// First hour that is kept.
        cutoff_hour: u64,
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

/// A handle to the writer thread.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Message>,
}

/// Most expired messages deleted in one store batch.
const EXPIRE_CHUNK: usize = 10_000;

impl Writer {
    /// Starts the writer thread over `store`.
    pub fn start(
        store: Arc<dyn Store>,
        caps: MailboxCaps,
        max_batch: usize,
        waiters: Arc<Waiters>,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(8192);
        std::thread::Builder::new()
            .name("corridor-writer".into())
            .spawn(move || run(rx, store, caps, max_batch.max(1), waiters, metrics))?;
        Ok(Self { tx })
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

fn apply(
    store: &dyn Store,
    op: &Op,
    caps: MailboxCaps,
    totals: &mut Totals,
) -> Result<Outcome, DataError> {
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
        } => data::deposit(store, mailbox, *hour, envelope, caps).map(Outcome::Deposited),
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
        Op::TakeBundle { bundle_id } => data::take_bundle(store, bundle_id)
            .map(|(signed, prekey)| Outcome::Taken(signed, prekey)),
        Op::DeleteBundle { bundle_id } => {
            data::delete_bundle(store, bundle_id)?;
            totals.bundles = totals.bundles.saturating_sub(1);
            Ok(Outcome::Done)
        }
        Op::Expire { cutoff_hour } => {
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

fn run(
    mut rx: mpsc::Receiver<Message>,
    store: Arc<dyn Store>,
    caps: MailboxCaps,
    max_batch: usize,
    waiters: Arc<Waiters>,
    metrics: Arc<Metrics>,
) {
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
            .map(|request| apply(store.as_ref(), &request.op, caps, &mut totals))
            .collect();
        let started = Instant::now();
        let flushed = store.flush();
        metrics.record_flush(batch.len(), started.elapsed());
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
