//! The lost-acknowledgement chain, played against the real relay process:
//!
//! 1. a reader fetches while depositors deposit, so it can be handed an envelope whose
//!    deposit is not answered yet;
//! 2. the relay is killed with SIGKILL right then (the reader's acknowledgement for that
//!    envelope is lost with it);
//! 3. after the restart, new deposits are made and answered 200;
//! 4. the reader retries its lost acknowledgement.
//!
//! If a fetch could hand out an envelope that was not yet durable, the kill would drop it
//! and its sequence number would go to one of the new deposits, which the retried
//! acknowledgement would then delete although nobody ever received it. The test counts
//! every deposit answered 200 that the reader never received; there must be none.
//! Bounded: at most `ROUNDS` kills and `BUDGET` of wall time.
// Test code: a failed step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess};
use corridor_wire::api::CreateMailboxResponse;
use ed25519_dalek::SigningKey;
use relay_support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ROUNDS: usize = 40;
const BUDGET: Duration = Duration::from_secs(150);
const DEPOSITORS: usize = 8;
/// Deposits made after each restart, before the retried acknowledgement.
const AFTER_RESTART: u64 = 20;

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

fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[derive(Default)]
struct Round {
    /// Deposit ids answered 200.
    answered: BTreeSet<u64>,
    /// Every (seq, id) the reader was handed, before and after the kill.
    received: BTreeMap<u64, u64>,
    /// The reader was handed an envelope whose deposit was not answered yet.
    early: bool,
    /// Sequence numbers handed out before the kill and handed out again, for another
    /// envelope, after it.
    reused: usize,
}

async fn play_round(relay: &Arc<Mutex<RelayProcess>>, kill_after: Duration, round: u64) -> Round {
    let url = relay.lock().unwrap().url().to_string();
    let owner = SigningKey::from_bytes(&[(round % 200) as u8 + 1; 32]);
    let client = Client::new(&url);
    let mailbox: CreateMailboxResponse = client.create_mailbox(&owner).await;
    let answered = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let next_id = Arc::new(AtomicU64::new(round * 1_000_000 + 1));
    let mut depositors = Vec::new();
    for _ in 0..DEPOSITORS {
        let (client, stop, next_id, answered, mailbox) = (
            client.clone(),
            stop.clone(),
            next_id.clone(),
            answered.clone(),
            mailbox.clone(),
        );
        depositors.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let id = next_id.fetch_add(1, Ordering::SeqCst);
                match client.deposit(&mailbox, envelope_with(id)).await {
                    Ok(200) => {
                        answered.lock().unwrap().insert(id);
                    }
                    Ok(other) => panic!("deposit answered {other}"),
                    Err(_) => break,
                }
            }
        }));
    }

    // The reader: fetch, acknowledge, repeat. The first time it is handed an envelope whose
    // deposit is not answered yet, it kills the relay before acknowledging, so that
    // acknowledgement is lost and must be retried after the restart.
    let started = Instant::now();
    let mut before: BTreeMap<u64, u64> = BTreeMap::new();
    let mut lost_ack: Vec<u64> = Vec::new();
    let mut early = false;
    loop {
        if started.elapsed() >= kill_after {
            relay.lock().unwrap().kill().unwrap();
            break;
        }
        let Some(batch) = try_fetch(&client, &owner, &mailbox.read_id).await else {
            relay.lock().unwrap().kill().unwrap();
            break;
        };
        if batch.is_empty() {
            continue;
        }
        let seqs: Vec<u64> = batch.iter().map(|(seq, _)| *seq).collect();
        before.extend(batch.iter().copied());
        let unanswered = {
            let answered = answered.lock().unwrap();
            batch.iter().any(|(_, id)| !answered.contains(id))
        };
        if unanswered {
            relay.lock().unwrap().kill().unwrap();
            early = true;
            lost_ack = seqs;
            break;
        }
        if !try_ack(&client, &owner, &mailbox.read_id, &seqs).await {
            lost_ack = seqs;
            relay.lock().unwrap().kill().unwrap();
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    for depositor in depositors {
        depositor.await.unwrap();
    }

    relay.lock().unwrap().restart().unwrap();
    let url = relay.lock().unwrap().url().to_string();
    let client = Client::new(&url);
    for i in 0..AFTER_RESTART {
        let id = round * 1_000_000 + 900_000 + i;
        assert_eq!(
            client.deposit(&mailbox, envelope_with(id)).await.unwrap(),
            200
        );
        answered.lock().unwrap().insert(id);
    }
    if !lost_ack.is_empty() {
        assert!(
            try_ack(&client, &owner, &mailbox.read_id, &lost_ack).await,
            "the retried acknowledgement was refused"
        );
    }
    let mut after: BTreeMap<u64, u64> = BTreeMap::new();
    loop {
        let batch = try_fetch(&client, &owner, &mailbox.read_id)
            .await
            .expect("fetch after restart");
        if batch.is_empty() {
            break;
        }
        let seqs: Vec<u64> = batch.iter().map(|(seq, _)| *seq).collect();
        after.extend(batch.iter().copied());
        assert!(try_ack(&client, &owner, &mailbox.read_id, &seqs).await);
    }
    let reused = after
        .iter()
        .filter(|(seq, id)| before.get(seq).is_some_and(|old| old != *id))
        .count();
    let mut received = before;
    received.extend(after);
    let answered = answered.lock().unwrap().clone();
    Round {
        answered,
        received,
        early,
        reused,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_ack_never_deletes_an_unreceived_deposit() {
    let mut seed: u64 = std::env::var("CORRIDOR_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("CORRIDOR_CRASH_SEED={seed}");
    let initial_seed = seed;
    let relay = Arc::new(Mutex::new(RelayProcess::start(options()).unwrap()));
    let started = Instant::now();
    let (mut rounds, mut early, mut reused, mut answered, mut lost) = (0, 0, 0, 0, Vec::new());
    while rounds < ROUNDS && started.elapsed() < BUDGET {
        let kill_after = Duration::from_millis(100 + next(&mut seed) % 400);
        let round = play_round(&relay, kill_after, rounds as u64 + 1).await;
        rounds += 1;
        early += usize::from(round.early);
        reused += round.reused;
        answered += round.answered.len();
        let received: BTreeSet<u64> = round.received.values().copied().collect();
        lost.extend(round.answered.difference(&received).copied());
    }
    println!(
        "{rounds} kills; {early} right after an envelope was handed out before its deposit \
         was answered; {answered} deposits answered 200; {reused} sequence numbers reused; \
         {} answered deposits never received",
        lost.len()
    );
    assert_eq!(
        reused, 0,
        "a sequence number was handed out for two envelopes"
    );
    assert!(
        lost.is_empty(),
        "{} deposits answered 200 were never received (seed {initial_seed}): {lost:?}",
        lost.len()
    );
    assert!(
        answered > 0,
        "no deposit was answered: the test tested nothing"
    );
}
