//! `corridor sync`: exchange messages with the relays.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backend::Event;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{output, spinner};

/// Send what waits in the outbox, then fetch, decrypt and store new messages.
///
/// Prints a summary of what arrived (who wrote, new contacts, duress alerts); read the new
/// messages with `corridor inbox --new`. Exits with code 5 if a relay could not be reached;
/// queued messages then stay in the outbox for the next sync.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

#[derive(Serialize)]
struct Report<'a> {
    received: usize,
    received_from: &'a BTreeMap<String, usize>,
    sent: usize,
    still_queued: usize,
    undeliverable: usize,
    rejected: usize,
    unreachable_relays: usize,
    new_contacts: &'a [String],
    duress_alerts: &'a [String],
    refused_reused: u32,
    reused_invitations: &'a [u64],
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let mut events = client.subscribe();
        let host = super::relay_host(client);
        let report = spinner::during("Syncing", &host, client.sync()).await?;
        let mut alerts = Vec::new();
        let mut from: BTreeMap<String, usize> = BTreeMap::new();
        let mut reused: Vec<u64> = Vec::new();
        while let Ok(event) = events.try_recv() {
            match event {
                Event::DuressAlert { contact } => alerts.push(contact),
                Event::MessageReceived { contact } => *from.entry(contact).or_default() += 1,
                Event::InvitationReused { invitation } => reused.push(invitation),
                _ => {}
            }
        }
        reused.sort_unstable();
        reused.dedup();
        if json {
            output::json(&Report {
                received: report.messages,
                received_from: &from,
                sent: report.sent,
                still_queued: report.outbox_pending,
                undeliverable: report.undeliverable,
                rejected: report.rejected,
                unreachable_relays: report.unreachable_relays,
                new_contacts: &report.new_contacts,
                duress_alerts: &alerts,
                refused_reused: report.refused_reused,
                reused_invitations: &reused,
            })?;
        } else {
            for contact in &alerts {
                output::line(format_args!(
                    "!! DURESS ALERT: {} unlocked their profile with the duress passphrase. Treat \
                     them as in danger and their phone as seized.",
                    sanitize(contact)
                ))?;
            }
            if report.messages > 0 {
                let who: Vec<String> = if from.len() == 1 {
                    from.keys().map(|c| sanitize(c).into_owned()).collect()
                } else {
                    from.iter()
                        .map(|(c, n)| format!("{} ({n})", sanitize(c)))
                        .collect()
                };
                output::line(format_args!(
                    "{} from {}. Read them with `corridor inbox --new`.",
                    plural(report.messages, "new message", "new messages"),
                    who.join(", ")
                ))?;
            }
            for contact in &report.new_contacts {
                let label = sanitize(contact);
                output::line(format_args!(
                    "New contact {label} (someone used one of your invitations). {label} is a \
                     provisional label: rename it with `corridor rename {label} NAME`, then \
                     compare safety numbers with `corridor verify NAME`."
                ))?;
            }
            if report.sent > 0 {
                output::line(format_args!(
                    "Sent {} from the outbox.",
                    plural(report.sent, "queued envelope", "queued envelopes")
                ))?;
            }
            if report.refused_reused > 0 {
                let ids: Vec<String> = reused.iter().map(|id| format!("#{id}")).collect();
                output::line(format_args!(
                    "!! Someone else used an invitation that was already used up ({}): {} refused. \
                     The code reached more people than it was meant for, and they get no answer. \
                     If you know who it was, give them a new code with `corridor invite`; if not, \
                     the code may have leaked.",
                    if ids.is_empty() {
                        "one-time".to_string()
                    } else {
                        ids.join(", ")
                    },
                    plural(
                        report.refused_reused as usize,
                        "message was",
                        "messages were"
                    ),
                ))?;
            }
            if report.messages == 0
                && report.refused_reused == 0
                && alerts.is_empty()
                && report.new_contacts.is_empty()
                && report.sent == 0
            {
                output::line("Nothing new.")?;
            }
            if report.outbox_pending > 0 {
                output::line(format_args!(
                    "{} still waiting in the outbox.",
                    plural(report.outbox_pending, "envelope", "envelopes")
                ))?;
            }
        }
        if report.undeliverable > 0 {
            output::warn(format_args!(
                "{} queued envelope(s) were refused by the relay for good and dropped (the \
                 contact's mailbox is gone: ask them for a new invitation code)",
                report.undeliverable
            ));
        }
        if report.unreachable_relays > 0 {
            return Err(Failure::new(
                ExitCode::RelayUnreachable,
                format!(
                    "{} relay(s) could not be reached; {} queued envelope(s) stay in the outbox",
                    report.unreachable_relays, report.outbox_pending
                ),
            )
            .hint("nothing was lost; run `corridor sync` again later")
            .into());
        }
        Ok(())
    }
}
