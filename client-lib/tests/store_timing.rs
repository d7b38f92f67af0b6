//! Unlock timing: the duress path must take as long as the normal one, since an observer
//! timing the unlock must not learn which passphrase was typed.
//!
//! The default test asserts only a loose bound (the machine is shared and noisy) and
//! prints the figures. The ignored tests measure the production parameters; run them with
//! `cargo test --release -p corridor-client --test store_timing -- --ignored --nocapture
//! --test-threads 1`.

// clippy.toml lets #[test] bodies unwrap; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::primitives::passphrase::derive_kek;
use corridor_client::store::{KdfParams, Passphrase, Profile, UnlockKind};
use std::path::Path;
use std::time::{Duration, Instant};

const NOW: u64 = 1_750_000_000;

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// A profile with some data and a duress passphrase (not timed).
fn setup(dir: &Path, params: KdfParams) {
    let store = Profile::create(dir, &Passphrase::from("real passphrase"), params).unwrap();
    for i in 0..200u32 {
        store
            .put(
                "messages",
                &i.to_be_bytes(),
                &[0x41; 300],
                Some(NOW + u64::from(i)),
            )
            .unwrap();
    }
    store
        .set_duress(&Passphrase::from("duress passphrase"), &[0x42; 600])
        .unwrap();
}

/// Times `rounds` normal unlocks and `rounds` duress unlocks, each pair on a fresh
/// profile with the same content. Returns (normal, duress) runs.
fn measure(params: KdfParams, rounds: usize) -> (Vec<Duration>, Vec<Duration>) {
    let mut normal = Vec::new();
    let mut duress = Vec::new();
    for round in 0..rounds {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("profile");
        setup(&dir, params);
        // Alternate which path goes first so neither always gets the warm cache.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for is_duress in order {
            if is_duress {
                let (unlocked, d) =
                    time(|| Profile::unlock(&dir, &Passphrase::from("duress passphrase")).unwrap());
                assert!(matches!(unlocked.kind, UnlockKind::Duress { .. }));
                duress.push(d);
                drop(unlocked);
                // Put the real profile back for the normal unlock, if it comes second.
                Profile::panic_wipe(&dir).unwrap();
                setup(&dir, params);
            } else {
                let (unlocked, d) =
                    time(|| Profile::unlock(&dir, &Passphrase::from("real passphrase")).unwrap());
                assert!(matches!(unlocked.kind, UnlockKind::Normal));
                normal.push(d);
            }
        }
    }
    (normal, duress)
}

#[test]
fn duress_unlock_takes_as_long_as_a_normal_unlock() {
    // About 0.2 s per derivation (argon2 is optimized even in dev builds): large enough that file-system noise is
    // small next to it, small enough for CI.
    let params = KdfParams::insecure_for_tests(32 * 1024, 2, 1).unwrap();
    let (normal, duress) = measure(params, 5);
    let (n, d) = (median(normal.clone()), median(duress.clone()));
    let ratio = d.as_secs_f64() / n.as_secs_f64();
    println!(
        "unlock m=32 MiB t=2 p=1 (dev build): normal median {n:?}, duress median {d:?}, \
         ratio {ratio:.3}; normal runs {normal:?}; duress runs {duress:?}"
    );
    // Loose on purpose: the point is that neither path does a second derivation or any
    // work proportional to it.
    assert!(
        (0.6..1.6).contains(&ratio),
        "duress/normal unlock time ratio {ratio:.3} out of bounds"
    );
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn measure_production_unlock() {
    let params = KdfParams::RECOMMENDED;
    let (normal, duress) = measure(params, 5);
    let (n, d) = (median(normal.clone()), median(duress.clone()));
    println!(
        "unlock m={} MiB t={} p={}: normal median {n:?}, duress median {d:?}, ratio {:.3}; \
         normal runs {normal:?}; duress runs {duress:?}",
        params.m_cost_kib() / 1024,
        params.t_cost(),
        params.p_cost(),
        d.as_secs_f64() / n.as_secs_f64()
    );
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn measure_argon2id_costs() {
    let salt = [7u8; 16];
    for (m, t) in [
        (64 * 1024, 3),
        (128 * 1024, 3),
        (256 * 1024, 2),
        (256 * 1024, 3),
        (512 * 1024, 3),
    ] {
        let params = KdfParams::new(m, t, 1).unwrap();
        let runs: Vec<Duration> = (0..3)
            .map(|_| {
                time(|| derive_kek(b"correct horse battery staple", &salt, &params).unwrap()).1
            })
            .collect();
        println!(
            "argon2id m={} MiB t={t} p=1: median {:?} (runs {runs:?})",
            m / 1024,
            median(runs.clone())
        );
    }
}
