//! `corridor send`: send a message to a contact.

use serde::Serialize;

use crate::backend::{MAX_TEXT_BYTES, SendOutcome};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{input, output, spinner};

/// The message size limit as shown to people.
pub(crate) const LIMIT_TEXT: &str = "16,384";

/// Send a text message to a contact.
///
/// The words after the contact are the message (quoting it is still wise, so that the shell
/// leaves characters such as ? * ! and ' alone). At most 16,384 bytes (UTF-8). If no relay
/// can be reached the message stays in the outbox, encrypted, and goes out on the next
/// `corridor sync` (exit code 5 tells a script so). Sending to a contact who raised a
/// duress alert asks for confirmation first.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// The message, or - to read it from stdin (keeps it out of shell history)
    #[arg(value_name = "TEXT", required = true, num_args = 1..)]
    text: Vec<String>,

    /// Send even to a contact who raised a duress alert, without asking
    #[arg(long)]
    yes: bool,
}

#[derive(Serialize)]
struct Sent<'a> {
    contact: &'a str,
    delivered: bool,
    queued: bool,
}

/// What a script sees when the message could not go out yet.
pub(crate) const QUEUED: &str = "no relay could be reached: the message is kept in the outbox and goes out on the next `corridor sync`";

/// Refuses an empty or oversized message with the limit in words.
pub(crate) fn check_text(text: &str) -> anyhow::Result<()> {
    if text.is_empty() {
        return Err(Failure::new(ExitCode::Usage, "the message is empty; nothing was sent").into());
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(Failure::new(
            ExitCode::Usage,
            format!(
                "the message is {} bytes; one message holds at most {LIMIT_TEXT} bytes (UTF-8); nothing was sent",
                text.len()
            ),
        )
        .hint("split it into several messages")
        .into());
    }
    Ok(())
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let text = match self.text.as_slice() {
            [one] => input::text_or_stdin(one.clone(), "the message text")?,
            words => words.join(" "),
        };
        check_text(&text)?;
        let client = ctx.client().await?;
        let contact = super::find_contact(client, &self.contact)?;
        let label = sanitize(&contact.label).into_owned();
        if let Some(at) = super::alerted_at(client, &contact)? {
            if !self.yes {
                super::confirm(
                    &format!(
                        "{label} raised a DURESS ALERT at {}: their phone may be in other hands and \
                         anything you send may be read by them",
                        output::time(at)
                    ),
                    "send",
                )?;
            }
        }
        let host = super::relay_host(client);
        let outcome = spinner::during("Sending", &host, client.send(&contact.label, &text)).await?;
        let delivered = matches!(outcome, SendOutcome::Delivered);
        if json {
            output::json(&Sent {
                contact: &contact.label,
                delivered,
                queued: !delivered,
            })?;
        } else if delivered {
            output::line(format_args!("Sent to {label}."))?;
        }
        if let Some(since) = contact.awaiting_reply_since {
            output::hint(format_args!(
                "{label} has not answered since you accepted their invitation ({}); your messages \
                 wait for them. If no answer comes, the code may have reached someone else first: \
                 ask them for a new invitation code.",
                output::time(since)
            ));
        }
        if delivered {
            Ok(())
        } else {
            Err(Failure::new(ExitCode::RelayUnreachable, QUEUED).into())
        }
    }
}
