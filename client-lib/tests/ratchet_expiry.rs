//! Skipped message keys expire: the keys of a receiving chain are deleted once the peer has
//! made more than `SKIPPED_KEY_MAX_STEPS` DH ratchet steps after it, however few keys are
//! stored, and the expiry survives a pickle round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod ratchet_support;

use corridor_client::protocol::ratchet::{RatchetError, SKIPPED_KEY_MAX_STEPS, Session};
use ratchet_support::{TestRng, pair, steal};

/// One DH ratchet step of the peer as Bob sees it: Bob answers, Alice reads it and sends,
/// Bob reads that (a new receiving chain for Bob).
fn peer_step(alice: &mut Session, bob: &mut Session, rng: &mut TestRng) {
    alice.decrypt(&bob.encrypt(b"reply", rng).unwrap()).unwrap();
    bob.decrypt(&alice.encrypt(b"next", rng).unwrap()).unwrap();
}

#[test]
fn skipped_keys_expire_after_the_documented_number_of_dh_steps() {
    assert_eq!(SKIPPED_KEY_MAX_STEPS, 4);
    let mut rng = TestRng::new(77);
    let (mut alice, mut bob) = pair(&mut rng);
    let late = alice.encrypt(b"delayed in transit", &mut rng).unwrap();
    bob.decrypt(&alice.encrypt(b"overtakes it", &mut rng).unwrap())
        .unwrap();
    assert_eq!(bob.skipped_keys(), 1);

    // Up to SKIPPED_KEY_MAX_STEPS later chains, the key is kept (and still works, shown on
    // a copy so that the original keeps it). Every step goes through a pickle, so the
    // chain's epoch is persisted, not just held in memory.
    for step in 1..=SKIPPED_KEY_MAX_STEPS {
        peer_step(&mut alice, &mut bob, &mut rng);
        bob = steal(&bob);
        assert_eq!(bob.skipped_keys(), 1, "expired too early, at step {step}");
        let mut copy = steal(&bob);
        assert_eq!(
            copy.decrypt(&late).unwrap().as_slice(),
            b"delayed in transit"
        );
    }
    // One more step of the peer and the key, with its chain, is gone.
    peer_step(&mut alice, &mut bob, &mut rng);
    assert_eq!(bob.skipped_keys(), 0);
    assert_eq!(bob.decrypt(&late).err(), Some(RatchetError::Decrypt));
    // The session itself goes on.
    bob.decrypt(&alice.encrypt(b"still fine", &mut rng).unwrap())
        .unwrap();
}

#[test]
fn a_chain_that_keeps_its_keys_used_up_is_deleted_at_once() {
    let mut rng = TestRng::new(78);
    let (mut alice, mut bob) = pair(&mut rng);
    let a0 = alice.encrypt(b"a0", &mut rng).unwrap();
    let a1 = alice.encrypt(b"a1", &mut rng).unwrap();
    bob.decrypt(&alice.encrypt(b"a2", &mut rng).unwrap())
        .unwrap();
    assert_eq!(bob.skipped_keys(), 2);
    bob.decrypt(&a1).unwrap();
    bob.decrypt(&a0).unwrap();
    assert_eq!(bob.skipped_keys(), 0);
    // The emptied chain is gone, header key included: a replay is refused as a
    // duplicate only while the chain is current, and never decrypts.
    assert_eq!(bob.decrypt(&a0).err(), Some(RatchetError::Duplicate));
}
