//! A requester sets a duress passphrase that alerts their caseworker; later the phone is
//! seized and opened with it. Run with `cargo run -p corridor-client --example check_in`.

use corridor_client::Client;
use corridor_client::client::{
    ClientError, CreateOptions, Event, InvitationKind, KdfChoice, OpenOptions, Passphrase,
};
use corridor_client::transport::{HttpConfig, MemoryRelay, Relay, RelayPool, RelayUrl};
use std::sync::Arc;

const RELAY: &str = "http://127.0.0.1:8080/";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = Arc::new(RelayPool::new(HttpConfig::default()));
    let relay: Arc<dyn Relay> = Arc::new(MemoryRelay::default());
    pool.insert(RelayUrl::parse(RELAY)?, relay);
    let options = |name: &str| CreateOptions {
        name: name.into(),
        relays: vec![RELAY.into()],
        kdf: KdfChoice::InsecureFast,
        transport: Some(pool.clone()),
        ..CreateOptions::default()
    };
    let root = std::env::temp_dir().join(format!("corridor-check-in-{}", std::process::id()));
    let caseworker_dir = root.join("caseworker");
    let requester_dir = root.join("requester");

    let caseworker =
        Client::create(&caseworker_dir, &Passphrase::from("cw"), options("cw")).await?;
    let requester = Client::create(&requester_dir, &Passphrase::from("real"), options("r")).await?;
    let code = caseworker
        .create_invitation(InvitationKind::OneTime, 3600)
        .await?;
    requester.accept_invitation(&code, "caseworker").await?;
    let report = caseworker.sync().await?;
    let label = report
        .new_contacts
        .first()
        .ok_or(ClientError::UnknownContact)?;
    caseworker.rename_contact(label, "traveller")?;
    requester.sync().await?;

    // Before leaving: a duress passphrase that alerts the caseworker.
    requester
        .set_duress(&Passphrase::from("duress"), &["caseworker"])
        .await?;
    requester
        .send("caseworker", "Checking in: on the bus.")
        .await?;
    requester.close().await;
    caseworker.sync().await?;

    // At a checkpoint the phone is opened with the duress passphrase: an empty profile,
    // the real one destroyed, the alert on its way.
    let decoy = Client::open(
        &requester_dir,
        &Passphrase::from("duress"),
        OpenOptions {
            transport: Some(pool.clone()),
            ..OpenOptions::default()
        },
    )
    .await?;
    println!("decoy contacts: {}", decoy.contacts()?.len());
    // The alert is queued like any message: the decoy's first sync delivers it.
    decoy.sync().await?;
    decoy.close().await;

    let mut events = caseworker.subscribe();
    let report = caseworker.sync().await?;
    println!("caseworker sync: {} duress alert(s)", report.duress_alerts);
    while let Ok(event) = events.try_recv() {
        if let Event::DuressAlert { contact } = event {
            println!("ALERT: {contact} opened their phone under duress");
        }
    }
    caseworker.close().await;
    Client::panic_wipe(&caseworker_dir)?;
    Client::panic_wipe(&requester_dir)?;
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
