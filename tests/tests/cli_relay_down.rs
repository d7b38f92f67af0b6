//! When the relay cannot be reached: a clear error, the message waits in the outbox, and
//! the next sync that reaches the relay delivers it, exactly once.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use cli_common::*;

#[test]
fn a_message_sent_while_the_relay_is_down_waits_and_is_delivered_later() {
    let relay = start_relay();
    let wire = Forwarder::start(relay.addr());
    let alice = User::new("Alice", "alice real passphrase");
    let bob = User::new("Bob", "bob real passphrase");
    alice.init(&wire.url());
    bob.init(&wire.url());
    let code = alice.ok(&["invite"]);
    bob.ok(&["accept", code.trim(), "--name", "alice"]);
    bob.ok(&["send", "alice", "hello"]);
    alice.ok(&["sync"]);
    let label = alice.json(&["contacts"])[0]["label"]
        .as_str()
        .unwrap()
        .to_string();

    wire.go_down();
    let out = alice.run(&["send", &label, "sent while the relay was down"]);
    let stderr = assert_code(&out, code::RELAY_UNREACHABLE);
    assert!(stderr.contains("outbox"), "{stderr}");
    let out = alice.run(&["--json", "send", &label, "second while down"]);
    assert_code(&out, code::RELAY_UNREACHABLE);
    let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sent["queued"], true);
    // Syncing while down keeps them queued and says so.
    let out = alice.run(&["--json", "sync"]);
    assert_code(&out, code::RELAY_UNREACHABLE);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["still_queued"], 2, "{report}");

    wire.come_up();
    let report = alice.json(&["sync"]);
    assert_eq!(report["still_queued"], 0, "{report}");
    assert!(report["sent"].as_u64().unwrap() >= 2, "{report}");
    bob.ok(&["sync"]);
    let inbox = bob.json(&["inbox", "alice"]);
    let incoming: Vec<&str> = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "in")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        incoming,
        ["sent while the relay was down", "second while down"]
    );
    // Nothing is sent twice.
    alice.ok(&["sync"]);
    bob.ok(&["sync"]);
    assert_eq!(bob.json(&["inbox", "alice"]).as_array().unwrap().len(), 3);
}
