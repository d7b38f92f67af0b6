//! Seizure test: forward secrecy at rest.
//!
//! A forensic reader is given the passphrase (a forced unlock) and the raw files of a
//! profile directory. It (`forensic/mod.rs`, shared with `tests/`) is written from the formats in `docs/store.md` (key file,
//! record encoding) and `docs/protocol.md` (pickles) with the primitives' own crates, not
//! through the store: it derives the data key from the key file, then tries every byte
//! offset of every file as the start of a sealed record (running ChaCha20 without the tag,
//! so no record name is needed) and keeps what decodes as the record layout.
//!
//! It must find superseded session states, expired messages and used prekey secrets in a
//! copy of the profile taken before a re-key (so the test can fail), and none of them
//! after the profile was closed (the closing re-key) or after the re-key interval of
//! activity passed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support.rs"]
mod support;

#[path = "forensic/mod.rs"]
mod forensic;

use corridor_client::client::{Clock, InvitationKind, REKEY_EVERY_SECS};
use data_encoding::BASE64URL_NOPAD;
use forensic::{Carved, open_pickle, seize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use support::{World, pass};

fn json(record: &Carved) -> Option<Value> {
    serde_json::from_slice(&record.value).ok()
}

fn b64(value: &Value) -> Option<Vec<u8>> {
    BASE64URL_NOPAD.decode(value.as_str()?.as_bytes()).ok()
}

/// What the reader recovered, in the three categories the design promises to shred.
#[derive(Debug)]
struct Recovered {
    /// Per contact id: session states that open under a pickle key found on disk.
    sessions: BTreeMap<u64, BTreeSet<Vec<u8>>>,
    /// Message records whose expiry had passed at `now`.
    expired_messages: usize,
    /// Per invitation id: prekey sets that open under a pickle key found on disk.
    prekey_sets: BTreeMap<u64, BTreeSet<Vec<u8>>>,
}

fn recover(dir: &Path, passphrase: &[u8], now: u64) -> Recovered {
    let carved = seize(dir, passphrase);
    let pickle_keys: Vec<Vec<u8>> = carved
        .iter()
        .filter(|r| r.tree == "client/meta" && r.key == b"profile")
        .filter_map(|r| b64(json(r)?.get("pickle_key")?))
        .collect();
    assert!(
        !pickle_keys.is_empty(),
        "the reader found no profile record"
    );
    let opened = |label: &str, pickled: &[u8]| {
        pickle_keys
            .iter()
            .find_map(|k| open_pickle(k, label, pickled))
    };
    let mut sessions: BTreeMap<u64, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let mut prekey_sets: BTreeMap<u64, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let mut expired_messages = 0;
    for record in &carved {
        let Some(value) = json(record) else { continue };
        match record.tree.as_str() {
            "client/contacts" => {
                let id = value["id"].as_u64().unwrap();
                if let Some(state) = b64(&value["session"]).and_then(|p| opened("session", &p)) {
                    sessions.entry(id).or_default().insert(state);
                }
            }
            "client/invitations" => {
                let id = value["id"].as_u64().unwrap();
                // Whatever shape the invitation record has, any prekey pickle in it.
                let mut pickles = Vec::new();
                collect_strings(&value, &mut pickles);
                for pickled in pickles
                    .iter()
                    .filter_map(|s| BASE64URL_NOPAD.decode(s.as_bytes()).ok())
                {
                    if let Some(set) = opened("prekeys", &pickled) {
                        prekey_sets.entry(id).or_default().insert(set);
                    }
                }
            }
            "client/messages" if record.expires_at.is_some_and(|at| now >= at) => {
                expired_messages += 1;
            }
            _ => {}
        }
    }
    Recovered {
        sessions,
        expired_messages,
        prekey_sets,
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

// ---- the scenario ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_rekey_window_a_forced_unlock_recovers_nothing_superseded() {
    let world = World::new();
    let desk = world.client("desk").await;
    let requester = world.client("requester").await;
    // A standing invitation: it stays, and every use consumes one of its one-time prekeys.
    let code = desk
        .create_invitation(InvitationKind::Standing { max_uses: None }, 3600)
        .await
        .unwrap();
    requester.accept_invitation(&code, "desk").await.unwrap();
    let report = desk.sync().await.unwrap();
    desk.rename_contact(&report.new_contacts[0], "requester")
        .unwrap();
    requester.sync().await.unwrap();
    // Disappearing messages, a minute.
    desk.set_timer("requester", Some(60)).unwrap();
    for round in 0..6 {
        desk.send("requester", &format!("desk says {round}"))
            .await
            .unwrap();
        requester.sync().await.unwrap();
        requester
            .send("desk", &format!("requester says {round}"))
            .await
            .unwrap();
        desk.sync().await.unwrap();
    }
    // The messages expire; reading the inbox deletes them (the re-key comes later).
    world.clock.advance(120);
    assert!(desk.inbox(Some("requester")).unwrap().is_empty());
    let now = world.clock.now();

    // A copy taken now, before any re-key has run since the exchange: the reader must
    // find what the design promises to shred, or it proves nothing.
    let before = world.dir("desk-copy-before");
    copy_dir(&world.dir("desk"), &before);
    let found = recover(&before, pass("desk").expose(), now);
    let contact_states = found
        .sessions
        .values()
        .map(BTreeSet::len)
        .max()
        .unwrap_or(0);
    assert!(
        contact_states > 1,
        "control: the reader recovered no superseded session state ({found:?})"
    );
    assert!(
        found.expired_messages > 0,
        "control: the reader recovered no expired message"
    );
    let prekey_versions = found
        .prekey_sets
        .values()
        .map(BTreeSet::len)
        .max()
        .unwrap_or(0);
    assert!(
        prekey_versions > 1,
        "control: the reader recovered no superseded prekey set (with the used one-time prekey)"
    );
    println!(
        "before the re-key: {contact_states} session states of one contact, {} expired \
         messages, {prekey_versions} versions of the prekey set",
        found.expired_messages
    );

    // The window closes: the profile is closed (the CLI's shell lock does the same).
    desk.close().await;
    let after = recover(&world.dir("desk"), pass("desk").expose(), now);
    assert_eq!(after.expired_messages, 0, "an expired message survived");
    for (id, states) in &after.sessions {
        assert_eq!(
            states.len(),
            1,
            "contact {id}: superseded session states survived"
        );
    }
    assert_eq!(
        after.sessions.len(),
        1,
        "the current session must still be readable"
    );
    for (id, sets) in &after.prekey_sets {
        assert_eq!(sets.len(), 1, "invitation {id}: a used prekey set survived");
    }

    // The other window: no close, but the re-key interval of activity passes.
    let found = recover(&world.dir("requester"), pass("requester").expose(), now);
    assert!(
        found.sessions.values().any(|s| s.len() > 1),
        "control (requester)"
    );
    world.clock.advance(REKEY_EVERY_SECS);
    requester.send("desk", "one more").await.unwrap();
    let later = recover(
        &world.dir("requester"),
        pass("requester").expose(),
        world.clock.now(),
    );
    for (id, states) in &later.sessions {
        assert_eq!(
            states.len(),
            1,
            "requester, contact {id}: superseded states survived"
        );
    }
    assert_eq!(later.expired_messages, 0);
    requester.close().await;
}
