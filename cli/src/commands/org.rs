//! `corridor org`: the organization this profile belongs to (create, invite, join, members,
//! remove, intake codes).

use std::time::Duration;

use clap::Subcommand;
use serde::Serialize;

use crate::backend::{Client, ClientError, MemberView, OrgInvitation, OrgView, Role};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{input, output, spinner};

/// Longest retention of closed cases the roster accepts (3,650 days).
const MAX_RETENTION_SECS: u64 = 3650 * 24 * 3600;

/// Your organization: create one, invite and remove members, hand out intake codes.
///
/// One organization per profile. The coordinator who creates it chooses every member's
/// alias and role; members join with a one-time code (`org invite` / `org join`). The
/// organization's name never reaches a relay; members learn it when they join.
/// Coordinators and caseworkers hold the whole roster; hosts and travel helpers only their
/// own signed membership.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Show the organization (the default)
    Show,
    /// Create an organization; you become its founding coordinator
    Create {
        /// The organization's name (kept on members' devices only, never sent to a relay)
        #[arg(value_name = "NAME")]
        name: String,
        /// Your alias inside the organization [default: coordinator]
        #[arg(long, value_name = "ALIAS", default_value = "coordinator")]
        alias: String,
        /// How long a closed case is kept before every device purges it, e.g. 30d
        /// [default: 30d]
        #[arg(long, value_name = "DURATION", value_parser = parse_retention)]
        retention: Option<Duration>,
    },
    /// Invite a member (coordinators only); prints the one-time code alone on stdout
    Invite {
        /// coordinator, caseworker, host or travel-helper
        #[arg(long, value_name = "ROLE", value_parser = parse_role)]
        role: Role,
        /// The alias the organization will know this member by (you choose it)
        #[arg(long, value_name = "ALIAS")]
        alias: String,
        /// How long the code stays valid, e.g. 30m, 24h, 7d (at most 90 days)
        #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = super::invite::parse_duration)]
        expires: Duration,
    },
    /// Join an organization with a code from `corridor org invite` (or - for stdin)
    Join {
        /// The code
        #[arg(value_name = "CODE")]
        code: String,
    },
    /// List the members (hosts and travel helpers see only themselves)
    Members,
    /// Remove a member (coordinators only): a new roster epoch without them; from then on
    /// their key is refused and they receive nothing more
    Remove {
        /// The member's alias, as `corridor org members` shows it
        #[arg(value_name = "MEMBER")]
        member: String,
    },
    /// Print the standing intake code (coordinators only; the same code every time)
    Intake,
    /// Make a one-time intake code for a referrer to pass on; prints it alone on stdout
    ReferralInvite {
        /// Who the code is for; the case that arrives through it records this name
        #[arg(long, value_name = "NAME")]
        referrer: Option<String>,
        /// How long the code stays valid (at most 90 days)
        #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = super::invite::parse_duration)]
        expires: Duration,
    },
}

/// Parses a role name as the roster spells it.
pub(crate) fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|e| e.to_string())
}

/// Parses a retention period: at least one hour, at most 3,650 days.
fn parse_retention(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: expected a duration such as 30d or 12h"))?;
    if d < Duration::from_secs(3600) {
        return Err("a closed case must be kept for at least 1h".into());
    }
    if d.as_secs() > MAX_RETENTION_SECS {
        return Err("a closed case can be kept for at most 3650 days".into());
    }
    Ok(d)
}

/// `corridor org` and what `create`/`join`/`remove` print.
#[derive(Serialize)]
struct Org<'a> {
    organization: &'a str,
    role: String,
    alias: &'a str,
    epoch: u64,
    org_fingerprint: &'a str,
    relays: &'a [String],
    retention_secs: u64,
    full_roster: bool,
    joined: bool,
    intake_refused: u64,
}

impl<'a> Org<'a> {
    fn of(view: &'a OrgView) -> Self {
        Org {
            organization: &view.name,
            role: view.my_role.to_string(),
            alias: &view.my_alias,
            epoch: view.epoch,
            org_fingerprint: &view.fingerprint,
            relays: &view.relays,
            retention_secs: view.retention_secs,
            full_roster: view.full_roster,
            joined: view.joined,
            intake_refused: view.intake_refused,
        }
    }
}

#[derive(Serialize)]
struct MemberRow<'a> {
    alias: &'a str,
    role: String,
    fingerprint: &'a str,
    me: bool,
}

#[derive(Serialize)]
struct Code<'a> {
    id: u64,
    code: &'a str,
    kind: &'static str,
    role: Option<String>,
    referrer: Option<&'a str>,
    expires_at: u64,
}

#[derive(Serialize)]
struct Removed<'a> {
    member: &'a str,
    removed: bool,
    epoch: u64,
}

fn show(view: &OrgView) -> anyhow::Result<()> {
    if output::json_mode() {
        return Ok(output::json(&Org::of(view))?);
    }
    if !view.joined && view.name.is_empty() {
        // Name and alias arrive with the roster or certificate, once admitted.
        output::line(format_args!(
            "Organization: (known once the coordinator has admitted you)\nYou:          {}",
            view.my_role
        ))?;
    } else {
        output::line(format_args!("Organization: {}", sanitize(&view.name)))?;
        output::line(format_args!(
            "You:          {} ({})",
            sanitize(&view.my_alias),
            view.my_role
        ))?;
    }
    output::line(format_args!("Fingerprint:  {}", view.fingerprint))?;
    output::line(format_args!(
        "Roster:       epoch {}{}",
        view.epoch,
        if view.full_roster {
            ""
        } else {
            " (you hold your own membership certificate, not the roster)"
        }
    ))?;
    for relay in &view.relays {
        output::line(format_args!("Relay:        {}", sanitize(relay)))?;
    }
    if view.joined {
        output::line(format_args!(
            "Retention:    closed cases are purged after {}",
            output::duration_words(view.retention_secs)
        ))?;
    }
    if view.intake_refused > 0 {
        output::line(format_args!(
            "Intake:       !! {} requests refused at the standing intake address (a flood)",
            view.intake_refused
        ))?;
    }
    if !view.joined {
        output::line(
            "Joining:      waiting for the coordinator; run `corridor sync` again after they synced",
        )?;
    }
    Ok(())
}

fn print_code(
    invitation: &OrgInvitation,
    kind: &'static str,
    referrer: Option<&str>,
    what: &str,
) -> anyhow::Result<()> {
    if output::json_mode() {
        return Ok(output::json(&Code {
            id: invitation.id,
            code: &invitation.code,
            kind,
            role: invitation.role.map(|r| r.to_string()),
            referrer,
            expires_at: invitation.expires_at,
        })?);
    }
    output::hint(format_args!(
        "{what} (#{}: `corridor invitations revoke {}` withdraws it); valid until {}. Give it \
         through a channel you trust.",
        invitation.id,
        invitation.id,
        output::time(invitation.expires_at)
    ));
    output::line(&invitation.code)?;
    Ok(())
}

/// The failure for an unknown member, with a hint that does not repeat any alias.
pub(crate) fn unknown_member(client: &Client, typed: &str) -> Failure {
    let folded = typed.to_lowercase();
    let close = client
        .org_members()
        .map(|members| {
            members
                .iter()
                .any(|m| m.alias != typed && m.alias.to_lowercase() == folded)
        })
        .unwrap_or(false);
    let failure = Failure::new(ExitCode::NotFound, "no member has that alias");
    if close {
        failure.hint(
            "a member's alias differs from it only in upper and lower case: aliases are \
             case-sensitive; `corridor org members` lists them",
        )
    } else {
        failure.hint("`corridor org members` lists the members")
    }
}

/// Maps the library's unknown-member error to [`unknown_member`].
pub(crate) fn or_unknown_member<T>(
    client: &Client,
    typed: &str,
    result: Result<T, ClientError>,
) -> anyhow::Result<T> {
    match result {
        Err(ClientError::UnknownMember) => Err(unknown_member(client, typed).into()),
        other => Ok(other?),
    }
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let client = ctx.client().await?;
        let host = super::relay_host(client);
        match self.action.unwrap_or(Action::Show) {
            Action::Show => match client.org()? {
                Some(view) => show(&view),
                None => Err(no_organization()),
            },
            Action::Create {
                name,
                alias,
                retention,
            } => {
                let view = spinner::during(
                    "Creating the organization",
                    &host,
                    client.org_create(&name, &alias, retention.map(|d| d.as_secs())),
                )
                .await?;
                show(&view)?;
                output::hint(
                    "Invite members with `corridor org invite --role caseworker --alias NAME`; \
                     hand out intake codes with `corridor org intake` or `corridor org \
                     referral-invite`.",
                );
                Ok(())
            }
            Action::Invite {
                role,
                alias,
                expires,
            } => {
                let made = spinner::during(
                    "Creating the invitation",
                    &host,
                    client.org_invite(role, &alias, expires.as_secs()),
                )
                .await?;
                print_code(
                    &made,
                    "one-time",
                    None,
                    &format!("A one-time code for a new {role}"),
                )
            }
            Action::Join { code } => {
                let code = input::text_or_stdin(code, "the invitation code")?;
                let view = spinner::during("Joining", &host, client.org_join(code.trim())).await?;
                show(&view)?;
                if !view.joined {
                    output::hint(
                        "The coordinator adds you on their next `corridor sync`; run `corridor \
                         sync` after that to complete the membership.",
                    );
                }
                Ok(())
            }
            Action::Members => {
                let members = client.org_members()?;
                print_members(&members)
            }
            Action::Remove { member } => {
                let result =
                    spinner::during("Removing the member", &host, client.org_remove(&member)).await;
                let view = or_unknown_member(client, &member, result)?;
                if output::json_mode() {
                    return Ok(output::json(&Removed {
                        member: &member,
                        removed: true,
                        epoch: view.epoch,
                    })?);
                }
                output::line(format_args!(
                    "Removed {} (roster epoch {}). Their key is refused from now on.",
                    sanitize(&member),
                    view.epoch
                ))?;
                Ok(())
            }
            Action::Intake => {
                let made =
                    spinner::during("Preparing the intake address", &host, client.org_intake())
                        .await?;
                print_code(
                    &made,
                    "standing",
                    None,
                    "The standing intake code: anyone holding it can send a request",
                )
            }
            Action::ReferralInvite { referrer, expires } => {
                let made = spinner::during(
                    "Creating the referral code",
                    &host,
                    client.org_referral_invite(referrer.as_deref(), expires.as_secs()),
                )
                .await?;
                print_code(
                    &made,
                    "one-time",
                    referrer.as_deref(),
                    "A one-time intake code for a referrer to pass on",
                )
            }
        }
    }
}

fn print_members(members: &[MemberView]) -> anyhow::Result<()> {
    if output::json_mode() {
        let rows: Vec<MemberRow<'_>> = members
            .iter()
            .map(|m| MemberRow {
                alias: &m.alias,
                role: m.role.to_string(),
                fingerprint: &m.fingerprint,
                me: m.is_me,
            })
            .collect();
        return Ok(output::json(&rows)?);
    }
    for m in members {
        output::line(format_args!(
            "{}  {}  {}{}",
            sanitize(&m.alias),
            m.role,
            m.fingerprint,
            if m.is_me { "  (you)" } else { "" }
        ))?;
    }
    Ok(())
}

/// The failure for a profile that belongs to no organization.
pub(crate) fn no_organization() -> anyhow::Error {
    Failure::new(
        ExitCode::GeneralError,
        "this profile belongs to no organization",
    )
    .hint("create one with `corridor org create NAME`, or join one with `corridor org join CODE`")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention() {
        assert_eq!(parse_retention("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert!(parse_retention("10m").is_err());
        assert!(parse_retention("3651d").is_err());
        assert!(parse_retention("soon").unwrap_err().contains("30d"));
    }

    #[test]
    fn roles() {
        assert_eq!(parse_role("caseworker"), Ok(Role::Caseworker));
        assert_eq!(parse_role("travel-helper"), Ok(Role::TravelHelper));
        assert!(parse_role("boss").unwrap_err().contains("caseworker"));
    }
}
