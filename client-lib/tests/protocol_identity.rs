//! Identities, safety numbers and identity/prekey pickles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod protocol_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::random::OsRng;
use corridor_client::protocol::bundle::PrekeySet;
use corridor_client::protocol::identity::{Identity, PublicIdentity, safety_number};
use corridor_client::protocol::pickle::PickleError;
use proptest::prelude::*;

/// The bundle id every prekey signature in these tests covers.
const BUNDLE_ID: [u8; 16] = *b"test bundle id 1";

#[test]
fn safety_numbers_match_on_both_sides_and_differ_for_a_substituted_key() {
    let alice = Identity::generate(&mut OsRng).unwrap().public();
    let bob = Identity::generate(&mut OsRng).unwrap().public();
    let seen_by_alice = safety_number(&alice, &bob);
    let seen_by_bob = safety_number(&bob, &alice);
    assert_eq!(seen_by_alice, seen_by_bob);
    assert_eq!(seen_by_alice.grouped(), seen_by_bob.grouped());
    assert_eq!(seen_by_alice.compact(), seen_by_bob.compact());
    assert!(seen_by_bob.matches_compact(seen_by_alice.compact()));

    // A man in the middle substitutes his own key for Bob's on Alice's side.
    let mallory = Identity::generate(&mut OsRng).unwrap().public();
    let substituted = safety_number(&alice, &mallory);
    assert_ne!(substituted.digits(), seen_by_bob.digits());
    assert_ne!(substituted.compact(), seen_by_bob.compact());
    assert!(!seen_by_bob.matches_compact(substituted.compact()));
    // Each half changes: Bob's own half differs from what Alice sees for "Bob".
    let halves = |n: &str| (n[..30].to_owned(), n[30..].to_owned());
    let (a1, a2) = halves(seen_by_bob.digits());
    let (b1, b2) = halves(substituted.digits());
    assert!(
        a1 == b1 || a1 == b2 || a2 == b1 || a2 == b2,
        "Alice's half is shared"
    );
    assert!(!(a1 == b1 && a2 == b2));
}

#[test]
fn substituting_only_the_dh_key_changes_the_safety_number() {
    // Same Ed25519 key, different X25519 key: cannot be forged without the signing key,
    // but the number must still cover both keys.
    let alice = Identity::generate(&mut OsRng).unwrap().public();
    let bob = Identity::generate(&mut OsRng).unwrap();
    let other = Identity::generate(&mut OsRng).unwrap();
    let mut spliced = bob.public().encode();
    spliced[33..65].copy_from_slice(&other.public().encode()[33..65]);
    // The splice is refused outright (the signature no longer matches)...
    assert!(PublicIdentity::decode(&spliced).is_err());
    // ...and the fingerprints differ.
    assert_ne!(bob.fingerprint(), other.fingerprint());
    assert_ne!(
        safety_number(&alice, &bob.public()),
        safety_number(&alice, &other.public())
    );
}

#[test]
fn identity_pickle_round_trips_and_refuses_tampering() {
    let identity = Identity::generate(&mut OsRng).unwrap();
    let key = Secret::<32>::random(&mut OsRng).unwrap();
    let pickled = identity.pickle(&key, &mut OsRng).unwrap();
    let back = Identity::unpickle(&key, &pickled).unwrap();
    assert_eq!(back, identity);
    assert_eq!(back.public(), identity.public());

    // The pickle does not contain the secret keys in the clear.
    let plain = identity.dh_secret().to_secret();
    assert!(!pickled.windows(32).any(|w| w == plain.expose().as_slice()));
    let wrong = Secret::<32>::random(&mut OsRng).unwrap();
    assert_eq!(
        Identity::unpickle(&wrong, &pickled).err(),
        Some(PickleError::Decrypt)
    );
    // A prekey pickle does not open as an identity.
    let prekeys = PrekeySet::generate(2, &mut OsRng).unwrap();
    let pk = prekeys.pickle(&key, &mut OsRng).unwrap();
    assert_eq!(
        Identity::unpickle(&key, &pk).err(),
        Some(PickleError::Decrypt)
    );
    for i in 0..pickled.len() * 8 {
        let mut bad = pickled.clone();
        bad[i / 8] ^= 1 << (i % 8);
        assert!(Identity::unpickle(&key, &bad).is_err(), "bit {i} accepted");
    }
}

#[test]
fn prekey_pickle_round_trips() {
    let identity = Identity::generate(&mut OsRng).unwrap();
    let mut prekeys = PrekeySet::generate(5, &mut OsRng).unwrap();
    prekeys.add_one_time(2, &mut OsRng).unwrap();
    let key = Secret::<32>::random(&mut OsRng).unwrap();
    let back = PrekeySet::unpickle(&key, &prekeys.pickle(&key, &mut OsRng).unwrap()).unwrap();
    assert_eq!(back.one_time_count(), 7);
    // Same secrets: the published bundle is byte-identical (signatures are deterministic).
    assert_eq!(
        back.plain_bundle(&identity, &BUNDLE_ID),
        prekeys.plain_bundle(&identity, &BUNDLE_ID)
    );
    // Ids keep counting from where they were.
    let mut back = back;
    let new_ids = back.add_one_time(1, &mut OsRng).unwrap();
    assert!(
        prekeys
            .plain_bundle(&identity, &BUNDLE_ID)
            .one_time
            .iter()
            .all(|p| p.id < new_ids[0])
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn safety_number_is_symmetric_and_binds_both_keys(seed in any::<[u8; 16]>()) {
        let mut rng = protocol_support::VectorRng::new(&seed);
        let a = Identity::generate(&mut rng).unwrap().public();
        let b = Identity::generate(&mut rng).unwrap().public();
        let c = Identity::generate(&mut rng).unwrap().public();
        let (ab, ba) = (safety_number(&a, &b), safety_number(&b, &a));
        let (ac, cb) = (safety_number(&a, &c), safety_number(&c, &b));
        prop_assert_eq!(&ab, &ba);
        prop_assert_ne!(ab.digits(), ac.digits());
        prop_assert_ne!(ab.compact(), cb.compact());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn identity_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = PublicIdentity::decode(&bytes);
    }

    #[test]
    fn unpickle_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = Secret::from_bytes([1; 32]);
        prop_assert!(Identity::unpickle(&key, &bytes).is_err());
        prop_assert!(PrekeySet::unpickle(&key, &bytes).is_err());
    }
}
