//! Published bundles are encrypted per part under the invitation's bundle key: the relay
//! stores random bytes of a fixed size per part, cannot link two bundles of one identity,
//! and cannot alter, move or relabel a part without the fetcher noticing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use corridor_client::primitives::random::OsRng;
use corridor_client::primitives::x25519::{X25519Public, X25519Secret};
use corridor_client::protocol::bundle::{
    BLOB_OVERHEAD, BundleError, BundleKey, LAST_RESORT_LEN, ONE_TIME_KEY_LEN, PrekeyRef, PrekeySet,
    SIGNED_PART_LEN, VerifiedBundle,
};
use corridor_client::protocol::handshake;
use corridor_client::protocol::identity::Identity;
use corridor_wire::api::{Bundle, FetchBundleResponse, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;
use proptest::prelude::*;
use std::collections::HashSet;

/// The bundle id every prekey signature in these tests covers.
const BUNDLE_ID: [u8; 16] = *b"test bundle id 1";

struct Invitation {
    seal: X25519Public,
    bundle_id: [u8; 16],
}

impl Invitation {
    fn fresh() -> Self {
        Self {
            seal: X25519Secret::generate(&mut OsRng).unwrap().public(),
            bundle_id: rand_id(),
        }
    }

    fn key(&self) -> BundleKey {
        BundleKey::derive(&self.seal, &self.bundle_id).unwrap()
    }
}

fn rand_id() -> [u8; 16] {
    corridor_client::primitives::random::array(&mut OsRng).unwrap()
}

fn fetch_one_time(bundle: &Bundle, i: usize) -> FetchBundleResponse {
    FetchBundleResponse {
        signed: bundle.signed.clone(),
        prekey: HandedPrekey::OneTime(bundle.one_time[i].clone()),
    }
}

fn fetch_last_resort(bundle: &Bundle) -> FetchBundleResponse {
    FetchBundleResponse {
        signed: bundle.signed.clone(),
        prekey: HandedPrekey::LastResort {
            key: bundle.last_resort.clone(),
        },
    }
}

fn windows(parts: &[&[u8]]) -> HashSet<Vec<u8>> {
    parts
        .iter()
        .flat_map(|p| p.windows(8).map(<[u8]>::to_vec))
        .collect()
}

fn all_parts(bundle: &Bundle) -> Vec<&[u8]> {
    let mut parts = vec![bundle.signed.as_bytes(), bundle.last_resort.as_bytes()];
    parts.extend(bundle.one_time.iter().map(|p| p.key.as_bytes()));
    parts
}

#[test]
fn a_sealed_bundle_verifies_and_the_handshake_completes() {
    let bob = Identity::generate(&mut OsRng).unwrap();
    let prekeys = PrekeySet::generate(2, &mut OsRng).unwrap();
    let inv = Invitation::fresh();
    let bundle = prekeys.bundle(&bob, &inv.key(), &mut OsRng).unwrap();
    let alice = Identity::generate(&mut OsRng).unwrap();
    for fetched in [
        fetch_one_time(&bundle, 0),
        fetch_one_time(&bundle, 1),
        fetch_last_resort(&bundle),
    ] {
        let verified =
            VerifiedBundle::from_fetch(&fetched, &bob.fingerprint(), &inv.key()).unwrap();
        assert_eq!(verified.identity(), &bob.public());
        let init = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
        let r = handshake::respond(&bob, &prekeys, &init.header).unwrap();
        assert_eq!(r.output.shared, init.output.shared);
    }
    let last =
        VerifiedBundle::from_fetch(&fetch_last_resort(&bundle), &bob.fingerprint(), &inv.key())
            .unwrap();
    assert!(matches!(last.prekey().0, PrekeyRef::LastResort(_)));
}

#[test]
fn the_relay_sees_fixed_size_random_parts_unlinkable_across_invitations() {
    let org = Identity::generate(&mut OsRng).unwrap();
    let first = PrekeySet::generate(3, &mut OsRng).unwrap();
    let second = PrekeySet::generate(3, &mut OsRng).unwrap();
    let a = first
        .bundle(&org, &Invitation::fresh().key(), &mut OsRng)
        .unwrap();
    let b = second
        .bundle(&org, &Invitation::fresh().key(), &mut OsRng)
        .unwrap();
    // The same prekey set republished for the same invitation shares nothing either
    // (fresh nonce per part).
    let inv = Invitation::fresh();
    let c1 = first.bundle(&org, &inv.key(), &mut OsRng).unwrap();
    let c2 = first.bundle(&org, &inv.key(), &mut OsRng).unwrap();

    for bundle in [&a, &b, &c1] {
        assert_eq!(
            bundle.signed.as_bytes().len(),
            SIGNED_PART_LEN + BLOB_OVERHEAD
        );
        assert_eq!(
            bundle.last_resort.as_bytes().len(),
            LAST_RESORT_LEN + BLOB_OVERHEAD
        );
        for otp in &bundle.one_time {
            assert_eq!(otp.key.as_bytes().len(), ONE_TIME_KEY_LEN + BLOB_OVERHEAD);
        }
        // No 8-byte window of the identity keys, nor of the plain parts, is visible.
        let keys = org.public().key_bytes();
        let plain = first.plain_bundle(&org, &BUNDLE_ID);
        let secret = windows(&[&keys, &all_parts(&plain).concat()]);
        let seen = windows(&all_parts(bundle));
        assert!(secret.is_disjoint(&seen), "a plain window is visible");
    }
    assert!(windows(&all_parts(&a)).is_disjoint(&windows(&all_parts(&b))));
    assert!(windows(&all_parts(&c1)).is_disjoint(&windows(&all_parts(&c2))));
}

#[test]
fn the_wrong_invitation_key_is_a_typed_decrypt_error() {
    let bob = Identity::generate(&mut OsRng).unwrap();
    let prekeys = PrekeySet::generate(1, &mut OsRng).unwrap();
    let inv = Invitation::fresh();
    let bundle = prekeys.bundle(&bob, &inv.key(), &mut OsRng).unwrap();
    let other_seal = BundleKey::derive(&Invitation::fresh().seal, &inv.bundle_id).unwrap();
    let other_id = BundleKey::derive(&inv.seal, &rand_id()).unwrap();
    for key in [other_seal, other_id] {
        assert_eq!(
            VerifiedBundle::from_fetch(&fetch_one_time(&bundle, 0), &bob.fingerprint(), &key).err(),
            Some(BundleError::Decrypt)
        );
    }
}

#[test]
fn every_bit_flip_of_a_published_part_is_refused() {
    let bob = Identity::generate(&mut OsRng).unwrap();
    let prekeys = PrekeySet::generate(1, &mut OsRng).unwrap();
    let inv = Invitation::fresh();
    let key = inv.key();
    let bundle = prekeys.bundle(&bob, &key, &mut OsRng).unwrap();
    let fp = bob.fingerprint();
    let signed = bundle.signed.as_bytes().to_vec();
    for i in 0..signed.len() * 8 {
        let mut bad = signed.clone();
        bad[i / 8] ^= 1 << (i % 8);
        let mut fetched = fetch_one_time(&bundle, 0);
        fetched.signed = Blob(bad);
        assert_eq!(
            VerifiedBundle::from_fetch(&fetched, &fp, &key).err(),
            Some(BundleError::Decrypt),
            "signed bit {i}"
        );
    }
    for part in [
        bundle.one_time[0].key.as_bytes().to_vec(),
        bundle.last_resort.as_bytes().to_vec(),
    ] {
        for i in 0..part.len() * 8 {
            let mut bad = part.clone();
            bad[i / 8] ^= 1 << (i % 8);
            let one_time = fetch_one_time(&bundle, 0);
            let mut as_one_time = one_time.clone();
            as_one_time.prekey = HandedPrekey::OneTime(OneTimePrekey {
                id: bundle.one_time[0].id,
                key: Blob(bad.clone()),
            });
            let as_last_resort = FetchBundleResponse {
                signed: one_time.signed.clone(),
                prekey: HandedPrekey::LastResort { key: Blob(bad) },
            };
            for fetched in [as_one_time, as_last_resort] {
                assert_eq!(
                    VerifiedBundle::from_fetch(&fetched, &fp, &key).err(),
                    Some(BundleError::Decrypt),
                    "prekey bit {i}"
                );
            }
        }
    }
}

#[test]
fn the_relay_cannot_relabel_or_move_parts() {
    let bob = Identity::generate(&mut OsRng).unwrap();
    let prekeys = PrekeySet::generate(2, &mut OsRng).unwrap();
    let inv = Invitation::fresh();
    let key = inv.key();
    let bundle = prekeys.bundle(&bob, &key, &mut OsRng).unwrap();
    let fp = bob.fingerprint();
    let signed = bundle.signed.clone();
    let attempts = [
        // One-time key under another id.
        HandedPrekey::OneTime(OneTimePrekey {
            id: bundle.one_time[1].id,
            key: bundle.one_time[0].key.clone(),
        }),
        // One-time key passed off as the last-resort one, and back.
        HandedPrekey::LastResort {
            key: bundle.one_time[0].key.clone(),
        },
        HandedPrekey::OneTime(OneTimePrekey {
            id: bundle.one_time[0].id,
            key: bundle.last_resort.clone(),
        }),
    ];
    for prekey in attempts {
        let fetched = FetchBundleResponse {
            signed: signed.clone(),
            prekey,
        };
        assert_eq!(
            VerifiedBundle::from_fetch(&fetched, &fp, &key).err(),
            Some(BundleError::Decrypt)
        );
    }
    // The signed part in a prekey's place, and a prekey in the signed part's place.
    let swapped = FetchBundleResponse {
        signed: bundle.last_resort.clone(),
        prekey: HandedPrekey::LastResort {
            key: signed.clone(),
        },
    };
    assert_eq!(
        VerifiedBundle::from_fetch(&swapped, &fp, &key).err(),
        Some(BundleError::Decrypt)
    );
    // Another invitation's bundle of the same identity does not open under this key.
    let other = Invitation::fresh();
    let other_bundle = prekeys.bundle(&bob, &other.key(), &mut OsRng).unwrap();
    assert_eq!(
        VerifiedBundle::from_fetch(&fetch_one_time(&other_bundle, 0), &fp, &key).err(),
        Some(BundleError::Decrypt)
    );
}

#[test]
fn bundle_key_debug_is_redacted() {
    assert_eq!(
        format!("{:?}", Invitation::fresh().key()),
        "BundleKey(redacted)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn from_fetch_never_panics(
        signed in proptest::collection::vec(any::<u8>(), 0..2000),
        prekey in proptest::collection::vec(any::<u8>(), 0..200),
        id in any::<u32>(),
        one_time in any::<bool>(),
    ) {
        let key = BundleKey::derive(&X25519Public::from_bytes([9; 32]), &[3; 16]).unwrap();
        let prekey = if one_time {
            HandedPrekey::OneTime(OneTimePrekey { id, key: Blob(prekey) })
        } else {
            HandedPrekey::LastResort { key: Blob(prekey) }
        };
        let fetched = FetchBundleResponse { signed: Blob(signed), prekey };
        let fp = Identity::generate(&mut OsRng).unwrap().fingerprint();
        prop_assert_eq!(
            VerifiedBundle::from_fetch(&fetched, &fp, &key).err(),
            Some(BundleError::Decrypt)
        );
    }
}
