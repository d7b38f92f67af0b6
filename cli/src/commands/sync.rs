//! `corridor sync`: exchange messages with the relays.

use serde::Serialize;

use crate::backend::Event;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{output, spinner};

/// Send what waits in the outbox, then fetch, decrypt and store new messages.
///
/// New contacts (people who used one of your invitations) and duress alerts are reported
/// on stderr. Exits with code 5 if a relay could not be reached; queued messages then stay
/// in the outbox for the next sync.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

#[derive(Serialize)]
struct Report<'a> {
    received: usize,
    sent: usize,
    still_queued: usize,
    undeliverable: usize,
    rejected: usize,
    unreachable_relays: usize,
    new_contacts: &'a [String],
    duress_alerts: &'a [String],
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let mut events = client.subscribe();
        let report = spinner::during("Syncing…", client.sync()).await?;
        let mut alerts = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let Event::DuressAlert { contact } = event {
                alerts.push(contact);
            }
        }
        for contact in &alerts {
            eprintln!(
                "DURESS ALERT: {} unlocked their profile with the duress passphrase. Treat them as \
                 in danger and their device as seized.",
                sanitize(contact)
            );
        }
        for contact in &report.new_contacts {
            let label = sanitize(contact);
            eprintln!(
                "New contact {label} (through one of your invitations). Rename it with \
                 `corridor rename {label} NAME`, then compare safety numbers with `corridor verify`."
            );
        }
        if report.undeliverable > 0 {
            eprintln!(
                "corridor: warning: {} queued envelope(s) were refused by the relay for good and dropped",
                report.undeliverable
            );
        }
        if json {
            output::json(&Report {
                received: report.messages,
                sent: report.sent,
                still_queued: report.outbox_pending,
                undeliverable: report.undeliverable,
                rejected: report.rejected,
                unreachable_relays: report.unreachable_relays,
                new_contacts: &report.new_contacts,
                duress_alerts: &alerts,
            })?;
        } else {
            output::line(format_args!(
                "received {}, sent {}, still queued {}",
                report.messages, report.sent, report.outbox_pending
            ))?;
        }
        if report.unreachable_relays > 0 {
            return Err(Failure::new(
                ExitCode::RelayUnreachable,
                format!(
                    "{} relay(s) could not be reached; {} queued envelope(s) stay in the outbox",
                    report.unreachable_relays, report.outbox_pending
                ),
            )
            .into());
        }
        Ok(())
    }
}
