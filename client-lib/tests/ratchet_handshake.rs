//! The hand-off from the hybrid X3DH to the Double Ratchet, end to end: the initiator's
//! first message travels inside a sealed initial envelope (as a ratchet message of exactly
//! `INITIAL_INNER_LEN` bytes), the responder starts its session from the handshake's
//! output, and the conversation continues in standard envelopes.
#![allow(clippy::unwrap_used)]

mod ratchet_support;

use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::bundle::{PrekeySet, VerifiedBundle};
use corridor_client::protocol::envelope::{self, Reassembler};
use corridor_client::protocol::handshake::{self, INITIAL_INNER_LEN};
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::ratchet::Session;
use corridor_wire::api::HandedPrekey;
use ratchet_support::TestRng;

/// The bundle id every prekey signature in these tests covers.
const BUNDLE_ID: [u8; 16] = *b"test bundle id 1";

#[test]
fn first_message_in_an_initial_envelope_then_a_conversation() {
    let mut rng = TestRng::new(40);
    let bob_identity = Identity::generate(&mut rng).unwrap();
    let prekeys = PrekeySet::generate(1, &mut rng).unwrap();
    let bundle = prekeys.plain_bundle(&bob_identity, &BUNDLE_ID);
    let seal_secret = X25519Secret::generate(&mut rng).unwrap();
    let alice_identity = Identity::generate(&mut rng).unwrap();

    // Alice: verify the bundle, run the handshake, start the ratchet, seal two initial
    // envelopes (Signal repeats the header until the first reply arrives).
    let verified = VerifiedBundle::verify(
        bundle.signed.as_bytes(),
        &HandedPrekey::OneTime(bundle.one_time[0].clone()),
        &bob_identity.fingerprint(),
        &BUNDLE_ID,
    )
    .unwrap();
    let init = handshake::initiate(&alice_identity, &verified, &mut rng).unwrap();
    let mut alice = Session::initiator(
        &init.output.shared,
        &init.output.associated_data,
        init.remote_ratchet,
        &mut rng,
    )
    .unwrap();
    let mut initial = Vec::new();
    for text in [&b"hello, I need help"[..], b"second, before any reply"] {
        let inner =
            envelope::seal_with_capacity(&mut alice, text, INITIAL_INNER_LEN, &mut rng).unwrap();
        assert_eq!(inner.len(), 1);
        initial.push(
            handshake::seal_initial(
                &seal_public(&seal_secret),
                &init.kem_prekey,
                &init.header,
                &inner[0],
                &mut rng,
            )
            .unwrap(),
        );
    }

    // Bob: open, respond, start the ratchet with the signed prekey, decrypt, in reverse
    // order of arrival.
    let opened =
        handshake::open_initial(&seal_secret, &prekeys.kem_secrets(), &initial[1]).unwrap();
    let response = handshake::respond(&bob_identity, &prekeys, &opened.header).unwrap();
    let mut bob = Session::responder(
        &response.output.shared,
        &response.output.associated_data,
        response.own_ratchet,
    )
    .unwrap();
    let mut reassembler = Reassembler::new();
    let got = reassembler
        .open_message(&mut bob, &opened.inner)
        .unwrap()
        .unwrap();
    assert_eq!(got.as_slice(), b"second, before any reply");
    let first = handshake::open_initial(&seal_secret, &prekeys.kem_secrets(), &initial[0]).unwrap();
    assert_eq!(first.header, opened.header);
    let got = reassembler
        .open_message(&mut bob, &first.inner)
        .unwrap()
        .unwrap();
    assert_eq!(got.as_slice(), b"hello, I need help");

    // From here on: standard envelopes both ways.
    let reply = envelope::seal(&mut bob, b"we can help", &mut rng).unwrap();
    let got = Reassembler::new()
        .open(&mut alice, &reply[0])
        .unwrap()
        .unwrap();
    assert_eq!(got.as_slice(), b"we can help");
    let next = envelope::seal(&mut alice, b"thank you", &mut rng).unwrap();
    let got = Reassembler::new()
        .open(&mut bob, &next[0])
        .unwrap()
        .unwrap();
    assert_eq!(got.as_slice(), b"thank you");

    // The relay cannot tell the intake mailbox from the conversation mailboxes by the
    // first byte: initial and ratchet envelopes share the version byte.
    for e in [&initial[0], &initial[1], &reply[0], &next[0]] {
        assert_eq!(e.len(), corridor_wire::ENVELOPE_SIZE);
        assert_eq!(e[0], envelope::ENVELOPE_VERSION);
    }
}

fn seal_public(secret: &X25519Secret) -> corridor_client::primitives::x25519::X25519Public {
    secret.public()
}
