//! Only chosen relays, the persisted proxy, the relay list, and network timeouts.
//!
//! What an impostor gets by naming its own relay (in a `MailboxUpdate`, a rotation or an
//! invitation code): no connection at all from the victim's device. Listening sockets on
//! 127.0.0.1 count every connection they accept.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "client_support.rs"]
mod support;

use corridor_client::Client;
use corridor_client::client::{ClientError, CreateOptions, Event, InvitationKind, NetTimeouts};
use corridor_client::transport::{HttpConfig, Relay, RelayPool, RelayUrl};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::*;

/// A TCP listener on 127.0.0.1 that accepts connections, counts them, and never answers
/// (it holds each connection open until the test ends).
struct Listener {
    url: String,
    port: u16,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/"),
            port,
            accepted,
            task,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Short timeouts, so a test that reaches a silent listener ends soon.
fn short() -> NetTimeouts {
    NetTimeouts {
        connect: Duration::from_secs(1),
        overall: Duration::from_secs(2),
    }
}

/// The impostor's own world: the shared relay under its URL, and its own relay (an
/// in-memory one) under `evil_url`, which on the victim's side is a counting listener.
fn impostor_pool(world: &World, evil_url: &str) -> Arc<RelayPool> {
    let pool = Arc::new(RelayPool::new(HttpConfig::default()));
    pool.insert(
        RelayUrl::parse(RELAY).unwrap(),
        world.recorder.clone() as Arc<dyn Relay>,
    );
    pool.insert(
        RelayUrl::parse(evil_url).unwrap(),
        memory_relay() as Arc<dyn Relay>,
    );
    pool
}

async fn impostor(world: &World, name: &str, relays: Vec<String>, pool: Arc<RelayPool>) -> Client {
    Client::create(
        &world.dir(name),
        &pass(name),
        CreateOptions {
            relays,
            transport: Some(pool),
            ..world.create_options(name)
        },
    )
    .await
    .unwrap()
}

async fn victim(world: &World, name: &str) -> Client {
    Client::create(
        &world.dir(name),
        &pass(name),
        CreateOptions {
            timeouts: short(),
            ..world.create_options(name)
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_impostors_mailbox_update_naming_its_own_relay_causes_no_connection() {
    let world = World::new();
    let evil = Listener::start().await;
    let org = victim(&world, "org").await;
    let code = org
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();

    // The impostor's reply mailbox lives on its own relay: its first MailboxUpdate names it.
    let pool = impostor_pool(&world, &evil.url);
    let fake = impostor(
        &world,
        "impostor",
        vec![evil.url.clone(), RELAY.to_owned()],
        pool,
    )
    .await;
    fake.accept_invitation(&code, "org").await.unwrap();
    fake.send("org", "hello, I need help").await.unwrap();

    let mut events = org.subscribe();
    let report = org.sync().await.unwrap();
    assert_eq!(report.relays_refused, 1, "{report:?}");
    assert!(report.new_contacts.is_empty(), "{report:?}");
    assert!(
        drain(&mut events).contains(&Event::RelayRefused { contact: None }),
        "a visible refusal"
    );
    assert!(org.contacts().unwrap().is_empty());
    // Again, and after a restart: still nothing goes there.
    org.sync().await.unwrap();
    drop(org);
    let org = Client::open(
        &world.dir("org"),
        &pass("org"),
        corridor_client::client::OpenOptions {
            timeouts: short(),
            ..world.open_options()
        },
    )
    .await
    .unwrap();
    org.sync().await.unwrap();
    assert_eq!(
        evil.accepted(),
        0,
        "the victim connected to the impostor's relay"
    );

    // The control: once the user puts that relay on the list, the same kind of contact is
    // answered there, and the listener sees the connection. (So the count above can fail.)
    org.add_relay(&evil.url, false).await.unwrap();
    let code = org
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    let pool = impostor_pool(&world, &evil.url);
    let second = impostor(
        &world,
        "second",
        vec![evil.url.clone(), RELAY.to_owned()],
        pool,
    )
    .await;
    second.accept_invitation(&code, "org").await.unwrap();
    let report = org.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1, "{report:?}");
    assert_eq!(report.relays_refused, 0);
    assert!(evil.accepted() >= 1, "the control must reach the listener");
}

#[tokio::test]
async fn a_rotation_to_a_relay_off_the_list_is_refused_and_the_old_mailbox_kept() {
    let world = World::new();
    let evil = Listener::start().await;
    let alice = victim(&world, "alice").await;
    let pool = impostor_pool(&world, &evil.url);
    let bob = impostor(
        &world,
        "bob",
        vec![RELAY.to_owned(), evil.url.clone()],
        pool,
    )
    .await;
    connect(&bob, "bob", &alice, "alice").await;

    bob.rotate("alice", Some(&evil.url)).await.unwrap();
    let mut events = alice.subscribe();
    let report = alice.sync().await.unwrap();
    assert_eq!(report.relays_refused, 1, "{report:?}");
    assert!(drain(&mut events).contains(&Event::RelayRefused {
        contact: Some("bob".into())
    }));
    // Alice keeps writing to the mailbox she had; Bob still reads it.
    alice.send("bob", "still here").await.unwrap();
    bob.sync().await.unwrap();
    assert_eq!(received_from(&bob, "alice"), vec!["still here"]);
    assert_eq!(evil.accepted(), 0);
}

#[tokio::test]
async fn an_invitation_naming_a_relay_off_the_list_is_refused_before_any_connection() {
    let world = World::new();
    let evil = Listener::start().await;
    let pool = impostor_pool(&world, &evil.url);
    let fake_org = impostor(&world, "fake-org", vec![evil.url.clone()], pool).await;
    let code = fake_org
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    let requester = victim(&world, "requester").await;
    let err = requester.accept_invitation(&code, "org").await.unwrap_err();
    assert!(matches!(err, ClientError::RelayNotAllowed), "{err:?}");
    assert!(err.to_string().contains("not on this profile's list"));
    assert!(requester.contacts().unwrap().is_empty());
    assert_eq!(evil.accepted(), 0);
}

#[tokio::test]
async fn with_a_proxy_a_peers_public_relay_goes_through_it_and_local_ones_never() {
    let world = World::new();
    let evil = Listener::start().await;
    let proxy = Listener::start().await;
    let alice = victim(&world, "alice").await;
    alice
        .set_proxy(Some(&format!("socks5h://127.0.0.1:{}", proxy.port)))
        .await
        .unwrap();
    // The persisted setting is what the next open applies.
    drop(alice);
    let alice = Client::open(
        &world.dir("alice"),
        &pass("alice"),
        corridor_client::client::OpenOptions {
            timeouts: short(),
            ..world.open_options()
        },
    )
    .await
    .unwrap();

    // Bob can write to three relays: the shared one, a loopback one and a public one.
    let public = "https://relay.example.org/";
    let pool = impostor_pool(&world, &evil.url);
    pool.insert(
        RelayUrl::parse(public).unwrap(),
        memory_relay() as Arc<dyn Relay>,
    );
    let bob = impostor(
        &world,
        "bob",
        vec![RELAY.to_owned(), evil.url.clone(), public.to_owned()],
        pool,
    )
    .await;
    connect(&bob, "bob", &alice, "alice").await;

    // A loopback address from a peer is refused even with a proxy.
    bob.rotate("alice", Some(&evil.url)).await.unwrap();
    let report = alice.sync().await.unwrap();
    assert_eq!(report.relays_refused, 1, "{report:?}");
    assert_eq!((evil.accepted(), proxy.accepted()), (0, 0));

    // A public relay from a peer is taken, and used only through the proxy.
    bob.rotate("alice", Some(public)).await.unwrap();
    let report = alice.sync().await.unwrap();
    assert_eq!(report.relays_refused, 0, "{report:?}");
    let outcome = alice.send("bob", "through the proxy").await.unwrap();
    // The proxy listener never answers: the message waits in the outbox.
    assert_eq!(outcome, corridor_client::client::SendOutcome::Queued);
    assert!(proxy.accepted() >= 1, "the deposit must go to the proxy");
    assert_eq!(evil.accepted(), 0);
}

#[tokio::test]
async fn the_proxy_is_persisted_and_applied_at_every_open() {
    let world = World::new();
    let alice = world.client("alice").await;
    assert_eq!(alice.proxy().unwrap(), None);
    for bad in [
        "socks5://127.0.0.1:9050",
        "http://127.0.0.1:8118",
        "socks5h://127.0.0.1",
        "tor",
    ] {
        let err = alice.set_proxy(Some(bad)).await.unwrap_err();
        assert!(matches!(err, ClientError::InvalidProxy), "{bad}: {err:?}");
        assert!(err.to_string().contains("socks5h://host:port"));
    }
    alice
        .set_proxy(Some("socks5h://127.0.0.1:9050"))
        .await
        .unwrap();
    alice.close().await;
    let alice = world.reopen("alice").await;
    assert_eq!(
        alice.proxy().unwrap().as_deref(),
        Some("socks5h://127.0.0.1:9050")
    );
    alice.set_proxy(None).await.unwrap();
    assert_eq!(alice.proxy().unwrap(), None);
    alice.close().await;
    let alice = world.reopen("alice").await;
    assert_eq!(alice.proxy().unwrap(), None);
}

#[tokio::test]
async fn the_relay_list_can_be_listed_added_to_and_removed_from() {
    let world = World::new();
    let silent = Listener::start().await;
    let alice = victim(&world, "alice").await;
    let bob = world.client("bob").await;
    assert_eq!(alice.relays().unwrap(), vec![RELAY.to_owned()]);

    // Wrong schemes say what is expected.
    for bad in [
        "http://relay.example.org",
        "ftp://x.org",
        "relay.example.org",
    ] {
        let err = alice.add_relay(bad, false).await.unwrap_err();
        assert!(matches!(err, ClientError::InvalidRelay), "{bad}: {err:?}");
        assert!(err.to_string().contains("https://"));
    }
    // A relay that answers is added; adding it again (another spelling) changes nothing.
    alice.add_relay(RELAY_2, true).await.unwrap();
    alice.add_relay("http://127.0.0.1:10", true).await.unwrap();
    assert_eq!(
        alice.relays().unwrap(),
        vec![RELAY.to_owned(), RELAY_2.to_owned()]
    );
    // A relay that never answers is not added when checked.
    let started = Instant::now();
    let err = alice.add_relay(&silent.url, true).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");
    assert!(took < short().overall * 3, "gave up after {took:?}");
    assert_eq!(alice.relays().unwrap().len(), 2);

    // Removing: unknown, in use, unused, last.
    let err = alice
        .remove_relay("https://other.example.org")
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::UnknownRelay), "{err:?}");
    connect(&alice, "alice", &bob, "bob").await;
    let err = alice.remove_relay(RELAY).await.unwrap_err();
    assert!(matches!(err, ClientError::RelayInUse), "{err:?}");
    alice.remove_relay("http://127.0.0.1:10").await.unwrap();
    assert_eq!(alice.relays().unwrap(), vec![RELAY.to_owned()]);
    let err = alice.remove_relay(RELAY).await.unwrap_err();
    assert!(matches!(err, ClientError::LastRelay), "{err:?}");
    // Persisted.
    drop(alice);
    let alice = world.reopen("alice").await;
    assert_eq!(alice.relays().unwrap(), vec![RELAY.to_owned()]);
    assert!(silent.accepted() >= 1);
}

#[tokio::test]
async fn a_rotation_onto_a_relay_the_user_did_not_choose_is_refused() {
    let world = World::new();
    let alice = world.client("alice").await;
    let bob = world.client("bob").await;
    connect(&alice, "alice", &bob, "bob").await;
    let err = alice.rotate("bob", Some(RELAY_2)).await.unwrap_err();
    assert!(matches!(err, ClientError::RelayNotAllowed), "{err:?}");
    assert_eq!(world.relay_2.mailbox_count(), 0);
}

#[tokio::test]
async fn every_call_gives_up_within_the_timeout_against_a_relay_that_never_answers() {
    let limit = |t: NetTimeouts| t.overall * 3;
    // Over real TCP: a listener that accepts and never answers.
    let world = World::new();
    let silent = Listener::start().await;
    let root = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let err = Client::create(
        &root.path().join("checked"),
        &pass("x"),
        CreateOptions {
            relays: vec![silent.url.clone()],
            check_relays: true,
            timeouts: short(),
            transport: Some(world.pool.clone()),
            ..world.create_options("x")
        },
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");
    assert!(took >= short().connect, "it did wait: {took:?}");
    assert!(took < limit(short()), "create gave up after {took:?}");
    assert!(!Client::profile_exists(&root.path().join("checked")));

    let offline = Client::create(
        &root.path().join("offline"),
        &pass("x"),
        CreateOptions {
            relays: vec![silent.url.clone()],
            timeouts: short(),
            transport: Some(world.pool.clone()),
            ..world.create_options("x")
        },
    )
    .await
    .unwrap();
    let started = Instant::now();
    let err = offline
        .create_invitation(InvitationKind::OneTime, 600)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");
    assert!(took < limit(short()), "invite gave up after {took:?}");
    assert!(silent.accepted() >= 2);

    // A relay that hangs after everything was set up: send, sync, accept, rotate, remove.
    let alice = victim(&world, "alice").await;
    let bob = victim(&world, "bob").await;
    let carol = victim(&world, "carol").await;
    connect(&alice, "alice", &bob, "bob").await;
    let code = carol
        .create_invitation(InvitationKind::OneTime, 600)
        .await
        .unwrap();
    world.recorder.hang.store(true, Ordering::SeqCst);

    let timed = |took: Duration, what: &str| {
        assert!(took < limit(short()), "{what} gave up after {took:?}");
    };
    let started = Instant::now();
    let outcome = alice.send("bob", "queued").await.unwrap();
    timed(started.elapsed(), "send");
    assert_eq!(outcome, corridor_client::client::SendOutcome::Queued);

    let started = Instant::now();
    let report = alice.sync().await.unwrap();
    timed(started.elapsed(), "sync");
    assert_eq!(report.unreachable_relays, 1);
    assert_eq!(report.outbox_pending, 1);

    let started = Instant::now();
    let err = bob.accept_invitation(&code, "carol").await.unwrap_err();
    timed(started.elapsed(), "accept");
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");

    let started = Instant::now();
    let err = alice.rotate("bob", None).await.unwrap_err();
    timed(started.elapsed(), "rotate");
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");

    let started = Instant::now();
    let err = alice.wait_for_mail(1).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took < short().overall * 3 + Duration::from_secs(1),
        "wait gave up after {took:?}"
    );
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");

    // Nothing was lost: once the relay answers, the queued message arrives.
    world.recorder.hang.store(false, Ordering::SeqCst);
    let report = alice.sync().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    bob.sync().await.unwrap();
    assert_eq!(received_from(&bob, "alice"), vec!["queued"]);

    // Removing a contact destroys its mailboxes on the relay: one timeout at most.
    world.recorder.hang.store(true, Ordering::SeqCst);
    let started = Instant::now();
    alice.remove_contact("bob").await.unwrap();
    timed(started.elapsed(), "remove_contact");
    world.recorder.hang.store(false, Ordering::SeqCst);
}
