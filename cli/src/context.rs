//! What every command runs against: the profile directory, how to get the passphrase, the
//! output mode, and (once unlocked) the open [`Client`].

use std::path::{Path, PathBuf};

use crate::backend::{Client, ClientError, NetTimeouts, OpenOptions, Passphrase};
use crate::cli::Global;
use crate::exit_codes::{ExitCode, Failure};
use crate::passphrase::{self, Source};
use crate::spinner;

/// The state shared by the commands of one invocation (or of one `corridor shell`).
pub(crate) struct Context {
    home: PathBuf,
    passphrase_file: Option<PathBuf>,
    proxy: Option<String>,
    timeouts: NetTimeouts,
    /// Whether the current command prints JSON.
    pub(crate) json: bool,
    /// The unlocked profile. Dropping it locks the profile again (the client zeroizes its
    /// keys on drop).
    client: Option<Client>,
}

impl Context {
    /// Builds the context from the global options.
    pub(crate) fn new(global: Global) -> anyhow::Result<Self> {
        let home = match global.home {
            Some(home) => home,
            None => default_home()?,
        };
        Ok(Context {
            home,
            passphrase_file: global.passphrase_file,
            proxy: global.proxy,
            timeouts: {
                let default = NetTimeouts::default();
                NetTimeouts {
                    connect: global.connect_timeout.unwrap_or(default.connect),
                    overall: global.timeout.unwrap_or(default.overall),
                }
            },
            json: global.json,
            client: None,
        })
    }

    /// The profile directory.
    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    /// The network timeouts (`--connect-timeout`, `--timeout`).
    pub(crate) fn timeouts(&self) -> NetTimeouts {
        self.timeouts
    }

    /// The SOCKS5 proxy given with `--proxy` for this command, if any.
    pub(crate) fn proxy(&self) -> Option<String> {
        self.proxy.clone()
    }

    /// Where the profile's own passphrase comes from.
    pub(crate) fn passphrase_source(&self) -> Source<'_> {
        Source {
            file: self.passphrase_file.as_deref(),
            flag: "--passphrase-file",
        }
    }

    /// The open profile, unlocking it first if needed: one read of `--passphrase-file`, or
    /// up to [`PROMPT_TRIES`] prompts on a terminal.
    pub(crate) async fn client(&mut self) -> anyhow::Result<&Client> {
        let client = match self.client.take() {
            Some(client) => client,
            None => {
                self.require_profile()?;
                self.unlock().await?
            }
        };
        Ok(self.client.insert(client))
    }

    async fn unlock(&self) -> anyhow::Result<Client> {
        let tries = if passphrase::prompts(self.passphrase_source()) {
            PROMPT_TRIES
        } else {
            1
        };
        let mut attempt = 1;
        loop {
            let pass = passphrase::read_current(self.passphrase_source(), "Passphrase: ")?;
            match self.open(&pass).await {
                Ok(client) => return Ok(client),
                Err(err) if is_wrong_passphrase(&err) && attempt < tries => {
                    eprintln!(
                        "Wrong passphrase; try again ({} left).",
                        tries.saturating_sub(attempt)
                    );
                    attempt += 1;
                }
                Err(err) if is_wrong_passphrase(&err) && tries > 1 => {
                    return Err(Failure::new(
                        ExitCode::WrongPassphrase,
                        format!("{tries} wrong passphrases; nothing was changed"),
                    )
                    .hint("check the passphrase and run the command again")
                    .into());
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// The open profile, unlocking it with `pass` if it is not open yet.
    pub(crate) async fn client_with(&mut self, pass: &Passphrase) -> anyhow::Result<&Client> {
        let client = match self.client.take() {
            Some(client) => client,
            None => {
                self.require_profile()?;
                self.open(pass).await?
            }
        };
        Ok(self.client.insert(client))
    }

    /// Whether the profile is currently unlocked.
    pub(crate) fn is_unlocked(&self) -> bool {
        self.client.is_some()
    }

    /// Locks the profile: lets the client finish background work (a duress alert being
    /// sent, for at most a few seconds), then drops it and with it every key in memory.
    pub(crate) async fn lock(&mut self) {
        if let Some(client) = self.client.take() {
            client.close().await;
        }
    }

    /// Drops the client at once, without waiting for background work (before a wipe).
    pub(crate) fn discard(&mut self) {
        self.client = None;
    }

    /// Fails with [`ExitCode::NotFound`] when the home directory holds no profile.
    pub(crate) fn require_profile(&self) -> anyhow::Result<()> {
        if Client::profile_exists(&self.home) {
            Ok(())
        } else {
            Err(Failure::new(
                ExitCode::NotFound,
                format!(
                    "no profile in {}; create one with `corridor init`",
                    self.home.display()
                ),
            )
            .into())
        }
    }

    async fn open(&self, pass: &Passphrase) -> anyhow::Result<Client> {
        let opts = OpenOptions {
            proxy: self.proxy(),
            timeouts: self.timeouts,
            ..Default::default()
        };
        match spinner::quiet("Unlocking", Client::open(&self.home, pass, opts)).await {
            Ok(client) => Ok(client),
            Err(ClientError::Storage) if profile_in_use(&self.home) => Err(busy().into()),
            Err(err) => Err(err.into()),
        }
    }
}

/// How many times a person at a terminal may type the passphrase before `corridor` gives
/// up with exit code 3.
pub(crate) const PROMPT_TRIES: u32 = 3;

fn is_wrong_passphrase(err: &anyhow::Error) -> bool {
    matches!(
        err.downcast_ref::<ClientError>(),
        Some(ClientError::WrongPassphrase)
    )
}

/// The failure for a profile another process holds open.
pub(crate) fn busy() -> Failure {
    Failure::new(
        ExitCode::ProfileBusy,
        "the profile is open in another corridor process (a `corridor shell`?)",
    )
    .hint("type the command in that shell, or leave it with `exit` and try again")
}

/// Whether another process holds the profile's database open. The embedded database
/// takes an exclusive advisory lock on its `db` file in each database directory; this
/// probes that lock without keeping it.
pub(crate) fn profile_in_use(home: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(home) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let db = entry.path().join("db");
        std::fs::File::open(&db).is_ok_and(|file| match fs2::FileExt::try_lock_exclusive(&file) {
            Ok(()) => {
                let _ = fs2::FileExt::unlock(&file);
                false
            }
            Err(e) => e.kind() == fs2::lock_contended_error().kind(),
        })
    })
}

/// `$XDG_DATA_HOME/corridor`, else `~/.local/share/corridor`.
fn default_home() -> anyhow::Result<PathBuf> {
    let from_env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(data) = from_env("XDG_DATA_HOME") {
        return Ok(data.join("corridor"));
    }
    if let Some(home) = from_env("HOME") {
        return Ok(home.join(".local/share/corridor"));
    }
    Err(Failure::new(
        ExitCode::Usage,
        "cannot tell where the profile lives: pass --home DIR",
    )
    .into())
}
