//! The HTTP/1.1 edge: the accept loop and everything about connections.
//!
//! The relay runs its own accept loop over hyper (instead of `axum::serve`) so that a
//! stranger cannot hold its file descriptors or its request slots:
//!
//! - **A bound on open connections** kept under the open-file limit: the soft
//!   `RLIMIT_NOFILE` is raised to the hard limit at start, and at most
//!   `limit - FD_RESERVE` (and at most `max_connections`) client connections are open.
//! - **Timeouts per phase** of a connection: a new connection has `header_read_timeout`
//!   to deliver its first complete request head (the TLS handshake included); a request
//!   has `body_read_timeout` to deliver its body (then 408); an idle keep-alive connection
//!   is closed `idle_timeout` after its last answer. A request being processed has no
//!   edge deadline (the router's `request_timeout_secs` answers 408).
//! - **Unproven connections cannot crowd out proven ones.** A connection that has no
//!   request being processed (new, idle, or still sending a head or body) is *evictable*.
//!   When every slot is taken, a new connection evicts the oldest evictable one (oldest
//!   by the time it entered that phase). A silent or trickling connection therefore keeps
//!   its slot only until newer connections need it, while a client that sends its request
//!   promptly is served: it is the newest, and once its body is in it is not evictable.
//!   Only when every slot holds a request in progress is a new connection answered
//!   `503 overloaded` at once.
//! - **Bodies are read before the router** (bounded by `max_body_bytes` and
//!   `body_read_timeout`), so a slow body holds a connection slot (evictable) but never one
//!   of the router's `max_concurrent_requests` request slots.
//! - **JSON bodies on hyper's own answers.** hyper answers a request it cannot parse by
//!   itself (400, 414, 431, with an empty body, then closes). [`AutoAnswers`] recognizes
//!   those answers on their way out and sends the same status with a JSON [`ApiError`].
//! - **Shutdown**: see [`Edge::run`].
//!
//! The relay never reads the peer address.

use crate::error::ApiError;
use crate::metrics::ConnectionEvent;
use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Response, header};
use axum::response::IntoResponse;
use http_body::Frame;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// File descriptors kept back from the open-file limit: the store's files, the listener,
/// the runtime's own descriptors, and connections being evicted or refused.
pub const FD_RESERVE: u64 = 64;

/// Fewest connection slots the relay starts with; below, it refuses to start.
pub const MIN_CONNECTIONS: usize = 16;

/// Largest request head (request line and header fields) in bytes; larger gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most header fields in one request; more gets 431.
pub const MAX_HEADERS: usize = 64;

/// Evicted connections that may still be closing while new ones are admitted.
const EVICT_SLACK: usize = 16;

/// Connections being answered 503 at once; beyond this they are closed without answer.
const REFUSING_MAX: usize = 16;

/// Extra time after `body_read_timeout` for the 408 answer to be written.
const BODY_GRACE: Duration = Duration::from_secs(2);

/// The limits of the edge, resolved from the configuration and the open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLimits {
    /// Time for a new connection's first request head.
    pub header_read_timeout: Duration,
    /// Time for a request's body once its head arrived.
    pub body_read_timeout: Duration,
    /// Time an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Most open client connections.
    pub max_connections: usize,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Longest wait for requests in progress at shutdown.
    pub drain_timeout: Duration,
    /// The soft open-file limit the bound was derived from (`None`: unknown).
    pub open_file_limit: Option<u64>,
}

impl EdgeLimits {
    /// The limits for `config`: raises the soft open-file limit as far as the hard limit
    /// allows and keeps [`FD_RESERVE`] of it back. Fails when fewer than
    /// [`MIN_CONNECTIONS`] slots would be left.
    pub fn for_config(config: &crate::Config) -> Result<Self, crate::config::ConfigError> {
        let open_file_limit = rlimit::increase_nofile_limit(u64::MAX).ok();
        let max_connections = match open_file_limit {
            Some(limit) => {
                let fit = usize::try_from(limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
                config.max_connections.min(fit)
            }
            None => config.max_connections,
        };
        if max_connections < MIN_CONNECTIONS {
            return Err(crate::config::ConfigError::Invalid(
                "the open-file limit leaves fewer than 16 connections: raise it (LimitNOFILE) \
                 to at least 128, or raise max_connections",
            ));
        }
        Ok(Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(config.body_read_timeout_secs),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
            max_connections,
            max_body_bytes: config.max_body_bytes,
            drain_timeout: Duration::from_secs(
                config
                    .request_timeout_secs
                    .max(config.body_read_timeout_secs),
            ),
            open_file_limit,
        })
    }
}

/// Where a connection is in its life; decides its deadline and whether it is evictable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepted; no complete request head yet.
    Fresh,
    /// A request head arrived; its body is being read.
    Receiving,
    /// A request is being processed (not evictable, no edge deadline).
    Busy,
    /// The last answer is out; waiting for the next request.
    Idle,
}

#[derive(Debug)]
struct Slot {
    evicted: AtomicBool,
    evict: Notify,
    /// The slot's key in [`Table::evictable`] (0: not evictable). Changed under the lock.
    ticket: AtomicU64,
    phase: watch::Sender<(Phase, Instant)>,
}

#[derive(Debug, Default)]
struct Table {
    open: usize,
    next_ticket: u64,
    evictable: BTreeMap<u64, Arc<Slot>>,
}

impl Table {
    fn make_evictable(&mut self, slot: &Arc<Slot>) {
        self.next_ticket += 1;
        slot.ticket.store(self.next_ticket, Ordering::Relaxed);
        self.evictable.insert(self.next_ticket, slot.clone());
    }

    fn make_unevictable(&mut self, slot: &Slot) {
        let ticket = slot.ticket.swap(0, Ordering::Relaxed);
        if ticket != 0 {
            self.evictable.remove(&ticket);
        }
    }
}

/// The open connections and their phases.
#[derive(Debug)]
struct Connections {
    table: Mutex<Table>,
    capacity: usize,
    drained: Notify,
    released: Notify,
}

enum Admission {
    Admitted(SlotGuard),
    Refused,
}

impl Connections {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent under every early return, so a poisoned lock's
        // data is still good.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a new connection, evicting the oldest evictable connection when full.
    fn admit(self: &Arc<Self>, state: &AppState) -> Admission {
        let mut table = self.lock();
        if table.open >= self.capacity {
            if table.open >= self.capacity + EVICT_SLACK {
                return Admission::Refused;
            }
            let Some((_, victim)) = table.evictable.pop_first() else {
                return Admission::Refused;
            };
            victim.ticket.store(0, Ordering::Relaxed);
            victim.evicted.store(true, Ordering::Relaxed);
            victim.evict.notify_one();
            state.metrics().record_connection(ConnectionEvent::Evicted);
        }
        table.open += 1;
        let (phase, _) = watch::channel((Phase::Fresh, Instant::now()));
        let slot = Arc::new(Slot {
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
            ticket: AtomicU64::new(0),
            phase,
        });
        table.make_evictable(&slot);
        drop(table);
        state.metrics().record_connection(ConnectionEvent::Opened);
        Admission::Admitted(SlotGuard {
            slot,
            connections: self.clone(),
            state: state.clone(),
        })
    }

    fn set_phase(&self, slot: &Arc<Slot>, phase: Phase) {
        {
            let mut table = self.lock();
            if slot.evicted.load(Ordering::Relaxed) {
                return;
            }
            table.make_unevictable(slot);
            if phase != Phase::Busy {
                table.make_evictable(slot);
            }
        }
        slot.phase.send_replace((phase, Instant::now()));
    }

    fn open(&self) -> usize {
        self.lock().open
    }

    /// Waits until fewer than `capacity + EVICT_SLACK` slots are held, so that evicted
    /// connections close before more are accepted (new ones wait in the listen backlog).
    async fn wait_for_room(&self) {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            if self.open() < self.capacity + EVICT_SLACK {
                return;
            }
            // Bounded, in case a release raced with the check.
            let _ = tokio::time::timeout(Duration::from_millis(100), released).await;
        }
    }

    async fn wait_empty(&self) {
        loop {
            let drained = self.drained.notified();
            tokio::pin!(drained);
            drained.as_mut().enable();
            if self.open() == 0 {
                return;
            }
            drained.await;
        }
    }
}

/// Holds a connection's slot; releases it when the connection's task ends.
struct SlotGuard {
    slot: Arc<Slot>,
    connections: Arc<Connections>,
    state: AppState,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut table = self.connections.lock();
        table.make_unevictable(&self.slot);
        table.open = table.open.saturating_sub(1);
        let empty = table.open == 0;
        drop(table);
        self.state
            .metrics()
            .record_connection(ConnectionEvent::Closed);
        self.connections.released.notify_waiters();
        if empty {
            self.connections.drained.notify_waiters();
        }
    }
}

/// The relay's HTTP/1.1 server over a router.
pub struct Edge {
    shared: Arc<Shared>,
}

struct Shared {
    router: Router,
    state: AppState,
    connections: Arc<Connections>,
    http: hyper::server::conn::http1::Builder,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: EdgeLimits,
    refusing: Arc<Semaphore>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("limits", &self.shared.limits)
            .field("tls", &self.shared.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Edge {
    /// An edge serving `router` (built over `state`) within `limits`, over TLS when
    /// `tls` is given.
    pub fn new(
        router: Router,
        state: AppState,
        limits: EdgeLimits,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Self {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.keep_alive(true)
            .half_close(false)
            .max_headers(MAX_HEADERS)
            .max_header_size(MAX_HEADER_BYTES)
            // The edge enforces its own, per-phase deadlines.
            .header_read_timeout(None)
            // One contiguous buffer per write, so that [`AutoAnswers`] sees hyper's own
            // answers whole.
            .writev(false);
        Self {
            shared: Arc::new(Shared {
                router,
                connections: Arc::new(Connections {
                    table: Mutex::new(Table::default()),
                    capacity: limits.max_connections,
                    drained: Notify::new(),
                    released: Notify::new(),
                }),
                state,
                http,
                tls,
                limits,
                refusing: Arc::new(Semaphore::new(REFUSING_MAX)),
            }),
        }
    }

    /// Accepts connections on `listener` until `shutdown` completes. Then it stops
    /// accepting (the listener is closed), closes idle connections, answers requests still
    /// sending their body, and requests dispatched from then on, with
    /// `503 shutting_down`, lets requests being processed finish (long-polls return at
    /// once), closes each connection after its answer, and returns when none is left or
    /// after the drain timeout.
    pub async fn run(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = self.shared.connections.wait_for_room() => {}
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _peer)) => self.admit(stream),
                    Err(err) => accept_failed(&err).await,
                },
            }
        }
        drop(listener);
        self.shared.state.begin_shutdown();
        let drain = self.shared.connections.wait_empty();
        let _ = tokio::time::timeout(self.shared.limits.drain_timeout, drain).await;
    }

    fn admit(&self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let shared = self.shared.clone();
        match shared.connections.admit(&shared.state) {
            Admission::Admitted(guard) => {
                tokio::spawn(connection(stream, guard, shared));
            }
            Admission::Refused => {
                shared
                    .state
                    .metrics()
                    .record_connection(ConnectionEvent::Refused);
                // A TLS client could not read a plain answer; it is closed at once.
                if shared.tls.is_some() {
                    return;
                }
                if let Ok(permit) = shared.refusing.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(permit);
                    });
                }
            }
        }
    }
}

/// Accept errors concern one connection, except running out of descriptors or memory:
/// then pause briefly instead of spinning.
async fn accept_failed(err: &io::Error) {
    let exhausted = matches!(err.raw_os_error(), Some(code) if code == 23 || code == 24 || code == 105 || code == 12);
    if exhausted {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Answers `503 overloaded` without reading the request, then closes.
async fn refuse(mut stream: TcpStream) {
    let answer = ApiError::OVERLOADED.http1_bytes();
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        // Read what the client sent so that closing does not reset the connection
        // before it reads the answer.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), io::Error>(())
    })
    .await;
}

async fn connection(stream: TcpStream, guard: SlotGuard, shared: Arc<Shared>) {
    let Some(tls) = shared.tls.clone() else {
        drive(stream, &guard, &shared).await;
        return;
    };
    let deadline = Instant::now() + shared.limits.header_read_timeout;
    let mut shutdown = shared.state.shutdown_signal();
    let stream = tokio::select! {
        accepted = tls.accept(stream) => match accepted {
            Ok(stream) => stream,
            Err(_) => return,
        },
        () = guard.slot.evict.notified() => return,
        () = tokio::time::sleep_until(deadline) => {
            shared.state.metrics().record_connection(ConnectionEvent::TimedOut);
            return;
        }
        _ = shutdown.wait_for(|stopping| *stopping) => return,
    };
    drive(stream, &guard, &shared).await;
}

/// Serves HTTP/1.1 on `io` until the connection ends, is evicted, or misses the deadline
/// of its phase.
async fn drive<S>(io: S, guard: &SlotGuard, shared: &Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = ConnService {
        slot: guard.slot.clone(),
        shared: shared.clone(),
    };
    let conn = shared.http.serve_connection(
        TokioIo::new(AutoAnswers::new(io, shared.state.clone())),
        service,
    );
    tokio::pin!(conn);
    let mut phases = guard.slot.phase.subscribe();
    let mut shutdown = shared.state.shutdown_signal();
    let mut draining = false;
    loop {
        if guard.slot.evicted.load(Ordering::Relaxed) {
            return;
        }
        if !draining && *shutdown.borrow_and_update() {
            draining = true;
            conn.as_mut().graceful_shutdown();
        }
        let (phase, since) = *phases.borrow_and_update();
        let limits = &shared.limits;
        let deadline = match phase {
            Phase::Fresh => Some(since + limits.header_read_timeout),
            Phase::Receiving => Some(since + limits.body_read_timeout + BODY_GRACE),
            Phase::Busy => None,
            Phase::Idle => Some(since + limits.idle_timeout),
        };
        tokio::select! {
            _ = conn.as_mut() => return,
            () = guard.slot.evict.notified() => return,
            () = sleep_until_some(deadline) => {
                shared.state.metrics().record_connection(ConnectionEvent::TimedOut);
                return;
            }
            changed = phases.changed() => if changed.is_err() { return },
            changed = shutdown.changed(), if !draining => if changed.is_err() { return },
        }
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The per-connection service: tracks the phase, reads the body, calls the router.
#[derive(Clone)]
struct ConnService {
    slot: Arc<Slot>,
    shared: Arc<Shared>,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<GuardedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let slot = self.slot.clone();
        let shared = self.shared.clone();
        Box::pin(async move {
            shared.connections.set_phase(&slot, Phase::Receiving);
            let idle = IdleOnDrop {
                slot: slot.clone(),
                connections: shared.connections.clone(),
            };
            let response = answer(req, &slot, &shared).await;
            Ok(response.map(|inner| GuardedBody { inner, _idle: idle }))
        })
    }
}

/// An answer that asks hyper to close the connection after it.
fn closing(error: ApiError) -> Response<Body> {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn answer(req: Request<Incoming>, slot: &Arc<Slot>, shared: &Shared) -> Response<Body> {
    let mut shutdown = shared.state.shutdown_signal();
    if *shutdown.borrow_and_update() {
        return closing(ApiError::SHUTTING_DOWN);
    }
    let (parts, body) = req.into_parts();
    let max = shared.limits.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return closing(ApiError::BODY_TOO_LARGE);
    }
    let read = tokio::time::timeout(
        shared.limits.body_read_timeout,
        Limited::new(body, max).collect(),
    );
    let bytes = tokio::select! {
        read = read => match read {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
                return closing(ApiError::BODY_TOO_LARGE);
            }
            Ok(Err(_)) => return closing(ApiError::INVALID_BODY),
            Err(_) => {
                shared.state.metrics().record_connection(ConnectionEvent::BodyTimedOut);
                return closing(ApiError::BODY_TIMEOUT);
            }
        },
        _ = shutdown.wait_for(|stopping| *stopping) => return closing(ApiError::SHUTTING_DOWN),
    };
    shared.connections.set_phase(slot, Phase::Busy);
    let request = Request::from_parts(parts, Body::from(bytes));
    match shared.router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Marks the connection idle when hyper is done with the answer's body.
struct IdleOnDrop {
    slot: Arc<Slot>,
    connections: Arc<Connections>,
}

impl Drop for IdleOnDrop {
    fn drop(&mut self) {
        self.connections.set_phase(&self.slot, Phase::Idle);
    }
}

/// A response body that marks its connection idle once dropped.
struct GuardedBody {
    inner: Body,
    _idle: IdleOnDrop,
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The JSON answer that replaces one of hyper's automatic answers at the start of `buf`,
/// and the length of hyper's answer. hyper answers a request it cannot parse with an
/// empty-bodied 400, 414 or 431 and no content type; the router's answers always have a
/// typed, non-empty body, so they never match.
fn replacement(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    if !buf.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let mut headers = [httparse::EMPTY_HEADER; 8];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head_len) = response.parse(buf).ok()? else {
        return None;
    };
    let error = match response.code? {
        400 => ApiError::MALFORMED_REQUEST,
        414 => ApiError::URI_TOO_LONG,
        431 => ApiError::HEADERS_TOO_LARGE,
        _ => return None,
    };
    let empty = response
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("content-length") && h.value == b"0");
    let typed = response
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("content-type"));
    (empty && !typed).then(|| (error.http1_bytes(), head_len))
}

/// A connection's byte stream, with hyper's automatic answers rewritten to carry a JSON
/// body (see [`replacement`]).
struct AutoAnswers<S> {
    inner: S,
    pending: Option<Pending>,
    state: AppState,
}

struct Pending {
    bytes: Vec<u8>,
    written: usize,
    replaces: usize,
}

impl<S> AutoAnswers<S> {
    fn new(inner: S, state: AppState) -> Self {
        Self {
            inner,
            pending: None,
            state,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for AutoAnswers<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for AutoAnswers<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            if let Some((bytes, replaces)) = replacement(buf) {
                this.state
                    .metrics()
                    .record_connection(ConnectionEvent::AutoAnswered);
                this.pending = Some(Pending {
                    bytes,
                    written: 0,
                    replaces,
                });
            }
        }
        let Some(pending) = this.pending.as_mut() else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while pending.written < pending.bytes.len() {
            let n = ready!(
                Pin::new(&mut this.inner).poll_write(cx, &pending.bytes[pending.written..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            pending.written += n;
        }
        let replaces = pending.replaces;
        this.pending = None;
        Poll::Ready(Ok(replaces))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Loads a PEM certificate chain and private key into a TLS acceptor (rustls with ring,
/// HTTP/1.1 over ALPN).
pub fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, crate::RelayError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls_err =
        |what: &str, err: &dyn std::fmt::Display| crate::RelayError::Tls(format!("{what}: {err}"));
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| tls_err("certificate file", &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err("certificate file", &e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| tls_err("key file", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("protocol versions", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err("certificate", &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_automatic_answers_are_recognized() {
        let auto = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let (bytes, len) = replacement(auto).unwrap();
        assert_eq!(len, auto.len());
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(text.ends_with(
            r#"{"error":"malformed_request","message":"the request is not valid HTTP/1.1"}"#
        ));
        let big = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert!(
            String::from_utf8(replacement(big).unwrap().0)
                .unwrap()
                .contains("headers_too_large")
        );
        // Only the head is replaced when more follows in the same buffer.
        let mut more = auto.to_vec();
        more.extend_from_slice(b"rest");
        assert_eq!(replacement(&more).unwrap().1, auto.len());
    }

    #[test]
    fn the_routers_answers_are_left_alone() {
        for own in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Req",
            b"{\"HTTP/1.1 400\"}",
            b"",
        ] {
            assert!(replacement(own).is_none());
        }
    }
}
