//! [`MemoryRelay`]: an in-process relay with the real relay's semantics, for tests.
//!
//! It keeps the rules that matter to a client: separate read and deposit ids, the deposit
//! credential, signed and fresh requests with replay protection (checked with
//! `corridor_wire::auth`), single-use proof-of-work challenges, one-time prekeys handed out
//! once, acknowledged messages deleted, a destroyed mailbox gone, a cap on messages per
//! mailbox, long-poll fetch woken by a deposit. It skips what only an operator cares about
//! (durability, TTL, rate limits).
//!
//! [`MemoryRelay::set_reachable`] makes it fail every operation with
//! [`TransportError::Unreachable`] without touching its state, for outbox tests.
//!
//! Refusals use the same statuses and codes as `corridor-relay`; they are listed in
//! [`codes`].

use super::auth::{AuthSigner, Freshness, SystemFreshness, random_bytes};
use super::error::{NetFailure, TransportError};
use super::{MailboxIds, ReceivedEnvelope, Relay, RelayFuture};
use crate::primitives::ed25519::VerifyingKey;
use corridor_wire::api::{
    AckRequest, Admission, AuthKey, Bundle, BundleId, ChallengeResponse, DeleteBundleRequest,
    DepositCredential, DepositId, DestroyRequest, FetchBundleResponse, FetchRequest, HandedPrekey,
    OneTimePrekey, PublishBundleRequest, ReadId, SignedAuth,
};
use corridor_wire::b64::{Blob, Bytes};
use corridor_wire::{ENVELOPE_SIZE, ID_LEN, NONCE_LEN, auth, pow};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::Notify;

/// The refusal codes ([`TransportError::code`]) that `corridor-relay` answers with
/// (documented in `docs/relay-api.md`), with their statuses. [`MemoryRelay`] answers
/// with the same ones.
pub mod codes {
    /// 403: the proof-of-work or operator token was refused.
    pub const BAD_ADMISSION: &str = "bad_admission";
    /// 403: the challenge was already used.
    pub const CHALLENGE_USED: &str = "challenge_used";
    /// 400: the auth key is not a usable Ed25519 public key.
    pub const BAD_KEY: &str = "bad_key";
    /// 404: no such mailbox (never existed, or destroyed).
    pub const NO_SUCH_MAILBOX: &str = "no_such_mailbox";
    /// 404: no such bundle.
    pub const NO_SUCH_BUNDLE: &str = "no_such_bundle";
    /// 403: the deposit credential does not match the deposit id.
    pub const BAD_CREDENTIAL: &str = "bad_credential";
    /// 401: the signature does not verify with the mailbox's (or bundle's) key.
    pub const BAD_SIGNATURE: &str = "bad_signature";
    /// 401: the signed timestamp is too far from the relay's clock.
    pub const STALE_TIMESTAMP: &str = "stale_timestamp";
    /// 409: the signed request (its nonce) was already used.
    pub const REPLAYED: &str = "replayed";
    /// 403: the bundle id is bound to another auth key.
    pub const BUNDLE_KEY_MISMATCH: &str = "bundle_key_mismatch";
    /// 429: the mailbox holds as many messages or bytes as it may (transient: its reader
    /// will drain it).
    pub const MAILBOX_FULL: &str = "mailbox_full";
    /// 429: the relay's request rate limit was hit (transient).
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 429: the relay holds as many mailboxes or bundles as it accepts; create the
    /// mailbox on another relay.
    pub const RELAY_FULL: &str = "relay_full";
    /// 400: more sequence numbers in one acknowledgement than the relay accepts (1000 by
    /// default; a fetch returns far fewer).
    pub const TOO_MANY_SEQS: &str = "too_many_seqs";
    /// 400: the bundle breaks a size or count limit, or repeats a prekey id.
    pub const BAD_BUNDLE: &str = "bad_bundle";
    /// 400: the request body is not what the endpoint expects (a client bug).
    pub const INVALID_BODY: &str = "invalid_body";
    /// 408: the relay gave up on the request (the operation may or may not have happened).
    pub const TIMEOUT: &str = "timeout";
}

/// Settings of a [`MemoryRelay`].
#[derive(Debug, Clone)]
pub struct MemoryRelayConfig {
    /// The proof-of-work difficulty of its challenges (keep it low in tests).
    pub difficulty: u8,
    /// Operator tokens accepted as admission (each usable any number of times).
    pub tokens: Vec<String>,
    /// Messages a mailbox may hold.
    pub max_messages: usize,
    /// Messages returned by one fetch.
    pub fetch_batch: usize,
    /// The longest long-poll wait, in seconds.
    pub max_wait_secs: u32,
}

impl Default for MemoryRelayConfig {
    fn default() -> Self {
        Self {
            difficulty: 4,
            tokens: Vec::new(),
            // The relay's defaults.
            max_messages: 1000,
            fetch_batch: 50,
            max_wait_secs: 25,
        }
    }
}

struct Mailbox {
    auth_key: [u8; 32],
    deposit_id: [u8; ID_LEN],
    credential: [u8; 32],
    next_seq: u64,
    messages: BTreeMap<u64, Box<[u8; ENVELOPE_SIZE]>>,
}

struct StoredBundle {
    auth_key: [u8; 32],
    signed: Blob,
    one_time: VecDeque<OneTimePrekey>,
    last_resort: Blob,
}

#[derive(Default)]
struct State {
    mailboxes: HashMap<[u8; ID_LEN], Mailbox>,
    by_deposit: HashMap<[u8; ID_LEN], [u8; ID_LEN]>,
    bundles: HashMap<[u8; ID_LEN], StoredBundle>,
    challenges: HashSet<Vec<u8>>,
    /// (target, nonce) → timestamp, forgotten once outside the freshness window.
    nonces: HashMap<([u8; ID_LEN], [u8; NONCE_LEN]), u64>,
}

/// An in-process relay (see the [module docs](self)). Cheap to share: clone the `Arc`.
pub struct MemoryRelay {
    state: Mutex<State>,
    arrivals: Notify,
    reachable: AtomicBool,
    config: MemoryRelayConfig,
    clock: Arc<dyn Freshness>,
    client: Arc<dyn Freshness>,
}

impl std::fmt::Debug for MemoryRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRelay").finish_non_exhaustive()
    }
}

impl Default for MemoryRelay {
    fn default() -> Self {
        Self::new(MemoryRelayConfig::default())
    }
}

fn refused(status: u16, code: &str) -> TransportError {
    TransportError::rejected(status, code)
}

impl MemoryRelay {
    /// An empty relay with these settings, on the system clock.
    pub fn new(config: MemoryRelayConfig) -> Self {
        Self {
            state: Mutex::new(State::default()),
            arrivals: Notify::new(),
            reachable: AtomicBool::new(true),
            config,
            clock: Arc::new(SystemFreshness),
            client: Arc::new(SystemFreshness),
        }
    }

    /// Replaces the clock the relay judges timestamps by (its nonce source is unused).
    pub fn with_clock(mut self, clock: Arc<dyn Freshness>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the timestamp and nonce source of the requests it signs on the caller's
    /// behalf (as [`HttpRelay::with_freshness`](super::HttpRelay::with_freshness) does), so
    /// a test can replay a nonce or skew a clock.
    pub fn with_client_freshness(mut self, freshness: Arc<dyn Freshness>) -> Self {
        self.client = freshness;
        self
    }

    /// Makes every operation fail with [`TransportError::Unreachable`] (`false`) or work
    /// again (`true`). Stored data is kept.
    pub fn set_reachable(&self, reachable: bool) {
        self.reachable.store(reachable, Ordering::SeqCst);
    }

    /// Number of mailboxes.
    pub fn mailbox_count(&self) -> usize {
        self.lock().mailboxes.len()
    }

    /// Number of messages stored in all mailboxes.
    pub fn message_count(&self) -> usize {
        self.lock()
            .mailboxes
            .values()
            .map(|m| m.messages.len())
            .sum()
    }

    /// Number of bundles.
    pub fn bundle_count(&self) -> usize {
        self.lock().bundles.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change here: every
        // mutation is a single map operation.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_reachable(&self) -> Result<(), TransportError> {
        if self.reachable.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(TransportError::Unreachable(NetFailure::Connect))
        }
    }

    /// Checks a signed request the way the relay does: fresh, unused nonce, good signature.
    fn check_auth(
        &self,
        state: &mut State,
        target: &[u8; ID_LEN],
        auth_key: &[u8; 32],
        signed: &SignedAuth,
        transcript: &[u8],
    ) -> Result<(), TransportError> {
        let now = self.clock.now_unix();
        auth::check_fresh(signed.timestamp, now)
            .map_err(|_| refused(401, codes::STALE_TIMESTAMP))?;
        auth::verify(auth_key, transcript, signed.signature.as_bytes())
            .map_err(|_| refused(401, codes::BAD_SIGNATURE))?;
        state
            .nonces
            .retain(|_, ts| auth::check_fresh(*ts, now).is_ok());
        let key = (*target, *signed.nonce.as_bytes());
        if state.nonces.contains_key(&key) {
            return Err(refused(409, codes::REPLAYED));
        }
        state.nonces.insert(key, signed.timestamp);
        Ok(())
    }

    fn sign(
        &self,
        signer: &dyn AuthSigner,
        transcript: impl FnOnce(u64, &[u8; NONCE_LEN]) -> Vec<u8>,
    ) -> Result<SignedAuth, TransportError> {
        super::auth::sign_request(signer, &*self.client, transcript)
    }

    fn do_create(
        &self,
        auth_key: &AuthKey,
        admission: &Admission,
    ) -> Result<MailboxIds, TransportError> {
        // Strict decoding: refuses non-points and weak (small-order) keys.
        VerifyingKey::from_bytes(auth_key.as_bytes()).map_err(|_| refused(400, codes::BAD_KEY))?;
        let mut state = self.lock();
        match admission {
            Admission::Pow {
                challenge,
                solution,
            } => {
                if !state.challenges.contains(challenge.as_bytes()) {
                    return Err(refused(403, codes::CHALLENGE_USED));
                }
                if !pow::check(challenge.as_bytes(), *solution, self.config.difficulty) {
                    return Err(refused(403, codes::BAD_ADMISSION));
                }
                state.challenges.remove(challenge.as_bytes());
            }
            Admission::Token { token } => {
                if !self.config.tokens.iter().any(|t| t == token) {
                    return Err(refused(403, codes::BAD_ADMISSION));
                }
            }
        }
        let read_id = random_bytes::<ID_LEN>()?;
        let deposit_id = random_bytes::<ID_LEN>()?;
        let credential = random_bytes::<32>()?;
        state.by_deposit.insert(deposit_id, read_id);
        state.mailboxes.insert(
            read_id,
            Mailbox {
                auth_key: *auth_key.as_bytes(),
                deposit_id,
                credential,
                next_seq: 1,
                messages: BTreeMap::new(),
            },
        );
        Ok(MailboxIds {
            read_id: Bytes(read_id),
            deposit_id: Bytes(deposit_id),
            deposit_credential: Bytes(credential),
        })
    }

    fn do_deposit(
        &self,
        deposit_id: &DepositId,
        credential: &DepositCredential,
        envelope: &[u8; ENVELOPE_SIZE],
    ) -> Result<(), TransportError> {
        let mut state = self.lock();
        let read_id = *state
            .by_deposit
            .get(deposit_id.as_bytes())
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        let mailbox = state
            .mailboxes
            .get_mut(&read_id)
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        if !bool::from(mailbox.credential.ct_eq(credential.as_bytes())) {
            return Err(refused(403, codes::BAD_CREDENTIAL));
        }
        if mailbox.messages.len() >= self.config.max_messages {
            return Err(refused(429, codes::MAILBOX_FULL));
        }
        let seq = mailbox.next_seq;
        mailbox.next_seq += 1;
        mailbox.messages.insert(seq, Box::new(*envelope));
        drop(state);
        self.arrivals.notify_waiters();
        Ok(())
    }

    /// Checks the fetch and returns what is waiting (possibly nothing).
    fn take_waiting(
        &self,
        read_id: &ReadId,
        request: Option<&FetchRequest>,
    ) -> Result<Vec<ReceivedEnvelope>, TransportError> {
        let mut state = self.lock();
        let auth_key = state
            .mailboxes
            .get(read_id.as_bytes())
            .map(|m| m.auth_key)
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        if let Some(request) = request {
            let transcript = FetchRequest::transcript(
                read_id,
                request.wait_secs,
                request.auth.timestamp,
                request.auth.nonce.as_bytes(),
            );
            self.check_auth(
                &mut state,
                read_id.as_bytes(),
                &auth_key,
                &request.auth,
                &transcript,
            )?;
        }
        let mailbox = state
            .mailboxes
            .get(read_id.as_bytes())
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        Ok(mailbox
            .messages
            .iter()
            .take(self.config.fetch_batch)
            .map(|(seq, envelope)| ReceivedEnvelope {
                seq: *seq,
                envelope: envelope.clone(),
            })
            .collect())
    }

    async fn do_fetch(
        &self,
        read_id: &ReadId,
        signer: &dyn AuthSigner,
        wait_secs: u32,
    ) -> Result<Vec<ReceivedEnvelope>, TransportError> {
        let auth = self.sign(signer, |ts, nonce| {
            FetchRequest::transcript(read_id, wait_secs, ts, nonce)
        })?;
        let request = FetchRequest {
            read_id: *read_id,
            wait_secs,
            auth,
        };
        let wait = Duration::from_secs(u64::from(wait_secs.min(self.config.max_wait_secs)));
        let deadline = tokio::time::Instant::now() + wait;
        let mut first = Some(&request);
        loop {
            // Register for a wake-up before looking, so a deposit between the look and the
            // wait is not missed.
            let arrival = self.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            let waiting = self.take_waiting(read_id, first.take())?;
            if !waiting.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(waiting);
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                return self.take_waiting(read_id, None);
            }
            self.check_reachable()?;
        }
    }

    fn do_ack(
        &self,
        read_id: &ReadId,
        signer: &dyn AuthSigner,
        seqs: &[u64],
    ) -> Result<u32, TransportError> {
        let signed = self.sign(signer, |ts, nonce| {
            AckRequest::transcript(read_id, seqs, ts, nonce)
        })?;
        let mut state = self.lock();
        let auth_key = state
            .mailboxes
            .get(read_id.as_bytes())
            .map(|m| m.auth_key)
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        let transcript =
            AckRequest::transcript(read_id, seqs, signed.timestamp, signed.nonce.as_bytes());
        self.check_auth(
            &mut state,
            read_id.as_bytes(),
            &auth_key,
            &signed,
            &transcript,
        )?;
        let mailbox = state
            .mailboxes
            .get_mut(read_id.as_bytes())
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        let deleted = seqs
            .iter()
            .filter(|seq| mailbox.messages.remove(seq).is_some())
            .count();
        Ok(u32::try_from(deleted).unwrap_or(u32::MAX))
    }

    fn do_destroy(&self, read_id: &ReadId, signer: &dyn AuthSigner) -> Result<(), TransportError> {
        let signed = self.sign(signer, |ts, nonce| {
            DestroyRequest::transcript(read_id, ts, nonce)
        })?;
        let mut state = self.lock();
        let auth_key = state
            .mailboxes
            .get(read_id.as_bytes())
            .map(|m| m.auth_key)
            .ok_or_else(|| refused(404, codes::NO_SUCH_MAILBOX))?;
        let transcript =
            DestroyRequest::transcript(read_id, signed.timestamp, signed.nonce.as_bytes());
        self.check_auth(
            &mut state,
            read_id.as_bytes(),
            &auth_key,
            &signed,
            &transcript,
        )?;
        if let Some(mailbox) = state.mailboxes.remove(read_id.as_bytes()) {
            state.by_deposit.remove(&mailbox.deposit_id);
        }
        // The mailbox's nonces go too: nothing about it may remain.
        state
            .nonces
            .retain(|(target, _), _| target != read_id.as_bytes());
        drop(state);
        self.arrivals.notify_waiters();
        Ok(())
    }

    fn do_publish(
        &self,
        bundle_id: &BundleId,
        signer: &dyn AuthSigner,
        bundle: &Bundle,
    ) -> Result<u32, TransportError> {
        let auth_key = signer.auth_key();
        let signed = self.sign(signer, |ts, nonce| {
            PublishBundleRequest::transcript(bundle_id, &auth_key, bundle, ts, nonce)
        })?;
        let mut state = self.lock();
        let transcript = PublishBundleRequest::transcript(
            bundle_id,
            &auth_key,
            bundle,
            signed.timestamp,
            signed.nonce.as_bytes(),
        );
        // A replacement must come from the key that published first.
        if let Some(existing) = state.bundles.get(bundle_id.as_bytes()) {
            if existing.auth_key != *auth_key.as_bytes() {
                return Err(refused(403, codes::BUNDLE_KEY_MISMATCH));
            }
        }
        self.check_auth(
            &mut state,
            bundle_id.as_bytes(),
            auth_key.as_bytes(),
            &signed,
            &transcript,
        )?;
        state.bundles.insert(
            *bundle_id.as_bytes(),
            StoredBundle {
                auth_key: *auth_key.as_bytes(),
                signed: bundle.signed.clone(),
                one_time: bundle.one_time.iter().cloned().collect(),
                last_resort: bundle.last_resort.clone(),
            },
        );
        Ok(u32::try_from(bundle.one_time.len()).unwrap_or(u32::MAX))
    }

    fn do_fetch_bundle(&self, bundle_id: &BundleId) -> Result<FetchBundleResponse, TransportError> {
        let mut state = self.lock();
        let bundle = state
            .bundles
            .get_mut(bundle_id.as_bytes())
            .ok_or_else(|| refused(404, codes::NO_SUCH_BUNDLE))?;
        let prekey = match bundle.one_time.pop_front() {
            Some(one_time) => HandedPrekey::OneTime(one_time),
            None => HandedPrekey::LastResort {
                key: bundle.last_resort.clone(),
            },
        };
        Ok(FetchBundleResponse {
            signed: bundle.signed.clone(),
            prekey,
        })
    }

    fn do_delete_bundle(
        &self,
        bundle_id: &BundleId,
        signer: &dyn AuthSigner,
    ) -> Result<(), TransportError> {
        let signed = self.sign(signer, |ts, nonce| {
            DeleteBundleRequest::transcript(bundle_id, ts, nonce)
        })?;
        let mut state = self.lock();
        let auth_key = state
            .bundles
            .get(bundle_id.as_bytes())
            .map(|b| b.auth_key)
            .ok_or_else(|| refused(404, codes::NO_SUCH_BUNDLE))?;
        let transcript =
            DeleteBundleRequest::transcript(bundle_id, signed.timestamp, signed.nonce.as_bytes());
        self.check_auth(
            &mut state,
            bundle_id.as_bytes(),
            &auth_key,
            &signed,
            &transcript,
        )?;
        state.bundles.remove(bundle_id.as_bytes());
        state
            .nonces
            .retain(|(target, _), _| target != bundle_id.as_bytes());
        Ok(())
    }
}

impl Relay for MemoryRelay {
    fn health(&self) -> RelayFuture<'_, ()> {
        Box::pin(async move { self.check_reachable() })
    }

    fn challenge(&self) -> RelayFuture<'_, ChallengeResponse> {
        Box::pin(async move {
            self.check_reachable()?;
            let challenge = random_bytes::<32>()?.to_vec();
            self.lock().challenges.insert(challenge.clone());
            Ok(ChallengeResponse {
                challenge: Blob(challenge),
                difficulty: self.config.difficulty,
            })
        })
    }

    fn create_mailbox<'a>(
        &'a self,
        auth_key: &'a AuthKey,
        admission: &'a Admission,
    ) -> RelayFuture<'a, MailboxIds> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_create(auth_key, admission)
        })
    }

    fn deposit<'a>(
        &'a self,
        deposit_id: &'a DepositId,
        credential: &'a DepositCredential,
        envelope: &'a [u8; ENVELOPE_SIZE],
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_deposit(deposit_id, credential, envelope)
        })
    }

    fn fetch<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        wait_secs: u32,
    ) -> RelayFuture<'a, Vec<ReceivedEnvelope>> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_fetch(read_id, signer, wait_secs).await
        })
    }

    fn ack<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        seqs: &'a [u64],
    ) -> RelayFuture<'a, u32> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_ack(read_id, signer, seqs)
        })
    }

    fn destroy<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_destroy(read_id, signer)
        })
    }

    fn publish_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
        bundle: &'a Bundle,
    ) -> RelayFuture<'a, u32> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_publish(bundle_id, signer, bundle)
        })
    }

    fn fetch_bundle<'a>(&'a self, bundle_id: &'a BundleId) -> RelayFuture<'a, FetchBundleResponse> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_fetch_bundle(bundle_id)
        })
    }

    fn delete_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            self.check_reachable()?;
            self.do_delete_bundle(bundle_id, signer)
        })
    }
}
