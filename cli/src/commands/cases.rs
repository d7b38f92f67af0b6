//! `corridor cases`: the cases this device holds (coordinators and assigned caseworkers).

use serde::Serialize;

use crate::backend::{CaseFilter, CaseSummary, Status};
use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// List the cases on this device: every case for coordinators, the cases assigned to you
/// for caseworkers.
///
/// Shows each case's short id, status, verification tier (`unverified` until someone
/// vouched), urgency, people, region, the requester's alias and the assignee. A case is
/// opened by a request that arrived through an intake or referral code; run `corridor
/// sync` to fetch new ones.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only cases in this status (new, verifying, verified, matched, in-transit, arrived,
    /// closed, declined, withdrawn)
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    status: Option<Status>,

    /// Only the cases assigned to you
    #[arg(long)]
    mine: bool,
}

/// Parses a status as the lifecycle spells it.
pub(crate) fn parse_status(text: &str) -> Result<Status, String> {
    text.parse::<Status>().map_err(|e| e.to_string())
}

/// One case, as `corridor cases --json` and `corridor case ... --json` print it.
#[derive(Serialize)]
pub(crate) struct Summary<'a> {
    case: &'a str,
    status: &'static str,
    tier: Option<&'static str>,
    alias: &'a str,
    region: &'a str,
    people: u32,
    urgency: &'static str,
    needs: Vec<&'static str>,
    assignee: Option<&'a str>,
    mine: bool,
    opened_at: u64,
    updated_at: u64,
    referrer: Option<&'a str>,
}

impl<'a> Summary<'a> {
    pub(crate) fn of(c: &'a CaseSummary) -> Self {
        Summary {
            case: &c.short,
            status: c.status.as_str(),
            tier: c.tier.map(|t| t.as_str()),
            alias: &c.alias,
            region: &c.region,
            people: c.people,
            urgency: c.urgency.as_str(),
            needs: c.needs.iter().map(|n| n.as_str()).collect(),
            assignee: c.assignee.as_deref(),
            mine: c.mine,
            opened_at: c.opened_at,
            updated_at: c.updated_at,
            referrer: c.referrer.as_deref(),
        }
    }
}

/// One line for people: `a1b2c3  verifying  unverified  high  2 people  Baku  Leyla  -> dana`.
pub(crate) fn line(c: &CaseSummary) -> String {
    let tier = c.tier.map_or("unverified", |t| t.as_str());
    let assignee = match (&c.assignee, c.mine) {
        (Some(_), true) => "  -> you".to_string(),
        (Some(a), false) => format!("  -> {}", sanitize(a)),
        (None, _) => "  (unassigned)".to_string(),
    };
    let needs: Vec<&str> = c.needs.iter().map(|n| n.as_str()).collect();
    format!(
        "{}  {}  {tier}  {}  {} {}  {}  {}  [{}]{assignee}",
        sanitize(&c.short),
        c.status,
        c.urgency.as_str(),
        c.people,
        if c.people == 1 { "person" } else { "people" },
        sanitize(&c.region),
        sanitize(&c.alias),
        needs.join(",")
    )
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let client = ctx.client().await?;
        let cases = client.cases(&CaseFilter {
            status: self.status,
            mine: self.mine,
        })?;
        if output::json_mode() {
            let rows: Vec<Summary<'_>> = cases.iter().map(Summary::of).collect();
            return Ok(output::json(&rows)?);
        }
        if cases.is_empty() {
            output::hint(
                "No cases. Requests arrive through intake codes (`corridor org intake`, \
                 `corridor org referral-invite`); run `corridor sync` to fetch them.",
            );
        }
        for c in &cases {
            output::line(line(c))?;
        }
        Ok(())
    }
}
