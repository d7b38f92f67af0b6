//! The payloads carried inside the ratchet between two `Client`s.
//!
//! Encoded as JSON with an explicit version field; the envelope layer pads and splits
//! them, so their size never shows on the wire. A decoder refuses an unknown version or
//! variant with a typed error.

use super::records::SecretText;
use corridor_wire::api::{DepositCredential, DepositId};
use corridor_wire::b64::{Blob, Bytes};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The only payload format version this client writes and reads.
const VERSION: u8 = 1;

/// Where to deposit: a relay and a mailbox's deposit id and credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailboxAddress {
    pub(crate) relay: String,
    pub(crate) deposit_id: DepositId,
    pub(crate) credential: DepositCredential,
}

/// One payload.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Payload {
    /// A text message; `sent_at` is Unix seconds rounded down to the minute.
    Text { body: SecretText, sent_at: u64 },
    /// "From now on, deposit to this mailbox": the initiator's reply mailbox in its first
    /// message, the responder's dedicated mailbox in its first reply, and rotation.
    MailboxUpdate { mailbox: MailboxAddress },
    /// A key with which the sender will seal a duress alert if its profile is opened
    /// under duress.
    DuressAlertKey { key: Bytes<32> },
    /// The sender set the conversation's disappearing-message timer.
    Timer { secs: Option<u64> },
    /// One organization message ([`crate::coordination::OrgMessage`], its canonical
    /// binary encoding): roster, certificates, case events, intake, introductions.
    Org { msg: Blob },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Versioned {
    v: u8,
    p: Payload,
}

/// Why a payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadError {
    /// Not JSON of the expected shape, or an unknown variant.
    Malformed,
    /// A version this client does not understand.
    Version,
}

impl Payload {
    /// The payload's encoding, zeroized when dropped.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        #[derive(Serialize)]
        struct VersionedRef<'a> {
            v: u8,
            p: &'a Payload,
        }
        // Serializing plain data into a Vec cannot fail.
        Zeroizing::new(
            serde_json::to_vec(&VersionedRef {
                v: VERSION,
                p: self,
            })
            .unwrap_or_default(),
        )
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            v: u8,
        }
        let version: VersionOnly =
            serde_json::from_slice(bytes).map_err(|_| PayloadError::Malformed)?;
        if version.v != VERSION {
            return Err(PayloadError::Version);
        }
        let versioned: Versioned =
            serde_json::from_slice(bytes).map_err(|_| PayloadError::Malformed)?;
        Ok(versioned.p)
    }
}

/// Fuzzing entry point (`fuzz/src/client.rs`, target `client_payload`; not part of the
/// API): decodes `bytes` as a payload exactly as a `Client` does on receipt and returns its
/// re-encoding, or `None` if the decoder refused it (with its typed error).
#[doc(hidden)]
pub fn fuzz_payload_reencode(bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    Payload::decode(bytes).ok().map(|payload| payload.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_variant() {
        let all = [
            Payload::Text {
                body: "hello".into(),
                sent_at: 1_700_000_040,
            },
            Payload::MailboxUpdate {
                mailbox: MailboxAddress {
                    relay: "http://127.0.0.1:1".into(),
                    deposit_id: Bytes([1; 16]),
                    credential: Bytes([2; 32]),
                },
            },
            Payload::DuressAlertKey {
                key: Bytes([3; 32]),
            },
            Payload::Timer { secs: Some(60) },
            Payload::Timer { secs: None },
        ];
        for payload in all {
            let encoded = payload.encode();
            assert!(Payload::decode(&encoded) == Ok(payload));
        }
    }

    #[test]
    fn unknown_version_and_variant_are_refused() {
        let v2 = br#"{"v":2,"p":{"t":"text","body":"x","sent_at":0}}"#;
        assert!(matches!(Payload::decode(v2), Err(PayloadError::Version)));
        let unknown = br#"{"v":1,"p":{"t":"launch","body":"x"}}"#;
        assert!(matches!(
            Payload::decode(unknown),
            Err(PayloadError::Malformed)
        ));
        assert!(matches!(
            Payload::decode(b"\xff\x00"),
            Err(PayloadError::Malformed)
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(0u8.., 0..300)) {
            let _ = Payload::decode(&bytes);
        }
    }
}
