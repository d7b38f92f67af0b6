//! One module per subcommand, each an `Args` struct with a `run`.
//!
//! Commands stay thin: they read input, call one or two `Client` methods, and print. No
//! protocol logic lives here.

use clap::Subcommand;

use crate::context::Context;
use crate::exit_codes::ExitCode;

pub(crate) mod accept;
pub(crate) mod completions;
pub(crate) mod contacts;
pub(crate) mod duress;
pub(crate) mod inbox;
pub(crate) mod init;
pub(crate) mod invitations;
pub(crate) mod invite;
pub(crate) mod man;
pub(crate) mod panic;
pub(crate) mod passphrase;
pub(crate) mod rename;
pub(crate) mod send;
pub(crate) mod shell;
pub(crate) mod sync;
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
    Verify(verify::Args),
    Send(send::Args),
    Sync(sync::Args),
    Inbox(inbox::Args),
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
            Command::Verify(args) => args.run(ctx).await?,
            Command::Send(args) => args.run(ctx).await?,
            Command::Sync(args) => args.run(ctx).await?,
            Command::Inbox(args) => args.run(ctx).await?,
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
