//! Prometheus metrics: counts and latencies per endpoint, nothing per mailbox.
//!
//! Rendered by hand in the text exposition format from atomic counters.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The endpoints metrics are kept for (the router's paths); anything else is `other`.
pub const ENDPOINTS: &[&str] = &[
    "/v1/challenge",
    "/v1/mailboxes",
    "/v1/mailboxes/deposit",
    "/v1/mailboxes/fetch",
    "/v1/mailboxes/ack",
    "/v1/mailboxes/destroy",
    "/v1/bundles",
    "/v1/bundles/fetch",
    "/v1/bundles/delete",
    "/v1/openapi.json",
    "/healthz",
    "/metrics",
    "other",
];

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

const CLASSES: &[&str] = &["2xx", "4xx", "5xx", "other"];

#[derive(Debug, Default)]
struct Histogram {
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Self {
            buckets: BUCKETS.iter().map(|_| AtomicU64::new(0)).collect(),
            ..Default::default()
        }
    }

    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// The relay's counters.
#[derive(Debug)]
pub struct Metrics {
    responses: Vec<[AtomicU64; 4]>,
    latency: Vec<Histogram>,
    flushes: AtomicU64,
    flushed_ops: AtomicU64,
    flush_latency: Histogram,
    rejected_rate: AtomicU64,
    rejected_overload: AtomicU64,
    timeouts: AtomicU64,
    edge: EdgeCounters,
}

/// Connection-level counters of the HTTP edge ([`crate::edge`]).
#[derive(Debug, Default)]
struct EdgeCounters {
    open: AtomicU64,
    accepted: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
    timed_out: AtomicU64,
    body_timeouts: AtomicU64,
    auto_answers: AtomicU64,
}

/// What happened to a connection, for [`Metrics::record_connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Accepted and given a slot.
    Opened,
    /// Its slot was released (closed for any reason).
    Closed,
    /// Closed to make room for a new connection (it was the oldest without a request in
    /// progress).
    Evicted,
    /// Answered 503 (or closed) at once: every slot held a request in progress.
    Refused,
    /// Closed by the header-read or idle timeout.
    TimedOut,
    /// A request answered 408 because its body did not arrive in time.
    BodyTimedOut,
    /// One of hyper's own answers to a malformed request, given a JSON body.
    AutoAnswered,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Zeroed counters.
    pub fn new() -> Self {
        Self {
            responses: ENDPOINTS.iter().map(|_| Default::default()).collect(),
            latency: ENDPOINTS.iter().map(|_| Histogram::new()).collect(),
            flushes: AtomicU64::new(0),
            flushed_ops: AtomicU64::new(0),
            flush_latency: Histogram::new(),
            rejected_rate: AtomicU64::new(0),
            rejected_overload: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            edge: EdgeCounters::default(),
        }
    }

    /// Records a connection event of the HTTP edge.
    pub fn record_connection(&self, event: ConnectionEvent) {
        let edge = &self.edge;
        let counter = match event {
            ConnectionEvent::Opened => {
                edge.open.fetch_add(1, Ordering::Relaxed);
                &edge.accepted
            }
            ConnectionEvent::Closed => {
                // Saturating: a gauge never wraps below zero.
                let _ = edge
                    .open
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_sub(1))
                    });
                return;
            }
            ConnectionEvent::Evicted => &edge.evicted,
            ConnectionEvent::Refused => &edge.refused,
            ConnectionEvent::TimedOut => &edge.timed_out,
            ConnectionEvent::BodyTimedOut => &edge.body_timeouts,
            ConnectionEvent::AutoAnswered => &edge.auto_answers,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Client connections open now.
    pub fn open_connections(&self) -> u64 {
        self.edge.open.load(Ordering::Relaxed)
    }

    fn index(path: &str) -> usize {
        ENDPOINTS
            .iter()
            .position(|p| *p == path)
            .unwrap_or(ENDPOINTS.len() - 1)
    }

    /// Records one answered request.
    pub fn record_request(&self, path: &str, status: u16, elapsed: Duration) {
        let i = Self::index(path);
        let class = match status {
            200..=299 => 0,
            400..=499 => 1,
            500..=599 => 2,
            _ => 3,
        };
        if let Some(counters) = self.responses.get(i) {
            counters[class].fetch_add(1, Ordering::Relaxed);
        }
        if let Some(histogram) = self.latency.get(i) {
            histogram.observe(elapsed);
        }
    }

    /// Records one group-commit flush covering `ops` operations.
    pub fn record_flush(&self, ops: usize, elapsed: Duration) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flushed_ops.fetch_add(ops as u64, Ordering::Relaxed);
        self.flush_latency.observe(elapsed);
    }

    /// Counts a request refused by the rate limit.
    pub fn record_rate_limited(&self) {
        self.rejected_rate.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request refused by the concurrency limit.
    pub fn record_overloaded(&self) {
        self.rejected_overload.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request that hit the request timeout.
    pub fn record_timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Flushes so far (for tests and the benchmark).
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Total seconds spent in group-commit flushes.
    pub fn flush_seconds(&self) -> f64 {
        self.flush_latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// Operations covered by those flushes.
    pub fn flushed_ops(&self) -> u64 {
        self.flushed_ops.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP corridor_requests_total Answered requests by endpoint and status class.\n",
        );
        out.push_str("# TYPE corridor_requests_total counter\n");
        for (path, counters) in ENDPOINTS.iter().zip(&self.responses) {
            for (class, counter) in CLASSES.iter().zip(counters) {
                let _ = writeln!(
                    out,
                    "corridor_requests_total{{endpoint=\"{path}\",status=\"{class}\"}} {}",
                    counter.load(Ordering::Relaxed)
                );
            }
        }
        out.push_str("# HELP corridor_request_duration_seconds Request latency by endpoint.\n");
        out.push_str("# TYPE corridor_request_duration_seconds histogram\n");
        for (path, histogram) in ENDPOINTS.iter().zip(&self.latency) {
            histogram.render(
                &mut out,
                "corridor_request_duration_seconds",
                &format!("endpoint=\"{path}\""),
            );
        }
        let counters = [
            (
                "corridor_flushes_total",
                "Group-commit flushes.",
                &self.flushes,
            ),
            (
                "corridor_flushed_operations_total",
                "Write operations covered by group-commit flushes.",
                &self.flushed_ops,
            ),
            (
                "corridor_rate_limited_total",
                "Requests refused by the rate limit.",
                &self.rejected_rate,
            ),
            (
                "corridor_overloaded_total",
                "Requests refused by the concurrency limit.",
                &self.rejected_overload,
            ),
            (
                "corridor_timeouts_total",
                "Requests that hit the request timeout.",
                &self.timeouts,
            ),
            (
                "corridor_connections_accepted_total",
                "Client connections accepted.",
                &self.edge.accepted,
            ),
            (
                "corridor_connections_evicted_total",
                "Connections closed to make room: the oldest without a request in progress.",
                &self.edge.evicted,
            ),
            (
                "corridor_connections_refused_total",
                "Connections refused at once because every slot held a request in progress.",
                &self.edge.refused,
            ),
            (
                "corridor_connections_timed_out_total",
                "Connections closed by the header-read or idle timeout.",
                &self.edge.timed_out,
            ),
            (
                "corridor_body_timeouts_total",
                "Requests answered 408 because the body did not arrive in time.",
                &self.edge.body_timeouts,
            ),
            (
                "corridor_malformed_requests_total",
                "Malformed requests answered by the HTTP parser (400, 414, 431).",
                &self.edge.auto_answers,
            ),
        ];
        for (name, help, counter) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP corridor_connections_open Client connections open now.\n\
             # TYPE corridor_connections_open gauge\n\
             corridor_connections_open {}",
            self.open_connections()
        );
        out.push_str(
            "# HELP corridor_flush_duration_seconds Duration of one group-commit flush.\n",
        );
        out.push_str("# TYPE corridor_flush_duration_seconds histogram\n");
        self.flush_latency
            .render(&mut out, "corridor_flush_duration_seconds", "");
        out
    }
}
