//! Bundles, the hybrid X3DH handshake and the sealed initial envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod protocol_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::mlkem::KemSecret;
use corridor_client::primitives::random::OsRng;
use corridor_client::primitives::x25519::{X25519Public, X25519Secret};
use corridor_client::protocol::bundle::{BundleError, PrekeyRef, PrekeySet, VerifiedBundle};
use corridor_client::protocol::envelope::ENVELOPE_VERSION;
use corridor_client::protocol::handshake::{
    self, HandshakeError, INITIAL_INNER_LEN, Initiation, open_initial, seal_initial,
};
use corridor_client::protocol::identity::Identity;
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{Bundle, HandedPrekey};
use corridor_wire::b64::Blob;
use proptest::prelude::*;
use protocol_support::VectorRng;

/// The bundle id every prekey signature in these tests covers.
const BUNDLE_ID: [u8; 16] = *b"test bundle id 1";

struct Responder {
    identity: Identity,
    prekeys: PrekeySet,
    bundle: Bundle,
}

fn responder(one_time: usize) -> Responder {
    let identity = Identity::generate(&mut OsRng).unwrap();
    let prekeys = PrekeySet::generate(one_time, &mut OsRng).unwrap();
    let bundle = prekeys.plain_bundle(&identity, &BUNDLE_ID);
    Responder {
        identity,
        prekeys,
        bundle,
    }
}

fn handed_one_time(bundle: &Bundle) -> HandedPrekey {
    HandedPrekey::OneTime(bundle.one_time[0].clone())
}

fn handed_last_resort(bundle: &Bundle) -> HandedPrekey {
    HandedPrekey::LastResort {
        key: bundle.last_resort.clone(),
    }
}

fn verify(r: &Responder, handed: &HandedPrekey) -> Result<VerifiedBundle, BundleError> {
    VerifiedBundle::verify(
        r.bundle.signed.as_bytes(),
        handed,
        &r.identity.fingerprint(),
        &BUNDLE_ID,
    )
}

#[test]
fn both_sides_derive_the_same_secret_with_a_one_time_prekey() {
    let b = responder(3);
    let alice = Identity::generate(&mut OsRng).unwrap();
    let verified = verify(&b, &handed_one_time(&b.bundle)).unwrap();
    let Initiation {
        output,
        header,
        remote_ratchet,
        ..
    } = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
    let response = handshake::respond(&b.identity, &b.prekeys, &header).unwrap();
    assert_eq!(output.shared, response.output.shared);
    assert_eq!(output.associated_data, response.output.associated_data);
    assert_eq!(output.associated_data.len(), 128);
    assert_eq!(output.peer, b.identity.public());
    assert_eq!(response.output.peer, alice.public());
    assert_eq!(remote_ratchet, response.own_ratchet.public());
    assert_eq!(response.prekey, PrekeyRef::OneTime(b.bundle.one_time[0].id));

    // Consuming the one-time prekey makes a replayed header fail.
    let mut prekeys = b.prekeys.clone();
    assert!(prekeys.consume(response.prekey));
    assert_eq!(prekeys.one_time_count(), 2);
    assert_eq!(
        handshake::respond(&b.identity, &prekeys, &header).err(),
        Some(HandshakeError::UnknownPrekey)
    );
}

#[test]
fn last_resort_prekey_stands_in_when_none_is_left() {
    let b = responder(0);
    assert!(b.bundle.one_time.is_empty());
    let alice = Identity::generate(&mut OsRng).unwrap();
    let verified = verify(&b, &handed_last_resort(&b.bundle)).unwrap();
    let init = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
    assert!(matches!(init.header.prekey(), PrekeyRef::LastResort(_)));
    let response = handshake::respond(&b.identity, &b.prekeys, &init.header).unwrap();
    assert_eq!(init.output.shared, response.output.shared);
    // The last-resort prekey survives consumption.
    let mut prekeys = b.prekeys.clone();
    assert!(!prekeys.consume(response.prekey));
    assert!(handshake::respond(&b.identity, &prekeys, &init.header).is_ok());
}

#[test]
fn different_initiations_give_different_secrets() {
    let b = responder(2);
    let alice = Identity::generate(&mut OsRng).unwrap();
    let verified = verify(&b, &handed_one_time(&b.bundle)).unwrap();
    let x = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
    let y = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
    assert_ne!(x.output.shared, y.output.shared);
    assert_ne!(x.header.ephemeral(), y.header.ephemeral());
}

#[test]
fn a_bundle_with_any_bad_signature_is_refused() {
    let b = responder(1);
    let fp = b.identity.fingerprint();
    let signed = b.bundle.signed.as_bytes().to_vec();
    let otp = handed_one_time(&b.bundle);
    let lr = handed_last_resort(&b.bundle);
    verify(&b, &otp).unwrap();
    verify(&b, &lr).unwrap();

    // Every bit of the signed part: some flips break the identity, some a key, some a
    // signature; none is accepted.
    for i in 0..signed.len() * 8 {
        let mut bad = signed.clone();
        bad[i / 8] ^= 1 << (i % 8);
        assert!(
            VerifiedBundle::verify(&bad, &otp, &fp, &BUNDLE_ID).is_err(),
            "signed bit {i} accepted"
        );
    }
    // Every bit of the one-time prekey blob and its id.
    let HandedPrekey::OneTime(one) = &otp else {
        unreachable!()
    };
    for i in 0..one.key.0.len() * 8 {
        let mut bad = one.clone();
        bad.key.0[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            VerifiedBundle::verify(&signed, &HandedPrekey::OneTime(bad), &fp, &BUNDLE_ID).err(),
            Some(BundleError::BadSignature),
            "one-time bit {i} accepted"
        );
    }
    let mut bad_id = one.clone();
    bad_id.id ^= 1;
    assert_eq!(
        VerifiedBundle::verify(&signed, &HandedPrekey::OneTime(bad_id), &fp, &BUNDLE_ID).err(),
        Some(BundleError::BadSignature)
    );
    // Every bit of the last-resort blob.
    for i in 0..b.bundle.last_resort.0.len() * 8 {
        let mut bad = b.bundle.last_resort.clone();
        bad.0[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            VerifiedBundle::verify(
                &signed,
                &HandedPrekey::LastResort { key: bad },
                &fp,
                &BUNDLE_ID
            )
            .err(),
            Some(BundleError::BadSignature),
            "last-resort bit {i} accepted"
        );
    }
}

#[test]
fn a_relay_cannot_swap_prekey_kinds_or_keys_between_identities() {
    let b = responder(1);
    let fp = b.identity.fingerprint();
    let signed = b.bundle.signed.as_bytes();
    // A last-resort blob presented as a one-time prekey (and vice versa) fails.
    let lr = &b.bundle.last_resort.0;
    let as_one_time = HandedPrekey::OneTime(corridor_wire::api::OneTimePrekey {
        id: u32::from_be_bytes(lr[..4].try_into().unwrap()),
        key: Blob(lr[4..].to_vec()),
    });
    assert_eq!(
        VerifiedBundle::verify(signed, &as_one_time, &fp, &BUNDLE_ID).err(),
        Some(BundleError::BadSignature)
    );
    let one = &b.bundle.one_time[0];
    let as_last_resort = HandedPrekey::LastResort {
        key: Blob([one.id.to_be_bytes().as_slice(), &one.key.0].concat()),
    };
    assert_eq!(
        VerifiedBundle::verify(signed, &as_last_resort, &fp, &BUNDLE_ID).err(),
        Some(BundleError::BadSignature)
    );
    // Another identity's prekey fails.
    let other = responder(1);
    assert_eq!(
        VerifiedBundle::verify(signed, &handed_one_time(&other.bundle), &fp, &BUNDLE_ID).err(),
        Some(BundleError::BadSignature)
    );
}

#[test]
fn a_bundle_for_another_identity_is_refused() {
    let b = responder(1);
    let mallory = responder(1);
    // The relay substitutes a whole, validly signed bundle of someone else.
    assert_eq!(
        VerifiedBundle::verify(
            mallory.bundle.signed.as_bytes(),
            &handed_one_time(&mallory.bundle),
            &b.identity.fingerprint(),
            &BUNDLE_ID
        )
        .err(),
        Some(BundleError::WrongIdentity)
    );
}

/// An initial envelope sealed to a responder's seal key and ML-KEM prekey.
struct Sealed {
    seal: X25519Secret,
    prekeys: PrekeySet,
    env: [u8; ENVELOPE_SIZE],
    inner: Vec<u8>,
    init: Initiation,
}

impl Sealed {
    fn kems(&self) -> Vec<&KemSecret> {
        self.prekeys.kem_secrets()
    }
}

fn sealed_pair() -> Sealed {
    let b = responder(1);
    let alice = Identity::generate(&mut OsRng).unwrap();
    let verified = verify(&b, &handed_one_time(&b.bundle)).unwrap();
    let init = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
    let seal = X25519Secret::generate(&mut OsRng).unwrap();
    let inner: Vec<u8> = (0..INITIAL_INNER_LEN).map(|i| i as u8).collect();
    let env = seal_initial(
        &seal.public(),
        &init.kem_prekey,
        &init.header,
        &inner,
        &mut OsRng,
    )
    .unwrap();
    Sealed {
        seal,
        prekeys: b.prekeys,
        env,
        inner,
        init,
    }
}

#[test]
fn initial_envelope_round_trips_and_is_exactly_one_block() {
    let p = sealed_pair();
    let (seal, env, inner, init) = (&p.seal, p.env, &p.inner, &p.init);
    assert_eq!(env.len(), ENVELOPE_SIZE);
    assert_eq!(INITIAL_INNER_LEN, 1696);
    let opened = open_initial(seal, &p.kems(), &env).unwrap();
    assert_eq!(opened.header, init.header);
    assert_eq!(opened.inner.as_slice(), inner.as_slice());
    // Wrong inner length is refused on sealing.
    assert_eq!(
        seal_initial(
            &seal.public(),
            &init.kem_prekey,
            &init.header,
            &inner[1..],
            &mut OsRng
        )
        .err(),
        Some(HandshakeError::Length)
    );
    // Another seal key cannot open it, even with the right ML-KEM secret.
    let other = X25519Secret::generate(&mut OsRng).unwrap();
    assert_eq!(
        open_initial(&other, &p.kems(), &env).err(),
        Some(HandshakeError::Decrypt)
    );
}

#[test]
fn the_hybrid_seal_needs_both_the_x25519_and_the_ml_kem_secret() {
    let p = sealed_pair();
    // The right seal secret with another ML-KEM secret (or none) does not open it: a
    // quantum adversary who recovers the X25519 secret still lacks the ML-KEM part.
    let stranger = KemSecret::generate(&mut OsRng).unwrap();
    assert_eq!(
        open_initial(&p.seal, &[&stranger], &p.env).err(),
        Some(HandshakeError::Decrypt)
    );
    assert_eq!(
        open_initial(&p.seal, &[], &p.env).err(),
        Some(HandshakeError::Decrypt)
    );
    // A seal whose ML-KEM part went to another key does not open with the right one.
    let wrong_kem = seal_initial(
        &p.seal.public(),
        &stranger.public(),
        &p.init.header,
        &p.inner,
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        open_initial(&p.seal, &p.kems(), &wrong_kem).err(),
        Some(HandshakeError::Decrypt)
    );
    // ... but does with that key, so the failure above is the ML-KEM part's alone.
    assert_eq!(
        open_initial(&p.seal, &[&stranger], &wrong_kem)
            .unwrap()
            .header,
        p.init.header
    );
    // A seal whose X25519 part went to another key does not open either.
    let other = X25519Secret::generate(&mut OsRng).unwrap();
    let wrong_x = seal_initial(
        &other.public(),
        &p.init.kem_prekey,
        &p.init.header,
        &p.inner,
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        open_initial(&p.seal, &p.kems(), &wrong_x).err(),
        Some(HandshakeError::Decrypt)
    );
    // Swapping in another envelope's ML-KEM ciphertext breaks it.
    let mut spliced = p.env;
    spliced[33..33 + 1088].copy_from_slice(&wrong_kem[33..33 + 1088]);
    assert_eq!(
        open_initial(&p.seal, &p.kems(), &spliced).err(),
        Some(HandshakeError::Decrypt)
    );
}

#[test]
fn an_envelope_sealed_before_a_rotation_opens_during_the_overlap_only() {
    let mut p = sealed_pair();
    p.prekeys.rotate(&mut OsRng).unwrap();
    // The previous ML-KEM prekey is tried second.
    assert_eq!(p.kems().len(), 2);
    assert_eq!(
        open_initial(&p.seal, &p.kems(), &p.env).unwrap().header,
        p.init.header
    );
    assert!(p.prekeys.forget_previous());
    assert_eq!(
        open_initial(&p.seal, &p.kems(), &p.env).err(),
        Some(HandshakeError::Decrypt)
    );
}

#[test]
fn initial_envelope_shows_no_stable_value() {
    // Two envelopes with the same header share no 8-byte window, and neither contains
    // the initiator's keys, the handshake ephemeral or the seal key.
    let p = sealed_pair();
    let (seal, env, inner, init) = (&p.seal, p.env, &p.inner, &p.init);
    let env2 = seal_initial(
        &seal.public(),
        &init.kem_prekey,
        &init.header,
        inner,
        &mut OsRng,
    )
    .unwrap();
    let windows = |e: &[u8]| -> std::collections::HashSet<Vec<u8>> {
        e.windows(8).map(<[u8]>::to_vec).collect()
    };
    let common: Vec<_> = windows(&env)
        .intersection(&windows(&env2))
        .cloned()
        .collect();
    assert!(
        common.is_empty(),
        "envelopes share {} windows",
        common.len()
    );
    let initiator = init.header.initiator().key_bytes();
    let ephemeral = init.header.ephemeral().to_bytes();
    for needle in [
        &initiator[..32],
        &initiator[32..],
        &ephemeral[..],
        &seal.public().to_bytes()[..],
        &init.kem_prekey.to_bytes()[..],
    ] {
        assert!(!env.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn initial_envelopes_start_with_the_shared_version_byte_and_e_top_bit_varies() {
    // The relay must not tell an intake mailbox from a conversation mailbox by the first
    // byte, nor by the top bit of E's last byte (always clear in a canonical X25519 key).
    // (`ratchet_handshake.rs` checks the first byte against real ratchet envelopes.)
    let p = sealed_pair();
    let (seal, env, inner, init) = (&p.seal, p.env, &p.inner, &p.init);
    assert_eq!(env[0], ENVELOPE_VERSION);
    let mut top_bits = [0usize; 2];
    for _ in 0..64 {
        let e = seal_initial(
            &seal.public(),
            &init.kem_prekey,
            &init.header,
            inner,
            &mut OsRng,
        )
        .unwrap();
        assert_eq!(e[0], ENVELOPE_VERSION);
        top_bits[usize::from(e[32] >> 7)] += 1;
        // Whatever the bit, the receiver opens it.
        assert_eq!(
            open_initial(seal, &p.kems(), &e).unwrap().header,
            init.header
        );
    }
    // 64 fair coins all landing the same way: probability 2^-63.
    assert!(
        top_bits[0] > 0 && top_bits[1] > 0,
        "top bit never varied: {top_bits:?}"
    );
}

#[test]
fn every_bit_flip_of_an_initial_envelope_is_refused() {
    let p = sealed_pair();
    let (seal, env) = (&p.seal, p.env);
    for i in 0..ENVELOPE_SIZE * 8 {
        let mut bad = env;
        bad[i / 8] ^= 1 << (i % 8);
        assert!(
            open_initial(seal, &p.kems(), &bad).is_err(),
            "bit {i} accepted"
        );
    }
}

#[test]
fn wrong_sizes_and_low_order_keys_are_typed_errors() {
    let p = sealed_pair();
    let (seal, env, inner, init) = (&p.seal, p.env, &p.inner, &p.init);
    assert_eq!(
        open_initial(seal, &p.kems(), &env[..ENVELOPE_SIZE - 1]).err(),
        Some(HandshakeError::Length)
    );
    assert_eq!(
        open_initial(seal, &p.kems(), &[]).err(),
        Some(HandshakeError::Length)
    );
    let mut zero_key = env;
    zero_key[1..33].fill(0);
    assert_eq!(
        open_initial(seal, &p.kems(), &zero_key).err(),
        Some(HandshakeError::Decrypt)
    );
    // Every first byte other than the shared version byte is refused before any
    // decryption.
    for version in (0..=u8::MAX).filter(|v| *v != ENVELOPE_VERSION) {
        let mut bad = env;
        bad[0] = version;
        assert_eq!(
            open_initial(seal, &p.kems(), &bad).err(),
            Some(HandshakeError::EnvelopeVersion)
        );
    }
    assert!(matches!(
        seal_initial(
            &X25519Public::from_bytes([0; 32]),
            &init.kem_prekey,
            &init.header,
            inner,
            &mut OsRng
        ),
        Err(HandshakeError::Crypto(_))
    ));
}

#[test]
fn deterministic_given_the_rng() {
    let run = || {
        let mut rng = VectorRng::new(b"determinism");
        let bob = Identity::generate(&mut rng).unwrap();
        let prekeys = PrekeySet::generate(1, &mut rng).unwrap();
        let bundle = prekeys.plain_bundle(&bob, &BUNDLE_ID);
        let alice = Identity::generate(&mut rng).unwrap();
        let verified = VerifiedBundle::verify(
            bundle.signed.as_bytes(),
            &handed_one_time(&bundle),
            &bob.fingerprint(),
            &BUNDLE_ID,
        )
        .unwrap();
        let init = handshake::initiate(&alice, &verified, &mut rng).unwrap();
        (init.output.shared.expose().to_vec(), init.header.encode())
    };
    assert_eq!(run(), run());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn open_initial_never_panics(bytes in proptest::collection::vec(any::<u8>(), ENVELOPE_SIZE)) {
        let seal = X25519Secret::from_bytes([7; 32]);
        let kem = KemSecret::from_seed(Secret::from_bytes([7; 64]));
        prop_assert!(open_initial(&seal, &[&kem], &bytes).is_err());
    }

    #[test]
    fn open_initial_never_panics_on_any_length(bytes in proptest::collection::vec(any::<u8>(), 0..5000)) {
        let seal = X25519Secret::from_bytes([7; 32]);
        let kem = KemSecret::from_seed(Secret::from_bytes([7; 64]));
        prop_assert!(open_initial(&seal, &[&kem], &bytes).is_err());
    }

    #[test]
    fn header_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
        let _ = handshake::InitialHeader::decode(&bytes);
    }

    #[test]
    fn bundle_verify_never_panics(
        signed in proptest::collection::vec(any::<u8>(), 0..1600),
        key in proptest::collection::vec(any::<u8>(), 0..120),
        id in any::<u32>(),
        last in any::<bool>(),
    ) {
        let handed = if last {
            HandedPrekey::LastResort { key: Blob(key) }
        } else {
            HandedPrekey::OneTime(corridor_wire::api::OneTimePrekey { id, key: Blob(key) })
        };
        let fp = corridor_client::protocol::identity::Fingerprint([0; 32]);
        prop_assert!(VerifiedBundle::verify(&signed, &handed, &fp, &BUNDLE_ID).is_err());
    }
}

#[test]
fn rotation_keeps_in_flight_handshakes_working_until_forgotten() {
    let mut b = responder(2);
    let alice = Identity::generate(&mut OsRng).unwrap();
    // Alice fetched the old bundle before the rotation.
    let old = verify(&b, &handed_one_time(&b.bundle)).unwrap();
    let before = handshake::initiate(&alice, &old, &mut OsRng).unwrap();

    let old_signed = b.bundle.signed.clone();
    b.prekeys.rotate(&mut OsRng).unwrap();
    b.bundle = b.prekeys.plain_bundle(&b.identity, &BUNDLE_ID);
    assert_ne!(b.bundle.signed, old_signed);
    let (new_id, _) = b.prekeys.signed_prekey();

    // A handshake against the new bundle works and uses the new ids.
    let new = verify(&b, &handed_one_time(&b.bundle)).unwrap();
    assert_eq!(new.signed_prekey().0, new_id);
    let after = handshake::initiate(&alice, &new, &mut OsRng).unwrap();
    let r = handshake::respond(&b.identity, &b.prekeys, &after.header).unwrap();
    assert_eq!(r.output.shared, after.output.shared);
    assert_eq!(r.own_ratchet.public(), after.remote_ratchet);

    // The in-flight one still completes, with the old signed prekey as ratchet key.
    let r = handshake::respond(&b.identity, &b.prekeys, &before.header).unwrap();
    assert_eq!(r.output.shared, before.output.shared);
    assert_eq!(r.own_ratchet.public(), before.remote_ratchet);

    // The rotation survives a pickle round trip.
    let key = corridor_client::primitives::Secret::from_bytes([9; 32]);
    let restored = PrekeySet::unpickle(&key, &b.prekeys.pickle(&key, &mut OsRng).unwrap()).unwrap();
    assert!(handshake::respond(&b.identity, &restored, &before.header).is_ok());

    // Once forgotten, the old keys are gone: forward secrecy for those handshakes.
    assert!(b.prekeys.forget_previous());
    assert_eq!(
        handshake::respond(&b.identity, &b.prekeys, &before.header).err(),
        Some(HandshakeError::UnknownPrekey)
    );
    assert!(handshake::respond(&b.identity, &b.prekeys, &after.header).is_ok());
}
