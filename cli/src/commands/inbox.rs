//! `corridor inbox`: read stored messages.

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use crate::backend::{Direction, MessageKind, MessageView};
use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Show the messages stored in your profile, oldest first.
///
/// Run `corridor sync` first to fetch new ones. Every text is shown with control and bidi
/// characters escaped, one message per line. Duress alerts are shown as such.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only messages exchanged with this contact
    #[arg(value_name = "CONTACT")]
    contact: Option<String>,
}

#[derive(Serialize)]
struct Row<'a> {
    contact: &'a str,
    direction: &'static str,
    kind: &'static str,
    text: &'a str,
    at: u64,
    expires_at: Option<u64>,
}

fn timestamp(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
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

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let messages = ctx.client().await?.inbox(self.contact.as_deref())?;
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
                })
                .collect();
            return Ok(output::json(&rows)?);
        }
        if messages.is_empty() {
            eprintln!("No messages.");
        }
        for m in &messages {
            let when = timestamp(m.at);
            let contact = sanitize(&m.contact);
            if is_alert(m) {
                output::line(format_args!(
                    "{when}  !! DURESS ALERT from {contact}: treat them as in danger"
                ))?;
                continue;
            }
            let arrow = if direction(m) == "in" { "<-" } else { "->" };
            output::line(format_args!(
                "{when}  {arrow} {contact}: {}",
                sanitize(&m.text)
            ))?;
        }
        Ok(())
    }
}
