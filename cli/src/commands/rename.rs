//! `corridor rename`: change your label for a contact.

use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Give a contact another label (only you see labels; they never leave your device).
///
/// Contacts who arrive through your invitations get a provisional label; rename them to
/// something you will recognize.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's current label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// The new label
    #[arg(value_name = "NEW_LABEL")]
    new_label: String,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        ctx.client()
            .await?
            .rename_contact(&self.contact, &self.new_label)?;
        output::line(format_args!(
            "{} is now {}.",
            sanitize(&self.contact),
            sanitize(&self.new_label)
        ))?;
        Ok(())
    }
}
