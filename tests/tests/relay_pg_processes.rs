//! Two real `corridor-relay` PROCESSES with `storage = "postgres"` on one throwaway
//! PostgreSQL cluster (the helper of the relay's own tests, `server/tests/common/
//! pg_cluster.rs`): deposits through one are fetched through the other, a long-poll on one
//! wakes when the other stores mail, one-time prekeys taken concurrently through both are
//! each handed out once, and a signed request accepted by one is refused by the other.
// Test code: a failed step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/pg_cluster.rs"]
mod pg_cluster;
mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess};
use corridor_wire::api::*;
use corridor_wire::b64::{Blob, Bytes};
use ed25519_dalek::SigningKey;
use pg_cluster::PgCluster;
use relay_support::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn on_database(url: &str) -> RelayOptions {
    RelayOptions {
        extra_args: [
            "--rate-limit-per-sec",
            "1000000",
            "--bundle-one-time-per-hour",
            "1000",
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

fn two_relays() -> (RelayProcess, RelayProcess, String) {
    let url = PgCluster::shared().create_database();
    let a = RelayProcess::start(on_database(&url)).unwrap();
    let b = RelayProcess::start(on_database(&url)).unwrap();
    (a, b, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_through_one_process_are_fetched_and_wake_a_long_poll_at_the_other() {
    let (a, b, _) = two_relays();
    let (ca, cb) = (Client::new(a.url()), Client::new(b.url()));
    let owner = SigningKey::from_bytes(&[3; 32]);
    let mb = ca.create_mailbox(&owner).await;

    // A long-poll at B, for up to 20 s.
    let waiting = {
        let (cb, owner, read_id) = (cb.clone(), owner.clone(), mb.read_id);
        tokio::spawn(async move {
            let started = Instant::now();
            let got = cb.fetch(&owner, &read_id, 20).await;
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "the long-poll returned before any deposit"
    );
    let deposited = Instant::now();
    assert_eq!(ca.deposit(&mb, envelope_with(1)).await.unwrap(), 200);
    let (got, _) = waiting.await.unwrap();
    let woke_after = deposited.elapsed();
    assert_eq!(got.len(), 1);
    assert_eq!(envelope_id(&got[0].envelope), 1);
    // Woken by the other process's NOTIFY, not by the end of its 20 s wait.
    assert!(
        woke_after < Duration::from_secs(10),
        "woke {woke_after:?} after the deposit"
    );
    println!("long-poll at B woke {woke_after:?} after the deposit at A");
    cb.ack(&owner, &mb.read_id, vec![got[0].seq]).await;

    // Many deposits through A, drained through B in order; A then sees none.
    for id in 2..=40 {
        assert_eq!(ca.deposit(&mb, envelope_with(id)).await.unwrap(), 200);
    }
    assert_eq!(
        cb.drain(&owner, &mb.read_id).await,
        (2..=40).collect::<Vec<_>>()
    );
    assert!(ca.fetch(&owner, &mb.read_id, 0).await.is_empty());
    // Destroyed through B: A refuses deposits for it.
    cb.destroy(&owner, &mb.read_id).await;
    assert_eq!(ca.deposit(&mb, envelope_with(99)).await.unwrap(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_time_prekeys_taken_concurrently_through_both_processes_are_each_handed_out_once() {
    let (a, b, _) = two_relays();
    let (ca, cb) = (Client::new(a.url()), Client::new(b.url()));
    let owner = SigningKey::from_bytes(&[4; 32]);
    let bundle_id: BundleId = Bytes([0x42; 16]);
    let bundle = Bundle {
        signed: Blob(vec![1; 100]),
        one_time: (0..40)
            .map(|id| OneTimePrekey {
                id,
                key: Blob(vec![id as u8; 32]),
            })
            .collect(),
        last_resort: Blob(vec![9; 32]),
    };
    let auth_key = Bytes(owner.verifying_key().to_bytes());
    let auth = signed_now(&owner, |ts, n| {
        PublishBundleRequest::transcript(&bundle_id, &auth_key, &bundle, ts, n)
    });
    let _: PublishBundleResponse = ca
        .ok(
            "/v1/bundles",
            &PublishBundleRequest {
                bundle_id,
                auth_key,
                bundle,
                auth,
            },
        )
        .await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let client = if i % 2 == 0 { ca.clone() } else { cb.clone() };
        tasks.push(tokio::spawn(async move {
            let got: FetchBundleResponse = client
                .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id })
                .await;
            got.prekey
        }));
    }
    let (mut one_time, mut last_resort) = (Vec::new(), 0);
    for task in tasks {
        match task.await.unwrap() {
            HandedPrekey::OneTime(p) => one_time.push(p.id),
            HandedPrekey::LastResort { .. } => last_resort += 1,
        }
    }
    let unique: BTreeSet<u32> = one_time.iter().copied().collect();
    assert_eq!(
        unique.len(),
        one_time.len(),
        "a one-time prekey was handed out twice: {one_time:?}"
    );
    assert_eq!(unique, (0..40).collect::<BTreeSet<u32>>());
    assert_eq!(last_resort, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_accepted_by_one_process_is_refused_by_the_other() {
    let (a, b, _) = two_relays();
    let (ca, cb) = (Client::new(a.url()), Client::new(b.url()));
    let owner = SigningKey::from_bytes(&[5; 32]);
    let mb = ca.create_mailbox(&owner).await;
    for id in 1..=2 {
        assert_eq!(ca.deposit(&mb, envelope_with(id)).await.unwrap(), 200);
    }
    // A fetch, accepted by A, then sent verbatim to B.
    let read_id = mb.read_id;
    let fetch = FetchRequest {
        read_id,
        wait_secs: 0,
        auth: signed_now(&owner, |ts, n| FetchRequest::transcript(&read_id, 0, ts, n)),
    };
    let (status, _) = ca.post("/v1/mailboxes/fetch", &fetch).await.unwrap();
    assert_eq!(status, 200);
    let (status, body) = cb.post("/v1/mailboxes/fetch", &fetch).await.unwrap();
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "replayed", "{body}");

    // An acknowledgement accepted by B, replayed at A.
    let got = cb.fetch(&owner, &read_id, 0).await;
    let seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
    let ack = AckRequest {
        read_id,
        seqs: seqs.clone(),
        auth: signed_now(&owner, |ts, n| {
            AckRequest::transcript(&read_id, &seqs, ts, n)
        }),
    };
    let (status, _) = cb.post("/v1/mailboxes/ack", &ack).await.unwrap();
    assert_eq!(status, 200);
    let (status, body) = ca.post("/v1/mailboxes/ack", &ack).await.unwrap();
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "replayed", "{body}");
    // A control: a freshly signed request for the same thing is accepted by both.
    assert!(ca.fetch(&owner, &read_id, 0).await.is_empty());
    assert!(cb.fetch(&owner, &read_id, 0).await.is_empty());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The forms a secret can take in a dump or in the cluster's files: raw bytes, the wire's
/// text form, and the hex PostgreSQL writes `bytea` in.
fn forms(what: &str, raw: &[u8], text: String) -> Vec<(String, Vec<u8>)> {
    vec![
        (format!("{what} (raw)"), raw.to_vec()),
        (format!("{what} (text)"), text.into_bytes()),
        (format!("{what} (hex)"), hex(raw).into_bytes()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_dump_after_an_exchange_holds_no_id_credential_or_address() {
    let (mut a, mut b, url) = two_relays();
    let (ca, cb) = (Client::new(a.url()), Client::new(b.url()));
    let alice = SigningKey::from_bytes(&[8; 32]);
    let bob = SigningKey::from_bytes(&[9; 32]);
    let to_alice = ca.create_mailbox(&alice).await;
    let to_bob = cb.create_mailbox(&bob).await;
    // Kept: envelopes still stored when the dump is taken (the positive control).
    let kept = 0xC0FF_EE00_0000_0001u64;
    for id in 0..5 {
        assert_eq!(
            ca.deposit(&to_bob, envelope_with(100 + id)).await.unwrap(),
            200
        );
        assert_eq!(
            cb.deposit(&to_alice, envelope_with(200 + id))
                .await
                .unwrap(),
            200
        );
    }
    assert_eq!(cb.drain(&bob, &to_bob.read_id).await.len(), 5);
    assert_eq!(ca.drain(&alice, &to_alice.read_id).await.len(), 5);
    // Incompressible, like a real envelope (PostgreSQL compresses a constant fill).
    let mut state = kept;
    let kept_env = Blob(
        (0..corridor_wire::ENVELOPE_SIZE)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect(),
    );
    assert_eq!(ca.deposit(&to_bob, kept_env.clone()).await.unwrap(), 200);
    // A bundle published through A, a prekey taken through B.
    let bundle_id: BundleId = Bytes([0x5A; 16]);
    let bundle = Bundle {
        signed: Blob(vec![1; 100]),
        one_time: vec![OneTimePrekey {
            id: 1,
            key: Blob(vec![2; 32]),
        }],
        last_resort: Blob(vec![3; 32]),
    };
    let auth_key = Bytes(alice.verifying_key().to_bytes());
    let auth = signed_now(&alice, |ts, n| {
        PublishBundleRequest::transcript(&bundle_id, &auth_key, &bundle, ts, n)
    });
    let _: PublishBundleResponse = ca
        .ok(
            "/v1/bundles",
            &PublishBundleRequest {
                bundle_id,
                auth_key,
                bundle,
                auth,
            },
        )
        .await;
    let _: FetchBundleResponse = cb
        .ok("/v1/bundles/fetch", &FetchBundleRequest { bundle_id })
        .await;
    a.terminate().unwrap();
    b.terminate().unwrap();

    let cluster = PgCluster::shared();
    let dump = cluster.dump(PgCluster::database_of(&url));
    let mut files = Vec::new();
    pg_cluster::all_files(&cluster.data_dir(), &mut files);
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    // (The mailboxes' and the bundle's auth keys are stored, on sled too: the relay checks
    // signatures with them. They are per-mailbox keys, unrelated to any identity.)
    for (who, mb) in [("Alice", &to_alice), ("Bob", &to_bob)] {
        needles.extend(forms(
            &format!("{who}'s read id"),
            mb.read_id.as_bytes(),
            mb.read_id.to_text(),
        ));
        needles.extend(forms(
            &format!("{who}'s deposit id"),
            mb.deposit_id.as_bytes(),
            mb.deposit_id.to_text(),
        ));
        needles.extend(forms(
            &format!("{who}'s deposit credential"),
            mb.deposit_credential.as_bytes(),
            mb.deposit_credential.to_text(),
        ));
    }
    needles.extend(forms(
        "the bundle id",
        bundle_id.as_bytes(),
        bundle_id.to_text(),
    ));
    // Every request came from 127.0.0.1; the relay keeps no address.
    needles.push(("the client address".into(), b"127.0.0.1".to_vec()));
    needles.push((
        "the client address (hex)".into(),
        hex(&[127, 0, 0, 1]).into_bytes(),
    ));

    // The positive control: the scan does see what is stored (the kept envelope, in
    // the dump as bytea hex, in the heap files raw).
    let kept_hex = hex(&kept_env.as_bytes()[..16]);
    assert!(
        contains(&dump, kept_hex.as_bytes()),
        "control: the dump shows the stored envelope"
    );
    let heap_holds_kept = files
        .iter()
        .any(|f| std::fs::read(f).is_ok_and(|bytes| contains(&bytes, &kept_env.as_bytes()[..16])));
    assert!(
        heap_holds_kept,
        "control: the cluster's files hold the stored envelope"
    );

    assert!(dump.len() > 1000, "the dump is empty");
    for (what, needle) in &needles {
        assert!(!contains(&dump, needle), "{what} in the database dump");
    }
    for file in &files {
        // The server's own log and configuration name its listen address, not a client's.
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for (what, needle) in &needles {
            if what.starts_with("the client address")
                && (name.ends_with(".conf") || name.ends_with(".opts") || name.ends_with(".pid"))
            {
                continue;
            }
            assert!(!contains(&bytes, needle), "{what} in {}", file.display());
        }
    }
    println!(
        "scanned a {} byte dump and {} cluster files for {} needles",
        dump.len(),
        files.len(),
        needles.len()
    );
}
