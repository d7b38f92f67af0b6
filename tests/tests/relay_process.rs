//! The real `corridor-relay` binary on 127.0.0.1:0: restarts, acknowledgement, destroy,
//! graceful shutdown, configuration from flags, environment and file.

mod relay_support;

use corridor_e2e::{RelayOptions, RelayProcess, TempDir, relay_binary};
use corridor_relay::{SledStore, Store, layout};
use ed25519_dalek::SigningKey;
use relay_support::*;
use std::path::Path;

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            all_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_survives_restart_and_ack_deletes() {
    let mut relay = RelayProcess::start(RelayOptions::default()).unwrap();
    let owner = SigningKey::from_bytes(&[1; 32]);
    let client = Client::new(relay.url());
    let mb = client.create_mailbox(&owner).await;
    for id in 1..=3 {
        assert_eq!(client.deposit(&mb, envelope_with(id)).await.unwrap(), 200);
    }
    // Hard kill: no graceful flush. Acknowledged deposits must already be on disk.
    relay.restart().unwrap();
    let client = Client::new(relay.url());
    let messages = client.fetch(&owner, &mb.read_id, 0).await;
    let ids: Vec<u64> = messages.iter().map(|m| envelope_id(&m.envelope)).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(
        client
            .ack(&owner, &mb.read_id, vec![messages[0].seq, messages[1].seq])
            .await,
        2
    );
    relay.restart().unwrap();
    let client = Client::new(relay.url());
    let left: Vec<u64> = client
        .fetch(&owner, &mb.read_id, 0)
        .await
        .iter()
        .map(|m| envelope_id(&m.envelope))
        .collect();
    assert_eq!(left, vec![3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_leaves_no_id_in_the_data_directory() {
    let mut relay = RelayProcess::start(RelayOptions::default()).unwrap();
    let client = Client::new(relay.url());
    let owner = SigningKey::from_bytes(&[1; 32]);
    let other = SigningKey::from_bytes(&[2; 32]);
    let gone = client.create_mailbox(&owner).await;
    let kept = client.create_mailbox(&other).await;
    for id in 0..5 {
        assert_eq!(client.deposit(&gone, envelope_with(id)).await.unwrap(), 200);
        assert_eq!(
            client
                .deposit(&kept, envelope_with(100 + id))
                .await
                .unwrap(),
            200
        );
    }
    client.destroy(&owner, &gone.read_id).await;
    let status = relay.terminate().unwrap();
    assert!(status.success(), "relay exited with {status}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(relay.data_dir())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "data directory readable by others: {mode:o}"
        );
    }
    // No id or credential, raw or in base64, of either mailbox appears in any file.
    let mut files = Vec::new();
    all_files(relay.data_dir(), &mut files).unwrap();
    assert!(!files.is_empty());
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for mb in [&gone, &kept] {
            let secrets: [&[u8]; 3] = [
                mb.read_id.as_bytes(),
                mb.deposit_id.as_bytes(),
                mb.deposit_credential.as_bytes(),
            ];
            for secret in secrets {
                assert!(!contains(&bytes, secret), "raw id in {}", file.display());
            }
            for text in [mb.read_id.to_text(), mb.deposit_id.to_text()] {
                assert!(
                    !contains(&bytes, text.as_bytes()),
                    "id text in {}",
                    file.display()
                );
            }
        }
    }
    // No row of the destroyed mailbox is left; the other one is intact.
    let store = SledStore::open(relay.data_dir()).unwrap();
    let gone_key = layout::mailbox_key(gone.read_id.as_bytes());
    let kept_key = layout::mailbox_key(kept.read_id.as_bytes());
    for prefix in [layout::MAILBOX, layout::MESSAGE] {
        assert_eq!(
            store
                .count_prefix(&layout::row(prefix, &[&gone_key]))
                .unwrap(),
            0
        );
    }
    assert_eq!(
        store
            .count_prefix(&layout::row(layout::MESSAGE, &[&kept_key]))
            .unwrap(),
        5
    );
    assert_eq!(store.count_prefix(&[layout::ROUTE]).unwrap(), 1);
    assert_eq!(store.count_prefix(&[layout::EXPIRY]).unwrap(), 5);
    // Nor does the log carry them: it has no per-request lines at all.
    for line in relay.logs() {
        assert!(
            ["listening on", "shutting down", "stopped;"]
                .iter()
                .any(|known| line.contains(known)),
            "unexpected log line: {line}"
        );
    }
    let logs = relay.logs().join("\n");
    for mb in [&gone, &kept] {
        assert!(!logs.contains(&mb.read_id.to_text()));
        assert!(!logs.contains(&mb.deposit_id.to_text()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_wakes_long_polls_and_exits_cleanly() {
    let mut relay = RelayProcess::start(RelayOptions::default()).unwrap();
    let client = Client::new(relay.url());
    let owner = SigningKey::from_bytes(&[1; 32]);
    let mb = client.create_mailbox(&owner).await;
    let poller = {
        let client = client.clone();
        let owner = owner.clone();
        tokio::spawn(async move { client.fetch(&owner, &mb.read_id, 25).await })
    };
    // Wait until the relay reports the long-poll as waiting.
    let metrics_url = format!("{}/metrics", relay.url());
    for _ in 0..500 {
        let text = reqwest::get(&metrics_url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("corridor_waiting_fetches 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let status = relay.terminate().unwrap();
        (status, relay)
    })
    .await
    .unwrap();
    assert!(status.0.success());
    // The long-poll was answered (empty), not cut off, and well before its 25 s wait.
    assert!(poller.await.unwrap().is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let logs = status.1.logs().join("\n");
    assert!(
        logs.contains("every acknowledged write is on disk"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_come_from_file_then_env_then_flags() {
    let dir = TempDir::new("corridor-relay-config").unwrap();
    let file = dir.path().join("relay.toml");
    std::fs::write(&file, "pow_difficulty = 3\nmax_wait_secs = 7\n").unwrap();
    async fn difficulty(options: RelayOptions) -> u64 {
        let relay = RelayProcess::start(options).unwrap();
        let url = format!("{}/v1/challenge", relay.url());
        let resp: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        resp["difficulty"].as_u64().unwrap()
    }
    let base = RelayOptions {
        pow_difficulty: None,
        extra_args: vec!["--config".into(), file.display().to_string()],
        ..RelayOptions::default()
    };
    assert_eq!(
        difficulty(base.clone()).await,
        3,
        "the file beats the default"
    );
    let with_env = RelayOptions {
        env: vec![("CORRIDOR_RELAY_POW_DIFFICULTY".into(), "5".into())],
        ..base.clone()
    };
    assert_eq!(
        difficulty(with_env.clone()).await,
        5,
        "the variable beats the file"
    );
    let with_flag = RelayOptions {
        pow_difficulty: Some(6),
        ..with_env
    };
    assert_eq!(
        difficulty(with_flag).await,
        6,
        "the flag beats the variable"
    );

    let binary = relay_binary().unwrap();
    let output = std::process::Command::new(&binary)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--pow-difficulty",
            "40",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "an invalid setting is refused"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("pow_difficulty"));

    let help = std::process::Command::new(&binary)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for needle in [
        "--listen",
        "--data-dir",
        "--config",
        "CORRIDOR_RELAY_LISTEN",
        "127.0.0.1:8080",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_time_prekeys_are_handed_out_once_across_concurrency_and_sigkill() {
    use corridor_wire::api::*;
    use corridor_wire::b64::{Blob, Bytes};
    use ed25519_dalek::Signer;
    // Above the per-bundle hourly rate, which would otherwise hand out the last resort.
    let mut relay = RelayProcess::start(RelayOptions {
        extra_args: vec!["--bundle-one-time-per-hour".into(), "1000".into()],
        ..RelayOptions::default()
    })
    .unwrap();
    let client = Client::new(relay.url());
    let owner = SigningKey::from_bytes(&[4; 32]);
    let bundle_id = Bytes([9; 16]);
    let auth_key = Bytes(owner.verifying_key().to_bytes());
    let bundle = Bundle {
        signed: Blob(vec![1; 64]),
        one_time: (0..40)
            .map(|id| OneTimePrekey {
                id,
                key: Blob(vec![id as u8; 32]),
            })
            .collect(),
        last_resort: Blob(vec![2; 32]),
    };
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let nonce = [3u8; 16];
    let transcript =
        PublishBundleRequest::transcript(&bundle_id, &auth_key, &bundle, timestamp, &nonce);
    let published: PublishBundleResponse = client
        .ok(
            "/v1/bundles",
            &PublishBundleRequest {
                bundle_id,
                auth_key,
                bundle,
                auth: SignedAuth {
                    timestamp,
                    nonce: Bytes(nonce),
                    signature: Bytes(owner.sign(&transcript).to_bytes()),
                },
            },
        )
        .await;
    assert_eq!(published.one_time_available, 40);

    async fn take_many(client: &Client, n: usize) -> Vec<Option<u32>> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    let got: FetchBundleResponse = client
                        .ok(
                            "/v1/bundles/fetch",
                            &FetchBundleRequest {
                                bundle_id: Bytes([9; 16]),
                            },
                        )
                        .await;
                    match got.prekey {
                        HandedPrekey::OneTime(p) => Some(p.id),
                        HandedPrekey::LastResort { .. } => None,
                    }
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    }
    let mut handed: Vec<u32> = take_many(&client, 25).await.into_iter().flatten().collect();
    assert_eq!(handed.len(), 25);
    relay.restart().unwrap();
    let client = Client::new(relay.url());
    let second = take_many(&client, 25).await;
    handed.extend(second.iter().flatten());
    let distinct: std::collections::BTreeSet<u32> = handed.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        handed.len(),
        "a one-time prekey was handed out twice"
    );
    assert_eq!(distinct, (0..40).collect());
    assert_eq!(
        second.iter().filter(|p| p.is_none()).count(),
        10,
        "then the last resort"
    );
}
