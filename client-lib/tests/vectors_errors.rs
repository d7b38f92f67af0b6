//! Test vectors for error paths: `docs/test-vectors/errors.json`. Each section gives the
//! state a decoder needs and inputs it must refuse, each with the error (the variant name,
//! as Rust's `Debug` prints it) that the reference implementation returns. The order of
//! checks in `docs/protocol.md` decides which error an input with several faults gets.
//!
//! Regenerate after a deliberate change:
//! `CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_errors`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ratchet_support;
mod vectors_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::mlkem::KemSecret;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::bundle::{
    KEM_PREKEY_LABEL, PREKEYS_PICKLE_LABEL, PrekeySet, VerifiedBundle,
};
use corridor_client::protocol::envelope;
use corridor_client::protocol::handshake::{self, INITIAL_INNER_LEN, open_initial, seal_initial};
use corridor_client::protocol::identity::{Fingerprint, Identity};
use corridor_client::protocol::pickle;
use corridor_client::protocol::ratchet::Session;
use corridor_wire::api::{HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;
use data_encoding::HEXLOWER;
use ratchet_support::{ReplayRng, TestRng};
use serde_json::{Value, json};

const REGENERATE: &str =
    "CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_errors";

fn hex(b: &[u8]) -> String {
    HEXLOWER.encode(b)
}

fn bytes(v: &Value) -> Vec<u8> {
    HEXLOWER.decode(v.as_str().unwrap().as_bytes()).unwrap()
}

fn array<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().unwrap()
}

fn flip(b: &[u8], i: usize) -> Vec<u8> {
    let mut b = b.to_vec();
    b[i] ^= 0x01;
    b
}

fn case(name: &str, input: &[u8], error: &str) -> Value {
    json!({"name": name, "input": hex(input), "error": error})
}

/// Two sessions as the handshake leaves them, and the JSON that lets a replay start them.
fn sessions(rng: &mut TestRng, ad: &[u8]) -> (Session, Value) {
    let sk = Secret::<32>::random(rng).unwrap();
    let prekey = X25519Secret::generate(rng).unwrap();
    let prekey_secret = *prekey.to_secret().expose();
    rng.take_drawn();
    let alice = Session::initiator(&sk, ad, prekey.public(), rng).unwrap();
    let initiator_rng = rng.take_drawn();
    let setup = json!({
        "sk": hex(sk.expose()),
        "ad": hex(ad),
        "responder_ratchet_secret": hex(&prekey_secret),
        "initiator_rng": hex(&initiator_rng),
    });
    (alice, setup)
}

/// A fresh responder from a section's setup.
fn responder(setup: &Value) -> Session {
    let sk = Secret::from_bytes(array(&setup["sk"]));
    let prekey = X25519Secret::from_bytes(array(&setup["responder_ratchet_secret"]));
    Session::responder(&sk, &bytes(&setup["ad"]), prekey).unwrap()
}

fn generate_ratchet(rng: &mut TestRng) -> Value {
    let (mut alice, setup) = sessions(rng, b"Corridor vectors AD: ratchet errors");
    let plaintext = b"the one valid message";
    let valid = alice.encrypt(plaintext, rng).unwrap();
    let valid_rng = rng.take_drawn();
    let mut last = Vec::new();
    for _ in 1..=1001 {
        last = alice.encrypt(b"x", rng).unwrap();
    }
    rng.take_drawn();
    json!({
        "description": "Session::decrypt on a fresh responder started from setup (as ratchet.json starts it), one per case; the duplicate case is decrypted right after valid.message. valid.message was the initiator's first encryption (drawing valid.rng). too_many_skipped is the initiator's message number 1001 of its first chain, which would skip 1001 keys (more than MAX_SKIP = 1000).",
        "setup": setup,
        "valid": {"rng": hex(&valid_rng), "plaintext": hex(plaintext), "message": hex(&valid)},
        "cases": [
            case("empty", &[], "Malformed"),
            case("shorter_than_header_and_tag", &valid[..84], "Malformed"),
            case("header_bit_flipped", &flip(&valid, 20), "Decrypt"),
            case("header_nonce_bit_flipped", &flip(&valid, 0), "Decrypt"),
            case("body_bit_flipped", &flip(&valid, valid.len() - 1), "Decrypt"),
            case("too_many_skipped", &last, "TooManySkipped"),
        ],
        "duplicate": case("duplicate", &valid, "Duplicate"),
    })
}

fn replay_ratchet(v: &Value) {
    let setup = &v["setup"];
    // The valid message comes from the setup and its randomness.
    let sk = Secret::from_bytes(array(&setup["sk"]));
    let prekey = X25519Secret::from_bytes(array(&setup["responder_ratchet_secret"]));
    let mut rng = ReplayRng::new(bytes(&setup["initiator_rng"]));
    let mut alice =
        Session::initiator(&sk, &bytes(&setup["ad"]), prekey.public(), &mut rng).unwrap();
    assert!(rng.used_exactly());
    let mut rng = ReplayRng::new(bytes(&v["valid"]["rng"]));
    let valid = alice
        .encrypt(&bytes(&v["valid"]["plaintext"]), &mut rng)
        .unwrap();
    assert!(rng.used_exactly());
    assert_eq!(valid, bytes(&v["valid"]["message"]));
    for c in v["cases"].as_array().unwrap() {
        let err = responder(setup).decrypt(&bytes(&c["input"])).unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            c["error"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
    let mut bob = responder(setup);
    assert_eq!(
        bob.decrypt(&valid).unwrap().to_vec(),
        bytes(&v["valid"]["plaintext"])
    );
    let d = &v["duplicate"];
    let err = bob.decrypt(&bytes(&d["input"])).unwrap_err();
    assert_eq!(format!("{err:?}"), d["error"].as_str().unwrap());
}

fn generate_envelope(rng: &mut TestRng) -> Value {
    let (mut alice, setup) = sessions(rng, b"Corridor vectors AD: envelope errors");
    let payload = b"hello";
    let valid = envelope::seal(&mut alice, payload, rng).unwrap().remove(0);
    let valid_rng = rng.take_drawn();
    // An authenticated block whose framing is wrong: a non-zero padding byte.
    let mut block = vec![
        0u8;
        envelope::BLOCK_MESSAGE_LEN
            - corridor_client::protocol::ratchet::MESSAGE_OVERHEAD
    ];
    block[16..22].copy_from_slice(&[0, 0, 0, 1, 0, 5]);
    block[22..27].copy_from_slice(payload);
    *block.last_mut().unwrap() = 1;
    let bad_padding = [
        &[envelope::ENVELOPE_VERSION][..],
        &alice.encrypt(&block, rng).unwrap(),
    ]
    .concat();
    // Index not below count.
    block[16..20].copy_from_slice(&[0, 1, 0, 1]);
    *block.last_mut().unwrap() = 0;
    let bad_index = [
        &[envelope::ENVELOPE_VERSION][..],
        &alice.encrypt(&block, rng).unwrap(),
    ]
    .concat();
    rng.take_drawn();
    json!({
        "description": "envelope::open on a fresh responder started from setup, one per case. valid.envelope was the initiator's first seal (drawing valid.rng) and opens to valid.payload; bad_padding and bad_index are the initiator's next two messages, authenticated ratchet messages whose block framing is wrong.",
        "setup": setup,
        "valid": {"rng": hex(&valid_rng), "payload": hex(payload), "envelope": hex(&valid)},
        "cases": [
            case("one_byte_short", &valid[..valid.len() - 1], "Length"),
            case("one_byte_long", &[&valid[..], &[0]].concat(), "Length"),
            case("unknown_version", &{ let mut e = valid.to_vec(); e[0] = 2; e }, "UnsupportedVersion"),
            case("bit_flipped", &flip(&valid, 100), "Ratchet(Decrypt)"),
            case("bad_padding", &bad_padding, "Framing"),
            case("bad_index", &bad_index, "Framing"),
        ],
    })
}

fn replay_envelope(v: &Value) {
    let setup = &v["setup"];
    let mut bob = responder(setup);
    let block = envelope::open(&mut bob, &bytes(&v["valid"]["envelope"])).unwrap();
    assert_eq!(block.chunk().to_vec(), bytes(&v["valid"]["payload"]));
    for c in v["cases"].as_array().unwrap() {
        let err = envelope::open(&mut responder(setup), &bytes(&c["input"])).unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            c["error"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
}

struct Responder {
    identity: Identity,
    identity_rng: Vec<u8>,
    prekeys: PrekeySet,
    prekeys_rng: Vec<u8>,
    bundle_id: [u8; 16],
}

fn responder_keys(rng: &mut TestRng) -> Responder {
    rng.take_drawn();
    let identity = Identity::generate(rng).unwrap();
    let identity_rng = rng.take_drawn();
    let prekeys = PrekeySet::generate(1, rng).unwrap();
    let prekeys_rng = rng.take_drawn();
    let bundle_id: [u8; 16] = corridor_client::primitives::random::array(rng).unwrap();
    rng.take_drawn();
    Responder {
        identity,
        identity_rng,
        prekeys,
        prekeys_rng,
        bundle_id,
    }
}

fn generate_initial(rng: &mut TestRng, r: &Responder) -> Value {
    let alice = Identity::generate(rng).unwrap();
    let seal = X25519Secret::generate(rng).unwrap();
    let seal_secret = *seal.to_secret().expose();
    let plain = r.prekeys.plain_bundle(&r.identity, &r.bundle_id);
    let handed = HandedPrekey::OneTime(plain.one_time[0].clone());
    let verified = VerifiedBundle::verify(
        plain.signed.as_bytes(),
        &handed,
        &r.identity.fingerprint(),
        &r.bundle_id,
    )
    .unwrap();
    let init = handshake::initiate(&alice, &verified, rng).unwrap();
    let inner: Vec<u8> = (0..INITIAL_INNER_LEN).map(|i| (i % 251) as u8).collect();
    let valid = seal_initial(&seal.public(), &init.kem_prekey, &init.header, &inner, rng).unwrap();
    let kem_seed = r.prekeys.kem_secrets()[0].seed().expose().to_vec();
    rng.take_drawn();
    let mut low_order = valid.to_vec();
    low_order[1..33].fill(0);
    json!({
        "description": "handshake::open_initial with seal_secret and the ML-KEM-768 prekey secret from kem_seed (FIPS 203 d || z). valid.envelope opens (its inner message is inner[i] = i mod 251); each case is refused.",
        "seal_secret": hex(&seal_secret),
        "kem_seed": hex(&kem_seed),
        "valid": {"envelope": hex(&valid), "header": hex(&init.header.encode())},
        "cases": [
            case("one_byte_short", &valid[..valid.len() - 1], "Length"),
            case("unknown_version", &{ let mut e = valid.to_vec(); e[0] = 2; e }, "EnvelopeVersion"),
            case("sealing_key_bit_flipped", &flip(&valid, 5), "Decrypt"),
            case("sealing_key_top_bit_flipped", &{ let mut e = valid.to_vec(); e[32] ^= 0x80; e }, "Decrypt"),
            case("low_order_sealing_key", &low_order, "Decrypt"),
            case("seal_kem_ciphertext_bit_flipped", &flip(&valid, 500), "Decrypt"),
            case("ciphertext_bit_flipped", &flip(&valid, 2000), "Decrypt"),
            case("tag_bit_flipped", &flip(&valid, valid.len() - 1), "Decrypt"),
        ],
    })
}

fn replay_initial(v: &Value) {
    let seal = X25519Secret::from_bytes(array(&v["seal_secret"]));
    let kem = KemSecret::from_seed(Secret::from_bytes(array(&v["kem_seed"])));
    let opened = open_initial(&seal, &[&kem], &bytes(&v["valid"]["envelope"])).unwrap();
    assert_eq!(opened.header.encode(), bytes(&v["valid"]["header"]));
    for c in v["cases"].as_array().unwrap() {
        let err = open_initial(&seal, &[&kem], &bytes(&c["input"])).unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            c["error"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
}

fn bundle_case(name: &str, signed: &[u8], handed: &HandedPrekey, error: &str) -> Value {
    let handed = match handed {
        HandedPrekey::OneTime(p) => json!({"one_time": {"id": p.id, "key": hex(p.key.as_bytes())}}),
        HandedPrekey::LastResort { key } => json!({"last_resort": {"key": hex(key.as_bytes())}}),
    };
    json!({"name": name, "signed": hex(signed), "handed": handed, "error": error})
}

fn handed_from(v: &Value) -> HandedPrekey {
    match v.get("one_time") {
        Some(p) => HandedPrekey::OneTime(OneTimePrekey {
            id: u32::try_from(p["id"].as_u64().unwrap()).unwrap(),
            key: Blob(bytes(&p["key"])),
        }),
        None => HandedPrekey::LastResort {
            key: Blob(bytes(&v["last_resort"]["key"])),
        },
    }
}

fn generate_bundle(r: &Responder, other: &Identity) -> Value {
    let plain = r.prekeys.plain_bundle(&r.identity, &r.bundle_id);
    let signed = plain.signed.as_bytes().to_vec();
    let one_time = HandedPrekey::OneTime(plain.one_time[0].clone());
    let lr = plain.last_resort.as_bytes();
    // The ML-KEM key sits after version, identity, SPK id, SPK, SPK signature, PQPK id.
    let kem_at = 1 + 129 + 4 + 32 + 64 + 4;
    let kem_id = u32::from_be_bytes(signed[kem_at - 4..kem_at].try_into().unwrap());
    let mut bad_kem = signed.clone();
    bad_kem[kem_at..kem_at + 1184].fill(0xFF);
    let sig = r.identity.sign(
        &[
            KEM_PREKEY_LABEL,
            &r.bundle_id,
            &kem_id.to_be_bytes(),
            &[0xFF; 1184],
        ]
        .concat(),
    );
    bad_kem[kem_at + 1184..kem_at + 1184 + 64].copy_from_slice(&sig.to_bytes());
    let short_key = match &one_time {
        HandedPrekey::OneTime(p) => HandedPrekey::OneTime(OneTimePrekey {
            id: p.id,
            key: Blob(p.key.as_bytes()[..95].to_vec()),
        }),
        HandedPrekey::LastResort { .. } => unreachable!(),
    };
    let lr_as_one_time = HandedPrekey::OneTime(OneTimePrekey {
        id: u32::from_be_bytes(lr[..4].try_into().unwrap()),
        key: Blob(lr[4..].to_vec()),
    });
    let mut other_bundle = r.bundle_id;
    other_bundle[0] ^= 1;
    let with = |at: usize, value: u8| {
        let mut s = signed.clone();
        s[at] = value;
        s
    };
    let mut another_identity = bundle_case(
        "another_identity_expected",
        &signed,
        &one_time,
        "WrongIdentity",
    );
    another_identity["fingerprint"] = json!(hex(other.fingerprint().as_bytes()));
    let mut another_bundle = bundle_case(
        "signed_for_another_bundle",
        &signed,
        &one_time,
        "BadSignature",
    );
    another_bundle["bundle_id"] = json!(hex(&other_bundle));
    json!({
        "description": "VerifiedBundle::verify(signed, handed, fingerprint, bundle_id) on a bundle's plain parts. The responder is Identity::generate drawing identity_rng and PrekeySet::generate(1) drawing prekeys_rng; valid is its plain bundle for bundle_id. A case's own fingerprint or bundle_id, when given, replaces the section's.",
        "identity_rng": hex(&r.identity_rng),
        "prekeys_rng": hex(&r.prekeys_rng),
        "bundle_id": hex(&r.bundle_id),
        "fingerprint": hex(r.identity.fingerprint().as_bytes()),
        "valid": bundle_case("valid", &signed, &one_time, ""),
        "cases": [
            bundle_case("signed_one_byte_short", &signed[..signed.len() - 1], &one_time, "Malformed"),
            bundle_case("unknown_bundle_version", &with(0, 2), &one_time, "Version"),
            bundle_case("identity_signature_bit_flipped", &flip(&signed, 1 + 65), &one_time, "Identity"),
            another_identity,
            another_bundle,
            bundle_case("signed_prekey_signature_bit_flipped", &flip(&signed, 1 + 129 + 4 + 32 + 10), &one_time, "BadSignature"),
            bundle_case("kem_key_fails_modulus_check_but_signed", &bad_kem, &one_time, "BadKey"),
            bundle_case("one_time_key_one_byte_short", &signed, &short_key, "Malformed"),
            bundle_case("last_resort_key_passed_off_as_one_time", &signed, &lr_as_one_time, "BadSignature"),
        ],
    })
}

fn replay_bundle(v: &Value) {
    let identity = Identity::generate(&mut ReplayRng::new(bytes(&v["identity_rng"]))).unwrap();
    let mut rng = ReplayRng::new(bytes(&v["prekeys_rng"]));
    let prekeys = PrekeySet::generate(1, &mut rng).unwrap();
    assert!(rng.used_exactly());
    let bundle_id: [u8; 16] = array(&v["bundle_id"]);
    let plain = prekeys.plain_bundle(&identity, &bundle_id);
    assert_eq!(
        plain.signed.as_bytes().to_vec(),
        bytes(&v["valid"]["signed"])
    );
    assert_eq!(
        identity.fingerprint().as_bytes().to_vec(),
        bytes(&v["fingerprint"])
    );
    let check = |c: &Value| {
        let fp = Fingerprint(array(c.get("fingerprint").unwrap_or(&v["fingerprint"])));
        let id: [u8; 16] = array(c.get("bundle_id").unwrap_or(&v["bundle_id"]));
        VerifiedBundle::verify(&bytes(&c["signed"]), &handed_from(&c["handed"]), &fp, &id)
    };
    check(&v["valid"]).unwrap();
    for c in v["cases"].as_array().unwrap() {
        let err = check(c).unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            c["error"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
}

fn generate_pickle(rng: &mut TestRng, r: &Responder) -> Value {
    let key = Secret::<32>::random(rng).unwrap();
    let valid = r.prekeys.pickle(&key, rng).unwrap();
    let content = pickle::open(&key, PREKEYS_PICKLE_LABEL, &valid)
        .unwrap()
        .to_vec();
    let seal = |label: &str, content: &[u8], rng: &mut TestRng| {
        pickle::seal(&key, label, content, rng).unwrap()
    };
    let with = |at: usize, value: u8| {
        let mut c = content.clone();
        c[at] = value;
        c
    };
    // Offset of the "previous" flag: version, next id, SPK id and secret, PQPK id and
    // seed, LRPK id and secret.
    let previous_flag = 1 + 4 + 4 + 32 + 4 + 64 + 4 + 32;
    let cases = vec![
        case("too_short", b"CPK", "NotAPickle"),
        case(
            "wrong_magic",
            &{
                let mut p = valid.clone();
                p[2] = b'X';
                p
            },
            "NotAPickle",
        ),
        case(
            "unknown_outer_version",
            &{
                let mut p = valid.clone();
                p[3] = 2;
                p
            },
            "Version",
        ),
        case("salt_bit_flipped", &flip(&valid, 10), "Decrypt"),
        case("tag_bit_flipped", &flip(&valid, valid.len() - 1), "Decrypt"),
        case("another_type", &seal("session", &content, rng), "Decrypt"),
        case(
            "content_version_1",
            &seal(PREKEYS_PICKLE_LABEL, &with(0, 1), rng),
            "Version",
        ),
        case(
            "trailing_byte",
            &seal(PREKEYS_PICKLE_LABEL, &[&content[..], &[0]].concat(), rng),
            "Malformed",
        ),
        case(
            "presence_byte_2",
            &seal(PREKEYS_PICKLE_LABEL, &with(previous_flag, 2), rng),
            "Malformed",
        ),
        case(
            "content_cut_short",
            &seal(PREKEYS_PICKLE_LABEL, &content[..content.len() - 1], rng),
            "Malformed",
        ),
    ];
    rng.take_drawn();
    json!({
        "description": "PrekeySet::unpickle(pickle_key, input), the prekeys of the bundle section. valid opens; its content is given so that the altered contents are clear; each case is refused.",
        "pickle_key": hex(key.expose()),
        "valid": {"pickled": hex(&valid), "content": hex(&content)},
        "cases": cases,
    })
}

fn replay_pickle(v: &Value) {
    let key = Secret::from_bytes(array(&v["pickle_key"]));
    let set = PrekeySet::unpickle(&key, &bytes(&v["valid"]["pickled"])).unwrap();
    assert_eq!(set.one_time_count(), 1);
    assert_eq!(
        pickle::open(&key, PREKEYS_PICKLE_LABEL, &bytes(&v["valid"]["pickled"]))
            .unwrap()
            .to_vec(),
        bytes(&v["valid"]["content"])
    );
    for c in v["cases"].as_array().unwrap() {
        let err = PrekeySet::unpickle(&key, &bytes(&c["input"])).unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            c["error"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
}

fn generate() -> Value {
    let mut rng = TestRng::from_seed(*b"Corridor error-path vectors v1..");
    let ratchet = generate_ratchet(&mut rng);
    let envelope = generate_envelope(&mut rng);
    let r = responder_keys(&mut rng);
    let other = Identity::generate(&mut rng).unwrap();
    let initial = generate_initial(&mut rng, &r);
    let bundle = generate_bundle(&r, &other);
    let pickle = generate_pickle(&mut rng, &r);
    json!({
        "description": "Error paths (docs/protocol.md). Every input of a section's cases must be refused with the named error (Rust Debug form of the error value); each section's valid input must be accepted. Byte strings are lowercase hex.",
        "regenerate": REGENERATE,
        "ratchet": ratchet,
        "envelope": envelope,
        "initial_envelope": initial,
        "bundle": bundle,
        "pickle": pickle,
    })
}

fn replay_file(v: &Value) {
    replay_ratchet(&v["ratchet"]);
    replay_envelope(&v["envelope"]);
    replay_initial(&v["initial_envelope"]);
    replay_bundle(&v["bundle"]);
    replay_pickle(&v["pickle"]);
}

fn as_result(v: &Value) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| replay_file(v)))
        .map_err(|_| "replay check failed".to_string())
}

fn rendered() -> String {
    serde_json::to_string_pretty(&generate()).unwrap() + "\n"
}

#[test]
fn error_vectors() {
    let generated = rendered();
    let text = vectors_support::read_or_regenerate("errors.json", &generated, REGENERATE);
    vectors_support::check_text(&text, &generated, &as_result).unwrap_or_else(|e| {
        panic!("errors.json: {e}; if deliberate, regenerate with {REGENERATE}")
    });
}

#[test]
fn changing_any_byte_of_the_error_file_fails() {
    let generated = rendered();
    let text = vectors_support::read_or_regenerate("errors.json", &generated, REGENERATE);
    vectors_support::every_byte_is_pinned("errors.json", &text, &generated, &as_result);
}

/// The replay alone notices a changed expected error or a changed input.
#[test]
fn the_replay_alone_notices_a_changed_error_or_input() {
    let v = generate();
    replay_file(&v);
    for section in [
        "ratchet",
        "envelope",
        "initial_envelope",
        "bundle",
        "pickle",
    ] {
        let count = v[section]["cases"].as_array().unwrap().len();
        for i in 0..count {
            let mut bad = v.clone();
            bad[section]["cases"][i]["error"] = json!("SomethingElse");
            assert!(
                as_result(&bad).is_err(),
                "{section} case {i}: error not checked"
            );
        }
    }
    let mut bad = v.clone();
    bad["bundle"]["valid"]["signed"] =
        json!(hex(&flip(&bytes(&v["bundle"]["valid"]["signed"]), 300)));
    assert!(as_result(&bad).is_err());
}
