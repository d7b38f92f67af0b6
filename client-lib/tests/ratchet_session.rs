//! Behaviour of the Double Ratchet session: round trips, out-of-order delivery, duplicates,
//! tampering, skipped-key bounds, forward secrecy, post-compromise security, persistence.
#![allow(clippy::unwrap_used)]

mod ratchet_support;

use corridor_client::primitives::Secret;
use corridor_client::protocol::pickle::PickleError;
use corridor_client::protocol::ratchet::{
    MAX_SKIP, MAX_SKIPPED_KEYS, MESSAGE_OVERHEAD, RatchetError, Session,
};
use ratchet_support::{TestRng, pair, snapshot, steal};

fn roundtrip(from: &mut Session, to: &mut Session, text: &[u8], rng: &mut TestRng) {
    let message = from.encrypt(text, rng).unwrap();
    assert_eq!(message.len(), text.len() + MESSAGE_OVERHEAD);
    assert_eq!(to.decrypt(&message).unwrap().as_slice(), text);
}

#[test]
fn ping_pong_round_trips() {
    let mut rng = TestRng::new(1);
    let (mut alice, mut bob) = pair(&mut rng);
    for round in 0..5u8 {
        for i in 0..3u8 {
            roundtrip(&mut alice, &mut bob, &[round, i, 0xA], &mut rng);
        }
        for i in 0..2u8 {
            roundtrip(&mut bob, &mut alice, &[round, i, 0xB], &mut rng);
        }
    }
    roundtrip(&mut alice, &mut bob, b"", &mut rng);
}

#[test]
fn responder_cannot_send_first() {
    let mut rng = TestRng::new(2);
    let (mut alice, mut bob) = pair(&mut rng);
    assert!(!bob.can_send());
    assert_eq!(bob.encrypt(b"x", &mut rng), Err(RatchetError::NotReady));
    roundtrip(&mut alice, &mut bob, b"hello", &mut rng);
    assert!(bob.can_send());
    roundtrip(&mut bob, &mut alice, b"hi", &mut rng);
}

#[test]
fn out_of_order_across_ratchet_steps() {
    let mut rng = TestRng::new(3);
    let (mut alice, mut bob) = pair(&mut rng);
    let a: Vec<_> = (0..4u8)
        .map(|i| alice.encrypt(&[i], &mut rng).unwrap())
        .collect();
    assert_eq!(bob.decrypt(&a[2]).unwrap().as_slice(), &[2]);
    let b0 = bob.encrypt(b"b0", &mut rng).unwrap();
    assert_eq!(alice.decrypt(&b0).unwrap().as_slice(), b"b0");
    let a_next = alice.encrypt(b"new chain", &mut rng).unwrap();
    // The new chain first, then the stragglers of the old one.
    assert_eq!(bob.decrypt(&a_next).unwrap().as_slice(), b"new chain");
    assert_eq!(bob.skipped_keys(), 3);
    for i in [3usize, 0, 1] {
        assert_eq!(bob.decrypt(&a[i]).unwrap().as_slice(), &[i as u8]);
    }
    assert_eq!(bob.skipped_keys(), 0);
}

#[test]
fn duplicates_are_rejected_and_change_nothing() {
    let mut rng = TestRng::new(4);
    let (mut alice, mut bob) = pair(&mut rng);
    let m0 = alice.encrypt(b"m0", &mut rng).unwrap();
    let m1 = alice.encrypt(b"m1", &mut rng).unwrap();
    let m2 = alice.encrypt(b"m2", &mut rng).unwrap();
    bob.decrypt(&m0).unwrap();
    bob.decrypt(&m2).unwrap();
    for m in [&m0, &m2] {
        let before = snapshot(&bob);
        assert_eq!(bob.decrypt(m), Err(RatchetError::Duplicate));
        assert_eq!(snapshot(&bob), before);
    }
    bob.decrypt(&m1).unwrap();
    assert_eq!(bob.decrypt(&m1), Err(RatchetError::Duplicate));
    // A duplicate from a chain that is closed and fully consumed.
    let b0 = bob.encrypt(b"b0", &mut rng).unwrap();
    alice.decrypt(&b0).unwrap();
    let a3 = alice.encrypt(b"a3", &mut rng).unwrap();
    bob.decrypt(&a3).unwrap();
    assert_eq!(bob.decrypt(&m1), Err(RatchetError::Decrypt));
}

#[test]
fn every_bit_flip_is_rejected_without_changing_state() {
    let mut rng = TestRng::new(5);
    let (mut alice, mut bob) = pair(&mut rng);
    roundtrip(&mut alice, &mut bob, b"warm up", &mut rng);
    roundtrip(&mut bob, &mut alice, b"warm up", &mut rng);
    // One message in the current chain, one that starts a new chain.
    let same_chain = bob.encrypt(b"same chain", &mut rng).unwrap();
    let new_chain = alice.encrypt(b"new chain", &mut rng).unwrap();
    for (receiver, message) in [(&mut alice, &same_chain), (&mut bob, &new_chain)] {
        let before = snapshot(receiver);
        for bit in 0..message.len() * 8 {
            let mut bad = message.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(receiver.decrypt(&bad).is_err(), "bit {bit} accepted");
            assert_eq!(snapshot(receiver), before, "bit {bit} changed state");
        }
        for len in 0..message.len() {
            assert!(receiver.decrypt(&message[..len]).is_err());
        }
        let mut longer = message.clone();
        longer.push(0);
        assert!(receiver.decrypt(&longer).is_err());
        assert_eq!(snapshot(receiver), before);
        receiver.decrypt(message).unwrap();
    }
}

#[test]
fn wrong_associated_data_is_rejected() {
    let mut rng = TestRng::new(6);
    let sk = Secret::<32>::random(&mut rng).unwrap();
    let prekey = corridor_client::primitives::x25519::X25519Secret::generate(&mut rng).unwrap();
    let mut alice = Session::initiator(&sk, b"ad one", prekey.public(), &mut rng).unwrap();
    let mut bob = Session::responder(&sk, b"ad two", prekey).unwrap();
    let m = alice.encrypt(b"x", &mut rng).unwrap();
    assert_eq!(bob.decrypt(&m), Err(RatchetError::Decrypt));
}

#[test]
fn skipping_more_than_max_skip_in_one_chain_is_refused() {
    let mut rng = TestRng::new(7);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut messages = Vec::new();
    for i in 0..=MAX_SKIP + 1 {
        messages.push(alice.encrypt(&i.to_be_bytes(), &mut rng).unwrap());
    }
    let before = snapshot(&bob);
    // Message number MAX_SKIP + 1 would skip MAX_SKIP + 1 keys.
    assert_eq!(
        bob.decrypt(&messages[MAX_SKIP as usize + 1]),
        Err(RatchetError::TooManySkipped)
    );
    assert_eq!(snapshot(&bob), before);
    // Message number MAX_SKIP skips exactly MAX_SKIP keys: allowed.
    bob.decrypt(&messages[MAX_SKIP as usize]).unwrap();
    assert_eq!(bob.skipped_keys(), MAX_SKIP as usize);
    bob.decrypt(&messages[17]).unwrap();
    bob.decrypt(&messages[MAX_SKIP as usize + 1]).unwrap();
    assert_eq!(bob.skipped_keys(), MAX_SKIP as usize - 1);
}

#[test]
fn a_new_chain_may_not_skip_more_than_max_skip_of_the_old_one() {
    let mut rng = TestRng::new(8);
    let (mut alice, mut bob) = pair(&mut rng);
    roundtrip(&mut alice, &mut bob, b"a", &mut rng);
    roundtrip(&mut bob, &mut alice, b"b", &mut rng);
    // Bob sends MAX_SKIP + 1 more messages Alice never sees, then starts a new chain.
    for _ in 0..=MAX_SKIP {
        bob.encrypt(b"lost", &mut rng).unwrap();
    }
    roundtrip(&mut alice, &mut bob, b"a2", &mut rng);
    let next = bob.encrypt(b"b2", &mut rng).unwrap();
    let before = snapshot(&alice);
    assert_eq!(alice.decrypt(&next), Err(RatchetError::TooManySkipped));
    assert_eq!(snapshot(&alice), before);
}

#[test]
fn total_skipped_keys_are_bounded_oldest_evicted() {
    let mut rng = TestRng::new(9);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut first_of_chain = Vec::new();
    // Three chains from Alice, each losing MAX_SKIP messages before the one Bob sees.
    for round in 0..3 {
        let mut chain = Vec::new();
        for _ in 0..MAX_SKIP {
            chain.push(alice.encrypt(b"lost", &mut rng).unwrap());
        }
        first_of_chain.push(chain.swap_remove(0));
        let seen = alice.encrypt(b"seen", &mut rng).unwrap();
        bob.decrypt(&seen).unwrap();
        assert!(bob.skipped_keys() <= MAX_SKIPPED_KEYS);
        assert_eq!(
            bob.skipped_keys(),
            ((round + 1) * MAX_SKIP as usize).min(MAX_SKIPPED_KEYS)
        );
        roundtrip(&mut bob, &mut alice, b"reply", &mut rng);
    }
    assert_eq!(bob.skipped_keys(), MAX_SKIPPED_KEYS);
    // The first chain's keys were evicted; the last chain's are kept.
    assert_eq!(bob.decrypt(&first_of_chain[0]), Err(RatchetError::Decrypt));
    bob.decrypt(&first_of_chain[2]).unwrap();
    bob.decrypt(&first_of_chain[1]).unwrap();
    assert_eq!(bob.skipped_keys(), MAX_SKIPPED_KEYS - 2);
}

#[test]
fn forward_secrecy_stolen_state_cannot_read_earlier_messages() {
    let mut rng = TestRng::new(10);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut earlier = Vec::new();
    for round in 0..3u8 {
        for i in 0..3u8 {
            let m = alice.encrypt(&[round, i], &mut rng).unwrap();
            bob.decrypt(&m).unwrap();
            earlier.push(m);
        }
        let m = bob.encrypt(&[round], &mut rng).unwrap();
        alice.decrypt(&m).unwrap();
        earlier.push(m);
    }
    // The adversary takes both phones now and replays all the traffic it recorded.
    for victim in [&alice, &bob] {
        for m in &earlier {
            assert!(steal(victim).decrypt(m).is_err());
        }
    }
}

#[test]
fn post_compromise_security_heals_after_a_dh_step() {
    let mut rng = TestRng::new(11);
    let (mut alice, mut bob) = pair(&mut rng);
    roundtrip(&mut alice, &mut bob, b"before", &mut rng);
    roundtrip(&mut bob, &mut alice, b"before", &mut rng);

    let stolen_bob = snapshot(&bob);
    let stolen_alice = snapshot(&alice);
    let restore = |s: &[u8]| Session::unpickle(&ratchet_support::snapshot_key(), s).unwrap();
    // Right after the theft the adversary can read what Alice sends in her current chain.
    let leaked = alice.encrypt(b"leaked", &mut rng).unwrap();
    let mut eve = restore(&stolen_bob);
    assert_eq!(eve.decrypt(&leaked).unwrap().as_slice(), b"leaked");
    bob.decrypt(&leaked).unwrap();

    // Bob answers with a fresh ratchet key; Alice answers that: a full DH step each way.
    let b = bob.encrypt(b"heal", &mut rng).unwrap();
    alice.decrypt(&b).unwrap();
    let a = alice.encrypt(b"healed", &mut rng).unwrap();
    bob.decrypt(&a).unwrap();
    let b2 = bob.encrypt(b"healed too", &mut rng).unwrap();
    alice.decrypt(&b2).unwrap();

    // The stolen states, fed everything in order, no longer read the healed messages.
    let mut eve_bob = restore(&stolen_bob);
    eve_bob.decrypt(&leaked).unwrap();
    assert!(eve_bob.decrypt(&a).is_err());
    let mut eve_alice = restore(&stolen_alice);
    // Alice's state was stolen while her sending DH step was pending: the key pair she
    // generated for "leaked" is fresh, so Eve cannot follow Bob's answers to it.
    assert!(eve_alice.decrypt(&b).is_err());
    assert!(eve_alice.decrypt(&b2).is_err());
}

#[test]
fn pickle_round_trip_and_protection() {
    let mut rng = TestRng::new(12);
    let (mut alice, mut bob) = pair(&mut rng);
    roundtrip(&mut alice, &mut bob, b"one", &mut rng);
    let pending = alice.encrypt(b"out of order", &mut rng).unwrap();
    roundtrip(&mut alice, &mut bob, b"two", &mut rng);
    let key = Secret::<32>::random(&mut rng).unwrap();
    let stored = bob.pickle(&key, &mut rng).unwrap();
    drop(bob);
    let mut bob = Session::unpickle(&key, &stored).unwrap();
    // The restored state is the same state, byte for byte.
    assert_eq!(snapshot(&steal(&bob)), snapshot(&bob));
    assert_eq!(bob.decrypt(&pending).unwrap().as_slice(), b"out of order");
    roundtrip(&mut bob, &mut alice, b"three", &mut rng);

    let other = Secret::<32>::random(&mut rng).unwrap();
    assert_eq!(
        Session::unpickle(&other, &stored).unwrap_err(),
        PickleError::Decrypt
    );
    for i in 0..stored.len() {
        let mut bad = stored.clone();
        bad[i] ^= 0x40;
        assert!(Session::unpickle(&key, &bad).is_err());
    }
    assert!(Session::unpickle(&key, &[]).is_err());
    assert_eq!(format!("{bob:?}"), "Session { .. }");
}
