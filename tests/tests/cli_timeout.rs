//! A relay that accepts connections and never answers: every command gives up within the
//! timeout it was given (`--timeout`), with exit code 5, measured against that timeout and
//! against a command without network run in the same test.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cli_common::*;

/// Accepts every connection on 127.0.0.1 and holds it open without reading or writing.
struct SilentRelay {
    url: String,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentRelay {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (stop2, held2) = (stop.clone(), held.clone());
        thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => held2.lock().unwrap().push(stream),
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SilentRelay { url, stop, held }
    }

    fn connections(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

impl Drop for SilentRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The timeout the commands are given, and how much longer than it (plus the cost of a
/// command without network) a command may take: unlocking, process start and the
/// client's own retries inside the same budget.
const TIMEOUT_SECS: u64 = 3;
const MARGIN: u32 = 2;

fn timed(user: &User, args: &[&str]) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = user.run(args);
    (out, started.elapsed())
}

#[test]
fn a_relay_that_never_answers_is_given_up_on_within_the_timeout() {
    // Build (if needed) before anything is timed.
    let _ = corridor_bin();
    let silent = SilentRelay::start();
    let timeout = Duration::from_secs(TIMEOUT_SECS);
    let t = format!("{TIMEOUT_SECS}s");
    let user = User::new("Patient", "patient real passphrase");

    // init checks the relay: it gives up, says so, and creates nothing.
    let (out, took) = timed(
        &user,
        &[
            "--timeout",
            &t,
            "--connect-timeout",
            "1s",
            "init",
            "--name",
            "P",
            "--relay",
            &silent.url,
            "--insecure-fast-kdf",
        ],
    );
    let stderr = assert_code(&out, code::RELAY_UNREACHABLE);
    assert!(stderr.contains("did not answer in time"), "{stderr}");
    assert!(stderr.contains("--offline"), "{stderr}");
    assert!(!user.home().join("key").exists());
    assert!(silent.connections() >= 1, "the relay was really asked");
    assert!(
        took < timeout * MARGIN + Duration::from_secs(5),
        "init took {took:?}"
    );

    user.init_offline(&silent.url);
    // The cost of a command that unlocks but uses no network, measured now.
    let (out, baseline) = timed(&user, &["contacts"]);
    assert_ok(&out, &["contacts"]);

    let other = SilentRelay::start();
    for (args, relay) in [
        (vec!["invite"], &silent),
        (vec!["relay", "add", other.url.as_str()], &other),
    ] {
        let mut all = vec!["--timeout", t.as_str(), "--connect-timeout", "1s"];
        all.extend_from_slice(&args);
        let before = relay.connections();
        let (out, took) = timed(&user, &all);
        let stderr = assert_code(&out, code::RELAY_UNREACHABLE);
        assert!(
            stderr.contains("did not answer in time") || stderr.contains("could not be reached"),
            "{args:?}: {stderr}"
        );
        assert!(
            took < baseline + timeout * MARGIN,
            "{args:?} took {took:?}; the timeout is {timeout:?}, a command without network {baseline:?}"
        );
        assert!(
            relay.connections() > before,
            "{args:?} reached the silent relay"
        );
        assert!(
            took >= timeout / 2,
            "{args:?} gave up at {took:?}, long before the timeout: not a timeout"
        );
    }
    // Nothing was left half-made.
    assert_eq!(user.json(&["invitations"]), serde_json::json!([]));
    assert_eq!(
        user.json(&["relay"])["relays"],
        serde_json::json!([silent.url])
    );
}
