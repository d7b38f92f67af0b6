//! `corridor passphrase`: change the profile passphrase.

use clap::Subcommand;

use crate::context::Context;
use crate::output;
use crate::passphrase::{self, Source};

/// Manage the profile passphrase.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Change the passphrase (the current one is asked first, even in a shell)
    Change(ChangeArgs),
}

#[derive(Debug, clap::Args)]
struct ChangeArgs {
    /// Read the new passphrase from the first line of this file instead of prompting twice
    #[arg(long, value_name = "PATH")]
    new_passphrase_file: Option<std::path::PathBuf>,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let Action::Change(args) = self.action;
        ctx.require_profile()?;
        let old = passphrase::read_current(ctx.passphrase_source(), "Current passphrase: ")?;
        // Unlock (and so check the current passphrase) before asking for a new one.
        ctx.client_with(&old).await?;
        let source = Source {
            file: args.new_passphrase_file.as_deref(),
            flag: "--new-passphrase-file",
        };
        let new = passphrase::read_new(source, "new passphrase")?;
        ctx.client_with(&old).await?.change_passphrase(&old, &new)?;
        if ctx.json {
            return Ok(output::json(
                &serde_json::json!({ "passphrase_changed": true }),
            )?);
        }
        output::line("Passphrase changed.")?;
        Ok(())
    }
}
