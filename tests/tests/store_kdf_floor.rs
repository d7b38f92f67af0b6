//! The Argon2id floor: a profile made with the test-only cheap key derivation (the CLI
//! built with `--features insecure-fast-kdf`, as every e2e test builds it) is refused by a
//! build of the library without that feature, with a typed error and without touching a
//! file.
//!
//! Run it as `cargo test -p corridor-e2e --test store_kdf_floor`: in a `cargo test
//! --workspace` run cargo unifies features, client-lib's own tests switch the feature on,
//! and the test can only check the opposite (that such a build does open the profile).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_common;

use cli_common::*;
use corridor_client::Client;
use corridor_client::client::{ClientError, OpenOptions, Passphrase, WEAK_KDF_ALLOWED};
use std::collections::BTreeMap;
use std::path::Path;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[tokio::test]
async fn a_release_build_refuses_a_profile_below_the_kdf_floor() {
    let relay = start_relay();
    let user = User::new("floor", "floor passphrase");
    user.init(relay.url());
    let before = snapshot(&user.home());

    let opened = Client::open(
        &user.home(),
        &Passphrase::from("floor passphrase"),
        OpenOptions::default(),
    )
    .await;
    if WEAK_KDF_ALLOWED {
        eprintln!(
            "corridor-client was built with insecure-fast-kdf (feature unification): \
             checking only that such a build opens the profile"
        );
        opened.unwrap().close().await;
        return;
    }
    match opened {
        Err(ClientError::WeakKdf) => {}
        other => panic!("expected WeakKdf, got {:?}", other.map(|_| "a client")),
    }
    assert_eq!(
        snapshot(&user.home()),
        before,
        "a refused open changed the profile"
    );
    // The message says what is wrong, without a path or a secret.
    let message = ClientError::WeakKdf.to_string();
    assert!(message.contains("test-only"), "{message}");
}
