//! `corridor relay`: the relays this profile may contact.

use clap::Subcommand;
use serde::Serialize;

use crate::backend::ClientError;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{output, spinner};

/// List, add or remove the relays this profile may contact.
///
/// Corridor talks only to relays on this list (and, with a proxy set, to public relays
/// contacts name, through the proxy). The first one holds your new mailboxes. A relay is
/// https://HOST[:PORT]; plain http:// only for 127.0.0.1, localhost or a .onion address.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List the relays (the default)
    List,
    /// Add a relay; it must answer first unless --offline is given
    Add {
        /// The relay's address, e.g. https://relay.example.org
        #[arg(value_name = "URL")]
        url: String,
        /// Add it without checking that it answers
        #[arg(long)]
        offline: bool,
    },
    /// Remove a relay (refused while a contact, an open invitation or a duress alert uses it)
    Remove {
        /// The relay's address, as listed
        #[arg(value_name = "URL")]
        url: String,
    },
}

#[derive(Serialize)]
struct Relays<'a> {
    relays: &'a [String],
}

#[derive(Serialize)]
struct Changed<'a> {
    relay: &'a str,
    added: bool,
    removed: bool,
    relays: &'a [String],
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let (url, added) = match self.action.unwrap_or(Action::List) {
            Action::List => {
                let relays = client.relays()?;
                if json {
                    return Ok(output::json(&Relays { relays: &relays })?);
                }
                for (i, relay) in relays.iter().enumerate() {
                    let note = if i == 0 { "  (new mailboxes)" } else { "" };
                    output::line(format_args!("{}{note}", sanitize(relay)))?;
                }
                return Ok(());
            }
            Action::Add { url, offline } => {
                let added = spinner::during(
                    "Checking the relay",
                    spinner::host_of(&url),
                    client.add_relay(&url, !offline),
                )
                .await;
                if let Err(ClientError::RelayUnreachable | ClientError::RelayRefused) = added {
                    return Err(Failure::new(
                        ExitCode::RelayUnreachable,
                        "the relay did not answer in time; it was not added",
                    )
                    .hint(
                        "check the address and your connection, or pass --offline to add it \
                         without checking",
                    )
                    .into());
                }
                added?;
                (url, true)
            }
            Action::Remove { url } => {
                client.remove_relay(&url).await?;
                (url, false)
            }
        };
        let relays = client.relays()?;
        if json {
            return Ok(output::json(&Changed {
                relay: url.trim(),
                added,
                removed: !added,
                relays: &relays,
            })?);
        }
        let verb = if added { "added" } else { "removed" };
        output::line(format_args!("Relay {} {verb}.", sanitize(url.trim())))?;
        Ok(())
    }
}
