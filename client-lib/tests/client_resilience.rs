//! Relay unreachable: messages wait in the outbox and nothing is lost; mailbox rotation
//! without a new handshake.

#[path = "client_support.rs"]
mod support;

use corridor_client::client::{ClientError, Event, InvitationKind, SendOutcome};
use support::*;

#[tokio::test]
async fn offline_send_waits_in_the_outbox_until_sync() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;

    world.relay.set_reachable(false);
    assert_eq!(
        alice.send("bob", "sent while offline").await.unwrap(),
        SendOutcome::Queued
    );
    assert_eq!(
        alice.send("bob", "second while offline").await.unwrap(),
        SendOutcome::Queued
    );
    let report = alice.sync().await.unwrap();
    assert_eq!(report.outbox_pending, 2);
    assert_eq!(report.unreachable_relays, 1);
    assert!(!report.is_complete());

    // Restarting while offline keeps the outbox.
    alice.close().await;
    let alice = world.reopen("alice").await;

    world.relay.set_reachable(true);
    let report = alice.sync().await.unwrap();
    assert_eq!(report.sent, 2);
    assert_eq!(report.outbox_pending, 0);
    bob.sync().await.unwrap();
    assert_eq!(
        received_from(&bob, "alice"),
        vec!["sent while offline", "second while offline"]
    );
}

#[tokio::test]
async fn accept_while_offline_is_a_clear_error_and_first_message_can_wait() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    world.relay.set_reachable(false);
    let err = alice.accept_invitation(&code, "bob").await.unwrap_err();
    assert!(matches!(err, ClientError::RelayUnreachable));
    assert!(alice.contacts().unwrap().is_empty());
    let err = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::RelayUnreachable));
    world.relay.set_reachable(true);
    alice.accept_invitation(&code, "bob").await.unwrap();
    let report = bob.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1);
}

#[tokio::test]
async fn inviter_offline_when_answering_catches_up_later() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    alice.accept_invitation(&code, "bob").await.unwrap();
    alice.send("bob", "are you there").await.unwrap();
    bob.sync().await.unwrap();
    bob.rename_contact("new-1", "alice").unwrap();
    // Bob answers while the relay is down: queued.
    world.relay.set_reachable(false);
    assert_eq!(bob.send("alice", "yes").await.unwrap(), SendOutcome::Queued);
    world.relay.set_reachable(true);
    bob.sync().await.unwrap();
    alice.sync().await.unwrap();
    assert_eq!(received_from(&alice, "bob"), vec!["yes"]);
    assert!(alice.contacts().unwrap()[0].established);
}

#[tokio::test]
async fn rotation_moves_the_mailbox_without_a_new_handshake() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    alice.send("bob", "before rotation").await.unwrap();
    bob.sync().await.unwrap();
    alice.sync().await.unwrap();
    let mailboxes_before = world.relay.mailbox_count();
    let on_relay_2_before = world.relay_2.mailbox_count();

    // Bob moves the mailbox Alice writes to, onto the second relay (both chose it).
    bob.add_relay(RELAY_2, true).await.unwrap();
    alice.add_relay(RELAY_2, true).await.unwrap();
    let mut alice_events = alice.subscribe();
    bob.rotate("alice", Some(RELAY_2)).await.unwrap();
    assert_eq!(world.relay_2.mailbox_count(), on_relay_2_before + 1);

    // Alice sent this before hearing of the rotation: it lands in the old mailbox and is
    // still read.
    alice.send("bob", "old mailbox").await.unwrap();
    alice.sync().await.unwrap();
    assert!(drain(&mut alice_events).contains(&Event::MailboxRotated {
        contact: "bob".into()
    }));
    alice.send("bob", "new mailbox").await.unwrap();
    assert_eq!(world.relay_2.message_count(), 1);

    bob.sync().await.unwrap();
    assert_eq!(
        received_from(&bob, "alice"),
        vec!["before rotation", "old mailbox", "new mailbox"]
    );
    // Alice wrote to the new mailbox, so the old one is destroyed.
    assert_eq!(world.relay.mailbox_count(), mailboxes_before - 1);
    assert_eq!(bob.contacts().unwrap()[0].relay, RELAY_2);

    // And the conversation goes on.
    bob.send("alice", "after rotation").await.unwrap();
    alice.sync().await.unwrap();
    assert_eq!(received_from(&alice, "bob"), vec!["after rotation"]);
}

#[tokio::test]
async fn rotation_before_the_first_reply_is_refused() {
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    let code = bob
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    alice.accept_invitation(&code, "bob").await.unwrap();
    let err = alice.rotate("bob", None).await.unwrap_err();
    assert!(matches!(err, ClientError::NotEstablished));
}

#[tokio::test]
async fn wait_for_mail_wakes_on_a_deposit() {
    let world = World::new();
    let bob = std::sync::Arc::new(world.client("bob").await);
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    // Nothing waiting: the long-poll ends empty-handed.
    assert!(!bob.wait_for_mail(1).await.unwrap());
    let waiter = {
        let bob = bob.clone();
        tokio::spawn(async move { bob.wait_for_mail(30).await })
    };
    alice.send("bob", "wake up").await.unwrap();
    assert!(waiter.await.unwrap().unwrap());
    bob.sync().await.unwrap();
    assert_eq!(received_from(&bob, "alice"), vec!["wake up"]);
    world.relay.set_reachable(false);
    assert!(matches!(
        bob.wait_for_mail(1).await,
        Err(ClientError::RelayUnreachable)
    ));
}

#[tokio::test]
async fn persisted_before_acknowledged_so_a_lost_ack_loses_nothing_and_duplicates_nothing() {
    use std::sync::atomic::Ordering;
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    alice.send("bob", "first").await.unwrap();
    alice.send("bob", "second").await.unwrap();

    // Bob's acknowledgements never reach the relay (as if he crashed right after
    // persisting): the envelopes stay there.
    world.recorder.fail_acks.store(true, Ordering::SeqCst);
    let report = bob.sync().await.unwrap();
    assert_eq!(report.messages, 2);
    assert_eq!(world.relay.message_count(), 2);
    bob.close().await;

    // After a restart the same envelopes come back: they are recognized as repeats of
    // stored messages, nothing is shown twice, and this time they are acknowledged.
    world.recorder.fail_acks.store(false, Ordering::SeqCst);
    let bob = world.reopen("bob").await;
    let report = bob.sync().await.unwrap();
    assert_eq!(report.messages, 0);
    assert_eq!(report.duplicates, 2);
    assert_eq!(report.rejected, 0);
    assert_eq!(world.relay.message_count(), 0);
    assert_eq!(received_from(&bob, "alice"), vec!["first", "second"]);
}

#[tokio::test]
async fn a_deposit_stored_twice_is_shown_once() {
    use std::sync::atomic::Ordering;
    let world = World::new();
    let bob = world.client("bob").await;
    let alice = world.client("alice").await;
    connect(&bob, "bob", &alice, "alice").await;
    world
        .recorder
        .duplicate_deposits
        .store(true, Ordering::SeqCst);
    alice.send("bob", "once").await.unwrap();
    world
        .recorder
        .duplicate_deposits
        .store(false, Ordering::SeqCst);
    let report = bob.sync().await.unwrap();
    assert_eq!(report.messages, 1);
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.rejected, 0);
    assert_eq!(received_from(&bob, "alice"), vec!["once"]);
}
