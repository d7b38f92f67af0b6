//! `corridor contacts`: list contacts.

use serde::Serialize;

use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// List your contacts and whether each is verified and established.
///
/// "established" means the contact has answered at least once, so both sides have a working
/// session. "alerts" marks contacts who receive a duress alert.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

#[derive(Serialize)]
struct Row<'a> {
    label: &'a str,
    verified: bool,
    established: bool,
    receives_duress_alerts: bool,
    disappearing_after_secs: Option<u64>,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let contacts = ctx.client().await?.contacts()?;
        if json {
            let rows: Vec<Row<'_>> = contacts
                .iter()
                .map(|c| Row {
                    label: &c.label,
                    verified: c.verified,
                    established: c.established,
                    receives_duress_alerts: c.receives_duress_alerts,
                    disappearing_after_secs: c.timer,
                })
                .collect();
            return Ok(output::json(&rows)?);
        }
        if contacts.is_empty() {
            eprintln!("No contacts yet. Create an invitation with `corridor invite`.");
        }
        for c in &contacts {
            let verified = if c.verified { "verified" } else { "UNVERIFIED" };
            let established = if c.established {
                "established"
            } else {
                "pending"
            };
            let alerts = if c.receives_duress_alerts {
                "  alerts"
            } else {
                ""
            };
            output::line(format_args!(
                "{}  {verified}  {established}{alerts}",
                sanitize(&c.label)
            ))?;
        }
        Ok(())
    }
}
