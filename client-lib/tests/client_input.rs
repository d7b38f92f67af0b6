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
