//! Crash test: a child process sends and receives through the real relay
//! (`corridor-relay`, in this process on 127.0.0.1, over HTTP) and is killed with SIGKILL
//! at random moments, many times (bounded in rounds and in time). After every restart:
//!
//! - nothing acknowledged is missing: every message the child was told was sent (`send`
//!   returned) reaches the peer, and every message the peer deposited for the child (and
//!   the relay therefore held until the child acknowledged it) is in the child's inbox;
//! - the receiving side never sees two different plaintexts under one message number: the
//!   peer's ratchet refuses every envelope whose message key it already used, so a child
//!   whose session was rolled back by the crash would show up as a rejected envelope (or as
//!   an acknowledged message that never arrives). Byte-identical repeats (a child killed
//!   between a deposit and clearing its outbox deposits the same envelope again) are
//!   recognized and counted apart, so `rejected` must stay zero.
//!
//! The child is this same test binary, re-run with `--exact crash_child --ignored` and the
//! profile in environment variables: it opens the profile, prints `READY`, then sends,
//! syncs and prints `SENT <text>` after each `send` returned, until it is killed.
//!
//! With the store's flush removed from `Db::settle` (persist-before-effect disabled), this
//! test fails within a few rounds: the child's session rolls back after a kill, and its
//! next message reuses a message number the peer already consumed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::Client;
use corridor_client::client::{
    CreateOptions, Direction, InvitationKind, KdfChoice, OpenOptions, Passphrase,
};
use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DIR: &str = "CORRIDOR_CRASH_CHILD_DIR";
const CHILD_ROUND: &str = "CORRIDOR_CRASH_CHILD_ROUND";
const CHILD_PASS: &str = "child passphrase";
const PEER_LABEL: &str = "desk";
const CHILD_LABEL: &str = "child";
/// Kill rounds, and the most time they may take together.
const ROUNDS: usize = 25;
const TIME_BUDGET: Duration = Duration::from_secs(120);
/// Messages the peer deposits for the child before each round.
const PER_ROUND_TO_CHILD: usize = 3;

fn random_below(bound: u64) -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(Instant::now().elapsed().as_nanos() as u64);
    hasher.finish() % bound.max(1)
}

/// The child: runs only when the parent sets the environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by crash_kill_loop as a child process"]
async fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let dir = Path::new(&dir);
    let round = std::env::var(CHILD_ROUND).unwrap();
    let client = Client::open(
        &dir.join("profile"),
        &Passphrase::from(CHILD_PASS),
        OpenOptions::default(),
    )
    .await
    .unwrap();
    println!("READY");
    for k in 0.. {
        let text = format!("r{round}-m{k}");
        client.send(PEER_LABEL, &text).await.unwrap();
        // Acknowledged to the user: the parent holds the child to it.
        println!("SENT {text}");
        if k % 3 == 2 {
            client.sync().await.unwrap();
            println!("SYNCED");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_kill_loop() {
    let root = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = corridor_relay::config::Config {
        data_dir: root.path().join("relay-data"),
        pow_difficulty: 8,
        ..corridor_relay::config::Config::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(corridor_relay::run(listener, config, async move {
        let _ = stopped.await;
    }));

    let options = |name: &str| CreateOptions {
        name: name.to_owned(),
        relays: vec![url.clone()],
        kdf: KdfChoice::InsecureFast,
        ..CreateOptions::default()
    };
    let child_home = root.path().join("profile");
    let desk = Client::create(
        &root.path().join("desk"),
        &Passphrase::from("desk"),
        options("desk"),
    )
    .await
    .unwrap();
    {
        let child = Client::create(&child_home, &Passphrase::from(CHILD_PASS), options("child"))
            .await
            .unwrap();
        let code = desk
            .create_invitation(InvitationKind::OneTime, 3600)
            .await
            .unwrap();
        child.accept_invitation(&code, PEER_LABEL).await.unwrap();
        let report = desk.sync().await.unwrap();
        desk.rename_contact(&report.new_contacts[0], CHILD_LABEL)
            .unwrap();
        child.sync().await.unwrap();
        assert!(child.contacts().unwrap()[0].established);
        child.close().await;
    }

    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut deposited_for_child: BTreeSet<String> = BTreeSet::new();
    let mut rejected = 0;
    let mut duplicates = 0;
    let mut rounds = 0;
    while rounds < ROUNDS && started.elapsed() < TIME_BUDGET {
        for j in 0..PER_ROUND_TO_CHILD {
            let text = format!("to-child-r{rounds}-{j}");
            desk.send(CHILD_LABEL, &text).await.unwrap();
            deposited_for_child.insert(text);
        }
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_DIR, root.path())
            .env(CHILD_ROUND, rounds.to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(root.path().join("child-stderr")).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for READY (bounded; the harness prints its own lines first), then kill at
        // a random moment in the next 0.6 s.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut early = Vec::new();
        let mut ready = false;
        while !ready && Instant::now() < deadline {
            match lines_rx.recv_timeout(Duration::from_millis(200)) {
                // The harness prints "test crash_child ... " without a newline first.
                Ok(line) if line.ends_with("READY") => ready = true,
                Ok(line) => early.push(line),
                Err(_) => {}
            }
        }
        assert!(
            ready,
            "round {rounds}: the child never got ready: {early:?}\n{}",
            std::fs::read_to_string(root.path().join("child-stderr")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(random_below(600))).await;
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child ended by itself");
        reader.join().unwrap();
        for line in early.into_iter().chain(lines_rx.try_iter()) {
            if let Some(text) = line.strip_prefix("SENT ") {
                acknowledged.insert(text.to_owned());
            }
        }

        let report = desk.sync().await.unwrap();
        rejected += report.rejected;
        duplicates += report.duplicates;
        assert_eq!(
            report.rejected, 0,
            "round {rounds}: the desk refused an envelope that is not a repeat: the \
             child reused a message key after a crash"
        );
        rounds += 1;
    }
    assert!(rounds >= 5, "only {rounds} rounds ran in the time budget");

    // A last, clean run of the child delivers what waits in its outbox and takes in what
    // waits for it.
    let child = Client::open(
        &child_home,
        &Passphrase::from(CHILD_PASS),
        OpenOptions::default(),
    )
    .await
    .unwrap();
    for _ in 0..3 {
        child.sync().await.unwrap();
    }
    for _ in 0..3 {
        let report = desk.sync().await.unwrap();
        rejected += report.rejected;
        duplicates += report.duplicates;
    }
    assert_eq!(rejected, 0);

    let at_desk: Vec<String> = desk
        .inbox(Some(CHILD_LABEL))
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == Direction::Incoming)
        .map(|m| m.text.to_string())
        .collect();
    let unique: HashSet<&String> = at_desk.iter().collect();
    assert_eq!(unique.len(), at_desk.len(), "a message arrived twice");
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|t| !unique.contains(t))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");

    let at_child: Vec<String> = child
        .inbox(Some(PEER_LABEL))
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == Direction::Incoming)
        .map(|m| m.text.to_string())
        .collect();
    let got: BTreeSet<String> = at_child.iter().cloned().collect();
    assert_eq!(
        got.len(),
        at_child.len(),
        "the child stored a message twice"
    );
    assert_eq!(
        got, deposited_for_child,
        "the child lost a received message"
    );

    println!(
        "crash test: {rounds} kills, {} messages acknowledged by the child and all \
         delivered, {} received by the child, {duplicates} repeated deposits recognized, \
         0 rejected",
        acknowledged.len(),
        got.len()
    );
    child.close().await;
    desk.close().await;
    let _ = stop.send(());
    let _ = server.await;
}
