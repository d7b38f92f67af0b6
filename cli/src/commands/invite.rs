//! `corridor invite`: create an invitation code.

use std::time::Duration;

use serde::Serialize;

use crate::backend::{InvitationKind, MAX_INVITATION_SECS};
use crate::context::Context;
use crate::{output, qr, spinner};

/// Create an invitation code for one new contact (or several, with --uses).
///
/// Only the code is printed on stdout, so that `CODE=$(corridor invite)` works; hints and
/// the QR code go to stderr. Hand the code over through a channel you trust: whoever holds
/// it can become your contact until it is used up or expires.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// How many people may accept this invitation
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    uses: u32,

    /// How long the invitation stays valid, e.g. 30m, 24h, 7d
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    expires: Duration,

    /// Also draw the code as a QR code on stderr
    #[arg(long)]
    qr: bool,
}

/// The same fields as a row of `corridor invitations --json`, plus the code.
#[derive(Serialize)]
struct Invitation<'a> {
    id: Option<u64>,
    code: &'a str,
    kind: &'static str,
    max_uses: Option<u32>,
    uses: u32,
    expires_at: Option<u64>,
}

/// Parses `24h`, `7d`, `1h 30m` (humantime syntax); zero and more than the client's
/// maximum (90 days) are refused rather than silently capped.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if d.as_secs() == 0 {
        return Err("must be at least one second".into());
    }
    if d.as_secs() > MAX_INVITATION_SECS {
        let max = humantime::format_duration(Duration::from_secs(MAX_INVITATION_SECS));
        return Err(format!("an invitation can stay valid for at most {max}"));
    }
    Ok(d)
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let kind = match self.uses {
            1 => InvitationKind::OneTime,
            n => InvitationKind::Standing { max_uses: Some(n) },
        };
        let secs = self.expires.as_secs();
        let client = ctx.client().await?;
        let host = super::relay_host(client);
        let before: Vec<u64> = client.invitations()?.iter().map(|i| i.id).collect();
        let code = spinner::during(
            "Creating the invitation",
            &host,
            client.create_invitation(kind, secs),
        )
        .await?;
        // The new invitation is the one that was not there before (ids are never reused).
        let made = client
            .invitations()?
            .into_iter()
            .filter(|i| !before.contains(&i.id))
            .max_by_key(|i| i.id);
        if json {
            return Ok(output::json(&Invitation {
                id: made.as_ref().map(|i| i.id),
                code: &code,
                kind: if self.uses == 1 {
                    "one-time"
                } else {
                    "standing"
                },
                max_uses: Some(self.uses),
                uses: 0,
                expires_at: made.as_ref().map(|i| i.expires_at),
            })?);
        }
        if self.qr {
            eprintln!("{}", qr::render(&code)?);
        }
        let uses = match self.uses {
            1 => "once".to_string(),
            n => format!("{n} times"),
        };
        let id = made.map(|i| {
            format!(
                " (#{}: `corridor invitations revoke {}` withdraws it)",
                i.id, i.id
            )
        });
        output::hint(format_args!(
            "Give this code to the person through a channel you trust. It can be used {uses} and \
             expires in {}{}.",
            humantime::format_duration(self.expires),
            id.unwrap_or_default()
        ));
        output::line(&code)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1h").is_err());
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert!(
            parse_duration("91d").is_err(),
            "the client would silently cap it"
        );
    }
}
