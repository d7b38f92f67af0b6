//! `corridor invitations`: list open invitations, or revoke one.

use clap::Subcommand;
use serde::Serialize;

use crate::backend::InvitationKind;
use crate::context::Context;
use crate::{output, spinner};

/// List the invitations you issued that are still open, or revoke one.
///
/// Revoke a code that may have leaked: its keys are deleted from the relay and its intake
/// mailbox destroyed at once. Contacts already made through it keep working, except one
/// who has not received a reply yet: invite that person again.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Withdraw an invitation now (ID as listed by `corridor invitations`)
    Revoke {
        /// The invitation's number, as listed (13 or #13)
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: u64,
    },
}

/// Accepts `13` and `#13` (as `corridor invitations` prints it).
fn parse_id(text: &str) -> Result<u64, String> {
    let digits = text.trim().strip_prefix('#').unwrap_or(text.trim());
    digits.parse().map_err(|_| {
        "expected an invitation number such as 13 or #13 (see `corridor invitations`)".to_string()
    })
}

#[derive(Serialize)]
struct Row {
    id: u64,
    kind: &'static str,
    max_uses: Option<u32>,
    uses: u32,
    expires_at: u64,
    used_up: bool,
}

#[derive(Serialize)]
struct Revoked {
    revoked: u64,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        if let Some(Action::Revoke { id }) = self.action {
            let host = super::relay_host(client);
            spinner::during(
                "Revoking the invitation",
                &host,
                client.revoke_invitation(id),
            )
            .await?;
            if json {
                return Ok(output::json(&Revoked { revoked: id })?);
            }
            return Ok(output::line(format_args!("Invitation #{id} revoked."))?);
        }
        let rows: Vec<Row> = client
            .invitations()?
            .into_iter()
            .map(|i| {
                let (kind, max_uses) = match i.kind {
                    InvitationKind::OneTime => ("one-time", Some(1)),
                    InvitationKind::Standing { max_uses } => ("standing", max_uses),
                };
                Row {
                    id: i.id,
                    kind,
                    max_uses,
                    uses: i.uses,
                    expires_at: i.expires_at,
                    used_up: i.used_up,
                }
            })
            .collect();
        if json {
            return Ok(output::json(&rows)?);
        }
        if rows.is_empty() {
            output::hint("No open invitations.");
        }
        for r in &rows {
            let limit = r
                .max_uses
                .map_or_else(|| "no limit".to_string(), |n| format!("at most {n}"));
            let expires = output::time(r.expires_at);
            let used_up = if r.used_up { "  used up" } else { "" };
            output::line(format_args!(
                "#{}  {}  used {} ({limit})  expires {expires}{used_up}",
                r.id, r.kind, r.uses
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_or_without_the_hash() {
        assert_eq!(parse_id("13"), Ok(13));
        assert_eq!(parse_id("#13"), Ok(13));
        assert!(parse_id("##13").is_err());
        assert!(parse_id("x").unwrap_err().contains("#13"));
    }
}
