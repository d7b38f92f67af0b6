//! A spinner on stderr while waiting, only when a person is watching.
//!
//! For network work it names the relay host, counts the seconds, and says that Ctrl-C is
//! safe: every message is written encrypted to the outbox before any network call, so
//! interrupting (or a timeout) loses nothing; the next `corridor sync` sends it.

use std::future::Future;
use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::output;

/// The note shown next to every network spinner.
pub(crate) const CTRL_C_NOTE: &str = "Ctrl-C is safe: the outbox keeps your messages";

fn watching() -> bool {
    std::io::stderr().is_terminal() && !output::json_mode()
}

fn start(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Awaits `work`, showing "`action` via `host`… 3s (Ctrl-C is safe …)" on stderr if it is
/// a terminal. Nothing is drawn when stderr is redirected or under `--json`.
pub(crate) async fn during<F: Future>(action: &str, host: &str, work: F) -> F::Output {
    if !watching() {
        return work.await;
    }
    let bar = start(format!("{action} via {host} ({CTRL_C_NOTE})…"));
    let out = work.await;
    bar.finish_and_clear();
    out
}

/// Awaits `work` with a plain "`label`…" spinner (local work such as unlocking).
pub(crate) async fn quiet<F: Future>(label: &str, work: F) -> F::Output {
    if !watching() {
        return work.await;
    }
    let bar = start(format!("{label}…"));
    let out = work.await;
    bar.finish_and_clear();
    out
}

/// The host (and port) of a relay URL, for display: `https://relay.example.org/x` →
/// `relay.example.org`. Only for showing; the client library parses URLs for use.
pub(crate) fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = rest.get(..end).unwrap_or(rest);
    host.rsplit_once('@').map_or(host, |(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_for_display() {
        assert_eq!(host_of("https://relay.example.org"), "relay.example.org");
        assert_eq!(host_of("http://127.0.0.1:8080/v1"), "127.0.0.1:8080");
        assert_eq!(host_of("https://user@r.onion/"), "r.onion");
        assert_eq!(host_of("odd"), "odd");
    }
}
