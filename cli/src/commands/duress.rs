//! `corridor duress`: set up the duress passphrase.

use clap::Subcommand;
use serde::Serialize;

use crate::context::Context;
use crate::passphrase::{self, Source};
use crate::{output, spinner};

/// Manage the duress passphrase.
///
/// Typed instead of your real passphrase (for example when forced to unlock), it opens an
/// empty profile that looks normal, silently destroys the real data, and sends an alert to
/// the contacts you marked.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Set (or replace) the duress passphrase and the contacts it alerts
    Set(SetArgs),
}

#[derive(Debug, clap::Args)]
struct SetArgs {
    /// Read the duress passphrase from the first line of this file instead of prompting twice
    #[arg(long, value_name = "PATH")]
    duress_passphrase_file: Option<std::path::PathBuf>,

    /// A contact who gets an alert when the duress passphrase is used (repeat for several)
    #[arg(long = "alert", value_name = "CONTACT")]
    alerts: Vec<String>,
}

#[derive(Serialize)]
struct Set {
    duress_set: bool,
    alert_contacts: usize,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let Action::Set(args) = self.action;
        let json = ctx.json;
        let client = ctx.client().await?;
        let source = Source {
            file: args.duress_passphrase_file.as_deref(),
            flag: "--duress-passphrase-file",
        };
        let duress = passphrase::read_new(source, "duress passphrase")?;
        let alerts: Vec<&str> = args.alerts.iter().map(String::as_str).collect();
        for label in &alerts {
            super::find_contact(client, label)?;
        }
        let host = super::relay_host(client);
        spinner::during(
            "Setting the duress passphrase",
            &host,
            client.set_duress(&duress, &alerts),
        )
        .await?;
        if json {
            return Ok(output::json(&Set {
                duress_set: true,
                alert_contacts: alerts.len(),
            })?);
        }
        output::line(format_args!(
            "Duress passphrase set; {} contact(s) will be alerted.",
            alerts.len()
        ))?;
        Ok(())
    }
}
