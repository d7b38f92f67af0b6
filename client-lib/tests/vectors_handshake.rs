//! Test vectors for identities, the handshake and invitations:
//! `docs/test-vectors/{identity,handshake,invitation}.json`.
//!
//! Each file is checked two ways: it must equal, byte for byte, what this code generates
//! from the fixed seeds (so a change of behaviour, or of one byte of the file, fails), and
//! replaying the file's own recorded inputs (including every random byte each operation
//! drew) must reproduce its outputs (so a second implementation needs only the file).
//!
//! Regenerate after a deliberate change:
//! `CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_handshake`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod protocol_support;
mod vectors_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::aead;
use corridor_client::primitives::kdf;
use corridor_client::primitives::mlkem::KemSecret;
use corridor_client::primitives::x25519::{X25519Public, X25519Secret};
use corridor_client::protocol::bundle::{
    BLOB_LAST_RESORT_LABEL, BLOB_ONE_TIME_LABEL, BLOB_SIGNED_LABEL, BUNDLE_KEY_INFO, BundleKey,
    PrekeySet, VerifiedBundle,
};
use corridor_client::protocol::envelope::{self, Reassembler};
use corridor_client::protocol::handshake::{
    self, INITIAL_INNER_LEN, INITIAL_SEAL_INFO, InitialHeader, X3DH_INFO, open_initial,
    seal_initial,
};
use corridor_client::protocol::identity::{Fingerprint, Identity, PublicIdentity, safety_number};
use corridor_client::protocol::invitation::{CHECKSUM_LABEL, Invitation, InvitationKind};
use corridor_client::protocol::ratchet::Session;
use corridor_wire::api::{Bundle, FetchBundleResponse, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::{Blob, Bytes};
use protocol_support::{RecordingRng, ReplayRng, hex, unhex};
use serde_json::{Value, json};

const REGENERATE: &str =
    "CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_handshake";

fn bytes(v: &Value) -> Vec<u8> {
    unhex(v.as_str().expect("hex string")).expect("valid hex")
}

fn array<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().expect("right length")
}

fn replay(v: &Value) -> ReplayRng {
    ReplayRng::new(bytes(v))
}

/// Compares the file with the generated text (or writes it when regenerating), then
/// checks the file by replaying it.
fn check_file(name: &str, generated: Value, replay_check: fn(&Value)) {
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    let on_disk = vectors_support::read_or_regenerate(name, &text, REGENERATE);
    vectors_support::check_text(&on_disk, &text, &as_result(replay_check))
        .unwrap_or_else(|e| panic!("{name}: {e}; if deliberate, regenerate with {REGENERATE}"));
}

/// A panicking replay check as one returning an error.
fn as_result(check: fn(&Value)) -> impl Fn(&Value) -> Result<(), String> {
    move |v| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(v)))
            .map_err(|_| "replay check failed".to_string())
    }
}

/// Changing any one byte of any of these files (in memory) makes its check fail.
#[test]
fn changing_any_byte_of_the_identity_handshake_and_invitation_files_fails() {
    for (name, generated, check) in [
        (
            "identity.json",
            generate_identity(),
            replay_identity as fn(&Value),
        ),
        ("handshake.json", generate_handshake(), replay_handshake),
        ("invitation.json", generate_invitation(), replay_invitation),
    ] {
        let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
        let on_disk = vectors_support::read_or_regenerate(name, &text, REGENERATE);
        vectors_support::every_byte_is_pinned(name, &on_disk, &text, &as_result(check));
    }
}

// ----- identity.json -------------------------------------------------------------------

fn identity_json(name: &str, rng_bytes: &[u8], identity: &Identity) -> Value {
    let public = identity.public();
    json!({
        "name": name,
        "rng": hex(rng_bytes),
        "ed25519_public": hex(public.signing_key().as_bytes()),
        "x25519_public": hex(public.dh_key().as_bytes()),
        "encoded": hex(&public.encode()),
        "fingerprint": hex(identity.fingerprint().as_bytes()),
    })
}

fn generate_identity() -> Value {
    let mut rng = RecordingRng::new(b"Corridor identity test vectors v1");
    let alice = Identity::generate(&mut rng).unwrap();
    let alice_rng = rng.take_drawn();
    let bob = Identity::generate(&mut rng).unwrap();
    let bob_rng = rng.take_drawn();
    let number = safety_number(&alice.public(), &bob.public());
    let pickle_key = Secret::<32>::random(&mut rng).unwrap();
    rng.take_drawn();
    let pickled = alice.pickle(&pickle_key, &mut rng).unwrap();
    let pickle_rng = rng.take_drawn();
    json!({
        "description": "Identities (docs/protocol.md, \"Identity\"). Identity::generate draws 64 bytes: the Ed25519 seed, then the X25519 secret key. The safety number is the same for (a, b) and (b, a). The pickle is alice's identity pickled under pickle_key, drawing pickle_rng as its salt.",
        "identities": [
            identity_json("alice", &alice_rng, &alice),
            identity_json("bob", &bob_rng, &bob),
        ],
        "safety_number": {
            "digits": number.digits(),
            "grouped": number.grouped(),
            "compact": number.compact(),
        },
        "pickle": {
            "identity": "alice",
            "pickle_key": hex(pickle_key.expose()),
            "rng": hex(&pickle_rng),
            "pickled": hex(&pickled),
        },
    })
}

fn replay_identity(v: &Value) {
    let mut publics = Vec::new();
    let mut secrets = Vec::new();
    for entry in v["identities"].as_array().unwrap() {
        let rng_bytes = bytes(&entry["rng"]);
        assert_eq!(rng_bytes.len(), 64);
        let identity = Identity::generate(&mut replay(&entry["rng"])).unwrap();
        let public = identity.public();
        assert_eq!(public.encode().to_vec(), bytes(&entry["encoded"]));
        assert_eq!(
            public.signing_key().as_bytes().to_vec(),
            bytes(&entry["ed25519_public"])
        );
        assert_eq!(
            public.dh_key().as_bytes().to_vec(),
            bytes(&entry["x25519_public"])
        );
        // The fingerprint formula, recomputed from the file's keys.
        let keys = [
            bytes(&entry["ed25519_public"]),
            bytes(&entry["x25519_public"]),
        ]
        .concat();
        let fp = kdf::sha256_parts(&[b"Corridor_v1_fingerprint", &keys]);
        assert_eq!(fp.to_vec(), bytes(&entry["fingerprint"]));
        assert_eq!(identity.fingerprint().as_bytes(), &fp);
        // The encoding decodes (signature valid).
        assert_eq!(
            PublicIdentity::decode(&bytes(&entry["encoded"])).unwrap(),
            public
        );
        publics.push(public);
        secrets.push(identity);
    }
    let sn = &v["safety_number"];
    for (a, b) in [(0, 1), (1, 0)] {
        let n = safety_number(&publics[a], &publics[b]);
        assert_eq!(n.digits(), sn["digits"].as_str().unwrap());
        assert_eq!(n.grouped(), sn["grouped"].as_str().unwrap());
        assert_eq!(n.compact(), sn["compact"].as_str().unwrap());
    }
    let p = &v["pickle"];
    let key = Secret::<32>::from_bytes(array(&p["pickle_key"]));
    let pickled = bytes(&p["pickled"]);
    assert_eq!(Identity::unpickle(&key, &pickled).unwrap(), secrets[0]);
    let mut rng = replay(&p["rng"]);
    assert_eq!(secrets[0].pickle(&key, &mut rng).unwrap(), pickled);
    assert!(rng.used_exactly());
}

#[test]
fn identity_vectors() {
    check_file("identity.json", generate_identity(), replay_identity);
}

// ----- handshake.json ------------------------------------------------------------------

const ONE_TIME_COUNT: usize = 2;

fn inner_message() -> Vec<u8> {
    (0..INITIAL_INNER_LEN).map(|i| (i % 251) as u8).collect()
}

/// The hybrid seal's intermediate values (DH(e, S), the seal's ML-KEM shared secret and
/// the AEAD key), recomputed from the responder's side of one envelope.
fn seal_intermediates(
    seal: &X25519Secret,
    kem: &KemSecret,
    seal_rng: &[u8],
    envelope: &[u8],
) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let e = X25519Secret::from_bytes(seal_rng[..32].try_into().unwrap()).public();
    let dh = seal.diffie_hellman(&e).unwrap();
    let ct = &envelope[33..33 + 1088];
    let ss = kem
        .decapsulate(&corridor_client::primitives::mlkem::KemCiphertext::from_bytes(ct).unwrap())
        .unwrap();
    let salt = [e.as_bytes().as_slice(), seal.public().as_bytes(), ct].concat();
    let ikm = [ss.expose().as_slice(), dh.expose()].concat();
    let mut key = [0u8; 32];
    kdf::hkdf_sha256(&salt, &ikm, INITIAL_SEAL_INFO, &mut key).unwrap();
    (*dh.expose(), *ss.expose(), key)
}

/// The seal's KDF and AEAD from the file's values alone: the key from `seal_dh`,
/// `seal_kem_shared`, E (from `seal_rng`), S and CT_seal, and it opens the envelope.
fn replay_seal_key(v: &Value, case: &Value, envelope: &[u8]) {
    let e = X25519Secret::from_bytes(bytes(&case["seal_rng"])[..32].try_into().unwrap()).public();
    let ct = &envelope[33..33 + 1088];
    let salt = [e.as_bytes().as_slice(), &bytes(&v["seal_public"]), ct].concat();
    let ikm = [bytes(&case["seal_kem_shared"]), bytes(&case["seal_dh"])].concat();
    let mut key = [0u8; 32];
    kdf::hkdf_sha256(
        &salt,
        &ikm,
        v["initial_seal_info"].as_str().unwrap().as_bytes(),
        &mut key,
    )
    .unwrap();
    assert_eq!(key.to_vec(), bytes(&case["seal_aead_key"]));
    let mut transmitted = envelope[..33 + 1088].to_vec();
    let aad = {
        let mut a = v["initial_seal_info"].as_str().unwrap().as_bytes().to_vec();
        a.append(&mut transmitted);
        a
    };
    let plain = aead::open(
        &Secret::from_bytes(key),
        &[0u8; aead::NONCE_LEN],
        &aad,
        &envelope[33 + 1088..],
    )
    .unwrap();
    assert_eq!(plain.len(), 1263 + INITIAL_INNER_LEN);
}

fn handed_json(handed: &HandedPrekey) -> Value {
    match handed {
        HandedPrekey::OneTime(p) => json!({"one_time": {"id": p.id, "key": hex(p.key.as_bytes())}}),
        HandedPrekey::LastResort { key } => json!({"last_resort": {"key": hex(key.as_bytes())}}),
    }
}

fn handed_from_json(v: &Value) -> HandedPrekey {
    if let Some(p) = v.get("one_time") {
        HandedPrekey::OneTime(OneTimePrekey {
            id: u32::try_from(p["id"].as_u64().unwrap()).unwrap(),
            key: Blob(bytes(&p["key"])),
        })
    } else {
        HandedPrekey::LastResort {
            key: Blob(bytes(&v["last_resort"]["key"])),
        }
    }
}

fn generate_handshake() -> Value {
    let mut rng = RecordingRng::new(b"Corridor handshake test vectors v1");
    let bob = Identity::generate(&mut rng).unwrap();
    let bob_rng = rng.take_drawn();
    let prekeys = PrekeySet::generate(ONE_TIME_COUNT, &mut rng).unwrap();
    let prekeys_rng = rng.take_drawn();
    let alice = Identity::generate(&mut rng).unwrap();
    let alice_rng = rng.take_drawn();
    let seal = X25519Secret::generate(&mut rng).unwrap();
    let seal_secret = rng.take_drawn();
    // The invitation's bundle id, which every prekey signature covers.
    let bundle_id: [u8; 16] = corridor_client::primitives::random::array(&mut rng).unwrap();
    assert_eq!(rng.take_drawn(), bundle_id);
    let bundle = prekeys.plain_bundle(&bob, &bundle_id);

    // Secrets the file lists as intermediate values, recovered from the drawn bytes in
    // the documented order: signed prekey (32), ML-KEM seed (64), last resort (32), one-time
    // prekeys (32 each).
    let spk = X25519Secret::from_bytes(prekeys_rng[..32].try_into().unwrap());
    let kem = KemSecret::from_seed(Secret::try_from_slice(&prekeys_rng[32..96]).unwrap());
    let lr = X25519Secret::from_bytes(prekeys_rng[96..128].try_into().unwrap());
    let otp0 = X25519Secret::from_bytes(prekeys_rng[128..160].try_into().unwrap());

    let mut cases = Vec::new();
    for (name, handed, opk) in [
        (
            "one_time",
            HandedPrekey::OneTime(bundle.one_time[0].clone()),
            &otp0,
        ),
        (
            "last_resort",
            HandedPrekey::LastResort {
                key: bundle.last_resort.clone(),
            },
            &lr,
        ),
    ] {
        let verified = VerifiedBundle::verify(
            bundle.signed.as_bytes(),
            &handed,
            &bob.fingerprint(),
            &bundle_id,
        )
        .unwrap();
        let init = handshake::initiate(&alice, &verified, &mut rng).unwrap();
        let initiate_rng = rng.take_drawn();
        let ek = X25519Secret::from_bytes(initiate_rng[..32].try_into().unwrap());
        let header = init.header.encode();
        let decoded = InitialHeader::decode(&header).unwrap();
        let ct = &header[header.len() - 1088..];
        let kem_shared = kem
            .decapsulate(
                &corridor_client::primitives::mlkem::KemCiphertext::from_bytes(ct).unwrap(),
            )
            .unwrap();
        let dh1 = alice.dh_secret().diffie_hellman(&spk.public()).unwrap();
        let dh2 = ek.diffie_hellman(bob.public().dh_key()).unwrap();
        let dh3 = ek.diffie_hellman(&spk.public()).unwrap();
        let dh4 = ek.diffie_hellman(&opk.public()).unwrap();
        let response = handshake::respond(&bob, &prekeys, &decoded).unwrap();
        assert_eq!(response.output.shared, init.output.shared);
        let inner = inner_message();
        let envelope = seal_initial(
            &seal.public(),
            &init.kem_prekey,
            &init.header,
            &inner,
            &mut rng,
        )
        .unwrap();
        let seal_rng = rng.take_drawn();
        let seal_parts = seal_intermediates(&seal, &kem, &seal_rng, &envelope);
        cases.push(json!({
            "name": name,
            "handed_prekey": handed_json(&handed),
            "initiate_rng": hex(&initiate_rng),
            "dh1": hex(dh1.expose()),
            "dh2": hex(dh2.expose()),
            "dh3": hex(dh3.expose()),
            "dh4": hex(dh4.expose()),
            "kem_shared": hex(kem_shared.expose()),
            "sk": hex(init.output.shared.expose()),
            "ad": hex(&init.output.associated_data),
            "remote_ratchet": hex(init.remote_ratchet.as_bytes()),
            "header": hex(&header),
            "seal_rng": hex(&seal_rng),
            "seal_dh": hex(&seal_parts.0),
            "seal_kem_shared": hex(&seal_parts.1),
            "seal_aead_key": hex(&seal_parts.2),
            "envelope": hex(&envelope),
        }));
    }
    let first_message =
        generate_first_message(&mut rng, &bob, &alice, &prekeys, &seal, &bundle_id, &bundle);
    // The published (encrypted) form of the same bundle.
    let key = BundleKey::derive(&seal.public(), &bundle_id).unwrap();
    let published = prekeys.bundle(&bob, &key, &mut rng).unwrap();
    let published_rng = rng.take_drawn();
    json!({
        "published": {
            "description": "The bundle as published to the relay (docs/protocol.md, \"Published bundle encryption\"). bundle_key = HKDF-SHA256(salt = bundle_id, IKM = seal_public, info = bundle_key_info, L = 32). Each part is nonce (12) || ChaCha20-Poly1305(bundle_key, nonce, aad, plain part) || tag; aad is signed_label, one_time_label || id (u32 big-endian) or last_resort_label. PrekeySet::bundle draws published_rng: a nonce for signed, for each one-time key in id order, then for last_resort.",
            "bundle_key_info": String::from_utf8(BUNDLE_KEY_INFO.to_vec()).unwrap(),
            "signed_label": String::from_utf8(BLOB_SIGNED_LABEL.to_vec()).unwrap(),
            "one_time_label": String::from_utf8(BLOB_ONE_TIME_LABEL.to_vec()).unwrap(),
            "last_resort_label": String::from_utf8(BLOB_LAST_RESORT_LABEL.to_vec()).unwrap(),
            "bundle_key": hex(&bundle_key_bytes(&seal.public().to_bytes(), &bundle_id)),
            "published_rng": hex(&published_rng),
            "signed": hex(published.signed.as_bytes()),
            "one_time": published.one_time.iter().map(|p| json!({"id": p.id, "key": hex(p.key.as_bytes())})).collect::<Vec<_>>(),
            "last_resort": hex(published.last_resort.as_bytes()),
        },
        "description": "Hybrid X3DH and the sealed initial envelope (docs/protocol.md, \"Prekey bundles\", \"Handshake\", \"Initial envelope\"). Replay: bob and alice from their rng (Identity::generate), bob's prekeys from prekeys_rng (PrekeySet::generate with one_time_count), the seal key pair from seal_secret. Per case: verify the bundle with the handed prekey, initiate drawing initiate_rng (ephemeral secret, then ML-KEM encapsulation randomness m), then seal header || inner with the hybrid seal to the seal key and the bundle's ML-KEM prekey drawing seal_rng (32-byte ephemeral secret e, then one byte whose top bit becomes the top bit of E's last byte, then the 32-byte ML-KEM message m). The envelope is 0x01 || E' || CT_seal (1088) || AEAD; seal_aead_key = HKDF-SHA256(salt = E || seal_public || CT_seal, IKM = seal_kem_shared || seal_dh, info = initial_seal_info); the AEAD nonce is zero and its associated data is initial_seal_info || 0x01 || E' || CT_seal. inner[i] = i mod 251.",
        "x3dh_info": String::from_utf8(X3DH_INFO.to_vec()).unwrap(),
        "initial_seal_info": String::from_utf8(INITIAL_SEAL_INFO.to_vec()).unwrap(),
        "bob_rng": hex(&bob_rng),
        "bob_identity": hex(&bob.public().encode()),
        "bob_fingerprint": hex(bob.fingerprint().as_bytes()),
        "alice_rng": hex(&alice_rng),
        "alice_identity": hex(&alice.public().encode()),
        "one_time_count": ONE_TIME_COUNT,
        "bundle_id": hex(&bundle_id),
        "prekeys_rng": hex(&prekeys_rng),
        "bundle": {
            "signed": hex(bundle.signed.as_bytes()),
            "one_time": bundle.one_time.iter().map(|p| json!({"id": p.id, "key": hex(p.key.as_bytes())})).collect::<Vec<_>>(),
            "last_resort": hex(bundle.last_resort.as_bytes()),
        },
        "seal_secret": hex(&seal_secret),
        "seal_public": hex(seal.public().as_bytes()),
        "inner_len": INITIAL_INNER_LEN,
        "cases": cases,
        "first_message": first_message,
    })
}

const FIRST_PAYLOAD: &[u8] = b"Hello from Baku. Referred by Leyla; two adults, need shelter.";
const FIRST_REPLY: &[u8] = b"Received. A caseworker will write to you here.";

/// A real handshake carried through to the Double Ratchet: the initiator's first ratchet
/// message inside the sealed initial envelope, the responder's first decryption, and the
/// responder's first reply (a standard envelope) opened by the initiator.
fn generate_first_message(
    rng: &mut RecordingRng,
    bob: &Identity,
    alice: &Identity,
    prekeys: &PrekeySet,
    seal: &X25519Secret,
    bundle_id: &[u8; 16],
    bundle: &Bundle,
) -> Value {
    let handed = HandedPrekey::OneTime(bundle.one_time[1].clone());
    let verified = VerifiedBundle::verify(
        bundle.signed.as_bytes(),
        &handed,
        &bob.fingerprint(),
        bundle_id,
    )
    .unwrap();
    rng.take_drawn();
    let init = handshake::initiate(alice, &verified, rng).unwrap();
    let initiate_rng = rng.take_drawn();
    let mut alice_session = Session::initiator(
        &init.output.shared,
        &init.output.associated_data,
        init.remote_ratchet,
        rng,
    )
    .unwrap();
    let ratchet_rng = rng.take_drawn();
    let inner =
        envelope::seal_with_capacity(&mut alice_session, FIRST_PAYLOAD, INITIAL_INNER_LEN, rng)
            .unwrap();
    assert_eq!(inner.len(), 1);
    let inner_rng = rng.take_drawn();
    let sealed = seal_initial(
        &seal.public(),
        &init.kem_prekey,
        &init.header,
        &inner[0],
        rng,
    )
    .unwrap();
    let seal_rng = rng.take_drawn();

    let opened = open_initial(seal, &prekeys.kem_secrets(), &sealed).unwrap();
    let response = handshake::respond(bob, prekeys, &opened.header).unwrap();
    let mut bob_session = Session::responder(
        &response.output.shared,
        &response.output.associated_data,
        response.own_ratchet,
    )
    .unwrap();
    let got = Reassembler::new()
        .open_message(&mut bob_session, &opened.inner)
        .unwrap()
        .unwrap();
    assert_eq!(got.as_slice(), FIRST_PAYLOAD);
    let reply = envelope::seal(&mut bob_session, FIRST_REPLY, rng).unwrap();
    let reply_rng = rng.take_drawn();
    assert_eq!(reply.len(), 1);
    let back = Reassembler::new()
        .open(&mut alice_session, &reply[0])
        .unwrap()
        .unwrap();
    assert_eq!(back.as_slice(), FIRST_REPLY);
    json!({
        "description": "A real handshake through to the ratchet. The initiator verifies the bundle with handed_prekey, initiates drawing initiate_rng (giving sk, ad, remote_ratchet and header), starts its Session::initiator with sk, ad and remote_ratchet drawing ratchet_rng, seals payload as one ratchet message of exactly inner_len bytes (envelope::seal_with_capacity) drawing inner_rng, giving inner, and seals header || inner to the seal key drawing seal_rng, giving envelope. The responder opens envelope, responds (same sk and ad), starts Session::responder with the signed prekey's secret, decrypts inner and must get payload; it then seals reply_payload as a standard 4096-byte envelope drawing reply_rng (its ratchet key secret, 32 bytes, then the header nonce, after the 16-byte payload id), giving reply, which the initiator opens to reply_payload.",
        "handed_prekey": handed_json(&handed),
        "initiate_rng": hex(&initiate_rng),
        "sk": hex(init.output.shared.expose()),
        "ad": hex(&init.output.associated_data),
        "remote_ratchet": hex(init.remote_ratchet.as_bytes()),
        "header": hex(&init.header.encode()),
        "ratchet_rng": hex(&ratchet_rng),
        "payload": hex(FIRST_PAYLOAD),
        "inner_rng": hex(&inner_rng),
        "inner": hex(&inner[0]),
        "seal_rng": hex(&seal_rng),
        "envelope": hex(&sealed),
        "reply_payload": hex(FIRST_REPLY),
        "reply_rng": hex(&reply_rng),
        "reply": hex(&reply[0]),
    })
}

fn replay_first_message(
    v: &Value,
    bob: &Identity,
    alice: &Identity,
    prekeys: &PrekeySet,
    seal: &X25519Secret,
    bundle_id: &[u8; 16],
) {
    let f = &v["first_message"];
    let fingerprint = Fingerprint(array(&v["bob_fingerprint"]));
    let handed = handed_from_json(&f["handed_prekey"]);
    let verified = VerifiedBundle::verify(
        &bytes(&v["bundle"]["signed"]),
        &handed,
        &fingerprint,
        bundle_id,
    )
    .unwrap();
    let mut rng = replay(&f["initiate_rng"]);
    let init = handshake::initiate(alice, &verified, &mut rng).unwrap();
    assert!(rng.used_exactly());
    assert_eq!(init.output.shared.expose().to_vec(), bytes(&f["sk"]));
    assert_eq!(init.output.associated_data, bytes(&f["ad"]));
    assert_eq!(
        init.remote_ratchet.as_bytes().to_vec(),
        bytes(&f["remote_ratchet"])
    );
    assert_eq!(init.header.encode(), bytes(&f["header"]));
    let mut rng = replay(&f["ratchet_rng"]);
    let mut alice_session = Session::initiator(
        &init.output.shared,
        &init.output.associated_data,
        init.remote_ratchet,
        &mut rng,
    )
    .unwrap();
    assert!(rng.used_exactly());
    let mut rng = replay(&f["inner_rng"]);
    let inner = envelope::seal_with_capacity(
        &mut alice_session,
        &bytes(&f["payload"]),
        INITIAL_INNER_LEN,
        &mut rng,
    )
    .unwrap();
    assert!(rng.used_exactly());
    assert_eq!(inner, vec![bytes(&f["inner"])]);
    let mut rng = replay(&f["seal_rng"]);
    let sealed = seal_initial(
        &seal.public(),
        &init.kem_prekey,
        &init.header,
        &inner[0],
        &mut rng,
    )
    .unwrap();
    assert!(rng.used_exactly());
    assert_eq!(sealed.to_vec(), bytes(&f["envelope"]));

    // The responder, from the file's envelope alone.
    let opened = open_initial(seal, &prekeys.kem_secrets(), &bytes(&f["envelope"])).unwrap();
    let response = handshake::respond(bob, prekeys, &opened.header).unwrap();
    assert_eq!(response.output.shared.expose().to_vec(), bytes(&f["sk"]));
    let mut bob_session = Session::responder(
        &response.output.shared,
        &response.output.associated_data,
        response.own_ratchet,
    )
    .unwrap();
    let got = Reassembler::new()
        .open_message(&mut bob_session, &opened.inner)
        .unwrap()
        .unwrap();
    assert_eq!(got.to_vec(), bytes(&f["payload"]));
    let mut rng = replay(&f["reply_rng"]);
    let reply = envelope::seal(&mut bob_session, &bytes(&f["reply_payload"]), &mut rng).unwrap();
    assert!(rng.used_exactly());
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0].to_vec(), bytes(&f["reply"]));
    let back = Reassembler::new()
        .open(&mut alice_session, &bytes(&f["reply"]))
        .unwrap()
        .unwrap();
    assert_eq!(back.to_vec(), bytes(&f["reply_payload"]));
}

fn replay_handshake(v: &Value) {
    let bob = Identity::generate(&mut replay(&v["bob_rng"])).unwrap();
    assert_eq!(bob.public().encode().to_vec(), bytes(&v["bob_identity"]));
    let alice = Identity::generate(&mut replay(&v["alice_rng"])).unwrap();
    assert_eq!(
        alice.public().encode().to_vec(),
        bytes(&v["alice_identity"])
    );
    let count = usize::try_from(v["one_time_count"].as_u64().unwrap()).unwrap();
    let mut prekeys_rng = replay(&v["prekeys_rng"]);
    let prekeys = PrekeySet::generate(count, &mut prekeys_rng).unwrap();
    assert!(prekeys_rng.used_exactly());
    let bundle_id: [u8; 16] = array(&v["bundle_id"]);
    let bundle = prekeys.plain_bundle(&bob, &bundle_id);
    assert_eq!(
        bundle.signed.as_bytes().to_vec(),
        bytes(&v["bundle"]["signed"])
    );
    assert_eq!(
        bundle.last_resort.as_bytes().to_vec(),
        bytes(&v["bundle"]["last_resort"])
    );
    for (ours, theirs) in bundle
        .one_time
        .iter()
        .zip(v["bundle"]["one_time"].as_array().unwrap())
    {
        assert_eq!(u64::from(ours.id), theirs["id"].as_u64().unwrap());
        assert_eq!(ours.key.as_bytes().to_vec(), bytes(&theirs["key"]));
    }
    let seal = X25519Secret::from_bytes(array(&v["seal_secret"]));
    assert_eq!(seal.public().as_bytes().to_vec(), bytes(&v["seal_public"]));
    let fingerprint = Fingerprint(array(&v["bob_fingerprint"]));
    let signed = bytes(&v["bundle"]["signed"]);
    let inner = inner_message();
    assert_eq!(inner.len() as u64, v["inner_len"].as_u64().unwrap());

    replay_published(v, &prekeys, &bob, &fingerprint);

    for case in v["cases"].as_array().unwrap() {
        let handed = handed_from_json(&case["handed_prekey"]);
        let verified = VerifiedBundle::verify(&signed, &handed, &fingerprint, &bundle_id).unwrap();
        let mut rng = replay(&case["initiate_rng"]);
        let init = handshake::initiate(&alice, &verified, &mut rng).unwrap();
        assert!(rng.used_exactly());
        assert_eq!(init.header.encode(), bytes(&case["header"]));
        assert_eq!(init.output.shared.expose().to_vec(), bytes(&case["sk"]));
        assert_eq!(init.output.associated_data, bytes(&case["ad"]));
        assert_eq!(
            init.remote_ratchet.as_bytes().to_vec(),
            bytes(&case["remote_ratchet"])
        );

        // The KDF formula from the file's intermediate values alone.
        let mut ikm = vec![0xFF; 32];
        for part in ["dh1", "dh2", "dh3", "dh4", "kem_shared"] {
            ikm.extend(bytes(&case[part]));
        }
        let mut sk = [0u8; 32];
        kdf::hkdf_sha256(
            &[0; 32],
            &ikm,
            v["x3dh_info"].as_str().unwrap().as_bytes(),
            &mut sk,
        )
        .unwrap();
        assert_eq!(sk.to_vec(), bytes(&case["sk"]));
        let ad = [
            &bytes(&v["alice_identity"])[1..65],
            &bytes(&v["bob_identity"])[1..65],
        ]
        .concat();
        assert_eq!(ad, bytes(&case["ad"]));

        // Sealing with the recorded randomness reproduces the envelope; opening it
        // gives back the header and inner message, and the responder derives the same SK.
        let mut rng = replay(&case["seal_rng"]);
        let envelope = seal_initial(
            &seal.public(),
            &init.kem_prekey,
            &init.header,
            &inner,
            &mut rng,
        )
        .unwrap();
        assert!(rng.used_exactly());
        assert_eq!(envelope.to_vec(), bytes(&case["envelope"]));
        replay_seal_key(v, case, &bytes(&case["envelope"]));
        let opened =
            open_initial(&seal, &prekeys.kem_secrets(), &bytes(&case["envelope"])).unwrap();
        assert_eq!(opened.header.encode(), bytes(&case["header"]));
        assert_eq!(opened.inner.as_slice(), inner.as_slice());
        let response = handshake::respond(&bob, &prekeys, &opened.header).unwrap();
        assert_eq!(response.output.shared.expose().to_vec(), bytes(&case["sk"]));
        assert_eq!(
            response.own_ratchet.public(),
            X25519Public::from_bytes(array(&case["remote_ratchet"]))
        );
    }
    replay_first_message(v, &bob, &alice, &prekeys, &seal, &bundle_id);
}

/// The bundle key by the documented formula, independently of `BundleKey`.
fn bundle_key_bytes(seal_public: &[u8], bundle_id: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    kdf::hkdf_sha256(bundle_id, seal_public, BUNDLE_KEY_INFO, &mut key).unwrap();
    key
}

fn open_part(key: &[u8; 32], aad: &[u8], blob: &[u8]) -> Vec<u8> {
    let (nonce, sealed) = blob.split_at(aead::NONCE_LEN);
    aead::open(
        &Secret::from_bytes(*key),
        nonce.try_into().unwrap(),
        aad,
        sealed,
    )
    .unwrap()
    .to_vec()
}

fn replay_published(v: &Value, prekeys: &PrekeySet, bob: &Identity, fingerprint: &Fingerprint) {
    let p = &v["published"];
    let seal_public = bytes(&v["seal_public"]);
    let bundle_id: [u8; 16] = array(&v["bundle_id"]);
    let key = bundle_key_bytes(&seal_public, &bundle_id);
    assert_eq!(key.to_vec(), bytes(&p["bundle_key"]));
    // Re-sealing with the recorded nonces reproduces the published parts.
    let bundle_key = BundleKey::derive(
        &X25519Public::from_bytes(array(&v["seal_public"])),
        &bundle_id,
    )
    .unwrap();
    let mut rng = replay(&p["published_rng"]);
    let published = prekeys.bundle(bob, &bundle_key, &mut rng).unwrap();
    assert!(rng.used_exactly());
    assert_eq!(published.signed.as_bytes().to_vec(), bytes(&p["signed"]));
    assert_eq!(
        published.last_resort.as_bytes().to_vec(),
        bytes(&p["last_resort"])
    );
    // Each part opens, by the formula alone, to the plain part in "bundle".
    let label = |name: &str| p[name].as_str().unwrap().as_bytes().to_vec();
    assert_eq!(
        open_part(&key, &label("signed_label"), &bytes(&p["signed"])),
        bytes(&v["bundle"]["signed"])
    );
    assert_eq!(
        open_part(&key, &label("last_resort_label"), &bytes(&p["last_resort"])),
        bytes(&v["bundle"]["last_resort"])
    );
    let plain_one_time = v["bundle"]["one_time"].as_array().unwrap();
    let one_time = p["one_time"].as_array().unwrap();
    assert_eq!(one_time.len(), plain_one_time.len());
    for ((ours, theirs), plain) in published.one_time.iter().zip(one_time).zip(plain_one_time) {
        let id = u32::try_from(theirs["id"].as_u64().unwrap()).unwrap();
        assert_eq!(ours.id, id);
        assert_eq!(ours.key.as_bytes().to_vec(), bytes(&theirs["key"]));
        let aad = [label("one_time_label"), id.to_be_bytes().to_vec()].concat();
        assert_eq!(
            open_part(&key, &aad, &bytes(&theirs["key"])),
            bytes(&plain["key"])
        );
        // And the fetcher's path verifies it.
        let fetched = FetchBundleResponse {
            signed: Blob(bytes(&p["signed"])),
            prekey: HandedPrekey::OneTime(OneTimePrekey {
                id,
                key: Blob(bytes(&theirs["key"])),
            }),
        };
        VerifiedBundle::from_fetch(&fetched, fingerprint, &bundle_key).unwrap();
    }
}

#[test]
fn handshake_vectors() {
    check_file("handshake.json", generate_handshake(), replay_handshake);
}

// ----- invitation.json -----------------------------------------------------------------

fn sample_invitation() -> Invitation {
    let mut rng = RecordingRng::new(b"Corridor invitation test vectors v1");
    let inviter = Identity::generate(&mut rng).unwrap();
    let seal = X25519Secret::generate(&mut rng).unwrap();
    let ids: [u8; 64] = {
        let mut b = [0u8; 64];
        rand_core::TryRng::try_fill_bytes(&mut rng, &mut b).unwrap();
        b
    };
    Invitation {
        kind: InvitationKind::OneTime,
        expires_at: 1_800_000_000,
        relays: vec!["https://relay.example.org".to_owned()],
        deposit_id: Bytes(ids[..16].try_into().unwrap()),
        credential: Bytes(ids[16..48].try_into().unwrap()),
        bundle_id: Bytes(ids[48..].try_into().unwrap()),
        fingerprint: inviter.fingerprint(),
        seal_key: seal.public(),
    }
}

fn invitation_json(inv: &Invitation) -> Value {
    json!({
        "kind": match inv.kind { InvitationKind::OneTime => "one_time", InvitationKind::Standing => "standing" },
        "expires_at": inv.expires_at,
        "relays": inv.relays,
        "deposit_id": hex(inv.deposit_id.as_bytes()),
        "credential": hex(inv.credential.as_bytes()),
        "bundle_id": hex(inv.bundle_id.as_bytes()),
        "fingerprint": hex(inv.fingerprint.as_bytes()),
        "seal_key": hex(inv.seal_key.as_bytes()),
        "binary": hex(&inv.to_bytes().unwrap()),
        "code": inv.to_code().unwrap(),
        "grouped_code": inv.to_grouped_code().unwrap(),
    })
}

fn invitation_from_json(v: &Value) -> Invitation {
    Invitation {
        kind: match v["kind"].as_str().unwrap() {
            "one_time" => InvitationKind::OneTime,
            _ => InvitationKind::Standing,
        },
        expires_at: v["expires_at"].as_u64().unwrap(),
        relays: v["relays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect(),
        deposit_id: Bytes(array(&v["deposit_id"])),
        credential: Bytes(array(&v["credential"])),
        bundle_id: Bytes(array(&v["bundle_id"])),
        fingerprint: Fingerprint(array(&v["fingerprint"])),
        seal_key: X25519Public::from_bytes(array(&v["seal_key"])),
    }
}

/// `code` with the lowest unused bit of its last base32 character set, if it has one.
fn with_trailing_bit(code: &str) -> Option<String> {
    let chars = code.len() - 4;
    if (chars * 5) % 8 == 0 {
        return None;
    }
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let last = code.as_bytes()[code.len() - 1];
    let i = alphabet.iter().position(|c| *c == last)?;
    Some(format!(
        "{}{}",
        &code[..code.len() - 1],
        char::from(alphabet[i | 1])
    ))
}

fn generate_invitation() -> Value {
    let one_time = sample_invitation();
    let mut standing = sample_invitation();
    standing.kind = InvitationKind::Standing;
    standing
        .relays
        .push("http://corridorrelayexample.onion".to_owned());
    let code = one_time.to_code().unwrap();
    // A one-character typo in the body, a foreign prefix, a character outside the alphabet.
    let mut typo = code.clone();
    let pos = 10;
    let replacement = if &code[pos..=pos] == "A" { "B" } else { "A" };
    typo.replace_range(pos..=pos, replacement);
    // Binary-level errors need a valid checksum to be reached: re-sum an altered body.
    let binary = one_time.to_bytes().unwrap();
    let body = &binary[..binary.len() - 4];
    let resum = |body: &[u8]| {
        let sum = &kdf::sha256_parts(&[CHECKSUM_LABEL, body])[..4];
        format!(
            "CI1-{}",
            data_encoding::BASE32_NOPAD.encode(&[body, sum].concat())
        )
    };
    let with = |offset: usize, value: u8| {
        let mut b = body.to_vec();
        b[offset] = value;
        resum(&b)
    };
    // Offset of the relay count: version, kind, expiry, deposit id, credential, bundle
    // id, fingerprint, seal key.
    let relay_count = 1 + 1 + 8 + 16 + 32 + 16 + 32 + 32;
    let mut bad_relay = body[..=relay_count].to_vec();
    bad_relay.extend_from_slice(b"\x05ab de");
    bad_relay[relay_count] = 1;
    let invalid = [
        (typo, "Checksum"),
        (code.replacen("CI1-", "CX1-", 1), "Prefix"),
        (code.replacen("CI1-", "CI1", 1), "Prefix"),
        (format!("{}0{}", &code[..12], &code[13..]), "Encoding"),
        // A code whose last character carries non-zero unused bits.
        (
            [
                code.clone(),
                resum(&[body, &[0]].concat()),
                resum(&[body, &[0, 0]].concat()),
            ]
            .iter()
            .find_map(|c| with_trailing_bit(c))
            .unwrap(),
            "Encoding",
        ),
        ("CI1-".to_owned(), "Malformed"),
        (resum(&body[..100]), "Malformed"),
        (resum(&[body, &[0]].concat()), "Malformed"),
        (with(0, 2), "Version"),
        (with(1, 3), "Kind"),
        (with(relay_count, 0), "Relay"),
        (with(relay_count, 5), "Relay"),
        (resum(&bad_relay), "Relay"),
        // A base32 length no byte string has.
        (
            {
                let mut c = code.clone();
                c.push('A');
                while !matches!((c.len() - 4) % 8, 1 | 3 | 6) {
                    c.push('A');
                }
                c
            },
            "Encoding",
        ),
    ];
    // Equivalent spellings of the first valid code: case, whitespace and dashes anywhere
    // after the prefix are ignored, and surrounding whitespace is trimmed.
    let grouped = one_time.to_grouped_code().unwrap();
    let spellings = [
        code.to_lowercase(),
        format!("  CI1-{}\n", grouped[4..].replace('-', " ")),
        format!("ci1-{}", grouped[4..].replace('-', "\t-\r\n")),
    ];
    json!({
        "description": "Invitation codes (docs/protocol.md, \"Invitations\"). Each valid entry lists the fields, the binary form (checksum last), the code and the grouped code; decoding either code gives the fields back. Each invalid code must be refused with the named error.",
        "valid": [invitation_json(&one_time), invitation_json(&standing)],
        "spellings_of_valid_0": spellings,
        "invalid": invalid.iter().map(|(c, e)| json!({"code": c, "error": e})).collect::<Vec<_>>(),
    })
}

fn replay_invitation(v: &Value) {
    for entry in v["valid"].as_array().unwrap() {
        let inv = invitation_from_json(entry);
        assert_eq!(inv.to_bytes().unwrap(), bytes(&entry["binary"]));
        assert_eq!(inv.to_code().unwrap(), entry["code"].as_str().unwrap());
        assert_eq!(
            inv.to_grouped_code().unwrap(),
            entry["grouped_code"].as_str().unwrap()
        );
        assert_eq!(
            Invitation::from_code(entry["code"].as_str().unwrap()).unwrap(),
            inv
        );
        assert_eq!(
            Invitation::from_code(entry["grouped_code"].as_str().unwrap()).unwrap(),
            inv
        );
        // The checksum formula from the file alone.
        let binary = bytes(&entry["binary"]);
        let (body, sum) = binary.split_at(binary.len() - 4);
        assert_eq!(
            &kdf::sha256_parts(&[b"Corridor_v1_invitation", body])[..4],
            sum
        );
    }
    let first = invitation_from_json(&v["valid"][0]);
    for spelling in v["spellings_of_valid_0"].as_array().unwrap() {
        assert_eq!(
            Invitation::from_code(spelling.as_str().unwrap()).unwrap(),
            first
        );
    }
    for entry in v["invalid"].as_array().unwrap() {
        let err = Invitation::from_code(entry["code"].as_str().unwrap()).unwrap_err();
        assert_eq!(format!("{err:?}"), entry["error"].as_str().unwrap());
    }
}

#[test]
fn invitation_vectors() {
    check_file("invitation.json", generate_invitation(), replay_invitation);
}

/// The replay checks alone (without the byte-for-byte comparison) catch a changed value:
/// altering one hex digit of each recorded output makes the replay fail.
#[test]
fn one_changed_byte_fails_the_replay() {
    fn mutate(v: &Value, pointer: &str) -> Value {
        let mut v = v.clone();
        let slot = v.pointer_mut(pointer).unwrap();
        let s = slot.as_str().unwrap().to_owned();
        let flipped = if s.as_bytes()[0] == b'0' { '1' } else { '0' };
        *slot = Value::String(format!("{flipped}{}", &s[1..]));
        v
    }
    let handshake = generate_handshake();
    let identity = generate_identity();
    let invitation = generate_invitation();
    type Case<'a> = (&'a Value, fn(&Value), &'a [&'a str]);
    let cases: [Case<'_>; 3] = [
        (
            &handshake,
            replay_handshake,
            &[
                "/bundle/signed",
                "/bundle/last_resort",
                "/cases/0/sk",
                "/cases/0/header",
                "/cases/0/envelope",
                "/cases/1/dh4",
                "/cases/1/kem_shared",
                "/cases/1/ad",
            ],
        ),
        (
            &identity,
            replay_identity,
            &[
                "/identities/0/encoded",
                "/identities/1/fingerprint",
                "/safety_number/digits",
                "/pickle/pickled",
            ],
        ),
        (
            &invitation,
            replay_invitation,
            &["/valid/0/binary", "/valid/1/fingerprint"],
        ),
    ];
    for (file, check, pointers) in cases {
        check(file);
        for pointer in pointers {
            let bad = mutate(file, pointer);
            let outcome = std::panic::catch_unwind(|| check(&bad));
            assert!(outcome.is_err(), "changing {pointer} went unnoticed");
        }
    }
}
