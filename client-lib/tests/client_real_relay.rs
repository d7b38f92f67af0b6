//! Two `Client`s over the real relay (`corridor-relay`, in-process on 127.0.0.1:0, HTTP):
//! invitation, handshake, messages both ways, a duress alert; afterwards the relay's data
//! directory holds none of the plaintexts, aliases or names.

#[path = "client_support.rs"]
mod support;

use corridor_client::Client;
use corridor_client::client::{CreateOptions, InvitationKind, KdfChoice, OpenOptions, Passphrase};
use std::path::Path;
use support::{dir_contains, received_from};

fn options(name: &str, relay: &str) -> CreateOptions {
    CreateOptions {
        name: name.to_owned(),
        relays: vec![relay.to_owned()],
        kdf: KdfChoice::InsecureFast,
        ..CreateOptions::default()
    }
}

#[allow(clippy::unwrap_used)]
async fn create(dir: &Path, name: &str, relay: &str) -> Client {
    Client::create(
        &dir.join(name),
        &Passphrase::from(name),
        options(name, relay),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_over_the_real_relay() {
    let root = tempfile::tempdir().unwrap();
    let relay_data = root.path().join("relay-data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = corridor_relay::config::Config {
        data_dir: relay_data.clone(),
        pow_difficulty: 8,
        ..corridor_relay::config::Config::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(corridor_relay::run(listener, config, async move {
        let _ = stopped.await;
    }));

    let desk = create(root.path(), "desk-name-canary", &url).await;
    let traveller = create(root.path(), "traveller-name-canary", &url).await;
    let code = desk
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    traveller
        .accept_invitation(&code, "desk-label-canary")
        .await
        .unwrap();
    traveller
        .send(
            "desk-label-canary",
            "plaintext canary: shelter on Jasmine Lane",
        )
        .await
        .unwrap();
    let report = desk.sync().await.unwrap();
    assert_eq!(report.messages, 1);
    desk.rename_contact(&report.new_contacts[0], "traveller-label-canary")
        .unwrap();
    desk.send("traveller-label-canary", "reply canary: bus at dawn")
        .await
        .unwrap();
    traveller.sync().await.unwrap();
    assert_eq!(
        received_from(&traveller, "desk-label-canary"),
        vec!["reply canary: bus at dawn"]
    );

    // A duress alert travels through the real relay too.
    let duress = Passphrase::from("duress canary");
    traveller
        .set_duress(&duress, &["desk-label-canary"])
        .await
        .unwrap();
    desk.sync().await.unwrap();
    // One message stays on the relay, unread: its ciphertext is on the relay's disk.
    traveller
        .send("desk-label-canary", "unread canary: papers in the blue bag")
        .await
        .unwrap();
    traveller.close().await;
    let decoy = Client::open(
        &root.path().join("traveller-name-canary"),
        &duress,
        OpenOptions::default(),
    )
    .await
    .unwrap();
    assert!(decoy.contacts().unwrap().is_empty());
    // The alert waits in the decoy's outbox until its first sync.
    decoy.sync().await.unwrap();
    decoy.close().await;

    let _ = stop.send(());
    server.await.unwrap().unwrap();

    for needle in [
        "desk-name-canary",
        "traveller-name-canary",
        "desk-label-canary",
        "traveller-label-canary",
        "plaintext canary",
        "Jasmine Lane",
        "reply canary",
        "bus at dawn",
        "unread canary",
        "blue bag",
    ] {
        assert!(
            !dir_contains(&relay_data, needle.as_bytes()),
            "relay data holds a plaintext"
        );
    }
    assert!(!support::files_under(&relay_data).is_empty());

    // The relay is gone; the desk still reads the alert later from a restarted relay.
    let listener = tokio::net::TcpListener::bind(url.trim_start_matches("http://"))
        .await
        .unwrap();
    let config = corridor_relay::config::Config {
        data_dir: relay_data.clone(),
        pow_difficulty: 8,
        ..corridor_relay::config::Config::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(corridor_relay::run(listener, config, async move {
        let _ = stopped.await;
    }));
    let report = desk.sync().await.unwrap();
    assert_eq!(report.duress_alerts, 1);
    assert_eq!(
        received_from(&desk, "traveller-label-canary"),
        vec![
            "plaintext canary: shelter on Jasmine Lane",
            "unread canary: papers in the blue bag"
        ]
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
