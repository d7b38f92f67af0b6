//! Crashes with the PostgreSQL engine: two real `corridor-relay` processes on one throwaway
//! cluster, under load (depositors through both, a reader fetching and acknowledging
//! through both), and in each round one of them killed with SIGKILL, or, once, the
//! database server itself stopped like a crash (`pg_ctl stop -m immediate`) and started
//! again. Afterwards every deposit answered 200 must still be fetched (none lost), and no
//! envelope may come back after its acknowledgement was answered 200, nor under two
//! sequence numbers (none delivered twice).
// Test code: a failed step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/pg_cluster.rs"]
mod pg_cluster;
mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess};
use corridor_wire::api::{CreateMailboxResponse, ReadId};
use ed25519_dalek::SigningKey;
use pg_cluster::PgCluster;
use relay_support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEPOSITORS: usize = 6;
/// What each round crashes.
const ROUNDS: [Crash; 4] = [Crash::A, Crash::B, Crash::Database, Crash::A];

#[derive(Clone, Copy, Debug)]
enum Crash {
    A,
    B,
    Database,
}

fn options(url: &str) -> RelayOptions {
    RelayOptions {
        extra_args: [
            "--rate-limit-per-sec",
            "1000000",
            "--max-messages-per-mailbox",
            "10000000",
            "--max-bytes-per-mailbox",
            "100000000000",
            // While the database is down a request waits for a connection; answered 408
            // after 3 s instead of holding a depositor for the default 40 s.
            "--request-timeout-secs",
            "3",
            "--max-wait-secs",
            "1",
        ]
        .map(String::from)
        .to_vec(),
        env: vec![
            ("CORRIDOR_RELAY_STORAGE".into(), "postgres".into()),
            ("CORRIDOR_RELAY_DATABASE_URL".into(), url.into()),
        ],
        ..RelayOptions::default()
    }
}

/// What the reader saw, over all rounds.
#[derive(Default)]
struct Seen {
    /// Envelope id → every sequence number it was handed out under.
    seqs: BTreeMap<u64, BTreeSet<u64>>,
    /// Ids whose acknowledgement was answered 200.
    acked: BTreeSet<u64>,
    /// Ids handed out again after their acknowledgement was answered 200.
    after_ack: Vec<u64>,
}

impl Seen {
    fn record(&mut self, batch: &[(u64, u64)]) {
        for (seq, id) in batch {
            if self.acked.contains(id) {
                self.after_ack.push(*id);
            }
            self.seqs.entry(*id).or_default().insert(*seq);
        }
    }
}

/// Fetches and acknowledges through `client` until the mailbox is empty, retrying while
/// the relay or the database is not answering (up to `patience`).
async fn drain(
    client: &Client,
    owner: &SigningKey,
    read_id: &ReadId,
    seen: &mut Seen,
    patience: Duration,
) {
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < patience, "the relay did not come back");
        let Some(batch) = try_fetch(client, owner, read_id).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if batch.is_empty() {
            return;
        }
        seen.record(&batch);
        let seqs: Vec<u64> = batch.iter().map(|(seq, _)| *seq).collect();
        if try_ack(client, owner, read_id, &seqs).await {
            seen.acked.extend(batch.iter().map(|(_, id)| *id));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_of_instances_and_a_database_crash_lose_no_acknowledged_deposit() {
    // A cluster of its own: this test stops and starts the server.
    let setup = Instant::now();
    let cluster = PgCluster::start();
    println!("cluster started in {:?}", setup.elapsed());
    let url = cluster.create_database();
    let mut a = RelayProcess::start(options(&url)).unwrap();
    let mut b = RelayProcess::start(options(&url)).unwrap();
    let owner = SigningKey::from_bytes(&[7; 32]);
    let mailbox: CreateMailboxResponse = Client::new(a.url()).create_mailbox(&owner).await;
    let answered = Arc::new(Mutex::new(BTreeSet::new()));
    let next_id = Arc::new(AtomicU64::new(1));
    let refused = Arc::new(AtomicU64::new(0));
    let mut seen = Seen::default();
    let started = Instant::now();
    for (round, crash) in ROUNDS.iter().enumerate() {
        let urls = [a.url().to_string(), b.url().to_string()];
        let stop = Arc::new(AtomicBool::new(false));
        let mut depositors = Vec::new();
        for i in 0..DEPOSITORS {
            let client = Client::new(&urls[i % 2]);
            let (stop, next_id, answered, mailbox, refused) = (
                stop.clone(),
                next_id.clone(),
                answered.clone(),
                mailbox.clone(),
                refused.clone(),
            );
            depositors.push(tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let id = next_id.fetch_add(1, Ordering::SeqCst);
                    match client.deposit(&mailbox, envelope_with(id)).await {
                        Ok(200) => {
                            answered.lock().unwrap().insert(id);
                        }
                        // The database is down: refused or timed out, not acknowledged.
                        Ok(status) if status >= 500 || status == 408 => {
                            refused.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Ok(other) => panic!("deposit answered {other}"),
                        // The process is gone.
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            }));
        }
        // The reader alternates between the two instances while the load runs.
        let crash_at = Duration::from_millis(300 + 150 * round as u64);
        let round_started = Instant::now();
        let mut crashed = false;
        let mut turn = 0usize;
        while round_started.elapsed() < crash_at + Duration::from_millis(400) {
            if !crashed && round_started.elapsed() >= crash_at {
                match crash {
                    Crash::A => a.kill().unwrap(),
                    Crash::B => b.kill().unwrap(),
                    Crash::Database => cluster.crash(),
                }
                crashed = true;
            }
            turn += 1;
            let client = Client::new(&urls[turn % 2]);
            let Some(batch) = try_fetch(&client, &owner, &mailbox.read_id).await else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            seen.record(&batch);
            if batch.is_empty() {
                continue;
            }
            let seqs: Vec<u64> = batch.iter().map(|(seq, _)| *seq).collect();
            if try_ack(&client, &owner, &mailbox.read_id, &seqs).await {
                seen.acked.extend(batch.iter().map(|(_, id)| *id));
            }
        }
        stop.store(true, Ordering::SeqCst);
        for depositor in depositors {
            depositor.await.unwrap();
        }
        match crash {
            Crash::A => a.restart().unwrap(),
            Crash::B => b.restart().unwrap(),
            Crash::Database => cluster.start_server(),
        }
        println!(
            "round {round}: crashed {crash:?}, back at {:?}",
            started.elapsed()
        );
    }
    // Everything left, through both (in turn), once both answer again.
    drain(
        &Client::new(b.url()),
        &owner,
        &mailbox.read_id,
        &mut seen,
        Duration::from_secs(30),
    )
    .await;
    drain(
        &Client::new(a.url()),
        &owner,
        &mailbox.read_id,
        &mut seen,
        Duration::from_secs(30),
    )
    .await;

    let answered = answered.lock().unwrap().clone();
    let lost: Vec<u64> = answered
        .iter()
        .filter(|id| !seen.seqs.contains_key(id))
        .copied()
        .collect();
    let twice: Vec<u64> = seen
        .seqs
        .iter()
        .filter(|(_, seqs)| seqs.len() > 1)
        .map(|(id, _)| *id)
        .collect();
    println!(
        "{} rounds in {:?}: {} deposits answered 200, {} refused (5xx/408), {} envelopes received, {} acknowledged; \
         {} lost, {} stored twice, {} handed out after their acknowledgement",
        ROUNDS.len(),
        started.elapsed(),
        answered.len(),
        refused.load(Ordering::SeqCst),
        seen.seqs.len(),
        seen.acked.len(),
        lost.len(),
        twice.len(),
        seen.after_ack.len()
    );
    assert!(
        lost.is_empty(),
        "deposits answered 200 were never received: {lost:?}"
    );
    assert!(twice.is_empty(), "stored under two numbers: {twice:?}");
    assert!(
        seen.after_ack.is_empty(),
        "handed out again after an acknowledgement answered 200: {:?}",
        seen.after_ack
    );
    assert!(
        answered.len() > 50,
        "too few deposits answered ({}): the test tested little",
        answered.len()
    );
}
