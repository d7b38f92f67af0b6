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

    /// Mark the contact verified if NUMBER matches (spaces optional; quoting not needed)
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
        if let Some(words) = self.confirm {
            let entered: String = words
                .concat()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            client.confirm_verified(&self.contact, &entered)?;
            if json {
                return Ok(output::json(&Confirmed {
                    contact: &self.contact,
                    verified: true,
                })?);
            }
            return Ok(output::line(format_args!(
                "{} is now verified.",
                sanitize(&self.contact)
            ))?);
        }
        let number = client.safety_number(&self.contact)?;
        let digits = number.digits();
        if self.qr {
            eprintln!("{}", qr::render(&number.compact())?);
        }
        if json {
            return Ok(output::json(&Shown {
                contact: &self.contact,
                safety_number: &digits,
            })?);
        }
        output::line(&digits)?;
        eprintln!(
            "Compare this with {} in person or on a call you trust. If it matches: corridor verify {} --confirm {}",
            sanitize(&self.contact),
            sanitize(&self.contact),
            digits
        );
        Ok(())
    }
}
