//! `corridor panic`: destroy the profile now.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use crate::backend::Client;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};

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
        if !self.yes {
            confirm()?;
        }
        // Drop any unlocked session first so no key outlives the wipe in memory.
        ctx.discard();
        Client::panic_wipe(ctx.home())?;
        eprintln!("The profile was destroyed.");
        Ok(())
    }
}

fn confirm() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::new(
            ExitCode::Cancelled,
            "not on a terminal: pass --yes to wipe without confirmation",
        )
        .into());
    }
    eprint!("This destroys the profile for good. Type wipe to continue: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim().eq_ignore_ascii_case("wipe") {
        Ok(())
    } else {
        Err(Failure::new(ExitCode::Cancelled, "cancelled; nothing was changed").into())
    }
}
