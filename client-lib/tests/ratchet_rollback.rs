//! Rollback never reuses a keystream. A sender whose state is rolled back (a crash before
//! its state reached the disk, a restored backup, an imaged disk) repeats a message number
//! and so a message key, but the body's key and nonce are derived with the header's fresh
//! random nonce as salt, so the repeat is encrypted under a different key and nonce.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod ratchet_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::aead;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::ratchet::{MESSAGE_OVERHEAD, RatchetError, Session, kdf};
use proptest::prelude::*;
use ratchet_support::{AD, TestRng, snapshot, snapshot_key};

const HEADER: usize = MESSAGE_OVERHEAD - aead::TAG_LEN;

/// The body's key and nonce, derived independently of the session from the initiator's
/// known first chain key: message `n`'s key MK, salted with the message's header nonce.
fn derived(chain0: &Secret<32>, n: usize, message: &[u8]) -> kdf::MessageCipher {
    let mut chain = chain0.clone();
    for _ in 0..n {
        chain = kdf::chain_step(&chain).0;
    }
    let (_, message_key) = kdf::chain_step(&chain);
    let nonce: [u8; 12] = message[..12].try_into().unwrap();
    kdf::message_cipher(&message_key, &nonce).unwrap()
}

/// Opens a message's body with an independently derived key and nonce.
fn open_with(cipher: &kdf::MessageCipher, message: &[u8]) -> Option<Vec<u8>> {
    let aad = [AD, &message[..HEADER]].concat();
    aead::open(&cipher.key, &cipher.nonce, &aad, &message[HEADER..])
        .ok()
        .map(|p| p.to_vec())
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The initiator's first chain, where every key can be recomputed from the handshake
    /// secret: the lost message and its repeat have the same number and message key (each
    /// opens under MK salted with its own header nonce) but different body keys and nonces,
    /// and the bodies' XOR is not the plaintexts' XOR.
    #[test]
    fn a_restored_session_encrypts_under_a_different_body_key_and_nonce(
        seed in any::<u64>(),
        before in 0usize..6,
        lost in prop::collection::vec(any::<u8>(), 16..200),
        other in prop::collection::vec(any::<u8>(), 16..200),
    ) {
        let len = lost.len().min(other.len());
        let (lost, other) = (&lost[..len], &other[..len]);
        let mut rng = TestRng::new(seed);
        let sk = Secret::<32>::random(&mut rng).unwrap();
        let prekey = X25519Secret::generate(&mut rng).unwrap();
        rng.take_drawn();
        let mut alice = Session::initiator(&sk, AD, prekey.public(), &mut rng).unwrap();
        let own = Secret::<32>::try_from_slice(&rng.take_drawn()).unwrap();
        let init = kdf::initial_keys(&sk).unwrap();
        let dh = X25519Secret::from_secret(&own).diffie_hellman(&prekey.public()).unwrap();
        let chain0 = kdf::root_step(&init.root, &dh).unwrap().chain;
        let mut bob = Session::responder(&sk, AD, prekey).unwrap();

        for i in 0..before {
            let m = alice.encrypt(format!("earlier {i}").as_bytes(), &mut rng).unwrap();
            bob.decrypt(&m).unwrap();
        }
        // The state as last persisted; then a message is sent and the state is lost.
        let persisted = snapshot(&alice);
        let m1 = alice.encrypt(lost, &mut rng).unwrap();
        let mut restored = Session::unpickle(&snapshot_key(), &persisted).unwrap();
        let m2 = restored.encrypt(other, &mut rng).unwrap();

        let c1 = derived(&chain0, before, &m1);
        let c2 = derived(&chain0, before, &m2);
        // Both are message number `before` under the same message key ...
        prop_assert_eq!(open_with(&c1, &m1), Some(lost.to_vec()));
        prop_assert_eq!(open_with(&c2, &m2), Some(other.to_vec()));
        // ... but under different body keys and different nonces.
        prop_assert_ne!(c1.key.expose(), c2.key.expose());
        prop_assert_ne!(c1.nonce, c2.nonce);
        // So the ciphertexts' XOR does not give away the plaintexts' XOR.
        let bodies = xor(&m1[HEADER..HEADER + len], &m2[HEADER..HEADER + len]);
        prop_assert_ne!(bodies, xor(lost, other));
        // The receiver takes the first and refuses the repeat of its number.
        prop_assert_eq!(bob.decrypt(&m1).unwrap().to_vec(), lost.to_vec());
        prop_assert_eq!(bob.decrypt(&m2).err(), Some(RatchetError::Duplicate));
    }

    /// The same after arbitrary conversation (DH ratchet steps both ways, a pending
    /// sending step or not): the bodies of a lost message and of the rolled-back
    /// sender's next message never XOR to the plaintexts' XOR, and the receiver never
    /// accepts both.
    #[test]
    fn rollback_after_any_conversation_reuses_no_keystream(
        seed in any::<u64>(),
        turns in prop::collection::vec((any::<bool>(), 1usize..4), 0..6),
        lost in prop::collection::vec(any::<u8>(), 32..64),
        other in prop::collection::vec(any::<u8>(), 32..64),
    ) {
        let len = lost.len().min(other.len());
        let (lost, other) = (&lost[..len], &other[..len]);
        let mut rng = TestRng::new(seed);
        let (mut alice, mut bob) = ratchet_support::pair(&mut rng);
        // A first message so that Bob can answer.
        bob.decrypt(&alice.encrypt(b"hello", &mut rng).unwrap()).unwrap();
        for (from_alice, count) in turns {
            let (from, to) = if from_alice { (&mut alice, &mut bob) } else { (&mut bob, &mut alice) };
            for _ in 0..count {
                to.decrypt(&from.encrypt(b"turn", &mut rng).unwrap()).unwrap();
            }
        }
        let persisted = snapshot(&alice);
        let m1 = alice.encrypt(lost, &mut rng).unwrap();
        let mut restored = Session::unpickle(&snapshot_key(), &persisted).unwrap();
        let m2 = restored.encrypt(other, &mut rng).unwrap();
        let bodies = xor(&m1[HEADER..HEADER + len], &m2[HEADER..HEADER + len]);
        prop_assert_ne!(bodies, xor(lost, other));
        prop_assert_eq!(bob.decrypt(&m1).unwrap().to_vec(), lost.to_vec());
        prop_assert!(bob.decrypt(&m2).is_err());
    }
}
