//! A spinner on stderr while waiting on the network, only when a person is watching.

use std::future::Future;
use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::ProgressBar;

/// Awaits `work`, showing `message` with a spinner on stderr if stderr is a terminal.
///
/// Nothing is drawn when stderr is redirected, so logs and scripts see no control codes.
pub(crate) async fn during<F: Future>(message: &'static str, work: F) -> F::Output {
    if !std::io::stderr().is_terminal() {
        return work.await;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    let out = work.await;
    bar.finish_and_clear();
    out
}
