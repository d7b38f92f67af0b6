//! Two and three `Client`s over an in-memory relay: invitation, handshake, messages both
//! ways, persistence across reopening, one-time and standing invitations.

#[path = "client_support.rs"]
mod support;

use corridor_client::client::{ClientError, Direction, Event, InvitationKind, SendOutcome};
use support::*;

#[tokio::test]
async fn invite_accept_sync_and_talk_both_ways() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let mut bob_events = bob.subscribe();
    let mut alice_events = alice.subscribe();

    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    let summary = alice.accept_invitation(&code, "bob").await.unwrap();
    assert_eq!(summary.label, "bob");
    assert!(!summary.established, "no reply yet");

    // Alice may write at once: her messages go to the intake mailbox too, each an
    // initial envelope repeating the handshake header.
    assert_eq!(
        alice.send("bob", "hello from alice").await.unwrap(),
        SendOutcome::Delivered
    );
    alice.send("bob", "are you there?").await.unwrap();

    let report = bob.sync().await.unwrap();
    assert_eq!(report.new_contacts, vec!["new-1".to_owned()]);
    assert_eq!(report.messages, 2);
    assert!(drain(&mut bob_events).contains(&Event::ContactAdded {
        contact: "new-1".into()
    }));
    bob.rename_contact("new-1", "alice").unwrap();
    assert_eq!(
        received_from(&bob, "alice"),
        vec!["hello from alice", "are you there?"]
    );

    let report = alice.sync().await.unwrap();
    assert!(report.is_complete());
    assert!(
        drain(&mut alice_events).contains(&Event::ContactEstablished {
            contact: "bob".into()
        })
    );
    assert!(alice.contacts().unwrap()[0].established);

    bob.send("alice", "hello from bob").await.unwrap();
    alice.send("bob", "second from alice").await.unwrap();
    alice.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert_eq!(received_from(&alice, "bob"), vec!["hello from bob"]);
    assert_eq!(
        received_from(&bob, "alice"),
        vec!["hello from alice", "are you there?", "second from alice"]
    );
    assert!(drain(&mut alice_events).contains(&Event::MessageReceived {
        contact: "bob".into()
    }));

    // Outgoing messages are in the sender's inbox too.
    let mine: Vec<_> = alice
        .inbox(Some("bob"))
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == Direction::Outgoing)
        .map(|m| m.text.to_string())
        .collect();
    assert_eq!(
        mine,
        vec!["hello from alice", "are you there?", "second from alice"]
    );

    // Every envelope was acknowledged: the relay holds nothing.
    assert_eq!(world.relay.message_count(), 0);
    // The one-time intake mailbox and the bundle are gone once Alice writes directly:
    // left are one mailbox per direction.
    assert_eq!(world.relay.bundle_count(), 0);
    assert_eq!(world.relay.mailbox_count(), 2);
}

#[tokio::test]
async fn a_client_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let world = World::new();
    let bob = std::sync::Arc::new(world.client("bob").await);
    send_sync(&*bob);
    let sync = bob.sync();
    send(&sync);
    drop(sync);
    let shared = bob.clone();
    let handle = tokio::spawn(async move { shared.sync().await.map(|r| r.sent) });
    assert_eq!(handle.await.unwrap().unwrap(), 0);
    send(&bob.send("nobody", "x"));
}

#[tokio::test]
async fn state_survives_reopening() {
    let world = World::new();
    {
        let bob = world.client("bob").await;
        let alice = world.client("alice").await;
        connect(&bob, "bob", &alice, "alice").await;
        alice.send("bob", "before restart").await.unwrap();
        bob.close().await;
        alice.close().await;
    }
    let bob = world.reopen("bob").await;
    let alice = world.reopen("alice").await;
    bob.sync().await.unwrap();
    assert_eq!(received_from(&bob, "alice"), vec!["before restart"]);
    bob.send("alice", "after restart").await.unwrap();
    alice.sync().await.unwrap();
    assert_eq!(received_from(&alice, "bob"), vec!["after restart"]);
    assert_eq!(alice.whoami().unwrap().name, "alice");
}

#[tokio::test]
async fn wrong_passphrase_and_missing_profile_are_typed_errors() {
    let world = World::new();
    let bob = world.client("bob").await;
    bob.close().await;
    let wrong = corridor_client::client::Passphrase::from("nope");
    let err = corridor_client::Client::open(&world.dir("bob"), &wrong, world.open_options())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::WrongPassphrase));
    let err = corridor_client::Client::open(&world.dir("nobody"), &wrong, world.open_options())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::NoProfile));
    let err = corridor_client::Client::create(
        &world.dir("bob"),
        &pass("bob"),
        world.create_options("bob"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::ProfileExists));
}

#[tokio::test]
async fn one_time_invitation_serves_one_person() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let carol = world.client("carol").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    alice.accept_invitation(&code, "bob").await.unwrap();
    let report = bob.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1);
    // The bundle is deleted after the first use: a second person is refused.
    let err = carol.accept_invitation(&code, "bob").await.unwrap_err();
    assert!(matches!(err, ClientError::InvitationUnavailable), "{err:?}");
    assert_eq!(bob.contacts().unwrap().len(), 1);
}

#[tokio::test]
async fn standing_invitation_used_by_two_people() {
    let world = World::new();
    let org = world.client("org").await;
    let carol = world.client("carol").await;
    let dave = world.client("dave").await;
    let erin = world.client("erin").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: Some(2) }, 3600)
        .await
        .unwrap();
    carol.accept_invitation(&code, "org").await.unwrap();
    dave.accept_invitation(&code, "org").await.unwrap();
    carol.send("org", "I need shelter").await.unwrap();
    dave.send("org", "I need a ticket").await.unwrap();

    let report = org.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 2);
    assert_eq!(report.messages, 2);
    let labels: Vec<String> = org
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(labels, vec!["new-1", "new-2"]);

    // Each new contact has its own session: replies reach the right person.
    let from_1 = received_from(&org, "new-1");
    let (carol_label, dave_label) = if from_1 == vec!["I need shelter"] {
        ("new-1", "new-2")
    } else {
        ("new-2", "new-1")
    };
    assert_eq!(received_from(&org, dave_label), vec!["I need a ticket"]);
    org.send(carol_label, "shelter found").await.unwrap();
    org.send(dave_label, "ticket booked").await.unwrap();
    carol.sync().await.unwrap();
    dave.sync().await.unwrap();
    assert_eq!(received_from(&carol, "org"), vec!["shelter found"]);
    assert_eq!(received_from(&dave, "org"), vec!["ticket booked"]);

    // max_uses reached: the bundle is gone.
    let err = erin.accept_invitation(&code, "org").await.unwrap_err();
    assert!(matches!(err, ClientError::InvitationUnavailable), "{err:?}");
}

#[tokio::test]
async fn expired_invitation_is_refused_before_any_network_call() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 60)
        .await
        .unwrap();
    world.clock.advance(120);
    let err = alice.accept_invitation(&code, "bob").await.unwrap_err();
    assert!(matches!(err, ClientError::InvitationExpired));
    let err = alice
        .accept_invitation("not an invitation", "bob")
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::InvalidInvitation));
}

#[tokio::test]
async fn long_messages_span_several_envelopes() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    let long: String = "route via the northern crossing; ".repeat(400);
    assert!(long.len() > 4096 * 2);
    alice.send("bob", &long).await.unwrap();
    bob.sync().await.unwrap();
    assert_eq!(received_from(&bob, "alice"), vec![long]);
}

#[tokio::test]
async fn bad_input_is_refused_with_typed_errors() {
    let world = World::new();
    let bob = world.client("bob").await;
    assert!(matches!(
        bob.send("nobody", "x").await,
        Err(ClientError::UnknownContact)
    ));
    assert!(matches!(
        bob.safety_number("nobody"),
        Err(ClientError::UnknownContact)
    ));
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    assert!(matches!(
        bob.send("alice", "").await,
        Err(ClientError::InvalidMessage)
    ));
    assert!(matches!(
        bob.rename_contact("alice", "bad\nlabel"),
        Err(ClientError::InvalidLabel)
    ));
    assert!(matches!(
        alice.accept_invitation("x", "").await,
        Err(ClientError::InvalidLabel)
    ));
}

#[tokio::test]
async fn a_leaked_standing_invitation_is_revoked() {
    let world = World::new();
    let org = world.client("org").await;
    let carol = world.client("carol").await;
    let stranger = world.client("stranger").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 3600)
        .await
        .unwrap();
    carol.accept_invitation(&code, "org").await.unwrap();
    org.sync().await.unwrap();
    carol.sync().await.unwrap();
    let open = org.invitations().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].uses, 1);
    assert!(!open[0].used_up);
    let (mailboxes, bundles) = (world.relay.mailbox_count(), world.relay.bundle_count());

    org.revoke_invitation(open[0].id).await.unwrap();
    assert!(org.invitations().unwrap().is_empty());
    assert_eq!(world.relay.bundle_count(), bundles - 1);
    assert_eq!(world.relay.mailbox_count(), mailboxes - 1);
    let err = stranger.accept_invitation(&code, "org").await.unwrap_err();
    assert!(matches!(err, ClientError::InvitationUnavailable), "{err:?}");
    assert!(matches!(
        org.revoke_invitation(open[0].id).await,
        Err(ClientError::UnknownInvitation)
    ));

    // Carol, already a contact, is not affected.
    carol.send("org", "still reachable").await.unwrap();
    org.sync().await.unwrap();
    assert_eq!(received_from(&org, "new-1"), vec!["still reachable"]);
}
