//! Durable deposits per second at N concurrent connections, with one flush per deposit
//! (the baseline) and with group commit, measured in the same run against a relay served
//! in-process on 127.0.0.1:0 over a fresh sled directory each.
//!
//! A second pair of figures submits the same deposits straight to the group-commit writer
//! from N concurrent tasks (no HTTP, no JSON), to show the storage path on its own.
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
    flush_seconds: f64,
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
    let flush_seconds_before = state.metrics().flush_seconds();
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let flushes = state.metrics().flushes() - flushes_before;
    let flush_seconds = state.metrics().flush_seconds() - flush_seconds_before;
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
        flush_seconds,
    }
}

/// The same deposits submitted straight to the writer by `connections` tasks.
async fn measure_writer(max_batch: usize, options: &Options) -> Outcome {
    use corridor_relay::data::{self, MailboxCaps};
    use corridor_relay::writer::{Op, Writer};
    let dir = tempfile::Builder::new()
        .prefix("corridor-bench-")
        .tempdir_in(&options.dir)
        .unwrap();
    let store: Arc<dyn corridor_relay::Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let metrics = Arc::new(corridor_relay::metrics::Metrics::new());
    let caps = MailboxCaps {
        max_messages: u64::MAX,
        max_bytes: u64::MAX,
        max_mailboxes: u64::MAX,
        max_bundles: u64::MAX,
        bundle_one_time_per_hour: u32::MAX,
    };
    let writer = Writer::start(
        store.clone(),
        caps,
        max_batch,
        Arc::new(corridor_relay::waiters::Waiters::default()),
        metrics.clone(),
    )
    .unwrap();
    let mut mailboxes = Vec::new();
    for i in 0..options.connections {
        let read_id = [
            (i % 256) as u8,
            (i / 256) as u8,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
        ];
        let deposit_id = [
            (i % 256) as u8,
            (i / 256) as u8,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
        ];
        data::create_mailbox(store.as_ref(), &read_id, &deposit_id, &[0; 32], &[0; 32]).unwrap();
        mailboxes.push(corridor_relay::layout::mailbox_key(&read_id));
    }
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for mailbox in mailboxes {
        let (writer, counting, stop, count) = (
            writer.clone(),
            counting.clone(),
            stop.clone(),
            count.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                writer
                    .submit(Op::Deposit {
                        mailbox,
                        hour: 0,
                        envelope: vec![0x5a; corridor_wire::ENVELOPE_SIZE],
                    })
                    .await
                    .unwrap();
                if counting.load(Ordering::Relaxed) {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let flushes_before = metrics.flushes();
    let flush_seconds_before = metrics.flush_seconds();
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let flushes = metrics.flushes() - flushes_before;
    let flush_seconds = metrics.flush_seconds() - flush_seconds_before;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    writer.stop().await;
    Outcome {
        deposits: count.load(Ordering::Relaxed),
        elapsed,
        flushes,
        flush_seconds,
    }
}

fn report(name: &str, outcome: &Outcome) -> f64 {
    let rate = outcome.deposits as f64 / outcome.elapsed.as_secs_f64();
    println!(
        "{name:>30}: {rate:>9.0} deposits/s ({} deposits, {} flushes, {:.1} deposits per flush, {:.2} ms per flush)",
        outcome.deposits,
        outcome.flushes,
        outcome.deposits as f64 / outcome.flushes.max(1) as f64,
        outcome.flush_seconds * 1000.0 / outcome.flushes.max(1) as f64
    );
    rate
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
    println!("over HTTP (relay in-process on 127.0.0.1:0, reqwest clients):");
    let baseline = report("one flush per deposit", &measure(1, &options).await);
    let grouped = report("group commit", &measure(512, &options).await);
    println!(
        "group commit / one flush per deposit = {:.2}x (HTTP)",
        grouped / baseline
    );
    println!("straight to the writer (no HTTP):");
    let baseline_w = report("one flush per deposit", &measure_writer(1, &options).await);
    let grouped_w = report("group commit", &measure_writer(512, &options).await);
    println!(
        "group commit / one flush per deposit = {:.2}x (writer)",
        grouped_w / baseline_w
    );
}
