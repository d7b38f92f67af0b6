//! Duress alerts that arrive, and unlocks that look alike: what a coercer who watches the
//! relay or the network gets from a duress unlock (nothing that a normal unlock does not
//! also show), and what a relay replaying an alert gets (no second alarm).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "client_support.rs"]
mod support;

use corridor_client::Client;
use corridor_client::client::{Event, MessageKind, Passphrase};
use corridor_client::transport::Relay;
use support::*;

/// A requester connected to a caseworker and a friend, both marked to receive alerts,
/// both holding their alert keys; the requester's profile closed.
async fn set_up(world: &World) -> (Client, Client, Passphrase) {
    let caseworker = world.client("caseworker").await;
    let friend = world.client("friend").await;
    let requester = world.client("requester").await;
    connect(&caseworker, "caseworker", &requester, "requester").await;
    connect(&friend, "friend", &requester, "requester").await;
    let duress = Passphrase::from("duress words");
    requester
        .set_duress(&duress, &["caseworker", "friend"])
        .await
        .unwrap();
    caseworker.sync().await.unwrap();
    friend.sync().await.unwrap();
    requester.close().await;
    (caseworker, friend, duress)
}

/// The deposit ids of the deposits the relay took from `from` on, sorted.
fn deposit_ids_since(world: &World, from: usize) -> Vec<[u8; 16]> {
    let mut ids: Vec<[u8; 16]> = world.recorder.deposits.lock().unwrap()[from..]
        .iter()
        .map(|(id, _, _)| id.0)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn an_alert_set_off_while_the_relay_is_unreachable_is_delivered_by_a_later_sync() {
    let world = World::new();
    let (caseworker, _friend, duress) = set_up(&world).await;

    // The phone is seized offline and unlocked under duress.
    world.relay.set_reachable(false);
    let decoy = Client::open(&world.dir("requester"), &duress, world.open_options())
        .await
        .unwrap();
    assert!(decoy.contacts().unwrap().is_empty());
    let report = decoy.sync().await.unwrap();
    // Nothing in the decoy's report gives the waiting alerts away.
    assert_eq!((report.sent, report.outbox_pending), (0, 0), "{report:?}");
    // close() does not wait for it.
    decoy.close().await;

    // Opened again (the duress passphrase now opens the decoy), still offline: the alert
    // still waits, and no cover is queued beside it.
    let decoy = Client::open(&world.dir("requester"), &duress, world.open_options())
        .await
        .unwrap();
    decoy.sync().await.unwrap();
    let report = caseworker.sync().await.unwrap();
    assert_eq!((report.duress_alerts, report.unreachable_relays), (0, 1));

    // Later the decoy is online: its next sync delivers the alerts, once each.
    world.relay.set_reachable(true);
    let before = world.recorder.deposit_count();
    decoy.sync().await.unwrap();
    assert_eq!(
        world.recorder.deposit_count() - before,
        2,
        "one per alerted contact"
    );
    decoy.sync().await.unwrap();
    assert_eq!(
        world.recorder.deposit_count() - before,
        2,
        "delivered alerts are not resent"
    );

    let mut events = caseworker.subscribe();
    let report = caseworker.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 1, "{report:?}");
    assert!(drain(&mut events).contains(&Event::DuressAlert {
        contact: "requester".into()
    }));
    let summary = caseworker.contacts().unwrap();
    assert_eq!(summary.len(), 1);
    assert!(summary[0].duress_alert_at.is_some());
    assert!(
        caseworker
            .inbox(Some("requester"))
            .unwrap()
            .iter()
            .any(|m| m.kind == MessageKind::DuressAlert)
    );
}

#[tokio::test]
async fn a_normal_and_a_duress_unlock_make_the_same_deposits() {
    let world = World::new();
    let (caseworker, friend, duress) = set_up(&world).await;

    // A normal unlock, and the first sync after it.
    let before = world.recorder.deposit_count();
    let requester = world.reopen("requester").await;
    requester.sync().await.unwrap();
    let normal = deposit_ids_since(&world, before);
    requester.close().await;
    // The contacts drop the covers silently: no alert, nothing "rejected".
    for contact in [&caseworker, &friend] {
        let report = contact.sync().await.unwrap();
        assert_eq!(
            (report.duress_alerts, report.rejected),
            (0, 0),
            "{report:?}"
        );
        assert!(contact.contacts().unwrap()[0].duress_alert_at.is_none());
    }

    // A duress unlock, and the first sync after it.
    let before = world.recorder.deposit_count();
    let decoy = Client::open(&world.dir("requester"), &duress, world.open_options())
        .await
        .unwrap();
    decoy.sync().await.unwrap();
    let under_duress = deposit_ids_since(&world, before);
    decoy.close().await;

    // Same count, to the same mailboxes.
    assert_eq!(normal.len(), 2, "one per alerted contact");
    assert_eq!(normal, under_duress);

    for contact in [&caseworker, &friend] {
        let report = contact.sync().await.unwrap();
        assert_eq!(report.duress_alerts, 1, "{report:?}");
        assert_eq!(report.rejected, 0, "{report:?}");
    }
}

#[tokio::test]
async fn a_replayed_alert_raises_one_event() {
    let world = World::new();
    let (caseworker, _friend, duress) = set_up(&world).await;
    let before = world.recorder.deposit_count();
    let decoy = Client::open(&world.dir("requester"), &duress, world.open_options())
        .await
        .unwrap();
    decoy.sync().await.unwrap();
    decoy.close().await;
    let alerts: Vec<Deposited> = world.recorder.deposits.lock().unwrap()[before..].to_vec();
    assert_eq!(alerts.len(), 2);

    let mut events = caseworker.subscribe();
    let report = caseworker.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 1);
    let first_at = caseworker.contacts().unwrap()[0].duress_alert_at;
    assert!(first_at.is_some());

    // The relay (or a retry after a lost answer) deposits the same envelopes again.
    for (id, credential, envelope) in &alerts {
        world.relay.deposit(id, credential, envelope).await.unwrap();
    }
    world.clock.advance(3600);
    let report = caseworker.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 0, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    let alerts_raised = drain(&mut events)
        .into_iter()
        .filter(|e| matches!(e, Event::DuressAlert { .. }))
        .count();
    assert_eq!(alerts_raised, 1);
    assert_eq!(caseworker.contacts().unwrap()[0].duress_alert_at, first_at);
    let stored = caseworker
        .inbox(Some("requester"))
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::DuressAlert)
        .count();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn the_decoy_keeps_the_proxy_and_a_changed_setting_asks_for_renewal() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let requester = world.client("requester").await;
    connect(&caseworker, "caseworker", &requester, "requester").await;
    let duress = Passphrase::from("duress words");
    assert!(!requester.duress_needs_renewal().unwrap());
    requester
        .set_proxy(Some("socks5h://127.0.0.1:9050"))
        .await
        .unwrap();
    requester
        .set_duress(&duress, &["caseworker"])
        .await
        .unwrap();
    assert!(!requester.duress_needs_renewal().unwrap());
    // A relay added after the kit was written: the kit still has the old list.
    requester.add_relay(RELAY_2, true).await.unwrap();
    assert!(requester.duress_needs_renewal().unwrap());
    requester
        .set_duress(&duress, &["caseworker"])
        .await
        .unwrap();
    assert!(!requester.duress_needs_renewal().unwrap());
    requester.close().await;

    // The decoy takes the kit's relays and proxy, so its traffic takes the same path.
    let decoy = Client::open(&world.dir("requester"), &duress, world.open_options())
        .await
        .unwrap();
    assert_eq!(
        decoy.proxy().unwrap().as_deref(),
        Some("socks5h://127.0.0.1:9050")
    );
    assert_eq!(
        decoy.relays().unwrap(),
        vec![RELAY.to_owned(), RELAY_2.to_owned()]
    );
    assert!(!decoy.duress_needs_renewal().unwrap());
}
