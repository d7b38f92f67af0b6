//! `corridor man`: the manual page.

use std::path::PathBuf;

use clap::CommandFactory as _;

use crate::cli::Cli;

/// Print the manual page (roff) on stdout, or write one page per subcommand to a directory.
///
/// Install with: `corridor man > ~/.local/share/man/man1/corridor.1`, or
/// `corridor man --out-dir ~/.local/share/man/man1` for every subcommand's page too.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Write corridor.1, corridor-init.1, … into this directory instead
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

impl Args {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        match self.out_dir {
            Some(dir) => clap_mangen::generate_to(Cli::command(), dir)?,
            None => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?,
        }
        Ok(())
    }
}
