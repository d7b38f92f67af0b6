//! `corridor verify`: compare safety numbers with a contact.

use serde::Serialize;

use crate::context::Context;
use crate::sanitize::sanitize;
use crate::{output, qr};

/// Show the safety number you share with a contact, or confirm that it matches.
///
/// Compare the number in person or over a call where you recognize the voice. If it matches
/// what the contact sees, run `corridor verify CONTACT --confirm NUMBER`. A mismatch means
/// someone may be in the middle: do not use the contact.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// Mark the contact verified if NUMBER matches (any spacing; the groups may be separate
    /// words, so no quoting is needed)
    #[arg(long, value_name = "NUMBER", num_args = 1..)]
    confirm: Option<Vec<String>>,

    /// Also draw the safety number as a QR code on stderr
    #[arg(long, conflicts_with = "confirm")]
    qr: bool,
}

#[derive(Serialize)]
struct Shown<'a> {
    contact: &'a str,
    safety_number: &'a str,
}

#[derive(Serialize)]
struct Confirmed<'a> {
    contact: &'a str,
    verified: bool,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let found = super::find_contact(client, &self.contact)?;
        let contact = found.label.as_str();
        if let Some(words) = self.confirm {
            // The client accepts any spacing, so groups typed as separate words are fine.
            client.confirm_verified(contact, &words.join(" "))?;
            if json {
                return Ok(output::json(&Confirmed {
                    contact,
                    verified: true,
                })?);
            }
            return Ok(output::line(format_args!(
                "{} is now verified.",
                sanitize(contact)
            ))?);
        }
        let number = client.safety_number(contact)?;
        if self.qr && !json {
            eprintln!("{}", qr::render(number.compact())?);
        }
        if json {
            return Ok(output::json(&Shown {
                contact,
                safety_number: number.digits(),
            })?);
        }
        output::line(number.digits())?;
        if let Some(at) = super::alerted_at(client, &found)? {
            output::hint(format_args!(
                "!! {} raised a DURESS ALERT at {}: whoever holds their phone may be the one \
                 reading this number to you.",
                sanitize(contact),
                output::time(at)
            ));
        }
        let quoted = shell_words::quote(contact);
        output::hint(format_args!(
            "Compare this with {} in person or on a call you trust. If it matches, run:\n  \
             corridor verify {} --confirm {}",
            sanitize(contact),
            sanitize(&quoted),
            number.digits()
        ));
        Ok(())
    }
}
