//! `corridor contacts`: list contacts.

use serde::Serialize;

use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// List your contacts: verified or not, established or still pending, duress alerts.
///
/// "established" means the contact has answered at least once, so both sides have a working
/// session; "pending" means no answer yet (if it stays so, ask them for a new invitation
/// code). "receives alerts" marks contacts who get your duress alert. A contact who raised a
/// DURESS ALERT is flagged: treat them as in danger and their phone as seized.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

#[derive(Serialize)]
struct Row<'a> {
    label: &'a str,
    verified: bool,
    established: bool,
    receives_duress_alerts: bool,
    duress_alert_at: Option<u64>,
    awaiting_reply_since: Option<u64>,
    timer_secs: Option<u64>,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let contacts = client.contacts()?;
        let mut rows = Vec::with_capacity(contacts.len());
        for c in &contacts {
            rows.push(Row {
                label: &c.label,
                verified: c.verified,
                established: c.established,
                receives_duress_alerts: c.receives_duress_alerts,
                duress_alert_at: super::alerted_at(client, c)?,
                awaiting_reply_since: c.awaiting_reply_since,
                timer_secs: c.timer,
            });
        }
        if json {
            return Ok(output::json(&rows)?);
        }
        if rows.is_empty() {
            output::hint("No contacts yet. Create an invitation with `corridor invite`.");
        }
        for r in &rows {
            let verified = if r.verified { "verified" } else { "UNVERIFIED" };
            let established = match (r.established, r.awaiting_reply_since) {
                (true, _) => "established".to_string(),
                (false, Some(since)) => format!(
                    "pending: no answer since {} (if none comes, ask them for a new invitation code)",
                    output::time(since)
                ),
                (false, None) => "pending (no answer yet)".to_string(),
            };
            let mut extra = String::new();
            if r.receives_duress_alerts {
                extra.push_str("  receives alerts");
            }
            if let Some(secs) = r.timer_secs {
                extra.push_str(&format!(
                    "  timer {}",
                    humantime::format_duration(std::time::Duration::from_secs(secs))
                ));
            }
            if let Some(at) = r.duress_alert_at {
                extra.push_str(&format!("  !! DURESS ALERT {}", output::time(at)));
            }
            output::line(format_args!(
                "{}  {verified}  {established}{extra}",
                sanitize(r.label)
            ))?;
        }
        Ok(())
    }
}
