//! `VerifiedBundle::verify` on an arbitrary `signed` part and handed prekey.
//!
//! Input: kind byte (even: one-time, odd: last-resort) || id (4) || split (2, big-endian:
//! how many of the remaining bytes are the `signed` part) || bytes. The bundle id the
//! signatures must cover is fixed.
#![no_main]

use corridor_client::protocol::bundle::VerifiedBundle;
use corridor_client::protocol::identity::Fingerprint;
use corridor_wire::api::{HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
    // No fuzzer can forge a signature for this fingerprint: any success is a finding.
    assert!(VerifiedBundle::verify(signed, &handed, &Fingerprint([0; 32]), &[0; 16]).is_err());
});
