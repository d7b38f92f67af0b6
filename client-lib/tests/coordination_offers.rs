//! Offers, vetting and matching (the pure core of issue 11): signed offers accepted only
//! from the roster's hosts and travel helpers, revisions and capacity, vetting records, and
//! the matcher's constraints, score and determinism.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "coordination_support/mod.rs"]
mod support;

use corridor_client::coordination::matching::{describe_exclusion, describe_score, rank};
use corridor_client::coordination::vetting::is_vetted;
use corridor_client::coordination::{
    Candidate, Day, DecodeError, Exclusion, HouseRule, HouseRules, Need, Needs, Offer, OfferBody,
    OfferBook, OfferChange, OfferError, OfferId, OfferTerms, Provision, Provisions, Role, Seeker,
    Urgency, Vetting, VettingError, VettingKind,
};
use corridor_client::protocol::identity::Identity;
use proptest::prelude::*;
use support::{Org, T0};

fn day(s: &str) -> Day {
    s.parse().unwrap()
}

fn shelter(city: &str, beds: u8, rules: &[HouseRule]) -> OfferTerms {
    OfferTerms {
        from: day("2027-01-01"),
        to: day("2027-03-31"),
        body: OfferBody::Shelter {
            region: "Marmara".into(),
            city: city.into(),
            beds,
            rules: HouseRules::new(rules).unwrap(),
            accessible: false,
            pets: false,
            languages: vec!["ru".into(), "tr".into()],
        },
    }
}

fn bus(origin: &str, destination: &str, seats: u8) -> OfferTerms {
    OfferTerms {
        from: day("2027-01-10"),
        to: day("2027-01-20"),
        body: OfferBody::Travel {
            origin: origin.into(),
            destination: destination.into(),
            provides: Provisions::new(&[Provision::Tickets]).unwrap(),
            seats,
            languages: vec!["az".into()],
        },
    }
}

fn offer_id(n: u8) -> OfferId {
    OfferId([n; 16])
}

fn seeker() -> Seeker {
    Seeker {
        needs: Needs::new(&[Need::Shelter, Need::Travel]).unwrap(),
        location: "Baku".into(),
        destination: "Istanbul".into(),
        adults: 2,
        children: 0,
        from: day("2027-01-12"),
        to: day("2027-01-19"),
        urgency: Urgency::High,
        languages: vec!["az".into(), "ru".into()],
        require_language: false,
        all_women: false,
        needs_women_only: false,
        needs_accessible: false,
        has_pets: false,
    }
}

#[test]
fn days_parse_and_print() {
    assert_eq!(day("1970-01-02"), Day(1));
    assert_eq!(day("2027-01-01").to_string(), "2027-01-01");
    assert_eq!(Day::of_unix(T0).to_string(), "2026-12-01");
    for bad in [
        "2027-02-30",
        "2027-1-01",
        "27-01-01",
        "2027/01/01",
        "",
        "2027-01-01T00",
    ] {
        assert!(bad.parse::<Day>().is_err(), "{bad}");
    }
}

#[test]
fn an_offer_round_trips_and_any_changed_byte_is_refused() {
    let org = Org::new();
    let offer = Offer::publish(
        &org.host,
        org.org,
        offer_id(1),
        shelter("Istanbul", 3, &[]),
        T0,
    )
    .unwrap();
    let bytes = offer.encode().unwrap();
    let back = Offer::decode(&bytes).unwrap();
    assert_eq!(back, offer);
    assert_eq!(back.author_role(), Role::Host);
    for i in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[i] ^= 0x01;
        assert!(Offer::decode(&changed).is_err(), "byte {i}");
    }
    assert!(Offer::decode(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Offer::decode(&longer).is_err());
    // Debug shows no place.
    assert!(!format!("{offer:?}").contains("Istanbul"));
    assert!(!format!("{:?}", offer.terms()).contains("Istanbul"));
}

#[test]
fn a_fake_host_cannot_publish_and_roles_must_match() {
    let mut org = Org::new();
    let mut book = OfferBook::new();
    // Someone not on the roster signs a perfectly formed offer.
    let fake = Offer::publish(
        &org.outsider,
        org.org,
        offer_id(1),
        shelter("Istanbul", 3, &[]),
        T0,
    )
    .unwrap();
    assert_eq!(book.apply(fake, &org.roster), Err(OfferError::NotOnRoster));
    // A caseworker may not offer shelter, a host may not offer travel.
    let by_caseworker = Offer::publish(
        &org.cw1,
        org.org,
        offer_id(2),
        shelter("Istanbul", 3, &[]),
        T0,
    )
    .unwrap();
    assert_eq!(
        book.apply(by_caseworker, &org.roster),
        Err(OfferError::WrongRole { needed: Role::Host })
    );
    let travel_by_host = Offer::publish(
        &org.host,
        org.org,
        offer_id(3),
        bus("Baku", "Istanbul", 2),
        T0,
    )
    .unwrap();
    assert_eq!(
        book.apply(travel_by_host, &org.roster),
        Err(OfferError::WrongRole {
            needed: Role::TravelHelper
        })
    );
    let travel = Offer::publish(
        &org.helper,
        org.org,
        offer_id(4),
        bus("Baku", "Istanbul", 2),
        T0,
    )
    .unwrap();
    assert_eq!(book.apply(travel, &org.roster), Ok(OfferChange::Published));
    // Another organization's offer.
    let mut other = org.org;
    other.0[0] ^= 1;
    let elsewhere = Offer::publish(
        &org.host,
        other,
        offer_id(5),
        shelter("Istanbul", 3, &[]),
        T0,
    )
    .unwrap();
    assert_eq!(
        book.apply(elsewhere, &org.roster),
        Err(OfferError::WrongOrganization)
    );
    // A removed host's offers are refused from then on.
    let host_key = *org.host.public().signing_key();
    org.advance(false, |d| d.remove_member(&host_key).unwrap());
    let after = Offer::publish(
        &org.host,
        org.org,
        offer_id(6),
        shelter("Istanbul", 3, &[]),
        T0,
    )
    .unwrap();
    assert_eq!(book.apply(after, &org.roster), Err(OfferError::NotOnRoster));
    assert_eq!(book.offers().count(), 1);
}

#[test]
fn revisions_withdrawal_and_capacity() {
    let org = Org::new();
    let mut book = OfferBook::new();
    let v0 = Offer::publish(
        &org.host,
        org.org,
        offer_id(1),
        shelter("Istanbul", 3, &[]),
        T0,
    )
    .unwrap();
    assert_eq!(
        book.apply(v0.clone(), &org.roster),
        Ok(OfferChange::Published)
    );
    assert_eq!(
        book.apply(v0.clone(), &org.roster),
        Ok(OfferChange::AlreadyHeld)
    );
    let v1 = v0
        .update(&org.host, shelter("Istanbul", 4, &[]), T0 + 60)
        .unwrap();
    assert_eq!(v1.revision(), 1);
    assert_eq!(
        book.apply(v1.clone(), &org.roster),
        Ok(OfferChange::Updated)
    );
    assert_eq!(
        book.apply(v0.clone(), &org.roster),
        Err(OfferError::Stale {
            held: 1,
            offered: 0
        })
    );
    // Only the author may revise.
    assert_eq!(
        v1.update(&org.helper, shelter("Istanbul", 1, &[]), T0)
            .err(),
        Some(OfferError::AuthorMismatch)
    );
    // Capacity goes down as proposals are accepted; the same proposal counts once.
    assert_eq!(book.free(&v1.id()), 4);
    book.record_taken(&v1.id(), [1; 16], 3).unwrap();
    book.record_taken(&v1.id(), [1; 16], 3).unwrap();
    assert_eq!(book.free(&v1.id()), 1);
    assert_eq!(
        book.record_taken(&v1.id(), [2; 16], 2),
        Err(OfferError::NotEnoughCapacity { free: 1, wanted: 2 })
    );
    book.release(&v1.id(), &[1; 16]);
    assert_eq!(book.free(&v1.id()), 4);
    // Withdrawal ends it.
    let gone = v1.withdraw(&org.host, T0 + 120).unwrap();
    assert_eq!(
        book.apply(gone.clone(), &org.roster),
        Ok(OfferChange::Withdrawn)
    );
    assert_eq!(book.free(&v1.id()), 0);
    assert_eq!(
        gone.update(&org.host, shelter("Istanbul", 4, &[]), T0)
            .err(),
        Some(OfferError::Withdrawn)
    );
    assert_eq!(
        book.record_taken(&v1.id(), [3; 16], 1),
        Err(OfferError::Withdrawn)
    );
}

#[test]
fn offer_fields_are_checked_with_errors_that_name_the_field() {
    let org = Org::new();
    let publish = |terms: OfferTerms| {
        Offer::publish(&org.host, org.org, offer_id(1), terms, T0)
            .err()
            .map(|e| e.to_string())
    };
    let mut t = shelter("Istanbul", 0, &[]);
    assert_eq!(
        publish(t.clone()).unwrap(),
        "beds: expected a number from 1 to 50"
    );
    t = shelter("", 2, &[]);
    assert_eq!(publish(t).unwrap(), "city must not be empty");
    let mut t = shelter("Istanbul", 2, &[]);
    t.to = day("2026-12-31");
    assert!(publish(t).unwrap().starts_with("dates: expected"));
    let mut t = shelter("Istanbul", 2, &[]);
    t.to = day("2028-06-01");
    assert!(publish(t).unwrap().starts_with("dates: expected"));
    assert!(HouseRules::parse_list("families,no-children").is_err());
    assert!(HouseRules::parse_list("women-only,pool").is_err());
    assert_eq!(
        HouseRules::parse_list("women-only, no-children")
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        vec![HouseRule::WomenOnly, HouseRule::NoChildren]
    );
    assert!(Provisions::parse_list("").is_err());
    assert!(Provisions::parse_list("tickets,escort").is_ok());
    let mut t = shelter("Istanbul", 2, &[]);
    if let OfferBody::Shelter { languages, .. } = &mut t.body {
        *languages = vec!["TR".into()];
    }
    assert!(publish(t).unwrap().starts_with("languages"));
    // An error never repeats the value.
    let secret = "Ca\u{202E}dde";
    let t = shelter(secret, 2, &[]);
    assert!(!publish(t).unwrap().contains("dde"));
}

#[test]
fn vetting_is_signed_by_a_coordinator_about_a_host_or_helper() {
    let mut org = Org::new();
    let host = *org.host.public().signing_key();
    let record = Vetting::issue(
        &org.coord,
        &org.roster,
        host,
        VettingKind::HomeVisit,
        "visited",
        T0,
    )
    .unwrap();
    let bytes = record.encode().unwrap();
    assert_eq!(Vetting::decode(&bytes).unwrap(), record);
    for i in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[i] ^= 0x80;
        assert!(Vetting::decode(&changed).is_err(), "byte {i}");
    }
    assert!(is_vetted([&record], &org.roster, &host));
    let helper = *org.helper.public().signing_key();
    assert!(!is_vetted([&record], &org.roster, &helper));
    // A caseworker may not vet; a caseworker cannot be vetted.
    assert_eq!(
        Vetting::issue(&org.cw1, &org.roster, host, VettingKind::Interview, "", T0).err(),
        Some(VettingError::SignerNotCoordinator)
    );
    let cw2 = *org.cw2.public().signing_key();
    assert_eq!(
        Vetting::issue(&org.coord, &org.roster, cw2, VettingKind::Interview, "", T0).err(),
        Some(VettingError::NotVettable)
    );
    assert_eq!(
        "home-visit".parse::<VettingKind>().unwrap(),
        VettingKind::HomeVisit
    );
    assert!("visit".parse::<VettingKind>().is_err());
    // The record stops counting once its signer is no longer a coordinator.
    let coord2_record = Vetting::issue(
        &org.coord2,
        &org.roster,
        helper,
        VettingKind::References,
        "",
        T0,
    )
    .unwrap();
    assert!(is_vetted([&coord2_record], &org.roster, &helper));
    let coord2 = *org.coord2.public().signing_key();
    org.advance(false, |d| d.remove_member(&coord2).unwrap());
    assert!(!is_vetted([&coord2_record], &org.roster, &helper));
    assert!(is_vetted([&record], &org.roster, &host));
    // Forged: a record decoded with a wrong signature never exists.
    let mut forged = bytes.clone();
    let n = forged.len();
    forged[n - 1] ^= 1;
    assert_eq!(
        Vetting::decode(&forged).err(),
        Some(DecodeError::BadSignature)
    );
}

/// An offer by `author` (a host for shelter, a helper for travel) that passes every
/// constraint of [`seeker`] unless edited.
fn fitting_shelter(author: &Identity, org: &Org, n: u8) -> Offer {
    Offer::publish(
        author,
        org.org,
        offer_id(n),
        shelter("Istanbul", 2, &[]),
        T0,
    )
    .unwrap()
}

fn candidate(offer: &Offer) -> Candidate<'_> {
    Candidate {
        offer,
        free: u32::from(offer.terms().body.capacity()),
        vetted: true,
    }
}

fn reasons_of(seeker: &Seeker, c: Candidate<'_>) -> Vec<Exclusion> {
    let report = rank(seeker, &[c]);
    if report.ranked.len() == 1 {
        return Vec::new();
    }
    report.excluded[0].reasons.iter().collect()
}

#[test]
fn each_hard_constraint_excludes_with_its_reason() {
    let org = Org::new();
    let s = seeker();
    let good = fitting_shelter(&org.host, &org, 1);
    assert_eq!(reasons_of(&s, candidate(&good)), vec![]);
    let travel = Offer::publish(
        &org.helper,
        org.org,
        offer_id(2),
        bus("Baku", "Istanbul", 2),
        T0,
    )
    .unwrap();
    assert_eq!(reasons_of(&s, candidate(&travel)), vec![]);

    let expect = |c: Candidate<'_>, s: &Seeker, e: Exclusion, words: &str| {
        let got = reasons_of(s, c);
        assert_eq!(got, vec![e], "{words}");
        assert_eq!(describe_exclusion(e, s, c.offer, c.free), words);
    };
    let gone = good.withdraw(&org.host, T0).unwrap();
    expect(
        candidate(&gone),
        &s,
        Exclusion::Withdrawn,
        "withdrawn by its author",
    );
    let mut c = candidate(&good);
    c.vetted = false;
    expect(
        c,
        &s,
        Exclusion::NotVetted,
        "the host or helper is not vetted",
    );
    let mut only_travel = seeker();
    only_travel.needs = Needs::new(&[Need::Travel]).unwrap();
    expect(
        candidate(&good),
        &only_travel,
        Exclusion::NeedNotCovered,
        "shelter, but the case does not need shelter",
    );
    let ankara = Offer::publish(
        &org.host,
        org.org,
        offer_id(3),
        shelter("Ankara", 2, &[]),
        T0,
    )
    .unwrap();
    // Region "Marmara" and city "Ankara": neither is the destination.
    expect(
        candidate(&ankara),
        &s,
        Exclusion::WrongPlace,
        "not in the destination",
    );
    let wrong_route = Offer::publish(
        &org.helper,
        org.org,
        offer_id(4),
        bus("Tbilisi", "Istanbul", 2),
        T0,
    )
    .unwrap();
    expect(
        candidate(&wrong_route),
        &s,
        Exclusion::WrongPlace,
        "not the route needed",
    );
    let mut late = seeker();
    late.from = day("2027-05-01");
    late.to = day("2027-05-03");
    expect(
        candidate(&good),
        &late,
        Exclusion::NoDateOverlap,
        "available 2027-01-01 to 2027-03-31, needed 2027-05-01 to 2027-05-03",
    );
    let one_bed = Offer::publish(
        &org.host,
        org.org,
        offer_id(5),
        shelter("Istanbul", 1, &[]),
        T0,
    )
    .unwrap();
    expect(
        candidate(&one_bed),
        &s,
        Exclusion::Capacity,
        "1 bed, 2 people",
    );
    let mut taken = candidate(&good);
    taken.free = 0;
    expect(taken, &s, Exclusion::Capacity, "0 beds, 2 people");
    let women = Offer::publish(
        &org.host,
        org.org,
        offer_id(6),
        shelter("Istanbul", 2, &[HouseRule::WomenOnly]),
        T0,
    )
    .unwrap();
    expect(
        candidate(&women),
        &s,
        Exclusion::WomenOnly,
        "women only; the household is not only women",
    );
    let mut women_household = seeker();
    women_household.all_women = true;
    assert_eq!(reasons_of(&women_household, candidate(&women)), vec![]);
    let families = Offer::publish(
        &org.host,
        org.org,
        offer_id(7),
        shelter("Istanbul", 3, &[HouseRule::Families]),
        T0,
    )
    .unwrap();
    expect(
        candidate(&families),
        &s,
        Exclusion::FamiliesOnly,
        "families only; no children in the household",
    );
    let no_children = Offer::publish(
        &org.host,
        org.org,
        offer_id(8),
        shelter("Istanbul", 3, &[HouseRule::NoChildren]),
        T0,
    )
    .unwrap();
    let mut with_child = seeker();
    with_child.children = 1;
    expect(
        candidate(&no_children),
        &with_child,
        Exclusion::NoChildren,
        "no children; the household has 1 child",
    );
    let mut needs_women = seeker();
    needs_women.all_women = true;
    needs_women.needs_women_only = true;
    expect(
        candidate(&good),
        &needs_women,
        Exclusion::NeedsWomenOnly,
        "the household needs a women-only place",
    );
    let mut wheelchair = seeker();
    wheelchair.needs_accessible = true;
    expect(
        candidate(&good),
        &wheelchair,
        Exclusion::NotAccessible,
        "not accessible",
    );
    let mut cat = seeker();
    cat.has_pets = true;
    expect(candidate(&good), &cat, Exclusion::NoPets, "no pets");
    let mut strict = seeker();
    strict.languages = vec!["fa".into()];
    strict.require_language = true;
    expect(
        candidate(&good),
        &strict,
        Exclusion::NoCommonLanguage,
        "no language in common",
    );
    // Several failures are all listed, in order.
    let mut c = candidate(&one_bed);
    c.vetted = false;
    assert_eq!(
        reasons_of(&late, c),
        vec![
            Exclusion::NotVetted,
            Exclusion::NoDateOverlap,
            Exclusion::Capacity
        ]
    );
}

#[test]
fn the_score_ranks_by_date_fit_urgency_slack_and_languages() {
    let org = Org::new();
    let s = seeker();
    // Exact fit: covers the window, on time, no spare bed, one language (ru) in common.
    let exact = fitting_shelter(&org.host, &org, 1);
    // Bigger house: 3 spare beds cost 12 points.
    let big = Offer::publish(
        &org.host,
        org.org,
        offer_id(2),
        shelter("Istanbul", 5, &[]),
        T0,
    )
    .unwrap();
    // Starts 3 days late: covers 5 of 8 days, and 3 days x high urgency (4).
    let mut late_terms = shelter("Istanbul", 2, &[]);
    late_terms.from = day("2027-01-15");
    let late = Offer::publish(&org.host, org.org, offer_id(3), late_terms, T0).unwrap();
    let offers = [exact.clone(), big.clone(), late.clone()];
    let candidates: Vec<_> = offers.iter().map(candidate).collect();
    let report = rank(&s, &candidates);
    let order: Vec<_> = report.ranked.iter().map(|r| r.offer).collect();
    assert_eq!(order, vec![exact.id(), big.id(), late.id()]);
    let top = report.ranked[0].score;
    assert_eq!(
        (top.date_fit, top.delay, top.slack, top.languages),
        (40, 0, 20, 10)
    );
    assert_eq!(
        describe_score(&top, &exact),
        "covers 8 of 8 days (+40); starts on time (0); 0 spare beds (+20); 1 language in common (+10); total 70"
    );
    let big_score = report.ranked[1].score;
    assert_eq!((big_score.slack, big_score.total()), (8, 58));
    let late_score = report.ranked[2].score;
    assert_eq!(
        (late_score.date_fit, late_score.delay, late_score.total()),
        (25, -12, 43)
    );
    // With low urgency the late start costs less and it passes the big house.
    let mut relaxed = seeker();
    relaxed.urgency = Urgency::Low;
    let report = rank(&relaxed, &candidates);
    let late_low = report.ranked.iter().find(|r| r.offer == late.id()).unwrap();
    assert_eq!(late_low.score.delay, -3);
}

#[test]
fn ties_break_by_first_day_then_offer_id() {
    let org = Org::new();
    let s = seeker();
    let a = Offer::publish(
        &org.host,
        org.org,
        offer_id(9),
        shelter("Istanbul", 2, &[]),
        T0,
    )
    .unwrap();
    let b = Offer::publish(
        &org.host,
        org.org,
        offer_id(3),
        shelter("Istanbul", 2, &[]),
        T0,
    )
    .unwrap();
    // Same score; b's id is smaller.
    let candidates = vec![candidate(&a), candidate(&b)];
    let order: Vec<_> = rank(&s, &candidates)
        .ranked
        .iter()
        .map(|r| r.offer)
        .collect();
    assert_eq!(order, vec![b.id(), a.id()]);
    // The same score but an earlier first day comes first whatever the id.
    let mut early_terms = shelter("Istanbul", 2, &[]);
    early_terms.from = day("2026-12-01");
    let early = Offer::publish(&org.host, org.org, offer_id(200), early_terms, T0).unwrap();
    let candidates = vec![candidate(&a), candidate(&b), candidate(&early)];
    let report = rank(&s, &candidates);
    assert_eq!(
        report.ranked[0].score.total(),
        report.ranked[1].score.total()
    );
    assert_eq!(report.ranked[0].offer, early.id());
}

fn arb_offer(org: &Org) -> impl Strategy<Value = (Offer, u32, bool)> + '_ {
    (
        any::<bool>(),
        0u8..4,
        1u8..6,
        0u8..3,
        0u32..20,
        0u32..20,
        any::<u8>(),
        0u8..4,
        any::<bool>(),
        any::<[u8; 16]>(),
    )
        .prop_map(
            move |(is_shelter, place, cap, rules, from, len, flags, langs, vetted, id)| {
                let places = ["Istanbul", "Ankara", "Baku", "istanbul"];
                let tags: Vec<String> = ["az", "ru", "tr"]
                    .iter()
                    .take(usize::from(langs))
                    .map(|s| (*s).to_owned())
                    .collect();
                let from = Day(day("2027-01-05").0 + from);
                let to = Day(from.0 + len);
                let body = if is_shelter {
                    let rules = [
                        vec![],
                        vec![HouseRule::WomenOnly],
                        vec![HouseRule::NoChildren],
                    ][usize::from(rules)]
                    .clone();
                    OfferBody::Shelter {
                        region: "Marmara".into(),
                        city: places[usize::from(place)].into(),
                        beds: cap,
                        rules: HouseRules::new(&rules).unwrap(),
                        accessible: flags & 1 != 0,
                        pets: flags & 2 != 0,
                        languages: tags,
                    }
                } else {
                    OfferBody::Travel {
                        origin: places[usize::from((place + 2) % 4)].into(),
                        destination: places[usize::from(place)].into(),
                        provides: Provisions::new(&[Provision::Tickets]).unwrap(),
                        seats: cap,
                        languages: tags,
                    }
                };
                let author = if is_shelter { &org.host } else { &org.helper };
                let offer = Offer::publish(
                    author,
                    org.org,
                    OfferId(id),
                    OfferTerms { from, to, body },
                    T0,
                )
                .unwrap();
                let free = u32::from(cap).saturating_sub(u32::from(flags >> 6));
                (offer, free, vetted)
            },
        )
}

/// An independent statement of the constraints, for the property test.
fn model_excluded(s: &Seeker, offer: &Offer, free: u32, vetted: bool) -> bool {
    let t = offer.terms();
    let dest = s.destination.to_lowercase();
    let here = s.location.to_lowercase();
    let overlap = t.from.max(s.from) <= t.to.min(s.to);
    let people = s.adults + s.children;
    let common = s.languages.iter().any(|l| t.body.languages().contains(l));
    let kind_ok = match &t.body {
        OfferBody::Shelter {
            region,
            city,
            rules,
            accessible,
            pets,
            ..
        } => {
            s.needs.contains(Need::Shelter)
                && (region.to_lowercase() == dest || city.to_lowercase() == dest)
                && (!rules.contains(HouseRule::WomenOnly) || s.all_women)
                && (!rules.contains(HouseRule::NoChildren) || s.children == 0)
                && (!rules.contains(HouseRule::Families) || s.children > 0)
                && (!s.needs_women_only || rules.contains(HouseRule::WomenOnly))
                && (!s.needs_accessible || *accessible)
                && (!s.has_pets || *pets)
        }
        OfferBody::Travel {
            origin,
            destination,
            ..
        } => {
            s.needs.contains(Need::Travel)
                && origin.to_lowercase() == here
                && destination.to_lowercase() == dest
        }
    };
    !(vetted
        && !offer.is_withdrawn()
        && kind_ok
        && overlap
        && free >= people
        && (!s.require_language || common))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every offer is either ranked or excluded, exactly when the model says; the ranking
    /// is sorted by the documented rule and does not depend on the order offers are given.
    #[test]
    fn matching_agrees_with_the_model_and_is_order_independent(
        offers in proptest::collection::vec(arb_offer(Box::leak(Box::new(Org::new()))), 0..40),
        adults in 1u32..4,
        children in 0u32..2,
        flags in any::<u8>(),
        urgency in 1u8..5,
        shuffle in any::<u64>(),
    ) {
        let s = Seeker {
            adults,
            children,
            all_women: flags & 1 != 0,
            needs_women_only: flags & 3 == 3,
            needs_accessible: flags & 4 != 0,
            has_pets: flags & 8 != 0,
            require_language: flags & 16 != 0,
            urgency: [Urgency::Low, Urgency::Medium, Urgency::High, Urgency::Critical][usize::from(urgency - 1)],
            ..seeker()
        };
        let candidates: Vec<_> = offers
            .iter()
            .map(|(o, free, vetted)| Candidate { offer: o, free: *free, vetted: *vetted })
            .collect();
        let report = rank(&s, &candidates);
        prop_assert_eq!(report.ranked.len() + report.excluded.len(), candidates.len());
        for r in &report.ranked {
            let (o, free, vetted) = &offers[r.index];
            prop_assert!(!model_excluded(&s, o, *free, *vetted));
            prop_assert!((0..=40).contains(&r.score.date_fit));
            prop_assert!((-40..=0).contains(&r.score.delay));
            prop_assert!((0..=20).contains(&r.score.slack));
            prop_assert!((0..=20).contains(&r.score.languages));
        }
        for e in &report.excluded {
            let (o, free, vetted) = &offers[e.index];
            prop_assert!(model_excluded(&s, o, *free, *vetted));
            prop_assert!(!e.reasons.is_empty());
        }
        for pair in report.ranked.windows(2) {
            let key = |r: &corridor_client::coordination::matching::Ranked| {
                (-r.score.total(), offers[r.index].0.terms().from, r.offer)
            };
            prop_assert!(key(&pair[0]) <= key(&pair[1]));
        }
        // Reversed and rotated input gives the same ranking (by offer id).
        let mut permuted = candidates.clone();
        permuted.reverse();
        let k = usize::try_from(shuffle % (permuted.len().max(1) as u64)).unwrap();
        permuted.rotate_left(k);
        let again = rank(&s, &permuted);
        let ids = |r: &corridor_client::coordination::MatchReport| {
            r.ranked.iter().map(|x| (x.offer, x.score)).collect::<Vec<_>>()
        };
        prop_assert_eq!(ids(&report), ids(&again));
    }

    /// Offer decoding never panics on arbitrary bytes.
    #[test]
    fn offer_and_vetting_decoders_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Offer::decode(&bytes);
        let _ = Vetting::decode(&bytes);
        let mut framed = vec![1u8, 0x20];
        framed.extend_from_slice(&bytes);
        let _ = Offer::decode(&framed);
        framed[1] = 0x21;
        let _ = Vetting::decode(&framed);
    }
}

#[test]
fn the_largest_offer_fits_its_bound() {
    use corridor_client::coordination::offer::MAX_OFFER_LEN;
    let org = Org::new();
    let wide = "𐍈".repeat(100); // 100 characters of four bytes each
    let tags: Vec<String> = (0..8)
        .map(|i| format!("abcdefg{}-abcdefgh-abcdefgh-abcdefgh", char::from(b'a' + i)))
        .collect();
    let terms = OfferTerms {
        from: day("2027-01-01"),
        to: day("2027-12-31"),
        body: OfferBody::Shelter {
            region: wide.clone(),
            city: wide,
            beds: 50,
            rules: HouseRules::new(&[HouseRule::WomenOnly, HouseRule::NoChildren]).unwrap(),
            accessible: true,
            pets: true,
            languages: tags,
        },
    };
    let offer = Offer::publish(&org.host, org.org, offer_id(1), terms, T0).unwrap();
    let bytes = offer.encode().unwrap();
    assert_eq!(bytes.len(), MAX_OFFER_LEN);
    assert_eq!(Offer::decode(&bytes).unwrap(), offer);
}
