//! Every prekey signature binds the bundle it belongs to: a holder of two invitations of one
//! identity (the organization's stable identity behind several intake codes) cannot splice a
//! prekey of one invitation's bundle into the other's. Both bundles are genuine and every
//! signature in them is valid; only the bundle id inside the signed bytes tells them apart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use corridor_client::primitives::random::{self, OsRng};
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::primitives::{Secret, aead, kdf};
use corridor_client::protocol::bundle::{
    BLOB_LAST_RESORT_LABEL, BLOB_ONE_TIME_LABEL, BLOB_SIGNED_LABEL, BUNDLE_KEY_INFO, BundleError,
    BundleKey, PrekeySet, VerifiedBundle,
};
use corridor_client::protocol::identity::Identity;
use corridor_wire::api::{Bundle, FetchBundleResponse, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;

/// One invitation of `identity`: its bundle id, seal key, bundle key, and its bundle both
/// plain and as published.
struct Published {
    bundle_id: [u8; 16],
    seal: [u8; 32],
    key: BundleKey,
    plain: Bundle,
    bundle: Bundle,
}

fn publish(identity: &Identity) -> Published {
    let bundle_id: [u8; 16] = random::array(&mut OsRng).unwrap();
    let seal = X25519Secret::generate(&mut OsRng).unwrap().public();
    let key = BundleKey::derive(&seal, &bundle_id).unwrap();
    let set = PrekeySet::generate(2, &mut OsRng).unwrap();
    Published {
        plain: set.plain_bundle(identity, &bundle_id),
        bundle: set.bundle(identity, &key, &mut OsRng).unwrap(),
        bundle_id,
        seal: seal.to_bytes(),
        key,
    }
}

/// What the splicer, who holds both invitations, does: encrypt a plain part under the
/// target's bundle key as the documented format says (`nonce || ChaCha20-Poly1305(key,
/// nonce, aad, plain)`, key = HKDF(bundle id, seal key, BUNDLE_KEY_INFO)), so that the
/// bundle encryption is no obstacle and only the signatures can refuse the splice.
fn reseal(target: &Published, aad: &[u8], plain: &[u8]) -> Blob {
    let mut key = [0u8; 32];
    kdf::hkdf_sha256(&target.bundle_id, &target.seal, BUNDLE_KEY_INFO, &mut key).unwrap();
    let nonce: [u8; 12] = random::array(&mut OsRng).unwrap();
    let sealed = aead::seal(&Secret::from_bytes(key), &nonce, aad, plain).unwrap();
    Blob([nonce.as_slice(), &sealed].concat())
}

fn one_time_aad(id: u32) -> Vec<u8> {
    [BLOB_ONE_TIME_LABEL, &id.to_be_bytes()].concat()
}

#[test]
fn a_prekey_spliced_from_another_invitation_is_refused() {
    let org = Identity::generate(&mut OsRng).unwrap();
    let a = publish(&org);
    let b = publish(&org);
    let fp = org.fingerprint();

    // Both genuine bundles verify.
    for p in [&a, &b] {
        let fetch = FetchBundleResponse {
            signed: p.bundle.signed.clone(),
            prekey: HandedPrekey::OneTime(p.bundle.one_time[0].clone()),
        };
        VerifiedBundle::from_fetch(&fetch, &fp, &p.key).unwrap();
    }

    // A's one-time prekey (validly signed by the same identity), re-encrypted under B's
    // key with B's associated data for that id, handed out with B's signed part.
    let stolen = &a.plain.one_time[0];
    let spliced = FetchBundleResponse {
        signed: b.bundle.signed.clone(),
        prekey: HandedPrekey::OneTime(OneTimePrekey {
            id: stolen.id,
            key: reseal(&b, &one_time_aad(stolen.id), stolen.key.as_bytes()),
        }),
    };
    assert_eq!(
        VerifiedBundle::from_fetch(&spliced, &fp, &b.key).err(),
        Some(BundleError::BadSignature)
    );

    // The same with A's last-resort prekey.
    let spliced = FetchBundleResponse {
        signed: b.bundle.signed.clone(),
        prekey: HandedPrekey::LastResort {
            key: reseal(&b, BLOB_LAST_RESORT_LABEL, a.plain.last_resort.as_bytes()),
        },
    };
    assert_eq!(
        VerifiedBundle::from_fetch(&spliced, &fp, &b.key).err(),
        Some(BundleError::BadSignature)
    );

    // A's whole signed part (signed and ML-KEM prekeys) with B's genuine one-time prekey.
    let spliced = FetchBundleResponse {
        signed: reseal(&b, BLOB_SIGNED_LABEL, a.plain.signed.as_bytes()),
        prekey: HandedPrekey::OneTime(b.bundle.one_time[0].clone()),
    };
    assert_eq!(
        VerifiedBundle::from_fetch(&spliced, &fp, &b.key).err(),
        Some(BundleError::BadSignature)
    );

    // The control: re-encrypting B's own plain part the same way is accepted, so the
    // refusals above come from the bundle id in the signatures, not from the re-sealing.
    let own = &b.plain.one_time[1];
    let resealed = FetchBundleResponse {
        signed: reseal(&b, BLOB_SIGNED_LABEL, b.plain.signed.as_bytes()),
        prekey: HandedPrekey::OneTime(OneTimePrekey {
            id: own.id,
            key: reseal(&b, &one_time_aad(own.id), own.key.as_bytes()),
        }),
    };
    VerifiedBundle::from_fetch(&resealed, &fp, &b.key).unwrap();
}

#[test]
fn plain_verification_names_the_bundle_id() {
    let org = Identity::generate(&mut OsRng).unwrap();
    let p = publish(&org);
    let handed = HandedPrekey::OneTime(p.plain.one_time[0].clone());
    let fp = org.fingerprint();
    VerifiedBundle::verify(p.plain.signed.as_bytes(), &handed, &fp, &p.bundle_id).unwrap();
    let mut other = p.bundle_id;
    other[15] ^= 1;
    assert_eq!(
        VerifiedBundle::verify(p.plain.signed.as_bytes(), &handed, &fp, &other).err(),
        Some(BundleError::BadSignature)
    );
    assert_eq!(p.key.bundle_id(), &p.bundle_id);
}
