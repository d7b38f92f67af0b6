//! `corridor whoami`: show your own identity.

use serde::Serialize;

use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Show your name, your identity fingerprint and your relays.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

#[derive(Serialize)]
struct Shown<'a> {
    name: &'a str,
    fingerprint: &'a str,
    relays: &'a [String],
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let me = ctx.client().await?.whoami()?;
        if json {
            return Ok(output::json(&Shown {
                name: &me.name,
                fingerprint: &me.fingerprint,
                relays: &me.relays,
            })?);
        }
        output::line(format_args!("Name:        {}", sanitize(&me.name)))?;
        output::line(format_args!("Fingerprint: {}", me.fingerprint))?;
        for relay in &me.relays {
            output::line(format_args!("Relay:       {}", sanitize(relay)))?;
        }
        Ok(())
    }
}
