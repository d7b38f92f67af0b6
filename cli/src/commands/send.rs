//! `corridor send`: send a message to a contact.

use serde::Serialize;

use crate::backend::SendOutcome;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::{input, output, spinner};

/// Send a text message to a contact.
///
/// If no relay can be reached the message stays in the outbox, encrypted, and goes out on
/// the next `corridor sync` (exit code 5 tells a script so).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// The message, or - to read it from stdin (keeps it out of shell history)
    #[arg(value_name = "TEXT")]
    text: String,
}

#[derive(Serialize)]
struct Sent {
    delivered: bool,
    queued: bool,
}

/// What a script sees when the message could not go out yet.
pub(crate) const QUEUED: &str = "no relay could be reached: the message is kept in the outbox and goes out on the next `corridor sync`";

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let text = input::text_or_stdin(self.text)?;
        let client = ctx.client().await?;
        let outcome = spinner::during("Sending…", client.send(&self.contact, &text)).await?;
        let delivered = matches!(outcome, SendOutcome::Delivered);
        if json {
            output::json(&Sent {
                delivered,
                queued: !delivered,
            })?;
        } else if delivered {
            output::line("sent")?;
        }
        if delivered {
            Ok(())
        } else {
            Err(Failure::new(ExitCode::RelayUnreachable, QUEUED).into())
        }
    }
}
