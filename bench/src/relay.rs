//! `corridor-bench relay`: a real `corridor-relay` process (sled) over loopback, driven by
//! N concurrent connections, against two bare axum baselines driven by the same generator
//! in the same run: one POST handler that discards the body, and one that inserts the body
//! into sled and flushes before answering.
//!
//! Phases (each for the same wall time): relay deposits (durable deposits/s, the figure
//! held against the baselines), the relay's full deposit → fetch → acknowledge cycle, and
//! the two baselines with the same 4 KiB envelope bodies. Latency per request in an HDR
//! histogram (p50 / p99 / p999). Bytes the relay process wrote to disk
//! (`/proc/<pid>/io` `write_bytes`) per stored envelope.

use anyhow::{Context, anyhow};
use axum::Router;
use axum::routing::post;
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use ed25519_dalek::{Signer, SigningKey};
use hdrhistogram::Histogram;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TOKEN: &str = "corridor-bench-operator-token";
const LISTENING: &str = "corridor-relay listening on ";

/// A relay process, killed when dropped.
struct Relay {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn relay_binary() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .ok_or_else(|| anyhow!("no directory for the bench binary"))?
        .join("corridor-relay");
    if !path.exists() {
        return Err(anyhow!(
            "{} is missing: build it first with `cargo build --release -p corridor-relay` \
             (same profile as this binary)",
            path.display()
        ));
    }
    Ok(path)
}

fn start_relay() -> anyhow::Result<Relay> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(relay_binary()?)
        .args(["--listen", "127.0.0.1:0", "--log", "info"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--rate-limit-per-sec",
            "100000000",
            "--rate-limit-burst",
            "100000000",
            "--max-messages-per-mailbox",
            "100000000",
            "--max-bytes-per-mailbox",
            "1000000000000",
        ])
        .env("CORRIDOR_RELAY_OPERATOR_TOKENS", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting corridor-relay")?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow!("no stderr pipe"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split(LISTENING).nth(1) {
                let url = rest
                    .split([',', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let _ = tx.send(url);
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .map_err(|_| anyhow!("the relay did not announce its address"))?;
    Ok(Relay {
        child,
        url,
        _dir: dir,
    })
}

fn write_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
}

static NONCE: AtomicU64 = AtomicU64::new(1);

fn signed(owner: &SigningKey, transcript: impl Fn(u64, &[u8; 16]) -> Vec<u8>) -> SignedAuth {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&NONCE.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    nonce[8..12].copy_from_slice(&std::process::id().to_be_bytes());
    let signature = owner.sign(&transcript(timestamp, &nonce)).to_bytes();
    SignedAuth {
        timestamp,
        nonce: Bytes(nonce),
        signature: Bytes(signature),
    }
}

/// An incompressible 4 KiB envelope (like real ciphertext).
fn envelope(seed: u64) -> Blob {
    let mut state = seed | 1;
    Blob(
        (0..corridor_wire::ENVELOPE_SIZE)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect(),
    )
}

/// What one phase measured.
struct Figures {
    /// Operations (deposits, cycles or baseline POSTs) per second.
    per_sec: f64,
    ops: u64,
    latency: Histogram<u64>,
}

impl Figures {
    fn print(&self, name: &str) {
        println!(
            "{name:<34} {:>9.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  p999 {:>7.2} ms  ({} ops)",
            self.per_sec,
            self.latency.value_at_quantile(0.50) as f64 / 1000.0,
            self.latency.value_at_quantile(0.99) as f64 / 1000.0,
            self.latency.value_at_quantile(0.999) as f64 / 1000.0,
            self.ops
        );
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Work {
    /// A POST of a deposit body to `path`, nothing else.
    Post,
    /// deposit → fetch → acknowledge; latency per request.
    Cycle,
}

/// The generator: `connections` tasks, each with its own mailbox, for `duration`.
async fn drive(
    base: &str,
    path: &str,
    connections: usize,
    duration: Duration,
    work: Work,
    mailboxes: &[(SigningKey, CreateMailboxResponse)],
) -> anyhow::Result<Figures> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(60))
        .build()?;
    let stop_at = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (owner, mb)) in mailboxes.iter().take(connections).enumerate() {
        let (http, owner, mb) = (http.clone(), owner.clone(), mb.clone());
        let url = format!("{base}{path}");
        let base = base.to_string();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
            let mut ops = 0u64;
            let body = serde_json::to_vec(&DepositRequest {
                deposit_id: mb.deposit_id,
                credential: mb.deposit_credential,
                envelope: envelope(i as u64 + 1),
            })?;
            while Instant::now() < stop_at {
                let t = Instant::now();
                let resp = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                let status = resp.status();
                let _ = resp.bytes().await?;
                if !status.is_success() {
                    return Err(anyhow!("deposit answered {status}"));
                }
                hist.record(t.elapsed().as_micros() as u64)?;
                if work == Work::Cycle {
                    let read_id = mb.read_id;
                    let t = Instant::now();
                    let fetch = FetchRequest {
                        read_id,
                        wait_secs: 0,
                        auth: signed(&owner, |ts, n| FetchRequest::transcript(&read_id, 0, ts, n)),
                    };
                    let got: FetchResponse = http
                        .post(format!("{base}/v1/mailboxes/fetch"))
                        .json(&fetch)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    hist.record(t.elapsed().as_micros() as u64)?;
                    let seqs: Vec<u64> = got.messages.iter().map(|m| m.seq).collect();
                    let t = Instant::now();
                    let ack = AckRequest {
                        read_id,
                        seqs: seqs.clone(),
                        auth: signed(&owner, |ts, n| {
                            AckRequest::transcript(&read_id, &seqs, ts, n)
                        }),
                    };
                    http.post(format!("{base}/v1/mailboxes/ack"))
                        .json(&ack)
                        .send()
                        .await?
                        .error_for_status()?;
                    hist.record(t.elapsed().as_micros() as u64)?;
                }
                ops += 1;
            }
            anyhow::Ok((ops, hist))
        }));
    }
    let mut latency = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    let mut ops = 0;
    for task in tasks {
        let (n, hist) = task.await??;
        ops += n;
        latency.add(&hist)?;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(Figures {
        per_sec: ops as f64 / secs,
        ops,
        latency,
    })
}

async fn mailboxes(
    base: &str,
    n: usize,
) -> anyhow::Result<Vec<(SigningKey, CreateMailboxResponse)>> {
    let http = reqwest::Client::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
        let owner = SigningKey::from_bytes(&seed);
        let mb: CreateMailboxResponse = http
            .post(format!("{base}/v1/mailboxes"))
            .json(&CreateMailboxRequest {
                auth_key: Bytes(owner.verifying_key().to_bytes()),
                admission: Admission::Token {
                    token: TOKEN.into(),
                },
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        out.push((owner, mb));
    }
    Ok(out)
}

/// Serves `router` on 127.0.0.1:0 in this process; returns its base URL.
async fn serve(router: Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

/// Runs the benchmark and prints its figures and ratios.
pub(crate) fn run(quick: bool, connections: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(quick, connections))
}

async fn run_async(quick: bool, connections: usize) -> anyhow::Result<()> {
    let duration = Duration::from_secs(if quick { 1 } else { 10 });
    let connections = connections.max(1);
    println!(
        "relay: {connections} connections, 4 KiB envelopes, {} s per phase",
        duration.as_secs()
    );

    // The relay (sled), deposits then the full cycle.
    let relay = start_relay()?;
    let boxes = mailboxes(&relay.url, connections).await?;
    let pid = relay.child.id();
    let before = write_bytes(pid);
    let deposits = drive(
        &relay.url,
        "/v1/mailboxes/deposit",
        connections,
        duration,
        Work::Post,
        &boxes,
    )
    .await?;
    let after = write_bytes(pid);
    deposits.print("relay deposits (durable)");
    match (before, after) {
        (Some(b), Some(a)) if deposits.ops > 0 => {
            let per = (a.saturating_sub(b)) as f64 / deposits.ops as f64;
            println!(
                "relay disk writes: {per:.0} bytes per stored 4096-byte envelope ({:.2}x)",
                per / corridor_wire::ENVELOPE_SIZE as f64
            );
        }
        _ => println!("relay disk writes: /proc/<pid>/io not readable here"),
    }
    let cycle = drive(
        &relay.url,
        "/v1/mailboxes/deposit",
        connections,
        duration,
        Work::Cycle,
        &boxes,
    )
    .await?;
    cycle.print("relay deposit+fetch+ack cycles");
    drop(relay);

    // Baseline (a): a bare axum handler that discards the body.
    let discard = serve(Router::new().route(
        "/v1/mailboxes/deposit",
        post(|_body: axum::body::Bytes| async { "{}" }),
    ))
    .await?;
    let bare = drive(
        &discard,
        "/v1/mailboxes/deposit",
        connections,
        duration,
        Work::Post,
        &boxes,
    )
    .await?;
    bare.print("bare axum, body discarded");

    // Baseline (b): a bare axum handler that inserts into sled and flushes per request.
    let dir = tempfile::tempdir()?;
    let db = sled::open(dir.path())?;
    let counter = Arc::new(AtomicU64::new(0));
    let flushing = serve(Router::new().route(
        "/v1/mailboxes/deposit",
        post(move |body: axum::body::Bytes| {
            let (db, counter) = (db.clone(), counter.clone());
            async move {
                let key = counter.fetch_add(1, Ordering::Relaxed).to_be_bytes();
                // sled's blocking calls on a blocking thread (flush_async stalled the
                // runtime here).
                let stored = tokio::task::spawn_blocking(move || {
                    db.insert(key, body.as_ref())?;
                    db.flush()
                })
                .await;
                match stored {
                    Ok(Ok(_)) => (axum::http::StatusCode::OK, "{}"),
                    _ => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "{}"),
                }
            }
        }),
    ))
    .await?;
    let sled_flush = drive(
        &flushing,
        "/v1/mailboxes/deposit",
        connections,
        duration,
        Work::Post,
        &boxes,
    )
    .await?;
    sled_flush.print("bare axum + sled insert + flush");

    println!(
        "ratio: {:.3}  relay durable deposits / bare axum + sled flush per request (target >= 2)",
        deposits.per_sec / sled_flush.per_sec
    );
    println!(
        "ratio: {:.3}  relay durable deposits / bare axum discarding the body (target >= 0.5)",
        deposits.per_sec / bare.per_sec
    );
    println!(
        "relay deposit p99: {:.2} ms (target <= 10 ms)",
        deposits.latency.value_at_quantile(0.99) as f64 / 1000.0
    );
    Ok(())
}
