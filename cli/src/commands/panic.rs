//! `corridor panic`: destroy the profile now.

use crate::backend::Client;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::output;

/// Destroy this profile at once: keys, contacts and messages become unreadable.
///
/// The key file is overwritten and removed first, so everything else is unreadable from
/// that moment even if removing the rest is interrupted. No passphrase is needed. There is
/// no undo. Asks for confirmation on a terminal unless --yes is given.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Do not ask for confirmation
    #[arg(long)]
    yes: bool,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        // Drop any unlocked session first so no key outlives the wipe in memory.
        ctx.discard();
        if !Client::profile_exists(ctx.home()) {
            return Err(Failure::new(
                ExitCode::NotFound,
                format!(
                    "no profile in {}: nothing was destroyed",
                    ctx.home().display()
                ),
            )
            .hint("check --home (or CORRIDOR_HOME); without them the profile is $XDG_DATA_HOME/corridor or ~/.local/share/corridor")
            .into());
        }
        if !self.yes {
            super::confirm("This destroys the profile for good", "wipe")?;
        }
        Client::panic_wipe(ctx.home())?;
        if ctx.json {
            output::json(&serde_json::json!({
                "destroyed": true,
                "home": ctx.home().display().to_string(),
            }))?;
        } else {
            eprintln!("The profile in {} was destroyed.", ctx.home().display());
        }
        Ok(())
    }
}
