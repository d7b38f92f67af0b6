//! `corridor shell`: one unlock for many commands, and locking again when idle.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use std::io::{Read, Write};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use cli_common::*;

/// Runs `corridor shell ARGS`, feeding `steps` (a line, then a pause) to its stdin.
/// `between` runs after each pause (before the next line is written).
fn shell(
    user: &User,
    args: &[&str],
    steps: &[(&str, Duration)],
    mut between: impl FnMut(usize),
) -> (i32, String, String) {
    let mut all = vec!["shell"];
    all.extend_from_slice(args);
    let mut cmd = user.command(&all);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    for (i, (line, pause)) in steps.iter().enumerate() {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        thread::sleep(*pause);
        between(i);
    }
    drop(stdin);
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "shell did not finish");
        thread::sleep(Duration::from_millis(10));
    };
    (
        status.code().unwrap(),
        out.join().unwrap(),
        err.join().unwrap(),
    )
}

#[test]
fn one_unlock_serves_many_commands() {
    let user = User::new("ShellUser", "shell real passphrase");
    user.init_offline("http://127.0.0.1:9");
    let short = Duration::from_millis(300);
    // After the first command, the passphrase file is made wrong: later commands must not
    // need it, because the shell stays unlocked.
    let pass = user.pass_file.clone();
    let (code, out, err) = shell(
        &user,
        &[],
        &[
            ("whoami", short),
            ("--json whoami", short),
            ("contacts", short),
            ("# a comment", short),
            ("exit", short),
        ],
        |i| {
            if i == 0 {
                std::fs::write(&pass, "wrong now\n").unwrap();
            }
        },
    );
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out.matches("ShellUser").count(), 2, "{out}");
    assert!(out.contains("{\"name\":\"ShellUser\""), "{out}");
}

#[test]
fn it_locks_after_idle_time_and_asks_again() {
    let user = User::new("IdleUser", "idle real passphrase");
    user.init_offline("http://127.0.0.1:9");
    let pass = user.pass_file.clone();
    let (code, out, err) = shell(
        &user,
        &["--idle-lock", "1"],
        &[
            ("whoami", Duration::from_millis(2500)),
            ("whoami", Duration::from_millis(300)),
        ],
        |i| {
            if i == 0 {
                // Locked by now; the next command has to read the (now wrong) passphrase.
                std::fs::write(&pass, "wrong now\n").unwrap();
            }
        },
    );
    assert!(err.contains("Locked after"), "{err}");
    assert_eq!(out.matches("IdleUser").count(), 1, "{out}");
    assert_eq!(code, code::WRONG_PASSPHRASE, "{err}");
}

#[test]
fn bad_lines_do_not_end_the_shell() {
    let user = User::new("Robust", "robust real passphrase");
    user.init_offline("http://127.0.0.1:9");
    let short = Duration::from_millis(200);
    let (code, out, err) = shell(
        &user,
        &[],
        &[
            ("nonsense", short),
            ("send 'unterminated", short),
            ("init --name x --relay y", short),
            ("whoami", short),
        ],
        |_| {},
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Robust"));
    assert!(err.contains("cannot run inside"), "{err}");
}
