//! Failures that used to be silent, now said in words with a distinct exit code: each test
//! runs the real `corridor` binary (and, where needed, the real relay) and asserts both.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use cli_common::*;

/// A `corridor shell` on `user`'s profile with piped stdio, unlocked once its first line
/// (`whoami`) has answered.
fn open_shell(user: &User) -> (Child, std::process::ChildStdin, thread::JoinHandle<String>) {
    let mut cmd = user.command(&["shell", "--idle-lock", "0"]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.extend_from_slice(&buf[..n]);
                    let _ = tx.send(());
                }
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    });
    writeln!(stdin, "whoami").unwrap();
    stdin.flush().unwrap();
    rx.recv_timeout(COMMAND_TIMEOUT)
        .expect("the shell answered its first command");
    (child, stdin, out)
}

fn wait_for(child: &mut Child) -> (i32, String) {
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the shell did not stop");
        thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap(), err)
}

#[test]
fn panic_on_a_missing_profile_is_an_error_not_destroyed() {
    let user = User::new("x", "irrelevant passphrase");
    let stderr = assert_code(&user.run(&["panic", "--yes"]), code::NOT_FOUND);
    assert!(stderr.contains("nothing was destroyed"), "{stderr}");
    assert!(!stderr.contains("was destroyed."), "{stderr}");
    let err = assert_json_error(&user.run(&["--json", "panic", "--yes"]), code::NOT_FOUND);
    assert_eq!(err["reason"], "not_found");
}

#[test]
fn a_shell_stops_answering_once_the_profile_is_destroyed_elsewhere() {
    let user = User::new("ShellPanic", "shell panic passphrase");
    user.init_offline("http://127.0.0.1:9");
    let (mut shell, stdin, out) = open_shell(&user);

    // While the shell holds the profile, a second process is told so, with its own code.
    let stderr = assert_code(&user.run(&["contacts"]), code::PROFILE_BUSY);
    assert!(stderr.contains("another corridor process"), "{stderr}");
    assert!(stderr.contains("shell"), "{stderr}");

    // Panic from "another terminal"; the shell gets no further line, yet stops by itself.
    let panic = user.run(&["panic", "--yes"]);
    assert_ok(&panic, &["panic"]);
    let (code, stderr) = wait_for(&mut shell);
    assert_eq!(code, code::NOT_FOUND, "{stderr}");
    assert!(stderr.contains("destroyed"), "{stderr}");
    assert!(stderr.contains("dropped its keys"), "{stderr}");
    drop(stdin);
    let stdout = out.join().unwrap();
    assert_eq!(
        stdout.matches("Fingerprint").count(),
        1,
        "only the command before the panic answered: {stdout}"
    );
    assert!(!user.home().join("key").exists());
}

#[test]
fn sending_to_a_contact_who_raised_a_duress_alert_asks_first() {
    let relay = start_relay();
    let url = relay.url().to_string();
    let alice = User::new("Alice", "alice real passphrase");
    let bob = User::new("Bob", "bob real passphrase");
    alice.init(&url);
    bob.init(&url);
    connect(&alice, &bob, "bob", "alice");
    let duress = alice.secret_file("duress", "alice duress passphrase");
    alice.ok(&[
        "duress",
        "set",
        "--duress-passphrase-file",
        duress.to_str().unwrap(),
        "--alert",
        "bob",
    ]);
    // Forced to unlock: the duress passphrase sends the alert.
    let out = run_with_timeout(
        alice.command_with_pass(&duress, &["contacts"]),
        b"",
        COMMAND_TIMEOUT,
    );
    assert_ok(&out, &["contacts"]);

    let sync = bob.ok(&["sync"]);
    assert!(sync.contains("DURESS ALERT"), "{sync}");
    // Flagged wherever the contact is shown.
    let contacts = bob.ok(&["contacts"]);
    assert!(contacts.contains("!! DURESS ALERT"), "{contacts}");
    assert!(bob.json(&["contacts"])[0]["duress_alert_at"].is_u64());
    let inbox = bob.ok(&["inbox"]);
    assert!(inbox.contains("!! DURESS ALERT from alice"), "{inbox}");
    assert!(inbox.contains("alice (!! alerted)"), "{inbox}");

    // No terminal, no --yes: refused, with the reason and the way out.
    let stderr = assert_code(
        &bob.run(&["send", "alice", "CanaryNotSent"]),
        code::CANCELLED,
    );
    assert!(stderr.contains("DURESS ALERT"), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    let sent: Vec<String> = bob
        .json(&["inbox", "alice"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect();
    assert!(!sent.contains(&"CanaryNotSent".to_string()), "{sent:?}");

    // With --yes it goes ahead (delivered, or queued if the mailbox is gone).
    let out = bob.run(&["send", "--yes", "alice", "CanarySentAnyway"]);
    assert!(
        matches!(out.status.code(), Some(code::OK | code::RELAY_UNREACHABLE)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn vague_errors_say_what_is_expected() {
    let relay = start_relay();
    let url = relay.url().to_string();
    let alice = User::new("Alice", "alice real passphrase");
    let bob = User::new("Bob", "bob real passphrase");
    alice.init(&url);
    bob.init(&url);
    connect(&alice, &bob, "bob", "alice");

    // A wrong-case label: not found, with the likely meant one.
    let stderr = assert_code(&bob.run(&["send", "Alice", "hi"]), code::NOT_FOUND);
    assert!(stderr.contains("did you mean 'alice'"), "{stderr}");

    // Empty and oversized messages: the limit in words, nothing sent.
    let stderr = assert_code(&bob.run(&["send", "alice", ""]), code::USAGE);
    assert!(stderr.contains("empty"), "{stderr}");
    let big = "x".repeat(16_385);
    let stderr = assert_code(&bob.run(&["send", "alice", &big]), code::USAGE);
    assert!(stderr.contains("16,384 bytes"), "{stderr}");
    assert!(stderr.contains("16385"), "{stderr}");
    bob.ok(&["send", "alice", &"y".repeat(16_384)]);

    // An unquoted multi-word message is taken as one message.
    bob.ok(&["send", "alice", "on", "my", "way"]);
    alice.ok(&["sync"]);
    let inbox = alice.ok(&["inbox", "--new"]);
    assert!(inbox.contains("<- bob: on my way"), "{inbox}");
    assert!(alice.ok(&["inbox", "--new"]).is_empty(), "read once shown");

    // Label rules in the error.
    let stderr = assert_code(&alice.run(&["rename", "bob", " bob"]), code::USAGE);
    assert!(stderr.contains("1 to 64 characters"), "{stderr}");

    // A bad --proxy says what is expected.
    let stderr = assert_code(
        &alice.run(&["--proxy", "127.0.0.1:9050", "contacts"]),
        code::USAGE,
    );
    assert!(stderr.contains("socks5h://HOST:PORT"), "{stderr}");

    // `invitations` prints #N, and `invitations revoke '#N'` takes it.
    let made = alice.json(&["invite"]);
    let id = made["id"].as_u64().unwrap();
    let listed = alice.ok(&["invitations"]);
    assert!(listed.contains(&format!("#{id}")), "{listed}");
    let revoked = alice.json(&["invitations", "revoke", &format!("#{id}")]);
    assert_eq!(revoked["revoked"], id);
}

#[test]
fn own_invitations_and_second_accepts_are_refused_in_words() {
    let relay = start_relay();
    let url = relay.url().to_string();
    let alice = User::new("Alice", "alice real passphrase");
    let bob = User::new("Bob", "bob real passphrase");
    alice.init(&url);
    bob.init(&url);

    // Accepting your own code: refused, and told what to do with it.
    let code = alice.ok(&["invite", "--uses", "3"]);
    let stderr = assert_code(
        &alice.run(&["accept", code.trim(), "--name", "myself"]),
        code::INVALID_INVITATION,
    );
    assert!(stderr.contains("your own"), "{stderr}");
    assert!(
        stderr.contains("give the code to the other person"),
        "{stderr}"
    );
    assert_eq!(alice.json(&["contacts"]), serde_json::json!([]));

    // The same person accepting a standing code twice: no second contact.
    bob.ok(&["accept", code.trim(), "--name", "alice"]);
    let stderr = assert_code(
        &bob.run(&["accept", code.trim(), "--name", "alice-again"]),
        code::ALREADY_CONTACT,
    );
    assert!(stderr.contains("already accepted"), "{stderr}");
    assert!(stderr.contains("'alice'"), "{stderr}");
    assert_eq!(bob.json(&["contacts"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_one_time_code_used_by_two_people_is_reported_to_both() {
    let relay = start_relay();
    let url = relay.url().to_string();
    let alice = User::new("Alice", "alice real passphrase");
    let bob = User::new("Bob", "bob real passphrase");
    let carol = User::new("Carol", "carol real passphrase");
    alice.init(&url);
    bob.init(&url);
    carol.init(&url);
    let made = alice.json(&["invite"]);
    let code = made["code"].as_str().unwrap();
    // Both accept (the code leaked) before the inviter syncs.
    bob.ok(&["accept", code, "--name", "alice"]);
    carol.ok(&["accept", code, "--name", "alice"]);
    bob.ok(&["send", "alice", "from bob"]);
    carol.ok(&["send", "alice", "from carol"]);
    // The inviter is told, in words: who got in, that someone else was refused, what to do.
    let out = alice.run(&["sync"]);
    assert_ok(&out, &["sync"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("New contact new-1"), "{summary}");
    assert!(
        summary.contains("!! Someone else used an invitation that was already used up (#"),
        "{summary}"
    );
    assert!(summary.contains("already used"), "{summary}");
    assert!(summary.contains("corridor invite"), "{summary}");
    assert_eq!(alice.json(&["contacts"]).as_array().unwrap().len(), 1);

    // Scripts see the count and the invitation's id (a second code, used twice as well).
    let second = alice.json(&["invite"]);
    let code2 = second["code"].as_str().unwrap();
    bob.ok(&["accept", code2, "--name", "alice2"]);
    carol.ok(&["accept", code2, "--name", "alice2"]);
    bob.ok(&["send", "alice2", "from bob"]);
    carol.ok(&["send", "alice2", "from carol"]);
    let report = alice.json(&["sync"]);
    assert!(report["refused_reused"].as_u64() >= Some(1), "{report}");
    assert_eq!(
        report["reused_invitations"],
        serde_json::json!([second["id"]]),
        "{report}"
    );

    // The second person sees a pending contact and what to do about it.
    let contacts = carol.ok(&["contacts"]);
    assert!(contacts.contains("pending: no answer since"), "{contacts}");
    assert!(
        contacts.contains("ask them for a new invitation code"),
        "{contacts}"
    );
    let row = &carol.json(&["contacts"])[0];
    assert!(row["awaiting_reply_since"].is_u64(), "{row}");
    assert_eq!(row["established"], false);
}
