//! Two profiles connect through a one-time invitation and talk, over an in-memory relay
//! (no network). Run with `cargo run -p corridor-client --example two_clients`.

use corridor_client::Client;
use corridor_client::client::{ClientError, CreateOptions, InvitationKind, KdfChoice, Passphrase};
use corridor_client::transport::{HttpConfig, MemoryRelay, Relay, RelayPool, RelayUrl};
use std::sync::Arc;

const RELAY: &str = "http://127.0.0.1:8080/";

fn options(name: &str, pool: &Arc<RelayPool>) -> CreateOptions {
    CreateOptions {
        name: name.into(),
        relays: vec![RELAY.into()],
        // Cheap passphrase stretching: for a demo only, never for a real profile.
        kdf: KdfChoice::InsecureFast,
        transport: Some(pool.clone()),
        ..CreateOptions::default()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = Arc::new(RelayPool::new(HttpConfig::default()));
    let relay: Arc<dyn Relay> = Arc::new(MemoryRelay::default());
    pool.insert(RelayUrl::parse(RELAY)?, relay);

    let root = std::env::temp_dir().join(format!("corridor-example-{}", std::process::id()));
    let desk = Client::create(
        &root.join("desk"),
        &Passphrase::from("desk passphrase"),
        options("intake desk", &pool),
    )
    .await?;
    let requester = Client::create(
        &root.join("requester"),
        &Passphrase::from("requester passphrase"),
        options("me", &pool),
    )
    .await?;

    // The desk hands out a one-time invitation; the requester accepts it and writes.
    let code = desk
        .create_invitation(InvitationKind::OneTime, 3600)
        .await?;
    println!("invitation code: {} characters", code.len());
    requester.accept_invitation(&code, "desk").await?;
    requester
        .send("desk", "I need a safe place to stay.")
        .await?;

    // The desk syncs: a new contact with a provisional label, and the message.
    let report = desk.sync().await?;
    let label = report
        .new_contacts
        .first()
        .ok_or(ClientError::UnknownContact)?;
    desk.rename_contact(label, "requester-1")?;
    for message in desk.inbox(Some("requester-1"))? {
        println!("desk received: {}", message.text.as_str());
    }

    // Compare safety numbers (in person or by voice), then mark verified.
    let number = desk.safety_number("requester-1")?;
    println!("safety number: {}", number.digits());
    requester.confirm_verified("desk", number.digits())?;

    desk.send("requester-1", "Received. A caseworker will write to you.")
        .await?;
    requester.sync().await?;
    for message in requester.inbox(Some("desk"))? {
        println!(
            "requester's conversation: {:?} {}",
            message.direction,
            message.text.as_str()
        );
    }

    desk.close().await;
    requester.close().await;
    Client::panic_wipe(&root.join("desk"))?;
    Client::panic_wipe(&root.join("requester"))?;
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
