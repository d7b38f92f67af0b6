//! The relay client.
//!
//! A relay stores fixed-size sealed envelopes in mailboxes and hands out prekey bundles; it
//! learns nothing about who anyone is. This module is the client side of its `/v1` API
//! (`corridor_wire::api`):
//!
//! - [`Relay`]: the operations, as an object-safe trait (`Arc<dyn Relay>`), so the `Client`
//!   façade and its tests do not care whether a relay is remote or in memory;
//! - [`HttpRelay`]: the real one, over HTTPS (rustls) with timeouts, retries with backoff,
//!   and an optional `socks5h://` proxy for Tor;
//! - [`MemoryRelay`]: an in-process relay with the same semantics, for tests, which can be
//!   switched "unreachable";
//! - [`RelayPool`]: the relays of one profile, keyed by URL. Each mailbox lives on one relay;
//!   a contact's mailbox may live on another.
//!
//! Mailbox rotation (moving a mailbox to a new one, on the same or another relay, without a
//! new handshake) needs only [`Relay::create_mailbox_with_pow`] on the new relay and
//! [`Relay::destroy`] on the old one; the messages that tell the contact are the façade's.
//!
//! Errors ([`TransportError`]) never carry ids, credentials, URLs or bodies. A transient one
//! ([`TransportError::is_transient`]) means "keep it in the outbox and try on the next sync".

mod auth;
mod error;
mod http;
mod memory;
mod pool;
mod url;

pub use auth::{AuthSigner, Freshness, SystemFreshness};
pub use error::{ConfigError, NetFailure, TransportError};
pub use http::{HttpConfig, HttpRelay, Isolation, MAX_WAIT_SECS, RetryPolicy};
pub use memory::{MemoryRelay, MemoryRelayConfig, codes};
pub use pool::RelayPool;
pub use url::{ProxyUrl, RelayUrl};

use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{
    Admission, AuthKey, Bundle, BundleId, ChallengeResponse, CreateMailboxResponse,
    DepositCredential, DepositId, FetchBundleResponse, ReadId,
};
use corridor_wire::pow;
use std::future::Future;
use std::pin::Pin;

/// The future every [`Relay`] operation returns.
pub type RelayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TransportError>> + Send + 'a>>;

/// The ids and deposit credential of a new mailbox, as the relay returned them. The owner
/// keeps all three; it gives the deposit id and credential (never the read id) to the
/// contact who will write to it.
pub type MailboxIds = CreateMailboxResponse;

/// One envelope fetched from a mailbox.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceivedEnvelope {
    /// Its sequence number in the mailbox; pass it to [`Relay::ack`] once it is processed
    /// and stored.
    pub seq: u64,
    /// The sealed envelope, exactly as deposited.
    pub envelope: Box<[u8; ENVELOPE_SIZE]>,
}

impl std::fmt::Debug for ReceivedEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReceivedEnvelope {{ seq: {}, .. }}", self.seq)
    }
}

/// The operations of a relay.
///
/// Every method returns a boxed `Send` future, so a relay can be held as
/// `Arc<dyn Relay>` and its futures spawned on a multi-threaded runtime.
///
/// Ids travel in request bodies, never in URLs. Signed operations are signed by the
/// mailbox's (or bundle's) own key, with a fresh timestamp and nonce for every attempt.
pub trait Relay: Send + Sync {
    /// Asks for a fresh proof-of-work challenge for [`Relay::create_mailbox`].
    fn challenge(&self) -> RelayFuture<'_, ChallengeResponse>;

    /// Creates a mailbox owned by `auth_key` (a fresh Ed25519 key used for this mailbox
    /// only), admitted by a solved challenge or an operator token.
    fn create_mailbox<'a>(
        &'a self,
        auth_key: &'a AuthKey,
        admission: &'a Admission,
    ) -> RelayFuture<'a, MailboxIds>;

    /// Fetches a challenge, solves it on a blocking thread and creates a mailbox.
    ///
    /// Refuses ([`TransportError::PowTooHard`]) a difficulty above
    /// [`corridor_wire::pow::MAX_DIFFICULTY`].
    fn create_mailbox_with_pow<'a>(&'a self, auth_key: &'a AuthKey) -> RelayFuture<'a, MailboxIds> {
        Box::pin(async move {
            let challenge = self.challenge().await?;
            let admission = solve_pow(challenge).await?;
            self.create_mailbox(auth_key, &admission).await
        })
    }

    /// Deposits one envelope into the mailbox `deposit_id`, presenting its credential.
    ///
    /// `Ok` means the relay has stored it durably. A deposit is not idempotent: after a
    /// transient error the relay may or may not hold the envelope, and sending it again may
    /// store it twice. That is harmless (the receiving ratchet drops duplicates), so the
    /// caller should keep the envelope in its outbox and deposit it again later.
    fn deposit<'a>(
        &'a self,
        deposit_id: &'a DepositId,
        credential: &'a DepositCredential,
        envelope: &'a [u8; ENVELOPE_SIZE],
    ) -> RelayFuture<'a, ()>;

    /// Fetches waiting envelopes, oldest first. When the mailbox is empty, waits up to
    /// `wait_secs` (capped by the relay and by [`MAX_WAIT_SECS`]) for the first one to
    /// arrive; an empty list means none came. Fetching does not delete: see [`Relay::ack`].
    fn fetch<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        wait_secs: u32,
    ) -> RelayFuture<'a, Vec<ReceivedEnvelope>>;

    /// Deletes fetched envelopes by sequence number; returns how many were deleted
    /// (already-deleted ones are not counted, so acknowledging twice is harmless).
    fn ack<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        seqs: &'a [u64],
    ) -> RelayFuture<'a, u32>;

    /// Destroys a mailbox and everything in it.
    fn destroy<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()>;

    /// Publishes (or replaces) a prekey bundle under `bundle_id`, owned by `signer` (a fresh
    /// key for this bundle only); returns the number of one-time prekeys now available.
    fn publish_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
        bundle: &'a Bundle,
    ) -> RelayFuture<'a, u32>;

    /// Fetches a bundle; the relay hands out (and deletes) one one-time prekey, or the
    /// last-resort prekey when none is left. The caller must verify every signature in it.
    fn fetch_bundle<'a>(&'a self, bundle_id: &'a BundleId) -> RelayFuture<'a, FetchBundleResponse>;

    /// Deletes a bundle.
    fn delete_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()>;

    /// Checks that the relay answers (`GET /healthz` over HTTP). Reveals nothing but that
    /// this client can reach it. The default asks for a proof-of-work challenge instead,
    /// which every relay answers.
    fn health(&self) -> RelayFuture<'_, ()> {
        Box::pin(async move { self.challenge().await.map(|_| ()) })
    }
}

/// Solves a proof-of-work challenge on a blocking thread and returns the admission for
/// [`Relay::create_mailbox`].
///
/// Refuses a difficulty above [`corridor_wire::pow::MAX_DIFFICULTY`] with
/// [`TransportError::PowTooHard`] before doing any work.
pub async fn solve_pow(challenge: ChallengeResponse) -> Result<Admission, TransportError> {
    let difficulty = challenge.difficulty;
    if difficulty > pow::MAX_DIFFICULTY {
        return Err(TransportError::PowTooHard { difficulty });
    }
    let bytes = challenge.challenge;
    let (bytes, solution) = tokio::task::spawn_blocking(move || {
        let solution = pow::solve(bytes.as_bytes(), difficulty);
        (bytes, solution)
    })
    .await
    .map_err(|_| TransportError::PowFailed)?;
    let solution = solution.ok_or(TransportError::PowFailed)?;
    Ok(Admission::Pow {
        challenge: bytes,
        solution,
    })
}

/// Checks a fetched envelope's size and takes ownership of it.
pub(crate) fn received(
    message: corridor_wire::api::Message,
) -> Result<ReceivedEnvelope, TransportError> {
    let envelope: Box<[u8; ENVELOPE_SIZE]> = message
        .envelope
        .0
        .into_boxed_slice()
        .try_into()
        .map_err(|_| TransportError::Protocol)?;
    Ok(ReceivedEnvelope {
        seq: message.seq,
        envelope,
    })
}
