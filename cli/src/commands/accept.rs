//! `corridor accept`: become a contact through an invitation code.

use serde::Serialize;

use crate::context::Context;
use crate::sanitize::sanitize;
use crate::{input, output, spinner};

/// Accept an invitation code and add its creator as a contact.
///
/// Then compare safety numbers with `corridor verify LABEL` before trusting the contact.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The invitation code, or - to read it from stdin (keeps it out of shell history)
    #[arg(value_name = "CODE")]
    code: String,

    /// Your own name for this contact (only you see it; 1 to 64 characters)
    #[arg(long, value_name = "LABEL")]
    name: String,
}

#[derive(Serialize)]
struct Accepted<'a> {
    contact: &'a str,
    verified: bool,
    established: bool,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let code = input::text_or_stdin(self.code, "the invitation code")?;
        let client = ctx.client().await?;
        let contact = spinner::during(
            "Accepting the invitation",
            "the inviter's relay",
            client.accept_invitation(code.trim(), &self.name),
        )
        .await?;
        if json {
            return Ok(output::json(&Accepted {
                contact: &contact.label,
                verified: contact.verified,
                established: contact.established,
            })?);
        }
        let label = sanitize(&contact.label);
        output::line(format_args!("Added contact {label}."))?;
        output::hint(format_args!(
            "Before you trust it, compare safety numbers: corridor verify {label}"
        ));
        Ok(())
    }
}
