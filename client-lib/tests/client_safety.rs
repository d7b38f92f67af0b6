//! What an adversary gets: a fake contact (safety numbers), a seized phone (duress,
//! disappearing messages, nothing readable on disk), a stranger writing to a mailbox.

#[path = "client_support.rs"]
mod support;

use corridor_client::client::{ClientError, Event, InvitationKind, MessageKind, Passphrase};
use corridor_client::transport::Relay;
use support::*;

#[tokio::test]
async fn safety_numbers_match_and_a_wrong_one_is_refused() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let mallory = world.client("mallory").await;
    connect(&bob, "bob", &alice, "alice").await;
    connect(&mallory, "mallory", &alice, "alice").await;

    let seen_by_alice = alice.safety_number("bob").unwrap();
    let seen_by_bob = bob.safety_number("alice").unwrap();
    assert_eq!(seen_by_alice.digits(), seen_by_bob.digits());
    assert_eq!(seen_by_alice.compact(), seen_by_bob.compact());
    let digits: String = seen_by_alice
        .digits()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 60);

    // Alice's number with Mallory differs from hers with Bob: reading Bob's number to
    // Mallory's contact entry fails, and nothing is marked.
    let with_mallory = alice.safety_number("mallory").unwrap();
    assert_ne!(with_mallory.digits(), seen_by_alice.digits());
    let err = alice
        .confirm_verified("mallory", seen_by_alice.digits())
        .unwrap_err();
    assert!(matches!(err, ClientError::SafetyNumberMismatch));
    let err = alice.confirm_verified("bob", "12345").unwrap_err();
    assert!(matches!(err, ClientError::SafetyNumberMismatch));
    assert!(alice.contacts().unwrap().iter().all(|c| !c.verified));

    // Typed without spaces, in other groups: still the same number.
    let regrouped: String = digits
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("  ");
    alice.confirm_verified("bob", &regrouped).unwrap();
    bob.confirm_verified("alice", seen_by_bob.compact())
        .unwrap();
    let bob_entry = alice
        .contacts()
        .unwrap()
        .into_iter()
        .find(|c| c.label == "bob")
        .unwrap();
    assert!(bob_entry.verified);
    assert!(bob.contacts().unwrap()[0].verified);
}

#[tokio::test]
async fn a_relay_substituting_the_inviters_keys_is_caught() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let mallory = world.client("mallory").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    // Mallory controls the relay and answers Bob's bundle id with her own bundle.
    mallory
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    let mallorys = *world.recorder.bundles.lock().unwrap().last().unwrap();
    let fake = world.relay.fetch_bundle(&mallorys).await.unwrap();
    *world.recorder.substitute.lock().unwrap() = Some(fake);
    let err = alice.accept_invitation(&code, "bob").await.unwrap_err();
    assert!(matches!(err, ClientError::BundleMismatch), "{err:?}");
    assert!(alice.contacts().unwrap().is_empty());
    // Nothing reached Mallory's intake mailbox or Bob's.
    assert_eq!(world.relay.message_count(), 0);
}

#[tokio::test]
async fn duress_passphrase_wipes_opens_a_decoy_and_alerts_the_marked_contact() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let friend = world.client("friend").await;
    let requester = world.client("requester").await;
    connect(&caseworker, "caseworker", &requester, "requester").await;
    connect(&friend, "friend", &requester, "requester").await;
    requester
        .send("caseworker", "on the bus to the border")
        .await
        .unwrap();

    let duress = Passphrase::from("duress words");
    requester
        .set_duress(&duress, &["caseworker"])
        .await
        .unwrap();
    let marked: Vec<(String, bool)> = requester
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| (c.label, c.receives_duress_alerts))
        .collect();
    assert_eq!(
        marked,
        vec![("caseworker".into(), true), ("friend".into(), false)]
    );
    // The caseworker's next check-in sync picks up the alert key.
    caseworker.sync().await.unwrap();
    friend.sync().await.unwrap();
    requester.close().await;

    // The phone is seized; the requester is made to unlock it and gives the duress words.
    let decoy =
        corridor_client::Client::open(&world.dir("requester"), &duress, world.open_options())
            .await
            .unwrap();
    assert!(decoy.contacts().unwrap().is_empty());
    assert!(decoy.inbox(None).unwrap().is_empty());
    assert_eq!(decoy.whoami().unwrap().name, "requester");
    assert_eq!(decoy.whoami().unwrap().relays, vec![RELAY.to_owned()]);
    // The decoy works normally; its first sync delivers the queued alert, and its report
    // shows nothing of it.
    decoy
        .create_invitation(InvitationKind::OneTime, 600)
        .await
        .unwrap();
    let decoy_report = decoy.sync().await.unwrap();
    assert_eq!(decoy_report.sent, 0);
    assert_eq!(decoy_report.outbox_pending, 0);
    decoy.close().await;
    // The real passphrase opens nothing any more.
    let err = corridor_client::Client::open(
        &world.dir("requester"),
        &pass("requester"),
        world.open_options(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::WrongPassphrase));
    assert!(!dir_contains(&world.dir("requester"), b"on the bus"));

    // The caseworker sees the alert on the next sync; the friend sees nothing.
    let mut events = caseworker.subscribe();
    let report = caseworker.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 1);
    assert!(drain(&mut events).contains(&Event::DuressAlert {
        contact: "requester".into()
    }));
    let alerts: Vec<_> = caseworker
        .inbox(Some("requester"))
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::DuressAlert)
        .collect();
    assert_eq!(alerts.len(), 1);
    let flagged: Vec<(String, bool)> = caseworker
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| (c.label, c.duress_alert_at.is_some()))
        .collect();
    assert_eq!(flagged, vec![("requester".into(), true)]);
    let report = friend.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 0);
    assert_eq!(report.rejected, 0);
}

#[tokio::test]
async fn duress_with_the_relay_down_still_opens_the_decoy_silently() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let requester = world.client("requester").await;
    connect(&caseworker, "caseworker", &requester, "requester").await;
    let duress = Passphrase::from("duress words");
    requester
        .set_duress(&duress, &["caseworker"])
        .await
        .unwrap();
    caseworker.sync().await.unwrap();
    requester.close().await;
    world.relay.set_reachable(false);
    let decoy =
        corridor_client::Client::open(&world.dir("requester"), &duress, world.open_options())
            .await
            .unwrap();
    assert!(decoy.contacts().unwrap().is_empty());
    decoy.close().await;
}

#[tokio::test]
async fn duress_set_up_refuses_bad_input() {
    let world = World::new();
    let bob = world.client("bob").await;
    let err = bob
        .set_duress(&Passphrase::from("x"), &["nobody"])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::UnknownContact));
    let err = bob.set_duress(&pass("bob"), &[]).await.unwrap_err();
    assert!(matches!(err, ClientError::PassphraseConflict));
}

#[tokio::test]
async fn disappearing_messages_are_purged_on_both_sides() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    alice.send("bob", "kept").await.unwrap();
    alice.set_timer("bob", Some(600)).unwrap();
    alice
        .send("bob", "the address is 12 Rose St")
        .await
        .unwrap();
    let mut events = bob.subscribe();
    bob.sync().await.unwrap();
    assert!(drain(&mut events).contains(&Event::TimerChanged {
        contact: "alice".into(),
        secs: Some(600)
    }));
    assert_eq!(
        received_from(&bob, "alice"),
        vec!["kept", "the address is 12 Rose St"]
    );
    let timed = bob.inbox(Some("alice")).unwrap();
    assert!(timed[0].expires_at.is_none());
    assert!(timed[1].expires_at.is_some());
    assert_eq!(bob.contacts().unwrap()[0].timer, Some(600));

    world.clock.advance(601);
    bob.sync().await.unwrap();
    alice.sync().await.unwrap();
    assert_eq!(received_from(&bob, "alice"), vec!["kept"]);
    let texts: Vec<String> = alice
        .inbox(Some("bob"))
        .unwrap()
        .into_iter()
        .map(|m| m.text.to_string())
        .collect();
    assert_eq!(texts, vec!["kept"]);
}

#[tokio::test]
async fn nothing_readable_on_disk_after_an_exchange() {
    let world = World::new();
    let bob = world.client("bob-canary-name").await;
    let alice = world.client("alice-canary-name").await;
    connect(&bob, "bob-canary-label", &alice, "alice-canary-label").await;
    alice
        .send(
            "bob-canary-label",
            "canary message: safe house on Lilac Road",
        )
        .await
        .unwrap();
    bob.sync().await.unwrap();
    bob.send("alice-canary-label", "canary reply: bus at noon")
        .await
        .unwrap();
    alice.sync().await.unwrap();
    bob.close().await;
    alice.close().await;

    let mut needles: Vec<Vec<u8>> = [
        "bob-canary-name",
        "alice-canary-name",
        "bob-canary-label",
        "alice-canary-label",
        "canary message",
        "Lilac Road",
        "canary reply",
        "bus at noon",
        RELAY,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let ids = world.recorder.secrets();
    assert!(ids.len() >= 9, "mailboxes and bundle recorded");
    for id in ids {
        let b64 = data_encoding::BASE64URL_NOPAD.encode(&id);
        needles.push(b64.into_bytes());
        needles.push(data_encoding::BASE64.encode(&id).into_bytes());
        needles.push(data_encoding::HEXLOWER.encode(&id).into_bytes());
        needles.push(id);
    }
    for name in ["bob-canary-name", "alice-canary-name"] {
        let dir = world.dir(name);
        assert!(!files_under(&dir).is_empty());
        for needle in &needles {
            assert!(
                !dir_contains(&dir, needle),
                "found a {}-byte secret in {name}'s profile",
                needle.len()
            );
        }
    }
}

#[tokio::test]
async fn junk_deposited_by_a_stranger_is_dropped_and_the_conversation_goes_on() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    // Someone who learned every deposit id and credential fills each mailbox with junk
    // and with replays of nothing in particular.
    let mailboxes = world.recorder.mailboxes.lock().unwrap().clone();
    for ids in &mailboxes {
        for fill in [0u8, 1, 0xff] {
            let _ = world
                .relay
                .deposit(&ids.deposit_id, &ids.deposit_credential, &[fill; 4096])
                .await;
        }
    }
    let report = bob.sync().await.unwrap();
    assert!(report.rejected >= 3, "{report:?}");
    alice.sync().await.unwrap();
    bob.send("alice", "still here").await.unwrap();
    alice.send("bob", "me too").await.unwrap();
    alice.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert_eq!(received_from(&alice, "bob"), vec!["still here"]);
    assert_eq!(received_from(&bob, "alice"), vec!["me too"]);
    assert_eq!(world.relay.message_count(), 0);
}

#[tokio::test]
async fn the_alert_still_arrives_after_the_caseworker_rotated_its_mailbox() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let requester = world.client("requester").await;
    connect(&caseworker, "caseworker", &requester, "requester").await;
    let duress = Passphrase::from("duress words");
    requester
        .set_duress(&duress, &["caseworker"])
        .await
        .unwrap();
    caseworker.sync().await.unwrap();

    // The caseworker moves the mailbox the requester writes to; the requester moves on
    // to the new one, which would normally retire the old one. Both chose the second relay.
    caseworker.add_relay(RELAY_2, true).await.unwrap();
    requester.add_relay(RELAY_2, true).await.unwrap();
    caseworker.rotate("requester", Some(RELAY_2)).await.unwrap();
    requester.sync().await.unwrap();
    requester
        .send("caseworker", "on the new mailbox")
        .await
        .unwrap();
    caseworker.sync().await.unwrap();
    assert_eq!(
        received_from(&caseworker, "requester"),
        vec!["on the new mailbox"]
    );
    requester.close().await;

    // The duress kit still points at the old mailbox, which was kept for alerts.
    let decoy =
        corridor_client::Client::open(&world.dir("requester"), &duress, world.open_options())
            .await
            .unwrap();
    decoy.sync().await.unwrap();
    decoy.close().await;
    let report = caseworker.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 1);
}
