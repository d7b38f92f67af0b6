//! [`HttpRelay`]: the relay over HTTPS (rustls), optionally through a SOCKS5 proxy.
//!
//! Retries. A failed attempt is retried, after an exponential backoff with jitter, only
//! when repeating it cannot do harm:
//!
//! - fetch, ack, destroy, publish_bundle, fetch_bundle, delete_bundle and challenge are
//!   retried after any network failure and after a 5xx answer. Each attempt is signed
//!   afresh (the relay refuses a repeated nonce). A destroy or bundle delete whose retry
//!   finds the target gone (404) after an attempt that may have gone through counts as
//!   done. A retried fetch_bundle may consume a second one-time prekey: a small waste, not
//!   a leak.
//! - deposit and create_mailbox are not idempotent, so they are retried only when the
//!   request certainly did not take effect: the connection could not be opened, or the
//!   relay answered 503 (it sheds load before handling a request). After a timeout or a
//!   broken connection they return [`TransportError::Unreachable`] at once and the caller
//!   decides: a deposit stays in the outbox and goes out again on the next sync (a
//!   duplicate is dropped by the receiving ratchet); [`Relay::create_mailbox_with_pow`]
//!   starts over with a fresh challenge (an orphan mailbox left by the first attempt holds
//!   nothing and expires on the relay).
//!
//! A wrong device clock. The relay refuses a signed request whose timestamp is more than
//! two minutes off its own clock, and phones of people on the move are often wrong. Each
//! `HttpRelay` therefore learns its relay's clock from the `Date` header of every answer
//! and signs with that time; after a `stale_timestamp` refusal that taught it a new offset
//! it signs again and retries once. The offset is kept per relay, so a relay lying about
//! the time only spoils its own requests. It also means that, once the relay has answered,
//! signed timestamps carry at most a couple of seconds of device-specific clock error, too
//! little to link one client's mailboxes by it.
//!
//! Redirects are never followed (a 307 would resend the body, credentials included, to
//! another host), environment proxy variables are ignored (only the configured proxy is
//! used), and no `User-Agent` header is sent.

use super::auth::{AuthSigner, Freshness, SystemFreshness, random_bytes, sign_request};
use super::error::{ConfigError, NetFailure, TransportError};
use super::url::{ProxyUrl, RelayUrl};
use super::{MailboxIds, ReceivedEnvelope, Relay, RelayFuture, codes, received, solve_pow};
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{
    AckRequest, AckResponse, Admission, AuthKey, Bundle, BundleId, ChallengeResponse,
    CreateMailboxRequest, DeleteBundleRequest, DeleteBundleResponse, DepositCredential, DepositId,
    DepositRequest, DepositResponse, DestroyRequest, DestroyResponse, ErrorBody,
    FetchBundleRequest, FetchBundleResponse, FetchRequest, FetchResponse, PublishBundleRequest,
    PublishBundleResponse, ReadId,
};
use corridor_wire::b64::Blob;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

/// The longest long-poll wait this client asks for, in seconds. The relay may cap it lower.
pub const MAX_WAIT_SECS: u32 = 300;

/// The largest answer body accepted (a fetch batch of base64 envelopes is far smaller).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;
/// The largest error body read; anything longer is not a well-formed `ErrorBody`.
const MAX_ERROR_BYTES: usize = 16 * 1024;

const PATH_HEALTH: &str = "healthz";
const PATH_CHALLENGE: &str = "v1/challenge";
const PATH_MAILBOXES: &str = "v1/mailboxes";
const PATH_DEPOSIT: &str = "v1/mailboxes/deposit";
const PATH_FETCH: &str = "v1/mailboxes/fetch";
const PATH_ACK: &str = "v1/mailboxes/ack";
const PATH_DESTROY: &str = "v1/mailboxes/destroy";
const PATH_BUNDLES: &str = "v1/bundles";
const PATH_BUNDLE_FETCH: &str = "v1/bundles/fetch";
const PATH_BUNDLE_DELETE: &str = "v1/bundles/delete";

/// How failed attempts are retried: at most `max_attempts` attempts in all, the n-th retry
/// after a delay drawn uniformly from `[d/2, d]` where `d = min(max_delay, base_delay * 2^n)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (at least 1).
    pub max_attempts: u32,
    /// The delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay before retry number `retry` (0 for the first retry), with `jitter` a
    /// uniformly random `u32`. Pure, so tests can pin it.
    pub(crate) fn delay(&self, retry: u32, jitter: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let full = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let half = full / 2;
        let spread = (full - half).as_nanos();
        let extra = spread.saturating_mul(u128::from(jitter)) / (u128::from(u32::MAX) + 1);
        half + Duration::from_nanos(u64::try_from(extra).unwrap_or(u64::MAX))
    }
}

/// How traffic through the proxy is split over separate SOCKS identities.
///
/// Each identity is a random SOCKS user name; Tor (whose `IsolateSOCKSAuth` is on by
/// default) never puts two identities on one circuit, and each identity has its own
/// connections. A relay that sees two requests arrive on one circuit or connection can
/// tell they come from one client; separate identities deny it that link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Isolation {
    /// One identity for everything: no credentials are offered. Only for a SOCKS proxy
    /// that refuses username/password authentication.
    None,
    /// One identity per relay: no Tor node sees one client talk to two relays, but a
    /// relay can link all the mailboxes a client uses on it.
    PerRelay,
    /// One identity per mailbox id or bundle id, and a new one for each mailbox creation
    /// (whose answer names the new ids): a relay cannot link a client's mailboxes (or a
    /// mailbox it reads to one it writes to) by circuit or connection. Costs a Tor circuit
    /// per mailbox. The default.
    #[default]
    PerMailbox,
}

/// The most per-mailbox clients an [`HttpRelay`] keeps; beyond it they are all dropped
/// and rebuilt on demand (new circuits), which costs time, not privacy.
const MAX_ISOLATED_CLIENTS: usize = 1024;

/// Whose identity a request travels under (see [`Isolation`]).
#[derive(Debug, Clone, Copy)]
enum Route<'a> {
    /// Not tied to any mailbox (a challenge).
    Shared,
    /// A one-off identity (a mailbox creation).
    Fresh,
    /// The identity of this mailbox or bundle id.
    Id(&'a [u8; corridor_wire::ID_LEN]),
}

/// Settings shared by every [`HttpRelay`] of a profile.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Route every connection through this SOCKS5 proxy (Tor). Relay host names are then
    /// resolved by the proxy, never locally.
    pub proxy: Option<ProxyUrl>,
    /// With a proxy: how traffic is split over separate SOCKS identities (Tor circuits).
    pub isolation: Isolation,
    /// The longest time to open a connection (TCP, proxy handshake and TLS).
    pub connect_timeout: Duration,
    /// The longest time for one request and its answer. A long-poll fetch gets this plus
    /// its wait.
    pub request_timeout: Duration,
    /// How failed attempts are retried.
    pub retry: RetryPolicy,
    /// Extra trusted root certificates (DER), for a self-hosted relay with its own CA. The
    /// built-in web PKI roots stay trusted.
    pub extra_roots_der: Vec<Vec<u8>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            proxy: None,
            isolation: Isolation::default(),
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            extra_roots_der: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Settings for Tor's SOCKS port on this machine (`socks5h://127.0.0.1:9050`), with
    /// the longer timeouts Tor circuits need.
    pub fn tor() -> Result<Self, ConfigError> {
        Ok(Self {
            proxy: Some(ProxyUrl::parse(ProxyUrl::TOR_DEFAULT)?),
            connect_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            ..Self::default()
        })
    }
}

/// Which failures a retry may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Repeating the request does no harm.
    Idempotent,
    /// Only when the request certainly did not take effect.
    OnlyIfNotDelivered,
}

impl Retry {
    fn allows(self, error: &TransportError) -> bool {
        match (self, error) {
            (Self::Idempotent, e) => {
                e.is_transient() && !matches!(e, TransportError::Rejected { .. })
            }
            (Self::OnlyIfNotDelivered, TransportError::Unreachable(NetFailure::Connect)) => true,
            (Self::OnlyIfNotDelivered, TransportError::Unavailable { status: 503 }) => true,
            (Self::OnlyIfNotDelivered, _) => false,
        }
    }
}

/// True when the failed attempt may have been carried out by the relay.
fn in_doubt(error: &TransportError) -> bool {
    matches!(
        error,
        TransportError::Unreachable(NetFailure::Timeout | NetFailure::Interrupted)
            | TransportError::Rejected { status: 408, .. }
    ) || matches!(error, TransportError::Unavailable { status } if *status != 503)
}

/// A relay reached over HTTP(S).
pub struct HttpRelay {
    url: RelayUrl,
    config: HttpConfig,
    /// The client for [`Route::Shared`], and for every route unless isolating per mailbox.
    client: reqwest::Client,
    /// Per-mailbox clients, by id.
    isolated:
        std::sync::Mutex<std::collections::HashMap<[u8; corridor_wire::ID_LEN], reqwest::Client>>,
    request_timeout: Duration,
    retry: RetryPolicy,
    freshness: Arc<dyn Freshness>,
    /// The relay's clock minus ours, in seconds, learnt from `Date` headers.
    clock_offset: AtomicI64,
}

/// A [`Freshness`] shifted by the relay's clock offset.
struct RelayTime<'a> {
    inner: &'a dyn Freshness,
    offset: i64,
}

impl Freshness for RelayTime<'_> {
    fn now_unix(&self) -> u64 {
        self.inner
            .now_unix()
            .checked_add_signed(self.offset)
            .unwrap_or(0)
    }

    fn nonce(&self) -> Result<[u8; corridor_wire::NONCE_LEN], TransportError> {
        self.inner.nonce()
    }
}

impl std::fmt::Debug for HttpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRelay")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl HttpRelay {
    /// A client for the relay at `url`. Opens no connection yet.
    ///
    /// Refuses a `.onion` relay without a proxy ([`ConfigError::OnionNeedsProxy`]).
    pub fn new(url: RelayUrl, config: &HttpConfig) -> Result<Self, TransportError> {
        if url.is_onion() && config.proxy.is_none() {
            return Err(ConfigError::OnionNeedsProxy.into());
        }
        let client = build_client(config)?;
        Ok(Self {
            url,
            config: config.clone(),
            client,
            isolated: std::sync::Mutex::new(std::collections::HashMap::new()),
            request_timeout: config.request_timeout,
            retry: config.retry.clone(),
            freshness: Arc::new(SystemFreshness),
            clock_offset: AtomicI64::new(0),
        })
    }

    /// Replaces the clock and nonce source of signed requests (for tests).
    pub fn with_freshness(mut self, freshness: Arc<dyn Freshness>) -> Self {
        self.freshness = freshness;
        self
    }

    /// The relay's URL.
    pub fn url(&self) -> &RelayUrl {
        &self.url
    }

    /// How far (in seconds) the relay's clock is ahead of this device's, as last learnt
    /// from its `Date` header (0 until an answer carried one).
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    /// The clock and nonce source to sign with: ours, moved to the relay's time.
    fn relay_time(&self) -> RelayTime<'_> {
        RelayTime {
            inner: &*self.freshness,
            offset: self.clock_offset(),
        }
    }

    /// Learns the relay's clock from an answer's `Date` header. Ignores differences of a
    /// second or two (the header's resolution).
    fn observe_date(&self, headers: &reqwest::header::HeaderMap) {
        let Some(relay_now) = headers
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| httpdate::parse_http_date(text).ok())
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .and_then(|since| i64::try_from(since.as_secs()).ok())
        else {
            return;
        };
        let Ok(ours) = i64::try_from(self.freshness.now_unix()) else {
            return;
        };
        let offset = relay_now.saturating_sub(ours);
        if offset.abs_diff(self.clock_offset()) > 2 {
            self.clock_offset.store(offset, Ordering::Relaxed);
        }
    }

    /// The client a request on `route` goes through.
    fn client_for(&self, route: Route<'_>) -> Result<reqwest::Client, TransportError> {
        if self.config.proxy.is_none() || self.config.isolation != Isolation::PerMailbox {
            return Ok(self.client.clone());
        }
        match route {
            Route::Shared => Ok(self.client.clone()),
            Route::Fresh => build_client(&self.config),
            Route::Id(id) => {
                let mut isolated = self.isolated.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(client) = isolated.get(id) {
                    return Ok(client.clone());
                }
                if isolated.len() >= MAX_ISOLATED_CLIENTS {
                    isolated.clear();
                }
                let client = build_client(&self.config)?;
                isolated.insert(*id, client.clone());
                Ok(client)
            }
        }
    }

    /// One attempt: sends `body` (or a GET when `None`) and decodes the answer.
    async fn attempt<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        route: Route<'_>,
        path: &str,
        body: Option<&Req>,
        timeout: Duration,
    ) -> Result<Resp, TransportError> {
        let url = self.url.endpoint(path)?;
        let client = self.client_for(route)?;
        let request = match body {
            Some(body) => client.post(url).json(body),
            None => client.get(url),
        };
        let mut response = request.timeout(timeout).send().await.map_err(net_failure)?;
        self.observe_date(response.headers());
        let status = response.status().as_u16();
        match status {
            200..=299 => {
                let bytes = read_capped(&mut response, MAX_ANSWER_BYTES).await?;
                serde_json::from_slice(&bytes).map_err(|_| TransportError::Protocol)
            }
            500..=599 => Err(TransportError::Unavailable { status }),
            400..=499 => {
                let code = match read_capped(&mut response, MAX_ERROR_BYTES).await {
                    Ok(bytes) => serde_json::from_slice::<ErrorBody>(&bytes)
                        .ok()
                        .map(|b| b.error),
                    Err(_) => None,
                };
                Err(match code {
                    Some(code) => TransportError::rejected(status, &code),
                    None => TransportError::Rejected { status, code: None },
                })
            }
            _ => Err(TransportError::UnexpectedStatus { status }),
        }
    }

    /// Runs attempts until one succeeds, the error may not be retried, or the attempts
    /// run out. `make_body` is called before every attempt, so signed bodies get a fresh
    /// nonce. With `done_if_gone = Some((code, answer))`, a refusal with that "no such ..."
    /// code after an attempt that may have gone through is taken as `answer`.
    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        route: Route<'_>,
        path: &str,
        retry: Retry,
        timeout: Duration,
        done_if_gone: Option<(&str, Resp)>,
        make_body: impl Fn() -> Result<Option<Req>, TransportError>,
    ) -> Result<Resp, TransportError> {
        let mut attempts = 0u32;
        let mut maybe_done = false;
        let mut done_if_gone = done_if_gone;
        let mut resigned = false;
        loop {
            let offset_before = self.clock_offset();
            let body = make_body()?;
            let error = match self.attempt(route, path, body.as_ref(), timeout).await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            // Signed with a wrong clock, and the answer told us the relay's: sign again
            // (once) with the corrected time.
            if error.code() == Some(codes::STALE_TIMESTAMP)
                && !resigned
                && self.clock_offset() != offset_before
            {
                resigned = true;
                continue;
            }
            if maybe_done {
                if let Some((code, done)) = done_if_gone.take() {
                    if error.code() == Some(code) {
                        return Ok(done);
                    }
                    done_if_gone = Some((code, done));
                }
            }
            maybe_done |= in_doubt(&error);
            attempts += 1;
            if attempts >= self.retry.max_attempts || !retry.allows(&error) {
                return Err(error);
            }
            let jitter = random_bytes::<4>().map_or(u32::MAX, u32::from_le_bytes);
            // The error text names no id, URL or body, so it may be logged.
            tracing::debug!(%error, attempt = attempts, "relay request failed; retrying");
            tokio::time::sleep(self.retry.delay(attempts - 1, jitter)).await;
        }
    }

    async fn create_once(
        &self,
        auth_key: &AuthKey,
        admission: &Admission,
        retry: Retry,
    ) -> Result<MailboxIds, TransportError> {
        let body = CreateMailboxRequest {
            auth_key: *auth_key,
            admission: admission.clone(),
        };
        self.call(
            Route::Fresh,
            PATH_MAILBOXES,
            retry,
            self.request_timeout,
            None,
            || Ok(Some(body.clone())),
        )
        .await
    }
}

impl Relay for HttpRelay {
    fn health(&self) -> RelayFuture<'_, ()> {
        Box::pin(async move {
            let _: serde_json::Value = self
                .call::<(), _>(
                    Route::Shared,
                    PATH_HEALTH,
                    Retry::Idempotent,
                    self.request_timeout,
                    None,
                    || Ok(None),
                )
                .await?;
            Ok(())
        })
    }

    fn challenge(&self) -> RelayFuture<'_, ChallengeResponse> {
        Box::pin(self.call::<(), _>(
            Route::Shared,
            PATH_CHALLENGE,
            Retry::Idempotent,
            self.request_timeout,
            None,
            || Ok(None),
        ))
    }

    fn create_mailbox<'a>(
        &'a self,
        auth_key: &'a AuthKey,
        admission: &'a Admission,
    ) -> RelayFuture<'a, MailboxIds> {
        Box::pin(self.create_once(auth_key, admission, Retry::OnlyIfNotDelivered))
    }

    fn create_mailbox_with_pow<'a>(&'a self, auth_key: &'a AuthKey) -> RelayFuture<'a, MailboxIds> {
        Box::pin(async move {
            let mut rounds = 0u32;
            loop {
                let challenge = self.challenge().await?;
                let admission = solve_pow(challenge).await?;
                // A challenge is single-use, so a retry after a failure starts a new round
                // with a fresh one instead of resending this admission.
                let error = match self
                    .create_once(auth_key, &admission, Retry::OnlyIfNotDelivered)
                    .await
                {
                    Ok(ids) => return Ok(ids),
                    Err(error) => error,
                };
                rounds += 1;
                if rounds >= self.retry.max_attempts || !Retry::Idempotent.allows(&error) {
                    return Err(error);
                }
                let jitter = random_bytes::<4>().map_or(u32::MAX, u32::from_le_bytes);
                tokio::time::sleep(self.retry.delay(rounds - 1, jitter)).await;
            }
        })
    }

    fn deposit<'a>(
        &'a self,
        deposit_id: &'a DepositId,
        credential: &'a DepositCredential,
        envelope: &'a [u8; ENVELOPE_SIZE],
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            let body = DepositRequest {
                deposit_id: *deposit_id,
                credential: *credential,
                envelope: Blob(envelope.to_vec()),
            };
            let answer: DepositResponse = self
                .call(
                    Route::Id(deposit_id.as_bytes()),
                    PATH_DEPOSIT,
                    Retry::OnlyIfNotDelivered,
                    self.request_timeout,
                    None,
                    || Ok(Some(&body)),
                )
                .await?;
            if answer.stored {
                Ok(())
            } else {
                Err(TransportError::Protocol)
            }
        })
    }

    fn fetch<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        wait_secs: u32,
    ) -> RelayFuture<'a, Vec<ReceivedEnvelope>> {
        Box::pin(async move {
            let wait_secs = wait_secs.min(MAX_WAIT_SECS);
            let timeout = self.request_timeout + Duration::from_secs(u64::from(wait_secs));
            let answer: FetchResponse = self
                .call(
                    Route::Id(read_id.as_bytes()),
                    PATH_FETCH,
                    Retry::Idempotent,
                    timeout,
                    None,
                    || {
                        let auth = sign_request(signer, &self.relay_time(), |ts, nonce| {
                            FetchRequest::transcript(read_id, wait_secs, ts, nonce)
                        })?;
                        Ok(Some(FetchRequest {
                            read_id: *read_id,
                            wait_secs,
                            auth,
                        }))
                    },
                )
                .await?;
            answer.messages.into_iter().map(received).collect()
        })
    }

    fn ack<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        seqs: &'a [u64],
    ) -> RelayFuture<'a, u32> {
        Box::pin(async move {
            let answer: AckResponse = self
                .call(
                    Route::Id(read_id.as_bytes()),
                    PATH_ACK,
                    Retry::Idempotent,
                    self.request_timeout,
                    None,
                    || {
                        let auth = sign_request(signer, &self.relay_time(), |ts, nonce| {
                            AckRequest::transcript(read_id, seqs, ts, nonce)
                        })?;
                        Ok(Some(AckRequest {
                            read_id: *read_id,
                            seqs: seqs.to_vec(),
                            auth,
                        }))
                    },
                )
                .await?;
            Ok(answer.deleted)
        })
    }

    fn destroy<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            let gone = (codes::NO_SUCH_MAILBOX, DestroyResponse { destroyed: true });
            let answer: DestroyResponse = self
                .call(
                    Route::Id(read_id.as_bytes()),
                    PATH_DESTROY,
                    Retry::Idempotent,
                    self.request_timeout,
                    Some(gone),
                    || {
                        let auth = sign_request(signer, &self.relay_time(), |ts, nonce| {
                            DestroyRequest::transcript(read_id, ts, nonce)
                        })?;
                        Ok(Some(DestroyRequest {
                            read_id: *read_id,
                            auth,
                        }))
                    },
                )
                .await?;
            if answer.destroyed {
                Ok(())
            } else {
                Err(TransportError::Protocol)
            }
        })
    }

    fn publish_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
        bundle: &'a Bundle,
    ) -> RelayFuture<'a, u32> {
        Box::pin(async move {
            let auth_key = signer.auth_key();
            let answer: PublishBundleResponse = self
                .call(
                    Route::Id(bundle_id.as_bytes()),
                    PATH_BUNDLES,
                    Retry::Idempotent,
                    self.request_timeout,
                    None,
                    || {
                        let auth = sign_request(signer, &self.relay_time(), |ts, nonce| {
                            PublishBundleRequest::transcript(
                                bundle_id, &auth_key, bundle, ts, nonce,
                            )
                        })?;
                        Ok(Some(PublishBundleRequest {
                            bundle_id: *bundle_id,
                            auth_key,
                            bundle: bundle.clone(),
                            auth,
                        }))
                    },
                )
                .await?;
            Ok(answer.one_time_available)
        })
    }

    fn fetch_bundle<'a>(&'a self, bundle_id: &'a BundleId) -> RelayFuture<'a, FetchBundleResponse> {
        Box::pin(self.call(
            Route::Id(bundle_id.as_bytes()),
            PATH_BUNDLE_FETCH,
            Retry::Idempotent,
            self.request_timeout,
            None,
            || {
                Ok(Some(FetchBundleRequest {
                    bundle_id: *bundle_id,
                }))
            },
        ))
    }

    fn delete_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        Box::pin(async move {
            let gone = (
                codes::NO_SUCH_BUNDLE,
                DeleteBundleResponse { deleted: true },
            );
            let answer: DeleteBundleResponse = self
                .call(
                    Route::Id(bundle_id.as_bytes()),
                    PATH_BUNDLE_DELETE,
                    Retry::Idempotent,
                    self.request_timeout,
                    Some(gone),
                    || {
                        let auth = sign_request(signer, &self.relay_time(), |ts, nonce| {
                            DeleteBundleRequest::transcript(bundle_id, ts, nonce)
                        })?;
                        Ok(Some(DeleteBundleRequest {
                            bundle_id: *bundle_id,
                            auth,
                        }))
                    },
                )
                .await?;
            if answer.deleted {
                Ok(())
            } else {
                Err(TransportError::Protocol)
            }
        })
    }
}

/// Builds a `reqwest` client for `config`; through a proxy, with a new random SOCKS user
/// name unless [`Isolation::None`].
fn build_client(config: &HttpConfig) -> Result<reqwest::Client, TransportError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(config.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(proxy) = &config.proxy {
        let user = match config.isolation {
            Isolation::None => None,
            _ => Some(data_encoding::HEXLOWER.encode(&random_bytes::<16>()?)),
        };
        let proxy_url = proxy.to_url(user.as_deref().map(|u| (u, "corridor")));
        let proxy = reqwest::Proxy::all(proxy_url).map_err(|_| ConfigError::BadProxy)?;
        builder = builder.proxy(proxy);
    }
    for der in &config.extra_roots_der {
        let cert = reqwest::Certificate::from_der(der).map_err(|_| ConfigError::BadCertificate)?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|_| ConfigError::ClientBuild.into())
}

/// Maps a `reqwest` failure to a [`TransportError`] without keeping its text, which can
/// contain the URL.
fn net_failure(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Unreachable(NetFailure::Timeout)
    } else if error.is_connect() {
        TransportError::Unreachable(NetFailure::Connect)
    } else if error.is_decode() {
        TransportError::Protocol
    } else if error.is_builder() {
        TransportError::Config(ConfigError::NotAUrl)
    } else {
        TransportError::Unreachable(NetFailure::Interrupted)
    }
}

/// Reads an answer body of at most `limit` bytes.
async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, TransportError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(TransportError::Protocol);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(net_failure)? {
        if body.len() + chunk.len() > limit {
            return Err(TransportError::Protocol);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert_eq!(policy.delay(0, 0), Duration::from_millis(50));
        assert!(policy.delay(0, u32::MAX) <= Duration::from_millis(100));
        assert!(policy.delay(0, u32::MAX) > Duration::from_millis(99));
        assert_eq!(policy.delay(1, 0), Duration::from_millis(100));
        assert_eq!(policy.delay(2, 0), Duration::from_millis(200));
        // Capped at max_delay, however many retries.
        assert_eq!(policy.delay(4, 0), Duration::from_millis(500));
        assert!(policy.delay(40, u32::MAX) <= Duration::from_secs(1));
        assert!(policy.delay(u32::MAX, u32::MAX) <= Duration::from_secs(1));
        // Jitter spreads the delay.
        assert!(policy.delay(1, u32::MAX / 2) > policy.delay(1, 0));
    }

    proptest::proptest! {
        #[test]
        fn backoff_stays_within_its_bounds(
            base_ms in 0u64..10_000,
            max_ms in 0u64..120_000,
            retry in proptest::num::u32::ANY,
            jitter in proptest::num::u32::ANY,
        ) {
            let policy = RetryPolicy {
                max_attempts: 5,
                base_delay: Duration::from_millis(base_ms),
                max_delay: Duration::from_millis(max_ms),
            };
            let delay = policy.delay(retry, jitter);
            let full = Duration::from_millis(base_ms)
                .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
                .unwrap_or(policy.max_delay)
                .min(policy.max_delay);
            proptest::prop_assert!(delay <= policy.max_delay);
            proptest::prop_assert!(delay >= full / 2 && delay <= full);
        }
    }

    #[test]
    fn retry_classes() {
        let connect = TransportError::Unreachable(NetFailure::Connect);
        let timeout = TransportError::Unreachable(NetFailure::Timeout);
        let shed = TransportError::Unavailable { status: 503 };
        let gateway = TransportError::Unavailable { status: 504 };
        let refused = TransportError::rejected(401, "bad_signature");
        let limited = TransportError::rejected(429, "rate_limited");
        for e in [&connect, &timeout, &shed, &gateway] {
            assert!(Retry::Idempotent.allows(e));
        }
        assert!(!Retry::Idempotent.allows(&refused));
        assert!(!Retry::Idempotent.allows(&limited));
        assert!(!Retry::Idempotent.allows(&TransportError::Protocol));
        assert!(Retry::OnlyIfNotDelivered.allows(&connect));
        assert!(Retry::OnlyIfNotDelivered.allows(&shed));
        assert!(!Retry::OnlyIfNotDelivered.allows(&timeout));
        assert!(!Retry::OnlyIfNotDelivered.allows(&gateway));
        assert!(!Retry::OnlyIfNotDelivered.allows(&refused));
        assert!(in_doubt(&timeout) && in_doubt(&gateway));
        assert!(!in_doubt(&connect) && !in_doubt(&shed));
    }

    #[test]
    fn onion_relay_needs_a_proxy() {
        let onion = RelayUrl::parse("http://abcdefghij234567.onion").unwrap();
        let err = HttpRelay::new(onion.clone(), &HttpConfig::default()).unwrap_err();
        assert_eq!(err, TransportError::Config(ConfigError::OnionNeedsProxy));
        assert!(HttpRelay::new(onion, &HttpConfig::tor().unwrap()).is_ok());
    }

    #[test]
    fn bad_root_certificate_is_refused() {
        let config = HttpConfig {
            extra_roots_der: vec![vec![1, 2, 3]],
            ..HttpConfig::default()
        };
        let url = RelayUrl::parse("https://relay.example.org").unwrap();
        assert!(matches!(
            HttpRelay::new(url, &config),
            Err(TransportError::Config(
                ConfigError::BadCertificate | ConfigError::ClientBuild
            ))
        ));
    }
}
