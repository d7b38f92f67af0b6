//! Property tests: random interleavings of sending, delivery, loss, reordering and
//! duplication never corrupt a session, and arbitrary bytes never panic a decoder.
#![allow(clippy::unwrap_used)]

mod ratchet_support;

use corridor_client::protocol::ratchet::{RatchetError, Session};
use proptest::prelude::*;
use ratchet_support::{TestRng, pair, snapshot};

#[derive(Debug, Clone)]
enum Action {
    /// Alice (true) or Bob (false) sends a message of this length.
    Send(bool, usize),
    /// Deliver the in-flight message at this index (modulo the count); keep a copy in
    /// flight when the flag is set, so that it is delivered again later (a duplicate).
    Deliver(usize, bool),
    /// Lose the in-flight message at this index.
    Drop(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (any::<bool>(), 0usize..40).prop_map(|(a, n)| Action::Send(a, n)),
        4 => (any::<usize>(), prop::bool::weighted(0.2)).prop_map(|(i, d)| Action::Deliver(i, d)),
        1 => any::<usize>().prop_map(Action::Drop),
    ]
}

struct InFlight {
    to_alice: bool,
    plaintext: Vec<u8>,
    message: Vec<u8>,
    id: usize,
}

fn receiver<'a>(to_alice: bool, alice: &'a mut Session, bob: &'a mut Session) -> &'a mut Session {
    if to_alice { alice } else { bob }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn interleavings_with_loss_reordering_and_duplication(
        seed in any::<u64>(),
        actions in prop::collection::vec(action(), 1..80),
    ) {
        let mut rng = TestRng::new(seed);
        let (mut alice, mut bob) = pair(&mut rng);
        let mut in_flight: Vec<InFlight> = Vec::new();
        let mut delivered = std::collections::HashSet::new();
        let mut next_id = 0;
        for action in actions {
            match action {
                Action::Send(from_alice, len) => {
                    let sender = if from_alice { &mut alice } else { &mut bob };
                    if !sender.can_send() {
                        prop_assert_eq!(sender.encrypt(b"x", &mut rng), Err(RatchetError::NotReady));
                        continue;
                    }
                    let plaintext: Vec<u8> = (0..len).map(|i| (i + next_id) as u8).collect();
                    let message = sender.encrypt(&plaintext, &mut rng).unwrap();
                    in_flight.push(InFlight { to_alice: !from_alice, plaintext, message, id: next_id });
                    next_id += 1;
                }
                Action::Deliver(i, duplicate) if !in_flight.is_empty() => {
                    let i = i % in_flight.len();
                    let m = if duplicate {
                        let m = &in_flight[i];
                        InFlight { to_alice: m.to_alice, plaintext: m.plaintext.clone(), message: m.message.clone(), id: m.id }
                    } else {
                        in_flight.remove(i)
                    };
                    let to = receiver(m.to_alice, &mut alice, &mut bob);
                    if delivered.insert(m.id) {
                        let got = to.decrypt(&m.message).unwrap();
                prop_assert_eq!(got.as_slice(), m.plaintext.as_slice());
                    } else {
                        let before = snapshot(to);
                        prop_assert!(to.decrypt(&m.message).is_err());
                        prop_assert_eq!(snapshot(to), before);
                    }
                }
                Action::Drop(i) if !in_flight.is_empty() => {
                    in_flight.remove(i % in_flight.len());
                }
                _ => {}
            }
        }
        // Whatever is still in flight arrives now, in any order, and every original
        // decrypts; then both sides can still talk.
        for m in in_flight {
            let to = receiver(m.to_alice, &mut alice, &mut bob);
            if delivered.insert(m.id) {
                let got = to.decrypt(&m.message).unwrap();
                prop_assert_eq!(got.as_slice(), m.plaintext.as_slice());
            } else {
                prop_assert!(to.decrypt(&m.message).is_err());
            }
        }
        let m = alice.encrypt(b"still alive", &mut rng).unwrap();
        let got = bob.decrypt(&m).unwrap();
                prop_assert_eq!(got.as_slice(), b"still alive");
        let m = bob.encrypt(b"yes", &mut rng).unwrap();
        let got = alice.decrypt(&m).unwrap();
                prop_assert_eq!(got.as_slice(), b"yes");
    }

    #[test]
    fn arbitrary_bytes_are_a_typed_error_and_change_nothing(
        seed in any::<u64>(),
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut rng = TestRng::new(seed);
        let (mut alice, mut bob) = pair(&mut rng);
        let m = alice.encrypt(b"hello", &mut rng).unwrap();
        bob.decrypt(&m).unwrap();
        for session in [&mut alice, &mut bob] {
            let before = snapshot(session);
            prop_assert!(session.decrypt(&bytes).is_err());
            prop_assert_eq!(snapshot(session), before);
        }
    }

    #[test]
    fn a_real_header_with_an_arbitrary_body_is_rejected(
        seed in any::<u64>(),
        body in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut rng = TestRng::new(seed);
        let (mut alice, mut bob) = pair(&mut rng);
        let m = alice.encrypt(b"hello", &mut rng).unwrap();
        let mut forged = m[..69].to_vec();
        forged.extend_from_slice(&body);
        let before = snapshot(&bob);
        prop_assert!(bob.decrypt(&forged).is_err());
        prop_assert_eq!(snapshot(&bob), before);
        let got = bob.decrypt(&m).unwrap();
                prop_assert_eq!(got.as_slice(), b"hello");
    }

    #[test]
    fn arbitrary_pickles_are_a_typed_error(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let key = corridor_client::primitives::Secret::from_bytes([9u8; 32]);
        prop_assert!(Session::unpickle(&key, &bytes).is_err());
    }

    /// Content that authenticates (sealed under the right key and label) but is arbitrary:
    /// the content decoder must refuse it with a typed error, never panic.
    #[test]
    fn arbitrary_pickle_contents_never_panic(seed in any::<u64>(), mut content in prop::collection::vec(any::<u8>(), 0..400)) {
        let key = corridor_client::primitives::Secret::from_bytes([9u8; 32]);
        let mut rng = TestRng::new(seed);
        if let Some(first) = content.first_mut() {
            *first = corridor_client::protocol::ratchet::SESSION_PICKLE_VERSION;
        }
        let sealed = corridor_client::protocol::pickle::seal(&key, corridor_client::protocol::ratchet::SESSION_PICKLE_LABEL, &content, &mut rng).unwrap();
        let _ = Session::unpickle(&key, &sealed);
    }
}
