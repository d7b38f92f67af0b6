//! `corridor rename`: change your label for a contact.

use serde::Serialize;

use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Give a contact another label (only you see labels; they never leave your device).
///
/// Contacts who arrive through your invitations get a provisional label (new-1, new-2, …);
/// rename them to something you will recognize. A label has 1 to 64 characters, no control
/// characters and no spaces at either end.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's current label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// The new label
    #[arg(value_name = "NEW_LABEL")]
    new_label: String,
}

#[derive(Serialize)]
struct Renamed<'a> {
    contact: &'a str,
    previous_label: &'a str,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let contact = super::find_contact(client, &self.contact)?;
        client.rename_contact(&contact.label, &self.new_label)?;
        if json {
            return Ok(output::json(&Renamed {
                contact: &self.new_label,
                previous_label: &contact.label,
            })?);
        }
        output::line(format_args!(
            "{} is now {}.",
            sanitize(&contact.label),
            sanitize(&self.new_label)
        ))?;
        Ok(())
    }
}
