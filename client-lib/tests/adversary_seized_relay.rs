//! DESIGN §2 row "authorities raid homes and seize servers": the adversary takes the
//! relay's data directory after a real exchange between two `Client`s over the real relay
//! (in-process on 127.0.0.1, HTTP, sled). It finds no plaintext, no alias or profile name,
//! no identity key, fingerprint or seal key, and no deposit credential (only its hash,
//! which the scan does find: the positive control that the scan reads what the relay
//! wrote). `docs/security-testing.md`, "Adversary tests".
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support.rs"]
mod support;

use corridor_client::Client;
use corridor_client::client::{CreateOptions, InvitationKind, KdfChoice, Passphrase};
use corridor_client::protocol::invitation::Invitation;
use support::{dir_contains, files_under, received_from};

async fn create(root: &std::path::Path, name: &str, relay: &str) -> Client {
    Client::create(
        &root.join(name),
        &Passphrase::from(name),
        CreateOptions {
            name: name.to_owned(),
            relays: vec![relay.to_owned()],
            kdf: KdfChoice::InsecureFast,
            ..CreateOptions::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversary_seized_relay() {
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

    let desk = create(root.path(), "desk-profile-canary", &url).await;
    let requester = create(root.path(), "requester-profile-canary", &url).await;
    let code = desk
        .create_invitation(InvitationKind::Standing { max_uses: None }, 3600)
        .await
        .unwrap();
    let invitation = Invitation::from_code(&code).unwrap();
    requester
        .accept_invitation(&code, "desk-alias-canary")
        .await
        .unwrap();
    requester
        .send("desk-alias-canary", "I am at the Sabunchu safe flat")
        .await
        .unwrap();
    let report = desk.sync().await.unwrap();
    desk.rename_contact(&report.new_contacts[0], "requester-alias-canary")
        .unwrap();
    desk.send("requester-alias-canary", "the driver comes at dawn")
        .await
        .unwrap();
    requester.sync().await.unwrap();
    assert_eq!(
        received_from(&requester, "desk-alias-canary"),
        vec!["the driver comes at dawn"]
    );
    // One message left unread on the relay.
    requester
        .send("desk-alias-canary", "unread: papers in the blue bag")
        .await
        .unwrap();
    let requester_fp = requester.whoami().unwrap().fingerprint;
    let desk_fp = desk.whoami().unwrap().fingerprint;
    requester.close().await;
    desk.close().await;
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    // The seizure.
    assert!(!files_under(&relay_data).is_empty());
    for needle in [
        "desk-profile-canary",
        "requester-profile-canary",
        "desk-alias-canary",
        "requester-alias-canary",
        "Sabunchu",
        "driver comes at dawn",
        "blue bag",
        requester_fp.as_str(),
        desk_fp.as_str(),
    ] {
        assert!(
            !dir_contains(&relay_data, needle.as_bytes()),
            "the relay's disk holds {needle}"
        );
    }
    for (what, bytes) in [
        ("the deposit credential", invitation.credential.0.to_vec()),
        (
            "the inviter's fingerprint",
            invitation.fingerprint.as_bytes().to_vec(),
        ),
        ("the seal key", invitation.seal_key.as_bytes().to_vec()),
    ] {
        assert!(
            !dir_contains(&relay_data, &bytes),
            "the relay's disk holds {what}"
        );
    }
    // Positive control: what the relay does keep of the credential, its hash, is found by
    // the same scan (so the scan reads the relay's files as written).
    let hash = corridor_relay::layout::credential_hash(&invitation.credential.0);
    assert!(dir_contains(&relay_data, &hash));
}
