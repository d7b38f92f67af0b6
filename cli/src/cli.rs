//! The command line as clap sees it: global options and the subcommand.

use std::path::PathBuf;

use clap::{Parser, ValueHint};

use crate::commands::Command;

const LONG_ABOUT: &str = "\
Corridor: end-to-end encrypted coordination for evacuation networks.

Your profile (keys, contacts, messages) lives in one directory, encrypted under your
passphrase. The passphrase is typed at a prompt, or read from the first line of the file
given with --passphrase-file; never from a command-line value or an environment variable.
Use `corridor shell` to unlock once and run several commands.";

const AFTER_HELP: &str = "\
Exit codes: 0 ok, 1 error, 2 usage, 3 wrong passphrase, 4 not found, 5 relay unreachable
(message kept in the outbox), 6 safety number mismatch, 7 invalid invitation, 8 cancelled.";

/// Corridor: end-to-end encrypted coordination for evacuation networks.
#[derive(Debug, Parser)]
#[command(
    name = "corridor",
    version,
    about = "End-to-end encrypted coordination for evacuation networks",
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, clap::Args)]
pub(crate) struct Global {
    /// Profile directory [default: $XDG_DATA_HOME/corridor, else ~/.local/share/corridor]
    #[arg(long, global = true, env = "CORRIDOR_HOME", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub(crate) home: Option<PathBuf>,

    /// Read the passphrase from the first line of this file instead of prompting
    #[arg(long, global = true, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub(crate) passphrase_file: Option<PathBuf>,

    /// Print JSON instead of text (non-ASCII characters are \u-escaped)
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Reach relays through this SOCKS5 proxy, e.g. socks5h://127.0.0.1:9050 for Tor
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) proxy: Option<String>,
}

/// One line typed into `corridor shell`: the same subcommands, without the global options
/// that choose the profile (it is already open).
#[derive(Debug, Parser)]
#[command(name = "corridor", no_binary_name = true, disable_version_flag = true)]
pub(crate) struct ShellLine {
    /// Print JSON instead of text for this command
    #[arg(long)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn parser_is_consistent() {
        Cli::command().debug_assert();
        ShellLine::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["corridor", "contacts", "--json", "--home", "/tmp/x"]).unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.home, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn there_is_no_passphrase_flag() {
        for flag in ["--passphrase", "--password"] {
            assert!(Cli::try_parse_from(["corridor", flag, "hunter22", "whoami"]).is_err());
        }
    }

    #[test]
    fn shell_lines_cannot_switch_profiles() {
        assert!(ShellLine::try_parse_from(["contacts"]).is_ok());
        assert!(ShellLine::try_parse_from(["--json", "inbox", "alice"]).is_ok());
        assert!(ShellLine::try_parse_from(["contacts", "--home", "/tmp/other"]).is_err());
        assert!(ShellLine::try_parse_from(["contacts", "--passphrase-file", "/tmp/p"]).is_err());
    }
}
