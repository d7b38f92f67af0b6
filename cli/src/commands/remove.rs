//! `corridor remove`: forget a contact.

use serde::Serialize;

use crate::context::Context;
use crate::sanitize::sanitize;
use crate::{output, spinner};

/// Forget a contact: its session, its messages and its queued messages are deleted from
/// this device, and its mailboxes are destroyed on the relay (now if reachable).
///
/// There is no undo: to talk again, one of you makes a new invitation. Asks for
/// confirmation on a terminal unless --yes is given.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// Do not ask for confirmation
    #[arg(long)]
    yes: bool,
}

#[derive(Serialize)]
struct Removed<'a> {
    contact: &'a str,
    removed: bool,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let contact = super::find_contact(client, &self.contact)?;
        let label = sanitize(&contact.label).into_owned();
        if !self.yes {
            super::confirm(
                &format!("This deletes {label} and every message with them from this device"),
                "remove",
            )?;
        }
        let host = super::relay_host(client);
        spinner::during(
            "Removing the contact",
            &host,
            client.remove_contact(&contact.label),
        )
        .await?;
        if json {
            return Ok(output::json(&Removed {
                contact: &contact.label,
                removed: true,
            })?);
        }
        output::line(format_args!("{label} was removed."))?;
        Ok(())
    }
}
