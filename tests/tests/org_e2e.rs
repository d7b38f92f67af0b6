//! An organization end to end, with real processes: the `corridor-relay` binary on
//! 127.0.0.1:0 and one `corridor` binary per person, each with its own profile.
//!
//! A coordinator creates an organization and invites two caseworkers and a host; a
//! referrer's one-time intake code reaches a requester, whose request becomes a case; it is
//! assigned to caseworker A, refused as verified without a vouch, vouched, verified; notes
//! flow between the coordinator and A; the requester and A exchange messages. A second,
//! fake requester (never verified) comes in through the standing intake address and is
//! assigned to caseworker B. Then what each device holds is checked with the forensic
//! reader (a forced unlock of the profile's files, written from the documented formats):
//!
//! - B cannot read the first case (`case show` exit 4) and holds neither its request text
//!   nor its alias;
//! - B, removed, holds nothing made after the removal (a note on B's own case);
//! - the host holds no other member's key (fingerprints, recomputed from every 64-byte
//!   window of everything the reader recovers);
//! - the fake requester holds no alias, key or text of anyone but the one caseworker it
//!   talks to;
//! - the relay's data directory holds none of the aliases, texts or the organization name.
//!
//! Every "holds none" check has a positive control that runs the same scan where the
//! needle must be (so a scan that cannot see the data fails the test instead of passing).
// Helpers outside #[test] functions may fail loudly too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;
#[path = "../../client-lib/tests/forensic/mod.rs"]
mod forensic;

use std::path::Path;

use cli_common::*;
use data_encoding::{BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};
use serde_json::Value;
use sha2::{Digest, Sha256};

const ORG_NAME: &str = "OrgNameIstanbulRainbowDeskQ4v";
const COORD_ALIAS: &str = "CoordAliasSelinK8w";
const A_ALIAS: &str = "CaseworkerAliasAydaP3m";
const B_ALIAS: &str = "CaseworkerAliasBurakT6n";
const HOST_ALIAS: &str = "HostAliasHarborHouseJ2r";
const REFERRER: &str = "ReferrerNameBakuPartnerW5c";
const R_ALIAS: &str = "RequesterAliasLeylaX9d";
const R_REGION: &str = "RegionBakuNarimanovZ1k";
const R_HOUSEHOLD: &str = "HouseholdTwoAdultsOneCatH7q";
const R_SAFE: &str = "SafeContactEveningsAfterNineS4j";
const R_NOTE: &str = "RequestNoteMyFamilyFoundOutN8u";
const F_ALIAS: &str = "FakeRequesterAliasOrxanV3y";
const F_NOTE: &str = "FakeRequestNoteSoundsUrgentE6t";
const F_REGION: &str = "RegionGanjaCentreFakeR2w";
const F_HOUSEHOLD: &str = "HouseholdFakeOneAdultOneChildH8p";
const F_SAFE: &str = "SafeContactFakeMorningsS5k";
const NOTE_BY_COORD: &str = "NoteByCoordinatorCallTuesdayC1x";
const NOTE_BY_A: &str = "NoteByCaseworkerADocsCheckedA2y";
const VOUCH_NOTE: &str = "VouchNoteInterviewByVideoV7z";
const A_TO_R: &str = "MessageFromCaseworkerToLeylaM3a";
const R_TO_A: &str = "MessageFromLeylaToCaseworkerM4b";
const B_TO_F: &str = "MessageFromBurakToFakeM5c";
const F_TO_B: &str = "MessageFromFakeToBurakM6d";
const NOTE_BEFORE_REMOVAL: &str = "NoteOnFakeCaseBeforeRemovalK1e";
const NOTE_AFTER_REMOVAL: &str = "NoteOnFakeCaseAfterRemovalK2f";

/// How many rounds of syncs a multi-step exchange may take before the test gives up.
const ROUNDS: usize = 8;

/// Syncs `users` in order, round after round, until `done` holds (checked after each
/// round); fails after [`ROUNDS`] rounds with `what`.
fn sync_until(users: &[&User], what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..ROUNDS {
        for user in users {
            let out = user.run(&["sync"]);
            assert_ok(&out, &["sync", &user.name]);
        }
        if done() {
            return;
        }
    }
    panic!("after {ROUNDS} rounds of syncs: {what}");
}

fn org_view(user: &User) -> Value {
    user.json(&["org"])
}

fn cases(user: &User) -> Vec<Value> {
    user.json(&["cases"]).as_array().unwrap().clone()
}

fn case_show(user: &User, id: &str) -> Value {
    user.json(&["case", "show", id])
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

fn invite(coord: &User, role: &str, alias: &str) -> String {
    let out = coord.run(&["org", "invite", "--role", role, "--alias", alias]);
    assert_ok(&out, &["org", "invite"]);
    let code = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        code.trim_end().lines().count(),
        1,
        "stdout must hold the code alone: {code:?}"
    );
    code.trim().to_string()
}

/// The member joins with a code from the coordinator; syncs until its membership is
/// complete.
fn join(coord: &User, member: &User, role: &str, alias: &str) {
    let code = invite(coord, role, alias);
    let joined = member.json(&["org", "join", &code]);
    assert_eq!(joined["role"], role, "{joined}");
    sync_until(&[coord, member], &format!("{alias} joined"), || {
        org_view(member)["joined"] == true
    });
    let view = org_view(member);
    assert_eq!(view["organization"], ORG_NAME, "{view}");
    assert_eq!(view["alias"], alias, "{view}");
}

/// One requester's form: alias, region, household, safe contact, note, people.
struct Form {
    alias: &'static str,
    region: &'static str,
    household: &'static str,
    safe: &'static str,
    note: &'static str,
    people: &'static str,
}

const R_FORM: Form = Form {
    alias: R_ALIAS,
    region: R_REGION,
    household: R_HOUSEHOLD,
    safe: R_SAFE,
    note: R_NOTE,
    people: "3",
};

const F_FORM: Form = Form {
    alias: F_ALIAS,
    region: F_REGION,
    household: F_HOUSEHOLD,
    safe: F_SAFE,
    note: F_NOTE,
    people: "2",
};

fn request_args<'a>(code: &'a str, form: &Form) -> Vec<&'a str> {
    vec![
        "request",
        code,
        "--alias",
        form.alias,
        "--region",
        form.region,
        "--people",
        form.people,
        "--children",
        "1",
        "--household",
        form.household,
        "--needs",
        "shelter,travel",
        "--languages",
        "az,ru",
        "--urgency",
        "high",
        "--safe-contact",
        form.safe,
        "--note",
        form.note,
    ]
}

// ---- the forensic side -------------------------------------------------------------

/// Everything the forensic reader recovers from a profile directory, as byte strings:
/// every record's key and value (current or left over in the database's log), every
/// string inside a JSON value and what it decodes to (base64 in any of its variants,
/// hex, arrays of bytes), and every pickle among those opened with the profile's pickle
/// keys under every documented label.
struct Seized {
    blobs: Vec<Vec<u8>>,
}

const PICKLE_LABELS: [&str; 4] = ["identity", "prekeys", "session", "reassembler"];

fn decodings(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for enc in [
        &BASE64URL_NOPAD,
        &BASE64URL,
        &BASE64_NOPAD,
        &BASE64,
        &HEXLOWER_PERMISSIVE,
    ] {
        if let Ok(bytes) = enc.decode(text.as_bytes()) {
            out.push(bytes);
        }
    }
    out
}

fn walk(value: &Value, out: &mut Vec<Vec<u8>>) {
    match value {
        Value::String(s) => {
            out.push(s.as_bytes().to_vec());
            out.extend(decodings(s));
        }
        Value::Array(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            match bytes {
                Some(bytes) if !bytes.is_empty() => out.push(bytes),
                _ => items.iter().for_each(|v| walk(v, out)),
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.as_bytes().to_vec());
                walk(v, out);
            }
        }
        _ => {}
    }
}

fn seize(user: &User) -> Seized {
    let pass = std::fs::read_to_string(&user.pass_file).unwrap();
    let carved = forensic::seize(&user.home(), pass.trim_end().as_bytes());
    assert!(
        !carved.is_empty(),
        "the reader recovered nothing of {}",
        user.name
    );
    let mut blobs = Vec::new();
    for record in &carved {
        blobs.push(record.key.clone());
        blobs.push(record.value.clone());
        if let Ok(json) = serde_json::from_slice::<Value>(&record.value) {
            walk(&json, &mut blobs);
        }
    }
    let pickle_keys: Vec<Vec<u8>> = carved
        .iter()
        .filter(|r| r.tree == "client/meta" && r.key == b"profile")
        .filter_map(|r| serde_json::from_slice::<Value>(&r.value).ok())
        .filter_map(|v| {
            BASE64URL_NOPAD
                .decode(v["pickle_key"].as_str()?.as_bytes())
                .ok()
        })
        .collect();
    assert!(
        !pickle_keys.is_empty(),
        "no profile record in {}",
        user.name
    );
    let mut opened = Vec::new();
    for blob in &blobs {
        for key in &pickle_keys {
            for label in PICKLE_LABELS {
                if let Some(plain) = forensic::open_pickle(key, label, blob) {
                    opened.push(plain);
                }
            }
        }
    }
    blobs.extend(opened);
    Seized { blobs }
}

impl Seized {
    fn holds(&self, needle: &str) -> bool {
        let needle = needle.as_bytes();
        self.blobs
            .iter()
            .any(|b| b.windows(needle.len()).any(|w| w == needle))
    }

    /// Whether any 64 consecutive bytes recovered are `ed25519 public || x25519 public`
    /// of the identity whose fingerprint (docs/protocol.md: SHA-256 of
    /// "Corridor_v1_fingerprint" || those 64 bytes, shown as hex) is `fingerprint`.
    fn holds_key(&self, fingerprint: &str) -> bool {
        let hex: String = fingerprint
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect();
        let want = HEXLOWER_PERMISSIVE.decode(hex.as_bytes()).unwrap();
        assert_eq!(want.len(), 32, "a fingerprint is 32 bytes: {fingerprint}");
        self.blobs.iter().any(|b| {
            b.windows(64).any(|keys| {
                let mut h = Sha256::new();
                h.update(b"Corridor_v1_fingerprint");
                h.update(keys);
                h.finalize().as_slice() == want.as_slice()
            })
        })
    }
}

fn fingerprint_of(members: &Value, alias: &str) -> String {
    members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["alias"] == alias)
        .unwrap_or_else(|| panic!("no member {alias} in {members}"))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Whether the raw bytes of any file under `dir` contain `needle` (no decryption).
fn raw_holds(dir: &Path, needle: &str) -> bool {
    all_bytes(dir)
        .iter()
        .any(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

#[test]
fn an_organization_takes_a_request_to_verified_and_each_device_holds_only_what_it_needs() {
    let relay = start_relay();
    let url = relay.url().to_string();

    let coord = User::new("coord", "coordinator passphrase 1");
    let a = User::new("caseworker-a", "caseworker a passphrase");
    let b = User::new("caseworker-b", "caseworker b passphrase");
    let host = User::new("host", "host passphrase 12345");
    let requester = User::new("requester", "requester passphrase 1");
    let fake = User::new("fake", "fake requester passphrase");
    for user in [&coord, &a, &b, &host, &requester, &fake] {
        user.init(&url);
    }

    // ---- the organization -------------------------------------------------------------
    let created = coord.json(&["org", "create", ORG_NAME, "--alias", COORD_ALIAS]);
    assert_eq!(created["organization"], ORG_NAME, "{created}");
    assert_eq!(created["role"], "coordinator", "{created}");
    assert_eq!(created["full_roster"], true, "{created}");
    join(&coord, &a, "caseworker", A_ALIAS);
    join(&coord, &b, "caseworker", B_ALIAS);
    join(&coord, &host, "host", HOST_ALIAS);
    // Every member's client learns every later epoch.
    sync_until(&[&coord, &a, &b, &host], "roster reached everyone", || {
        let epoch = org_view(&coord)["epoch"].clone();
        [&a, &b, &host]
            .iter()
            .all(|m| org_view(m)["epoch"] == epoch)
    });

    let members = coord.json(&["org", "members"]);
    assert_eq!(members.as_array().unwrap().len(), 4, "{members}");
    let fp_coord = fingerprint_of(&members, COORD_ALIAS);
    let fp_a = fingerprint_of(&members, A_ALIAS);
    let fp_b = fingerprint_of(&members, B_ALIAS);
    let fp_host = fingerprint_of(&members, HOST_ALIAS);
    // Caseworkers hold the roster; the host sees only itself.
    assert_eq!(a.json(&["org", "members"]).as_array().unwrap().len(), 4);
    let host_members = host.json(&["org", "members"]);
    assert_eq!(host_members.as_array().unwrap().len(), 1, "{host_members}");
    assert_eq!(host_members[0]["me"], true, "{host_members}");
    assert_eq!(org_view(&host)["full_roster"], false);

    // ---- intake through a referrer ----------------------------------------------------
    let out = coord.run(&["org", "referral-invite", "--referrer", REFERRER]);
    assert_ok(&out, &["org", "referral-invite"]);
    let referral = String::from_utf8(out.stdout).unwrap();
    assert_eq!(referral.trim_end().lines().count(), 1, "{referral:?}");
    let sent = requester.json(&request_args(referral.trim(), &R_FORM));
    let r_desk = sent["contact"].as_str().unwrap().to_string();
    sync_until(&[&requester, &coord], "the request became a case", || {
        !cases(&coord).is_empty()
    });
    let listed = cases(&coord);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let case = &listed[0];
    assert_eq!(case["alias"], R_ALIAS);
    assert_eq!(case["region"], R_REGION);
    assert_eq!(case["people"], 3);
    assert_eq!(case["status"], "new");
    assert_eq!(case["tier"], Value::Null);
    assert_eq!(case["referrer"], REFERRER);
    let r_case = case["case"].as_str().unwrap().to_string();
    let detail = case_show(&coord, &r_case);
    assert_eq!(
        (detail["adults"].clone(), detail["children"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(detail["note"], R_NOTE);
    assert_eq!(detail["safe_contact"], R_SAFE);

    // ---- assignment, verification -----------------------------------------------------
    let assigned = coord.json(&["case", "assign", &r_case, A_ALIAS]);
    assert_eq!(assigned["assignee"], A_ALIAS, "{assigned}");
    sync_until(&[&coord, &a], "the case reached A", || {
        cases(&a).iter().any(|c| c["case"] == r_case.as_str())
    });
    assert_eq!(cases(&a)[0]["mine"], true);
    let verifying = a.json(&["case", "status", &r_case, "verifying"]);
    assert_eq!(verifying["status"], "verifying");
    sync_until(&[&a, &coord], "verifying reached the coordinator", || {
        cases(&coord)[0]["status"] == "verifying"
    });
    // Verified without a vouch: refused, on the coordinator's device and on A's.
    for who in [&coord, &a] {
        let out = who.run(&["--json", "case", "status", &r_case, "verified"]);
        let err = assert_json_error(&out, code::GENERAL);
        assert!(
            err["hint"].as_str().unwrap_or("").contains("vouch"),
            "{err}"
        );
        assert!(!String::from_utf8_lossy(&out.stderr).contains(R_ALIAS));
    }
    let vouched = a.json(&[
        "case", "vouch", &r_case, "--tier", "direct", "--note", VOUCH_NOTE,
    ]);
    // The tier is the one the case was verified with: none yet, but the vouch is there.
    assert_eq!(vouched["tier"], Value::Null, "{vouched}");
    assert_eq!(
        case_show(&a, &r_case)["vouches"][0]["tier"],
        "direct",
        "the vouch is on the case"
    );
    let verified = a.json(&[
        "case",
        "status",
        &r_case,
        "verified",
        "--reason",
        "interviewed",
    ]);
    assert_eq!(verified["status"], "verified", "{verified}");
    assert_eq!(verified["tier"], "direct", "{verified}");

    // ---- notes both ways ------------------------------------------------------------
    coord.ok(&["case", "note", &r_case, NOTE_BY_COORD]);
    a.ok(&["case", "note", &r_case, NOTE_BY_A]);
    sync_until(&[&coord, &a, &coord], "the notes crossed", || {
        let at_a = texts(&case_show(&a, &r_case)["notes"]);
        let at_c = texts(&case_show(&coord, &r_case)["notes"]);
        at_a.contains(&NOTE_BY_COORD.to_string()) && at_c.contains(&NOTE_BY_A.to_string())
    });
    let at_coord = case_show(&coord, &r_case);
    assert_eq!(at_coord["status"], "verified", "{at_coord}");
    assert_eq!(at_coord["tier"], "direct", "{at_coord}");
    assert_eq!(at_coord["vouches"][0]["note"], VOUCH_NOTE, "{at_coord}");

    // ---- the requester and the assignee -----------------------------------------------
    // The introduction (A's code, passed on by the coordinator) needs a few rounds; A can
    // write once it holds the requester's session.
    let mut a_sent = false;
    sync_until(
        &[&coord, &a, &requester],
        "A wrote to the requester",
        || {
            if !a_sent {
                let out = a.run(&["case", "send", &r_case, A_TO_R]);
                a_sent = out.status.success();
            }
            a_sent
        },
    );
    sync_until(&[&requester], "the requester got A's message", || {
        texts(&requester.json(&["inbox"])).contains(&A_TO_R.to_string())
    });
    let requests = requester.json(&["requests"]);
    let desk = requests[0]["contact"]
        .as_str()
        .unwrap_or(&r_desk)
        .to_string();
    requester.ok(&["send", &desk, R_TO_A]);
    sync_until(&[&a], "A got the requester's answer", || {
        let messages = &case_show(&a, &r_case)["messages"];
        messages
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["direction"] == "in" && m["text"] == R_TO_A)
    });

    // ---- the fake requester, through the standing intake address, assigned to B -------
    let intake = coord.ok(&["org", "intake"]);
    assert_eq!(
        coord.ok(&["org", "intake"]),
        intake,
        "the standing code stays the same"
    );
    let f_sent = fake.json(&request_args(intake.trim(), &F_FORM));
    let f_desk = f_sent["contact"].as_str().unwrap().to_string();
    sync_until(&[&fake, &coord], "the fake request became a case", || {
        cases(&coord).len() == 2
    });
    let f_case = cases(&coord)
        .iter()
        .find(|c| c["alias"] == F_ALIAS)
        .unwrap()["case"]
        .as_str()
        .unwrap()
        .to_string();
    coord.ok(&["case", "assign", &f_case, B_ALIAS]);
    let mut b_sent = false;
    sync_until(
        &[&coord, &b, &fake],
        "B wrote to the fake requester",
        || {
            if !b_sent {
                b_sent = b.run(&["case", "send", &f_case, B_TO_F]).status.success();
            }
            b_sent
        },
    );
    sync_until(&[&fake], "the fake requester got B's message", || {
        texts(&fake.json(&["inbox"])).contains(&B_TO_F.to_string())
    });
    let f_requests = fake.json(&["requests"]);
    let f_desk = f_requests[0]["contact"]
        .as_str()
        .unwrap_or(&f_desk)
        .to_string();
    fake.ok(&["send", &f_desk, F_TO_B]);
    sync_until(&[&b], "B got the fake requester's answer", || {
        case_show(&b, &f_case)["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == F_TO_B)
    });

    // ---- B is not on the first case's team -------------------------------------------
    let out = b.run(&["--json", "case", "show", &r_case]);
    let err = assert_json_error(&out, code::NOT_FOUND);
    assert!(
        !err.to_string().contains(&r_case),
        "the error repeats no case id: {err}"
    );
    assert!(
        !cases(&b).iter().any(|c| c["case"] == r_case.as_str()),
        "B lists the first case"
    );

    // ---- B removed: nothing made afterwards reaches it --------------------------------
    coord.ok(&["case", "note", &f_case, NOTE_BEFORE_REMOVAL]);
    sync_until(
        &[&coord, &b],
        "B got the note made before its removal",
        || texts(&case_show(&b, &f_case)["notes"]).contains(&NOTE_BEFORE_REMOVAL.to_string()),
    );
    let removed = coord.json(&["org", "remove", B_ALIAS]);
    assert_eq!(removed["removed"], true, "{removed}");
    coord.ok(&["case", "note", &f_case, NOTE_AFTER_REMOVAL]);
    for _ in 0..3 {
        for user in [&coord, &a, &b, &host] {
            // B's sync may fail in its own way once it is out; nothing is asserted on it.
            let _ = user.run(&["sync"]);
        }
    }
    assert!(
        !coord
            .json(&["org", "members"])
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["alias"] == B_ALIAS),
        "B is still on the roster"
    );

    // ---- what each device holds (forensic reader) ------------------------------------
    let at_coord = seize(&coord);
    let at_a = seize(&a);
    let at_b = seize(&b);
    let at_host = seize(&host);
    let at_fake = seize(&fake);

    // Positive controls: the scans see request text, aliases, notes and keys where they
    // must be.
    for needle in [R_ALIAS, R_NOTE, NOTE_BY_A, NOTE_AFTER_REMOVAL] {
        assert!(
            at_coord.holds(needle),
            "control: the coordinator holds {needle}"
        );
    }
    for needle in [R_ALIAS, R_NOTE, NOTE_BY_COORD] {
        assert!(at_a.holds(needle), "control: A holds {needle}");
    }
    assert!(
        at_b.holds(NOTE_BEFORE_REMOVAL),
        "control: B holds the earlier note"
    );
    assert!(at_b.holds(F_ALIAS), "control: B holds its own case");
    assert!(
        at_a.holds_key(&fp_b),
        "control: A (full roster) holds B's key"
    );
    assert!(
        at_host.holds_key(&fp_host),
        "control: the host holds its own key"
    );
    assert!(
        at_fake.holds(B_TO_F),
        "control: the fake requester holds B's message"
    );
    assert!(
        at_fake.holds(F_ALIAS),
        "control: the fake requester holds its own alias"
    );

    // Need-to-know: B never held the first case.
    for needle in [
        R_ALIAS,
        R_NOTE,
        R_SAFE,
        NOTE_BY_COORD,
        NOTE_BY_A,
        A_TO_R,
        R_TO_A,
    ] {
        assert!(
            !at_b.holds(needle),
            "B (not on the case team) holds {needle}"
        );
    }
    // A removed member receives nothing after the removal.
    assert!(
        !at_b.holds(NOTE_AFTER_REMOVAL),
        "B holds a note made after its removal"
    );
    // The host holds no other member's key, and no alias but its own.
    for (who, fp) in [("A", &fp_a), ("B", &fp_b)] {
        assert!(!at_host.holds_key(fp), "the host holds {who}'s key");
    }
    for needle in [A_ALIAS, B_ALIAS, R_ALIAS, F_ALIAS] {
        assert!(!at_host.holds(needle), "the host holds {needle}");
    }
    // The fake requester knows one member: B, as a key made for it alone.
    for needle in [
        A_ALIAS,
        B_ALIAS,
        COORD_ALIAS,
        HOST_ALIAS,
        ORG_NAME,
        REFERRER,
        R_ALIAS,
        R_NOTE,
        NOTE_BY_COORD,
        NOTE_BEFORE_REMOVAL,
        A_TO_R,
    ] {
        assert!(!at_fake.holds(needle), "the fake requester holds {needle}");
    }
    for (who, fp) in [
        ("the coordinator", &fp_coord),
        ("A", &fp_a),
        ("B", &fp_b),
        ("the host", &fp_host),
    ] {
        assert!(
            !at_fake.holds_key(fp),
            "the fake requester holds {who}'s organization key"
        );
    }

    // ---- the relay's data directory ---------------------------------------------------
    let data = relay.data_dir().to_path_buf();
    let planted = "PlantedNeedleInTheRelayDirQ0q";
    std::fs::write(data.join("planted-needle"), format!("xx{planted}xx")).unwrap();
    assert!(
        raw_holds(&data, planted),
        "control: the raw scan finds a planted needle"
    );
    std::fs::remove_file(data.join("planted-needle")).unwrap();
    for needle in [
        ORG_NAME,
        COORD_ALIAS,
        A_ALIAS,
        B_ALIAS,
        HOST_ALIAS,
        REFERRER,
        R_ALIAS,
        R_REGION,
        R_HOUSEHOLD,
        R_SAFE,
        R_NOTE,
        F_ALIAS,
        F_NOTE,
        F_REGION,
        F_HOUSEHOLD,
        F_SAFE,
        NOTE_BY_COORD,
        NOTE_BY_A,
        VOUCH_NOTE,
        A_TO_R,
        R_TO_A,
        B_TO_F,
        F_TO_B,
        NOTE_BEFORE_REMOVAL,
        NOTE_AFTER_REMOVAL,
    ] {
        assert!(
            !raw_holds(&data, needle),
            "the relay's data directory holds {needle}"
        );
    }

    // ---- audit ---------------------------------------------------------------------
    for who in [&coord, &a] {
        let report = who.json(&["audit", "--verify"]);
        assert_eq!(report["intact"], true, "{report}");
        assert!(report["entries"].as_u64().unwrap() >= 2, "{report}");
        let log = who.json(&["audit"]);
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|e| e["case"] == r_case.as_str()),
            "{log}"
        );
    }
}
