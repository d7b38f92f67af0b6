//! The coordination messages: intake field validation with errors that say what is
//! expected, round trips, and decoders that are total (any bytes give a value or a typed
//! error, never a panic).
#![allow(clippy::unwrap_used, clippy::panic)]

mod coordination_support;

use coordination_support::*;
use corridor_client::coordination::intake::{MAX_ALIAS, MAX_NOTE, parse_languages};
use corridor_client::coordination::{
    AuditEntry, CaseEvent, DecodeError, Field, FieldError, IntakeForm, IntakeRequest,
    MembershipCertificate, Need, Needs, Role, RosterEpoch, Status, Tier, Urgency, Vouch,
};
use proptest::prelude::*;

fn with(edit: impl FnOnce(&mut IntakeForm)) -> Result<IntakeRequest, FieldError> {
    let mut f = form();
    edit(&mut f);
    IntakeRequest::new(&f)
}

#[test]
fn a_complete_form_round_trips() {
    let req = request();
    assert_eq!(req.alias(), "Rustam");
    assert_eq!(req.people(), 3);
    assert!(req.needs().contains(Need::Shelter) && !req.needs().contains(Need::Legal));
    assert_eq!(req.languages(), ["az", "ru"]);
    let bytes = req.encode().unwrap();
    assert_eq!(IntakeRequest::decode(&bytes).unwrap(), req);
}

#[test]
fn each_field_is_checked_with_an_error_that_says_what_is_expected() {
    let cases: Vec<(Result<IntakeRequest, FieldError>, FieldError, &str)> = vec![
        (
            with(|f| f.alias = "  ".into()),
            FieldError::Empty(Field::Alias),
            "alias must not be empty",
        ),
        (
            with(|f| f.alias = "a".repeat(MAX_ALIAS + 1)),
            FieldError::TooLong {
                field: Field::Alias,
                max: MAX_ALIAS,
            },
            "alias must be at most 64 characters",
        ),
        (
            with(|f| f.alias = "Ru\u{202E}stam".into()),
            FieldError::ForbiddenCharacter(Field::Alias),
            "alias must not contain control",
        ),
        (
            with(|f| f.alias = "Rus\ntam".into()),
            FieldError::ForbiddenCharacter(Field::Alias),
            "control",
        ),
        (
            with(|f| f.region = String::new()),
            FieldError::Empty(Field::Region),
            "region must not be empty",
        ),
        (
            with(|f| {
                f.adults = 0;
                f.children = 0;
            }),
            FieldError::Invalid {
                field: Field::Adults,
                expected: "at least one person",
            },
            "adults: expected at least one person",
        ),
        (
            with(|f| f.adults = 51),
            FieldError::Invalid {
                field: Field::Adults,
                expected: "a number from 0 to 50",
            },
            "adults: expected a number from 0 to 50",
        ),
        (
            with(|f| f.children = 300),
            FieldError::Invalid {
                field: Field::Children,
                expected: "a number from 0 to 50",
            },
            "children",
        ),
        (
            with(|f| f.household = "x".repeat(1001)),
            FieldError::TooLong {
                field: Field::Household,
                max: 1000,
            },
            "household must be at most 1000",
        ),
        (
            with(|f| f.needs.clear()),
            FieldError::Invalid {
                field: Field::Needs,
                expected: "one or more of shelter, travel, legal, medical, documents",
            },
            "needs: expected one or more of shelter",
        ),
        (
            with(|f| f.languages.clear()),
            languages_error(),
            "languages: expected 1 to 8",
        ),
        (
            with(|f| f.languages = vec!["english language".into()]),
            languages_error(),
            "language tags",
        ),
        (
            with(|f| f.languages = vec!["tr".into(), "TR".into()]),
            languages_error(),
            "distinct",
        ),
        (
            with(|f| f.languages = (0..9).map(|i| format!("l{}", "a".repeat(i + 1))).collect()),
            languages_error(),
            "1 to 8",
        ),
        (
            with(|f| f.urgency = None),
            FieldError::Invalid {
                field: Field::Urgency,
                expected: "one of low, medium, high, critical",
            },
            "urgency: expected one of low, medium, high, critical",
        ),
        (
            with(|f| f.safe_contact = "\n".into()),
            FieldError::Empty(Field::SafeContact),
            "safe-contact must not be empty",
        ),
        (
            with(|f| f.note = "x".repeat(MAX_NOTE + 1)),
            FieldError::TooLong {
                field: Field::Note,
                max: MAX_NOTE,
            },
            "note must be at most 4000",
        ),
        (
            with(|f| f.note = "bell\u{7}".into()),
            FieldError::ForbiddenCharacter(Field::Note),
            "note must not contain",
        ),
    ];
    for (got, want, message) in cases {
        let err = got.unwrap_err();
        assert_eq!(err, want);
        assert!(err.to_string().contains(message), "{err} / {message}");
    }
    // Multi-line free text is fine; an empty household and note are fine; uppercase
    // language tags are normalized.
    let ok = with(|f| {
        f.note = "line one\nline two".into();
        f.household = String::new();
        f.languages = vec!["PT-BR".into(), "tr".into()];
        f.children = 0;
    })
    .unwrap();
    assert_eq!(ok.languages(), ["pt-br", "tr"]);
}

fn languages_error() -> FieldError {
    FieldError::Invalid {
        field: Field::Languages,
        expected: "1 to 8 distinct language tags such as tr, ru, az, fa or pt-br",
    }
}

#[test]
fn command_line_spellings() {
    let needs = Needs::parse_list("shelter, travel,documents").unwrap();
    assert_eq!(
        needs.iter().collect::<Vec<_>>(),
        vec![Need::Shelter, Need::Travel, Need::Documents]
    );
    assert!(Needs::parse_list("").is_err());
    let err = Needs::parse_list("shelter,money").unwrap_err();
    assert!(
        err.to_string()
            .contains("shelter, travel, legal, medical, documents")
    );
    assert_eq!("critical".parse::<Urgency>(), Ok(Urgency::Critical));
    assert!(
        "urgent"
            .parse::<Urgency>()
            .unwrap_err()
            .to_string()
            .contains("low, medium, high, critical")
    );
    assert_eq!("travel-helper".parse::<Role>(), Ok(Role::TravelHelper));
    assert_eq!("co".parse::<Tier>(), Ok(Tier::Co));
    assert!(
        "best"
            .parse::<Tier>()
            .unwrap_err()
            .to_string()
            .contains("partner, co, direct")
    );
    assert_eq!("in-transit".parse::<Status>(), Ok(Status::InTransit));
    assert!(
        "lost"
            .parse::<Status>()
            .unwrap_err()
            .to_string()
            .contains("in-transit")
    );
    assert_eq!(parse_languages(" tr, ru ,,az"), vec!["tr", "ru", "az"]);
}

#[test]
fn decoders_refuse_what_they_do_not_understand() {
    let bytes = request().encode().unwrap();
    // Unknown version, wrong kind, trailing bytes, truncation.
    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert_eq!(
        IntakeRequest::decode(&v2).err(),
        Some(DecodeError::Version(2))
    );
    let mut kind = bytes.clone();
    kind[1] = 3;
    assert_eq!(
        IntakeRequest::decode(&kind).err(),
        Some(DecodeError::WrongKind)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        IntakeRequest::decode(&long).err(),
        Some(DecodeError::Truncated)
    );
    for cut in 0..bytes.len() {
        assert!(IntakeRequest::decode(&bytes[..cut]).is_err());
    }
    // Each kind refuses the others.
    let org = Org::new();
    let epoch = org.roster.current().encode().unwrap();
    assert!(IntakeRequest::decode(&epoch).is_err());
    assert!(Vouch::decode(&epoch).is_err());
    assert!(CaseEvent::decode(&bytes).is_err());
    assert!(RosterEpoch::decode(&bytes).is_err());
    assert!(MembershipCertificate::decode(&bytes).is_err());
    assert!(AuditEntry::decode(&bytes).is_err());
    // An oversized input is refused before it is read.
    assert!(matches!(
        IntakeRequest::decode(&vec![1u8; 1 << 20]),
        Err(DecodeError::TooLarge { .. })
    ));
}

/// The bounds `docs/coordination.md` gives for each kind.
#[test]
fn documented_bounds() {
    use corridor_client::coordination::{audit, certificate, event, intake, roster, vouch};
    assert_eq!(roster::MAX_EPOCH_LEN, 260_014);
    assert_eq!(certificate::MAX_CERTIFICATE_LEN, 560);
    assert_eq!(intake::MAX_REQUEST_LEN, 22_232);
    assert_eq!(vouch::MAX_VOUCH_LEN, 2_183);
    assert_eq!(event::MAX_EVENT_LEN, 22_962);
    assert_eq!(audit::MAX_AUDIT_ENTRY_LEN, 101);
    // The longest valid request fits its bound.
    let mut f = form();
    f.alias = "\u{10348}".repeat(intake::MAX_ALIAS);
    f.region = "\u{10348}".repeat(intake::MAX_REGION);
    f.household = "\u{10348}".repeat(intake::MAX_HOUSEHOLD);
    f.safe_contact = "\u{10348}".repeat(intake::MAX_SAFE_CONTACT);
    f.note = "\u{10348}".repeat(intake::MAX_NOTE);
    f.languages = (0..8)
        .map(|i| format!("a{}-{}", "b".repeat(6), "c".repeat(i + 1)))
        .collect();
    let longest = IntakeRequest::new(&f).unwrap().encode().unwrap();
    assert!(longest.len() <= intake::MAX_REQUEST_LEN);
    assert_eq!(IntakeRequest::decode(&longest).unwrap().note(), f.note);
}

#[test]
fn vouch_round_trip_and_tamper() {
    let org = Org::new();
    let v = Vouch::issue(
        &org.referrer,
        org.org,
        CASE,
        *requester().public().signing_key(),
        Tier::Partner,
        "met at the bus station; saw the police summons",
        T0,
        T0 + DAY,
    )
    .unwrap();
    let bytes = v.encode().unwrap();
    assert_eq!(Vouch::decode(&bytes).unwrap(), v);
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x02;
        assert!(Vouch::decode(&bad).is_err(), "flip at {i}");
    }
    assert!(!format!("{v:?}").contains("summons"));
}

#[test]
fn debug_of_forms_and_requests_is_redacted() {
    let f = form();
    let r = request();
    let text = format!("{f:?} {r:?}");
    for secret in ["Rustam", "Baku", "couple", "evenings", "family"] {
        assert!(!text.contains(secret), "{text}");
    }
}

/// Valid encodings of every kind, to mutate.
fn samples() -> Vec<Vec<u8>> {
    let org = Org::new();
    let (mut case, opened) = open_case(&org);
    let note = case
        .author(
            &org.coord,
            &org.roster,
            T0 + 200,
            corridor_client::coordination::EventBody::Noted { text: "n".into() },
        )
        .unwrap();
    let cert = MembershipCertificate::issue(
        &org.roster,
        &org.coord,
        org.host.public().signing_key(),
        T0,
        T0 + DAY,
    )
    .unwrap();
    let mut log = corridor_client::coordination::AuditLog::new();
    let entry = log
        .append(
            T0,
            CASE,
            corridor_client::coordination::Action::Viewed,
            None,
        )
        .encode();
    vec![
        request().encode().unwrap(),
        org.roster.current().encode().unwrap(),
        opened.encode().unwrap(),
        note.encode().unwrap(),
        cert.encode().unwrap(),
        entry,
    ]
}

fn decode_all(bytes: &[u8]) -> usize {
    // Every decoder on the same bytes; none may panic. Returns how many accepted.
    [
        IntakeRequest::decode(bytes).is_ok(),
        RosterEpoch::decode(bytes).is_ok(),
        CaseEvent::decode(bytes).is_ok(),
        Vouch::decode(bytes).is_ok(),
        MembershipCertificate::decode(bytes).is_ok(),
        AuditEntry::decode(bytes).is_ok(),
    ]
    .iter()
    .filter(|ok| **ok)
    .count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes, with or without a valid header, never make a decoder panic.
    #[test]
    fn decoders_are_total_on_arbitrary_bytes(
        kind in 0u8..8,
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut bytes = vec![1, kind];
        bytes.extend_from_slice(&body);
        prop_assert!(decode_all(&bytes) <= 1);
        prop_assert!(decode_all(&body) <= 1);
    }

    /// Valid messages with bytes changed, inserted or cut: never a panic; a signed message
    /// with any change never decodes.
    #[test]
    fn mutated_messages_never_panic_and_signed_ones_never_pass(
        which in 0usize..6,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        op in 0u8..3,
    ) {
        let samples = samples();
        let original = &samples[which];
        let i = at.index(original.len());
        let mut bytes = original.clone();
        match op {
            0 => bytes[i] ^= byte | 1,
            1 => bytes.insert(i, byte),
            _ => bytes.truncate(i),
        }
        let accepted = decode_all(&bytes);
        // Indices 1..=4 are signed (roster epoch, two events, certificate).
        if (1..=4).contains(&which) {
            prop_assert_eq!(accepted, 0);
        } else {
            prop_assert!(accepted <= 1);
        }
    }

    /// Any form either yields a request that round-trips, or a field error; never a panic.
    #[test]
    fn any_form_validates_or_says_why(
        alias in ".{0,70}",
        region in ".{0,20}",
        adults in 0u32..60,
        children in 0u32..60,
        langs in prop::collection::vec("[a-zA-Z-]{0,10}", 0..10),
        note in ".{0,50}",
    ) {
        let mut f = form();
        f.alias = alias;
        f.region = region;
        f.adults = adults;
        f.children = children;
        f.languages = langs;
        f.note = note;
        if let Ok(req) = IntakeRequest::new(&f) {
            let decoded = IntakeRequest::decode(&req.encode().unwrap()).unwrap();
            prop_assert_eq!(decoded, req);
        }
    }
}
