//! Test vectors for the encrypted pickles of a prekey set, a session and a reassembler:
//! `docs/test-vectors/pickles.json`. (The identity pickle is in `identity.json`.)
//!
//! Each entry builds a real state from recorded inputs, pickles it under `pickle_key`
//! drawing `salt_rng`, and lists the decrypted `content` (so a second implementation can
//! check its parser against the layouts in `docs/protocol.md`, "Pickles") and the
//! `pickled` bytes. The check: the file is exactly what the code generates; replaying the
//! inputs reproduces `pickled`; `pickled` decrypts to `content`; unpickling and pickling
//! again with the same salt gives the same bytes; and the restored state still works.
//!
//! Regenerate after a deliberate change:
//! `CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_pickles`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ratchet_support;
mod vectors_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::bundle::{PREKEYS_PICKLE_LABEL, PrekeyRef, PrekeySet};
use corridor_client::protocol::envelope::{self, REASSEMBLER_PICKLE_LABEL, Reassembler};
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::pickle;
use corridor_client::protocol::ratchet::{SESSION_PICKLE_LABEL, Session};
use data_encoding::HEXLOWER;
use ratchet_support::{ReplayRng, TestRng};
use serde_json::{Value, json};

const REGENERATE: &str =
    "CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_pickles";

fn hex(b: &[u8]) -> String {
    HEXLOWER.encode(b)
}

fn bytes(v: &Value) -> Vec<u8> {
    HEXLOWER.decode(v.as_str().unwrap().as_bytes()).unwrap()
}

fn array<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().unwrap()
}

fn replay(v: &Value) -> ReplayRng {
    ReplayRng::new(bytes(v))
}

const AD: &[u8] = b"Corridor vectors AD: pickles";
const REASSEMBLED: usize = 200;
const BLOCK_LEN: usize = 256;

fn generate() -> Value {
    let mut rng = TestRng::from_seed(*b"Corridor pickle test vectors v1.");
    let pickle_key = Secret::<32>::random(&mut rng).unwrap();
    rng.take_drawn();

    // A prekey set that has been through every change its pickle records.
    let _identity = Identity::generate(&mut rng).unwrap();
    let identity_rng = rng.take_drawn();
    let mut set = PrekeySet::generate(2, &mut rng).unwrap();
    let generate_rng = rng.take_drawn();
    set.rotate(&mut rng).unwrap();
    let rotate_rng = rng.take_drawn();
    set.rotate_last_resort(&mut rng).unwrap();
    let rotate_last_resort_rng = rng.take_drawn();
    assert!(set.consume(PrekeyRef::OneTime(4)));
    let prekeys_pickled = set.pickle(&pickle_key, &mut rng).unwrap();
    let prekeys_salt = rng.take_drawn();
    let prekeys_content =
        pickle::open(&pickle_key, PREKEYS_PICKLE_LABEL, &prekeys_pickled).unwrap();

    // A session with skipped keys: the responder has read message 2 before 0 and 1.
    let sk = Secret::<32>::random(&mut rng).unwrap();
    let prekey = X25519Secret::generate(&mut rng).unwrap();
    let prekey_secret = *prekey.to_secret().expose();
    rng.take_drawn();
    let mut alice = Session::initiator(&sk, AD, prekey.public(), &mut rng).unwrap();
    let initiator_rng = rng.take_drawn();
    let mut bob = Session::responder(&sk, AD, prekey).unwrap();
    let mut messages = Vec::new();
    for i in 0..3u8 {
        let m = alice.encrypt(&[b'm', b'0' + i], &mut rng).unwrap();
        messages.push(json!({"plaintext": hex(&[b'm', b'0' + i]), "rng": hex(&rng.take_drawn()), "message": hex(&m)}));
    }
    bob.decrypt(&bytes(&messages[2]["message"])).unwrap();
    let session_pickled = bob.pickle(&pickle_key, &mut rng).unwrap();
    let session_salt = rng.take_drawn();
    let session_content =
        pickle::open(&pickle_key, SESSION_PICKLE_LABEL, &session_pickled).unwrap();

    // A reassembler holding the first block of a two-block payload.
    let payload: Vec<u8> = (0..REASSEMBLED).map(|i| (i % 251) as u8).collect();
    let blocks = envelope::seal_with_capacity(&mut alice, &payload, BLOCK_LEN, &mut rng).unwrap();
    let seal_rng = rng.take_drawn();
    assert_eq!(blocks.len(), 2);
    let mut reassembler = Reassembler::new();
    assert!(
        reassembler
            .open_message(&mut bob, &blocks[0])
            .unwrap()
            .is_none()
    );
    let reassembler_pickled = reassembler.pickle(&pickle_key, &mut rng).unwrap();
    let reassembler_salt = rng.take_drawn();
    let reassembler_content =
        pickle::open(&pickle_key, REASSEMBLER_PICKLE_LABEL, &reassembler_pickled).unwrap();

    json!({
        "description": "Encrypted pickles (docs/protocol.md, \"Pickles\"): pickle = \"CPK\" || 0x01 || salt (32) || ChaCha20-Poly1305 under HKDF(salt, pickle_key, \"Corridor_v1_pickle:\" || label), zero nonce, aad \"CPK\" || 0x01 || label. Each entry rebuilds a state from its inputs, pickles it drawing salt_rng (the salt) and gives the decrypted content and the pickle.",
        "regenerate": REGENERATE,
        "pickle_key": hex(pickle_key.expose()),
        "prekeys": {
            "description": "Identity::generate drawing identity_rng; PrekeySet::generate(2) drawing generate_rng; rotate drawing rotate_rng; rotate_last_resort drawing rotate_last_resort_rng; consume the one-time prekey 4; pickle.",
            "label": PREKEYS_PICKLE_LABEL,
            "identity_rng": hex(&identity_rng),
            "generate_rng": hex(&generate_rng),
            "rotate_rng": hex(&rotate_rng),
            "rotate_last_resort_rng": hex(&rotate_last_resort_rng),
            "consumed": 4,
            "salt_rng": hex(&prekeys_salt),
            "content": hex(&prekeys_content),
            "pickled": hex(&prekeys_pickled),
        },
        "session": {
            "description": "Session::initiator(sk, ad, public(responder_ratchet_secret)) drawing initiator_rng and Session::responder(sk, ad, responder_ratchet_secret); the initiator encrypts messages in order, each drawing its rng; the responder decrypts message 2 (storing the skipped keys of 0 and 1); the responder's session is pickled. After unpickling it still decrypts messages 0 and 1.",
            "label": SESSION_PICKLE_LABEL,
            "sk": hex(sk.expose()),
            "ad": hex(AD),
            "responder_ratchet_secret": hex(&prekey_secret),
            "initiator_rng": hex(&initiator_rng),
            "messages": messages,
            "salt_rng": hex(&session_salt),
            "content": hex(&session_content),
            "pickled": hex(&session_pickled),
        },
        "reassembler": {
            "description": "Continuing the session entry (after its pickle): the initiator seals payload with envelope::seal_with_capacity(block_len) drawing seal_rng, giving blocks; the responder opens block 0 into a fresh Reassembler (incomplete), which is pickled. After unpickling, block 1 completes payload.",
            "label": REASSEMBLER_PICKLE_LABEL,
            "payload": hex(&payload),
            "block_len": BLOCK_LEN,
            "seal_rng": hex(&seal_rng),
            "blocks": blocks.iter().map(|b| hex(b)).collect::<Vec<_>>(),
            "salt_rng": hex(&reassembler_salt),
            "content": hex(&reassembler_content),
            "pickled": hex(&reassembler_pickled),
        },
    })
}

fn check_pickle(key: &Secret<32>, entry: &Value, pickled: &[u8]) {
    assert_eq!(pickled, bytes(&entry["pickled"]).as_slice());
    let label = entry["label"].as_str().unwrap();
    let content = pickle::open(key, label, &bytes(&entry["pickled"])).unwrap();
    assert_eq!(content.to_vec(), bytes(&entry["content"]));
}

fn replay_file(v: &Value) {
    let key = Secret::from_bytes(array(&v["pickle_key"]));

    let p = &v["prekeys"];
    let identity = Identity::generate(&mut replay(&p["identity_rng"])).unwrap();
    let mut rng = replay(&p["generate_rng"]);
    let mut set = PrekeySet::generate(2, &mut rng).unwrap();
    assert!(rng.used_exactly());
    let mut rng = replay(&p["rotate_rng"]);
    set.rotate(&mut rng).unwrap();
    assert!(rng.used_exactly());
    let mut rng = replay(&p["rotate_last_resort_rng"]);
    set.rotate_last_resort(&mut rng).unwrap();
    assert!(rng.used_exactly());
    let consumed = u32::try_from(p["consumed"].as_u64().unwrap()).unwrap();
    assert!(set.consume(PrekeyRef::OneTime(consumed)));
    let mut rng = replay(&p["salt_rng"]);
    check_pickle(&key, p, &set.pickle(&key, &mut rng).unwrap());
    assert!(rng.used_exactly());
    let back = PrekeySet::unpickle(&key, &bytes(&p["pickled"])).unwrap();
    assert_eq!(
        back.pickle(&key, &mut replay(&p["salt_rng"])).unwrap(),
        bytes(&p["pickled"])
    );
    let bundle_id = [9u8; 16];
    assert_eq!(
        back.plain_bundle(&identity, &bundle_id),
        set.plain_bundle(&identity, &bundle_id)
    );

    let s = &v["session"];
    let sk = Secret::from_bytes(array(&s["sk"]));
    let ad = bytes(&s["ad"]);
    let prekey = X25519Secret::from_bytes(array(&s["responder_ratchet_secret"]));
    let mut rng = replay(&s["initiator_rng"]);
    let mut alice = Session::initiator(&sk, &ad, prekey.public(), &mut rng).unwrap();
    assert!(rng.used_exactly());
    let mut bob = Session::responder(&sk, &ad, prekey).unwrap();
    let messages = s["messages"].as_array().unwrap();
    for m in messages {
        let mut rng = replay(&m["rng"]);
        let out = alice.encrypt(&bytes(&m["plaintext"]), &mut rng).unwrap();
        assert!(rng.used_exactly());
        assert_eq!(out, bytes(&m["message"]));
    }
    assert_eq!(
        bob.decrypt(&bytes(&messages[2]["message"]))
            .unwrap()
            .to_vec(),
        bytes(&messages[2]["plaintext"])
    );
    let mut rng = replay(&s["salt_rng"]);
    check_pickle(&key, s, &bob.pickle(&key, &mut rng).unwrap());
    assert!(rng.used_exactly());
    let mut restored = Session::unpickle(&key, &bytes(&s["pickled"])).unwrap();
    assert_eq!(
        restored.pickle(&key, &mut replay(&s["salt_rng"])).unwrap(),
        bytes(&s["pickled"])
    );
    for m in &messages[..2] {
        assert_eq!(
            restored.decrypt(&bytes(&m["message"])).unwrap().to_vec(),
            bytes(&m["plaintext"])
        );
    }

    let r = &v["reassembler"];
    let block_len = usize::try_from(r["block_len"].as_u64().unwrap()).unwrap();
    let payload = bytes(&r["payload"]);
    let mut rng = replay(&r["seal_rng"]);
    let blocks = envelope::seal_with_capacity(&mut alice, &payload, block_len, &mut rng).unwrap();
    assert!(rng.used_exactly());
    let expected: Vec<Vec<u8>> = r["blocks"].as_array().unwrap().iter().map(bytes).collect();
    assert_eq!(blocks, expected);
    let mut reassembler = Reassembler::new();
    assert!(
        reassembler
            .open_message(&mut bob, &expected[0])
            .unwrap()
            .is_none()
    );
    let mut rng = replay(&r["salt_rng"]);
    check_pickle(&key, r, &reassembler.pickle(&key, &mut rng).unwrap());
    assert!(rng.used_exactly());
    let mut back = Reassembler::unpickle(&key, &bytes(&r["pickled"])).unwrap();
    assert_eq!(
        back.pickle(&key, &mut replay(&r["salt_rng"])).unwrap(),
        bytes(&r["pickled"])
    );
    let done = back.open_message(&mut bob, &expected[1]).unwrap().unwrap();
    assert_eq!(done.to_vec(), payload);
}

fn as_result(v: &Value) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| replay_file(v)))
        .map_err(|_| "replay check failed".to_string())
}

fn rendered() -> String {
    serde_json::to_string_pretty(&generate()).unwrap() + "\n"
}

#[test]
fn pickle_vectors() {
    let generated = rendered();
    let text = vectors_support::read_or_regenerate("pickles.json", &generated, REGENERATE);
    vectors_support::check_text(&text, &generated, &as_result).unwrap_or_else(|e| {
        panic!("pickles.json: {e}; if deliberate, regenerate with {REGENERATE}")
    });
}

#[test]
fn changing_any_byte_of_the_pickle_file_fails() {
    let generated = rendered();
    let text = vectors_support::read_or_regenerate("pickles.json", &generated, REGENERATE);
    vectors_support::every_byte_is_pinned("pickles.json", &text, &generated, &as_result);
}

/// The replay check alone (without the byte-for-byte comparison) notices a change of
/// every recorded output and input.
#[test]
fn the_replay_alone_notices_each_changed_value() {
    let v = generate();
    replay_file(&v);
    for pointer in [
        "/pickle_key",
        "/prekeys/generate_rng",
        "/prekeys/rotate_last_resort_rng",
        "/prekeys/content",
        "/prekeys/pickled",
        "/session/messages/1/message",
        "/session/salt_rng",
        "/session/content",
        "/session/pickled",
        "/reassembler/blocks/0",
        "/reassembler/content",
        "/reassembler/pickled",
    ] {
        let mut bad = v.clone();
        let slot = bad.pointer_mut(pointer).unwrap();
        let s = slot.as_str().unwrap().to_owned();
        let i = s.len() / 2;
        let flipped = if &s[i..=i] == "0" { "1" } else { "0" };
        *slot = Value::String(format!("{}{flipped}{}", &s[..i], &s[i + 1..]));
        assert!(
            as_result(&bad).is_err(),
            "changing {pointer} went unnoticed"
        );
    }
}
