//! Per-relationship identities (issue 7 item 6) and the invitation mistakes of issue 9
//! made loud: two seized requester phones show no common key; a profile cannot accept its
//! own code or the same code twice; a one-time code used by a second person is reported
//! to the inviter and visible on the second person's side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support.rs"]
mod support;

use corridor_client::client::{ClientError, Clock, Event, IdentityChoice, InvitationKind};
use corridor_client::protocol::identity::{Identity, PublicIdentity};
use corridor_client::store::Profile;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use support::*;

/// The trees the `Client` keeps its records in (`client/db.rs`).
const TREES: [&str; 5] = [
    "client/meta",
    "client/contacts",
    "client/invitations",
    "client/outbox",
    "client/messages",
];

/// What a forensic reader who forced the passphrase gets out of one profile directory,
/// without the `Client`: every decrypted record, every byte string in them, and every
/// public key those bytes carry (identities decoded, identity pickles opened with the
/// profile's pickle key, 32-byte arrays such as seal and ephemeral keys).
struct Seized {
    /// Every byte string found in the decrypted records.
    blobs: Vec<Vec<u8>>,
    /// Every public key found, 32 bytes each.
    keys: BTreeSet<[u8; 32]>,
    /// The raw files, as they lie on disk.
    raw: Vec<Vec<u8>>,
}

fn collect_bytes(value: &Value, out: &mut Vec<Vec<u8>>) {
    match value {
        Value::String(text) => {
            if let Ok(bytes) = data_encoding::BASE64URL_NOPAD.decode(text.as_bytes()) {
                out.push(bytes);
            }
            out.push(text.as_bytes().to_vec());
        }
        Value::Array(items) => {
            let as_bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            match as_bytes {
                Some(bytes) if !bytes.is_empty() => out.push(bytes),
                _ => items.iter().for_each(|v| collect_bytes(v, out)),
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect_bytes(v, out)),
        _ => {}
    }
}

fn add_identity(keys: &mut BTreeSet<[u8; 32]>, public: &PublicIdentity) {
    let both = public.key_bytes();
    keys.insert(both[..32].try_into().unwrap());
    keys.insert(both[32..].try_into().unwrap());
}

fn seize(dir: &Path, name: &str) -> Seized {
    let store = Profile::unlock(dir, &pass(name)).unwrap().store;
    let mut values = Vec::new();
    for tree in TREES {
        for record in store.scan(tree, 0).unwrap() {
            values.push(serde_json::from_slice::<Value>(&record.value).unwrap());
        }
    }
    drop(store);
    let pickle_key = values
        .iter()
        .find_map(|v| v.get("pickle_key").and_then(Value::as_str))
        .map(|text| {
            data_encoding::BASE64URL_NOPAD
                .decode(text.as_bytes())
                .unwrap()
        })
        .expect("the profile record holds the pickle key");
    let pickle_key =
        corridor_client::primitives::Secret::<32>::try_from_slice(&pickle_key).unwrap();
    let mut blobs = Vec::new();
    for value in &values {
        collect_bytes(value, &mut blobs);
    }
    let mut keys = BTreeSet::new();
    for blob in &blobs {
        if let Ok(public) = PublicIdentity::decode(blob) {
            add_identity(&mut keys, &public);
        }
        if let Ok(identity) = Identity::unpickle(&pickle_key, blob) {
            add_identity(&mut keys, &identity.public());
        }
        if let Ok(array) = <[u8; 32]>::try_from(blob.as_slice()) {
            keys.insert(array);
        }
    }
    let raw = files_under(dir)
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_default())
        .collect();
    Seized { blobs, keys, raw }
}

impl Seized {
    /// True when this profile holds `key` anywhere: as a key found above, inside any
    /// decrypted byte string, or in the raw files.
    fn holds(&self, key: &[u8; 32]) -> bool {
        let inside = |bytes: &Vec<u8>| bytes.windows(32).any(|w| w == key);
        self.keys.contains(key) || self.blobs.iter().any(inside) || self.raw.iter().any(inside)
    }
}

/// Every public key either profile holds that the other holds too.
fn common_keys(a: &Seized, b: &Seized) -> Vec<[u8; 32]> {
    let mut common: BTreeSet<[u8; 32]> = a.keys.iter().filter(|k| b.holds(k)).copied().collect();
    common.extend(b.keys.iter().filter(|k| a.holds(k)).copied());
    common.into_iter().collect()
}

/// Two requesters reach one caseworker (each through a code the caseworker made with
/// `identity`), exchange a message each way, and close; both profiles are then seized.
async fn two_requesters(
    world: &World,
    kind: InvitationKind,
    identity: IdentityChoice,
) -> (Seized, Seized) {
    let caseworker = world.client("caseworker").await;
    let standing_code = caseworker
        .create_invitation_as(kind, 3600, &identity)
        .await
        .unwrap();
    let mut requesters = Vec::new();
    for name in ["req-a", "req-b"] {
        let requester = world.client(name).await;
        let code = match kind {
            InvitationKind::OneTime => caseworker
                .create_invitation_as(kind, 3600, &identity)
                .await
                .unwrap(),
            InvitationKind::Standing { .. } => standing_code.clone(),
        };
        requester
            .accept_invitation(&code, "caseworker")
            .await
            .unwrap();
        requester.send("caseworker", "I need help").await.unwrap();
        let report = caseworker.sync().await.unwrap();
        assert_eq!(report.new_contacts.len(), 1, "{report:?}");
        caseworker
            .rename_contact(&report.new_contacts[0], name)
            .unwrap();
        caseworker.send(name, "We hear you").await.unwrap();
        requester.sync().await.unwrap();
        assert_eq!(received_from(&requester, "caseworker"), vec!["We hear you"]);
        requesters.push(requester);
    }
    caseworker.close().await;
    for requester in requesters {
        requester.close().await;
    }
    (
        seize(&world.dir("req-a"), "req-a"),
        seize(&world.dir("req-b"), "req-b"),
    )
}

#[tokio::test]
async fn two_requesters_of_one_caseworker_share_no_public_key() {
    let world = World::new();
    let (a, b) = two_requesters(&world, InvitationKind::OneTime, IdentityChoice::Fresh).await;
    // The reader found keys at all: its own identity, the caseworker's, the seal key.
    assert!(
        a.keys.len() >= 4 && b.keys.len() >= 4,
        "{} {}",
        a.keys.len(),
        b.keys.len()
    );
    assert_eq!(common_keys(&a, &b), Vec::<[u8; 32]>::new());
}

#[tokio::test]
async fn the_scan_finds_a_key_two_requesters_do_share() {
    // Everyone who uses one standing code sees the code's identity: the scan must say so.
    let world = World::new();
    let (a, b) = two_requesters(
        &world,
        InvitationKind::Standing { max_uses: None },
        IdentityChoice::Fresh,
    )
    .await;
    assert!(!common_keys(&a, &b).is_empty());

    // So does a named (organization) identity behind two one-time codes.
    let world = World::new();
    let (a, b) = two_requesters(
        &world,
        InvitationKind::OneTime,
        IdentityChoice::Named("org".to_owned()),
    )
    .await;
    assert!(!common_keys(&a, &b).is_empty());
}

#[tokio::test]
async fn named_identities_are_stable_fresh_ones_are_not() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let org = IdentityChoice::Named("org".to_owned());
    let mut safety = Vec::new();
    for (name, choice) in [
        ("a", IdentityChoice::Fresh),
        ("b", IdentityChoice::Fresh),
        ("c", org.clone()),
        ("d", org.clone()),
    ] {
        let requester = world.client(name).await;
        let code = caseworker
            .create_invitation_as(InvitationKind::OneTime, 3600, &choice)
            .await
            .unwrap();
        requester.accept_invitation(&code, "cw").await.unwrap();
        let report = caseworker.sync().await.unwrap();
        caseworker
            .rename_contact(&report.new_contacts[0], name)
            .unwrap();
        requester.sync().await.unwrap();
        // Both sides compute the same per-relationship safety number.
        assert_eq!(
            requester.safety_number("cw").unwrap().digits(),
            caseworker.safety_number(name).unwrap().digits()
        );
        safety.push(caseworker.safety_number(name).unwrap().digits().to_owned());
    }
    let distinct: BTreeSet<&String> = safety.iter().collect();
    assert_eq!(distinct.len(), 4, "safety numbers are per relationship");

    let who = caseworker.whoami().unwrap();
    assert_eq!(who.identities.len(), 1);
    assert_eq!(who.identities[0].name, "org");
    assert_eq!(who.fresh_identities, 2);
    assert_ne!(who.identities[0].fingerprint, who.fingerprint);
    let contacts = caseworker.contacts().unwrap();
    let named: Vec<&str> = contacts
        .iter()
        .filter(|c| c.identity.as_deref() == Some("org"))
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(named, vec!["c", "d"]);

    // A bad name is refused before anything is made.
    let err = caseworker
        .create_invitation_as(
            InvitationKind::OneTime,
            3600,
            &IdentityChoice::Named(String::new()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::InvalidLabel), "{err:?}");
}

#[tokio::test]
async fn accepting_ones_own_invitation_is_refused() {
    let world = World::new();
    let bob = world.client("bob").await;
    for choice in [
        IdentityChoice::Fresh,
        IdentityChoice::Named("org".to_owned()),
    ] {
        for kind in [
            InvitationKind::OneTime,
            InvitationKind::Standing { max_uses: None },
        ] {
            let code = bob.create_invitation_as(kind, 3600, &choice).await.unwrap();
            let mailboxes = world.relay.mailbox_count();
            let err = bob.accept_invitation(&code, "myself").await.unwrap_err();
            assert!(matches!(err, ClientError::OwnInvitation), "{err:?}");
            // Refused before any relay call: no mailbox made, no prekey taken.
            assert_eq!(world.relay.mailbox_count(), mailboxes);
        }
    }
    assert!(bob.contacts().unwrap().is_empty());
    // A code of a revoked invitation made under the named identity is still ours.
    let code = bob
        .create_invitation_as(
            InvitationKind::OneTime,
            3600,
            &IdentityChoice::Named("org".to_owned()),
        )
        .await
        .unwrap();
    let id = bob.invitations().unwrap().last().unwrap().id;
    bob.revoke_invitation(id).await.unwrap();
    let err = bob.accept_invitation(&code, "myself").await.unwrap_err();
    assert!(matches!(err, ClientError::OwnInvitation), "{err:?}");
    // Someone else accepts the same kind of code normally.
    let alice = world.client("alice").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    alice.accept_invitation(&code, "bob").await.unwrap();
}

#[tokio::test]
async fn accepting_the_same_invitation_twice_is_refused() {
    let world = World::new();
    let org = world.client("org").await;
    let carol = world.client("carol").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 3600)
        .await
        .unwrap();
    carol.accept_invitation(&code, "org").await.unwrap();
    let err = carol
        .accept_invitation(&code, "org-again")
        .await
        .unwrap_err();
    match err {
        ClientError::AlreadyAccepted { label } => assert_eq!(label, "org"),
        other => panic!("{other:?}"),
    }
    // The message never carries the label.
    let shown = ClientError::AlreadyAccepted {
        label: "org".to_owned(),
    }
    .to_string();
    assert!(!shown.contains("org"), "{shown}");
    assert_eq!(carol.contacts().unwrap().len(), 1);
    org.sync().await.unwrap();
    assert_eq!(org.contacts().unwrap().len(), 1);

    // Renamed, it still names the contact; once removed, the code may be accepted again.
    carol.rename_contact("org", "intake").unwrap();
    let err = carol.accept_invitation(&code, "x").await.unwrap_err();
    assert!(matches!(err, ClientError::AlreadyAccepted { ref label } if label == "intake"));
    carol.remove_contact("intake").await.unwrap();
    carol.accept_invitation(&code, "org").await.unwrap();

    // A second person is not affected by the first one's tag.
    let dave = world.client("dave").await;
    dave.accept_invitation(&code, "org").await.unwrap();
}

#[tokio::test]
async fn a_one_time_code_used_by_a_second_person_is_reported_on_both_sides() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let carol = world.client("carol").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 7 * 24 * 3600)
        .await
        .unwrap();
    let accepted_at = world.clock.now();
    // Both accept before Bob syncs (the code was forwarded): both accepts succeed.
    let alice_view = alice.accept_invitation(&code, "bob").await.unwrap();
    let carol_view = carol.accept_invitation(&code, "bob").await.unwrap();
    assert_eq!(
        alice_view.awaiting_reply_since,
        Some(accepted_at - accepted_at % 60)
    );
    assert_eq!(
        carol_view.awaiting_reply_since,
        alice_view.awaiting_reply_since
    );
    carol.send("bob", "it's carol").await.unwrap();

    let mut events = bob.subscribe();
    let report = bob.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1, "{report:?}");
    // Carol's first message and her text: both refused as reuse, not as garbage.
    assert_eq!(report.refused_reused, 2, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    let id = bob.invitations().unwrap()[0].id;
    let reused: Vec<Event> = drain(&mut events)
        .into_iter()
        .filter(|e| matches!(e, Event::InvitationReused { .. }))
        .collect();
    assert_eq!(reused, vec![Event::InvitationReused { invitation: id }; 2]);

    // The first person hears back; the second keeps waiting, visibly.
    world.clock.advance(3 * 24 * 3600);
    alice.sync().await.unwrap();
    carol.sync().await.unwrap();
    let alice_bob = &alice.contacts().unwrap()[0];
    assert!(alice_bob.established);
    assert_eq!(alice_bob.awaiting_reply_since, None);
    let carol_bob = &carol.contacts().unwrap()[0];
    assert!(!carol_bob.established);
    assert_eq!(
        carol_bob.awaiting_reply_since,
        carol_view.awaiting_reply_since
    );
    assert_eq!(received_from(&bob, "new-1"), Vec::<String>::new());

    // Later envelopes from the second person count again; the first person's do not.
    carol.send("bob", "hello?").await.unwrap();
    alice.send("bob", "hi, alice here").await.unwrap();
    let report = bob.sync().await.unwrap();
    assert_eq!(report.messages, 1, "{report:?}");
    assert_eq!(report.refused_reused, 1, "{report:?}");
}
