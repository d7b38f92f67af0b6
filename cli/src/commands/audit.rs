//! `corridor audit`: this device's log of what you did to which case.

use serde::Serialize;

use crate::backend::ClientError;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::output;
use crate::sanitize::sanitize;

/// Show the audit log: what you did to which case, oldest first; `--verify` checks that
/// the log's hash chain is whole.
///
/// The log is kept only on this device, encrypted, one entry per action (opened,
/// assigned, status, note, vouch, message, closed, purged); it holds case ids and actions,
/// never the request or a note. `--verify` exits with code 1 and names the first broken
/// entry if anything was changed or removed.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Check the hash chain instead of listing
    #[arg(long)]
    verify: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    seq: u64,
    at: u64,
    case: &'a str,
    action: &'a str,
}

#[derive(Serialize)]
struct Verified<'a> {
    intact: bool,
    entries: u64,
    head: &'a str,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let client = ctx.client().await?;
        if self.verify {
            let report = match client.audit_verify() {
                Err(ClientError::AuditBroken { seq }) => {
                    return Err(Failure::new(
                        ExitCode::GeneralError,
                        format!(
                            "the audit log is broken at entry {seq}: it was changed, or entries \
                             were removed"
                        ),
                    )
                    .hint(
                        "keep this device as it is and tell a coordinator: someone may have \
                         tampered with the profile",
                    )
                    .into());
                }
                other => other?,
            };
            if output::json_mode() {
                return Ok(output::json(&Verified {
                    intact: true,
                    entries: report.entries,
                    head: &report.head,
                })?);
            }
            output::line(format_args!(
                "The audit log is whole: {}, head {}.",
                output::plural(
                    usize::try_from(report.entries).unwrap_or(usize::MAX),
                    "entry",
                    "entries"
                ),
                report.head
            ))?;
            return Ok(());
        }
        let entries = client.audit()?;
        if output::json_mode() {
            let rows: Vec<Row<'_>> = entries
                .iter()
                .map(|e| Row {
                    seq: e.seq,
                    at: e.at,
                    case: &e.case,
                    action: &e.action,
                })
                .collect();
            return Ok(output::json(&rows)?);
        }
        if entries.is_empty() {
            output::hint("The audit log is empty: you have not acted on a case yet.");
        }
        for e in &entries {
            output::line(format_args!(
                "{:>5}  {}  {}  {}",
                e.seq,
                output::time(e.at),
                sanitize(&e.case),
                sanitize(&e.action)
            ))?;
        }
        Ok(())
    }
}
