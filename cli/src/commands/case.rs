//! `corridor case`: one case: show it, assign it, change its status, add a note, write to
//! the requester, close it, vouch for the requester.

use std::time::Duration;

use clap::Subcommand;
use serde::Serialize;

use crate::backend::{
    CaseDetail, CaseSummary, Client, ClientError, Direction, SendOutcome, Status, Tier,
};
use crate::commands::cases::{self, Summary};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{input, output, spinner};

/// Longest validity of a vouch (366 days: verification goes stale).
const MAX_VOUCH_SECS: u64 = 366 * 24 * 3600;

/// Work on one case. ID is the short id `corridor cases` shows, or its first 4 or more
/// characters.
///
/// Only the case team holds a case: the coordinators and the caseworker it is assigned to.
/// Every change is a signed event that goes to the rest of the team on the next sync. A
/// case becomes verified only with a vouch (`case vouch`).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Show the request, the history, notes, vouches and the messages with the requester
    Show {
        /// The case's short id (or its first 4+ characters)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Assign the case to a caseworker (coordinators only); the requester is introduced to
    /// them, and the previous assignee is cut off
    Assign {
        /// The case's short id
        #[arg(value_name = "ID")]
        id: String,
        /// The caseworker's alias, as `corridor org members` shows it
        #[arg(value_name = "MEMBER")]
        member: String,
    },
    /// Change the status (new, verifying, verified, matched, in-transit, arrived, closed,
    /// declined, withdrawn); verified needs a vouch first
    Status {
        /// The case's short id
        #[arg(value_name = "ID")]
        id: String,
        /// The new status
        #[arg(value_name = "STATUS", value_parser = cases::parse_status)]
        status: Status,
        /// Why, for the case history (at most 500 characters)
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
    },
    /// Add a note for the case team (never shown to the requester)
    Note {
        /// The case's short id
        #[arg(value_name = "ID")]
        id: String,
        /// The note, or - to read it from stdin
        #[arg(value_name = "TEXT", required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Write to the requester (from the device that holds the conversation with them)
    Send {
        /// The case's short id
        #[arg(value_name = "ID")]
        id: String,
        /// The message, or - to read it from stdin
        #[arg(value_name = "TEXT", required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Close the case (from arrived, declined or withdrawn); every device purges it after
    /// the organization's retention period
    Close {
        /// The case's short id
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Vouch for the requester: say how they were verified
    Vouch {
        /// The case's short id
        #[arg(value_name = "ID")]
        id: String,
        /// partner (a trusted partner met them), co (a partner confirmed part of the
        /// story) or direct (you verified it yourself)
        #[arg(long, value_name = "TIER", value_parser = parse_tier)]
        tier: Tier,
        /// What was checked (at most 500 characters)
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
        /// How long the vouch holds, e.g. 90d (at most 366 days) [default: 90d]
        #[arg(long, value_name = "DURATION", value_parser = parse_vouch_validity)]
        expires: Option<Duration>,
    },
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    text.parse::<Tier>().map_err(|e| e.to_string())
}

fn parse_vouch_validity(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: expected a duration such as 90d"))?;
    if d.as_secs() == 0 {
        return Err("must be at least one second".into());
    }
    if d.as_secs() > MAX_VOUCH_SECS {
        return Err("a vouch can hold for at most 366 days".into());
    }
    Ok(d)
}

/// The words of a note or message: one argument (or `-` for stdin) or several joined.
fn words(text: Vec<String>, what: &'static str) -> anyhow::Result<String> {
    match text.as_slice() {
        [one] => input::text_or_stdin(one.clone(), what),
        many => Ok(many.join(" ")),
    }
}

/// Turns the library's unknown/ambiguous case errors into words with a next step; the
/// error never repeats the id typed.
fn case_errors<T>(result: Result<T, ClientError>) -> anyhow::Result<T> {
    match result {
        Err(ClientError::UnknownCase) => Err(Failure::new(
            ExitCode::NotFound,
            "no case with that id on this device",
        )
        .hint(
            "`corridor cases` lists the cases you may see (coordinators see every case, \
             caseworkers the ones assigned to them)",
        )
        .into()),
        Err(ClientError::AmbiguousCase) => Err(Failure::new(
            ExitCode::GeneralError,
            "more than one case starts with that id",
        )
        .hint("type more of the id, as `corridor cases` shows it")
        .into()),
        other => Ok(other?),
    }
}

#[derive(Serialize)]
struct HistoryRow<'a> {
    at: u64,
    author: &'a str,
    what: &'a str,
    superseded: bool,
}

#[derive(Serialize)]
struct NoteRow<'a> {
    at: u64,
    author: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct VouchRow<'a> {
    tier: &'static str,
    by: &'a str,
    valid_until: u64,
    note: &'a str,
}

#[derive(Serialize)]
struct MessageRow<'a> {
    at: u64,
    direction: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    summary: Summary<'a>,
    adults: u32,
    children: u32,
    household: &'a str,
    languages: &'a [String],
    safe_contact: &'a str,
    note: &'a str,
    history: Vec<HistoryRow<'a>>,
    notes: Vec<NoteRow<'a>>,
    vouches: Vec<VouchRow<'a>>,
    messages: Vec<MessageRow<'a>>,
}

fn direction(d: &Direction) -> &'static str {
    match d {
        Direction::Incoming => "in",
        Direction::Outgoing => "out",
    }
}

fn show(detail: &CaseDetail) -> anyhow::Result<()> {
    if output::json_mode() {
        return Ok(output::json(&Detail {
            summary: Summary::of(&detail.summary),
            adults: detail.adults,
            children: detail.children,
            household: &detail.household,
            languages: &detail.languages,
            safe_contact: &detail.safe_contact,
            note: &detail.note,
            history: detail
                .history
                .iter()
                .map(|h| HistoryRow {
                    at: h.at,
                    author: &h.author,
                    what: &h.what,
                    superseded: h.superseded,
                })
                .collect(),
            notes: detail
                .notes
                .iter()
                .map(|n| NoteRow {
                    at: n.at,
                    author: &n.author,
                    text: &n.text,
                })
                .collect(),
            vouches: detail
                .vouches
                .iter()
                .map(|v| VouchRow {
                    tier: v.tier.as_str(),
                    by: &v.by,
                    valid_until: v.valid_until,
                    note: &v.note,
                })
                .collect(),
            messages: detail
                .messages
                .iter()
                .map(|m| MessageRow {
                    at: m.at,
                    direction: direction(&m.direction),
                    text: &m.text,
                })
                .collect(),
        })?);
    }
    let s = &detail.summary;
    output::line(format_args!(
        "Case {}  {}  {}",
        sanitize(&s.short),
        s.status,
        s.tier.map_or("unverified", |t| t.as_str())
    ))?;
    let assignee = match (&s.assignee, s.mine) {
        (Some(_), true) => "you".to_string(),
        (Some(a), false) => sanitize(a).into_owned(),
        (None, _) => "nobody yet".to_string(),
    };
    output::line(format_args!("Assigned to:  {assignee}"))?;
    output::line(format_args!(
        "Opened:       {}{}",
        output::time(s.opened_at),
        s.referrer
            .as_deref()
            .map(|r| format!(", referred by {}", sanitize(r)))
            .unwrap_or_default()
    ))?;
    output::line(format_args!("Alias:        {}", sanitize(&s.alias)))?;
    output::line(format_args!("Region:       {}", sanitize(&s.region)))?;
    output::line(format_args!(
        "People:       {} ({}, {})",
        s.people,
        output::plural(
            usize::try_from(detail.adults).unwrap_or(usize::MAX),
            "adult",
            "adults"
        ),
        output::plural(
            usize::try_from(detail.children).unwrap_or(usize::MAX),
            "child",
            "children"
        )
    ))?;
    let needs: Vec<&str> = s.needs.iter().map(|n| n.as_str()).collect();
    output::line(format_args!("Needs:        {}", needs.join(", ")))?;
    output::line(format_args!("Urgency:      {}", s.urgency.as_str()))?;
    let languages: Vec<String> = detail
        .languages
        .iter()
        .map(|l| sanitize(l).into_owned())
        .collect();
    output::line(format_args!("Languages:    {}", languages.join(", ")))?;
    output::line(format_args!(
        "Safe contact: {}",
        sanitize(&detail.safe_contact)
    ))?;
    if !detail.household.is_empty() {
        output::line(format_args!(
            "Household:    {}",
            sanitize(&detail.household)
        ))?;
    }
    if !detail.note.is_empty() {
        output::line(format_args!("Their words:  {}", sanitize(&detail.note)))?;
    }
    if !detail.vouches.is_empty() {
        output::line("Vouches:")?;
        for v in &detail.vouches {
            output::line(format_args!(
                "  {} by {}, valid until {}{}",
                v.tier.as_str(),
                sanitize(&v.by),
                output::time(v.valid_until),
                if v.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", sanitize(&v.note))
                }
            ))?;
        }
    }
    output::line("History:")?;
    for h in &detail.history {
        output::line(format_args!(
            "  {}  {}: {}{}",
            output::time(h.at),
            sanitize(&h.author),
            sanitize(&h.what),
            if h.superseded {
                "  (superseded: not valid where it was made)"
            } else {
                ""
            }
        ))?;
    }
    if !detail.notes.is_empty() {
        output::line("Notes:")?;
        for n in &detail.notes {
            output::line(format_args!(
                "  {}  {}: {}",
                output::time(n.at),
                sanitize(&n.author),
                sanitize(&n.text)
            ))?;
        }
    }
    if !detail.messages.is_empty() {
        output::line("Messages with the requester:")?;
        for m in &detail.messages {
            let arrow = match m.direction {
                Direction::Incoming => "<-",
                Direction::Outgoing => "->",
            };
            output::line(format_args!(
                "  {}  {arrow} {}",
                output::time(m.at),
                sanitize(&m.text)
            ))?;
        }
    }
    Ok(())
}

/// What a changing command prints: the case as it is now, and in words what happened.
fn changed(summary: &CaseSummary, done: &str) -> anyhow::Result<()> {
    if output::json_mode() {
        return Ok(output::json(&Summary::of(summary))?);
    }
    output::line(format_args!("Case {}: {done}.", sanitize(&summary.short)))?;
    output::line(cases::line(summary))?;
    Ok(())
}

#[derive(Serialize)]
struct Sent<'a> {
    case: &'a str,
    delivered: bool,
    queued: bool,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let client = ctx.client().await?;
        let host = super::relay_host(client);
        match self.action {
            Action::Show { id } => show(&case_errors(client.case(&id))?),
            Action::Assign { id, member } => {
                let result =
                    spinner::during("Assigning", &host, client.case_assign(&id, &member)).await;
                let result = match result {
                    Err(ClientError::UnknownMember) => {
                        Err(super::org::unknown_member(client, &member).into())
                    }
                    other => case_errors(other),
                }?;
                changed(
                    &result,
                    "assigned; the requester is introduced on the next sync",
                )
            }
            Action::Status { id, status, reason } => {
                let result = spinner::during(
                    "Changing the status",
                    &host,
                    client.case_set_status(&id, status, &reason),
                )
                .await;
                let summary = case_errors(result).map_err(|e| explain_status(e, status))?;
                changed(&summary, &format!("now {status}"))
            }
            Action::Note { id, text } => {
                let text = words(text, "the note")?;
                let result =
                    spinner::during("Adding the note", &host, client.case_note(&id, &text)).await;
                changed(&case_errors(result)?, "note added")
            }
            Action::Send { id, text } => {
                let text = words(text, "the message text")?;
                super::send::check_text(&text)?;
                send(client, &host, &id, &text).await
            }
            Action::Close { id } => {
                let result = spinner::during("Closing", &host, client.case_close(&id)).await;
                let summary = case_errors(result).map_err(|e| explain_status(e, Status::Closed))?;
                changed(&summary, "closed; it is purged after the retention period")
            }
            Action::Vouch {
                id,
                tier,
                note,
                expires,
            } => {
                let result = spinner::during(
                    "Vouching",
                    &host,
                    client.case_vouch(&id, tier, &note, expires.map(|d| d.as_secs())),
                )
                .await;
                changed(&case_errors(result)?, &format!("vouched ({tier})"))
            }
        }
    }
}

async fn send(client: &Client, host: &str, id: &str, text: &str) -> anyhow::Result<()> {
    let detail = case_errors(client.case(id))?;
    let outcome = spinner::during("Sending", host, client.case_send(id, text)).await;
    let delivered = matches!(case_errors(outcome)?, SendOutcome::Delivered);
    if output::json_mode() {
        output::json(&Sent {
            case: &detail.summary.short,
            delivered,
            queued: !delivered,
        })?;
    } else if delivered {
        output::line(format_args!(
            "Sent to the requester of case {}.",
            sanitize(&detail.summary.short)
        ))?;
    }
    if delivered {
        Ok(())
    } else {
        Err(Failure::new(ExitCode::RelayUnreachable, super::send::QUEUED).into())
    }
}

/// Adds what the lifecycle allows to a refused status change.
fn explain_status(err: anyhow::Error, to: Status) -> anyhow::Error {
    let refused = err
        .chain()
        .any(|c| matches!(c.downcast_ref::<ClientError>(), Some(ClientError::Case(_))));
    if !refused {
        return err;
    }
    let hint = if to == Status::Verified {
        "a case becomes verified only with a valid vouch: `corridor case vouch ID --tier \
         partner|co|direct` first"
            .to_string()
    } else {
        format!(
            "allowed steps: new -> verifying -> verified -> matched -> in-transit -> arrived -> \
             closed; declined from new, verifying or verified; withdrawn before arrived; {to} \
             is not reachable from the current status (`corridor case show ID`)"
        )
    };
    anyhow::Error::new(Failure::new(ExitCode::GeneralError, format!("{err:#}")).hint(hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vouch_validity() {
        assert_eq!(
            parse_vouch_validity("90d"),
            Ok(Duration::from_secs(90 * 86_400))
        );
        assert!(parse_vouch_validity("367d").is_err());
        assert!(parse_vouch_validity("0s").is_err());
    }

    #[test]
    fn tiers() {
        assert_eq!(parse_tier("co"), Ok(Tier::Co));
        assert!(parse_tier("friend").unwrap_err().contains("partner"));
    }
}
