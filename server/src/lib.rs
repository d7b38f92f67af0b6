//! Corridor relay library: the HTTP service behind the `corridor-relay` binary.
//!
//! The relay stores and forwards fixed-size opaque envelopes under random mailbox ids and
//! learns nothing about who anyone is. The API contract is the `corridor-wire` crate; the
//! endpoints, errors and limits are in `docs/relay-api.md`, the operator's view in
//! `docs/operators.md`.
//!
//! Entry points:
//!
//! - [`run`]: open the configured storage engine (sled in the data directory, or a
//!   PostgreSQL database several instances share) and serve on a listener until a
//!   shutdown future completes (what the binary does);
//! - [`serve`]: the same over an [`AppState`] the caller built (any store, any clock);
//! - [`app`]: the bare [`axum::Router`], for handler tests with `tower::ServiceExt::oneshot`.
#![forbid(unsafe_code)]

pub mod admission;
pub mod clock;
pub mod config;
pub mod data;
pub mod edge;
pub mod error;
pub mod extract;
mod handlers;
pub mod layout;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod postgres;
pub mod replay;
pub mod state;
pub mod store;
pub mod waiters;
pub mod writer;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Args, Config};
pub use state::AppState;
pub use store::{MemoryStore, SledStore, Store};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use handlers::{bundle, mailbox, misc};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The text that starts the one log line announcing the bound address; the address
/// follows it as `http://IP:PORT` or `https://IP:PORT`, then `, data in DIR`.
pub const LISTENING_PREFIX: &str = "corridor-relay listening on ";

/// Why the relay could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// Socket or file-system failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The store could not be opened.
    #[error("store error: {0}")]
    Store(#[from] store::StoreError),
    /// The configuration is invalid.
    #[error("configuration error: {0}")]
    Config(#[from] config::ConfigError),
    /// The TLS certificate or key could not be loaded.
    #[error("tls error: {0}")]
    Tls(String),
    /// The operating system's random generator failed.
    #[error("random generator unavailable")]
    Random,
}

/// The relay's router over `state`: every endpoint, the limits and the JSON fallbacks.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/challenge", get(misc::challenge))
        .route("/v1/mailboxes", post(mailbox::create))
        .route("/v1/mailboxes/deposit", post(mailbox::deposit))
        .route("/v1/mailboxes/fetch", post(mailbox::fetch))
        .route("/v1/mailboxes/ack", post(mailbox::ack))
        .route("/v1/mailboxes/destroy", post(mailbox::destroy))
        .route("/v1/bundles", post(bundle::publish))
        .route("/v1/bundles/fetch", post(bundle::fetch))
        .route("/v1/bundles/delete", post(bundle::delete))
        .route("/v1/openapi.json", get(misc::openapi))
        .route_layer(from_fn_with_state(state.clone(), limits::limit));
    let max_body = state.config().max_body_bytes;
    Router::new()
        .merge(api)
        .route("/healthz", get(misc::healthz))
        .route("/metrics", get(misc::metrics))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), limits::measure))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Opens the configured storage engine (the sled store in `config.data_dir`, creating it,
/// or the PostgreSQL database at `config.database_url`, migrating it) and serves on
/// `listener` until `shutdown` completes; then finishes in-flight requests, flushes and
/// returns.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    config.validate()?;
    if config.storage == config::Storage::Postgres {
        let state = AppState::postgres(config, Arc::new(SystemClock)).await?;
        return serve(listener, state, shutdown).await;
    }
    std::fs::create_dir_all(&config.data_dir)?;
    // Only the relay's user may read its data.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let store = SledStore::open_with(
        &config.data_dir,
        store::SledOptions {
            cache_bytes: config.store_cache_bytes,
            compact: config.compact_on_start,
        },
    )?;
    let state = AppState::new(config, Arc::new(store), Arc::new(SystemClock))?;
    serve(listener, state, shutdown).await
}

/// Serves `state` on `listener` until `shutdown` completes, with the periodic expiry
/// sweep, through the connection-hygiene layer of [`edge`]; then wakes long-polls,
/// finishes in-flight requests ([`edge::Edge::run`] says exactly what happens to each
/// connection), stops the writer (flushing everything) and returns. Logs one line starting
/// with [`LISTENING_PREFIX`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    let addr = listener.local_addr()?;
    let config = state.config().clone();
    if config.request_timeout_secs <= u64::from(config.max_wait_secs) {
        tracing::warn!(
            "request_timeout_secs ({}) is not above max_wait_secs ({}): long-polls will be \
             answered 408",
            config.request_timeout_secs,
            config.max_wait_secs
        );
    }
    let limits = edge::EdgeLimits::for_config(&config)?;
    let (scheme, tls) = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => ("https", Some(edge::tls_acceptor(cert, key)?)),
        _ => ("http", None),
    };
    let sweeper = tokio::spawn(sweep_periodically(state.clone()));
    let stopping = state.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        stopping.begin_shutdown();
    };
    let data = match (&config.storage, &config.database_url) {
        (config::Storage::Postgres, Some(url)) => format!("postgres {}", url.redacted()),
        _ => config.data_dir.display().to_string(),
    };
    tracing::info!(
        "{LISTENING_PREFIX}{scheme}://{addr}, data in {data}, at most {} connections (open-file \
         limit {})",
        limits.max_connections,
        limits
            .open_file_limit
            .map_or_else(|| "unknown".to_owned(), |l| l.to_string())
    );
    edge::Edge::new(app(state.clone()), state.clone(), limits, tls)
        .run(listener, shutdown)
        .await;
    sweeper.abort();
    state.close().await;
    tracing::info!("stopped; every acknowledged write is on disk");
    Ok(())
}

async fn sweep_periodically(state: AppState) {
    let mut interval =
        tokio::time::interval(Duration::from_secs(state.config().sweep_interval_secs));
    loop {
        interval.tick().await;
        match state.sweep().await {
            Ok(n) if n > 0 => tracing::info!("expired {n} undelivered messages"),
            Ok(_) => {}
            Err(err) => tracing::warn!("expiry sweep failed: {}", err.code),
        }
    }
}
