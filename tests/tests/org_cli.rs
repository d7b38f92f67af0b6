//! The organization and case commands' command-line contract, with the real `corridor`
//! binary: every field of `corridor request` is checked before anything else happens
//! (exit code 2, the option named, the value never repeated), and the new commands keep
//! the `--json` error convention on a profile outside any organization.
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use cli_common::*;

/// A request that passes every check, as (option, value) pairs.
const GOOD: [(&str, &str); 8] = [
    ("--alias", "Leyla"),
    ("--region", "Baku"),
    ("--people", "3"),
    ("--children", "1"),
    ("--needs", "shelter,travel"),
    ("--languages", "az,ru"),
    ("--urgency", "high"),
    ("--safe-contact", "evenings after nine"),
];

fn request_with(change: (&str, &str)) -> Vec<String> {
    let mut args = vec!["request".to_string(), "corridor-intake1:unused".to_string()];
    let mut replaced = false;
    for (option, value) in GOOD {
        args.push(option.to_string());
        if option == change.0 {
            args.push(change.1.to_string());
            replaced = true;
        } else {
            args.push(value.to_string());
        }
    }
    if !replaced {
        args.push(change.0.to_string());
        args.push(change.1.to_string());
    }
    args
}

#[test]
fn every_request_field_is_checked_and_named_without_repeating_the_value() {
    // No profile at all: the form is checked before the passphrase is even asked for.
    let user = User::new("requester", "requester passphrase");
    let long_alias = "Z".repeat(65);
    let long_note = "Q".repeat(4001);
    let cases: [((&str, &str), &str); 12] = [
        (("--alias", "   "), "--alias"),
        (("--alias", &long_alias), "--alias"),
        (("--alias", "Ley\u{202e}la"), "--alias"),
        (("--region", "Baku\nNarimanov"), "--region"),
        (("--people", "0"), "--people"),
        (("--people", "90"), "--people"),
        (("--children", "4"), "--children"),
        (("--needs", "shelter,boatXq"), "--needs"),
        (("--languages", "az,az"), "--languages"),
        (("--urgency", "yesterdayXq"), "--urgency"),
        (("--safe-contact", ""), "--safe-contact"),
        (("--note", &long_note), "--note"),
    ];
    for ((option, value), named) in cases {
        let args = request_with((option, value));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = user.run(&args);
        let stderr = assert_code(&out, code::USAGE);
        assert!(
            stderr.contains(named),
            "{option}={value:?}: the error must name {named}: {stderr}"
        );
        assert!(
            stderr.contains("nothing was sent"),
            "{option}={value:?}: {stderr}"
        );
        if value.trim().len() >= 4 && option != "--people" && option != "--children" {
            let tail: Vec<char> = value.trim().chars().rev().take(8).collect();
            let probe: String = tail.into_iter().rev().collect();
            assert!(
                !stderr.contains(&probe),
                "{option}: the error repeats the value: {stderr}"
            );
        }
        // The same under --json: one object on stderr, nothing on stdout.
        let mut json = vec!["--json"];
        json.extend_from_slice(&args);
        let err = assert_json_error(&user.run(&json), code::USAGE);
        assert!(err["error"].as_str().unwrap().contains(named), "{err}");
    }
    assert!(!user.home().exists(), "nothing was created");
}

#[test]
fn organization_commands_outside_an_organization_fail_in_json() {
    let user = User::new("loner", "loner passphrase 123");
    user.init_offline("http://127.0.0.1:9");
    for args in [
        &["org"][..],
        &["org", "members"],
        &["org", "intake"],
        &["org", "invite", "--role", "caseworker", "--alias", "Dana"],
        &["org", "remove", "Dana"],
        &["org", "referral-invite"],
        &["cases"],
        &["case", "show", "abcd"],
        &["case", "note", "abcd", "a note"],
        &["case", "status", "abcd", "verifying"],
        &["case", "vouch", "abcd", "--tier", "direct"],
        &["case", "close", "abcd"],
        &["case", "assign", "abcd", "Dana"],
        &["case", "send", "abcd", "hello"],
        &["audit"],
        &["audit", "--verify"],
    ] {
        let mut json = vec!["--json"];
        json.extend_from_slice(args);
        let err = assert_json_error(&user.run(&json), code::GENERAL);
        assert!(
            err["error"].as_str().unwrap().contains("no organization"),
            "{args:?}: {err}"
        );
        assert!(
            err["hint"].as_str().unwrap().contains("org create"),
            "{args:?}: {err}"
        );
    }
    // A requester's list works outside an organization and is empty.
    assert_eq!(user.json(&["requests"]), serde_json::json!([]));
    // Usage errors name what is expected.
    for (args, expected) in [
        (
            &["org", "invite", "--role", "boss", "--alias", "x"][..],
            "caseworker",
        ),
        (&["case", "status", "abcd", "done"], "in-transit"),
        (&["case", "vouch", "abcd", "--tier", "friend"], "partner"),
        (&["cases", "--status", "open"], "verifying"),
        (&["org", "create", "X", "--retention", "10m"], "1h"),
        (
            &["case", "vouch", "abcd", "--tier", "co", "--expires", "400d"],
            "366",
        ),
    ] {
        let mut json = vec!["--json"];
        json.extend_from_slice(args);
        let err = assert_json_error(&user.run(&json), code::USAGE);
        assert!(
            err["error"].as_str().unwrap().contains(expected),
            "{args:?}: {err}"
        );
    }
}
