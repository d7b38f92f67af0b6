//! Shared fixtures for the coordination tests: deterministic randomness, identities, an
//! organization with every role, an intake request, a case.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use corridor_client::coordination::{
    Case, CaseEvent, CaseId, IntakeForm, IntakeRequest, Need, OrgId, Role, Roster, RosterDraft,
    RosterEpoch, Urgency,
};
use corridor_client::primitives::kdf::sha256;
use corridor_client::primitives::random::{TryCryptoRng, TryRng};
use corridor_client::protocol::identity::Identity;
use corridor_client::transport::RelayUrl;
use std::convert::Infallible;

/// Block i is SHA-256(seed || i): reproducible, not for production.
pub struct TestRng {
    seed: [u8; 8],
    counter: u64,
    buffer: Vec<u8>,
}

impl TestRng {
    pub fn new(seed: u64) -> Self {
        Self {
            seed: seed.to_be_bytes(),
            counter: 0,
            buffer: Vec::new(),
        }
    }
}

impl TryRng for TestRng {
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

impl TryCryptoRng for TestRng {}

pub fn identity(seed: u64) -> Identity {
    Identity::generate(&mut TestRng::new(seed)).unwrap()
}

/// 2026-12-01T00:00:00Z.
pub const T0: u64 = 1_796_083_200;
pub const DAY: u64 = 24 * 3600;

/// An organization with two coordinators, two caseworkers, a host, a travel helper and a
/// registered referrer.
pub struct Org {
    pub org: OrgId,
    pub coord: Identity,
    pub coord2: Identity,
    pub cw1: Identity,
    pub cw2: Identity,
    pub host: Identity,
    pub helper: Identity,
    pub referrer: Identity,
    pub outsider: Identity,
    pub chain: Vec<RosterEpoch>,
    pub roster: Roster,
}

impl Org {
    pub fn new() -> Self {
        let coord = identity(1);
        let coord2 = identity(2);
        let cw1 = identity(3);
        let cw2 = identity(4);
        let host = identity(5);
        let helper = identity(6);
        let referrer = identity(7);
        let outsider = identity(8);
        let org = OrgId([0x42; 16]);
        let mut draft = RosterDraft::genesis(org, 30 * DAY).unwrap();
        draft
            .add_member(coord.public(), Role::Coordinator, "Deniz")
            .unwrap();
        draft
            .set_relays(vec![RelayUrl::parse("https://relay.example.org").unwrap()])
            .unwrap();
        let genesis = draft.sign(&coord, T0).unwrap();
        let mut roster = Roster::from_genesis(genesis.clone()).unwrap();
        let mut draft = roster.draft();
        draft
            .add_member(coord2.public(), Role::Coordinator, "Selin")
            .unwrap();
        draft
            .add_member(cw1.public(), Role::Caseworker, "Aras")
            .unwrap();
        draft
            .add_member(cw2.public(), Role::Caseworker, "Burak")
            .unwrap();
        draft.add_member(host.public(), Role::Host, "Elif").unwrap();
        draft
            .add_member(helper.public(), Role::TravelHelper, "Cem")
            .unwrap();
        draft
            .add_referrer(*referrer.public().signing_key(), "Baku desk")
            .unwrap();
        let epoch1 = draft.sign(&coord, T0 + 10).unwrap();
        roster.apply(epoch1.clone()).unwrap();
        Self {
            org,
            coord,
            coord2,
            cw1,
            cw2,
            host,
            helper,
            referrer,
            outsider,
            chain: vec![genesis, epoch1],
            roster,
        }
    }

    /// Signs and applies the next epoch made by `edit`.
    pub fn advance(&mut self, signer_is_coord2: bool, edit: impl FnOnce(&mut RosterDraft)) {
        let mut draft = self.roster.draft();
        edit(&mut draft);
        let signer = if signer_is_coord2 {
            &self.coord2
        } else {
            &self.coord
        };
        let time = self.roster.current().issued_at() + 10;
        let epoch = draft.sign(signer, time).unwrap();
        self.roster.apply(epoch.clone()).unwrap();
        self.chain.push(epoch);
    }
}

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

pub fn request() -> IntakeRequest {
    IntakeRequest::new(&form()).unwrap()
}

/// The requester's pairwise identity for this organization.
pub fn requester() -> Identity {
    identity(100)
}

pub const CASE: CaseId = CaseId([7; 16]);

/// A case opened by the coordinator at T0 + 100 through the referrer.
pub fn open_case(org: &Org) -> (Case, CaseEvent) {
    Case::create(
        &org.coord,
        &org.roster,
        CASE,
        *requester().public().signing_key(),
        Some(*org.referrer.public().signing_key()),
        request(),
        T0 + 100,
    )
    .unwrap()
}
