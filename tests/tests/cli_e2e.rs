//! The whole caseworker flow with real processes: the `corridor-relay` binary on
//! 127.0.0.1:0 and two `corridor` binaries, each with its own profile directory.
//!
//! init → invite → accept → verify → send both ways (also while the other side is
//! offline) → sync → inbox; then a canary scan of every byte on disk.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use cli_common::*;
use corridor_wire::b64::Bytes;

const ALICE_NAME: &str = "CanaryAliceNameQ7x";
const BOB_NAME: &str = "CanaryBobNameZ3k";
const BOB_LABEL_FOR_ALICE: &str = "CanaryLabelForAliceM2p";

/// Alice invites, Bob accepts, and both end up with one established contact.
/// Returns Alice's label for Bob.
fn connect(alice: &User, bob: &User) -> String {
    let invite = alice.run(&["invite", "--expires", "1h"]);
    assert_ok(&invite, &["invite"]);
    let code = String::from_utf8(invite.stdout).unwrap();
    assert_eq!(
        code.trim_end().lines().count(),
        1,
        "stdout must hold the code alone: {code:?}"
    );
    let code = code.trim();
    assert!(
        !String::from_utf8_lossy(&invite.stderr).contains(code),
        "the code goes to stdout only"
    );

    let accepted = bob.json(&["accept", code, "--name", BOB_LABEL_FOR_ALICE]);
    assert_eq!(accepted["contact"], BOB_LABEL_FOR_ALICE);

    // Bob's first message reaches Alice's intake mailbox; her sync turns it into a contact.
    bob.ok(&["send", BOB_LABEL_FOR_ALICE, "CanaryMsgHelloFromBob1"]);
    alice.ok(&["sync"]);
    let contacts = alice.json(&["contacts"]);
    let contacts = contacts.as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    contacts[0]["label"].as_str().unwrap().to_string()
}

fn texts(inbox: &serde_json::Value, direction: &str) -> Vec<String> {
    inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == direction)
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn two_caseworkers_talk_through_the_real_relay_and_leave_no_canary_on_disk() {
    let relay = start_relay();
    let wire = Forwarder::start(relay.addr());
    let alice = User::new(ALICE_NAME, "alice correct horse battery");
    let bob = User::new(BOB_NAME, "bob staple orbit lantern");
    alice.init(&wire.url());
    bob.init(&wire.url());
    assert_eq!(alice.json(&["whoami"])["name"], ALICE_NAME);

    let alice_label_for_bob = connect(&alice, &bob);

    // --qr draws on stderr only; stdout keeps the bare code (or number) for scripts.
    let out = alice.run(&["invite", "--qr"]);
    assert_ok(&out, &["invite", "--qr"]);
    assert_eq!(
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .lines()
            .count(),
        1
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains('\u{2588}'));
    let out = alice.run(&["verify", &alice_label_for_bob, "--qr"]);
    assert_ok(&out, &["verify", "--qr"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains('\u{2588}'));

    // Not on a terminal: no spinner, so no control codes on stderr.
    let out = bob.run(&["sync"]);
    assert_ok(&out, &["sync"]);
    assert!(
        !out.stderr.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Safety numbers: the same 60 digits on both sides.
    let a = alice.json(&["verify", &alice_label_for_bob]);
    let b = bob.json(&["verify", BOB_LABEL_FOR_ALICE]);
    let number = a["safety_number"].as_str().unwrap().to_string();
    assert_eq!(number, b["safety_number"].as_str().unwrap());
    assert_eq!(number.chars().filter(char::is_ascii_digit).count(), 60);

    // A wrong number is refused with its own exit code and changes nothing.
    let mut wrong: Vec<char> = number.chars().collect();
    let first_digit = wrong.iter().position(char::is_ascii_digit).unwrap();
    wrong[first_digit] = if wrong[first_digit] == '0' { '1' } else { '0' };
    let wrong: String = wrong.into_iter().collect();
    let out = alice.run(&["verify", &alice_label_for_bob, "--confirm", &wrong]);
    assert_code(&out, code::MISMATCH);
    assert_eq!(alice.json(&["contacts"])[0]["verified"], false);

    // The right one, typed in groups as read aloud (several arguments).
    let groups: Vec<&str> = number.split_whitespace().collect();
    let mut args = vec!["verify", alice_label_for_bob.as_str(), "--confirm"];
    args.extend(groups.iter().copied());
    alice.ok(&args);
    bob.ok(&["verify", BOB_LABEL_FOR_ALICE, "--confirm", &number]);
    assert_eq!(alice.json(&["contacts"])[0]["verified"], true);
    assert_eq!(bob.json(&["contacts"])[0]["verified"], true);

    // Alice answers; Bob is offline (no process runs for him) until he syncs.
    alice.ok(&["send", &alice_label_for_bob, "CanaryMsgAliceToBob1"]);
    alice.ok(&["send", &alice_label_for_bob, "CanaryMsgAliceToBob2"]);
    bob.ok(&["sync"]);
    let bob_inbox = bob.json(&["inbox", BOB_LABEL_FOR_ALICE]);
    assert_eq!(
        texts(&bob_inbox, "in"),
        ["CanaryMsgAliceToBob1", "CanaryMsgAliceToBob2"]
    );
    assert_eq!(texts(&bob_inbox, "out"), ["CanaryMsgHelloFromBob1"]);

    // Now Alice is offline while Bob writes twice.
    bob.ok(&["send", BOB_LABEL_FOR_ALICE, "CanaryMsgBobToAlice2"]);
    bob.ok(&["send", BOB_LABEL_FOR_ALICE, "CanaryMsgBobToAlice3"]);
    alice.ok(&["sync"]);
    let alice_inbox = alice.json(&["inbox"]);
    assert_eq!(
        texts(&alice_inbox, "in"),
        [
            "CanaryMsgHelloFromBob1",
            "CanaryMsgBobToAlice2",
            "CanaryMsgBobToAlice3"
        ]
    );
    assert_eq!(
        texts(&alice_inbox, "out"),
        ["CanaryMsgAliceToBob1", "CanaryMsgAliceToBob2"]
    );

    // A second sync brings nothing twice.
    alice.ok(&["sync"]);
    assert_eq!(alice.json(&["inbox"]).as_array().unwrap().len(), 5);

    // Human output shows the messages too.
    let human = alice.ok(&["inbox", &alice_label_for_bob]);
    assert!(human.contains("CanaryMsgBobToAlice3"), "{human}");

    // ---- Canary scan: raw bytes of both profiles and of the relay's data directory. ----
    let mut canaries: Vec<(String, Vec<u8>)> = vec![
        ("Alice's name".into(), ALICE_NAME.into()),
        ("Bob's name".into(), BOB_NAME.into()),
        ("Bob's label for Alice".into(), BOB_LABEL_FOR_ALICE.into()),
        (
            "Alice's label for Bob".into(),
            alice_label_for_bob.clone().into_bytes(),
        ),
        ("the common message prefix".into(), b"CanaryMsg".to_vec()),
    ];
    let mut ids = 0;
    for field in ["read_id", "deposit_id"] {
        for text in wire.json_values(field) {
            let raw = Bytes::<16>::from_text(&text).expect("a 16-byte id on the wire");
            canaries.push((format!("a {field} (text)"), text.into_bytes()));
            canaries.push((format!("a {field} (raw)"), raw.as_bytes().to_vec()));
            ids += 1;
        }
    }
    assert!(
        ids >= 4,
        "expected to see mailbox ids on the wire, saw {ids}"
    );
    for (what, needle) in &canaries {
        assert_absent(&alice.home(), needle, &format!("{what} (Alice's profile)"));
        assert_absent(&bob.home(), needle, &format!("{what} (Bob's profile)"));
    }
    for (what, needle) in &canaries {
        if what.starts_with("a ") {
            continue; // mailbox ids on the relay: checked below
        }
        assert_absent(relay.data_dir(), needle, &format!("{what} (relay data)"));
    }
    for (what, needle) in canaries.iter().filter(|(w, _)| w.starts_with("a ")) {
        assert_absent(relay.data_dir(), needle, &format!("{what} (relay data)"));
    }
}

#[test]
fn sanitized_output_cannot_drive_the_terminal() {
    let relay = start_relay();
    let alice = User::new("Alice", "alice correct horse battery");
    let bob = User::new("Bob", "bob staple orbit lantern");
    let url = relay.url().to_string();
    alice.init(&url);
    bob.init(&url);
    let label = connect(&alice, &bob);
    let hostile = "ok\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}gnp.exe\u{9b}31m\nfake: line";
    bob.ok(&["send", BOB_LABEL_FOR_ALICE, hostile]);
    alice.ok(&["sync"]);
    let human = alice.ok(&["inbox", &label]);
    for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}'] {
        assert!(
            !human.contains(bad),
            "{:x} reached the terminal: {human:?}",
            u32::from(bad)
        );
    }
    assert!(
        human.contains("\\u{1b}[2J") && human.contains("\\u{202e}gnp.exe"),
        "{human}"
    );
    // One line per message: the embedded newline cannot fake a second message.
    assert_eq!(human.lines().count(), 2, "{human}");
    // JSON is lossless yet ASCII-only.
    let raw = alice.ok(&["--json", "inbox", &label]);
    assert!(raw.is_ascii());
    let parsed: serde_json::Value = serde_json::from_str(raw.trim()).unwrap();
    assert_eq!(texts(&parsed, "in").last().unwrap(), hostile);
}

#[test]
fn a_standing_invitation_serves_several_people() {
    let relay = start_relay();
    let url = relay.url().to_string();
    let desk = User::new("Desk", "desk real passphrase");
    desk.init(&url);
    let code = desk.ok(&["invite", "--uses", "2", "--expires", "7d"]);
    let code = code.trim();
    for name in ["Sam", "Noor"] {
        let person = User::new(name, "person real passphrase");
        person.init(&url);
        person.ok(&["accept", code, "--name", "desk"]);
        person.ok(&["send", "desk", &format!("hello from {name}")]);
    }
    let report = desk.json(&["sync"]);
    assert_eq!(
        report["new_contacts"].as_array().unwrap().len(),
        2,
        "{report}"
    );
    let inbox = desk.json(&["inbox"]);
    let mut got = texts(&inbox, "in");
    got.sort();
    assert_eq!(got, ["hello from Noor", "hello from Sam"]);
    // Provisional labels can be renamed.
    let first = report["new_contacts"][0].as_str().unwrap().to_string();
    desk.ok(&["rename", &first, "first-arrival"]);
    let labels: Vec<String> = desk
        .json(&["contacts"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap().to_string())
        .collect();
    assert!(labels.contains(&"first-arrival".to_string()), "{labels:?}");

    // A leaked standing code can be withdrawn; nobody can use it afterwards.
    let code = desk.ok(&["invite", "--uses", "10"]);
    let open = desk.json(&["invitations"]);
    let leaked = open
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["max_uses"] == 10)
        .expect("the new invitation is listed");
    assert_eq!(leaked["kind"], "standing");
    let id = leaked["id"].as_u64().unwrap().to_string();
    desk.ok(&["invitations", "revoke", &id]);
    assert_code(&desk.run(&["invitations", "revoke", &id]), code::NOT_FOUND);
    let stranger = User::new("Stranger", "stranger real passphrase");
    stranger.init(&url);
    assert_code(&stranger.run(&["accept", code.trim(), "--name", "desk"]), 7);
}
