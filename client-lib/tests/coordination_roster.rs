//! The roster chain and membership certificates: every refusal path, and property tests
//! that forged, rolled-back, forked and gapped rosters are refused and removed keys stay
//! refused.
#![allow(clippy::unwrap_used, clippy::panic)]

mod coordination_support;

use coordination_support::*;
use corridor_client::coordination::roster::{MAX_RELAYS, ROSTER_SIGNATURE_LABEL};
use corridor_client::coordination::{
    CertificateError, DecodeError, EpochHash, Field, FieldError, MembershipCertificate, OrgId,
    Role, Roster, RosterChange, RosterDraft, RosterEpoch, RosterError, Tier,
};
use corridor_client::protocol::identity::Identity;
use corridor_client::transport::RelayUrl;
use proptest::prelude::*;

/// Re-signs an encoded epoch as `signer` (replacing the signer key and the signature):
/// a valid signature by someone without the authority.
fn resign(bytes: &[u8], signer: &Identity) -> Vec<u8> {
    let mut body = bytes[..bytes.len() - 96].to_vec();
    body.extend_from_slice(signer.public().signing_key().as_bytes());
    let mut signed = ROSTER_SIGNATURE_LABEL.to_vec();
    signed.extend_from_slice(&body);
    body.extend_from_slice(&signer.sign(&signed).to_bytes());
    body
}

fn next_epoch(org: &Org, signer: &Identity, edit: impl FnOnce(&mut RosterDraft)) -> RosterEpoch {
    let mut draft = org.roster.draft();
    edit(&mut draft);
    draft
        .sign(signer, org.roster.current().issued_at() + 5)
        .unwrap()
}

#[test]
fn genesis_is_self_signed_by_a_coordinator_in_it() {
    let founder = identity(1);
    let other = identity(2);
    let org = OrgId([1; 16]);
    let mut draft = RosterDraft::genesis(org, DAY).unwrap();
    draft
        .add_member(founder.public(), Role::Coordinator, "Founder")
        .unwrap();
    assert_eq!(
        draft.clone().sign(&other, T0).err(),
        Some(RosterError::SignerNotCoordinator)
    );
    let genesis = draft.sign(&founder, T0).unwrap();
    let bytes = genesis.encode().unwrap();
    let decoded = RosterEpoch::decode(&bytes).unwrap();
    assert_eq!(decoded, genesis);
    let roster = Roster::from_genesis(decoded.clone()).unwrap();
    assert_eq!(roster.number(), 0);
    assert_eq!(roster.genesis_hash(), genesis.hash());
    assert_eq!(
        roster.role_of(founder.public().signing_key()),
        Ok(Role::Coordinator)
    );
    assert_eq!(
        roster.role_of(other.public().signing_key()),
        Err(RosterError::NotMember)
    );

    // A genesis signed (validly) by someone who is not its coordinator.
    let forged = RosterEpoch::decode(&resign(&bytes, &other)).unwrap();
    assert_eq!(
        Roster::from_genesis(forged).err(),
        Some(RosterError::SignerNotCoordinator)
    );
    // Pinning: an invitation carries the genesis hash.
    assert!(Roster::from_pinned_genesis(genesis.clone(), &genesis.hash()).is_ok());
    assert_eq!(
        Roster::from_pinned_genesis(genesis, &EpochHash([9; 32])).err(),
        Some(RosterError::WrongOrganization)
    );
}

#[test]
fn a_later_epoch_is_not_a_genesis() {
    let org = Org::new();
    assert_eq!(
        Roster::from_genesis(org.chain[1].clone()).err(),
        Some(RosterError::NotGenesis)
    );
    assert_eq!(Roster::from_chain(&[]).err(), Some(RosterError::NotGenesis));
}

#[test]
fn unsigned_and_wrongly_signed_epochs_are_refused() {
    let org = Org::new();
    let epoch = next_epoch(&org, &org.coord, |d| {
        d.add_member(org.outsider.public(), Role::Host, "New host")
            .unwrap()
    });
    let bytes = epoch.encode().unwrap();
    // No signature at all: all zero.
    let mut unsigned = bytes.clone();
    let n = unsigned.len();
    unsigned[n - 64..].fill(0);
    assert_eq!(
        RosterEpoch::decode(&unsigned).err(),
        Some(RosterError::BadSignature)
    );
    // Signature cut off.
    assert_eq!(
        RosterEpoch::decode(&bytes[..n - 64]).err(),
        Some(RosterError::Decode(DecodeError::Truncated))
    );
    // Any flipped bit in the signature, or in the signed contents.
    for i in [n - 1, n - 40, n - 64, 20, 40, 60, n / 2] {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert!(RosterEpoch::decode(&bad).is_err(), "flip at {i}");
    }
    // Signed, validly, by a caseworker, a host, an outsider: no authority.
    let mut roster = org.roster.clone();
    for signer in [&org.cw1, &org.host, &org.outsider] {
        let forged = RosterEpoch::decode(&resign(&bytes, signer)).unwrap();
        assert_eq!(
            roster.apply(forged).err(),
            Some(RosterError::SignerNotCoordinator)
        );
    }
    assert_eq!(roster.number(), 1);
    // The honest epoch still applies.
    assert!(matches!(
        roster.apply(epoch),
        Ok(RosterChange::Advanced { number: 2, .. })
    ));
}

#[test]
fn a_second_coordinator_may_sign_and_a_removed_one_may_not() {
    let mut org = Org::new();
    // coord2 signs epoch 2: fine.
    org.advance(true, |d| d.set_retention(60 * DAY).unwrap());
    assert_eq!(org.roster.retention_secs(), 60 * DAY);
    // coord removes coord2.
    let coord2_key = *org.coord2.public().signing_key();
    org.advance(false, |d| d.remove_member(&coord2_key).unwrap());
    // coord2 tries to sign epoch 4.
    let epoch = next_epoch(&org, &org.coord2, |d| d.set_retention(DAY).unwrap());
    let mut roster = org.roster.clone();
    assert_eq!(roster.apply(epoch).err(), Some(RosterError::SignerRemoved));
    assert_eq!(roster.role_of(&coord2_key), Err(RosterError::Removed));
}

#[test]
fn rollback_fork_gap_and_duplicate() {
    let mut org = Org::new();
    let epoch2 = next_epoch(&org, &org.coord, |d| d.set_retention(2 * DAY).unwrap());
    let fork2 = next_epoch(&org, &org.coord, |d| d.set_retention(3 * DAY).unwrap());
    let mut roster = org.roster.clone();
    assert!(roster.apply(epoch2.clone()).is_ok());
    assert_eq!(roster.apply(epoch2.clone()), Ok(RosterChange::AlreadyHeld));
    // The same number with other contents.
    assert_eq!(
        roster.apply(fork2.clone()).err(),
        Some(RosterError::Forked { number: 2 })
    );
    // Older than held.
    for old in [org.chain[0].clone(), org.chain[1].clone()] {
        let number = old.number();
        assert_eq!(
            roster.apply(old).err(),
            Some(RosterError::RolledBack {
                held: 2,
                offered: number
            })
        );
    }
    // A different epoch 1: a fork further back.
    let other1 = {
        let mut draft = Roster::from_genesis(org.chain[0].clone()).unwrap().draft();
        draft.set_retention(5 * DAY).unwrap();
        draft.sign(&org.coord, T0 + 20).unwrap()
    };
    assert_eq!(
        roster.apply(other1).err(),
        Some(RosterError::Forked { number: 1 })
    );
    // An epoch 3 built on the fork.
    let mut fork_roster = org.roster.clone();
    fork_roster.apply(fork2).unwrap();
    let fork3 = {
        let mut draft = fork_roster.draft();
        draft.set_retention(4 * DAY).unwrap();
        draft.sign(&org.coord, T0 + 100).unwrap()
    };
    assert_eq!(
        roster.apply(fork3).err(),
        Some(RosterError::Forked { number: 3 })
    );
    // A gap: epoch 4 while holding 2.
    org.roster = roster.clone();
    org.advance(false, |d| d.set_retention(6 * DAY).unwrap());
    let epoch3 = org.chain.last().unwrap().clone();
    let epoch4 = next_epoch(&org, &org.coord, |d| d.set_retention(7 * DAY).unwrap());
    assert_eq!(
        roster.apply(epoch4.clone()).err(),
        Some(RosterError::Gap {
            held: 2,
            offered: 4
        })
    );
    roster.apply(epoch3).unwrap();
    roster.apply(epoch4).unwrap();
    assert_eq!(roster.number(), 4);
}

#[test]
fn wrong_organization_and_backdated_epochs() {
    let org = Org::new();
    let mut other = RosterDraft::genesis(OrgId([9; 16]), DAY).unwrap();
    other
        .add_member(org.coord.public(), Role::Coordinator, "Deniz")
        .unwrap();
    let other_genesis = other.sign(&org.coord, T0).unwrap();
    let mut roster = org.roster.clone();
    assert_eq!(
        roster.apply(other_genesis).err(),
        Some(RosterError::WrongOrganization)
    );
    let mut draft = org.roster.draft();
    draft.set_retention(DAY).unwrap();
    let backdated = draft.sign(&org.coord, T0 - 1).unwrap();
    assert_eq!(
        roster.apply(backdated).err(),
        Some(RosterError::IssuedBeforeParent)
    );
}

#[test]
fn removal_reports_the_key_and_it_is_refused_from_then_on() {
    let mut org = Org::new();
    let cw2 = *org.cw2.public().signing_key();
    let referrer = *org.referrer.public().signing_key();
    let epoch = next_epoch(&org, &org.coord, |d| {
        d.remove_member(&cw2).unwrap();
        d.remove_referrer(&referrer).unwrap();
        d.add_member(org.outsider.public(), Role::Host, "Nilufar")
            .unwrap();
    });
    match org.roster.apply(epoch.clone()).unwrap() {
        RosterChange::Advanced {
            number,
            added,
            removed,
        } => {
            assert_eq!(number, 2);
            assert_eq!(added, vec![*org.outsider.public().signing_key()]);
            assert_eq!(removed.len(), 2);
            assert!(removed.contains(&cw2) && removed.contains(&referrer));
        }
        other => panic!("{other:?}"),
    }
    org.chain.push(epoch);
    assert_eq!(org.roster.role_of(&cw2), Err(RosterError::Removed));
    assert!(org.roster.is_removed(&referrer));
    assert!(!org.roster.may_vouch(&referrer, Tier::Partner));
    // Bringing the key back, as a member or as a referrer, is refused.
    for readd in [
        next_epoch(&org, &org.coord, |d| {
            d.add_member(org.cw2.public(), Role::Caseworker, "Burak again")
                .unwrap()
        }),
        next_epoch(&org, &org.coord, |d| d.add_referrer(cw2, "Sneaky").unwrap()),
    ] {
        let mut roster = org.roster.clone();
        assert_eq!(
            roster.apply(readd).err(),
            Some(RosterError::RemovedKeyReadded)
        );
    }
    // Reloading the chain gives the same roster.
    let reloaded = Roster::from_chain(&org.chain).unwrap();
    assert_eq!(reloaded.hash(), org.roster.hash());
    assert_eq!(reloaded.role_of(&cw2), Err(RosterError::Removed));
}

#[test]
fn draft_rules() {
    let org = Org::new();
    let mut draft = org.roster.draft();
    assert_eq!(
        draft.add_member(org.cw1.public(), Role::Host, "Other name"),
        Err(RosterError::DuplicateKey)
    );
    assert_eq!(
        draft.add_referrer(*org.cw1.public().signing_key(), "Other name"),
        Err(RosterError::DuplicateKey)
    );
    assert_eq!(
        draft.add_member(org.outsider.public(), Role::Host, "aras"),
        Err(RosterError::DuplicateAlias)
    );
    assert_eq!(
        draft.add_member(org.outsider.public(), Role::Host, " "),
        Err(RosterError::Field(FieldError::Empty(Field::MemberAlias)))
    );
    assert_eq!(
        draft.add_member(org.outsider.public(), Role::Host, &"x".repeat(65)),
        Err(RosterError::Field(FieldError::TooLong {
            field: Field::MemberAlias,
            max: 64
        }))
    );
    assert_eq!(
        draft.remove_member(org.outsider.public().signing_key()),
        Err(RosterError::NotMember)
    );
    assert_eq!(
        draft.set_role(org.outsider.public().signing_key(), Role::Host),
        Err(RosterError::NotMember)
    );
    let relays: Vec<RelayUrl> = (0..=MAX_RELAYS)
        .map(|i| RelayUrl::parse(&format!("https://r{i}.example.org")).unwrap())
        .collect();
    assert_eq!(
        draft.set_relays(relays),
        Err(RosterError::TooMany {
            field: Field::Relays,
            max: MAX_RELAYS
        })
    );
    let r = RelayUrl::parse("https://r.example.org").unwrap();
    assert!(draft.set_relays(vec![r.clone(), r]).is_err());
    assert!(draft.set_retention(3651 * DAY).is_err());
    // Demote every coordinator: no coordinator left.
    draft
        .set_role(org.coord.public().signing_key(), Role::Caseworker)
        .unwrap();
    draft
        .set_role(org.coord2.public().signing_key(), Role::Host)
        .unwrap();
    assert_eq!(
        draft.sign(&org.coord, T0 + 50).err(),
        Some(RosterError::NoCoordinator)
    );
    assert_eq!(org.roster.relays().len(), 1);
    assert_eq!(org.roster.coordinators().count(), 2);
}

#[test]
fn vouch_authority_comes_from_the_roster() {
    let org = Org::new();
    let key = |id: &Identity| *id.public().signing_key();
    for tier in Tier::ALL {
        assert!(org.roster.may_vouch(&key(&org.coord), tier));
        assert!(org.roster.may_vouch(&key(&org.cw1), tier));
        assert!(!org.roster.may_vouch(&key(&org.host), tier));
        assert!(!org.roster.may_vouch(&key(&org.helper), tier));
        assert!(!org.roster.may_vouch(&key(&org.outsider), tier));
    }
    assert!(org.roster.may_vouch(&key(&org.referrer), Tier::Partner));
    assert!(org.roster.may_vouch(&key(&org.referrer), Tier::Co));
    assert!(!org.roster.may_vouch(&key(&org.referrer), Tier::Direct));
}

#[test]
fn membership_certificates() {
    let mut org = Org::new();
    let host_key = *org.host.public().signing_key();
    let coord_key = *org.coord.public().signing_key();
    let now = T0 + 1000;
    let cert =
        MembershipCertificate::issue(&org.roster, &org.coord, &host_key, now, now + 90 * DAY)
            .unwrap();
    assert_eq!(cert.role(), Role::Host);
    assert_eq!(cert.epoch(), 1);
    assert_eq!(cert.alias(), "Elif");
    let bytes = cert.encode().unwrap();
    let cert = MembershipCertificate::decode(&bytes).unwrap();
    // Without the roster: the coordinator's key is enough.
    assert_eq!(cert.verify(org.org, &[coord_key], 1, now + 1), Ok(()));
    assert_eq!(
        cert.verify(org.org, &[*org.coord2.public().signing_key()], 1, now),
        Err(CertificateError::UntrustedSigner)
    );
    assert_eq!(
        cert.verify(OrgId([0; 16]), &[coord_key], 1, now),
        Err(CertificateError::WrongOrganization)
    );
    assert_eq!(
        cert.verify(org.org, &[coord_key], 2, now),
        Err(CertificateError::Superseded)
    );
    assert_eq!(
        cert.verify(org.org, &[coord_key], 1, now - 1),
        Err(CertificateError::NotYetValid)
    );
    assert_eq!(
        cert.verify(org.org, &[coord_key], 1, now + 91 * DAY),
        Err(CertificateError::Expired)
    );
    // A flipped bit anywhere is refused.
    for i in (0..bytes.len()).step_by(7) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x10;
        assert!(MembershipCertificate::decode(&bad).is_err(), "flip at {i}");
    }
    // Only a coordinator issues; only for a member.
    assert_eq!(
        MembershipCertificate::issue(&org.roster, &org.cw1, &host_key, now, now + DAY).err(),
        Some(CertificateError::SignerNotCoordinator)
    );
    assert_eq!(
        MembershipCertificate::issue(
            &org.roster,
            &org.coord,
            org.outsider.public().signing_key(),
            now,
            now + DAY
        )
        .err(),
        Some(CertificateError::Roster(RosterError::NotMember))
    );
    assert!(matches!(
        MembershipCertificate::issue(&org.roster, &org.coord, &host_key, now, now + 400 * DAY),
        Err(CertificateError::Field(_))
    ));
    // With the roster.
    assert_eq!(cert.verify_with_roster(&org.roster, now), Ok(()));
    let helper_cert = MembershipCertificate::issue(
        &org.roster,
        &org.coord,
        org.helper.public().signing_key(),
        now,
        now + DAY,
    )
    .unwrap();
    // A role change, then a removal.
    let helper_key = *org.helper.public().signing_key();
    org.advance(false, |d| d.set_role(&helper_key, Role::Host).unwrap());
    assert_eq!(
        helper_cert.verify_with_roster(&org.roster, now),
        Err(CertificateError::RoleChanged)
    );
    assert_eq!(cert.verify_with_roster(&org.roster, now), Ok(()));
    org.advance(false, |d| d.remove_member(&host_key).unwrap());
    assert_eq!(
        cert.verify_with_roster(&org.roster, now),
        Err(CertificateError::Roster(RosterError::Removed))
    );
    // A certificate from a forked roster names an epoch hash this roster does not hold.
    let mut fork = Roster::from_chain(&org.chain[..2]).unwrap();
    let mut draft = fork.draft();
    draft.set_retention(DAY).unwrap();
    fork.apply(draft.sign(&org.coord, T0 + 500).unwrap())
        .unwrap();
    let forked_cert = MembershipCertificate::issue(
        &fork,
        &org.coord,
        org.cw1.public().signing_key(),
        now,
        now + DAY,
    )
    .unwrap();
    assert_eq!(
        forked_cert.verify_with_roster(&org.roster, now),
        Err(CertificateError::UnknownEpoch)
    );
}

#[test]
fn a_non_canonical_epoch_is_refused_even_when_signed() {
    let founder = identity(1);
    let second = identity(2);
    let mut draft = RosterDraft::genesis(OrgId([1; 16]), DAY).unwrap();
    draft
        .add_member(founder.public(), Role::Coordinator, "aaaa")
        .unwrap();
    draft
        .add_member(second.public(), Role::Coordinator, "bbbb")
        .unwrap();
    let bytes = draft.sign(&founder, T0).unwrap().encode().unwrap();
    // Members start after the header (74 bytes) and the count (4); each record here is
    // 129 + 1 + 4 + 4 bytes. Swapping them breaks the key order.
    let start = 78;
    let len = 129 + 1 + 4 + 4;
    let mut swapped = bytes.clone();
    swapped[start..start + len].copy_from_slice(&bytes[start + len..start + 2 * len]);
    swapped[start + len..start + 2 * len].copy_from_slice(&bytes[start..start + len]);
    assert_eq!(
        RosterEpoch::decode(&resign(&swapped, &founder)).err(),
        Some(RosterError::Decode(DecodeError::NotCanonical(
            Field::Members
        )))
    );
    // The same member twice.
    let mut twice = bytes.clone();
    twice[start + len..start + 2 * len].copy_from_slice(&bytes[start..start + len]);
    assert!(RosterEpoch::decode(&resign(&twice, &founder)).is_err());
    // An undefined role byte.
    let mut role = bytes.clone();
    role[start + 129] = 9;
    assert_eq!(
        RosterEpoch::decode(&resign(&role, &founder)).err(),
        Some(RosterError::Decode(DecodeError::UnknownValue(Field::Role)))
    );
    // A member count over the bound is refused before anything is read.
    let mut many = bytes.clone();
    many[74..78].copy_from_slice(&100_000u32.to_be_bytes());
    assert_eq!(
        RosterEpoch::decode(&many).err(),
        Some(RosterError::Decode(DecodeError::TooMany {
            field: Field::Members,
            max: 500
        }))
    );
}

#[test]
fn a_certificate_from_a_coordinator_who_stepped_down() {
    let mut org = Org::new();
    let now = T0 + 1000;
    let cert = MembershipCertificate::issue(
        &org.roster,
        &org.coord2,
        org.host.public().signing_key(),
        now,
        now + DAY,
    )
    .unwrap();
    assert_eq!(cert.verify_with_roster(&org.roster, now), Ok(()));
    let coord2 = *org.coord2.public().signing_key();
    org.advance(false, |d| d.set_role(&coord2, Role::Caseworker).unwrap());
    assert_eq!(
        cert.verify_with_roster(&org.roster, now),
        Err(CertificateError::SignerNotCoordinator)
    );
}

#[test]
fn debug_shows_no_alias() {
    let org = Org::new();
    let text = format!(
        "{:?} {:?} {:?}",
        org.roster,
        org.roster.current(),
        org.roster.current().members().collect::<Vec<_>>()
    );
    for alias in ["Deniz", "Aras", "Elif", "Baku desk"] {
        assert!(!text.contains(alias), "{text}");
    }
}

// ---- properties ----

/// One edit of the membership, applied to a model and to a draft.
#[derive(Debug, Clone)]
enum Edit {
    Add { who: usize, role: u8 },
    Remove { who: usize },
    Role { who: usize, role: u8 },
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..POOL, 0u8..4).prop_map(|(who, role)| Edit::Add { who, role }),
        (0usize..POOL).prop_map(|who| Edit::Remove { who }),
        (0usize..POOL, 0u8..4).prop_map(|(who, role)| Edit::Role { who, role }),
    ]
}

const POOL: usize = 8;

/// Per pool member, its role (None: not a member).
type Roles = Vec<Option<Role>>;

fn pool() -> Vec<Identity> {
    (0..POOL as u64).map(|i| identity(1000 + i)).collect()
}

/// Builds an honest chain: pool[0] founds it; each step applies the edits that the
/// model allows, keeps a coordinator, and is signed by a coordinator of the previous
/// epoch. Returns the chain and, per epoch, the model's roles (None = not a member) and
/// the set of removed members.
fn honest_chain(
    pool: &[Identity],
    steps: &[Vec<Edit>],
) -> (Vec<RosterEpoch>, Vec<Roles>, Vec<Vec<bool>>) {
    let mut roles: Vec<Option<Role>> = vec![None; POOL];
    let mut removed = vec![false; POOL];
    roles[0] = Some(Role::Coordinator);
    let mut draft = RosterDraft::genesis(OrgId([3; 16]), DAY).unwrap();
    draft
        .add_member(pool[0].public(), Role::Coordinator, "m0")
        .unwrap();
    let genesis = draft.sign(&pool[0], T0).unwrap();
    let mut roster = Roster::from_genesis(genesis.clone()).unwrap();
    let mut chain = vec![genesis];
    let mut models = vec![roles.clone()];
    let mut removals = vec![removed.clone()];
    for (n, edits) in steps.iter().enumerate() {
        let signer = (0..POOL)
            .find(|i| roles[*i] == Some(Role::Coordinator))
            .unwrap();
        let mut draft = roster.draft();
        let listed_before = roles.clone();
        for edit in edits {
            match edit {
                Edit::Add { who, role } if roles[*who].is_none() && !removed[*who] => {
                    let role = Role::ALL[*role as usize];
                    draft
                        .add_member(pool[*who].public(), role, &format!("m{who}"))
                        .unwrap();
                    roles[*who] = Some(role);
                }
                Edit::Remove { who } if roles[*who].is_some() => {
                    draft
                        .remove_member(pool[*who].public().signing_key())
                        .unwrap();
                    roles[*who] = None;
                    // Removed only if an applied epoch listed it.
                    removed[*who] = listed_before[*who].is_some();
                }
                Edit::Role { who, role } if roles[*who].is_some() => {
                    let role = Role::ALL[*role as usize];
                    draft
                        .set_role(pool[*who].public().signing_key(), role)
                        .unwrap();
                    roles[*who] = Some(role);
                }
                _ => {}
            }
        }
        if !roles.contains(&Some(Role::Coordinator)) {
            // Keep a coordinator: promote the first remaining member; with nobody left,
            // skip this step.
            match (0..POOL).find(|i| roles[*i].is_some()) {
                Some(i) => {
                    draft
                        .set_role(pool[i].public().signing_key(), Role::Coordinator)
                        .unwrap();
                    roles[i] = Some(Role::Coordinator);
                }
                None => {
                    roles = models.last().unwrap().clone();
                    removed = removals.last().unwrap().clone();
                    continue;
                }
            }
        }
        let epoch = draft.sign(&pool[signer], T0 + 10 * (n as u64 + 1)).unwrap();
        roster.apply(epoch.clone()).unwrap();
        chain.push(epoch);
        models.push(roles.clone());
        removals.push(removed.clone());
    }
    (chain, models, removals)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Applying an honest chain one epoch at a time gives exactly the model's roles; a
    /// removed key is refused from then on; reloading the chain agrees.
    #[test]
    fn honest_chains_track_the_model(
        steps in prop::collection::vec(prop::collection::vec(edit_strategy(), 1..4), 1..7)
    ) {
        let pool = pool();
        let (chain, models, removals) = honest_chain(&pool, &steps);
        let mut roster = Roster::from_genesis(chain[0].clone()).unwrap();
        for (i, epoch) in chain.iter().enumerate() {
            if i > 0 {
                let decoded = RosterEpoch::decode(&epoch.encode().unwrap()).unwrap();
                prop_assert!(roster.apply(decoded).is_ok());
            }
            for (who, id) in pool.iter().enumerate() {
                let got = roster.role_of(id.public().signing_key());
                match models[i][who] {
                    Some(role) => prop_assert_eq!(got, Ok(role)),
                    None if removals[i][who] => prop_assert_eq!(got, Err(RosterError::Removed)),
                    None => prop_assert_eq!(got, Err(RosterError::NotMember)),
                }
            }
        }
        let reloaded = Roster::from_chain(&chain).unwrap();
        prop_assert_eq!(reloaded.hash(), roster.hash());
    }

    /// Against a roster holding the whole chain: every older epoch is a rollback, a
    /// re-signed copy of any later epoch by a non-coordinator is refused, any other epoch
    /// with a held number is a fork, and any epoch beyond the next is a gap.
    #[test]
    fn forged_rolled_back_and_forked_rosters_are_refused(
        steps in prop::collection::vec(prop::collection::vec(edit_strategy(), 1..4), 2..6),
        forger in 0usize..POOL,
        fork_at in 0usize..6,
        flip in any::<prop::sample::Index>(),
    ) {
        let pool = pool();
        let (chain, models, _) = honest_chain(&pool, &steps);
        let last = chain.len() - 1;
        let mut roster = Roster::from_chain(&chain).unwrap();
        let before = roster.hash();
        for (i, epoch) in chain.iter().enumerate().take(last) {
            prop_assert_eq!(
                roster.apply(epoch.clone()).err(),
                Some(RosterError::RolledBack { held: last as u64, offered: i as u64 })
            );
        }
        // A fork at a held number k: the honest epoch k-1's successor with other contents.
        let k = 1 + fork_at % last.max(1);
        if k <= last {
            let mut base = Roster::from_chain(&chain[..k]).unwrap();
            let mut draft = base.draft();
            draft.set_retention(DAY + 1 + k as u64).unwrap();
            let signer = (0..POOL).find(|i| models[k - 1][*i] == Some(Role::Coordinator)).unwrap();
            let fork = draft.sign(&pool[signer], chain[k - 1].issued_at() + 1).unwrap();
            prop_assert_ne!(fork.hash(), chain[k].hash());
            base.apply(fork.clone()).unwrap();
            prop_assert_eq!(
                roster.apply(fork).err(),
                Some(RosterError::Forked { number: k as u64 })
            );
            // ... and the fork's successor.
            let mut draft = base.draft();
            draft.set_retention(2 * DAY).unwrap();
            let next_signer = (0..POOL).find(|i| models[k - 1][*i] == Some(Role::Coordinator)).unwrap();
            let fork_next = draft.sign(&pool[next_signer], chain[k - 1].issued_at() + 2).unwrap();
            let refused = roster.apply(fork_next).err();
            prop_assert!(
                matches!(refused, Some(RosterError::Forked { .. }) | Some(RosterError::Gap { .. })),
                "{:?}", refused
            );
        }
        // A next epoch signed by someone who is not a current coordinator.
        let mut draft = roster.draft();
        draft.set_retention(3 * DAY).unwrap();
        let honest_next = draft.sign(&pool[0], T0 + 1000).unwrap();
        let bytes = honest_next.encode().unwrap();
        let forged = RosterEpoch::decode(&resign(&bytes, &pool[forger])).unwrap();
        let result = roster.clone().apply(forged);
        if models[last][forger] == Some(Role::Coordinator) {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(
                matches!(result, Err(RosterError::SignerNotCoordinator) | Err(RosterError::SignerRemoved)),
                "{:?}", result
            );
        }
        // A flipped bit anywhere in an epoch never decodes.
        let mut bad = bytes.clone();
        let i = flip.index(bad.len());
        bad[i] ^= 0x04;
        prop_assert!(RosterEpoch::decode(&bad).is_err());
        // A gap.
        let mut roster2 = roster.clone();
        let gap_signer = (0..POOL).find(|i| models[last][*i] == Some(Role::Coordinator)).unwrap();
        let mut draft = roster2.draft();
        draft.set_retention(4 * DAY).unwrap();
        let next = draft.sign(&pool[gap_signer], T0 + 2000).unwrap();
        roster2.apply(next).unwrap();
        let mut draft = roster2.draft();
        draft.set_retention(5 * DAY).unwrap();
        let after_next = draft.sign(&pool[gap_signer], T0 + 3000).unwrap();
        prop_assert_eq!(
            roster.apply(after_next).err(),
            Some(RosterError::Gap { held: last as u64, offered: last as u64 + 2 })
        );
        prop_assert_eq!(roster.hash(), before);
    }
}
