//! `corridor shell`: unlock once, then run commands line by line.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use clap::{CommandFactory as _, Parser as _};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::backend::Client;
use crate::cli::ShellLine;
use crate::commands::After;
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::{errors, output};

/// Unlock once, then type commands without retyping the passphrase.
///
/// Each line is a corridor command without the leading `corridor` (for example
/// `send alice "on my way"`), split like a POSIX shell would. `lock` locks now, `help`
/// lists commands, `exit` or end of input leaves. After --idle-lock seconds without a
/// command the profile is locked (its keys dropped from memory) and the next command asks
/// for the passphrase again. If the profile is destroyed from elsewhere (`corridor panic` in
/// another terminal), the shell drops its keys and stops at once (exit code 4). The exit
/// status is otherwise that of the last command.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Lock after this many seconds without a command (0 = never)
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_lock: u64,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<ExitCode> {
        ctx.client().await?;
        let interactive = std::io::stdin().is_terminal();
        if interactive {
            eprintln!("Unlocked. Type `help` for commands, `lock` to lock, `exit` to leave.");
        }
        let idle = (self.idle_lock > 0).then(|| Duration::from_secs(self.idle_lock));
        let default_json = ctx.json;
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let mut last = ExitCode::Success;
        let home = ctx.home().to_path_buf();
        loop {
            if interactive {
                eprint!("corridor> ");
                std::io::stderr().flush()?;
            }
            let idle_left = idle.filter(|_| ctx.is_unlocked());
            let next = tokio::select! {
                line = lines.next_line() => line,
                () = sleep_or_forever(idle_left) => {
                    ctx.lock().await;
                    eprintln!(
                        "{}Locked after {} without a command; the next command asks for the passphrase.",
                        if interactive { "\n" } else { "" },
                        humantime::format_duration(idle.unwrap_or_default())
                    );
                    continue;
                }
                () = wiped(&home) => {
                    return Err(wiped_elsewhere(ctx));
                }
            };
            let Some(line) = next? else { break };
            if !Client::profile_exists(&home) {
                return Err(wiped_elsewhere(ctx));
            }
            match self.one_line(ctx, &line, default_json).await {
                Step::Ran(code) => last = code,
                Step::Skip => {}
                Step::Quit(code) => {
                    last = code;
                    break;
                }
            }
        }
        ctx.lock().await;
        Ok(last)
    }

    async fn one_line(&self, ctx: &mut Context, line: &str, default_json: bool) -> Step {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Step::Skip;
        }
        let words = match shell_words::split(line) {
            Ok(words) => words,
            Err(e) => {
                eprintln!("corridor: cannot split the line: {e}");
                return Step::Ran(ExitCode::Usage);
            }
        };
        match words.first().map(String::as_str) {
            Some("exit" | "quit") => return Step::Quit(ExitCode::Success),
            Some("lock") => {
                ctx.lock().await;
                eprintln!("Locked; the next command asks for the passphrase.");
                return Step::Ran(ExitCode::Success);
            }
            Some("help") if words.len() == 1 => {
                let _ = ShellLine::command().print_help();
                return Step::Ran(ExitCode::Success);
            }
            _ => {}
        }
        let parsed = match ShellLine::try_parse_from(words) {
            Ok(parsed) => parsed,
            Err(e) => {
                let _ = e.print();
                return Step::Ran(if e.use_stderr() {
                    ExitCode::Usage
                } else {
                    ExitCode::Success
                });
            }
        };
        if !parsed.command.allowed_in_shell() {
            eprintln!("corridor: that command cannot run inside `corridor shell`");
            return Step::Ran(ExitCode::Usage);
        }
        ctx.json = default_json || parsed.json;
        output::set_json_mode(ctx.json);
        let result = parsed.command.run_one(ctx).await;
        let step = match result {
            Ok(After::Continue) => Step::Ran(ExitCode::Success),
            Ok(After::Quit) => Step::Quit(ExitCode::Success),
            Err(err) => Step::Ran(errors::report(&err)),
        };
        ctx.json = default_json;
        output::set_json_mode(default_json);
        step
    }
}

/// How often the shell looks whether its profile still exists while waiting for a line.
const WIPE_CHECK: Duration = Duration::from_millis(500);

async fn sleep_or_forever(idle: Option<Duration>) {
    match idle {
        Some(idle) => tokio::time::sleep(idle).await,
        None => std::future::pending().await,
    }
}

/// Returns once the profile in `home` is gone (its key file removed by a panic wipe).
async fn wiped(home: &std::path::Path) {
    loop {
        if !Client::profile_exists(home) {
            return;
        }
        tokio::time::sleep(WIPE_CHECK).await;
    }
}

/// Drops the keys at once and says why the shell stops.
fn wiped_elsewhere(ctx: &mut Context) -> anyhow::Error {
    ctx.discard();
    Failure::new(
        ExitCode::NotFound,
        "the profile was destroyed (corridor panic from elsewhere); this shell dropped its keys and stopped",
    )
    .into()
}

enum Step {
    Ran(ExitCode),
    Skip,
    Quit(ExitCode),
}
