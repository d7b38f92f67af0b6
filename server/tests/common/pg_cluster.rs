//! A throwaway PostgreSQL server for tests: a fresh cluster (initdb) in a temporary
//! directory, listening on 127.0.0.1 on a free port, with a password (SCRAM), stopped and
//! deleted when the test process ends (a watchdog process waits for the end of a pipe this
//! process holds open).
//!
//! The server binaries are looked for in `$CORRIDOR_PG_BIN`, then
//! `/usr/lib/postgresql/<newest>/bin` (Debian's layout), then `$PATH`. Without them the
//! test FAILS, saying how to install them: CI installs them (`.ci/run`), and a missing
//! database must not pass for a green run.
//!
//! PostgreSQL refuses to run as root; as root, the server runs as the `postgres` user
//! (created by the distribution's package) or `nobody`, through `runuser`.
// Test-only code: a failed setup step should fail the test loudly.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The user the superuser role is called (the relay connects as it).
pub const PG_USER: &str = "corridor";

/// A running throwaway cluster.
pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    password: String,
    run_as: Option<String>,
    // Held open for the life of the process: its end tells the watchdog to clean up.
    _watchdog: Mutex<(Child, ChildStdin)>,
}

fn find_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("CORRIDOR_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
                return dir;
            }
        }
    }
    panic!(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: these tests need \
         them. Install the distribution's server package (Debian/Ubuntu: `apt-get install -y \
         postgresql`; .ci/run does this), or point CORRIDOR_PG_BIN at their directory."
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out.truncate(bytes * 2);
    out
}

impl PgCluster {
    /// The cluster shared by every test of this process (started on first use).
    pub fn shared() -> &'static PgCluster {
        static SHARED: OnceLock<PgCluster> = OnceLock::new();
        SHARED.get_or_init(PgCluster::start)
    }

    /// A new cluster of its own (for tests that stop or restart the server).
    pub fn start() -> PgCluster {
        let bin = find_bin();
        let run_as = is_root().then(|| {
            let has_postgres = Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|o| o.status.success());
            if has_postgres { "postgres" } else { "nobody" }.to_string()
        });
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "corridor-pg-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            random_hex(4)
        ));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let password = random_hex(16);
        std::fs::write(dir.join("pwfile"), format!("{password}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::fs::set_permissions(dir.join("data"), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        if let Some(user) = &run_as {
            let status = Command::new("chown")
                .args(["-R", user])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster directory failed");
        }
        let port = free_port();
        // The watchdog: waits for this process's end (EOF on its stdin), then stops the
        // server and deletes the directory.
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(
                "cat >/dev/null; $RUNAS \"$BIN/pg_ctl\" -D \"$DIR/data\" -m immediate -w stop \
                 >/dev/null 2>&1; rm -rf \"$DIR\"",
            )
            .env("BIN", &bin)
            .env("DIR", &dir)
            .env(
                "RUNAS",
                run_as
                    .as_ref()
                    .map(|u| format!("runuser -u {u} --"))
                    .unwrap_or_default(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = watchdog.stdin.take().unwrap();
        let cluster = PgCluster {
            bin,
            dir,
            port,
            password,
            run_as,
            _watchdog: Mutex::new((watchdog, stdin)),
        };
        let out = cluster
            .server_command("initdb")
            .arg("-D")
            .arg(cluster.dir.join("data"))
            .args([
                "-U",
                PG_USER,
                "--auth=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .arg(format!("--pwfile={}", cluster.dir.join("pwfile").display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.start_server();
        cluster
    }

    fn server_command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(path);
                cmd
            }
            None => Command::new(path),
        }
    }

    fn client_command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.env("PGPASSWORD", &self.password).args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            PG_USER,
        ]);
        cmd
    }

    /// Starts the server (after [`PgCluster::stop`]) and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on",
            self.port,
            self.dir.display()
        );
        let out = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
    }

    /// Stops the server like a crash (`-m immediate`: no checkpoint, recovery at the next
    /// start).
    pub fn crash(&self) {
        let out = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A new, empty database; returns its URL.
    pub fn create_database(&self) -> String {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!("t{}_{}", N.fetch_add(1, Ordering::SeqCst), random_hex(4));
        let out = self
            .client_command("psql")
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "CREATE DATABASE failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(&name)
    }

    /// The URL of database `name` (with the password).
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://{PG_USER}:{}@127.0.0.1:{}/{name}",
            self.password, self.port
        )
    }

    /// The password in the URLs (to check it never shows).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The database name in `url`.
    pub fn database_of(url: &str) -> &str {
        url.rsplit('/').next().unwrap()
    }

    /// Runs SQL in database `name` through psql; returns its unaligned output.
    pub fn psql(&self, name: &str, sql: &str) -> String {
        let out = self
            .client_command("psql")
            .args(["-d", name, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `pg_dump` of database `name` (plain SQL).
    pub fn dump(&self, name: &str) -> Vec<u8> {
        let out = self
            .client_command("pg_dump")
            .args(["-d", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The cluster's data directory (heap files, WAL, notification queue).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
