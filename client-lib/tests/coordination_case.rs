//! The case lifecycle: every refusal path of a case replica, and property tests that
//! invalid transitions are refused with a typed error, verification needs an unexpired
//! vouch, and replicas receiving the same events in any causal order agree.
#![allow(clippy::unwrap_used, clippy::panic)]

mod coordination_support;

use coordination_support::*;
use corridor_client::coordination::case::MAX_EVENTS;
use corridor_client::coordination::{
    Applied, Case, CaseAction, CaseError, CaseEvent, CaseId, DecodeError, EventBody, EventHeader,
    OrgId, Role, RosterError, Status, Tier, Vouch, VouchError,
};
use corridor_client::primitives::ed25519::VerifyingKey;
use corridor_client::protocol::identity::Identity;
use proptest::prelude::*;

fn key(id: &Identity) -> VerifyingKey {
    *id.public().signing_key()
}

fn status(to: Status) -> EventBody {
    EventBody::StatusChanged {
        to,
        reason: String::new(),
    }
}

fn note(text: &str) -> EventBody {
    EventBody::Noted { text: text.into() }
}

fn vouch_by(signer: &Identity, tier: Tier, from: u64, to: u64) -> Vouch {
    Vouch::issue(
        signer,
        OrgId([0x42; 16]),
        CASE,
        key(&requester()),
        tier,
        "met in person, documents seen",
        from,
        to,
    )
    .unwrap()
}

fn vouched(vouch: Vouch) -> EventBody {
    EventBody::Vouched { vouch }
}

/// Signs an event with a chosen header (to forge roles, parents, times).
fn forge(
    author: &Identity,
    case: &Case,
    role: Role,
    time: u64,
    roster_epoch: u64,
    body: EventBody,
) -> CaseEvent {
    CaseEvent::sign(
        author,
        EventHeader {
            org: case.state().org(),
            case: case.id(),
            parents: case.heads().iter().copied().collect(),
            roster_epoch,
            author_role: role,
            time,
        },
        body,
    )
    .unwrap()
}

/// A case assigned to cw1 and in `verifying`, at time T0 + 300.
fn verifying_case(org: &Org) -> Case {
    let (mut case, _) = open_case(org);
    case.author(
        &org.coord,
        &org.roster,
        T0 + 200,
        EventBody::Assigned {
            caseworker: key(&org.cw1),
        },
    )
    .unwrap();
    case.author(&org.cw1, &org.roster, T0 + 300, status(Status::Verifying))
        .unwrap();
    case
}

#[test]
fn the_whole_lifecycle_with_a_referrer_vouch() {
    let org = Org::new();
    let mut case = verifying_case(&org);
    assert_eq!(case.state().status(), Status::Verifying);
    assert_eq!(case.state().referrer(), Some(&key(&org.referrer)));
    assert_eq!(case.request().unwrap().alias(), "Rustam");
    let v = vouch_by(&org.referrer, Tier::Partner, T0, T0 + 30 * DAY);
    case.author(&org.cw1, &org.roster, T0 + 400, vouched(v))
        .unwrap();
    case.author(&org.cw1, &org.roster, T0 + 500, status(Status::Verified))
        .unwrap();
    assert_eq!(case.state().verified_tier(), Some(Tier::Partner));
    case.author(
        &org.cw1,
        &org.roster,
        T0 + 510,
        note("Host found in Istanbul"),
    )
    .unwrap();
    for (i, to) in [
        Status::Matched,
        Status::InTransit,
        Status::Arrived,
        Status::Closed,
    ]
    .into_iter()
    .enumerate()
    {
        case.author(&org.cw1, &org.roster, T0 + 600 + i as u64, status(to))
            .unwrap();
        assert_eq!(case.state().status(), to);
    }
    let closed_at = T0 + 603;
    assert_eq!(case.state().closed_at(), Some(closed_at));
    assert_eq!(case.state().notes().len(), 1);
    let retention = org.roster.retention_secs();
    assert!(!case.purge_due(retention, closed_at + retention - 1));
    assert!(case.purge_due(retention, closed_at + retention));
    // Nothing follows closed.
    assert_eq!(
        case.author(&org.coord, &org.roster, T0 + 700, note("late"))
            .err(),
        Some(CaseError::Closed)
    );
    assert_eq!(case.len(), 10);
    assert!(case.superseded().is_empty());
}

#[test]
fn verification_needs_a_valid_unexpired_vouch() {
    let org = Org::new();
    let mut case = verifying_case(&org);
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 400, status(Status::Verified))
            .err(),
        Some(CaseError::NoVouch)
    );
    // A vouch that was valid when attached but has expired when verified.
    let v = vouch_by(&org.cw1, Tier::Direct, T0, T0 + 1000);
    case.author(&org.cw1, &org.roster, T0 + 400, vouched(v))
        .unwrap();
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 1001, status(Status::Verified))
            .err(),
        Some(CaseError::VouchExpired)
    );
    // An already expired vouch cannot be attached; nor one not valid yet.
    let expired = vouch_by(&org.cw1, Tier::Direct, T0, T0 + 1);
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 1002, vouched(expired))
            .err(),
        Some(CaseError::Vouch(VouchError::Expired))
    );
    let future = vouch_by(&org.cw1, Tier::Direct, T0 + 5000, T0 + 9000);
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 1002, vouched(future))
            .err(),
        Some(CaseError::Vouch(VouchError::NotYetValid))
    );
    // A fresh one verifies; the tier is the one that expires last.
    let co = vouch_by(&org.referrer, Tier::Co, T0, T0 + 2 * DAY);
    let direct = vouch_by(&org.cw1, Tier::Direct, T0, T0 + DAY);
    case.author(&org.cw1, &org.roster, T0 + 1003, vouched(co))
        .unwrap();
    case.author(&org.cw1, &org.roster, T0 + 1004, vouched(direct))
        .unwrap();
    case.author(&org.cw1, &org.roster, T0 + 1005, status(Status::Verified))
        .unwrap();
    assert_eq!(case.state().verified_tier(), Some(Tier::Co));
    assert_eq!(case.state().vouches().len(), 3);
}

#[test]
fn vouches_are_scoped_and_need_an_authorized_signer() {
    let org = Org::new();
    let mut case = verifying_case(&org);
    let t = T0 + 400;
    let wrong_subject = Vouch::issue(
        &org.cw1,
        org.org,
        CASE,
        key(&org.outsider),
        Tier::Direct,
        "",
        T0,
        T0 + DAY,
    )
    .unwrap();
    let wrong_case = Vouch::issue(
        &org.cw1,
        org.org,
        CaseId([8; 16]),
        key(&requester()),
        Tier::Direct,
        "",
        T0,
        T0 + DAY,
    )
    .unwrap();
    let wrong_org = Vouch::issue(
        &org.cw1,
        OrgId([1; 16]),
        CASE,
        key(&requester()),
        Tier::Direct,
        "",
        T0,
        T0 + DAY,
    )
    .unwrap();
    for (v, err) in [
        (wrong_subject, VouchError::WrongSubject),
        (wrong_case, VouchError::WrongCase),
        (wrong_org, VouchError::WrongOrganization),
        (
            vouch_by(&org.host, Tier::Partner, T0, T0 + DAY),
            VouchError::SignerNotAuthorized,
        ),
        (
            vouch_by(&org.helper, Tier::Co, T0, T0 + DAY),
            VouchError::SignerNotAuthorized,
        ),
        (
            vouch_by(&org.outsider, Tier::Partner, T0, T0 + DAY),
            VouchError::SignerNotAuthorized,
        ),
        // A referrer may not claim direct verification.
        (
            vouch_by(&org.referrer, Tier::Direct, T0, T0 + DAY),
            VouchError::SignerNotAuthorized,
        ),
    ] {
        assert_eq!(
            case.author(&org.cw1, &org.roster, t, vouched(v)).err(),
            Some(CaseError::Vouch(err))
        );
    }
    assert!(case.state().vouches().is_empty());
    // Vouch field rules.
    assert!(matches!(
        Vouch::issue(
            &org.cw1,
            org.org,
            CASE,
            key(&requester()),
            Tier::Direct,
            "",
            T0,
            T0
        ),
        Err(VouchError::Field(_))
    ));
    assert!(matches!(
        Vouch::issue(
            &org.cw1,
            org.org,
            CASE,
            key(&requester()),
            Tier::Direct,
            "",
            T0,
            T0 + 367 * DAY
        ),
        Err(VouchError::Field(_))
    ));
}

#[test]
fn authority_is_checked_on_every_event() {
    let org = Org::new();
    let (mut case, _) = open_case(&org);
    // Before assignment a caseworker may do nothing.
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 150, status(Status::Verifying))
            .err(),
        Some(CaseError::NotAuthorized(CaseAction::ChangeStatus))
    );
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 150, note("hello"))
            .err(),
        Some(CaseError::NotAuthorized(CaseAction::Note))
    );
    // Only a coordinator assigns, and only to a caseworker.
    assert_eq!(
        case.author(
            &org.cw1,
            &org.roster,
            T0 + 150,
            EventBody::Assigned {
                caseworker: key(&org.cw1)
            }
        )
        .err(),
        Some(CaseError::NotAuthorized(CaseAction::Assign))
    );
    for target in [&org.host, &org.coord2, &org.helper] {
        assert_eq!(
            case.author(
                &org.coord,
                &org.roster,
                T0 + 150,
                EventBody::Assigned {
                    caseworker: key(target)
                }
            )
            .err(),
            Some(CaseError::AssigneeNotCaseworker)
        );
    }
    assert_eq!(
        case.author(
            &org.coord,
            &org.roster,
            T0 + 150,
            EventBody::Assigned {
                caseworker: key(&org.outsider)
            }
        )
        .err(),
        Some(CaseError::Roster(RosterError::NotMember))
    );
    case.author(
        &org.coord,
        &org.roster,
        T0 + 200,
        EventBody::Assigned {
            caseworker: key(&org.cw1),
        },
    )
    .unwrap();
    // The other caseworker, a host, a travel helper may not act.
    assert_eq!(
        case.author(&org.cw2, &org.roster, T0 + 210, status(Status::Verifying))
            .err(),
        Some(CaseError::NotAuthorized(CaseAction::ChangeStatus))
    );
    assert_eq!(
        case.author(&org.host, &org.roster, T0 + 210, note("x"))
            .err(),
        Some(CaseError::NotAuthorized(CaseAction::Note))
    );
    assert_eq!(
        case.author(&org.helper, &org.roster, T0 + 210, status(Status::Declined))
            .err(),
        Some(CaseError::NotAuthorized(CaseAction::ChangeStatus))
    );
    // Someone off the roster cannot even sign as a member.
    assert_eq!(
        case.author(&org.outsider, &org.roster, T0 + 210, note("x"))
            .err(),
        Some(CaseError::Roster(RosterError::NotMember))
    );
    // A caseworker who claims to be a coordinator.
    let lie = forge(
        &org.cw2,
        &case,
        Role::Coordinator,
        T0 + 210,
        1,
        status(Status::Verifying),
    );
    assert_eq!(
        case.apply(lie, &org.roster).err(),
        Some(CaseError::RoleMismatch)
    );
    // Reassignment cuts the old caseworker off.
    case.author(&org.cw1, &org.roster, T0 + 220, status(Status::Verifying))
        .unwrap();
    case.author(
        &org.coord,
        &org.roster,
        T0 + 230,
        EventBody::Assigned {
            caseworker: key(&org.cw2),
        },
    )
    .unwrap();
    assert_eq!(
        case.author(&org.cw1, &org.roster, T0 + 240, note("still here?"))
            .err(),
        Some(CaseError::NotAuthorized(CaseAction::Note))
    );
    case.author(&org.cw2, &org.roster, T0 + 240, note("taking over"))
        .unwrap();
    // Only a coordinator opens a case.
    let (wrong_open, _) = (
        Case::create(
            &org.cw1,
            &org.roster,
            CaseId([9; 16]),
            key(&requester()),
            None,
            request(),
            T0,
        ),
        (),
    );
    assert_eq!(
        wrong_open.err(),
        Some(CaseError::NotAuthorized(CaseAction::Open))
    );
}

#[test]
fn a_removed_member_is_refused_from_then_on() {
    let mut org = Org::new();
    let mut case = verifying_case(&org);
    let note_before = case
        .author(&org.cw1, &org.roster, T0 + 310, note("before removal"))
        .unwrap();
    let cw1 = key(&org.cw1);
    org.advance(false, |d| d.remove_member(&cw1).unwrap());
    // The event cw1 signs after removal (with the old epoch) is refused...
    let after = forge(
        &org.cw1,
        &case,
        Role::Caseworker,
        T0 + 320,
        1,
        note("after removal"),
    );
    assert_eq!(
        case.apply(after, &org.roster).err(),
        Some(CaseError::Roster(RosterError::Removed))
    );
    // ... and the history it made before stays: a restore does not recheck the roster.
    let events: Vec<CaseEvent> = case.events_in_order().into_iter().cloned().collect();
    let restored = Case::restore(events).unwrap();
    assert_eq!(restored.state(), case.state());
    assert!(restored.event(&note_before.hash()).is_some());
}

#[test]
fn invalid_transitions_and_status_rules() {
    let org = Org::new();
    let (mut case, _) = open_case(&org);
    for to in [
        Status::New,
        Status::Verified,
        Status::Matched,
        Status::InTransit,
        Status::Arrived,
        Status::Closed,
    ] {
        assert_eq!(
            case.author(&org.coord, &org.roster, T0 + 150, status(to))
                .err(),
            Some(CaseError::InvalidTransition {
                from: Status::New,
                to
            })
        );
    }
    // A coordinator can take a case to verified alone, but not match it unassigned.
    case.author(&org.coord, &org.roster, T0 + 160, status(Status::Verifying))
        .unwrap();
    let v = vouch_by(&org.coord, Tier::Direct, T0, T0 + DAY);
    case.author(&org.coord, &org.roster, T0 + 170, vouched(v))
        .unwrap();
    case.author(&org.coord, &org.roster, T0 + 180, status(Status::Verified))
        .unwrap();
    assert_eq!(
        case.author(&org.coord, &org.roster, T0 + 190, status(Status::Matched))
            .err(),
        Some(CaseError::NeedsAssignee)
    );
    // Declined: no more vouches; then closed.
    case.author(&org.coord, &org.roster, T0 + 200, status(Status::Declined))
        .unwrap();
    let v = vouch_by(&org.coord, Tier::Direct, T0, T0 + DAY);
    assert_eq!(
        case.author(&org.coord, &org.roster, T0 + 210, vouched(v))
            .err(),
        Some(CaseError::NotInStatus(Status::Declined))
    );
    case.author(
        &org.coord,
        &org.roster,
        T0 + 220,
        note("declined: outside our region"),
    )
    .unwrap();
    case.author(&org.coord, &org.roster, T0 + 230, status(Status::Closed))
        .unwrap();
}

/// Every (from, to) pair, tried by a coordinator on an assigned case with a valid vouch:
/// accepted exactly on the 17 edges of the lifecycle, refused with
/// `InvalidTransition { from, to }` otherwise (and `Closed` after closed).
#[test]
fn every_pair_of_statuses_is_checked() {
    let org = Org::new();
    let path = |target: Status| -> Vec<Status> {
        use Status::*;
        match target {
            New => vec![],
            Verifying => vec![Verifying],
            Verified => vec![Verifying, Verified],
            Matched => vec![Verifying, Verified, Matched],
            InTransit => vec![Verifying, Verified, Matched, InTransit],
            Arrived => vec![Verifying, Verified, Matched, InTransit, Arrived],
            Closed => vec![Verifying, Verified, Matched, InTransit, Arrived, Closed],
            Declined => vec![Declined],
            Withdrawn => vec![Withdrawn],
        }
    };
    let mut accepted = 0;
    for from in Status::ALL {
        let (mut case, _) = open_case(&org);
        case.author(
            &org.coord,
            &org.roster,
            T0 + 110,
            EventBody::Assigned {
                caseworker: key(&org.cw1),
            },
        )
        .unwrap();
        case.author(
            &org.coord,
            &org.roster,
            T0 + 120,
            vouched(vouch_by(&org.cw1, Tier::Direct, T0, T0 + DAY)),
        )
        .unwrap();
        for (i, step) in path(from).into_iter().enumerate() {
            case.author(&org.coord, &org.roster, T0 + 200 + i as u64, status(step))
                .unwrap();
        }
        assert_eq!(case.state().status(), from);
        for to in Status::ALL {
            let got = case
                .clone()
                .author(&org.coord, &org.roster, T0 + 300, status(to));
            if EDGES.contains(&(from, to)) {
                assert!(got.is_ok(), "{from} -> {to}: {got:?}");
                accepted += 1;
            } else if from == Status::Closed {
                assert_eq!(got.err(), Some(CaseError::Closed));
            } else {
                assert_eq!(got.err(), Some(CaseError::InvalidTransition { from, to }));
            }
        }
    }
    assert_eq!(accepted, 17);
}

#[test]
fn structural_refusals() {
    let org = Org::new();
    let (mut case, opened) = open_case(&org);
    assert_eq!(
        case.apply(opened.clone(), &org.roster),
        Ok(Applied::AlreadyHeld)
    );
    // A second opening event.
    let (_, other_open) = Case::create(
        &org.coord,
        &org.roster,
        CASE,
        key(&requester()),
        None,
        request(),
        T0 + 101,
    )
    .unwrap();
    assert_eq!(
        case.apply(other_open, &org.roster).err(),
        Some(CaseError::AlreadyOpened)
    );
    // An event of another case or organization.
    let (other_case, _) = Case::create(
        &org.coord,
        &org.roster,
        CaseId([1; 16]),
        key(&requester()),
        None,
        request(),
        T0 + 100,
    )
    .unwrap();
    let foreign = forge(
        &org.coord,
        &other_case,
        Role::Coordinator,
        T0 + 200,
        1,
        note("x"),
    );
    assert_eq!(
        case.apply(foreign, &org.roster).err(),
        Some(CaseError::WrongCase)
    );
    let foreign_org = CaseEvent::sign(
        &org.coord,
        EventHeader {
            org: OrgId([5; 16]),
            case: CASE,
            parents: vec![opened.hash()],
            roster_epoch: 1,
            author_role: Role::Coordinator,
            time: T0 + 200,
        },
        note("x"),
    )
    .unwrap();
    assert_eq!(
        case.apply(foreign_org, &org.roster).err(),
        Some(CaseError::WrongOrganization)
    );
    // Parents not held: deliver the parent first.
    let mut ahead = case.clone();
    let first = ahead
        .author(&org.coord, &org.roster, T0 + 200, note("one"))
        .unwrap();
    let second = ahead
        .author(&org.coord, &org.roster, T0 + 210, note("two"))
        .unwrap();
    assert_eq!(
        case.apply(second.clone(), &org.roster).err(),
        Some(CaseError::MissingParents)
    );
    assert_eq!(case.apply(first, &org.roster), Ok(Applied::Added));
    assert_eq!(case.apply(second, &org.roster), Ok(Applied::Added));
    // Dated before its parent.
    let early = forge(
        &org.coord,
        &case,
        Role::Coordinator,
        T0 + 1,
        1,
        note("early"),
    );
    assert_eq!(
        case.apply(early, &org.roster).err(),
        Some(CaseError::TimeBeforeParent)
    );
    // Signed under a roster epoch this replica does not have yet.
    let newer = forge(
        &org.coord,
        &case,
        Role::Coordinator,
        T0 + 300,
        2,
        note("newer"),
    );
    assert_eq!(
        case.apply(newer, &org.roster).err(),
        Some(CaseError::RosterBehind)
    );
    // A replica must start from the opening event.
    let not_open = forge(&org.coord, &case, Role::Coordinator, T0 + 300, 1, note("x"));
    assert_eq!(
        Case::open(not_open.clone(), &org.roster).err(),
        Some(CaseError::NotOpened)
    );
    assert_eq!(Case::restore(vec![]).err(), Some(CaseError::NotOpened));
    // An opening event with parents, or another event without, does not even sign.
    assert_eq!(
        CaseEvent::sign(
            &org.coord,
            EventHeader {
                org: org.org,
                case: CASE,
                parents: vec![],
                roster_epoch: 1,
                author_role: Role::Coordinator,
                time: T0,
            },
            note("orphan"),
        )
        .err(),
        Some(DecodeError::NotCanonical(
            corridor_client::coordination::Field::Parents
        ))
    );
    // Every flipped bit of an encoded event is refused.
    let bytes = not_open.encode().unwrap();
    assert_eq!(CaseEvent::decode(&bytes).unwrap(), not_open);
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x80;
        assert!(CaseEvent::decode(&bad).is_err(), "flip at {i}");
    }
}

#[test]
fn vouches_per_case_are_bounded_and_the_longest_lived_sets_the_tier() {
    let org = Org::new();
    let mut case = verifying_case(&org);
    // Two vouches expiring together: the higher tier (direct) is recorded.
    case.author(
        &org.cw1,
        &org.roster,
        T0 + 400,
        vouched(vouch_by(&org.referrer, Tier::Co, T0, T0 + DAY)),
    )
    .unwrap();
    case.author(
        &org.cw1,
        &org.roster,
        T0 + 401,
        vouched(vouch_by(&org.cw1, Tier::Direct, T0, T0 + DAY)),
    )
    .unwrap();
    case.author(&org.cw1, &org.roster, T0 + 402, status(Status::Verified))
        .unwrap();
    assert_eq!(case.state().verified_tier(), Some(Tier::Direct));
    for i in 2..32 {
        case.author(
            &org.cw1,
            &org.roster,
            T0 + 500 + i,
            vouched(vouch_by(&org.cw1, Tier::Direct, T0, T0 + DAY)),
        )
        .unwrap();
    }
    assert_eq!(case.state().vouches().len(), 32);
    assert_eq!(
        case.author(
            &org.cw1,
            &org.roster,
            T0 + 600,
            vouched(vouch_by(&org.cw1, Tier::Direct, T0, T0 + DAY))
        )
        .err(),
        Some(CaseError::TooManyVouches)
    );
}

#[test]
fn undefined_bytes_in_an_event_are_typed_errors() {
    let org = Org::new();
    let (mut case, _) = open_case(&org);
    let ev = case
        .author(&org.coord, &org.roster, T0 + 200, status(Status::Verifying))
        .unwrap();
    let bytes = ev.encode().unwrap();
    // Header 2 + org 16 + case 16 + count 1 + one parent 32 + epoch 8 + author 32 + role 1
    // + time 8: the body tag is at 116, the status byte at 117.
    assert_eq!(bytes[116], 3);
    let mut bad = bytes.clone();
    bad[117] = 10;
    assert_eq!(
        CaseEvent::decode(&bad).err(),
        Some(DecodeError::UnknownValue(
            corridor_client::coordination::Field::Status
        ))
    );
    let mut bad = bytes.clone();
    bad[116] = 6;
    assert_eq!(
        CaseEvent::decode(&bad).err(),
        Some(DecodeError::UnknownValue(
            corridor_client::coordination::Field::EventBody
        ))
    );
    let mut bad = bytes.clone();
    bad[34] = 17;
    assert_eq!(
        CaseEvent::decode(&bad).err(),
        Some(DecodeError::TooMany {
            field: corridor_client::coordination::Field::Parents,
            max: 16
        })
    );
    // A small-order author key.
    let mut bad = bytes.clone();
    bad[75..107].fill(0);
    bad[75] = 1;
    assert_eq!(CaseEvent::decode(&bad).err(), Some(DecodeError::BadKey));
}

#[test]
fn the_history_is_bounded() {
    let org = Org::new();
    let (mut case, _) = open_case(&org);
    for i in 1..MAX_EVENTS {
        case.author(&org.coord, &org.roster, T0 + 100 + i as u64, note("n"))
            .unwrap();
    }
    assert_eq!(case.len(), MAX_EVENTS);
    assert_eq!(
        case.author(&org.coord, &org.roster, T0 + 100_000, note("one more"))
            .err(),
        Some(CaseError::TooManyEvents)
    );
}

#[test]
fn concurrent_conflicting_changes_merge_the_same_way_everywhere() {
    let org = Org::new();
    let mut base = verifying_case(&org);
    let v = vouch_by(&org.cw1, Tier::Direct, T0, T0 + DAY);
    base.author(&org.cw1, &org.roster, T0 + 400, vouched(v))
        .unwrap();
    base.author(&org.cw1, &org.roster, T0 + 500, status(Status::Verified))
        .unwrap();
    // The assignee matches while a coordinator, concurrently, declines.
    let mut at_cw = base.clone();
    let matched = at_cw
        .author(&org.cw1, &org.roster, T0 + 600, status(Status::Matched))
        .unwrap();
    let mut at_coord = base.clone();
    let declined = at_coord
        .author(&org.coord, &org.roster, T0 + 601, status(Status::Declined))
        .unwrap();
    at_cw.apply(declined.clone(), &org.roster).unwrap();
    at_coord.apply(matched.clone(), &org.roster).unwrap();
    assert_eq!(at_cw.state(), at_coord.state());
    assert_eq!(at_cw.heads(), at_coord.heads());
    assert_eq!(at_cw.superseded(), at_coord.superseded());
    // The earlier one wins; the other stays in the history, marked.
    assert_eq!(at_cw.state().status(), Status::Matched);
    assert!(at_cw.superseded().contains(&declined.hash()));
    // The next event merges both heads.
    let merged = at_coord
        .author(
            &org.coord,
            &org.roster,
            T0 + 700,
            note("resolved: keep the match"),
        )
        .unwrap();
    assert_eq!(merged.parents().len(), 2);
    at_cw.apply(merged, &org.roster).unwrap();
    assert_eq!(at_cw.heads().len(), 1);
    assert_eq!(at_cw.state(), at_coord.state());
}

#[test]
fn debug_shows_no_request_or_note() {
    let org = Org::new();
    let mut case = verifying_case(&org);
    let ev = case
        .author(&org.cw1, &org.roster, T0 + 400, note("secret note text"))
        .unwrap();
    let text = format!("{case:?} {:?} {ev:?} {:?}", case.state(), case.request());
    for secret in ["Rustam", "Baku", "secret note", "family", "evenings"] {
        assert!(!text.contains(secret), "{text}");
    }
}

// ---- properties ----

#[derive(Debug, Clone)]
enum Act {
    Status {
        who: usize,
        to: usize,
    },
    Advance {
        who: usize,
        pick: usize,
    },
    Assign {
        who: usize,
        target: usize,
    },
    Vouch {
        who: usize,
        signer: usize,
        tier: usize,
        start: i64,
        life: u64,
    },
    Note {
        who: usize,
    },
    Wait {
        secs: u64,
    },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        1 => (0usize..6, 0usize..9).prop_map(|(who, to)| Act::Status { who, to }),
        // A status the model allows next (chosen from the test's own table), so that runs
        // get far into the lifecycle.
        4 => (0usize..6, 0usize..8).prop_map(|(who, pick)| Act::Advance { who, pick }),
        1 => (0usize..6, 0usize..6).prop_map(|(who, target)| Act::Assign { who, target }),
        3 => (0usize..6, 0usize..7, 0usize..3, -3000i64..500, 1u64..8000)
            .prop_map(|(who, signer, tier, start, life)| Act::Vouch { who, signer, tier, start, life }),
        1 => (0usize..6).prop_map(|who| Act::Note { who }),
        1 => (1u64..3000).prop_map(|secs| Act::Wait { secs }),
    ]
}

/// The people acting: coord, coord2, cw1, cw2, host, outsider (and, as vouch signers
/// only, the referrer at index 6).
fn people(org: &Org) -> Vec<&Identity> {
    vec![
        &org.coord,
        &org.coord2,
        &org.cw1,
        &org.cw2,
        &org.host,
        &org.outsider,
        &org.referrer,
    ]
}

fn role_of(who: usize) -> Option<Role> {
    match who {
        0 | 1 => Some(Role::Coordinator),
        2 | 3 => Some(Role::Caseworker),
        4 => Some(Role::Host),
        _ => None,
    }
}

/// The allowed transitions, written out independently of the implementation.
const EDGES: [(Status, Status); 17] = [
    (Status::New, Status::Verifying),
    (Status::New, Status::Declined),
    (Status::New, Status::Withdrawn),
    (Status::Verifying, Status::Verified),
    (Status::Verifying, Status::Declined),
    (Status::Verifying, Status::Withdrawn),
    (Status::Verified, Status::Matched),
    (Status::Verified, Status::Declined),
    (Status::Verified, Status::Withdrawn),
    (Status::Matched, Status::InTransit),
    (Status::Matched, Status::Verified),
    (Status::Matched, Status::Withdrawn),
    (Status::InTransit, Status::Arrived),
    (Status::InTransit, Status::Withdrawn),
    (Status::Arrived, Status::Closed),
    (Status::Declined, Status::Closed),
    (Status::Withdrawn, Status::Closed),
];

/// The model of a case: what the rules say should happen.
struct Model {
    status: Status,
    assignee: Option<usize>,
    vouches: Vec<(u64, u64)>,
}

impl Model {
    fn may(&self, who: usize) -> bool {
        role_of(who) == Some(Role::Coordinator)
            || (role_of(who) == Some(Role::Caseworker) && self.assignee == Some(who))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every action on one replica is accepted exactly when the rules allow it, and each
    /// refusal carries the error that names the broken rule.
    #[test]
    fn every_event_is_checked_against_the_rules(acts in prop::collection::vec(act(), 1..60)) {
        let org = Org::new();
        let ids = people(&org);
        let (mut case, _) = open_case(&org);
        let mut model = Model { status: Status::New, assignee: None, vouches: vec![] };
        let mut now = T0 + 1000;
        for a in acts {
            now += 1;
            let a = match a {
                Act::Advance { who, pick } => {
                    let next: Vec<Status> = EDGES.iter().filter(|(f, _)| *f == model.status).map(|(_, t)| *t).collect();
                    // Mostly the forward edge (listed first), sometimes a side exit.
                    let pick = if pick < next.len() { pick } else { 0 };
                    match next.get(pick) {
                        Some(to) => Act::Status { who, to: Status::ALL.iter().position(|s| s == to).unwrap() },
                        None => Act::Wait { secs: 1 },
                    }
                }
                other => other,
            };
            match a {
                Act::Wait { secs } => { now += secs; }
                Act::Advance { .. } => unreachable!(),
                Act::Status { who, to } => {
                    let to = Status::ALL[to];
                    let from = model.status;
                    let got = case.author(ids[who], &org.roster, now, status(to));
                    let expected = if role_of(who).is_none() {
                        Err(CaseError::Roster(RosterError::NotMember))
                    } else if from == Status::Closed {
                        Err(CaseError::Closed)
                    } else if !model.may(who) {
                        Err(CaseError::NotAuthorized(CaseAction::ChangeStatus))
                    } else if !EDGES.contains(&(from, to)) {
                        Err(CaseError::InvalidTransition { from, to })
                    } else if to == Status::Verified && from == Status::Verifying && model.vouches.is_empty() {
                        Err(CaseError::NoVouch)
                    } else if to == Status::Verified && from == Status::Verifying
                        && !model.vouches.iter().any(|(s, e)| *s <= now && now <= *e) {
                        Err(CaseError::VouchExpired)
                    } else if to == Status::Matched && model.assignee.is_none() {
                        Err(CaseError::NeedsAssignee)
                    } else {
                        Ok(())
                    };
                    prop_assert_eq!(got.as_ref().map(|_| ()).map_err(|e| *e), expected);
                    if got.is_ok() { model.status = to; }
                }
                Act::Assign { who, target } => {
                    let got = case.author(ids[who], &org.roster, now, EventBody::Assigned { caseworker: key(ids[target]) });
                    let expected = if role_of(who).is_none() || role_of(target).is_none() {
                        Err(CaseError::Roster(RosterError::NotMember))
                    } else if role_of(target) != Some(Role::Caseworker) {
                        Err(CaseError::AssigneeNotCaseworker)
                    } else if model.status == Status::Closed {
                        Err(CaseError::Closed)
                    } else if role_of(who) != Some(Role::Coordinator) {
                        Err(CaseError::NotAuthorized(CaseAction::Assign))
                    } else {
                        Ok(())
                    };
                    prop_assert_eq!(got.as_ref().map(|_| ()).map_err(|e| *e), expected);
                    if got.is_ok() { model.assignee = Some(target); }
                }
                Act::Vouch { who, signer, tier, start, life } => {
                    let tier = Tier::ALL[tier];
                    let from = now.saturating_add_signed(start);
                    let v = vouch_by(ids[signer], tier, from, from + life);
                    let signer_ok = match signer {
                        0..=3 => true,
                        6 => tier != Tier::Direct,
                        _ => false,
                    };
                    let got = case.author(ids[who], &org.roster, now, vouched(v));
                    let expected = if role_of(who).is_none() {
                        Err(CaseError::Roster(RosterError::NotMember))
                    } else if !signer_ok {
                        Err(CaseError::Vouch(VouchError::SignerNotAuthorized))
                    } else if model.status == Status::Closed {
                        Err(CaseError::Closed)
                    } else if !model.may(who) {
                        Err(CaseError::NotAuthorized(CaseAction::AttachVouch))
                    } else if !matches!(model.status, Status::New | Status::Verifying | Status::Verified | Status::Matched | Status::InTransit) {
                        Err(CaseError::NotInStatus(model.status))
                    } else if now < from {
                        Err(CaseError::Vouch(VouchError::NotYetValid))
                    } else if now > from + life {
                        Err(CaseError::Vouch(VouchError::Expired))
                    } else if model.vouches.len() >= 32 {
                        Err(CaseError::TooManyVouches)
                    } else {
                        Ok(())
                    };
                    prop_assert_eq!(got.as_ref().map(|_| ()).map_err(|e| *e), expected);
                    if got.is_ok() { model.vouches.push((from, from + life)); }
                }
                Act::Note { who } => {
                    let got = case.author(ids[who], &org.roster, now, note("n"));
                    let expected = if role_of(who).is_none() {
                        Err(CaseError::Roster(RosterError::NotMember))
                    } else if model.status == Status::Closed {
                        Err(CaseError::Closed)
                    } else if !model.may(who) {
                        Err(CaseError::NotAuthorized(CaseAction::Note))
                    } else {
                        Ok(())
                    };
                    prop_assert_eq!(got.as_ref().map(|_| ()).map_err(|e| *e), expected);
                }
            }
            prop_assert_eq!(case.state().status(), model.status);
            prop_assert_eq!(case.state().assignee().copied(), model.assignee.map(|i| key(ids[i])));
            // Verified, and everything after it, is only ever reached with a vouch.
            if matches!(model.status, Status::Verified | Status::Matched | Status::InTransit | Status::Arrived) {
                prop_assert!(case.state().verified_tier().is_some());
            }
        }
    }

    /// Three team members (two coordinators and the assignee) edit concurrently and sync
    /// now and then; then every event is delivered to fresh replicas in random causal
    /// orders. Every replica accepts every event and ends in the same state, with the same
    /// heads and the same superseded set.
    #[test]
    fn replicas_agree_whatever_the_causal_order(
        steps in prop::collection::vec((0usize..5, 0usize..3, 0usize..9), 1..40),
        orders in prop::collection::vec(prop::collection::vec(any::<prop::sample::Index>(), 64), 3),
    ) {
        let org = Org::new();
        let authors = [&org.coord, &org.coord2, &org.cw1];
        let (case, opened) = open_case(&org);
        let mut replicas = vec![case.clone(), case.clone(), case];
        let mut all: Vec<CaseEvent> = vec![opened];
        // Assign cw1 first so the caseworker can act.
        let assign = replicas[0]
            .author(&org.coord, &org.roster, T0 + 150, EventBody::Assigned { caseworker: key(&org.cw1) })
            .unwrap();
        for replica in &mut replicas[1..] {
            replica.apply(assign.clone(), &org.roster).unwrap();
        }
        all.push(assign);
        let v = vouch_by(&org.referrer, Tier::Partner, T0, T0 + 30 * DAY);
        let mut now = T0 + 200;
        for (op, who, param) in steps {
            now += 7;
            if op == 4 {
                // Sync: replica `who` receives everything in creation order.
                for ev in &all {
                    let _ = replicas[who].apply(ev.clone(), &org.roster);
                }
                continue;
            }
            let body = match op {
                // A status the replica's own state allows next: concurrent ones conflict.
                0 => {
                    let next = replicas[who].state().status().next();
                    if next.is_empty() {
                        continue;
                    }
                    status(next[param % next.len()])
                }
                1 => status(Status::ALL[param]),
                2 => vouched(v.clone()),
                _ => note("n"),
            };
            if let Ok(ev) = replicas[who].author(authors[who], &org.roster, now, body) {
                all.push(ev);
            }
        }
        let mut results = Vec::new();
        for picks in &orders {
            // A random causal order: repeatedly deliver one of the events whose parents
            // have all been delivered.
            let mut pending = all[1..].to_vec();
            let mut replica = Case::open(all[0].clone(), &org.roster).unwrap();
            let mut pick = picks.iter().cycle();
            while !pending.is_empty() {
                let ready: Vec<usize> = (0..pending.len())
                    .filter(|i| pending[*i].parents().iter().all(|p| replica.event(p).is_some()))
                    .collect();
                prop_assert!(!ready.is_empty());
                let chosen = ready[pick.next().unwrap().index(ready.len())];
                let ev = pending.remove(chosen);
                prop_assert_eq!(replica.apply(ev, &org.roster), Ok(Applied::Added));
            }
            results.push(replica);
        }
        for r in &results[1..] {
            prop_assert_eq!(r.state(), results[0].state());
            prop_assert_eq!(r.heads(), results[0].heads());
            prop_assert_eq!(r.superseded(), results[0].superseded());
        }
        // The authors' replicas, once fully synced, agree too.
        for replica in &mut replicas {
            for ev in &all {
                let _ = replica.apply(ev.clone(), &org.roster);
            }
            prop_assert_eq!(replica.state(), results[0].state());
        }
        // And a replica restored from the stored order agrees.
        let restored = Case::restore(results[0].events_in_order().into_iter().cloned().collect()).unwrap();
        prop_assert_eq!(restored.state(), results[0].state());
        prop_assert_eq!(restored.superseded(), results[0].superseded());
    }
}
