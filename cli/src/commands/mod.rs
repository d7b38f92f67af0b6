//! One module per subcommand, each an `Args` struct with a `run`.
//!
//! Commands stay thin: they read input, call one or two `Client` methods, and print. No
//! protocol logic lives here.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use clap::Subcommand;

use crate::backend::{Client, ContactSummary, MessageKind};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;

pub(crate) mod accept;
pub(crate) mod audit;
pub(crate) mod case;
pub(crate) mod cases;
pub(crate) mod completions;
pub(crate) mod contacts;
pub(crate) mod duress;
pub(crate) mod inbox;
pub(crate) mod init;
pub(crate) mod invitations;
pub(crate) mod invite;
pub(crate) mod man;
pub(crate) mod org;
pub(crate) mod panic;
pub(crate) mod passphrase;
pub(crate) mod proxy;
pub(crate) mod relay;
pub(crate) mod remove;
pub(crate) mod rename;
pub(crate) mod request;
pub(crate) mod rotate;
pub(crate) mod send;
pub(crate) mod shell;
pub(crate) mod sync;
pub(crate) mod timer;
pub(crate) mod verify;
pub(crate) mod whoami;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    Init(init::Args),
    Whoami(whoami::Args),
    Invite(invite::Args),
    Invitations(invitations::Args),
    Accept(accept::Args),
    Contacts(contacts::Args),
    Rename(rename::Args),
    Remove(remove::Args),
    Verify(verify::Args),
    Timer(timer::Args),
    Rotate(rotate::Args),
    Relay(relay::Args),
    Proxy(proxy::Args),
    Send(send::Args),
    Sync(sync::Args),
    Inbox(inbox::Args),
    Org(org::Args),
    Request(request::Args),
    Requests(request::ListArgs),
    Cases(cases::Args),
    Case(case::Args),
    Audit(audit::Args),
    Panic(panic::Args),
    Duress(duress::Args),
    Passphrase(passphrase::Args),
    Shell(shell::Args),
    Completions(completions::Args),
    Man(man::Args),
}

/// What a command asks of the shell loop once it has run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum After {
    /// Carry on.
    Continue,
    /// The profile is gone (panic wipe): leave the shell.
    Quit,
}

impl Command {
    /// Runs the command from the process's command line.
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<ExitCode> {
        match self {
            Command::Shell(args) => args.run(ctx).await,
            other => other.run_one(ctx).await.map(|_| ExitCode::Success),
        }
    }

    /// Runs one command; `corridor shell` calls this for each line.
    pub(crate) async fn run_one(self, ctx: &mut Context) -> anyhow::Result<After> {
        match self {
            Command::Init(args) => args.run(ctx).await?,
            Command::Whoami(args) => args.run(ctx).await?,
            Command::Invite(args) => args.run(ctx).await?,
            Command::Invitations(args) => args.run(ctx).await?,
            Command::Accept(args) => args.run(ctx).await?,
            Command::Contacts(args) => args.run(ctx).await?,
            Command::Rename(args) => args.run(ctx).await?,
            Command::Remove(args) => args.run(ctx).await?,
            Command::Verify(args) => args.run(ctx).await?,
            Command::Timer(args) => args.run(ctx).await?,
            Command::Rotate(args) => args.run(ctx).await?,
            Command::Relay(args) => args.run(ctx).await?,
            Command::Proxy(args) => args.run(ctx).await?,
            Command::Send(args) => args.run(ctx).await?,
            Command::Sync(args) => args.run(ctx).await?,
            Command::Inbox(args) => args.run(ctx).await?,
            Command::Org(args) => args.run(ctx).await?,
            Command::Request(args) => args.run(ctx).await?,
            Command::Requests(args) => args.run(ctx).await?,
            Command::Cases(args) => args.run(ctx).await?,
            Command::Case(args) => args.run(ctx).await?,
            Command::Audit(args) => args.run(ctx).await?,
            Command::Panic(args) => {
                args.run(ctx).await?;
                return Ok(After::Quit);
            }
            Command::Duress(args) => args.run(ctx).await?,
            Command::Passphrase(args) => args.run(ctx).await?,
            Command::Completions(args) => args.run()?,
            Command::Man(args) => args.run()?,
            Command::Shell(_) => {
                return Err(
                    crate::exit_codes::Failure::new(ExitCode::Usage, "already in a shell").into(),
                );
            }
        }
        Ok(After::Continue)
    }

    /// Whether the command makes sense inside `corridor shell` (where a profile is open).
    pub(crate) fn allowed_in_shell(&self) -> bool {
        !matches!(self, Command::Shell(_) | Command::Init(_))
    }
}

/// The relay host(s) this profile talks to, for spinners: `relay.example.org`, or
/// `relay.example.org and 1 more`.
pub(crate) fn relay_host(client: &Client) -> String {
    let relays = client.whoami().map(|me| me.relays).unwrap_or_default();
    match relays.as_slice() {
        [] => "no relay".to_string(),
        [one] => crate::spinner::host_of(one).to_string(),
        [first, rest @ ..] => format!("{} and {} more", crate::spinner::host_of(first), rest.len()),
    }
}

/// The contact labelled exactly `label`, or a not-found failure that names the contact a
/// wrong-case or mistyped label probably meant (`did you mean 'dana'?`).
pub(crate) fn find_contact(client: &Client, label: &str) -> anyhow::Result<ContactSummary> {
    let contacts = client.contacts()?;
    if let Some(found) = contacts.iter().find(|c| c.label == label) {
        return Ok(found.clone());
    }
    let folded = label.to_lowercase();
    let close: Vec<&ContactSummary> = contacts
        .iter()
        .filter(|c| c.label.to_lowercase() == folded)
        .collect();
    let failure = Failure::new(
        ExitCode::NotFound,
        format!("no contact is labelled '{}'", sanitize(label)),
    );
    Err(match close.as_slice() {
        [one] => failure.hint(format!(
            "did you mean '{}'? Labels are case-sensitive",
            sanitize(&one.label)
        )),
        _ => failure.hint("`corridor contacts` lists your contacts"),
    }
    .into())
}

/// When `contact` last raised a duress alert (Unix seconds), if ever: its phone may be in
/// someone else's hands.
pub(crate) fn alerted_at(client: &Client, contact: &ContactSummary) -> anyhow::Result<Option<u64>> {
    if contact.duress_alert_at.is_some() {
        return Ok(contact.duress_alert_at);
    }
    // An alert message stored before the flag existed.
    Ok(client
        .inbox(Some(&contact.label))?
        .iter()
        .filter(|m| matches!(m.kind, MessageKind::DuressAlert))
        .map(|m| m.at)
        .max())
}

/// Asks `question` on the terminal and succeeds only if the person types `word`.
/// Without a terminal, fails with [`ExitCode::Cancelled`] and says to pass `--yes`.
pub(crate) fn confirm(question: &str, word: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::new(
            ExitCode::Cancelled,
            format!("{question}: not on a terminal, so nothing was done"),
        )
        .hint("pass --yes to go ahead without the question")
        .into());
    }
    eprint!("{question}. Type {word} to continue: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim().eq_ignore_ascii_case(word) {
        Ok(())
    } else {
        Err(Failure::new(ExitCode::Cancelled, "cancelled; nothing was done").into())
    }
}
