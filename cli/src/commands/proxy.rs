//! `corridor proxy`: the persisted SOCKS5 proxy (Tor).

use clap::Subcommand;
use serde::Serialize;

use crate::cli::parse_proxy;
use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// Show, set or clear the proxy every relay request goes through.
///
/// The setting is stored in the encrypted profile and applies to every later command
/// (`--proxy URL` overrides it for one command). Only socks5h://HOST:PORT is accepted, so
/// that the proxy (Tor) and not your DNS resolves relay names; Tor on this machine is
/// socks5h://127.0.0.1:9050.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Show the proxy (the default)
    Show,
    /// Send every relay request through this proxy from now on
    Set {
        /// socks5h://HOST:PORT
        #[arg(value_name = "URL", value_parser = parse_proxy)]
        url: String,
    },
    /// Reach relays directly again
    Clear,
}

#[derive(Serialize)]
struct Shown<'a> {
    proxy: Option<&'a str>,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        match self.action.unwrap_or(Action::Show) {
            Action::Show => {}
            Action::Set { url } => client.set_proxy(Some(&url)).await?,
            Action::Clear => client.set_proxy(None).await?,
        }
        let proxy = client.proxy()?;
        if json {
            return Ok(output::json(&Shown {
                proxy: proxy.as_deref(),
            })?);
        }
        match proxy {
            Some(proxy) => output::line(format_args!(
                "Relays are reached through {}.",
                sanitize(&proxy)
            ))?,
            None => output::line("No proxy: relays are reached directly.")?,
        }
        Ok(())
    }
}
