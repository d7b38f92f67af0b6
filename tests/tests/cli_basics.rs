//! The `corridor` binary on its own (no relay): exit codes, passphrase sources,
//! completions and the manual page.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use std::process::Command;

use cli_common::*;

#[test]
fn usage_errors_exit_with_2_and_help_with_0() {
    let user = User::new("x", "irrelevant passphrase");
    assert_code(&user.run(&["no-such-command"]), code::USAGE);
    assert_code(&user.run(&["send"]), code::USAGE);
    assert_code(&user.run(&["invite", "--expires", "soon"]), code::USAGE);
    assert_code(&user.run(&["invite", "--uses", "0"]), code::USAGE);
    let help = user.run(&["--help"]);
    assert_code(&help, code::OK);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes"));
}

#[test]
fn a_missing_profile_is_not_found() {
    let user = User::new("x", "irrelevant passphrase");
    let stderr = assert_code(&user.run(&["contacts"]), code::NOT_FOUND);
    assert!(stderr.contains("corridor init"), "{stderr}");
}

#[test]
fn there_is_no_way_to_pass_the_passphrase_as_a_value() {
    let user = User::new("x", "irrelevant passphrase");
    let mut cmd = Command::new(corridor_bin());
    cmd.args(["--home"])
        .arg(user.home())
        .args(["--passphrase", "hunter2hunter2", "whoami"]);
    let out = run_with_timeout(cmd, b"", COMMAND_TIMEOUT);
    assert_code(&out, code::USAGE);
}

#[test]
fn without_a_file_or_a_terminal_the_passphrase_is_refused() {
    // `setsid` detaches the child from any controlling terminal, so /dev/tty cannot be
    // opened even when the test suite runs in one.
    if Command::new("setsid").arg("--version").output().is_err() {
        eprintln!("setsid not available; skipped");
        return;
    }
    let user = User::new("CanaryName", "irrelevant passphrase");
    let mut cmd = Command::new("setsid");
    cmd.arg("--wait")
        .arg(corridor_bin())
        .arg("--home")
        .arg(user.home());
    cmd.args(["init", "--name", "x", "--relay", "http://127.0.0.1:9"]);
    let out = run_with_timeout(cmd, b"", COMMAND_TIMEOUT);
    let stderr = assert_code(&out, code::USAGE);
    assert!(stderr.contains("--passphrase-file"), "{stderr}");
    assert!(!user.home().exists(), "nothing may be created");
}

#[test]
fn a_short_new_passphrase_is_refused_and_nothing_is_created() {
    let user = User::new("x", "short");
    let out = user.run(&[
        "init",
        "--name",
        "x",
        "--relay",
        "http://127.0.0.1:9",
        "--insecure-fast-kdf",
    ]);
    assert_code(&out, code::USAGE);
    assert!(!user.home().join("key").exists());
}

#[test]
fn panic_refuses_without_confirmation_when_not_on_a_terminal() {
    let user = User::new("x", "irrelevant passphrase");
    user.init_offline("http://127.0.0.1:9");
    let stderr = assert_code(&user.run(&["panic"]), code::CANCELLED);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(user.home().join("key").exists(), "nothing was destroyed");
}

#[test]
fn completions_and_man_page() {
    let user = User::new("x", "irrelevant passphrase");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = user.ok(&["completions", shell]);
        assert!(out.contains("corridor"), "{shell}");
        assert!(out.contains("invite"), "{shell}");
    }
    let man = user.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH corridor"),
        "{}",
        &man[..man.len().min(200)]
    );
    assert!(man.contains("passphrase"));
    let dir = tempfile::tempdir().unwrap();
    user.ok(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    for page in [
        "corridor.1",
        "corridor-init.1",
        "corridor-send.1",
        "corridor-shell.1",
    ] {
        assert!(dir.path().join(page).exists(), "{page}");
    }
    // Every page another page refers to, `corridor-x-y(1)`, exists.
    let mut pages = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        pages += 1;
        for (at, _) in text.match_indices("(1)") {
            let start = text[..at]
                .rfind(|c: char| c.is_whitespace() || c == '>' || c == '`')
                .map_or(0, |i| i + 1);
            let name = text[start..at]
                .replace("\\-", "-")
                .replace("\\fB", "")
                .replace("\\fR", "");
            if name.starts_with("corridor") {
                assert!(
                    dir.path().join(format!("{name}.1")).exists(),
                    "a page refers to {name}(1), which does not exist"
                );
            }
        }
    }
    assert!(pages >= 20, "one page per subcommand: {pages}");
}

#[test]
fn bad_invitations_and_unknown_contacts_have_their_own_codes() {
    let user = User::new("Coder", "coder real passphrase");
    user.init_offline("http://127.0.0.1:9");
    let stderr = assert_code(
        &user.run(&["accept", "not-an-invitation", "--name", "x"]),
        7,
    );
    assert!(stderr.contains("invitation"), "{stderr}");
    assert_code(&user.run(&["send", "nobody", "hello"]), code::NOT_FOUND);
    assert_code(&user.run(&["verify", "nobody"]), code::NOT_FOUND);
    // Labels are checked by the client: control characters are refused as usage errors.
    let stderr = assert_code(
        &user.run(&["accept", "x", "--name", "bad\u{1b}label"]),
        code::USAGE,
    );
    assert!(!stderr.contains('\u{1b}'));
    assert_eq!(user.json(&["contacts"]), serde_json::json!([]));
}
