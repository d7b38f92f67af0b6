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
Exit codes: 0 ok, 1 error, 2 usage, 3 wrong passphrase (three tries at a prompt), 4 not found,
5 relay unreachable or timed out (messages kept in the outbox), 6 safety number mismatch,
7 invalid invitation, 8 cancelled, 9 profile open in another corridor process, 10 already a
contact, 11 relay not on your list. Guide: docs/caseworkers.md";

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

    /// Print JSON instead of text, errors included (one object on stderr)
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Reach relays through this SOCKS5 proxy for this command, e.g.
    /// socks5h://127.0.0.1:9050 for Tor (`corridor proxy set` makes it stick)
    #[arg(long, global = true, value_name = "URL", value_parser = parse_proxy)]
    pub(crate) proxy: Option<String>,

    /// Show times in the local time zone instead of UTC
    #[arg(long, global = true, env = "CORRIDOR_LOCAL_TIME")]
    pub(crate) local_time: bool,

    /// Give up on a relay that does not accept a connection within this time, e.g. 10s
    /// [default: 10s]
    #[arg(long, global = true, env = "CORRIDOR_CONNECT_TIMEOUT", value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) connect_timeout: Option<std::time::Duration>,

    /// Give up on one relay operation that takes longer than this, e.g. 30s or 2m; nothing
    /// is lost, the outbox keeps every message [default: 30s]
    #[arg(long, global = true, env = "CORRIDOR_TIMEOUT", value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) timeout: Option<std::time::Duration>,
}

/// Accepts `30s`, `2m`, `1m 30s` or a bare number of seconds, from 1 second to 1 hour.
pub(crate) fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d = match text.trim().parse::<u64>() {
        Ok(secs) => std::time::Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("{e}: expected a duration such as 10s, 30s or 2m"))?,
    };
    if d < std::time::Duration::from_secs(1) || d > std::time::Duration::from_secs(3600) {
        return Err("expected a duration from 1s to 1h".into());
    }
    Ok(d)
}

/// Accepts `socks5h://HOST:PORT` and says what is expected otherwise.
pub(crate) fn parse_proxy(text: &str) -> Result<String, String> {
    let expected = "expected socks5h://HOST:PORT, for example socks5h://127.0.0.1:9050 for Tor \
                    (socks5h, so that the proxy and not your DNS resolves relay names)";
    let Some(rest) = text.strip_prefix("socks5h://") else {
        return Err(expected.to_string());
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let Some((host, port)) = rest.rsplit_once(':') else {
        return Err(format!("no port: {expected}"));
    };
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':' | '_'));
    if !port_ok || !host_ok {
        return Err(expected.to_string());
    }
    Ok(text.to_string())
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
    fn proxies_must_be_socks5h_with_a_port() {
        assert!(parse_proxy("socks5h://127.0.0.1:9050").is_ok());
        assert!(parse_proxy("socks5h://tor.local:9050/").is_ok());
        for bad in [
            "127.0.0.1:9050",
            "socks5://127.0.0.1:9050",
            "http://127.0.0.1:8080",
            "socks5h://127.0.0.1",
            "socks5h://:9050",
            "socks5h://host:0",
            "socks5h://ho st:9050",
        ] {
            let err = parse_proxy(bad).unwrap_err();
            assert!(err.contains("socks5h://HOST:PORT"), "{bad}: {err}");
        }
    }

    #[test]
    fn timeouts() {
        use std::time::Duration;
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("5"), Ok(Duration::from_secs(5)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("2h").is_err());
        assert!(parse_timeout("soon").unwrap_err().contains("10s"));
    }

    #[test]
    fn shell_lines_cannot_switch_profiles() {
        assert!(ShellLine::try_parse_from(["contacts"]).is_ok());
        assert!(ShellLine::try_parse_from(["--json", "inbox", "alice"]).is_ok());
        assert!(ShellLine::try_parse_from(["contacts", "--home", "/tmp/other"]).is_err());
        assert!(ShellLine::try_parse_from(["contacts", "--passphrase-file", "/tmp/p"]).is_err());
    }
}
