//! First contact end to end in the protocol layer: invitation → bundle → hybrid X3DH →
//! Double Ratchet → sealed initial envelope → responder → reply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::primitives::random::OsRng;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::bundle::{PrekeySet, VerifiedBundle};
use corridor_client::protocol::envelope::{self, Reassembler};
use corridor_client::protocol::handshake::{self, INITIAL_INNER_LEN, open_initial, seal_initial};
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::invitation::{Invitation, InvitationKind};
use corridor_client::protocol::ratchet::Session;
use corridor_wire::api::HandedPrekey;
use corridor_wire::b64::Bytes;

/// The bundle id every prekey signature in these tests covers.
const BUNDLE_ID: [u8; 16] = *b"test bundle id 1";

#[test]
fn first_contact_and_reply() {
    // Bob (a caseworker) publishes a bundle and hands out an invitation.
    let bob = Identity::generate(&mut OsRng).unwrap();
    let mut prekeys = PrekeySet::generate(2, &mut OsRng).unwrap();
    let bundle = prekeys.plain_bundle(&bob, &BUNDLE_ID);
    let seal = X25519Secret::generate(&mut OsRng).unwrap();
    let invitation = Invitation {
        kind: InvitationKind::OneTime,
        expires_at: 2_000_000_000,
        relays: vec!["http://127.0.0.1:8080".into()],
        deposit_id: Bytes([1; 16]),
        credential: Bytes([2; 32]),
        bundle_id: Bytes([3; 16]),
        fingerprint: bob.fingerprint(),
        seal_key: seal.public(),
    };
    let code = invitation.to_grouped_code().unwrap();

    // Alice reads the code, fetches the bundle (the relay hands out a one-time prekey),
    // verifies it against the invitation and runs the handshake.
    let alice = Identity::generate(&mut OsRng).unwrap();
    let received = Invitation::from_code(&code).unwrap();
    let handed = HandedPrekey::OneTime(bundle.one_time[0].clone());
    let verified = VerifiedBundle::verify(
        bundle.signed.as_bytes(),
        &handed,
        &received.fingerprint,
        &BUNDLE_ID,
    )
    .unwrap();
    let init = handshake::initiate(&alice, &verified, &mut OsRng).unwrap();
    let mut alice_session = Session::initiator(
        &init.output.shared,
        &init.output.associated_data,
        init.remote_ratchet,
        &mut OsRng,
    )
    .unwrap();
    let inner = envelope::seal_with_capacity(
        &mut alice_session,
        b"I need help",
        INITIAL_INNER_LEN,
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(inner.len(), 1);
    let sealed = seal_initial(
        &received.seal_key,
        &init.kem_prekey,
        &init.header,
        &inner[0],
        &mut OsRng,
    )
    .unwrap();

    // Bob opens it with the invitation's seal secret and answers.
    let prekeys_copy = prekeys.clone();
    let opened = open_initial(&seal, &prekeys.kem_secrets(), &sealed).unwrap();
    assert_eq!(opened.header.initiator(), &alice.public());
    let response = handshake::respond(&bob, &prekeys, &opened.header).unwrap();
    let mut bob_session = Session::responder(
        &response.output.shared,
        &response.output.associated_data,
        response.own_ratchet,
    )
    .unwrap();
    let block = envelope::open_message(&mut bob_session, &opened.inner).unwrap();
    let mut reassembler = Reassembler::new();
    let payload = reassembler.push(block).unwrap().unwrap();
    assert_eq!(payload.as_slice(), b"I need help");
    // Only now, with the first message authenticated, is the one-time prekey deleted.
    assert!(prekeys.consume(response.prekey));

    let reply = envelope::seal(&mut bob_session, b"You are safe with us", &mut OsRng).unwrap();
    let block = envelope::open(&mut alice_session, &reply[0]).unwrap();
    assert_eq!(
        Reassembler::new().push(block).unwrap().unwrap().as_slice(),
        b"You are safe with us"
    );

    // Someone holding Bob's prekeys but not his identity key derives another secret.
    let mallory = Identity::generate(&mut OsRng).unwrap();
    let forged = handshake::respond(&mallory, &prekeys_copy, &opened.header).unwrap();
    assert_ne!(forged.output.shared, response.output.shared);
}
