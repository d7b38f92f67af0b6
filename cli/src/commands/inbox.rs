//! `corridor inbox`: read stored messages.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::backend::{CaseFilter, Client, Direction, MessageKind, MessageView, Status};
use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Show the messages stored in your profile, oldest first, and mark them read.
///
/// Run `corridor sync` first to fetch new ones; `corridor inbox --new` then shows only what
/// you have not seen yet. Every text is shown with control and bidi characters escaped, one
/// message per line. Outgoing messages still waiting in the outbox are marked (queued).
/// Duress alerts are shown as such, and so is every message of a contact who raised one.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only messages exchanged with this contact
    #[arg(value_name = "CONTACT")]
    contact: Option<String>,

    /// Only incoming messages not shown before
    #[arg(long)]
    new: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    contact: &'a str,
    direction: &'static str,
    kind: &'static str,
    text: &'a str,
    at: u64,
    expires_at: Option<u64>,
    unread: bool,
    queued: bool,
}

fn direction(m: &MessageView) -> &'static str {
    match m.direction {
        Direction::Incoming => "in",
        Direction::Outgoing => "out",
    }
}

fn is_alert(m: &MessageView) -> bool {
    matches!(m.kind, MessageKind::DuressAlert)
}

/// For members of an organization: how many cases wait in status new (cases are not
/// messages, so they are counted here rather than listed).
fn new_cases_hint(client: &Client) {
    if !matches!(client.org(), Ok(Some(_))) {
        return;
    }
    let filter = CaseFilter {
        status: Some(Status::New),
        mine: false,
    };
    let Ok(cases) = client.cases(&filter) else {
        return;
    };
    match cases.len() {
        0 => {}
        1 => output::hint("1 case is new: `corridor cases --status new`."),
        n => output::hint(format_args!(
            "{n} cases are new: `corridor cases --status new`."
        )),
    }
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let label = match &self.contact {
            Some(label) => Some(super::find_contact(client, label)?.label),
            None => None,
        };
        let all = client.inbox(label.as_deref())?;
        let alerted: BTreeSet<&str> = all
            .iter()
            .filter(|m| is_alert(m))
            .map(|m| m.contact.as_str())
            .collect();
        let messages: Vec<&MessageView> = all.iter().filter(|m| !self.new || m.unread).collect();
        if json {
            let rows: Vec<Row<'_>> = messages
                .iter()
                .map(|m| Row {
                    contact: &m.contact,
                    direction: direction(m),
                    kind: if is_alert(m) { "duress_alert" } else { "text" },
                    text: &m.text,
                    at: m.at,
                    expires_at: m.expires_at,
                    unread: m.unread,
                    queued: m.queued,
                })
                .collect();
            output::json(&rows)?;
        } else {
            if messages.is_empty() {
                output::hint(if self.new {
                    "No new messages (run `corridor sync` to fetch them)."
                } else {
                    "No messages."
                });
            }
            for m in &messages {
                let when = output::time(m.at);
                let contact = sanitize(&m.contact);
                if is_alert(m) {
                    output::line(format_args!(
                        "{when}  !! DURESS ALERT from {contact}: treat them as in danger and their \
                         phone as seized"
                    ))?;
                    continue;
                }
                let arrow = if direction(m) == "in" { "<-" } else { "->" };
                let flag = if alerted.contains(m.contact.as_str()) {
                    " (!! alerted)"
                } else {
                    ""
                };
                let queued = if m.queued { "  (queued)" } else { "" };
                output::line(format_args!(
                    "{when}  {arrow} {contact}{flag}: {}{queued}",
                    sanitize(&m.text)
                ))?;
            }
        }
        // Shown (printed in full) means read.
        client.mark_read(label.as_deref())?;
        if !json {
            new_cases_hint(client);
        }
        Ok(())
    }
}
