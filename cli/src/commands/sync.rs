//! `corridor sync`: exchange messages with the relays.

use serde::Serialize;

use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::{output, spinner};

/// Send what waits in the outbox, then fetch, decrypt and store new messages.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

#[derive(Serialize)]
struct Report {
    received: usize,
    sent: usize,
    still_queued: usize,
    unreachable_relays: usize,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let report = spinner::during("Syncing…", client.sync()).await?;
        let r = Report {
            received: report.received,
            sent: report.sent,
            still_queued: report.still_queued,
            unreachable_relays: report.unreachable.len(),
        };
        if json {
            output::json(&r)?;
        } else {
            output::line(format_args!(
                "received {}, sent {}, still queued {}",
                r.received, r.sent, r.still_queued
            ))?;
        }
        if r.unreachable_relays > 0 {
            return Err(Failure::new(
                ExitCode::RelayUnreachable,
                format!(
                    "{} relay(s) could not be reached; queued messages stay in the outbox",
                    r.unreachable_relays
                ),
            )
            .into());
        }
        Ok(())
    }
}
