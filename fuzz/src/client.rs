//! The bodies of the client-side fuzz targets, one function per target, and the seed
//! corpora for them.
//!
//! This file is compiled twice: as a module of the `corridor-fuzz` crate (each
//! `fuzz_targets/<name>.rs` calls one function here), and as a module of
//! `client-lib/tests/fuzz_replay.rs` (through `#[path]`), which feeds every file of
//! `fuzz/corpus/<name>/` to the same function in `cargo test --workspace`. So a finding
//! added to a corpus is replayed by stable `cargo test`, without libFuzzer or nightly.
//!
//! Every body feeds arbitrary bytes to a decoder and relies on it returning a typed error,
//! never panicking; where a decoder claims more (a canonical encoding, a signature that no
//! input can forge, a session left unchanged by a rejected input) the body asserts it, so
//! a violation is a finding too.

use corridor_client::client::{fuzz_payload_reencode, fuzz_record_reencode};
use corridor_client::coordination::checkin::escalation;
use corridor_client::coordination::{
    Action, AuditEntry, AuditLog, Case, CaseEvent, CaseField, CaseFields, CaseId, CheckinCode,
    CheckinCodes, CheckinKind, Checkpoint, Consent, ConsentAsk, ConsentOverride, Day, EpochHash,
    EventBody, HouseRule, HouseRules, IntakeForm, IntakeRequest, MembershipCertificate, Need,
    Offer, OfferBody, OfferBook, OfferChange, OfferId, OfferTerms, OrgId, OrgMessage, Provision,
    Provisions, Purpose, Role, Roster, RosterDraft, RosterEpoch, Schedule, Status, Tier, Urgency,
    Vetting, VettingKind, Vouch,
};
use corridor_client::primitives::Secret;
use corridor_client::primitives::kdf::sha256;
use corridor_client::primitives::mlkem::KemSecret;
use corridor_client::primitives::random::{TryCryptoRng, TryRng};
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::bundle::{
    BundleKey, PREKEYS_PICKLE_LABEL, PrekeySet, VerifiedBundle,
};
use corridor_client::protocol::envelope::{
    self, Block, ENVELOPE_SIZE, ENVELOPE_VERSION, REASSEMBLER_PICKLE_LABEL, Reassembler,
};
use corridor_client::protocol::handshake::{self, INITIAL_INNER_LEN, InitialHeader, open_initial};
use corridor_client::protocol::identity::{IDENTITY_PICKLE_LABEL, Identity, PublicIdentity};
use corridor_client::protocol::invitation::{Invitation, InvitationKind};
use corridor_client::protocol::pickle;
use corridor_client::protocol::ratchet::{SESSION_PICKLE_LABEL, Session};
use corridor_client::transport::RelayUrl;
use corridor_wire::api::{FetchBundleResponse, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::{Blob, Bytes};
use std::convert::Infallible;
use std::sync::OnceLock;

/// Every client-side target: its name (the file in `fuzz/fuzz_targets/` and the directory
/// in `fuzz/corpus/`) and its body.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("identity_decode", identity_decode),
    ("bundle_verify", bundle_verify),
    ("bundle_fetch", bundle_fetch),
    ("initial_open", initial_open),
    ("initial_header_decode", initial_header_decode),
    ("invitation_decode", invitation_decode),
    ("pickle_open", pickle_open),
    ("ratchet_decrypt", ratchet_decrypt),
    ("envelope_open", envelope_open),
    ("envelope_block", envelope_block),
    ("session_unpickle", session_unpickle),
    ("store_record", store_record),
    ("roster_epoch", roster_epoch),
    ("membership_certificate", membership_certificate),
    ("vouch", vouch),
    ("intake_request", intake_request),
    ("case_event", case_event),
    ("audit_entry", audit_entry),
    ("offer", offer),
    ("vetting", vetting),
    ("consent", consent),
    ("consent_override", consent_override),
    ("checkin", checkin),
    ("org_message", org_message),
    ("client_payload", client_payload),
    ("client_record", client_record),
];

// ---------------------------------------------------------------------------------------
// Deterministic fixtures: fuzzing needs reproducible state, not secrecy.

/// Block i is SHA-256(seed || i).
pub struct DetRng {
    seed: [u8; 8],
    counter: u64,
    buffer: Vec<u8>,
}

impl DetRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed: seed.to_be_bytes(),
            counter: 0,
            buffer: Vec::new(),
        }
    }
}

impl TryRng for DetRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        while self.buffer.len() < dst.len() {
            let mut input = self.seed.to_vec();
            input.extend_from_slice(&self.counter.to_be_bytes());
            self.counter += 1;
            self.buffer.extend_from_slice(&sha256(&input));
        }
        let rest = self.buffer.split_off(dst.len());
        dst.copy_from_slice(&self.buffer);
        self.buffer = rest;
        Ok(())
    }
}

impl TryCryptoRng for DetRng {}

fn identity(seed: u64) -> Identity {
    Identity::generate(&mut DetRng::new(seed)).expect("deterministic generator")
}

/// 2026-12-01T00:00:00Z, the fixtures' clock.
pub const T0: u64 = 1_796_083_200;
const DAY: u64 = 24 * 3600;
/// The bundle id the fixture responder's prekey signatures cover.
pub const BUNDLE_ID: [u8; 16] = *b"fuzz bundle id 1";
/// The pickle key of the pickle targets.
pub const PICKLE_KEY: [u8; 32] = [7; 32];
/// The pickle key of the session target.
pub const SESSION_PICKLE_KEY: [u8; 32] = [3; 32];

/// A responder: identity, prekeys, the invitation's seal key.
pub struct Responder {
    /// Its identity.
    pub identity: Identity,
    /// Its prekeys (three one-time).
    pub prekeys: PrekeySet,
    /// The invitation's seal secret.
    pub seal: X25519Secret,
}

/// The fixed responder every handshake target decodes against.
pub fn responder() -> &'static Responder {
    static R: OnceLock<Responder> = OnceLock::new();
    R.get_or_init(|| {
        let mut rng = DetRng::new(0xB0B);
        Responder {
            identity: identity(0xB0B),
            prekeys: PrekeySet::generate(3, &mut rng).expect("deterministic generator"),
            seal: X25519Secret::generate(&mut rng).expect("deterministic generator"),
        }
    })
}

/// An organization with every role, a registered referrer, and one open case.
pub struct Org {
    /// The organization id.
    pub org: OrgId,
    /// The first coordinator (signs the genesis).
    pub coord: Identity,
    /// A caseworker.
    pub cw: Identity,
    /// A host.
    pub host: Identity,
    /// The registered referrer.
    pub referrer: Identity,
    /// The requester's pairwise key.
    pub requester: Identity,
    /// The chain: genesis, epoch 1.
    pub chain: Vec<RosterEpoch>,
    /// The roster after the chain.
    pub roster: Roster,
    /// The case, opened at `T0 + 100`.
    pub case: Case,
    /// The event that opened it.
    pub opened: CaseEvent,
}

/// The fixed case.
pub const CASE: CaseId = CaseId([7; 16]);

/// An intake form with every field set.
pub fn form() -> IntakeForm {
    IntakeForm {
        alias: "Rustam".into(),
        region: "Baku".into(),
        adults: 2,
        children: 1,
        household: "a couple and a child of 6".into(),
        needs: vec![Need::Shelter, Need::Travel],
        languages: vec!["az".into(), "ru".into()],
        urgency: Some(Urgency::High),
        safe_contact: "evenings after 20:00, text only".into(),
        note: "My family found my messages.".into(),
    }
}

/// The fixed organization every coordination target decodes against.
pub fn org() -> &'static Org {
    static O: OnceLock<Org> = OnceLock::new();
    O.get_or_init(|| {
        let coord = identity(1);
        let cw = identity(3);
        let host = identity(5);
        let referrer = identity(7);
        let requester = identity(100);
        let org = OrgId([0x42; 16]);
        let mut draft = RosterDraft::genesis(org, 30 * DAY).expect("genesis");
        draft
            .add_member(coord.public(), Role::Coordinator, "Deniz")
            .expect("member");
        draft
            .set_relays(vec![
                RelayUrl::parse("https://relay.example.org").expect("url"),
            ])
            .expect("relays");
        let genesis = draft.sign(&coord, T0).expect("sign");
        let mut roster = Roster::from_genesis(genesis.clone()).expect("genesis");
        let mut draft = roster.draft();
        draft
            .add_member(cw.public(), Role::Caseworker, "Aras")
            .expect("member");
        draft
            .add_member(host.public(), Role::Host, "Elif")
            .expect("member");
        draft
            .add_referrer(*referrer.public().signing_key(), "Baku desk")
            .expect("referrer");
        let epoch1 = draft.sign(&coord, T0 + 10).expect("sign");
        roster.apply(epoch1.clone()).expect("apply");
        let (case, opened) = Case::create(
            &coord,
            &roster,
            CASE,
            *requester.public().signing_key(),
            Some(*referrer.public().signing_key()),
            IntakeRequest::new(&form()).expect("form"),
            T0 + 100,
        )
        .expect("case");
        Org {
            org,
            coord,
            cw,
            host,
            referrer,
            requester,
            chain: vec![genesis, epoch1],
            roster,
            case,
            opened,
        }
    })
}

/// A pair of sessions that have exchanged messages both ways, with one message from Alice
/// left undelivered (Bob holds a skipped key), made afresh from the same bytes each call.
/// Also returns that undelivered message.
pub fn sessions() -> (Session, Session, Vec<u8>) {
    let mut rng = DetRng::new(7);
    let sk = Secret::from_bytes([0x42; 32]);
    let prekey = X25519Secret::generate(&mut rng).expect("deterministic generator");
    let mut alice = Session::initiator(&sk, b"fuzz", prekey.public(), &mut rng).expect("initiator");
    let mut bob = Session::responder(&sk, b"fuzz", prekey).expect("responder");
    let m = alice.encrypt(b"hello", &mut rng).expect("encrypt");
    let skipped = alice.encrypt(b"skipped", &mut rng).expect("encrypt");
    let m2 = alice.encrypt(b"third", &mut rng).expect("encrypt");
    bob.decrypt(&m).expect("decrypt");
    bob.decrypt(&m2).expect("decrypt");
    let r = bob.encrypt(b"reply", &mut rng).expect("encrypt");
    alice.decrypt(&r).expect("decrypt");
    (alice, bob, skipped)
}

// ---------------------------------------------------------------------------------------
// Protocol.

/// `PublicIdentity::decode`: whatever decodes re-encodes to the same bytes.
pub fn identity_decode(data: &[u8]) {
    if let Ok(identity) = PublicIdentity::decode(data) {
        assert_eq!(identity.encode().as_slice(), data);
    }
}

/// `VerifiedBundle::verify` on an arbitrary `signed` part and handed prekey, against the
/// fixture responder's fingerprint.
///
/// Input: kind byte (even: one-time, odd: last-resort) || id (4, big-endian) || split (2,
/// big-endian: how many of the remaining bytes are the `signed` part) || bytes.
pub fn bundle_verify(data: &[u8]) {
    let Some((head, rest)) = data.split_at_checked(7) else {
        return;
    };
    let id = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
    let split = usize::from(u16::from_be_bytes([head[5], head[6]])).min(rest.len());
    let (signed, key) = rest.split_at(split);
    let handed = if head[0] % 2 == 0 {
        HandedPrekey::OneTime(OneTimePrekey {
            id,
            key: Blob(key.to_vec()),
        })
    } else {
        HandedPrekey::LastResort {
            key: Blob(key.to_vec()),
        }
    };
    let r = responder();
    let expected = r.identity.fingerprint();
    if let Ok(bundle) = VerifiedBundle::verify(signed, &handed, &expected, &BUNDLE_ID) {
        // Only the fixture identity signed anything; what verifies is its bundle.
        assert!(bundle.identity().fingerprint() == expected);
    }
    // No fuzzer can forge a signature for an identity whose secret nobody holds.
    let nobody = corridor_client::protocol::identity::Fingerprint([0; 32]);
    assert!(VerifiedBundle::verify(signed, &handed, &nobody, &BUNDLE_ID).is_err());
}

/// A relay's fetch answer as the client reads it: JSON into the wire type, then
/// `VerifiedBundle::from_fetch` with the fixture invitation's bundle key.
pub fn bundle_fetch(data: &[u8]) {
    let Ok(response) = serde_json::from_slice::<FetchBundleResponse>(data) else {
        return;
    };
    let r = responder();
    let Ok(key) = BundleKey::derive(&r.seal.public(), &BUNDLE_ID) else {
        return;
    };
    let expected = r.identity.fingerprint();
    if let Ok(bundle) = VerifiedBundle::from_fetch(&response, &expected, &key) {
        assert!(bundle.identity().fingerprint() == expected);
    }
}

/// `open_initial` (the decoder of initial envelopes arriving at an intake mailbox) with the
/// fixture responder's seal key and ML-KEM prekey. Half of the time the input is padded
/// or cut to the envelope size so that the AEAD is reached.
pub fn initial_open(data: &[u8]) {
    let r = responder();
    let kems = r.prekeys.kem_secrets();
    if let Ok(opened) = open_initial(&r.seal, &kems, data) {
        assert_eq!(opened.inner.len(), INITIAL_INNER_LEN);
    }
    let mut sized = data.to_vec();
    sized.resize(ENVELOPE_SIZE, 0);
    let _ = open_initial(&r.seal, &kems, &sized);
    // Keys nobody sealed to open nothing.
    let seal = X25519Secret::from_bytes([0x42; 32]);
    let kem = KemSecret::from_seed(Secret::from_bytes([0x42; 64]));
    assert!(open_initial(&seal, &[&kem], data).is_err());
}

/// `InitialHeader::decode` (reached only after decryption, fuzzed on its own so the fuzzer
/// gets past the AEAD): whatever decodes re-encodes to the same bytes.
pub fn initial_header_decode(data: &[u8]) {
    if let Ok(header) = InitialHeader::decode(data) {
        assert_eq!(header.encode(), data);
    }
}

/// `Invitation::from_bytes` and `Invitation::from_code`: round trips.
pub fn invitation_decode(data: &[u8]) {
    if let Ok(invitation) = Invitation::from_bytes(data) {
        assert_eq!(invitation.to_bytes().ok().as_deref(), Some(data));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(invitation) = Invitation::from_code(text) {
            let code = invitation.to_code();
            assert!(code.is_ok(), "a decoded invitation has no code");
            if let Ok(code) = code {
                assert!(Invitation::from_code(&code).ok() == Some(invitation));
            }
        }
    }
}

/// Unpickling identities and prekey sets, from arbitrary bytes and from arbitrary content
/// sealed under the right key and label (so the decoder behind the AEAD is reached).
pub fn pickle_open(data: &[u8]) {
    let key = Secret::from_bytes(PICKLE_KEY);
    let _ = pickle::open(&key, IDENTITY_PICKLE_LABEL, data);
    let _ = Identity::unpickle(&key, data);
    let _ = PrekeySet::unpickle(&key, data);
    let mut rng = DetRng::new(1);
    if let Ok(sealed) = pickle::seal(&key, IDENTITY_PICKLE_LABEL, data, &mut rng) {
        let _ = Identity::unpickle(&key, &sealed);
    }
    if let Ok(sealed) = pickle::seal(&key, PREKEYS_PICKLE_LABEL, data, &mut rng) {
        let _ = PrekeySet::unpickle(&key, &sealed);
    }
}

/// `Session::decrypt` on arbitrary bytes: a typed error, never a panic, and the session
/// unchanged by a rejected input (it still decrypts a genuine message afterwards).
pub fn ratchet_decrypt(data: &[u8]) {
    let (mut alice, mut bob, _) = sessions();
    let accepted = bob.decrypt(data).is_ok();
    let _ = alice.decrypt(data);
    let mut rng = DetRng::new(99);
    // (A genuine message from the corpus may use the very key "after" would, so the check
    // is for rejected inputs only.)
    if !accepted {
        if let Ok(m) = alice.encrypt(b"after", &mut rng) {
            assert!(
                bob.decrypt(&m).is_ok(),
                "a rejected input changed the session"
            );
        }
    }
}

/// `envelope::open`, `Reassembler::open` and `envelope::open_message` on arbitrary bytes
/// (padded or cut to the envelope size as well, so the ratchet is reached).
pub fn envelope_open(data: &[u8]) {
    let (_alice, mut bob, _) = sessions();
    let _ = envelope::open(&mut bob, data);
    let mut sized = data.to_vec();
    sized.resize(ENVELOPE_SIZE, 0);
    if let Some(first) = sized.first_mut() {
        *first = ENVELOPE_VERSION;
    }
    let _ = envelope::open(&mut bob, &sized);
    let _ = Reassembler::new().open(&mut bob, &sized);
    let _ = envelope::open_message(&mut bob, data);
}

/// The block framing decoder and the reassembler on arbitrary decrypted plaintexts, cut in
/// 64-byte pieces so that reassembly paths are reached.
pub fn envelope_block(data: &[u8]) {
    let mut reassembler = Reassembler::with_limits(4, 8);
    for piece in data.chunks(64) {
        if let Ok(block) = Block::decode(piece) {
            assert!(block.index() < block.count());
            let _ = reassembler.push(block);
        }
    }
    assert!(reassembler.pending_payloads() <= 4);
}

/// `Session::unpickle` and `Reassembler::unpickle` on arbitrary bytes, and on arbitrary
/// content sealed under the right key and label.
pub fn session_unpickle(data: &[u8]) {
    let key = Secret::from_bytes(SESSION_PICKLE_KEY);
    let _ = Session::unpickle(&key, data);
    let mut rng = DetRng::new(1);
    if let Ok(sealed) = pickle::seal(&key, SESSION_PICKLE_LABEL, data, &mut rng) {
        let _ = Session::unpickle(&key, &sealed);
    }
    let _ = Reassembler::unpickle(&key, data);
    if let Ok(sealed) = pickle::seal(&key, REASSEMBLER_PICKLE_LABEL, data, &mut rng) {
        let _ = Reassembler::unpickle(&key, &sealed);
    }
}

// ---------------------------------------------------------------------------------------
// Store.

/// The store's record decoder on an arbitrary decrypted plaintext (`docs/store.md`): the
/// parts it returns are parts of the input.
pub fn store_record(data: &[u8]) {
    if let Some((tree, record)) = corridor_client::store::decode_record_plaintext(data) {
        assert!(tree.len() + record.key.len() + record.value.len() + 22 <= data.len());
    }
}

// ---------------------------------------------------------------------------------------
// Coordination: each decoder, then the state machine that consumes it, against the
// fixture organization.

/// `RosterEpoch::decode` (canonical: re-encodes to the same bytes), then `Roster::apply`
/// onto the fixture roster and `Roster::from_genesis`.
pub fn roster_epoch(data: &[u8]) {
    let Ok(epoch) = RosterEpoch::decode(data) else {
        return;
    };
    assert_eq!(epoch.encode().ok().as_deref(), Some(data));
    let o = org();
    let mut roster = o.roster.clone();
    let before = roster.number();
    if roster.apply(epoch.clone()).is_ok() {
        assert!(roster.number() >= before);
    }
    let _ = Roster::from_genesis(epoch);
}

/// `MembershipCertificate::decode` (canonical), then verification against the fixture
/// roster.
pub fn membership_certificate(data: &[u8]) {
    let Ok(cert) = MembershipCertificate::decode(data) else {
        return;
    };
    assert_eq!(cert.encode().ok().as_deref(), Some(data));
    let o = org();
    let _ = cert.verify_with_roster(&o.roster, T0 + 1000);
    let _ = cert.verify(o.org, &[*o.coord.public().signing_key()], 0, T0 + 1000);
}

/// `Vouch::decode` (canonical), then its scope check against the fixture case.
pub fn vouch(data: &[u8]) {
    let Ok(v) = Vouch::decode(data) else {
        return;
    };
    assert_eq!(v.encode().ok().as_deref(), Some(data));
    let o = org();
    let _ = v.check(o.org, CASE, o.requester.public().signing_key(), T0 + 1000);
}

/// `IntakeRequest::decode` (canonical).
pub fn intake_request(data: &[u8]) {
    if let Ok(request) = IntakeRequest::decode(data) {
        assert_eq!(request.encode().ok().as_deref(), Some(data));
    }
}

/// `CaseEvent::decode` (canonical), then `Case::open` and `Case::apply` onto the fixture
/// case with the fixture roster.
pub fn case_event(data: &[u8]) {
    let Ok(event) = CaseEvent::decode(data) else {
        return;
    };
    assert_eq!(event.encode().ok().as_deref(), Some(data));
    let o = org();
    let _ = Case::open(event.clone(), &o.roster);
    let mut case = o.case.clone();
    let before = case.len();
    if case.apply(event, &o.roster).is_ok() {
        assert!(case.len() >= before);
    }
}

/// `AuditEntry::decode` (canonical), then the input as a log of entries (split at every
/// 0xFF 0x00 0xFF marker) reloaded from an empty base and verified.
pub fn audit_entry(data: &[u8]) {
    if let Ok(entry) = AuditEntry::decode(data) {
        assert_eq!(entry.encode(), data);
    }
    let entries: Vec<Vec<u8>> = split_marker(data);
    let base = Checkpoint {
        next_seq: 0,
        head: [0; 32],
    };
    if let Ok(log) = AuditLog::from_encoded(base, &entries) {
        let _ = log.verify();
        assert_eq!(log.entries().len(), entries.len());
    }
}

/// `Offer::decode` (canonical), then `OfferBook::apply` onto an empty book with the fixture
/// roster: an accepted offer's author is a current member in the role the offer needs,
/// and the same revision again is `AlreadyHeld`.
pub fn offer(data: &[u8]) {
    let Ok(offer) = Offer::decode(data) else {
        return;
    };
    assert_eq!(offer.encode().ok().as_deref(), Some(data));
    let o = org();
    let mut book = OfferBook::new();
    if book.apply(offer.clone(), &o.roster).is_ok() {
        assert_eq!(
            o.roster.role_of(offer.author()).ok(),
            Some(offer.terms().body.role())
        );
        assert_eq!(
            book.apply(offer.clone(), &o.roster).ok(),
            Some(OfferChange::AlreadyHeld)
        );
        assert!(book.free(&offer.id()) <= u32::from(offer.terms().body.capacity()));
    }
}

/// `Vetting::decode` (canonical), then `check` against the fixture roster: a record that
/// passes is signed by a current coordinator about a current host or travel helper.
pub fn vetting(data: &[u8]) {
    let Ok(record) = Vetting::decode(data) else {
        return;
    };
    assert_eq!(record.encode().ok().as_deref(), Some(data));
    let o = org();
    if record.check(&o.roster).is_ok() {
        assert_eq!(
            o.roster.role_of(record.signer()).ok(),
            Some(Role::Coordinator)
        );
        assert!(matches!(
            o.roster.role_of(record.member()),
            Ok(Role::Host | Role::TravelHelper)
        ));
    }
}

/// `Consent::decode` (canonical; its signature verified by the decoder).
pub fn consent(data: &[u8]) {
    if let Ok(c) = Consent::decode(data) {
        assert_eq!(c.encode().ok().as_deref(), Some(data));
    }
}

/// `ConsentOverride::decode` (canonical; both signatures verified, by two different keys).
pub fn consent_override(data: &[u8]) {
    if let Ok(o) = ConsentOverride::decode(data) {
        assert_eq!(o.encode().ok().as_deref(), Some(data));
        let [a, b] = o.signers();
        assert!(a.as_bytes() < b.as_bytes());
    }
}

/// The check-in code the fixture requester chose, and the duress code.
pub const CHECKIN_NORMAL: &str = "Sunrise";
/// See [`CHECKIN_NORMAL`].
pub const CHECKIN_DURESS: &str = "harbor-7";

/// Check-ins: the input (as text) as a chosen code (`CheckinCode::new`: trimmed, 4 to 64
/// characters) and as a typed check-in classified against the fixture codes (only the
/// codes themselves, in any case and with surrounding spaces, classify as Ok or Duress);
/// then its first 40 bytes as a schedule (`Schedule::new`) and two clock readings, whose
/// escalation never goes down as time passes.
pub fn checkin(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(code) = CheckinCode::new(&text) {
        let n = code.as_str().chars().count();
        assert!((4..=64).contains(&n));
        assert_eq!(code.as_str(), text.trim());
    }
    let codes = CheckinCodes::new(
        CASE,
        &CheckinCode::new(CHECKIN_NORMAL).expect("fixture code"),
        &CheckinCode::new(CHECKIN_DURESS).expect("fixture code"),
    )
    .expect("different codes");
    let typed = text.trim().to_lowercase();
    let expected = if typed == CHECKIN_NORMAL.to_lowercase() {
        CheckinKind::Ok
    } else if typed == CHECKIN_DURESS {
        CheckinKind::Duress
    } else {
        CheckinKind::Unknown
    };
    assert_eq!(codes.classify(&text), expected);

    let word = |i: usize| -> u64 {
        let mut b = [0u8; 8];
        for (j, slot) in b.iter_mut().enumerate() {
            *slot = data.get(i * 8 + j).copied().unwrap_or(0);
        }
        u64::from_be_bytes(b)
    };
    if let Ok(schedule) = Schedule::new(word(0), word(1), word(2)) {
        let last = (word(3) % 2 == 1).then(|| word(3));
        let (earlier, due) = escalation(&schedule, last, word(4));
        let (later, due_later) = escalation(&schedule, last, word(4).saturating_add(word(3) >> 32));
        assert_eq!(due, due_later);
        assert!(earlier <= later);
    }
}

/// `OrgMessage::decode` (canonical: re-encodes to the same bytes).
pub fn org_message(data: &[u8]) {
    if let Ok(message) = OrgMessage::decode(data) {
        assert_eq!(message.encode().ok().as_deref(), Some(data));
    }
}

/// The client's inner payloads (JSON inside the ratchet; `fuzz_payload_reencode`,
/// doc(hidden)): whatever decodes re-encodes to a fixed point.
pub fn client_payload(data: &[u8]) {
    let Some(once) = fuzz_payload_reencode(data) else {
        return;
    };
    let twice = fuzz_payload_reencode(&once);
    assert_eq!(twice.as_deref().map(Vec::as_slice), Some(once.as_slice()));
}

/// The client's stored records (JSON values of the encrypted store;
/// `fuzz_record_reencode`, doc(hidden)): the first byte picks the record type, the rest is
/// its value; whatever decodes re-encodes to a fixed point.
pub fn client_record(data: &[u8]) {
    let Some((&kind, value)) = data.split_first() else {
        return;
    };
    let Some(once) = fuzz_record_reencode(kind, value) else {
        return;
    };
    let twice = fuzz_record_reencode(kind, &once);
    assert_eq!(twice.as_deref().map(Vec::as_slice), Some(once.as_slice()));
}

/// The separator `audit_entry` splits its input at.
pub const MARKER: &[u8] = &[0xFF, 0x00, 0xFF];

fn split_marker(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(MARKER.len()).position(|w| w == MARKER) {
        out.push(rest[..at].to_vec());
        rest = &rest[at + MARKER.len()..];
    }
    out.push(rest.to_vec());
    out
}

// ---------------------------------------------------------------------------------------
// Seed corpora: a handful of valid encodings per target (made from the fixtures, so that
// they pass the decoders and reach the state machines), plus edge cases.

/// The seeds of every client target, as (target, [(file name, bytes)]).
#[allow(clippy::too_many_lines)]
pub fn seeds() -> Vec<(&'static str, Vec<(String, Vec<u8>)>)> {
    let mut rng = DetRng::new(0x5EED);
    let r = responder();
    let o = org();
    let edge = |name: &str| -> Vec<(String, Vec<u8>)> {
        vec![
            (format!("{name}-empty"), Vec::new()),
            (format!("{name}-zero-byte"), vec![0]),
            (format!("{name}-ff-512"), vec![0xFF; 512]),
        ]
    };
    let mut all = Vec::new();

    // Identities.
    let mut s = edge("edge");
    for seed in [1, 2, 3] {
        s.push((
            format!("valid-{seed}"),
            identity(seed).public().encode().to_vec(),
        ));
    }
    let mut bad = identity(1).public().encode().to_vec();
    bad[0] ^= 1;
    s.push(("bad-signature".into(), bad));
    all.push(("identity_decode", s));

    // Bundles: the fixture responder's signed part with each kind of handed prekey.
    let plain = r.prekeys.plain_bundle(&r.identity, &BUNDLE_ID);
    let frame = |kind: u8, id: u32, signed: &[u8], key: &[u8]| -> Vec<u8> {
        let mut out = vec![kind];
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&u16::try_from(signed.len()).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(signed);
        out.extend_from_slice(key);
        out
    };
    let mut s = edge("edge");
    for otp in &plain.one_time {
        s.push((
            format!("valid-one-time-{}", otp.id),
            frame(0, otp.id, plain.signed.as_bytes(), otp.key.as_bytes()),
        ));
    }
    s.push((
        "valid-last-resort".into(),
        frame(1, 0, plain.signed.as_bytes(), plain.last_resort.as_bytes()),
    ));
    if let Some(otp) = plain.one_time.first() {
        s.push((
            "swapped-kind".into(),
            frame(1, otp.id, plain.signed.as_bytes(), otp.key.as_bytes()),
        ));
    }
    all.push(("bundle_verify", s));

    // Fetch answers, encrypted as the relay stores them.
    let key = BundleKey::derive(&r.seal.public(), &BUNDLE_ID).expect("bundle key");
    let stored = r
        .prekeys
        .bundle(&r.identity, &key, &mut rng)
        .expect("bundle");
    let mut s = edge("edge");
    for (i, otp) in stored.one_time.iter().enumerate() {
        let response = FetchBundleResponse {
            signed: stored.signed.clone(),
            prekey: HandedPrekey::OneTime(otp.clone()),
        };
        s.push((
            format!("valid-one-time-{i}"),
            serde_json::to_vec(&response).expect("json"),
        ));
    }
    let response = FetchBundleResponse {
        signed: stored.signed.clone(),
        prekey: HandedPrekey::LastResort {
            key: stored.last_resort.clone(),
        },
    };
    s.push((
        "valid-last-resort".into(),
        serde_json::to_vec(&response).expect("json"),
    ));
    s.push((
        "empty-parts".into(),
        br#"{"signed":"","prekey":{"last_resort":{"key":""}}}"#.to_vec(),
    ));
    all.push(("bundle_fetch", s));

    // Initial envelopes sealed to the fixture responder, and their headers.
    let verified = VerifiedBundle::verify(
        plain.signed.as_bytes(),
        &HandedPrekey::OneTime(plain.one_time[0].clone()),
        &r.identity.fingerprint(),
        &BUNDLE_ID,
    )
    .expect("fixture bundle verifies");
    let verified_lr = VerifiedBundle::verify(
        plain.signed.as_bytes(),
        &HandedPrekey::LastResort {
            key: plain.last_resort.clone(),
        },
        &r.identity.fingerprint(),
        &BUNDLE_ID,
    )
    .expect("fixture bundle verifies");
    let mut envelopes = edge("edge");
    let mut headers = edge("edge");
    for (i, (alice, bundle)) in [(identity(11), &verified), (identity(12), &verified_lr)]
        .into_iter()
        .enumerate()
    {
        let init = handshake::initiate(&alice, bundle, &mut rng).expect("initiate");
        let inner: Vec<u8> = (0..INITIAL_INNER_LEN).map(|b| b as u8).collect();
        let env = handshake::seal_initial(
            &r.seal.public(),
            &init.kem_prekey,
            &init.header,
            &inner,
            &mut rng,
        )
        .expect("seal");
        envelopes.push((format!("valid-{i}"), env.to_vec()));
        headers.push((format!("valid-{i}"), init.header.encode()));
    }
    let mut sized = vec![0u8; ENVELOPE_SIZE];
    sized[0] = ENVELOPE_VERSION;
    envelopes.push(("version-then-zeros".into(), sized));
    all.push(("initial_open", envelopes));
    all.push(("initial_header_decode", headers));

    // Invitations, binary and as codes.
    let mut s = edge("edge");
    for (i, (kind, relays)) in [
        (InvitationKind::OneTime, vec!["https://relay.example.org"]),
        (
            InvitationKind::Standing,
            vec![
                "https://a.example",
                "http://abcdefghijklmnop.onion",
                "https://c.example",
                "https://d.example",
            ],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let invitation = Invitation {
            kind,
            expires_at: T0 + 7 * DAY,
            relays: relays.into_iter().map(str::to_owned).collect(),
            deposit_id: Bytes([0x11; 16]),
            credential: Bytes([0x22; 32]),
            bundle_id: Bytes(BUNDLE_ID),
            fingerprint: r.identity.fingerprint(),
            seal_key: r.seal.public(),
        };
        s.push((format!("bytes-{i}"), invitation.to_bytes().expect("bytes")));
        s.push((
            format!("code-{i}"),
            invitation.to_code().expect("code").into_bytes(),
        ));
    }
    s.push(("prefix-only".into(), b"CI1-".to_vec()));
    all.push(("invitation_decode", s));

    // Pickles: real ones under the target's key, and their plaintexts (which the target
    // also seals under the right label).
    let pickle_key = Secret::from_bytes(PICKLE_KEY);
    let mut s = edge("edge");
    s.push((
        "identity".into(),
        identity(21).pickle(&pickle_key, &mut rng).expect("pickle"),
    ));
    s.push((
        "prekeys".into(),
        r.prekeys.pickle(&pickle_key, &mut rng).expect("pickle"),
    ));
    s.push((
        "identity-plaintext".into(),
        pickle::open(
            &pickle_key,
            IDENTITY_PICKLE_LABEL,
            &identity(21).pickle(&pickle_key, &mut rng).expect("pickle"),
        )
        .expect("open")
        .to_vec(),
    ));
    s.push((
        "prekeys-plaintext".into(),
        pickle::open(
            &pickle_key,
            PREKEYS_PICKLE_LABEL,
            &r.prekeys.pickle(&pickle_key, &mut rng).expect("pickle"),
        )
        .expect("open")
        .to_vec(),
    ));
    all.push(("pickle_open", s));

    // Ratchet messages and envelopes Bob can open.
    let (mut alice, _bob, skipped) = sessions();
    let mut s = edge("edge");
    s.push(("skipped-message".into(), skipped));
    for (i, text) in [&b"next"[..], &[0u8; 300][..]].into_iter().enumerate() {
        s.push((
            format!("next-{i}"),
            alice.encrypt(text, &mut rng).expect("encrypt"),
        ));
    }
    all.push(("ratchet_decrypt", s));

    let (mut alice, _bob, _) = sessions();
    let mut s = edge("edge");
    for (i, payload) in [vec![b'a'; 10], vec![b'b'; 5000]].into_iter().enumerate() {
        for (j, env) in envelope::seal(&mut alice, &payload, &mut rng)
            .expect("seal")
            .into_iter()
            .enumerate()
        {
            s.push((format!("payload-{i}-block-{j}"), env.to_vec()));
        }
    }
    all.push(("envelope_open", s));

    // Block plaintexts: the frame layout of docs/protocol.md (payload id, index, count,
    // length, chunk), in 64-byte pieces as the target cuts them.
    let mut s = edge("edge");
    let block = |id: u8, index: u16, count: u16, chunk: &[u8]| -> Vec<u8> {
        let mut out = vec![id; 16];
        out.extend_from_slice(&index.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&u16::try_from(chunk.len()).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(chunk);
        out.resize(64, 0);
        out
    };
    s.push(("one-block".into(), block(1, 0, 1, b"hello")));
    s.push((
        "two-blocks".into(),
        [block(2, 0, 2, b"first"), block(2, 1, 2, b"second")].concat(),
    ));
    s.push(("index-past-count".into(), block(3, 2, 2, b"x")));
    all.push(("envelope_block", s));

    // Session and reassembler pickles.
    let session_key = Secret::from_bytes(SESSION_PICKLE_KEY);
    let (alice, bob, _) = sessions();
    let mut s = edge("edge");
    s.push((
        "alice".into(),
        alice.pickle(&session_key, &mut rng).expect("pickle"),
    ));
    let bob_pickle = bob.pickle(&session_key, &mut rng).expect("pickle");
    s.push((
        "bob-plaintext".into(),
        pickle::open(&session_key, SESSION_PICKLE_LABEL, &bob_pickle)
            .expect("open")
            .to_vec(),
    ));
    s.push(("bob".into(), bob_pickle));
    s.push((
        "reassembler".into(),
        Reassembler::new()
            .pickle(&session_key, &mut rng)
            .expect("pickle"),
    ));
    all.push(("session_unpickle", s));

    // Store record plaintexts, in the layout of docs/store.md.
    let record = |tree: &str, key: &[u8], value: &[u8], expires: Option<u64>| -> Vec<u8> {
        let mut out = vec![1, u8::from(expires.is_some())];
        out.extend_from_slice(&expires.unwrap_or(0).to_be_bytes());
        for part in [tree.as_bytes(), key, value] {
            out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(0).to_be_bytes());
            out.extend_from_slice(part);
        }
        let padded = out.len().div_ceil(256) * 256;
        out.resize(padded, 0);
        out
    };
    let mut s = edge("edge");
    s.push((
        "contact".into(),
        record("contacts", b"alice", b"mailbox 42", None),
    ));
    s.push((
        "expiring".into(),
        record("messages", b"m1", &[9; 300], Some(T0 + DAY)),
    ));
    s.push(("empty-parts".into(), record("", b"", b"", None)));
    let mut bad_flags = record("t", b"k", b"v", None);
    bad_flags[1] = 2;
    s.push(("bad-flags".into(), bad_flags));
    all.push(("store_record", s));

    // Roster epochs: the fixture chain, and a later epoch that removes the host.
    let mut s = edge("edge");
    for (i, epoch) in o.chain.iter().enumerate() {
        s.push((format!("epoch-{i}"), epoch.encode().expect("encode")));
    }
    let mut draft = o.roster.draft();
    draft
        .remove_member(o.host.public().signing_key())
        .expect("remove");
    s.push((
        "epoch-2-removes-host".into(),
        draft
            .sign(&o.coord, T0 + 20)
            .expect("sign")
            .encode()
            .expect("encode"),
    ));
    let mut draft = o.roster.draft();
    draft.set_retention(DAY).expect("retention");
    s.push((
        "epoch-2-by-caseworker".into(),
        draft
            .sign(&o.cw, T0 + 20)
            .map(|e| e.encode().unwrap_or_default())
            .unwrap_or_default(),
    ));
    all.push(("roster_epoch", s));

    // Membership certificates.
    let mut s = edge("edge");
    for (name, member) in [("host", &o.host), ("caseworker", &o.cw)] {
        if let Ok(cert) = MembershipCertificate::issue(
            &o.roster,
            &o.coord,
            member.public().signing_key(),
            T0 + 50,
            T0 + 30 * DAY,
        ) {
            s.push((name.into(), cert.encode().expect("encode")));
        }
    }
    all.push(("membership_certificate", s));

    // Vouches.
    let mut s = edge("edge");
    for (i, (signer, tier)) in [
        (&o.cw, Tier::Direct),
        (&o.referrer, Tier::Partner),
        (&o.coord, Tier::Co),
    ]
    .into_iter()
    .enumerate()
    {
        let v = Vouch::issue(
            signer,
            o.org,
            CASE,
            *o.requester.public().signing_key(),
            tier,
            "met in person; documents seen",
            T0 + 200,
            T0 + 20 * DAY,
        )
        .expect("vouch");
        s.push((format!("vouch-{i}"), v.encode().expect("encode")));
    }
    all.push(("vouch", s));

    // Intake requests.
    let mut s = edge("edge");
    s.push((
        "full".into(),
        IntakeRequest::new(&form())
            .expect("form")
            .encode()
            .expect("encode"),
    ));
    let minimal = IntakeForm {
        alias: "A".into(),
        region: "R".into(),
        adults: 1,
        children: 0,
        household: String::new(),
        needs: vec![Need::Legal],
        languages: vec!["tr".into()],
        urgency: Some(Urgency::Low),
        safe_contact: "any time".into(),
        note: String::new(),
    };
    s.push((
        "minimal".into(),
        IntakeRequest::new(&minimal)
            .expect("form")
            .encode()
            .expect("encode"),
    ));
    all.push(("intake_request", s));

    // Case events: the opening event and each kind of follow-up on the fixture case.
    let mut case = o.case.clone();
    let mut events = edge("edge");
    events.push(("opened".into(), o.opened.encode().expect("encode")));
    let vouch = Vouch::issue(
        &o.cw,
        o.org,
        CASE,
        *o.requester.public().signing_key(),
        Tier::Direct,
        "interviewed",
        T0 + 300,
        T0 + 20 * DAY,
    )
    .expect("vouch");
    let bodies = [
        (
            "assigned",
            &o.coord,
            EventBody::Assigned {
                caseworker: *o.cw.public().signing_key(),
            },
        ),
        (
            "status-verifying",
            &o.cw,
            EventBody::StatusChanged {
                to: Status::Verifying,
                reason: "interview booked".into(),
            },
        ),
        ("vouched", &o.cw, EventBody::Vouched { vouch }),
        (
            "noted",
            &o.cw,
            EventBody::Noted {
                text: "prefers text".into(),
            },
        ),
    ];
    let mut log = AuditLog::new();
    log.append(T0 + 100, CASE, Action::Opened, Some(o.opened.hash()));
    for (i, (name, author, body)) in bodies.into_iter().enumerate() {
        let event = case
            .author(author, &o.roster, T0 + 400 + i as u64, body)
            .expect("event");
        log.append(T0 + 400 + i as u64, CASE, Action::Noted, Some(event.hash()));
        events.push((name.into(), event.encode().expect("encode")));
    }
    all.push(("case_event", events));

    // Audit entries, single and as a chained log.
    let mut s = edge("edge");
    log.append(T0 + 900, CASE, Action::Viewed, None);
    log.append(T0 + 901, CASE, Action::StatusChanged(Status::Closed), None);
    log.append(T0 + 902, CASE, Action::Vouched(Tier::Partner), None);
    let encoded: Vec<Vec<u8>> = log.entries().iter().map(AuditEntry::encode).collect();
    for (i, entry) in encoded.iter().enumerate() {
        s.push((format!("entry-{i}"), entry.clone()));
    }
    s.push(("chain".into(), encoded.join(MARKER)));
    all.push(("audit_entry", s));

    // Offers: the host's shelter offer, its update and withdrawal, and offers the book
    // refuses (a travel offer by the host, a shelter offer by the caseworker).
    let shelter = OfferTerms {
        from: Day::of_unix(T0),
        to: Day::of_unix(T0 + 30 * DAY),
        body: OfferBody::Shelter {
            region: "Marmara".into(),
            city: "Istanbul".into(),
            beds: 2,
            rules: HouseRules::new(&[HouseRule::NoChildren]).expect("rules"),
            accessible: true,
            pets: false,
            languages: vec!["tr".into(), "en".into()],
        },
    };
    let travel = OfferTerms {
        from: Day::of_unix(T0),
        to: Day::of_unix(T0 + 3 * DAY),
        body: OfferBody::Travel {
            origin: "Baku".into(),
            destination: "Tbilisi".into(),
            provides: Provisions::new(&[Provision::Tickets, Provision::Escort]).expect("p"),
            seats: 3,
            languages: vec![],
        },
    };
    let mut s = edge("edge");
    let published =
        Offer::publish(&o.host, o.org, OfferId([1; 16]), shelter.clone(), T0 + 500).expect("offer");
    s.push(("shelter".into(), published.encode().expect("encode")));
    let updated = published
        .update(&o.host, shelter.clone(), T0 + 600)
        .expect("update");
    s.push((
        "shelter-revision-1".into(),
        updated.encode().expect("encode"),
    ));
    s.push((
        "shelter-withdrawn".into(),
        updated
            .withdraw(&o.host, T0 + 700)
            .expect("withdraw")
            .encode()
            .expect("encode"),
    ));
    s.push((
        "travel-by-host".into(),
        Offer::publish(&o.host, o.org, OfferId([2; 16]), travel, T0 + 500)
            .expect("offer")
            .encode()
            .expect("encode"),
    ));
    s.push((
        "shelter-by-caseworker".into(),
        Offer::publish(&o.cw, o.org, OfferId([3; 16]), shelter, T0 + 500)
            .expect("offer")
            .encode()
            .expect("encode"),
    ));
    all.push(("offer", s));

    // Vetting records: each kind, by the coordinator about the host.
    let mut s = edge("edge");
    for (i, kind) in [
        VettingKind::HomeVisit,
        VettingKind::References,
        VettingKind::Interview,
    ]
    .into_iter()
    .enumerate()
    {
        let record = Vetting::issue(
            &o.coord,
            &o.roster,
            *o.host.public().signing_key(),
            kind,
            if i == 0 {
                ""
            } else {
                "visited twice;\nreferences from two partners"
            },
            T0 + 800,
        )
        .expect("vetting");
        s.push((format!("vetting-{i}"), record.encode().expect("encode")));
    }
    all.push(("vetting", s));

    // Consents and overrides.
    let fields = CaseFields::new(&[CaseField::Alias, CaseField::Needs]).expect("fields");
    let mut s = edge("edge");
    for (i, (purpose, given)) in [(Purpose::Transfer, true), (Purpose::Referral, false)]
        .into_iter()
        .enumerate()
    {
        let ask = ConsentAsk {
            ask: [i as u8; 16],
            case: CASE,
            purpose,
            partner: "Rainbow Shelter Tbilisi".into(),
            fields: if given { CaseFields::all() } else { fields },
        };
        s.push((
            format!("consent-{i}"),
            Consent::answer(&o.requester, o.org, &ask, given, T0 + 900)
                .expect("consent")
                .encode()
                .expect("encode"),
        ));
    }
    all.push(("consent", s));
    let mut s = edge("edge");
    let part = |who: &corridor_client::protocol::identity::Identity| {
        ConsentOverride::sign_part(
            who,
            o.org,
            CASE,
            Purpose::Transfer,
            "Rainbow Shelter Tbilisi",
            fields,
            T0 + 950,
        )
        .expect("part")
    };
    let over = ConsentOverride::combine(
        o.org,
        CASE,
        Purpose::Transfer,
        "Rainbow Shelter Tbilisi",
        fields,
        T0 + 950,
        part(&o.coord),
        part(&o.cw),
    )
    .expect("override");
    let encoded = over.encode().expect("encode");
    s.push(("override".into(), encoded.clone()));
    // The same override with its two (key, signature) pairs swapped: not canonical.
    let pair = 32 + 64;
    let at = encoded.len() - 2 * pair;
    let swapped = [
        &encoded[..at],
        &encoded[at + pair..],
        &encoded[at..at + pair],
    ]
    .concat();
    s.push(("override-swapped-signers".into(), swapped));
    all.push(("consent_override", s));

    // Check-ins: the two codes as typed, a near miss, too short, and schedules.
    let mut s = edge("edge");
    for (name, typed) in [
        ("normal", CHECKIN_NORMAL),
        ("normal-shouted", "  SUNRISE \n"),
        ("duress", CHECKIN_DURESS),
        ("near-miss", "sunrise."),
        ("too-short", "abc"),
    ] {
        s.push((name.into(), typed.as_bytes().to_vec()));
    }
    let schedule = |start: u64, every: u64, grace: u64, last: u64, now: u64| -> Vec<u8> {
        [start, every, grace, last, now]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect()
    };
    s.push((
        "schedule-hourly".into(),
        schedule(T0, 3600, 900, T0 + 1, T0 + 5000),
    ));
    s.push((
        "schedule-daily-overdue".into(),
        schedule(T0, DAY, 3600, (T0 + DAY) | 1, T0 + 5 * DAY),
    ));
    all.push(("checkin", s));

    // Organization messages: one of each kind.
    let mut s = edge("edge");
    let genesis_hash = EpochHash([0x33; 32]);
    let cert = MembershipCertificate::issue(
        &o.roster,
        &o.coord,
        o.host.public().signing_key(),
        T0 + 50,
        T0 + 30 * DAY,
    )
    .expect("certificate");
    let messages = [
        (
            "welcome",
            OrgMessage::Welcome {
                org: o.org,
                name: "Rainbow Route".into(),
                role: Role::Caseworker,
                alias: "Aras".into(),
                genesis: genesis_hash,
            },
        ),
        (
            "roster-epochs",
            OrgMessage::RosterEpochs {
                epochs: o.chain.clone(),
            },
        ),
        (
            "certificate-grant",
            OrgMessage::CertificateGrant {
                certificate: Box::new(cert),
                epoch: 1,
            },
        ),
        (
            "case-events",
            OrgMessage::CaseEvents {
                case: CASE,
                events: vec![o.opened.clone()],
            },
        ),
        (
            "intake",
            OrgMessage::Intake {
                request: IntakeRequest::new(&form()).expect("form"),
            },
        ),
        (
            "introduce",
            OrgMessage::Introduce {
                case: CASE,
                assignee: *o.cw.public().signing_key(),
                code: "CI1-AAAABBBBCCCC".into(),
            },
        ),
        (
            "handover",
            OrgMessage::Handover {
                code: "CI1-AAAABBBBCCCC".into(),
            },
        ),
        (
            "case-closed",
            OrgMessage::CaseClosed {
                purge_at: T0 + 30 * DAY,
            },
        ),
    ];
    let mut welcome = Vec::new();
    for (name, message) in messages {
        let encoded = message.encode().expect("encode");
        if name == "welcome" {
            welcome = encoded.clone();
        }
        s.push((name.into(), encoded));
    }
    all.push(("org_message", s));

    // Inner payloads (JSON), one of each variant, and refused ones.
    let b64 = |bytes: &[u8]| corridor_wire::b64::Blob(bytes.to_vec());
    let blob_json = |bytes: &[u8]| serde_json::to_string(&b64(bytes)).expect("json");
    let mailbox = format!(
        r#"{{"relay":"https://relay.example.org","deposit_id":{},"credential":{}}}"#,
        blob_json(&[0x11; 16]),
        blob_json(&[0x22; 32])
    );
    let mut s = edge("edge");
    for (name, json) in [
        (
            "text",
            r#"{"v":1,"p":{"t":"text","body":"we leave at six","sent_at":1796083200}}"#.to_owned(),
        ),
        (
            "mailbox-update",
            format!(r#"{{"v":1,"p":{{"t":"mailbox_update","mailbox":{mailbox}}}}}"#),
        ),
        (
            "duress-alert-key",
            format!(
                r#"{{"v":1,"p":{{"t":"duress_alert_key","key":{}}}}}"#,
                blob_json(&[0x44; 32])
            ),
        ),
        (
            "timer",
            r#"{"v":1,"p":{"t":"timer","secs":3600}}"#.to_owned(),
        ),
        (
            "timer-off",
            r#"{"v":1,"p":{"t":"timer","secs":null}}"#.to_owned(),
        ),
        (
            "org",
            format!(
                r#"{{"v":1,"p":{{"t":"org","msg":{}}}}}"#,
                blob_json(&welcome)
            ),
        ),
        (
            "version-2",
            r#"{"v":2,"p":{"t":"text","body":"x","sent_at":0}}"#.to_owned(),
        ),
        (
            "unknown-field",
            r#"{"v":1,"p":{"t":"text","body":"x","sent_at":0,"extra":1}}"#.to_owned(),
        ),
    ] {
        s.push((name.into(), json.into_bytes()));
    }
    all.push(("client_payload", s));

    // Stored records (JSON values), one of each type, prefixed by the type's byte.
    let key32 = || serde_json::to_string(&[7u8; 32]).expect("json");
    let owned_mailbox = format!(
        r#"{{"relay":"https://relay.example.org","read_id":{},"deposit_id":{},"credential":{},"auth_seed":{},"retire_by":null,"keep_for_alerts":false}}"#,
        blob_json(&[0x10; 16]),
        blob_json(&[0x11; 16]),
        blob_json(&[0x22; 32]),
        blob_json(&[0x33; 32])
    );
    let records = [
        (
            "profile",
            0u8,
            format!(
                r#"{{"name":"me","relays":["https://relay.example.org"],"identity":{},"pickle_key":{},"next_label":3,"proxy":"socks5h://127.0.0.1:9050","duress_settings":[["https://relay.example.org"],null]}}"#,
                blob_json(b"identity pickle"),
                blob_json(&[9; 32])
            ),
        ),
        (
            "contact",
            1,
            format!(
                r#"{{"id":4,"label":"Elif","identity":{},"identity_name":null,"awaiting_reply_since":null,"accepted":{{"salt":{},"tag":{}}},"peer_identity":{},"session":{},"reassembler":null,"verified":true,"receives_alerts":true,"alert_keys":[{}],"timer":86400,"outgoing":{mailbox},"pending_initial":null,"incoming":[{owned_mailbox}],"origin":{{"invitation":2,"ephemeral":{},"heard_direct":true}}}}"#,
                blob_json(b"identity pickle"),
                serde_json::to_string(&[1u8; 16]).expect("json"),
                key32(),
                blob_json(&identity(1).public().encode()),
                blob_json(b"session pickle"),
                blob_json(&[5; 32]),
                key32()
            ),
        ),
        (
            "invitation",
            2,
            format!(
                r#"{{"id":2,"identity":{},"identity_name":"desk","standing":true,"max_uses":10,"uses":1,"expires_at":1796688000,"intake":{owned_mailbox},"bundle_relay":"https://relay.example.org","bundle_id":{},"bundle_auth_seed":{},"bundle_live":true,"seal_secret":{},"prekeys":{},"responders":[[{},1796083200]],"schedule":{{"rotated_at":1796083200,"previous_until":null,"live":[1,2,3],"stale":[[0,1796083100]],"unpublished":false}}}}"#,
                blob_json(b"identity pickle"),
                blob_json(&BUNDLE_ID),
                blob_json(&[6; 32]),
                blob_json(&[8; 32]),
                blob_json(b"prekeys pickle"),
                key32()
            ),
        ),
        (
            "named-identity",
            3,
            format!(
                r#"{{"name":"desk","identity":{},"created_at":1796083200}}"#,
                blob_json(b"identity pickle")
            ),
        ),
        (
            "outbox",
            4,
            format!(
                r#"{{"contact":4,"to":{mailbox},"envelope":{},"initial":false,"unlock":true}}"#,
                blob_json(&[0xEE; 64])
            ),
        ),
        (
            "message",
            5,
            r#"{"contact":4,"direction":"In","kind":"Text","text":"see you at the station","at":1796083200,"expires_at":1796169600,"order":0}"#
                .to_owned(),
        ),
        (
            "duress-kit",
            6,
            format!(
                r#"{{"name":"me","relays":["https://relay.example.org"],"alerts":[{{"to":{mailbox},"key":{}}}],"proxy":null}}"#,
                blob_json(&[0x44; 32])
            ),
        ),
        (
            "alert-state",
            7,
            format!(
                r#"{{"at":1796083200,"seen":[{}]}}"#,
                serde_json::to_string(&[3u8; 16]).expect("json")
            ),
        ),
    ];
    let mut s = edge("edge");
    for (name, kind, json) in records {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(json.as_bytes());
        s.push((name.into(), bytes));
    }
    s.push((
        "contact-as-message".into(),
        [&[5u8][..], br#"{"contact":"four"}"#].concat(),
    ));
    all.push(("client_record", s));

    all
}
