//! Request rate, concurrency and time limits, as one middleware that answers each refusal
//! with a JSON error and records per-endpoint counts and latencies.
//!
//! The rate limit is global (all clients together): the relay does not look at client
//! addresses, so it cannot limit per client. Operators who want per-address limits can set
//! them in their reverse proxy.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token bucket plus a concurrency semaphore.
#[derive(Debug)]
pub struct Limiter {
    bucket: Mutex<Bucket>,
    rate: f64,
    burst: f64,
    in_flight: Arc<Semaphore>,
    timeout: Duration,
}

impl Limiter {
    /// `rate` requests per second sustained, `burst` extra, `concurrent` at once, each
    /// answered within `timeout`.
    pub fn new(rate: u32, burst: u32, concurrent: usize, timeout: Duration) -> Self {
        let capacity = f64::from(rate) + f64::from(burst);
        Self {
            bucket: Mutex::new(Bucket {
                tokens: capacity,
                last: Instant::now(),
            }),
            rate: f64::from(rate),
            burst: capacity,
            in_flight: Arc::new(Semaphore::new(concurrent)),
            timeout,
        }
    }

    fn take(&self) -> bool {
        let Ok(mut bucket) = self.bucket.lock() else {
            return false;
        };
        let now = Instant::now();
        let refill = now.duration_since(bucket.last).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Applies the rate, concurrency and time limits to `/v1` requests.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limiter = state.limiter();
    if !limiter.take() {
        state.metrics().record_rate_limited();
        return ApiError::RATE_LIMITED.into_response();
    }
    let Ok(_permit) = limiter.in_flight.clone().try_acquire_owned() else {
        state.metrics().record_overloaded();
        return ApiError::OVERLOADED.into_response();
    };
    match tokio::time::timeout(limiter.timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            state.metrics().record_timeout();
            ApiError::TIMEOUT.into_response()
        }
    }
}

/// Records each request's endpoint, status class and latency.
pub(crate) async fn measure(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "other".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    state
        .metrics()
        .record_request(&path, response.status().as_u16(), started.elapsed());
    response
}
