//! End-to-end tests for Corridor live in `tests/`; this library holds helpers they share:
//! locating (and if needed building) the workspace's binaries, and running a real
//! `corridor-relay` process on `127.0.0.1:0` with a temporary data directory.
//!
//! ```no_run
//! use corridor_e2e::{RelayOptions, RelayProcess};
//! let relay = RelayProcess::start(RelayOptions::default())?;
//! println!("relay at {}", relay.url()); // e.g. http://127.0.0.1:41234
//! # Ok::<(), corridor_e2e::E2eError>(())
//! ```
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The operator token every relay started by [`RelayProcess`] accepts by default, so
/// tests can create mailboxes without proof-of-work.
pub const TEST_OPERATOR_TOKEN: &str = "corridor-e2e-operator-token";

/// The log line prefix announcing the bound address (same as
/// `corridor_relay::LISTENING_PREFIX`, repeated here so this crate needs no dependency).
pub const LISTENING_PREFIX: &str = "corridor-relay listening on ";

/// How long to wait for a started relay to announce its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a helper failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum E2eError {
    /// Spawning, waiting or file-system access failed.
    Io(std::io::Error),
    /// `cargo build` of a binary failed.
    Build(String),
    /// The relay exited or stayed silent before announcing its address; carries its log.
    Start(String),
}

impl std::fmt::Display for E2eError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(err) => write!(f, "i/o error: {err}"),
            Self::Build(msg) => write!(f, "build failed: {msg}"),
            Self::Start(msg) => write!(f, "relay did not start: {msg}"),
        }
    }
}

impl std::error::Error for E2eError {}

impl From<std::io::Error> for E2eError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

/// The `target/<profile>` directory the running test executable was built into.
pub fn profile_dir() -> Result<PathBuf, E2eError> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test-binary>
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| E2eError::Build("cannot locate the target directory".into()))
}

/// The newest modification time of the workspace's sources (`*.rs`, `Cargo.toml`,
/// `Cargo.lock`), skipping `target*` and hidden directories.
fn newest_source(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        let time = if meta.is_dir() {
            if name.starts_with("target") || name.starts_with('.') {
                continue;
            }
            newest_source(&path)
        } else if name.ends_with(".rs") || name == "Cargo.toml" || name == "Cargo.lock" {
            meta.modified().ok()
        } else {
            None
        };
        newest = newest.max(time);
    }
    newest
}

/// True when the binary at `path` is missing or older than some workspace source.
fn needs_build(path: &Path) -> bool {
    let Ok(built) = std::fs::metadata(path).and_then(|m| m.modified()) else {
        return true;
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    workspace
        .and_then(newest_source)
        .is_some_and(|newest| newest > built)
}

/// The path of the workspace binary `bin` of package `package`, built with
/// `cargo build -p <package> --bin <bin>` (same profile and target directory as the
/// tests) when it is missing or older than a workspace source file. `cargo test
/// --workspace` does not necessarily build other packages' binaries before running this
/// crate's tests, and `cargo test -p corridor-e2e` never does.
pub fn workspace_binary(package: &str, bin: &str) -> Result<PathBuf, E2eError> {
    static BUILD_LOCK: Mutex<()> = Mutex::new(());
    let dir = profile_dir()?;
    let path = dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // The CLI is built with its test-only feature (`init --insecure-fast-kdf`). A binary
    // built without it (e.g. by `cargo build --workspace`) looks up to date by its time
    // stamp, so for the CLI cargo itself decides (it rebuilds when the features differ).
    let test_features = package == "corridor-cli";
    if !test_features && !needs_build(&path) {
        return Ok(path);
    }
    let target_dir = dir
        .parent()
        .ok_or_else(|| E2eError::Build("cannot locate the target directory".into()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", package, "--bin", bin])
        .env("CARGO_TARGET_DIR", target_dir);
    if test_features {
        cmd.args(["--features", "insecure-fast-kdf"]);
    }
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let output = cmd.output()?;
    if !output.status.success() || !path.exists() {
        return Err(E2eError::Build(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    Ok(path)
}

/// The `corridor-relay` binary (built if missing).
pub fn relay_binary() -> Result<PathBuf, E2eError> {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    if let Some(path) = PATH.get() {
        return Ok(path.clone());
    }
    let path = workspace_binary("corridor-relay", "corridor-relay")?;
    Ok(PATH.get_or_init(|| path).clone())
}

/// A directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh empty directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> Result<Self, E2eError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// How to start a relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Data directory; `None` makes a temporary one, removed with the [`RelayProcess`].
    pub data_dir: Option<PathBuf>,
    /// `--pow-difficulty` (default `Some(8)`: fast to solve in a debug build; `None`
    /// passes no flag, leaving it to a config file or the environment).
    pub pow_difficulty: Option<u8>,
    /// Operator tokens (default: [`TEST_OPERATOR_TOKEN`]).
    pub operator_tokens: Vec<String>,
    /// Further flags, e.g. `["--max-messages-per-mailbox", "5"]`.
    pub extra_args: Vec<String>,
    /// Environment variables for the relay (every inherited `CORRIDOR_RELAY_*` is removed).
    pub env: Vec<(String, String)>,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            data_dir: None,
            pow_difficulty: Some(8),
            operator_tokens: vec![TEST_OPERATOR_TOKEN.into()],
            extra_args: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// A running `corridor-relay` process on `127.0.0.1:0`. Killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct RelayProcess {
    child: Option<Child>,
    addr: SocketAddr,
    url: String,
    data_dir: PathBuf,
    options: RelayOptions,
    logs: Arc<Mutex<Vec<String>>>,
    // Declared last: removed after the child is killed.
    _temp: Option<TempDir>,
}

impl RelayProcess {
    /// Starts a relay and waits until it announces its address.
    pub fn start(options: RelayOptions) -> Result<Self, E2eError> {
        let (temp, data_dir) = match &options.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = TempDir::new("corridor-relay-e2e")?;
                let dir = temp.path().join("data");
                (Some(temp), dir)
            }
        };
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (child, url, addr) = spawn(&options, &data_dir, &logs)?;
        Ok(Self {
            child: Some(child),
            addr,
            url,
            data_dir,
            options,
            logs,
            _temp: temp,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (`https://` when the relay was given a
    /// certificate; no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Every line the relay logged so far (all of its runs).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Kills the process with SIGKILL (no chance to flush) and waits for it.
    pub fn kill(&mut self) -> Result<(), E2eError> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Sends SIGTERM and waits for the process to exit on its own.
    pub fn terminate(&mut self) -> Result<ExitStatus, E2eError> {
        let Some(mut child) = self.child.take() else {
            return Err(E2eError::Start("relay is not running".into()));
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        if !status.success() {
            return Err(E2eError::Io(std::io::Error::other("kill -TERM failed")));
        }
        Ok(child.wait()?)
    }

    /// Starts the relay again on the same data directory (stopping it first with SIGKILL
    /// if it still runs). The new process listens on a new port: read [`Self::url`] again.
    pub fn restart(&mut self) -> Result<(), E2eError> {
        self.kill()?;
        let (child, url, addr) = spawn(&self.options, &self.data_dir, &self.logs)?;
        self.child = Some(child);
        self.addr = addr;
        self.url = url;
        Ok(())
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

fn spawn(
    options: &RelayOptions,
    data_dir: &Path,
    logs: &Arc<Mutex<Vec<String>>>,
) -> Result<(Child, String, SocketAddr), E2eError> {
    let mut cmd = Command::new(relay_binary()?);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CORRIDOR_RELAY_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--log")
        .arg("info")
        .args(&options.extra_args)
        .envs(options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(difficulty) = options.pow_difficulty {
        cmd.arg("--pow-difficulty").arg(difficulty.to_string());
    }
    if !options.operator_tokens.is_empty() {
        cmd.env(
            "CORRIDOR_RELAY_OPERATOR_TOKENS",
            options.operator_tokens.join(","),
        );
    }
    let mut child = cmd.spawn()?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| E2eError::Start("no stderr pipe".into()))?;
    let (found, address) = mpsc::channel();
    let sink = logs.clone();
    // Drains stderr for the life of the process so the relay never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(found_url) = parse_listening(&line) {
                let _ = found.send(found_url);
            }
            if let Ok(mut logs) = sink.lock() {
                logs.push(line);
            }
        }
    });
    match address.recv_timeout(START_TIMEOUT) {
        Ok((url, addr)) => Ok((child, url, addr)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            let log = logs.lock().map(|l| l.join("\n")).unwrap_or_default();
            Err(E2eError::Start(log))
        }
    }
}

/// Extracts the base URL and the address from the relay's
/// `corridor-relay listening on http://IP:PORT, data in DIR` log line.
pub fn parse_listening(line: &str) -> Option<(String, SocketAddr)> {
    let rest = line.split(LISTENING_PREFIX).nth(1)?;
    let url = rest.split([',', ' ']).next()?;
    let hostport = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    Some((url.to_string(), hostport.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_listening_line() {
        let line = " INFO corridor-relay listening on http://127.0.0.1:4321, data in /tmp/x";
        assert_eq!(
            parse_listening(line),
            Some((
                "http://127.0.0.1:4321".to_string(),
                "127.0.0.1:4321".parse().unwrap()
            ))
        );
        assert_eq!(parse_listening("INFO something else"), None);
    }
}
