//! Test vectors for the Double Ratchet and the envelopes: `docs/test-vectors/ratchet.json`
//! and `docs/test-vectors/envelope.json`.
//!
//! Each file is checked two ways: it must equal what this code generates from the fixed
//! seeds (so any change of behaviour, or of one byte of the file, fails), and replaying the
//! file's own recorded inputs (including every random byte each operation drew) must
//! reproduce its outputs (so the file is self-contained for a second implementation).
//!
//! Regenerate after a deliberate change:
//! `CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_ratchet`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ratchet_support;
mod vectors_support;

use corridor_client::primitives::Secret;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::envelope::{self, CHUNK_CAPACITY, Reassembler};
use corridor_client::protocol::ratchet::{Session, kdf};
use data_encoding::HEXLOWER;
use ratchet_support::{ReplayRng, TestRng};
use serde_json::{Value, json};

const REGENERATE: &str =
    "CORRIDOR_REGENERATE_VECTORS=1 cargo test -p corridor-client --test vectors_ratchet";

fn hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(bytes)
}

fn unhex(v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or("expected a hex string")?;
    HEXLOWER
        .decode(s.as_bytes())
        .map_err(|e| format!("bad hex: {e}"))
}

fn unhex32(v: &Value) -> Result<[u8; 32], String> {
    unhex(v)?
        .try_into()
        .map_err(|_| "expected 32 bytes".to_string())
}

/// The common start of both files: the handshake's outputs and the initiator's randomness.
struct Setup {
    alice: Session,
    bob: Session,
    json: Value,
}

fn setup(rng: &mut TestRng, ad: &[u8]) -> Setup {
    let sk = Secret::<32>::random(rng).unwrap();
    let prekey = X25519Secret::generate(rng).unwrap();
    let prekey_bytes = *prekey.to_secret().expose();
    rng.take_drawn();
    let alice = Session::initiator(&sk, ad, prekey.public(), rng).unwrap();
    let initiator_rng = rng.take_drawn();
    let bob = Session::responder(&sk, ad, prekey).unwrap();
    let json = json!({
        "sk": hex(sk.expose()),
        "ad": hex(ad),
        "responder_ratchet_secret": hex(&prekey_bytes),
        "responder_ratchet_public": hex(&X25519Secret::from_bytes(prekey_bytes).public().to_bytes()),
        "initiator_rng": hex(&initiator_rng),
    });
    Setup { alice, bob, json }
}

fn replay_setup(v: &Value) -> Result<(Session, Session), String> {
    let sk = Secret::from_bytes(unhex32(&v["sk"])?);
    let ad = unhex(&v["ad"])?;
    let prekey = X25519Secret::from_bytes(unhex32(&v["responder_ratchet_secret"])?);
    if prekey.public().to_bytes() != unhex32(&v["responder_ratchet_public"])? {
        return Err("responder ratchet public key mismatch".into());
    }
    let mut rng = ReplayRng::new(unhex(&v["initiator_rng"])?);
    let alice =
        Session::initiator(&sk, &ad, prekey.public(), &mut rng).map_err(|e| e.to_string())?;
    if !rng.used_exactly() {
        return Err("initiator randomness mismatch".into());
    }
    let bob = Session::responder(&sk, &ad, prekey).map_err(|e| e.to_string())?;
    Ok((alice, bob))
}

// ---------------------------------------------------------------------------- ratchet

enum Op {
    Send(bool, &'static [u8]),
    Receive(bool, usize),
}

/// The scenario: out-of-order delivery within a chain, DH ratchet steps both ways, a
/// straggler from a closed chain, a duplicate, and a message from a chain that is gone.
const SCENARIO: &[Op] = &[
    Op::Send(true, b"a0: first message"),
    Op::Send(true, b"a1"),
    Op::Send(true, b"a2: overtakes a0 and a1"),
    Op::Receive(false, 2),
    Op::Receive(false, 0),
    Op::Send(false, b"b0: first reply"),
    Op::Receive(true, 3),
    Op::Send(true, b"a3: new chain"),
    Op::Receive(false, 4),
    Op::Receive(false, 1),
    Op::Receive(false, 1),
    Op::Send(false, b"b1"),
    Op::Send(false, b""),
    Op::Receive(true, 6),
    Op::Receive(true, 5),
    Op::Receive(true, 3),
];

fn party(initiator: bool) -> &'static str {
    if initiator { "initiator" } else { "responder" }
}

fn generate_ratchet() -> Value {
    let mut rng = TestRng::from_seed(*b"Corridor ratchet test vectors v1");
    let Setup {
        mut alice,
        mut bob,
        json: mut root,
    } = setup(&mut rng, b"Corridor vectors AD: IK_A || IK_B");
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut steps = Vec::new();
    for op in SCENARIO {
        match op {
            Op::Send(initiator, plaintext) => {
                let session = if *initiator { &mut alice } else { &mut bob };
                rng.take_drawn();
                let message = session.encrypt(plaintext, &mut rng).unwrap();
                steps.push(json!({
                    "op": "encrypt", "party": party(*initiator), "id": messages.len(),
                    "plaintext": hex(plaintext), "rng": hex(&rng.take_drawn()), "message": hex(&message),
                }));
                messages.push(message);
            }
            Op::Receive(initiator, id) => {
                let session = if *initiator { &mut alice } else { &mut bob };
                let step = match session.decrypt(&messages[*id]) {
                    Ok(p) => {
                        json!({"op": "decrypt", "party": party(*initiator), "id": id, "plaintext": hex(&p)})
                    }
                    Err(e) => {
                        json!({"op": "decrypt", "party": party(*initiator), "id": id, "error": format!("{e:?}")})
                    }
                };
                steps.push(step);
            }
        }
    }
    root["steps"] = Value::Array(steps);

    // Each KDF on its own, from fixed inputs.
    let sk = Secret::from_bytes(*b"fixed handshake secret SK 32 byt");
    let init = kdf::initial_keys(&sk).unwrap();
    let dh = Secret::from_bytes(*b"fixed Diffie-Hellman output 32 b");
    let step = kdf::root_step(&init.root, &dh).unwrap();
    let (next, message_key) = kdf::chain_step(&step.chain);
    let header_nonce = *b"header nonce";
    let cipher = kdf::message_cipher(&message_key, &header_nonce).unwrap();
    root["kdf"] = json!({
        "sk": hex(sk.expose()),
        "initial_root": hex(init.root.expose()),
        "initial_header_a": hex(init.header_a.expose()),
        "initial_next_header_b": hex(init.next_header_b.expose()),
        "dh_output": hex(dh.expose()),
        "root_step_root": hex(step.root.expose()),
        "root_step_chain": hex(step.chain.expose()),
        "root_step_next_header": hex(step.next_header.expose()),
        "chain_step_next_chain": hex(next.expose()),
        "chain_step_message_key": hex(message_key.expose()),
        "message_header_nonce": hex(&header_nonce),
        "message_aead_key": hex(cipher.key.expose()),
        "message_aead_nonce": hex(&cipher.nonce),
    });
    let mut out = json!({
        "description": "Double Ratchet with header encryption (docs/protocol.md, \"Double Ratchet\"). Start both sessions from sk/ad/responder_ratchet_*, the initiator drawing initiator_rng; then run steps in order. Each encrypt draws exactly its rng bytes; messages are referred to by id (the order of the encrypt steps).",
        "regenerate": REGENERATE,
    });
    for (k, v) in root.as_object().unwrap() {
        out[k] = v.clone();
    }
    out
}

fn verify_ratchet(v: &Value) -> Result<(), String> {
    let (mut alice, mut bob) = replay_setup(v)?;
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for step in v["steps"].as_array().ok_or("no steps")? {
        let session = match step["party"].as_str() {
            Some("initiator") => &mut alice,
            Some("responder") => &mut bob,
            _ => return Err("bad party".into()),
        };
        let id = step["id"].as_u64().ok_or("no id")? as usize;
        match step["op"].as_str() {
            Some("encrypt") => {
                if id != messages.len() {
                    return Err("ids must follow the order of encryption".into());
                }
                let mut rng = ReplayRng::new(unhex(&step["rng"])?);
                let message = session
                    .encrypt(&unhex(&step["plaintext"])?, &mut rng)
                    .map_err(|e| e.to_string())?;
                if !rng.used_exactly() || message != unhex(&step["message"])? {
                    return Err(format!("encrypt {id} mismatch"));
                }
                messages.push(message);
            }
            Some("decrypt") => {
                let message = messages.get(id).ok_or("unknown id")?;
                match (
                    session.decrypt(message),
                    step.get("plaintext"),
                    step.get("error"),
                ) {
                    (Ok(p), Some(expected), None)
                        if p.as_slice() == unhex(expected)?.as_slice() => {}
                    (Err(e), None, Some(expected))
                        if Some(format!("{e:?}").as_str()) == expected.as_str() => {}
                    _ => return Err(format!("decrypt {id} mismatch")),
                }
            }
            _ => return Err("bad op".into()),
        }
    }
    let k = &v["kdf"];
    let init =
        kdf::initial_keys(&Secret::from_bytes(unhex32(&k["sk"])?)).map_err(|e| e.to_string())?;
    let root = Secret::from_bytes(unhex32(&k["initial_root"])?);
    let step = kdf::root_step(&root, &Secret::from_bytes(unhex32(&k["dh_output"])?))
        .map_err(|e| e.to_string())?;
    let chain = Secret::from_bytes(unhex32(&k["root_step_chain"])?);
    let (next, mk) = kdf::chain_step(&chain);
    let header_nonce: [u8; 12] = unhex(&k["message_header_nonce"])?
        .try_into()
        .map_err(|_| "expected a 12-byte header nonce")?;
    let cipher = kdf::message_cipher(
        &Secret::from_bytes(unhex32(&k["chain_step_message_key"])?),
        &header_nonce,
    )
    .map_err(|e| e.to_string())?;
    let checks: [(&str, &[u8]); 11] = [
        ("initial_root", init.root.expose()),
        ("initial_header_a", init.header_a.expose()),
        ("initial_next_header_b", init.next_header_b.expose()),
        ("root_step_root", step.root.expose()),
        ("root_step_chain", step.chain.expose()),
        ("root_step_next_header", step.next_header.expose()),
        ("chain_step_next_chain", next.expose()),
        ("chain_step_message_key", mk.expose()),
        ("message_aead_key", cipher.key.expose()),
        ("message_aead_nonce", &cipher.nonce),
        ("sk", &unhex32(&k["sk"])?),
    ];
    for (name, value) in checks {
        if unhex(&k[name])? != value {
            return Err(format!("kdf {name} mismatch"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------- envelope

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn generate_envelope() -> Value {
    let mut rng = TestRng::from_seed(*b"Corridor envelope test vectors 1");
    let Setup {
        mut alice,
        mut bob,
        json: root,
    } = setup(&mut rng, b"Corridor vectors AD: envelopes");
    let mut seals = Vec::new();
    // (sender is initiator, payload, block_len or None for standard envelopes)
    let cases: [(bool, Vec<u8>, Option<usize>); 4] = [
        (true, b"short payload".to_vec(), None),
        (true, payload(CHUNK_CAPACITY + 100), None),
        (false, b"reply".to_vec(), None),
        (true, payload(300), Some(256)),
    ];
    for (initiator, data, block_len) in cases {
        let (from, to) = if initiator {
            (&mut alice, &mut bob)
        } else {
            (&mut bob, &mut alice)
        };
        rng.take_drawn();
        let blocks: Vec<Vec<u8>> = match block_len {
            None => envelope::seal(from, &data, &mut rng)
                .unwrap()
                .iter()
                .map(|e| e.to_vec())
                .collect(),
            Some(len) => envelope::seal_with_capacity(from, &data, len, &mut rng).unwrap(),
        };
        let drawn = rng.take_drawn();
        let mut reassembler = Reassembler::new();
        let mut out = None;
        for b in &blocks {
            out = match block_len {
                None => reassembler.open(to, b).unwrap(),
                Some(_) => reassembler.open_message(to, b).unwrap(),
            };
        }
        assert_eq!(out.unwrap().as_slice(), data.as_slice());
        seals.push(json!({
            "party": party(initiator),
            "payload": hex(&data),
            "block_len": block_len,
            "rng": hex(&drawn),
            "blocks": blocks.iter().map(|b| hex(b)).collect::<Vec<_>>(),
        }));
    }
    let mut out = json!({
        "description": "Fixed-size envelopes (docs/protocol.md, \"Envelopes\"). Start both sessions as in ratchet.json; then for each seal in order: the party seals payload (standard 4096-byte envelopes when block_len is null, otherwise ratchet messages of block_len bytes) drawing exactly rng, producing blocks; the other party opens them in order and reassembles payload.",
        "regenerate": REGENERATE,
    });
    for (k, v) in root.as_object().unwrap() {
        out[k] = v.clone();
    }
    out["seals"] = Value::Array(seals);
    out
}

fn verify_envelope(v: &Value) -> Result<(), String> {
    let (mut alice, mut bob) = replay_setup(v)?;
    for seal in v["seals"].as_array().ok_or("no seals")? {
        let (from, to) = match seal["party"].as_str() {
            Some("initiator") => (&mut alice, &mut bob),
            Some("responder") => (&mut bob, &mut alice),
            _ => return Err("bad party".into()),
        };
        let data = unhex(&seal["payload"])?;
        let mut rng = ReplayRng::new(unhex(&seal["rng"])?);
        let block_len = match &seal["block_len"] {
            Value::Null => None,
            n => Some(n.as_u64().ok_or("bad block_len")? as usize),
        };
        let blocks: Vec<Vec<u8>> = match block_len {
            None => envelope::seal(from, &data, &mut rng)
                .map_err(|e| e.to_string())?
                .iter()
                .map(|e| e.to_vec())
                .collect(),
            Some(len) => envelope::seal_with_capacity(from, &data, len, &mut rng)
                .map_err(|e| e.to_string())?,
        };
        let expected: Vec<Vec<u8>> = seal["blocks"]
            .as_array()
            .ok_or("no blocks")?
            .iter()
            .map(unhex)
            .collect::<Result<_, _>>()?;
        if !rng.used_exactly() || blocks != expected {
            return Err("sealed blocks mismatch".into());
        }
        let mut reassembler = Reassembler::new();
        let mut out = None;
        for b in &expected {
            out = match block_len {
                None => reassembler.open(to, b),
                Some(_) => reassembler.open_message(to, b),
            }
            .map_err(|e| e.to_string())?;
        }
        if out.as_deref().map(|p| p.as_slice()) != Some(data.as_slice()) {
            return Err("reassembled payload mismatch".into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------- checks

fn render(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

fn check_file(name: &str, generated: Value, verify: fn(&Value) -> Result<(), String>) {
    let generated = render(&generated);
    let text = vectors_support::read_or_regenerate(name, &generated, REGENERATE);
    vectors_support::check_text(&text, &generated, &verify)
        .unwrap_or_else(|e| panic!("{name}: {e}; if deliberate, regenerate with {REGENERATE}"));
}

/// Changing any one byte of either file (in memory) makes its check fail.
#[test]
fn changing_any_byte_of_the_ratchet_and_envelope_files_fails() {
    for (name, generated, verify) in [
        (
            "ratchet.json",
            generate_ratchet(),
            verify_ratchet as fn(&Value) -> Result<(), String>,
        ),
        ("envelope.json", generate_envelope(), verify_envelope),
    ] {
        let generated = render(&generated);
        let text = vectors_support::read_or_regenerate(name, &generated, REGENERATE);
        vectors_support::every_byte_is_pinned(name, &text, &generated, &verify);
    }
}

#[test]
fn ratchet_vectors() {
    check_file("ratchet.json", generate_ratchet(), verify_ratchet);
}

#[test]
fn envelope_vectors() {
    check_file("envelope.json", generate_envelope(), verify_envelope);
}

/// Changes each value in turn (one hex digit of every string, +1000 to every number; not the two
/// free-text fields) and checks that the replay check refuses it: the vectors pin every
/// value they carry.
fn every_value_is_pinned(generated: Value, verify: fn(&Value) -> Result<(), String>) {
    fn leaves(v: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| {
                let mut p = path.clone();
                p.push(k.clone());
                leaves(v, p, out)
            }),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
                let mut p = path.clone();
                p.push(i.to_string());
                leaves(v, p, out)
            }),
            Value::String(_) | Value::Number(_) => out.push(path),
            _ => {}
        }
    }
    fn get<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
        path.iter().fold(v, |v, k| match v {
            Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
            other => &mut other[k.as_str()],
        })
    }
    verify(&generated).unwrap();
    let mut paths = Vec::new();
    leaves(&generated, Vec::new(), &mut paths);
    for p in paths
        .iter()
        .filter(|p| p[0] != "description" && p[0] != "regenerate")
    {
        let mut changed = generated.clone();
        let leaf = get(&mut changed, p);
        *leaf = match leaf.clone() {
            Value::String(s) if s.is_empty() => Value::String("00".into()),
            Value::String(s) => {
                let mut chars: Vec<char> = s.chars().collect();
                let i = chars.len() / 2;
                chars[i] = if chars[i] == '0' { '1' } else { '0' };
                Value::String(chars.into_iter().collect())
            }
            Value::Number(n) => json!(n.as_u64().unwrap() + 1000),
            other => other,
        };
        assert!(verify(&changed).is_err(), "changing {p:?} went unnoticed");
    }
}

#[test]
fn changing_any_ratchet_vector_value_fails() {
    every_value_is_pinned(generate_ratchet(), verify_ratchet);
}

#[test]
fn changing_any_envelope_vector_value_fails() {
    every_value_is_pinned(generate_envelope(), verify_envelope);
}
