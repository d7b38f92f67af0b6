//! The rotation API a standing invitation's schedule drives: `rotate` (signed and ML-KEM
//! prekeys), `rotate_last_resort`, `add_one_time`, then `forget_previous`. Handshakes made
//! against the bundle published before a rotation still complete until the replaced keys
//! are forgotten, and not after; every state survives a pickle round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use corridor_client::primitives::Secret;
use corridor_client::primitives::random::OsRng;
use corridor_client::protocol::bundle::{PrekeyRef, PrekeySet, VerifiedBundle};
use corridor_client::protocol::handshake::{self, HandshakeError};
use corridor_client::protocol::identity::Identity;
use corridor_wire::api::HandedPrekey;

const BUNDLE_ID: [u8; 16] = *b"standing bundle!";

fn pickled(set: &PrekeySet) -> PrekeySet {
    let key = Secret::from_bytes([7u8; 32]);
    PrekeySet::unpickle(&key, &set.pickle(&key, &mut OsRng).unwrap()).unwrap()
}

#[test]
fn handshakes_against_replaced_prekeys_complete_until_they_are_forgotten() {
    let org = Identity::generate(&mut OsRng).unwrap();
    let alice = Identity::generate(&mut OsRng).unwrap();
    let mut set = PrekeySet::generate(1, &mut OsRng).unwrap();
    let old = set.plain_bundle(&org, &BUNDLE_ID);

    // An initiator fetched the old bundle's last-resort prekey and another its one-time
    // prekey, before the rotation.
    let fp = org.fingerprint();
    let via_last_resort = VerifiedBundle::verify(
        old.signed.as_bytes(),
        &HandedPrekey::LastResort {
            key: old.last_resort.clone(),
        },
        &fp,
        &BUNDLE_ID,
    )
    .unwrap();
    let init = handshake::initiate(&alice, &via_last_resort, &mut OsRng).unwrap();

    set.rotate(&mut OsRng).unwrap();
    set.rotate_last_resort(&mut OsRng).unwrap();
    let fresh = set.add_one_time(2, &mut OsRng).unwrap();
    assert_eq!(set.one_time_count(), 3);
    assert_eq!(set.one_time_ids()[1..], fresh[..]);
    assert!(set.has_previous());
    let set = pickled(&set);
    assert!(set.has_previous());

    // The new bundle has new signed, ML-KEM and last-resort prekeys, all signed.
    let new = set.plain_bundle(&org, &BUNDLE_ID);
    assert_ne!(new.signed, old.signed);
    assert_ne!(new.last_resort, old.last_resort);
    VerifiedBundle::verify(
        new.signed.as_bytes(),
        &HandedPrekey::LastResort {
            key: new.last_resort.clone(),
        },
        &fp,
        &BUNDLE_ID,
    )
    .unwrap();

    // The handshake begun against the old bundle still completes.
    let response = handshake::respond(&org, &set, &init.header).unwrap();
    assert_eq!(response.output.shared, init.output.shared);
    assert!(matches!(response.prekey, PrekeyRef::LastResort(_)));

    // Once the replaced keys are forgotten (and the set pickled), it no longer does.
    let mut set = set;
    assert!(set.forget_previous());
    assert!(!set.has_previous());
    assert!(!set.forget_previous());
    let set = pickled(&set);
    assert_eq!(
        handshake::respond(&org, &set, &init.header).err(),
        Some(HandshakeError::UnknownPrekey)
    );
}
