//! `corridor completions`: shell completion scripts.

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::Cli;

/// Print a completion script for your shell.
///
/// For example: `corridor completions bash > ~/.local/share/bash-completion/completions/corridor`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to generate completions for
    #[arg(value_name = "SHELL")]
    shell: Shell,
}

impl Args {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        clap_complete::generate(self.shell, &mut Cli::command(), "corridor", &mut out);
        Ok(())
    }
}
