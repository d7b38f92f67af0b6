//! Helpers for the `cli_*` end-to-end tests: drive the real `corridor` binary in temporary
//! profile directories, and put a recording TCP forwarder between it and the relay so tests
//! can (a) see which mailbox ids travelled on the wire and (b) make the relay unreachable
//! and reachable again at the same address.
// Test support: failing loudly is the point, as clippy.toml allows inside tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Longest any single `corridor` invocation may take before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Exit codes documented in docs/caseworkers.md.
pub mod code {
    pub const OK: i32 = 0;
    pub const GENERAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WRONG_PASSPHRASE: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const RELAY_UNREACHABLE: i32 = 5;
    pub const MISMATCH: i32 = 6;
    pub const INVALID_INVITATION: i32 = 7;
    pub const CANCELLED: i32 = 8;
    pub const PROFILE_BUSY: i32 = 9;
    pub const ALREADY_CONTACT: i32 = 10;
}

/// The `corridor` binary (built by `corridor_e2e` if it is missing or stale).
///
/// Looked up once per test executable: the lookup scans the workspace sources and may run
/// `cargo build`, which is too slow to repeat for every command a test runs.
pub fn corridor_bin() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        corridor_e2e::workspace_binary("corridor-cli", "corridor").expect("the corridor binary")
    })
    .clone()
}

/// Runs `cmd` to completion with `stdin` as input, failing the test after `timeout`.
pub fn run_with_timeout(mut cmd: Command, stdin: &[u8], timeout: Duration) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn corridor");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command timed out after {timeout:?}: {cmd:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let _ = writer.join();
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// One person: a profile directory and a passphrase file.
pub struct User {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub pass_file: PathBuf,
}

impl User {
    /// A user whose passphrase is `passphrase`; the profile is not created yet.
    pub fn new(name: &str, passphrase: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("corridor-cli-e2e-")
            .tempdir()
            .unwrap();
        let pass_file = dir.path().join("passphrase");
        write_secret_file(&pass_file, passphrase);
        User {
            name: name.to_string(),
            dir,
            pass_file,
        }
    }

    /// The profile directory (inside the temp dir, next to the passphrase files).
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("profile")
    }

    /// Writes another secret file next to the profile and returns its path.
    pub fn secret_file(&self, file: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(file);
        write_secret_file(&path, contents);
        path
    }

    /// A `corridor` command for this user with `--home` and `--passphrase-file` set.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with_pass(&self.pass_file, args)
    }

    /// Like [`User::command`] with another passphrase file.
    pub fn command_with_pass(&self, pass_file: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(corridor_bin());
        cmd.arg("--home")
            .arg(self.home())
            .arg("--passphrase-file")
            .arg(pass_file)
            .args(args);
        cmd.env_remove("CORRIDOR_HOME");
        cmd
    }

    /// Runs `corridor ARGS` and returns its output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        run_with_timeout(self.command(args), b"", COMMAND_TIMEOUT)
    }

    /// Runs `corridor ARGS`, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_ok(&out, args);
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `corridor --json ARGS`, asserts success, parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("bad JSON {out:?}: {e}"))
    }

    /// `corridor init` with the fast test-only KDF.
    pub fn init(&self, relay: &str) {
        self.ok(&[
            "init",
            "--name",
            &self.name,
            "--relay",
            relay,
            "--insecure-fast-kdf",
        ]);
    }

    /// `corridor init --offline` (the relay is not asked), with the fast test-only KDF.
    pub fn init_offline(&self, relay: &str) {
        self.ok(&[
            "init",
            "--name",
            &self.name,
            "--relay",
            relay,
            "--offline",
            "--insecure-fast-kdf",
        ]);
    }
}

/// Connects `inviter` and `invitee` through a one-time invitation: the invitee accepts
/// (naming the inviter `invitee_label`) and writes, the inviter syncs, renames the
/// provisional `new-N` label to `inviter_label` and answers, the invitee syncs. Both end
/// with an established contact.
pub fn connect(inviter: &User, invitee: &User, inviter_label: &str, invitee_label: &str) {
    let code = inviter.ok(&["invite"]);
    invitee.ok(&["accept", code.trim(), "--name", invitee_label]);
    invitee.ok(&["send", invitee_label, "hello"]);
    let report = inviter.json(&["sync"]);
    let provisional = report["new_contacts"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no new contact in {report}"))
        .to_string();
    inviter.ok(&["rename", &provisional, inviter_label]);
    inviter.ok(&["send", inviter_label, "welcome"]);
    invitee.ok(&["sync"]);
}

/// Parses `bytes` as exactly one JSON value (after trimming), failing with the text.
pub fn one_json(bytes: &[u8], what: &str) -> serde_json::Value {
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{what} is not one JSON value ({e}): {text:?}"))
}

/// Asserts that `out` failed with `code` and printed one JSON error object on stderr
/// (`exit_code` matching) and nothing on stdout; returns the object.
pub fn assert_json_error(out: &Output, code: i32) -> serde_json::Value {
    assert_code(out, code);
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty on failure: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = one_json(&out.stderr, "stderr");
    assert_eq!(err["exit_code"], code, "{err}");
    assert!(
        err["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{err}"
    );
    assert!(err["reason"].is_string(), "{err}");
    err
}

/// Asserts that `out` is a success, showing stderr otherwise.
pub fn assert_ok(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "corridor {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts the exit code and returns stderr.
pub fn assert_code(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "unexpected exit code\nstdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn write_secret_file(path: &Path, contents: &str) {
    std::fs::write(path, format!("{contents}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Every file under `dir`, read raw.
pub fn all_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

/// Fails if `needle` occurs in any file under `dir`.
pub fn assert_absent(dir: &Path, needle: &[u8], what: &str) {
    assert!(!needle.is_empty());
    for (path, bytes) in all_bytes(dir) {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{what} found in {}",
            path.display()
        );
    }
}

/// A TCP forwarder on 127.0.0.1 that records what passes through it and can be switched
/// off (connections refused) and on again at the same address.
pub struct Forwarder {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    traffic: Arc<Mutex<Vec<u8>>>,
}

impl Forwarder {
    /// Starts forwarding 127.0.0.1:<new port> to `upstream`.
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let traffic = Arc::new(Mutex::new(Vec::new()));
        let (up2, stop2, traffic2) = (up.clone(), stop.clone(), traffic.clone());
        thread::spawn(move || accept_loop(listener, addr, upstream, up2, stop2, traffic2));
        Forwarder {
            addr,
            up,
            stop,
            traffic,
        }
    }

    /// `http://127.0.0.1:PORT`, the URL to give `corridor init --relay`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Refuse connections from now on (the port is closed).
    pub fn go_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        // Give the accept loop time to close the listener.
        thread::sleep(Duration::from_millis(200));
    }

    /// Accept connections again at the same address.
    pub fn come_up(&self) {
        self.up.store(true, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(200));
    }

    /// Every byte that went through, both directions, in arrival order.
    pub fn traffic(&self) -> Vec<u8> {
        self.traffic.lock().unwrap().clone()
    }

    /// The base64url values of JSON fields named `field` seen in the traffic.
    pub fn json_values(&self, field: &str) -> Vec<String> {
        let traffic = String::from_utf8_lossy(&self.traffic()).into_owned();
        let key = format!("\"{field}\":\"");
        let mut values: Vec<String> = traffic
            .match_indices(&key)
            .filter_map(|(at, _)| {
                let rest = &traffic[at + key.len()..];
                rest.find('"').map(|end| rest[..end].to_string())
            })
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(
    mut listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    traffic: Arc<Mutex<Vec<u8>>>,
) {
    listener.set_nonblocking(true).unwrap();
    let mut listening = true;
    while !stop.load(Ordering::SeqCst) {
        let want_up = up.load(Ordering::SeqCst);
        if want_up && !listening {
            // std sets SO_REUSEADDR on Unix, so the same port can be bound again.
            let deadline = Instant::now() + Duration::from_secs(5);
            listener = loop {
                match TcpListener::bind(addr) {
                    Ok(l) => break l,
                    Err(e) if Instant::now() > deadline => panic!("rebind {addr}: {e}"),
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            };
            listener.set_nonblocking(true).unwrap();
            listening = true;
        } else if !want_up && listening {
            // Replace the listener by an unbound placeholder so the port refuses connections.
            drop(std::mem::replace(&mut listener, placeholder_listener()));
            listening = false;
        }
        if !listening {
            thread::sleep(Duration::from_millis(20));
            continue;
        }
        match listener.accept() {
            Ok((client, _)) => {
                client.set_nonblocking(false).unwrap();
                if let Ok(server) = TcpStream::connect(upstream) {
                    pipe(client, server, traffic.clone());
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// A listener on another ephemeral port, held only so `listener` always has a value.
fn placeholder_listener() -> TcpListener {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    l
}

fn pipe(client: TcpStream, server: TcpStream, traffic: Arc<Mutex<Vec<u8>>>) {
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let t2 = traffic.clone();
    thread::spawn(move || copy(client, server, traffic));
    thread::spawn(move || copy(s2, c2, t2));
}

fn copy(mut from: TcpStream, mut to: TcpStream, traffic: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                traffic.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// The real `corridor-relay` binary on 127.0.0.1:0 with a temporary data directory
/// (the shared spawner from `corridor_e2e`); killed when dropped.
pub fn start_relay() -> corridor_e2e::RelayProcess {
    corridor_e2e::RelayProcess::start(corridor_e2e::RelayOptions::default())
        .expect("start corridor-relay")
}
