//! Cost figures for the ratchet and envelopes, as ratios against a baseline measured in the
//! same run (never timed assertions). Ignored by default; run with
//! `cargo test -p corridor-client --test ratchet_bench -- --ignored --nocapture` (a few
//! minutes: building the worst-case receiver takes 2,000 DH round trips).
#![allow(clippy::unwrap_used)]

mod ratchet_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::aead;
use corridor_client::protocol::envelope::{self, BLOCK_MESSAGE_LEN, ENVELOPE_SIZE};
use corridor_client::protocol::ratchet::{MAX_SKIPPED_KEYS, Session};
use ratchet_support::{TestRng, pair};
use std::time::Instant;

fn per_op<F: FnMut()>(n: u32, mut f: F) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

/// A receiver holding `MAX_SKIPPED_KEYS` skipped keys, one per chain: the most header
/// trial decryptions a message can cost.
fn worst_case_receiver(rng: &mut TestRng) -> (Session, Session) {
    let (mut alice, mut bob) = pair(rng);
    for _ in 0..MAX_SKIPPED_KEYS {
        let _lost = alice.encrypt(b"lost", rng).unwrap();
        let seen = alice.encrypt(b"seen", rng).unwrap();
        bob.decrypt(&seen).unwrap();
        let reply = bob.encrypt(b"reply", rng).unwrap();
        alice.decrypt(&reply).unwrap();
    }
    (alice, bob)
}

#[test]
#[ignore = "prints cost ratios; run explicitly"]
fn cost_ratios() {
    let mut rng = TestRng::new(50);
    let key = Secret::from_bytes([1u8; 32]);
    let nonce = [0u8; 12];
    let plain = vec![0u8; BLOCK_MESSAGE_LEN - 16];
    let sealed = aead::seal(&key, &nonce, b"", &plain).unwrap();
    let n = 2000;
    let baseline = per_op(n, || {
        aead::open(&key, &nonce, b"", &sealed).unwrap();
    });

    let (mut alice, mut bob) = pair(&mut rng);
    let envelopes: Vec<[u8; ENVELOPE_SIZE]> = (0..n)
        .map(|_| envelope::seal(&mut alice, b"check-in", &mut rng).unwrap()[0])
        .collect();
    let mut it = envelopes.iter();
    let open = per_op(n, || {
        envelope::open(&mut bob, it.next().unwrap()).unwrap();
    });
    let seal = per_op(200, || {
        envelope::seal(&mut alice, b"check-in", &mut rng).unwrap();
    });

    let forged = [1u8; ENVELOPE_SIZE];
    let (_, mut fresh) = pair(&mut rng);
    let forged_fresh = per_op(n, || {
        assert!(envelope::open(&mut fresh, &forged).is_err());
    });
    let (_, mut loaded) = worst_case_receiver(&mut rng);
    assert_eq!(loaded.skipped_keys(), MAX_SKIPPED_KEYS);
    let forged_loaded = per_op(200, || {
        assert!(envelope::open(&mut loaded, &forged).is_err());
    });

    println!("baseline: ChaCha20-Poly1305 open of one 4 KiB block = 1.0");
    println!(
        "envelope open (same chain)             = {:.1}x",
        open / baseline
    );
    println!(
        "envelope seal (same chain)             = {:.1}x",
        seal / baseline
    );
    println!(
        "forged envelope, no skipped keys       = {:.1}x",
        forged_fresh / baseline
    );
    println!(
        "forged envelope, {MAX_SKIPPED_KEYS} skipped keys in {MAX_SKIPPED_KEYS} chains = {:.1}x",
        forged_loaded / baseline
    );
}
