//! Crash safety: while clients deposit concurrently, the relay is killed with SIGKILL at
//! random moments and restarted. Every deposit answered 200 before a kill must be fetched
//! afterwards, and no envelope may be fetched twice.

mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess};
use ed25519_dalek::SigningKey;
use relay_support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

const DEPOSITORS: usize = 16;
const KILLS: usize = 5;

/// Limits high enough that only crashes, not caps, can refuse a deposit here.
fn options() -> RelayOptions {
    RelayOptions {
        extra_args: [
            "--rate-limit-per-sec",
            "1000000",
            "--max-messages-per-mailbox",
            "10000000",
            "--max-bytes-per-mailbox",
            "100000000000",
        ]
        .map(String::from)
        .to_vec(),
        ..RelayOptions::default()
    }
}

/// xorshift64*: enough randomness to pick kill moments; the seed is printed so a failing
/// run can be repeated with `CORRIDOR_CRASH_SEED`.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_deposits_survive_sigkill() {
    let mut seed: u64 = std::env::var("CORRIDOR_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("CORRIDOR_CRASH_SEED={seed}");

    let mut relay = RelayProcess::start(options()).unwrap();
    let owner = SigningKey::from_bytes(&[7; 32]);
    let mailbox = Client::new(relay.url()).create_mailbox(&owner).await;

    let url = Arc::new(RwLock::new(relay.url().to_string()));
    let stop = Arc::new(AtomicBool::new(false));
    let next_id = Arc::new(AtomicU64::new(1));
    // id -> the run (0 = before the first kill) in which its 200 arrived.
    let acknowledged = Arc::new(Mutex::new(BTreeMap::<u64, usize>::new()));
    let run = Arc::new(AtomicU64::new(0));
    let attempted = Arc::new(Mutex::new(BTreeSet::<u64>::new()));

    let mut depositors = Vec::new();
    for _ in 0..DEPOSITORS {
        let (url, stop, next_id, acknowledged, attempted, run, mailbox) = (
            url.clone(),
            stop.clone(),
            next_id.clone(),
            acknowledged.clone(),
            attempted.clone(),
            run.clone(),
            mailbox.clone(),
        );
        depositors.push(tokio::spawn(async move {
            let mut client = Client::new(&url.read().unwrap());
            while !stop.load(Ordering::SeqCst) {
                let current = url.read().unwrap().clone();
                if current != client.base {
                    client = Client::new(&current);
                }
                let id = next_id.fetch_add(1, Ordering::SeqCst);
                attempted.lock().unwrap().insert(id);
                let run_before = run.load(Ordering::SeqCst);
                match client.deposit(&mailbox, envelope_with(id)).await {
                    Ok(200) => {
                        acknowledged.lock().unwrap().insert(id, run_before as usize);
                    }
                    Ok(429) => panic!("a cap was reached: raise it in options()"),
                    // Connection refused or reset while the relay is down: not acknowledged.
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }

    let mut acked_before_kill = Vec::new();
    for kill in 0..KILLS {
        let wait = 150 + next(&mut seed) % 600;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        relay.kill().unwrap();
        let snapshot = acknowledged.lock().unwrap().len();
        acked_before_kill.push(snapshot);
        run.fetch_add(1, Ordering::SeqCst);
        relay.restart().unwrap();
        *url.write().unwrap() = relay.url().to_string();
        println!("kill {kill} after {wait} ms: {snapshot} acknowledged so far");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for depositor in depositors {
        depositor.await.unwrap();
    }
    // One more kill after the last acknowledgement, then read everything back.
    relay.kill().unwrap();
    relay.restart().unwrap();

    let client = Client::new(relay.url());
    let fetched = client.drain(&owner, &mailbox.read_id).await;
    let mut seen = BTreeSet::new();
    for id in &fetched {
        assert!(seen.insert(*id), "envelope {id} fetched twice");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    let lost: Vec<_> = acknowledged
        .keys()
        .filter(|id| !seen.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged deposits lost (seed {seed}): {lost:?}",
        lost.len()
    );
    assert!(seen.is_subset(&attempted), "fetched an envelope never sent");
    assert!(
        acked_before_kill.iter().any(|n| *n > 0),
        "no deposit was acknowledged before a kill: the test tested nothing"
    );
    println!(
        "{} acknowledged, {} fetched ({} unacknowledged but stored), {} kills",
        acknowledged.len(),
        seen.len(),
        seen.len() - acknowledged.len(),
        KILLS + 1
    );
}

/// SIGTERM under load: in-flight deposits are finished, not cut off, and every deposit
/// answered 200 is there after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_loses_nothing_acknowledged() {
    let mut relay = RelayProcess::start(options()).unwrap();
    let owner = SigningKey::from_bytes(&[8; 32]);
    let client = Client::new(relay.url());
    let mailbox = client.create_mailbox(&owner).await;
    let stop = Arc::new(AtomicBool::new(false));
    let next_id = Arc::new(AtomicU64::new(1));
    let acknowledged = Arc::new(Mutex::new(BTreeSet::<u64>::new()));
    let mut depositors = Vec::new();
    for _ in 0..DEPOSITORS {
        let (client, stop, next_id, acknowledged, mailbox) = (
            client.clone(),
            stop.clone(),
            next_id.clone(),
            acknowledged.clone(),
            mailbox.clone(),
        );
        depositors.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let id = next_id.fetch_add(1, Ordering::SeqCst);
                match client.deposit(&mailbox, envelope_with(id)).await {
                    Ok(200) => {
                        acknowledged.lock().unwrap().insert(id);
                    }
                    Ok(503) | Err(_) => break,
                    Ok(other) => panic!("unexpected status {other}"),
                }
            }
        }));
    }
    // Let the load build up: some deposits acknowledged, more in flight.
    for _ in 0..1000 {
        if acknowledged.lock().unwrap().len() >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, mut relay) = tokio::task::spawn_blocking(move || {
        let status = relay.terminate().unwrap();
        (status, relay)
    })
    .await
    .unwrap();
    assert!(status.success(), "relay exited with {status}");
    stop.store(true, Ordering::SeqCst);
    for depositor in depositors {
        depositor.await.unwrap();
    }
    relay.restart().unwrap();
    let fetched = Client::new(relay.url())
        .drain(&owner, &mailbox.read_id)
        .await;
    let fetched_set: BTreeSet<u64> = fetched.iter().copied().collect();
    assert_eq!(
        fetched_set.len(),
        fetched.len(),
        "an envelope was fetched twice"
    );
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty());
    assert!(
        acknowledged.is_subset(&fetched_set),
        "acknowledged deposits lost after SIGTERM"
    );
}
