//! `corridor init`: create a profile.

use serde::Serialize;

use crate::backend::{Client, ClientError, CreateOptions, KdfChoice};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{output, passphrase, spinner};

/// Create a new profile: your keys and an empty encrypted store in the home directory.
///
/// The passphrase is asked twice on the terminal, or read from --passphrase-file. Each relay
/// must answer first (within --timeout), unless --offline is given.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Your name as your contacts will see it (it never reaches a relay in the clear)
    #[arg(long, value_name = "ALIAS")]
    name: String,

    /// A relay to use for your mailboxes (repeat for several)
    #[arg(long = "relay", value_name = "URL", required = true)]
    relays: Vec<String>,

    /// Create the profile without checking that each relay answers (for example when
    /// preparing a profile without network)
    #[arg(long)]
    offline: bool,

    /// TEST ONLY: cheap passphrase hashing, so test suites do not spend seconds per unlock.
    /// Makes a seized profile easy to brute-force. Never use it for a real profile.
    /// Exists only in builds with the cargo feature `insecure-fast-kdf`.
    #[cfg(feature = "insecure-fast-kdf")]
    #[arg(long, hide = true)]
    insecure_fast_kdf: bool,
}

#[derive(Serialize)]
struct Created<'a> {
    home: String,
    name: &'a str,
    fingerprint: &'a str,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        if Client::profile_exists(ctx.home()) {
            return Err(Failure::new(
                ExitCode::GeneralError,
                format!(
                    "a profile already exists in {}; nothing was changed",
                    ctx.home().display()
                ),
            )
            .into());
        }
        let pass = passphrase::read_new(ctx.passphrase_source(), "passphrase")?;
        #[cfg(feature = "insecure-fast-kdf")]
        let kdf = if self.insecure_fast_kdf {
            KdfChoice::InsecureFast
        } else {
            KdfChoice::Default
        };
        #[cfg(not(feature = "insecure-fast-kdf"))]
        let kdf = KdfChoice::Default;
        let hosts: Vec<&str> = self.relays.iter().map(|r| spinner::host_of(r)).collect();
        let hosts = hosts.join(", ");
        let opts = CreateOptions {
            name: self.name,
            relays: self.relays.clone(),
            proxy: ctx.proxy(),
            check_relays: !self.offline,
            timeouts: ctx.timeouts(),
            kdf,
            ..Default::default()
        };
        let create = Client::create(ctx.home(), &pass, opts);
        let created = if self.offline {
            spinner::quiet("Creating the profile", create).await
        } else {
            spinner::during(
                "Checking the relay and creating the profile",
                &hosts,
                create,
            )
            .await
        };
        let client = match created {
            Ok(client) => client,
            Err(ClientError::RelayUnreachable | ClientError::RelayRefused) => {
                return Err(Failure::new(
                    ExitCode::RelayUnreachable,
                    format!("the relay ({hosts}) did not answer in time; no profile was created"),
                )
                .hint(
                    "check the address and your connection (and --proxy), or pass --offline to \
                     create the profile without checking",
                )
                .into());
            }
            Err(err) => return Err(err.into()),
        };
        let me = client.whoami()?;
        if ctx.json {
            let home = ctx.home().display().to_string();
            output::json(&Created {
                home,
                name: &me.name,
                fingerprint: &me.fingerprint,
            })?;
        } else {
            output::line(format_args!(
                "Created profile {} in {}",
                sanitize(&me.name),
                ctx.home().display()
            ))?;
            output::line(format_args!("Fingerprint: {}", me.fingerprint))?;
        }
        client.close().await;
        Ok(())
    }
}
