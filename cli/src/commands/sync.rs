//! `corridor sync`: exchange messages with the relays.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backend::{Event, OrgSyncReport};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::output::plural;
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
    org: OrgCounts<'a>,
}

/// What this sync did for the organization (all zero for a profile outside one).
#[derive(Serialize)]
struct OrgCounts<'a> {
    new_cases: usize,
    case_updates: usize,
    roster_updates: usize,
    intake_refused: u32,
    purged_cases: usize,
    refused: usize,
    opened: &'a [String],
    updated: &'a [String],
    epoch: Option<u64>,
}

/// The organization's part of the summary, one line per kind of change.
fn org_lines(
    org: &OrgSyncReport,
    opened: &[String],
    updated: &[String],
    epoch: Option<u64>,
) -> std::io::Result<()> {
    let ids = |list: &[String]| {
        if list.is_empty() {
            String::new()
        } else {
            let shown: Vec<String> = list.iter().map(|s| sanitize(s).into_owned()).collect();
            format!(" ({})", shown.join(", "))
        }
    };
    if org.new_cases > 0 {
        output::line(format_args!(
            "{}{}. See them with `corridor cases --status new`.",
            plural(org.new_cases, "new case", "new cases"),
            ids(opened)
        ))?;
    }
    if org.case_updates > 0 {
        output::line(format_args!(
            "{}{}: `corridor case show ID`.",
            plural(org.case_updates, "case update", "case updates"),
            ids(updated)
        ))?;
    }
    if org.roster_updates > 0 {
        output::line(format_args!(
            "The organization's roster changed{}: `corridor org members`.",
            epoch.map(|e| format!(" (epoch {e})")).unwrap_or_default()
        ))?;
    }
    if org.intake_refused > 0 {
        output::line(format_args!(
            "!! {} refused: the intake address is flooded (more unanswered new cases than the \
             limit). Work through `corridor cases --status new`; if the flood goes on, the \
             standing intake code has leaked: revoke it (`corridor invitations`) and give out \
             referral codes instead.",
            plural(
                org.intake_refused as usize,
                "intake request was",
                "intake requests were"
            )
        ))?;
    }
    if org.refused > 0 {
        output::line(format_args!(
            "!! {} from the organization refused (bad signature, no authority or not for this \
             device) and dropped.",
            plural(org.refused, "message", "messages")
        ))?;
    }
    if org.purged_cases > 0 {
        output::line(format_args!(
            "{} purged after the retention period.",
            plural(org.purged_cases, "closed case", "closed cases")
        ))?;
    }
    Ok(())
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
        let (mut opened, mut updated, mut epoch) = (Vec::new(), Vec::new(), None);
        while let Ok(event) = events.try_recv() {
            match event {
                Event::DuressAlert { contact } => alerts.push(contact),
                Event::MessageReceived { contact } => *from.entry(contact).or_default() += 1,
                Event::InvitationReused { invitation } => reused.push(invitation),
                Event::CaseOpened { short } => opened.push(short),
                Event::CaseUpdated { short } => updated.push(short),
                Event::RosterUpdated { epoch: e } => epoch = epoch.max(Some(e)),
                _ => {}
            }
        }
        reused.sort_unstable();
        reused.dedup();
        for list in [&mut opened, &mut updated] {
            list.sort_unstable();
            list.dedup();
        }
        updated.retain(|short| !opened.contains(short));
        let org = &report.org;
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
                org: OrgCounts {
                    new_cases: org.new_cases,
                    case_updates: org.case_updates,
                    roster_updates: org.roster_updates,
                    intake_refused: org.intake_refused,
                    purged_cases: org.purged_cases,
                    refused: org.refused,
                    opened: &opened,
                    updated: &updated,
                    epoch,
                },
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
            org_lines(org, &opened, &updated, epoch)?;
            if report.messages == 0
                && org.new_cases == 0
                && org.case_updates == 0
                && org.roster_updates == 0
                && org.intake_refused == 0
                && org.purged_cases == 0
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
