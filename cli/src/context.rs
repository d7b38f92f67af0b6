//! What every command runs against: the profile directory, how to get the passphrase, the
//! output mode, and (once unlocked) the open [`Client`].

use std::path::{Path, PathBuf};

use crate::backend::{Client, OpenOptions, Passphrase};
use crate::cli::Global;
use crate::exit_codes::{ExitCode, Failure};
use crate::passphrase::{self, Source};
use crate::spinner;

/// The state shared by the commands of one invocation (or of one `corridor shell`).
pub(crate) struct Context {
    home: PathBuf,
    passphrase_file: Option<PathBuf>,
    proxy: Option<String>,
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
            json: global.json,
            client: None,
        })
    }

    /// The profile directory.
    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    /// The SOCKS5 proxy to reach relays through, if any.
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

    /// The open profile, unlocking it first (one passphrase prompt) if needed.
    pub(crate) async fn client(&mut self) -> anyhow::Result<&Client> {
        let client = match self.client.take() {
            Some(client) => client,
            None => {
                self.require_profile()?;
                let pass = passphrase::read_current(self.passphrase_source(), "Passphrase: ")?;
                self.open(&pass).await?
            }
        };
        Ok(self.client.insert(client))
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
            ..Default::default()
        };
        Ok(spinner::during("Unlocking…", Client::open(&self.home, pass, opts)).await?)
    }
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
