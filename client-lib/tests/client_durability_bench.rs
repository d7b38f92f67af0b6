//! What persist-before-effect costs: sends per second and the time of a `sync` that takes
//! in a batch of messages, with every fsync real (profiles on the disk) against the same
//! code with fsync free (profiles on tmpfs, `/dev/shm`, where an fsync returns at once: what
//! the client cost before it flushed anything). Both are measured in the same run,
//! interleaved, over an in-memory relay so only the client's own work is timed. Prints
//! ratios; asserts nothing about time.
//!
//! ```text
//! cargo test --release -p corridor-client --test client_durability_bench -- --ignored --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support.rs"]
mod support;

use corridor_client::Client;
use corridor_client::client::{CreateOptions, KdfChoice, Passphrase};
use corridor_client::transport::{HttpConfig, MemoryRelay, Relay, RelayPool, RelayUrl};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MESSAGES: usize = 100;
const REPS: usize = 3;

async fn pair(base: &Path, pool: &Arc<RelayPool>) -> (tempfile::TempDir, Client, Client) {
    let dir = tempfile::tempdir_in(base).unwrap();
    let options = |name: &str| CreateOptions {
        name: name.to_owned(),
        relays: vec![support::RELAY.to_owned()],
        kdf: KdfChoice::InsecureFast,
        transport: Some(pool.clone()),
        ..CreateOptions::default()
    };
    let a = Client::create(&dir.path().join("a"), &Passphrase::from("a"), options("a"))
        .await
        .unwrap();
    let b = Client::create(&dir.path().join("b"), &Passphrase::from("b"), options("b"))
        .await
        .unwrap();
    support::connect(&a, "b", &b, "a").await;
    (dir, a, b)
}

/// (time of MESSAGES sends, time of the sync that receives them)
async fn measure(base: &Path) -> (Duration, Duration) {
    let pool = Arc::new(RelayPool::new(HttpConfig::default()));
    let relay: Arc<dyn Relay> = Arc::new(MemoryRelay::default());
    pool.insert(RelayUrl::parse(support::RELAY).unwrap(), relay);
    let (_dir, a, b) = pair(base, &pool).await;
    let started = Instant::now();
    for i in 0..MESSAGES {
        a.send("a", &format!("message {i}")).await.unwrap();
    }
    let sends = started.elapsed();
    let started = Instant::now();
    let report = b.sync().await.unwrap();
    let sync = started.elapsed();
    assert_eq!(report.messages, MESSAGES);
    a.close().await;
    b.close().await;
    (sends, sync)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture (release build)"]
async fn durability_cost() {
    let tmpfs = Path::new("/dev/shm");
    assert!(
        tmpfs.is_dir(),
        "needs /dev/shm (tmpfs) for the fsync-free baseline"
    );
    let disk = std::env::temp_dir();
    let (mut free_send, mut free_sync, mut real_send, mut real_sync) =
        (vec![], vec![], vec![], vec![]);
    for _ in 0..REPS {
        let (s, y) = measure(tmpfs).await;
        free_send.push(MESSAGES as f64 / s.as_secs_f64());
        free_sync.push(y.as_secs_f64() * 1000.0);
        let (s, y) = measure(&disk).await;
        real_send.push(MESSAGES as f64 / s.as_secs_f64());
        real_sync.push(y.as_secs_f64() * 1000.0);
    }
    let (fs, fy, rs, ry) = (
        median(free_send),
        median(free_sync),
        median(real_send),
        median(real_sync),
    );
    println!("sends/s, fsync free (tmpfs): {fs:.1}; fsync real (disk): {rs:.1}");
    println!("ratio: sends/s durable / baseline = {:.3}", rs / fs);
    println!("sync of {MESSAGES} messages, fsync free: {fy:.1} ms; fsync real: {ry:.1} ms");
    println!("ratio: sync time durable / baseline = {:.3}", ry / fy);
}
