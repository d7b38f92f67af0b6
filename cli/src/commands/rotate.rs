//! `corridor rotate`: move the mailbox a contact writes to.

use serde::Serialize;

use crate::context::Context;
use crate::sanitize::sanitize;
use crate::{output, spinner};

/// Move the mailbox a contact writes to, on the same relay or another, without a new
/// handshake.
///
/// Use it when a relay may have been seized or watched, or to move a contact to another
/// relay. The old mailbox is still read until the contact's first message reaches the new
/// one (at most 14 days), then destroyed. Works once the contact has answered at least once.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// Put the new mailbox on this relay (one of `corridor relay list`) instead of the
    /// current one
    #[arg(long, value_name = "URL")]
    relay: Option<String>,
}

#[derive(Serialize)]
struct Rotated<'a> {
    contact: &'a str,
    rotated: bool,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let contact = super::find_contact(client, &self.contact)?;
        let host = match &self.relay {
            Some(relay) => spinner::host_of(relay).to_string(),
            None => super::relay_host(client),
        };
        spinner::during(
            "Rotating the mailbox",
            &host,
            client.rotate(&contact.label, self.relay.as_deref()),
        )
        .await?;
        if json {
            return Ok(output::json(&Rotated {
                contact: &contact.label,
                rotated: true,
            })?);
        }
        output::line(format_args!(
            "{} now writes to a new mailbox; the old one is read until their first message \
             reaches the new one.",
            sanitize(&contact.label)
        ))?;
        Ok(())
    }
}
