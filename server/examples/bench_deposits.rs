//! Durable deposits per second at N concurrent connections, with one flush per deposit
//! (the baseline) and with group commit, measured in the same run against a relay served
//! in-process on 127.0.0.1:0 over a fresh sled directory each.
//!
//! ```sh
//! cargo run --release -p corridor-relay --example bench_deposits -- [--connections 64] [--seconds 5] [--dir DIR]
//! ```
//!
//! `--dir` must be on the disk you care about (not tmpfs, where fsync costs nothing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_relay::config::OperatorTokens;
use corridor_relay::{AppState, Config, SledStore, SystemClock};
use corridor_wire::api::{Admission, CreateMailboxRequest, CreateMailboxResponse, DepositRequest};
use corridor_wire::b64::{Blob, Bytes};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";

struct Options {
    connections: usize,
    seconds: u64,
    dir: std::path::PathBuf,
}

fn options() -> Options {
    let mut options = Options {
        connections: 64,
        seconds: 5,
        dir: std::env::temp_dir(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--connections" => options.connections = value.parse().expect("a number"),
            "--seconds" => options.seconds = value.parse().expect("a number"),
            "--dir" => options.dir = value.into(),
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

struct Outcome {
    deposits: u64,
    elapsed: Duration,
    flushes: u64,
}

async fn measure(max_batch: usize, options: &Options) -> Outcome {
    let dir = tempfile::Builder::new()
        .prefix("corridor-bench-")
        .tempdir_in(&options.dir)
        .unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        operator_tokens: OperatorTokens(vec![TOKEN.into()]),
        group_commit_max_batch: max_batch,
        rate_limit_per_sec: u32::MAX / 4,
        rate_limit_burst: u32::MAX / 4,
        max_messages_per_mailbox: u64::MAX,
        max_bytes_per_mailbox: u64::MAX,
        max_concurrent_requests: 100_000,
        ..Config::default()
    };
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let state = AppState::new(config, store, Arc::new(SystemClock)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(corridor_relay::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));

    let mut mailboxes = Vec::new();
    let http = reqwest::Client::new();
    for i in 0..options.connections {
        let owner = ed25519_dalek::SigningKey::from_bytes(&[(i % 250) as u8 + 1; 32]);
        let created: CreateMailboxResponse = http
            .post(format!("{base}/v1/mailboxes"))
            .json(&CreateMailboxRequest {
                auth_key: Bytes(owner.verifying_key().to_bytes()),
                admission: Admission::Token {
                    token: TOKEN.into(),
                },
            })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        mailboxes.push(created);
    }

    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for mailbox in mailboxes {
        let (base, counting, stop, count) =
            (base.clone(), counting.clone(), stop.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            // One client per task: one keep-alive connection each.
            let client = reqwest::Client::new();
            let body = serde_json::to_vec(&DepositRequest {
                deposit_id: mailbox.deposit_id,
                credential: mailbox.deposit_credential,
                envelope: Blob(vec![0x5a; corridor_wire::ENVELOPE_SIZE]),
            })
            .unwrap();
            while !stop.load(Ordering::Relaxed) {
                let resp = client
                    .post(format!("{base}/v1/mailboxes/deposit"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                if counting.load(Ordering::Relaxed) {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Warm up, then count for the measured window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let flushes_before = state.metrics().flushes();
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let flushes = state.metrics().flushes() - flushes_before;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let _ = stop_server.send(());
    server.await.unwrap().unwrap();
    Outcome {
        deposits: count.load(Ordering::Relaxed),
        elapsed,
        flushes,
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    println!(
        "durable 4 KiB deposits, {} concurrent connections, {} s per mode, data under {}",
        options.connections,
        options.seconds,
        options.dir.display()
    );
    let mut rates = Vec::new();
    for (name, max_batch) in [("one flush per deposit", 1), ("group commit", 512)] {
        let outcome = measure(max_batch, &options).await;
        let rate = outcome.deposits as f64 / outcome.elapsed.as_secs_f64();
        println!(
            "{name:>22}: {rate:>9.0} deposits/s ({} deposits, {} flushes, {:.1} deposits per flush)",
            outcome.deposits,
            outcome.flushes,
            outcome.deposits as f64 / outcome.flushes.max(1) as f64
        );
        rates.push(rate);
    }
    println!(
        "group commit / one flush per deposit = {:.2}x",
        rates[1] / rates[0]
    );
}
