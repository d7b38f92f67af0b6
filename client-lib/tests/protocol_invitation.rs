//! Invitation codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use corridor_client::primitives::random::OsRng;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::invitation::{
    INVITATION_PREFIX, Invitation, InvitationError, InvitationKind,
};
use corridor_wire::b64::Bytes;
use proptest::prelude::*;

fn sample(kind: InvitationKind, relays: &[&str]) -> Invitation {
    Invitation {
        kind,
        expires_at: 1_800_000_000,
        relays: relays.iter().map(|s| (*s).to_owned()).collect(),
        deposit_id: Bytes([0x11; 16]),
        credential: Bytes([0x22; 32]),
        bundle_id: Bytes([0x33; 16]),
        fingerprint: Identity::generate(&mut OsRng).unwrap().fingerprint(),
        seal_key: X25519Secret::generate(&mut OsRng).unwrap().public(),
    }
}

#[test]
fn round_trips_in_every_form() {
    for kind in [InvitationKind::OneTime, InvitationKind::Standing] {
        let inv = sample(kind, &["https://relay.example.org", "http://abc.onion"]);
        let code = inv.to_code().unwrap();
        assert!(code.starts_with(INVITATION_PREFIX));
        assert_eq!(Invitation::from_code(&code).unwrap(), inv);
        assert_eq!(Invitation::from_code(&code.to_lowercase()).unwrap(), inv);
        let grouped = inv.to_grouped_code().unwrap();
        assert_eq!(Invitation::from_code(&grouped).unwrap(), inv);
        // Spaces instead of dashes, a lowercase prefix and surrounding whitespace.
        let spaced = format!(
            "  ci1-{}  ",
            grouped[INVITATION_PREFIX.len()..].replace('-', " ")
        );
        assert_eq!(Invitation::from_code(&spaced).unwrap(), inv);
        assert_eq!(
            Invitation::from_bytes(&inv.to_bytes().unwrap()).unwrap(),
            inv
        );
    }
}

#[test]
fn short_enough_for_a_qr_code() {
    let inv = sample(InvitationKind::OneTime, &["https://relay.example.org"]);
    let code = inv.to_code().unwrap();
    // Printed so the figure in docs/protocol.md can be checked.
    println!(
        "invitation code length with one 25-char relay: {}",
        code.len()
    );
    assert!(code.len() < 300, "{} chars", code.len());
    // Only characters of QR alphanumeric mode.
    assert!(
        code.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    );
}

#[test]
fn every_bit_flip_of_the_binary_form_is_refused() {
    let bytes = sample(InvitationKind::Standing, &["https://r.example"])
        .to_bytes()
        .unwrap();
    for i in 0..bytes.len() * 8 {
        let mut bad = bytes.clone();
        bad[i / 8] ^= 1 << (i % 8);
        assert!(Invitation::from_bytes(&bad).is_err(), "bit {i} accepted");
    }
}

#[test]
fn every_bit_flip_of_the_text_code_is_refused_or_only_changes_case() {
    let inv = sample(InvitationKind::OneTime, &["https://r.example"]);
    let code = inv.to_code().unwrap().into_bytes();
    let mut case_only = 0;
    for i in 0..code.len() * 8 {
        let mut bad = code.clone();
        bad[i / 8] ^= 1 << (i % 8);
        let Ok(text) = String::from_utf8(bad.clone()) else {
            continue; // not text at all: cannot be typed in
        };
        match Invitation::from_code(&text) {
            Err(_) => {}
            Ok(decoded) => {
                // Decoding ignores case, so flipping the ASCII case bit of a letter is
                // the one flip that is accepted, and it yields the same invitation.
                assert_eq!(decoded, inv, "bit {i} changed the invitation");
                assert!(text.eq_ignore_ascii_case(std::str::from_utf8(&code).unwrap()));
                case_only += 1;
            }
        }
    }
    assert!(case_only > 0);
}

#[test]
fn every_single_character_typo_is_caught() {
    let inv = sample(InvitationKind::OneTime, &["https://r.example"]);
    let code = inv.to_code().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let body_start = INVITATION_PREFIX.len();
    for (pos, original) in code.char_indices().skip(body_start) {
        for replacement in alphabet.chars().filter(|c| *c != original) {
            let mut typo = code.clone();
            typo.replace_range(pos..pos + 1, &replacement.to_string());
            assert!(
                Invitation::from_code(&typo).is_err(),
                "typo at {pos} accepted"
            );
        }
    }
    // Swapping two adjacent different characters is caught too.
    let chars: Vec<char> = code.chars().collect();
    for i in body_start..chars.len() - 1 {
        if chars[i] != chars[i + 1] {
            let mut swapped = chars.clone();
            swapped.swap(i, i + 1);
            let swapped: String = swapped.into_iter().collect();
            assert!(
                Invitation::from_code(&swapped).is_err(),
                "swap at {i} accepted"
            );
        }
    }
}

#[test]
fn malformed_codes_get_typed_errors() {
    let inv = sample(InvitationKind::OneTime, &["https://r.example"]);
    let code = inv.to_code().unwrap();
    assert_eq!(
        Invitation::from_code("hello").err(),
        Some(InvitationError::Prefix)
    );
    assert_eq!(
        Invitation::from_code(&code.replacen("CI1-", "CI2-", 1)).err(),
        Some(InvitationError::Prefix)
    );
    assert_eq!(
        Invitation::from_code(&format!("{code}1")).err(),
        Some(InvitationError::Encoding)
    );
    let mut damaged = inv.to_bytes().unwrap();
    damaged[40] ^= 0x10;
    let damaged = format!(
        "{INVITATION_PREFIX}{}",
        data_encoding::BASE32_NOPAD.encode(&damaged)
    );
    assert_eq!(
        Invitation::from_code(&damaged).err(),
        Some(InvitationError::Checksum)
    );
    let bytes = inv.to_bytes().unwrap();
    assert_eq!(
        Invitation::from_bytes(&bytes[..10]).err(),
        Some(InvitationError::Checksum)
    );
    assert_eq!(
        Invitation::from_bytes(&bytes[..2]).err(),
        Some(InvitationError::Malformed)
    );
    let no_relay = sample(InvitationKind::OneTime, &[]);
    assert_eq!(no_relay.to_code().err(), Some(InvitationError::Relay));
    let bad_relay = sample(InvitationKind::OneTime, &["has space"]);
    assert_eq!(bad_relay.to_code().err(), Some(InvitationError::Relay));
    let too_many = sample(InvitationKind::OneTime, &["a", "b", "c", "d", "e"]);
    assert_eq!(too_many.to_code().err(), Some(InvitationError::Relay));
    assert!(!inv.is_expired(1_800_000_000));
    assert!(inv.is_expired(1_800_000_001));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn from_code_never_panics(code in ".{0,400}") {
        let _ = Invitation::from_code(&code);
    }

    #[test]
    fn from_code_never_panics_on_near_valid(tail in "[A-Za-z2-7 -]{0,400}") {
        let _ = Invitation::from_code(&format!("CI1-{tail}"));
    }

    #[test]
    fn from_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Invitation::from_bytes(&bytes);
    }
}
