//! Untrusted text at the API (invitation codes, typed safety numbers, labels, message
//! text) never panics and is refused with a typed error.

#[path = "client_support.rs"]
mod support;

use corridor_client::client::ClientError;
use proptest::prelude::*;
use support::*;

#[test]
fn arbitrary_text_is_refused_with_typed_errors() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = World::new();
    let (bob, alice) = rt.block_on(async {
        let bob = world.client("bob").await;
        let alice = world.client("alice").await;
        connect(&bob, "bob", &alice, "alice").await;
        (bob, alice)
    });
    let config = ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    };
    proptest!(config, |(text in ".{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..200))| {
        let code = String::from_utf8_lossy(&bytes).into_owned();
        for candidate in [&text, &code, &format!("CI1-{text}")] {
            let result = rt.block_on(alice.accept_invitation(candidate, "x"));
            prop_assert!(matches!(result, Err(ClientError::InvalidInvitation)));
        }
        let verified = bob.confirm_verified("alice", &text);
        prop_assert!(matches!(verified, Err(ClientError::SafetyNumberMismatch)));
        match bob.rename_contact("alice", &text) {
            Ok(()) => {
                bob.rename_contact(&text, "alice").unwrap();
            }
            Err(ClientError::InvalidLabel | ClientError::LabelTaken) => {}
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    });
    assert!(bob.contacts().unwrap().iter().all(|c| !c.verified));
    assert_eq!(alice.contacts().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_relay_and_proxy_settings_are_refused_up_front() {
    use corridor_client::Client;
    use corridor_client::client::{CreateOptions, InvitationKind, KdfChoice};
    let root = tempfile::tempdir().unwrap();
    let options = |relays: Vec<&str>, proxy: Option<&str>| CreateOptions {
        name: "x".into(),
        relays: relays.into_iter().map(str::to_owned).collect(),
        proxy: proxy.map(str::to_owned),
        kdf: KdfChoice::InsecureFast,
        ..CreateOptions::default()
    };
    let pass = pass("x");
    let dir = root.path().join("p");
    let cases = [
        (options(vec![], None), "no relay"),
        (
            options(vec!["http://relay.example.org"], None),
            "plain http",
        ),
        (options(vec!["ftp://127.0.0.1"], None), "scheme"),
        (
            options(
                vec!["https://relay.example.org"],
                Some("socks5://127.0.0.1:9050"),
            ),
            "socks5 resolves names locally",
        ),
    ];
    for (opts, why) in cases {
        let err = Client::create(&dir, &pass, opts).await.unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::NoRelay | ClientError::InvalidRelay | ClientError::InvalidProxy
            ),
            "{why}: {err:?}"
        );
        assert!(!Client::profile_exists(&dir), "{why}");
    }
    // Through a SOCKS proxy that is not running: the relay check fails, nothing is made.
    let err = Client::create(
        &dir,
        &pass,
        CreateOptions {
            check_relays: true,
            ..options(vec!["http://127.0.0.1:9"], Some("socks5h://127.0.0.1:1"))
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");
    assert!(!Client::profile_exists(&dir));
    // Created offline (no check), the first network call gives a clear, typed error.
    let client = Client::create(
        &dir,
        &pass,
        CreateOptions {
            check_relays: false,
            ..options(vec!["http://127.0.0.1:9"], Some("socks5h://127.0.0.1:1"))
        },
    )
    .await
    .unwrap();
    let err = client
        .create_invitation(InvitationKind::OneTime, 60)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::RelayUnreachable), "{err:?}");
}
