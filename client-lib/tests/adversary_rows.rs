//! The adversaries of `../shared/DESIGN.md` §2, one test each, named after the row: what
//! each one gets is nothing useful (`docs/security-testing.md`, "Adversary tests"). The
//! relay's rows (`adversary_seized_relay`, `adversary_replayed_requests`) run against the
//! real relay process in `tests/tests/adversary_relay_rows.rs`.
//!
//! Offers and check-ins exist only as the pure core (`coordination/offer.rs`,
//! `coordination/checkin.rs`), so the fake host and the coerced check-in are tested at that
//! level; the other rows go through the `Client` over in-memory relays.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "forensic/mod.rs"]
mod forensic;
#[path = "ratchet_support/mod.rs"]
mod ratchet_support;
#[path = "client_support.rs"]
mod support;

use corridor_client::Client;
use corridor_client::client::{ClientError, CreateOptions, InvitationKind, Passphrase};
use corridor_client::coordination::checkin::{self, Escalation};
use corridor_client::coordination::{
    CaseId, CheckinCode, CheckinCodes, CheckinKind, Day, HouseRules, Offer, OfferBody, OfferBook,
    OfferError, OfferId, OfferTerms, OrgId, Role, Roster, RosterDraft, Schedule, Vetting,
    VettingError, VettingKind,
};
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::invitation::Invitation;
use corridor_client::transport::RelayUrl;
use support::*;

const T0: u64 = 1_796_083_200;

fn identity(seed: u64) -> Identity {
    Identity::generate(&mut ratchet_support::TestRng::new(seed)).unwrap()
}

/// Row "police pose as gay men … a fake requester": someone who uses the organization's
/// published (standing) code and writes in gets the organization's answer and nothing
/// else: no other person's alias or words, no other contact, no key of another
/// relationship. Shown on the fake requester's whole profile, read by the forensic reader
/// with its passphrase, with a positive control (the answer it did get is found).
#[tokio::test]
async fn adversary_fake_requester() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let rustam = world.client("rustam").await;
    let host = world.client("host").await;
    let rustam_code = caseworker
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    rustam
        .accept_invitation(&rustam_code, "caseworker")
        .await
        .unwrap();
    let report = caseworker.sync().await.unwrap();
    caseworker
        .rename_contact(&report.new_contacts[0], "rustam-real")
        .unwrap();
    rustam.sync().await.unwrap();
    connect(&caseworker, "caseworker", &host, "host-elif").await;
    rustam
        .send("caseworker", "I am hiding at my aunt's in Sabunchu")
        .await
        .unwrap();
    caseworker.sync().await.unwrap();
    caseworker
        .send("rustam-real", "Aras meets you Tuesday at the bus station")
        .await
        .unwrap();
    caseworker
        .send("host-elif", "a guest may come to Lale sokak next week")
        .await
        .unwrap();

    // The fake requester writes in through the published code.
    let fake = world.client("fake").await;
    let code = caseworker
        .create_invitation(InvitationKind::Standing { max_uses: None }, 3600)
        .await
        .unwrap();
    fake.accept_invitation(&code, "org").await.unwrap();
    // The caseworker key behind each code: one per relationship.
    let rustams_key = Invitation::from_code(&rustam_code).unwrap().fingerprint;
    let fakes_key = Invitation::from_code(&code).unwrap().fingerprint;
    assert_ne!(rustams_key.as_bytes(), fakes_key.as_bytes());
    fake.send("org", "please help, I am in Baku").await.unwrap();
    let report = caseworker.sync().await.unwrap();
    caseworker
        .rename_contact(&report.new_contacts[0], "unverified-1")
        .unwrap();
    caseworker
        .send("unverified-1", "We got your message; someone will answer")
        .await
        .unwrap();
    fake.sync().await.unwrap();

    // What the fake requester gets: the answer, from one contact.
    assert_eq!(
        received_from(&fake, "org"),
        vec!["We got your message; someone will answer".to_owned()]
    );
    assert_eq!(fake.contacts().unwrap().len(), 1);
    assert!(!fake.contacts().unwrap()[0].verified);
    // Its key of the caseworker is not the one the real requester holds: a different
    // safety number, so nothing to match against another seized phone.
    assert_ne!(
        fake.safety_number("org").unwrap().digits(),
        rustam.safety_number("caseworker").unwrap().digits()
    );
    fake.close().await;

    // Its whole profile, forced open: the positive control finds the answer ...
    let dir = world.dir("fake");
    assert!(!forensic::find(&dir, b"pass-fake", b"someone will answer").is_empty());
    // ... and nothing of the network.
    for needle in [
        &b"Sabunchu"[..],
        b"rustam",
        b"Aras meets you",
        b"host-elif",
        b"Lale sokak",
    ] {
        assert!(
            forensic::find(&dir, b"pass-fake", needle).is_empty(),
            "the fake requester's profile holds {}",
            String::from_utf8_lossy(needle)
        );
        assert!(!forensic::raw_contains(&dir, needle));
    }
}

/// A roster with a coordinator, a host and a caseworker (`remove_host`: the host removed
/// again in epoch 2).
fn roster(coord: &Identity, host: &Identity, cw: &Identity, remove_host: bool) -> Roster {
    let mut draft = RosterDraft::genesis(OrgId([0x42; 16]), 30 * 86_400).unwrap();
    draft
        .add_member(coord.public(), Role::Coordinator, "Deniz")
        .unwrap();
    draft
        .set_relays(vec![RelayUrl::parse("https://relay.example.org").unwrap()])
        .unwrap();
    let mut roster = Roster::from_genesis(draft.sign(coord, T0).unwrap()).unwrap();
    let mut draft = roster.draft();
    draft.add_member(host.public(), Role::Host, "Elif").unwrap();
    draft
        .add_member(cw.public(), Role::Caseworker, "Aras")
        .unwrap();
    roster.apply(draft.sign(coord, T0 + 10).unwrap()).unwrap();
    if remove_host {
        let mut draft = roster.draft();
        draft.remove_member(host.public().signing_key()).unwrap();
        roster.apply(draft.sign(coord, T0 + 20).unwrap()).unwrap();
    }
    roster
}

fn shelter() -> OfferTerms {
    OfferTerms {
        from: Day::of_unix(T0),
        to: Day::of_unix(T0 + 10 * 86_400),
        body: OfferBody::Shelter {
            region: "Marmara".into(),
            city: "Istanbul".into(),
            beds: 2,
            rules: HouseRules::new(&[]).unwrap(),
            accessible: false,
            pets: false,
            languages: vec!["tr".into()],
        },
    }
}

/// Row "… or a fake host" (pure core: offers exist only as `coordination/offer.rs`): a
/// shelter offer counts only from a host on the signed roster. A stranger's offer, a
/// caseworker posing as a host, and a host removed since are refused and leave the book
/// empty; a vetting record counts only from a coordinator. Positive control: the listed
/// host's offer and the coordinator's vetting are accepted.
#[test]
fn adversary_fake_host() {
    let (coord, host, cw, stranger) = (identity(1), identity(2), identity(3), identity(4));
    let org = OrgId([0x42; 16]);
    let current = roster(&coord, &host, &cw, false);

    let mut book = OfferBook::new();
    let fake = Offer::publish(&stranger, org, OfferId([1; 16]), shelter(), T0 + 100).unwrap();
    assert_eq!(
        book.apply(fake.clone(), &current),
        Err(OfferError::NotOnRoster)
    );
    let posing = Offer::publish(&cw, org, OfferId([2; 16]), shelter(), T0 + 100).unwrap();
    assert_eq!(
        book.apply(posing, &current),
        Err(OfferError::WrongRole { needed: Role::Host })
    );
    assert_eq!(book.offers().count(), 0);
    // A fake offer that arrives as bytes is the same offer: decoding does not launder it.
    let decoded = Offer::decode(&fake.encode().unwrap()).unwrap();
    assert_eq!(book.apply(decoded, &current), Err(OfferError::NotOnRoster));

    let real = Offer::publish(&host, org, OfferId([3; 16]), shelter(), T0 + 100).unwrap();
    book.apply(real.clone(), &current).unwrap();
    assert_eq!(book.free(&real.id()), 2);
    // Once the host is removed from the roster, their offers no longer count.
    let removed = roster(&coord, &host, &cw, true);
    assert_eq!(
        OfferBook::new().apply(real, &removed),
        Err(OfferError::NotOnRoster)
    );

    // Vetting: only a coordinator vouches for a host.
    let host_key = *host.public().signing_key();
    assert!(matches!(
        Vetting::issue(&cw, &current, host_key, VettingKind::HomeVisit, "", T0),
        Err(VettingError::SignerNotCoordinator)
    ));
    assert!(matches!(
        Vetting::issue(
            &stranger,
            &current,
            host_key,
            VettingKind::HomeVisit,
            "",
            T0
        ),
        Err(VettingError::SignerNotCoordinator)
    ));
    let vetted =
        Vetting::issue(&coord, &current, host_key, VettingKind::HomeVisit, "", T0).unwrap();
    assert!(vetted.check(&current).is_ok());
    assert_eq!(vetted.check(&removed), Err(VettingError::NotVettable));
}

/// Row "authorities … seize servers" seen from the client (the relay's own row is in
/// `tests/tests/adversary_relay_rows.rs`): an impostor who runs its own relay and hands
/// out a code naming it gets no connection from a profile whose list does not name it, and
/// no contact. Positive control: a profile that does list that relay deposits there.
#[tokio::test]
async fn adversary_impostor_relay() {
    let world = World::new();
    let on_relay_2 = |name: &str| CreateOptions {
        relays: vec![RELAY_2.to_owned()],
        ..world.create_options(name)
    };
    let impostor = Client::create(
        &world.dir("impostor"),
        &pass("impostor"),
        on_relay_2("impostor"),
    )
    .await
    .unwrap();
    let code = impostor
        .create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    let before = world.relay_2.message_count();

    let requester = world.client("requester").await;
    let err = requester.accept_invitation(&code, "org").await.unwrap_err();
    assert!(matches!(err, ClientError::RelayNotAllowed), "{err:?}");
    assert!(requester.contacts().unwrap().is_empty());
    assert_eq!(
        world.relay_2.message_count(),
        before,
        "no deposit reached it"
    );
    assert!(impostor.sync().await.unwrap().new_contacts.is_empty());

    // Control: the same code, accepted by a profile that lists the relay, does deposit.
    let listed = Client::create(&world.dir("listed"), &pass("listed"), on_relay_2("listed"))
        .await
        .unwrap();
    listed.accept_invitation(&code, "org").await.unwrap();
    assert!(world.relay_2.message_count() > before);
}

/// Row "phones are seized … unlocked under pressure": the duress passphrase opens an
/// empty decoy that works, destroys the real data (the real passphrase no longer opens
/// anything; the forensic reader with it finds no record), and alerts the chosen contact.
/// Positive control: before the duress unlock the reader with the real passphrase finds
/// the conversation.
#[tokio::test]
async fn adversary_seized_phone_duress() {
    let world = World::new();
    let caseworker = world.client("caseworker").await;
    let requester = world.client("requester").await;
    connect(&caseworker, "caseworker", &requester, "requester").await;
    caseworker
        .send("requester", "the car leaves from the mosque at dawn")
        .await
        .unwrap();
    requester.sync().await.unwrap();
    let duress = Passphrase::from("duress words");
    requester
        .set_duress(&duress, &["caseworker"])
        .await
        .unwrap();
    caseworker.sync().await.unwrap();
    requester.close().await;

    let dir = world.dir("requester");
    assert!(!forensic::find(&dir, b"pass-requester", b"leaves from the mosque").is_empty());
    // The coercer imaged the key file beforehand and later forces the real passphrase: the
    // real data key. Positive control: with it, the real records carve out now.
    let real_key = forensic::data_key(&std::fs::read(dir.join("key")).unwrap(), b"pass-requester");
    assert!(carve_with(&dir, &real_key, b"leaves from the mosque"));

    // Unlocked under pressure with the duress passphrase.
    let decoy = Client::open(&dir, &duress, world.open_options())
        .await
        .unwrap();
    assert!(decoy.contacts().unwrap().is_empty());
    assert!(decoy.inbox(None).unwrap().is_empty());
    decoy.sync().await.unwrap();
    decoy.close().await;

    // The real data is gone: neither passphrase's reader, nor the raw bytes, show it.
    assert!(
        Client::open(&dir, &pass("requester"), world.open_options())
            .await
            .is_err()
    );
    for needle in [&b"leaves from the mosque"[..], b"caseworker"] {
        assert!(forensic::find(&dir, b"duress words", needle).is_empty());
        assert!(!forensic::raw_contains(&dir, needle));
        // Not merely unreachable through the new key file: the real records are gone,
        // so even the imaged key file's data key carves nothing.
        assert!(
            !carve_with(&dir, &real_key, needle),
            "the real data is still on the phone"
        );
    }
    // The chosen contact was alerted.
    assert_eq!(caseworker.sync().await.unwrap().duress_alerts, 1);
}

/// Whether any file under `dir` (the key file aside) holds a record, sealed under the
/// store data key `data_key`, whose key or value contains `needle`.
fn carve_with(dir: &std::path::Path, data_key: &[u8; 32], needle: &[u8]) -> bool {
    let value_key = forensic::hkdf(&[], data_key, b"corridor/store/v1/record-values");
    let mut found = Vec::new();
    for file in files_under(dir) {
        if file.file_name().is_some_and(|n| n != "key") {
            forensic::carve(&value_key, &std::fs::read(&file).unwrap(), &mut found);
        }
    }
    found.iter().any(|r| {
        r.value.windows(needle.len()).any(|w| w == needle)
            || r.key.windows(needle.len()).any(|w| w == needle)
    })
}

/// Row "a person is forced to check in while detained" (pure core: check-ins exist only as
/// `coordination/checkin.rs`): the requester's device keeps neither code, so what it shows
/// and stores is the typed text either way; the caseworker's device holds only keyed
/// digests (no code in them) and tells the duress code apart, case-insensitively; a
/// missed check-in escalates to the caseworker and then every coordinator.
#[test]
fn adversary_coerced_checkin() {
    let case = CaseId([9; 16]);
    let normal = CheckinCode::new("blue heron").unwrap();
    let duress = CheckinCode::new("grey heron").unwrap();
    let codes = CheckinCodes::new(case, &normal, &duress).unwrap();
    assert_eq!(codes.classify("blue heron"), CheckinKind::Ok);
    assert_eq!(codes.classify("  GREY Heron "), CheckinKind::Duress);
    assert_eq!(codes.classify("heron"), CheckinKind::Unknown);
    // What the caseworker's device stores carries neither code, nor which is which.
    let (a, b) = codes.digests();
    for digest in [a, b] {
        for code in [&b"blue heron"[..], b"grey heron", b"heron"] {
            assert!(!digest.windows(code.len()).any(|w| w == code));
        }
    }
    assert_ne!(a, b);
    // Another case's digests of the same codes differ: the digests link no two cases.
    let other = CheckinCodes::new(CaseId([8; 16]), &normal, &duress).unwrap();
    assert_ne!(other.digests().0, a);
    // Silence is not safety: a missed check-in climbs to the coordinators.
    let schedule = Schedule::new(T0, 3600, 900).unwrap();
    assert_eq!(
        checkin::escalation(&schedule, None, T0 + 10).0,
        Escalation::OnTime
    );
    assert_eq!(
        checkin::escalation(&schedule, None, T0 + 3600 + 900).0,
        Escalation::AlertAssignee
    );
    assert_eq!(
        checkin::escalation(&schedule, None, T0 + 3600 + 1800).0,
        Escalation::AlertCoordinators
    );
}

/// Row "forward secrecy keeps old traffic unreadable" (stolen keys): an adversary who
/// recorded every envelope's ratchet message and then steals both sessions reads none of
/// the earlier messages, and after one DH step each way none of the later ones. Positive
/// control: right after the theft the stolen state does read the sender's current chain.
#[test]
fn adversary_stolen_keys() {
    use ratchet_support::{TestRng, pair, snapshot, steal};
    let mut rng = TestRng::new(77);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut recorded = Vec::new();
    for round in 0..3u8 {
        let m = alice.encrypt(&[round; 40], &mut rng).unwrap();
        bob.decrypt(&m).unwrap();
        recorded.push(m);
        let r = bob.encrypt(&[round; 41], &mut rng).unwrap();
        alice.decrypt(&r).unwrap();
        recorded.push(r);
    }
    for victim in [&alice, &bob] {
        for m in &recorded {
            assert!(steal(victim).decrypt(m).is_err());
        }
    }

    let stolen_bob = snapshot(&bob);
    let restore = |s: &[u8]| {
        corridor_client::protocol::ratchet::Session::unpickle(&ratchet_support::snapshot_key(), s)
            .unwrap()
    };
    let leaked = alice.encrypt(b"leaked", &mut rng).unwrap();
    let mut eve = restore(&stolen_bob);
    assert_eq!(eve.decrypt(&leaked).unwrap().as_slice(), b"leaked");
    bob.decrypt(&leaked).unwrap();
    let b = bob.encrypt(b"heal", &mut rng).unwrap();
    alice.decrypt(&b).unwrap();
    let healed = alice.encrypt(b"healed", &mut rng).unwrap();
    bob.decrypt(&healed).unwrap();
    let mut eve = restore(&stolen_bob);
    eve.decrypt(&leaked).unwrap();
    assert!(eve.decrypt(&healed).is_err());
}
