//! Check-ins (codes, classification, schedule, escalation, alerts) and consent to handoffs
//! (signed answers, two-coordinator overrides, and the rule that decides a handoff).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "coordination_support/mod.rs"]
mod support;

use corridor_client::coordination::checkin::{Ack, escalation};
use corridor_client::coordination::consent::handoff_authority;
use corridor_client::coordination::{
    AlertBook, AlertId, AlertKind, Authority, CaseField, CaseFields, CheckinCode, CheckinCodes,
    CheckinKind, Consent, ConsentAsk, ConsentError, ConsentOverride, DecodeError, Escalation,
    Purpose, Schedule,
};
use proptest::prelude::*;
use support::{CASE, Org, T0, identity, requester};

const HOUR: u64 = 3600;

fn code(s: &str) -> CheckinCode {
    CheckinCode::new(s).unwrap()
}

#[test]
fn codes_are_told_apart_only_by_the_caseworkers_digests() {
    let codes = CheckinCodes::new(CASE, &code("sunflower"), &code("blue door")).unwrap();
    assert_eq!(codes.classify("sunflower"), CheckinKind::Ok);
    assert_eq!(codes.classify("  SunFlower "), CheckinKind::Ok);
    assert_eq!(codes.classify("blue door"), CheckinKind::Duress);
    assert_eq!(codes.classify("sunflowers"), CheckinKind::Unknown);
    assert_eq!(codes.classify(""), CheckinKind::Unknown);
    // The stored form holds neither code.
    let (n, d) = codes.digests();
    for digest in [n, d] {
        assert!(!digest.windows(4).any(|w| w == b"sunf" || w == b"blue"));
    }
    let restored = CheckinCodes::from_digests(CASE, n, d);
    assert_eq!(restored.classify("blue door"), CheckinKind::Duress);
    // Digests are per case: another case's copy does not classify these codes.
    let mut other = CASE;
    other.0[0] ^= 1;
    assert_eq!(
        CheckinCodes::from_digests(other, n, d).classify("sunflower"),
        CheckinKind::Unknown
    );
    assert_eq!(format!("{codes:?}"), "CheckinCodes(..)");
    assert_eq!(format!("{:?}", code("sunflower")), "CheckinCode(..)");
    // Codes that cannot be told apart are refused.
    assert!(CheckinCodes::new(CASE, &code("same"), &code("SAME")).is_err());
    for bad in ["abc", "", "   ", "line\nbreak", &"x".repeat(65)] {
        let err = CheckinCode::new(bad).unwrap_err().to_string();
        assert_eq!(
            err,
            "check-in code: expected a check-in code of 4 to 64 characters on one line"
        );
    }
}

#[test]
fn schedules_are_bounded() {
    assert!(Schedule::new(T0, 6 * HOUR, HOUR).is_ok());
    assert!(Schedule::new(T0, 60, 60).is_err());
    assert!(Schedule::new(T0, 8 * 24 * HOUR, HOUR).is_err());
    assert!(Schedule::new(T0, HOUR, 2 * HOUR).is_err());
    assert!(Schedule::new(T0, HOUR, 60).is_err());
}

#[test]
fn a_missed_checkin_escalates_step_by_step() {
    let s = Schedule::new(T0, 6 * HOUR, HOUR).unwrap();
    let due = T0 + 6 * HOUR;
    assert_eq!(escalation(&s, None, T0), (Escalation::OnTime, due));
    assert_eq!(escalation(&s, None, due - 1).0, Escalation::OnTime);
    assert_eq!(escalation(&s, None, due).0, Escalation::RemindRequester);
    assert_eq!(
        escalation(&s, None, due + HOUR - 1).0,
        Escalation::RemindRequester
    );
    assert_eq!(
        escalation(&s, None, due + HOUR).0,
        Escalation::AlertAssignee
    );
    assert_eq!(
        escalation(&s, None, due + 2 * HOUR - 1).0,
        Escalation::AlertAssignee
    );
    assert_eq!(
        escalation(&s, None, due + 2 * HOUR).0,
        Escalation::AlertCoordinators
    );
    assert_eq!(
        escalation(&s, None, due + 100 * HOUR).0,
        Escalation::AlertCoordinators
    );
    // A check-in moves the next due time.
    let checked = T0 + 5 * HOUR;
    assert_eq!(
        escalation(&s, Some(checked), due + HOUR),
        (Escalation::OnTime, checked + 6 * HOUR)
    );
    // A check-in stamped before the schedule started does not count against it.
    assert_eq!(escalation(&s, Some(T0 - 100), T0).1, due);
}

#[test]
fn the_first_acknowledgement_takes_an_alert() {
    let org = Org::new();
    let cw = *org.cw1.public().signing_key();
    let coord = *org.coord.public().signing_key();
    let mut book = AlertBook::new();
    let id = AlertId::for_missed(&CASE, T0);
    assert!(book.raise(id, CASE, AlertKind::Missed { due: T0 }, T0 + 10));
    assert!(!book.raise(id, CASE, AlertKind::Missed { due: T0 }, T0 + 20));
    assert_eq!(book.open().count(), 1);
    assert_eq!(book.acknowledge(&id, cw, T0 + 100), Ok(Ack::Taken));
    assert_eq!(
        book.acknowledge(&id, coord, T0 + 200),
        Ok(Ack::AlreadyTaken)
    );
    assert_eq!(book.get(&id).unwrap().acknowledged, Some((cw, T0 + 100)));
    assert_eq!(book.open().count(), 0);
    assert!(
        book.acknowledge(&AlertId::for_missed(&CASE, T0 + 1), cw, T0)
            .is_err()
    );
    // The same miss gives the same id on every device; another miss another id; a duress
    // alert another still.
    assert_eq!(AlertId::for_missed(&CASE, T0), id);
    assert_ne!(AlertId::for_missed(&CASE, T0 + 60), id);
    assert_ne!(AlertId::for_checkin(&CASE, CheckinKind::Duress, T0), id);
    assert_eq!(id.short().len(), 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Escalation never goes down as time passes without a check-in.
    #[test]
    fn escalation_is_monotonic(every in 900u64..100_000, grace_part in 0u64..1000, last in proptest::option::of(0u64..200_000), a in 0u64..400_000, b in 0u64..400_000) {
        let grace = 300 + (every - 300) * grace_part / 1000;
        let s = Schedule::new(T0, every, grace).unwrap();
        let (x, y) = (a.min(b), a.max(b));
        prop_assert!(escalation(&s, last.map(|l| T0 + l), T0 + x).0 <= escalation(&s, last.map(|l| T0 + l), T0 + y).0);
    }

    /// Replicas that learn of concurrent acknowledgements in any order keep the same one.
    #[test]
    fn acknowledgements_converge(acks in proptest::collection::vec((0u64..5, 0u64..50), 1..6), order in any::<u64>()) {
        let keys: Vec<_> = (0..5u64).map(|i| *identity(300 + i).public().signing_key()).collect();
        let id = AlertId::for_missed(&CASE, T0);
        let run = |seq: &[(u64, u64)]| {
            let mut book = AlertBook::new();
            book.raise(id, CASE, AlertKind::Missed { due: T0 }, T0);
            for (who, at) in seq {
                book.acknowledge(&id, keys[usize::try_from(*who).unwrap()], T0 + at).unwrap();
            }
            book.get(&id).unwrap().acknowledged
        };
        let mut shuffled = acks.clone();
        let k = usize::try_from(order % u64::try_from(shuffled.len()).unwrap()).unwrap();
        shuffled.rotate_left(k);
        shuffled.reverse();
        let first = run(&acks);
        prop_assert_eq!(first, run(&shuffled));
        let min = acks
            .iter()
            .map(|(w, at)| (T0 + at, keys[usize::try_from(*w).unwrap()].to_bytes()))
            .min()
            .unwrap();
        prop_assert_eq!(first.map(|(k, at)| (at, k.to_bytes())), Some(min));
    }
}

fn ask(partner: &str, fields: &[CaseField], purpose: Purpose) -> ConsentAsk {
    ConsentAsk {
        ask: [9; 16],
        case: CASE,
        purpose,
        partner: partner.into(),
        fields: CaseFields::new(fields).unwrap(),
    }
}

#[test]
fn consent_round_trips_and_is_tamper_evident() {
    let org = Org::new();
    let me = requester();
    let a = ask(
        "Rainbow Railroad",
        &[CaseField::Alias, CaseField::Needs],
        Purpose::Transfer,
    );
    let consent = Consent::answer(&me, org.org, &a, true, T0).unwrap();
    let bytes = consent.encode().unwrap();
    assert_eq!(Consent::decode(&bytes).unwrap(), consent);
    for i in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[i] ^= 0x04;
        assert!(Consent::decode(&changed).is_err(), "byte {i}");
    }
    assert!(!format!("{consent:?}").contains("Rainbow"));
    assert_eq!("referral".parse::<Purpose>().unwrap(), Purpose::Referral);
    assert!("handover".parse::<Purpose>().is_err());
    assert!(CaseFields::parse_list("alias,story").is_err());
    assert!(CaseFields::parse_list("").is_err());
    assert!(
        CaseFields::parse_list("alias, needs")
            .unwrap()
            .covers(CaseFields::new(&[CaseField::Needs]).unwrap())
    );
}

#[test]
fn a_handoff_needs_consent_or_two_coordinators() {
    let org = Org::new();
    let me = requester();
    let key = *me.public().signing_key();
    let fields = CaseFields::new(&[CaseField::Alias, CaseField::Needs]).unwrap();
    let partner = "Rainbow Railroad";
    let decide = |consents: &[Consent], overrides: &[ConsentOverride], fields: CaseFields| {
        handoff_authority(
            &org.roster,
            CASE,
            &key,
            Purpose::Transfer,
            partner,
            fields,
            consents,
            overrides,
        )
    };
    // Nothing: refused.
    assert_eq!(decide(&[], &[], fields), Err(ConsentError::NoConsent));
    let a = ask(
        partner,
        &[CaseField::Alias, CaseField::Needs],
        Purpose::Transfer,
    );
    let yes = Consent::answer(&me, org.org, &a, true, T0).unwrap();
    assert_eq!(
        decide(std::slice::from_ref(&yes), &[], fields),
        Ok(Authority::Consent)
    );
    // More fields than consented: refused.
    assert_eq!(
        decide(std::slice::from_ref(&yes), &[], CaseFields::all()),
        Err(ConsentError::NoConsent)
    );
    // Consent for a referral, or for another partner, or by another key: not this one.
    let referral = Consent::answer(
        &me,
        org.org,
        &ask(
            partner,
            &[CaseField::Alias, CaseField::Needs],
            Purpose::Referral,
        ),
        true,
        T0,
    )
    .unwrap();
    let other_partner = Consent::answer(
        &me,
        org.org,
        &ask(
            "Other",
            &[CaseField::Alias, CaseField::Needs],
            Purpose::Transfer,
        ),
        true,
        T0,
    )
    .unwrap();
    let impostor = Consent::answer(&identity(999), org.org, &a, true, T0).unwrap();
    assert_eq!(
        decide(&[referral, other_partner, impostor], &[], fields),
        Err(ConsentError::NoConsent)
    );
    // A later refusal withdraws consent; an earlier one does not.
    let no_later = Consent::answer(&me, org.org, &a, false, T0 + 60).unwrap();
    assert_eq!(
        decide(&[yes.clone(), no_later.clone()], &[], fields),
        Err(ConsentError::Refused)
    );
    let yes_again = Consent::answer(&me, org.org, &a, true, T0 + 120).unwrap();
    assert_eq!(
        decide(&[no_later.clone(), yes_again, yes], &[], fields),
        Ok(Authority::Consent)
    );
    // Override: two different coordinators.
    let part = |who: &corridor_client::protocol::identity::Identity| {
        ConsentOverride::sign_part(who, org.org, CASE, Purpose::Transfer, partner, fields, T0)
            .unwrap()
    };
    let ov = ConsentOverride::combine(
        org.org,
        CASE,
        Purpose::Transfer,
        partner,
        fields,
        T0,
        part(&org.coord),
        part(&org.coord2),
    )
    .unwrap();
    let bytes = ov.encode().unwrap();
    assert_eq!(ConsentOverride::decode(&bytes).unwrap(), ov);
    for i in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[i] ^= 0x10;
        assert!(ConsentOverride::decode(&changed).is_err(), "byte {i}");
    }
    assert_eq!(
        decide(
            std::slice::from_ref(&no_later),
            std::slice::from_ref(&ov),
            fields
        ),
        Ok(Authority::Override)
    );
    // The same coordinator twice is not two.
    assert_eq!(
        ConsentOverride::combine(
            org.org,
            CASE,
            Purpose::Transfer,
            partner,
            fields,
            T0,
            part(&org.coord),
            part(&org.coord),
        )
        .err(),
        Some(ConsentError::OverrideNeedsTwoCoordinators)
    );
    // A coordinator and a caseworker are not two coordinators.
    let weak = ConsentOverride::combine(
        org.org,
        CASE,
        Purpose::Transfer,
        partner,
        fields,
        T0,
        part(&org.coord),
        part(&org.cw1),
    )
    .unwrap();
    assert_eq!(
        decide(&[no_later], &[weak], fields),
        Err(ConsentError::Refused)
    );
    // A part signed over other terms does not combine.
    let wrong = ConsentOverride::sign_part(
        &org.coord2,
        org.org,
        CASE,
        Purpose::Referral,
        partner,
        fields,
        T0,
    )
    .unwrap();
    assert_eq!(
        ConsentOverride::combine(
            org.org,
            CASE,
            Purpose::Transfer,
            partner,
            fields,
            T0,
            part(&org.coord),
            wrong,
        )
        .err(),
        Some(ConsentError::Decode(DecodeError::BadSignature))
    );
}
