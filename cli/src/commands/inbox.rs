//! `corridor inbox`: read stored messages.

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use crate::backend::Direction;
use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Show the messages stored in your profile, oldest first.
///
/// Run `corridor sync` first to fetch new ones. Every text is shown with control and bidi
/// characters escaped, one message per line.
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
    text: &'a str,
    at: u64,
    expires_at: Option<u64>,
}

fn timestamp(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
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
                    direction: match m.direction {
                        Direction::Incoming => "in",
                        Direction::Outgoing => "out",
                    },
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
            let arrow = match m.direction {
                Direction::Incoming => "<-",
                Direction::Outgoing => "->",
            };
            output::line(format_args!(
                "{}  {arrow} {}: {}",
                timestamp(m.at),
                sanitize(&m.contact),
                sanitize(&m.text)
            ))?;
        }
        Ok(())
    }
}
