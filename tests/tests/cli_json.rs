//! `--json` on every command that prints anything, success and failure: stdout is one JSON
//! value on success and empty on failure; stderr holds nothing but JSON lines (the error
//! object with its exit code, or warnings).
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use std::process::Output;

use cli_common::*;

/// Every non-empty stderr line is a JSON object.
fn stderr_is_json(out: &Output, args: &[&str]) {
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{args:?}: stderr line is not JSON ({e}): {line:?}"));
        assert!(v.is_object(), "{args:?}: {line}");
    }
}

/// Runs `corridor --json ARGS` as `user`, expects success, returns the stdout value.
fn ok(user: &User, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = user.run(&all);
    assert_ok(&out, &all);
    stderr_is_json(&out, &all);
    one_json(&out.stdout, &format!("stdout of {all:?}"))
}

/// Runs `corridor --json ARGS` as `user`, expects exit `code` and a JSON error.
fn fails(user: &User, args: &[&str], code: i32) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = user.run(&all);
    stderr_is_json(&out, &all);
    assert_json_error(&out, code)
}

#[test]
fn every_command_speaks_json_on_success_and_on_failure() {
    let relay = start_relay();
    let url = relay.url().to_string();
    let alice = User::new("Alice", "alice real passphrase");
    let bob = User::new("Bob", "bob real passphrase");

    // Before a profile exists.
    fails(&alice, &["whoami"], code::NOT_FOUND);
    fails(&alice, &["contacts"], code::NOT_FOUND);
    fails(&alice, &["panic", "--yes"], code::NOT_FOUND);
    fails(&alice, &["no-such-command"], code::USAGE);
    fails(&alice, &["init", "--name", "A"], code::USAGE);

    let created = ok(
        &alice,
        &[
            "init",
            "--name",
            "Alice",
            "--relay",
            &url,
            "--insecure-fast-kdf",
        ],
    );
    assert_eq!(created["name"], "Alice");
    assert!(created["fingerprint"].is_string());
    fails(
        &alice,
        &[
            "init",
            "--name",
            "Alice",
            "--relay",
            &url,
            "--insecure-fast-kdf",
        ],
        code::GENERAL,
    );
    bob.init(&url);

    let me = ok(&alice, &["whoami"]);
    assert_eq!(me["relays"][0], url.as_str());

    // Relays and the proxy.
    assert_eq!(ok(&alice, &["relay"])["relays"], serde_json::json!([url]));
    let added = ok(&alice, &["relay", "add", "http://127.0.0.1:9", "--offline"]);
    assert_eq!(
        (added["added"].as_bool(), added["relays"][1].as_str()),
        (Some(true), Some("http://127.0.0.1:9"))
    );
    fails(
        &alice,
        &["relay", "add", "http://relay.example.org"],
        code::USAGE,
    );
    let removed = ok(&alice, &["relay", "remove", "http://127.0.0.1:9"]);
    assert_eq!(removed["removed"], true);
    fails(
        &alice,
        &["relay", "remove", "http://127.0.0.1:9"],
        code::NOT_FOUND,
    );
    fails(&alice, &["relay", "remove", &url], code::GENERAL);
    assert_eq!(
        ok(&alice, &["proxy", "set", "socks5h://127.0.0.1:9050"])["proxy"],
        "socks5h://127.0.0.1:9050"
    );
    assert_eq!(ok(&alice, &["proxy"])["proxy"], "socks5h://127.0.0.1:9050");
    assert_eq!(
        ok(&alice, &["proxy", "clear"])["proxy"],
        serde_json::Value::Null
    );
    fails(
        &alice,
        &["proxy", "set", "socks5://127.0.0.1:9050"],
        code::USAGE,
    );

    // Invitations: `invite` returns the id that `invitations` lists and `revoke` takes.
    let made = ok(&alice, &["invite", "--uses", "2"]);
    assert_eq!(made["kind"], "standing");
    assert_eq!(made["max_uses"], 2);
    assert_eq!(made["uses"], 0, "uses is a count, never the maximum");
    let id = made["id"].as_u64().unwrap();
    let listed = ok(&alice, &["invitations"]);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_eq!(
        (row["max_uses"].as_u64(), row["uses"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(row["expires_at"], made["expires_at"]);
    fails(&alice, &["invite", "--uses", "0"], code::USAGE);
    fails(
        &alice,
        &["invitations", "revoke", "999999"],
        code::NOT_FOUND,
    );
    fails(
        &bob,
        &["accept", "CI1-NOTACODE", "--name", "x"],
        code::INVALID_INVITATION,
    );

    let accepted = ok(
        &bob,
        &["accept", made["code"].as_str().unwrap(), "--name", "alice"],
    );
    assert_eq!(accepted["contact"], "alice");
    assert_eq!(accepted["verified"], false);
    let sent = ok(&bob, &["send", "alice", "hello"]);
    assert_eq!(
        (sent["delivered"].as_bool(), sent["queued"].as_bool()),
        (Some(true), Some(false))
    );
    fails(&bob, &["send", "alice", ""], code::USAGE);
    fails(&bob, &["send", "nobody", "hi"], code::NOT_FOUND);

    let report = ok(&alice, &["sync"]);
    assert_eq!(report["received"], 1);
    let label = report["new_contacts"][0].as_str().unwrap().to_string();
    assert_eq!(report["received_from"][label.as_str()], 1);
    let renamed = ok(&alice, &["rename", &label, "bob"]);
    assert_eq!(
        (
            renamed["contact"].as_str(),
            renamed["previous_label"].as_str()
        ),
        (Some("bob"), Some(label.as_str()))
    );
    fails(&alice, &["rename", "bob", ""], code::USAGE);
    fails(&alice, &["rename", "ghost", "x"], code::NOT_FOUND);
    let revoked = ok(&alice, &["invitations", "revoke", &format!("#{id}")]);
    assert_eq!(revoked["revoked"], id);

    let contacts = ok(&alice, &["contacts"]);
    assert_eq!(contacts[0]["label"], "bob");
    assert_eq!(contacts[0]["timer_secs"], serde_json::Value::Null);
    let timer = ok(&alice, &["timer", "bob", "1h"]);
    assert_eq!(timer["timer_secs"], 3600);
    assert_eq!(ok(&alice, &["contacts"])[0]["timer_secs"], 3600);
    assert_eq!(
        ok(&alice, &["timer", "bob", "off"])["timer_secs"],
        serde_json::Value::Null
    );
    fails(&alice, &["timer", "bob", "soon"], code::USAGE);
    fails(&alice, &["timer", "ghost", "1h"], code::NOT_FOUND);

    let inbox = ok(&alice, &["inbox"]);
    assert_eq!(inbox[0]["text"], "hello");
    assert_eq!(inbox[0]["unread"], true);
    assert_eq!(ok(&alice, &["inbox", "--new"]), serde_json::json!([]));
    fails(&alice, &["inbox", "ghost"], code::NOT_FOUND);

    ok(&alice, &["send", "bob", "welcome"]);
    ok(&bob, &["sync"]);
    let rotated = ok(&alice, &["rotate", "bob"]);
    assert_eq!(rotated["rotated"], true);
    fails(&alice, &["rotate", "ghost"], code::NOT_FOUND);

    let shown = ok(&alice, &["verify", "bob"]);
    let number = shown["safety_number"].as_str().unwrap().to_string();
    let confirmed = ok(&alice, &["verify", "bob", "--confirm", &number]);
    assert_eq!(confirmed["verified"], true);
    fails(
        &bob,
        &["verify", "alice", "--confirm", "12345"],
        code::MISMATCH,
    );

    let duress = alice.secret_file("duress", "alice duress passphrase");
    let set = ok(
        &alice,
        &[
            "duress",
            "set",
            "--duress-passphrase-file",
            duress.to_str().unwrap(),
            "--alert",
            "bob",
        ],
    );
    assert_eq!(set["duress_set"], true);
    fails(
        &alice,
        &[
            "duress",
            "set",
            "--duress-passphrase-file",
            duress.to_str().unwrap(),
            "--alert",
            "ghost",
        ],
        code::NOT_FOUND,
    );

    let new_pass = alice.secret_file("new-pass", "alice second passphrase");
    let changed = ok(
        &alice,
        &[
            "passphrase",
            "change",
            "--new-passphrase-file",
            new_pass.to_str().unwrap(),
        ],
    );
    assert_eq!(changed["passphrase_changed"], true);
    fails(&alice, &["contacts"], code::WRONG_PASSPHRASE);

    let removed = ok(&bob, &["remove", "--yes", "alice"]);
    assert_eq!(removed["removed"], true);
    fails(&bob, &["remove", "--yes", "alice"], code::NOT_FOUND);
    fails(&bob, &["remove", "ghost"], code::NOT_FOUND);

    let destroyed = ok(&bob, &["panic", "--yes"]);
    assert_eq!(destroyed["destroyed"], true);
    fails(&bob, &["panic", "--yes"], code::NOT_FOUND);
}
