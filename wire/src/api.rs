//! Request and response bodies of the relay's `/v1` API.
//!
//! Every endpoint takes and returns JSON. Ids travel in bodies, never in URL paths, so a
//! reverse proxy's access log cannot record them. Every error is an [`ErrorBody`] with a
//! 4xx status (or 503 when the relay is shedding load).
//!
//! | method | path | body | answer |
//! | --- | --- | --- | --- |
//! | GET | `/v1/challenge` | | [`ChallengeResponse`] |
//! | POST | `/v1/mailboxes` | [`CreateMailboxRequest`] | [`CreateMailboxResponse`] |
//! | POST | `/v1/mailboxes/deposit` | [`DepositRequest`] | [`DepositResponse`] |
//! | POST | `/v1/mailboxes/fetch` | [`FetchRequest`] | [`FetchResponse`] |
//! | POST | `/v1/mailboxes/ack` | [`AckRequest`] | [`AckResponse`] |
//! | POST | `/v1/mailboxes/destroy` | [`DestroyRequest`] | [`DestroyResponse`] |
//! | POST | `/v1/bundles` | [`PublishBundleRequest`] | [`PublishBundleResponse`] |
//! | POST | `/v1/bundles/fetch` | [`FetchBundleRequest`] | [`FetchBundleResponse`] |
//! | POST | `/v1/bundles/delete` | [`DeleteBundleRequest`] | [`DeleteBundleResponse`] |

use crate::auth::{self, Op};
use crate::b64::{Blob, Bytes};
use crate::{CREDENTIAL_LEN, ID_LEN, NONCE_LEN};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A mailbox read id: the only id the owner uses to fetch, acknowledge and destroy.
pub type ReadId = Bytes<ID_LEN>;
/// A mailbox deposit id: the id senders deposit to; unrelated to the read id.
pub type DepositId = Bytes<ID_LEN>;
/// A prekey bundle id.
pub type BundleId = Bytes<ID_LEN>;
/// The secret a sender presents with a deposit id.
pub type DepositCredential = Bytes<CREDENTIAL_LEN>;
/// An Ed25519 public key, fresh for each mailbox or bundle.
pub type AuthKey = Bytes<32>;

/// The proof that a request comes from the holder of a mailbox's (or bundle's) auth key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedAuth {
    /// Unix seconds on the client's clock; must be within two minutes of the relay's.
    #[serde(deserialize_with = "whole::u64")]
    pub timestamp: u64,
    /// 16 random bytes, never reused for the same target.
    #[schema(value_type = String, format = Byte)]
    pub nonce: Bytes<NONCE_LEN>,
    /// Ed25519 signature over the transcript ([`crate::auth::transcript`]).
    #[schema(value_type = String, format = Byte)]
    pub signature: Bytes<64>,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `bad_signature`, `mailbox_full`.
    pub error: String,
    /// A human-readable explanation that carries no ids or request content.
    pub message: String,
}

/// A fresh proof-of-work challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChallengeResponse {
    /// Opaque challenge bytes to pass back with the solution.
    #[schema(value_type = String, format = Byte)]
    pub challenge: Blob,
    /// Leading zero bits the solution's hash must have ([`crate::pow`]).
    pub difficulty: u8,
}

/// How a mailbox creation is admitted: a solved challenge or an operator token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Admission {
    /// A solved proof-of-work challenge.
    Pow {
        /// The challenge as the relay issued it.
        #[schema(value_type = String, format = Byte)]
        challenge: Blob,
        /// The solution ([`crate::pow::check`]).
        #[serde(deserialize_with = "whole::u64")]
        solution: u64,
    },
    /// An operator-issued token.
    Token {
        /// The token text.
        token: String,
    },
}

/// Creates a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMailboxRequest {
    /// The mailbox's own Ed25519 public key; signs fetch, ack and destroy.
    #[schema(value_type = String, format = Byte)]
    pub auth_key: AuthKey,
    /// Proof-of-work or operator token.
    pub admission: Admission,
}

/// The ids of a new mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateMailboxResponse {
    /// The id the owner reads from.
    #[schema(value_type = String, format = Byte)]
    pub read_id: ReadId,
    /// The unrelated id senders deposit to.
    #[schema(value_type = String, format = Byte)]
    pub deposit_id: DepositId,
    /// The credential senders present with the deposit id. The relay keeps only its hash.
    #[schema(value_type = String, format = Byte)]
    pub deposit_credential: DepositCredential,
}

/// Deposits one envelope of exactly [`crate::ENVELOPE_SIZE`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// Where to deposit.
    #[schema(value_type = String, format = Byte)]
    pub deposit_id: DepositId,
    /// The mailbox's deposit credential.
    #[schema(value_type = String, format = Byte)]
    pub credential: DepositCredential,
    /// The sealed envelope.
    #[schema(value_type = String, format = Byte)]
    pub envelope: Blob,
}

/// A deposit was stored durably.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DepositResponse {
    /// Always true: the answer is sent only after the envelope is on disk.
    pub stored: bool,
}

/// Fetches waiting messages, waiting up to `wait_secs` for the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchRequest {
    /// The mailbox to read.
    #[schema(value_type = String, format = Byte)]
    pub read_id: ReadId,
    /// Long-poll: seconds to wait when the mailbox is empty (the relay caps it).
    #[serde(deserialize_with = "whole::u32")]
    pub wait_secs: u32,
    /// Signature by the mailbox's auth key.
    pub auth: SignedAuth,
}

impl FetchRequest {
    /// The transcript [`FetchRequest::auth`] signs.
    pub fn transcript(
        read_id: &ReadId,
        wait_secs: u32,
        timestamp: u64,
        nonce: &[u8; NONCE_LEN],
    ) -> Vec<u8> {
        let digest = auth::body_digest(&[&wait_secs.to_be_bytes()]);
        auth::transcript(Op::Fetch, read_id.as_bytes(), timestamp, nonce, &digest)
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// The message's sequence number in its mailbox; pass it to acknowledge.
    pub seq: u64,
    /// The envelope, exactly as deposited.
    #[schema(value_type = String, format = Byte)]
    pub envelope: Blob,
}

/// Messages waiting in a mailbox, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FetchResponse {
    /// Up to a relay-defined batch of messages.
    pub messages: Vec<Message>,
}

/// Acknowledges (deletes) messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// The mailbox.
    #[schema(value_type = String, format = Byte)]
    pub read_id: ReadId,
    /// Sequence numbers to delete.
    #[serde(deserialize_with = "whole::vec_u64")]
    pub seqs: Vec<u64>,
    /// Signature by the mailbox's auth key.
    pub auth: SignedAuth,
}

impl AckRequest {
    /// The transcript [`AckRequest::auth`] signs.
    pub fn transcript(
        read_id: &ReadId,
        seqs: &[u64],
        timestamp: u64,
        nonce: &[u8; NONCE_LEN],
    ) -> Vec<u8> {
        let encoded: Vec<u8> = seqs.iter().flat_map(|s| s.to_be_bytes()).collect();
        let digest = auth::body_digest(&[&encoded]);
        auth::transcript(Op::Ack, read_id.as_bytes(), timestamp, nonce, &digest)
    }
}

/// How many of the acknowledged messages were deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AckResponse {
    /// Messages deleted (already-deleted ones are not counted).
    pub deleted: u32,
}

/// Destroys a mailbox and everything in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestroyRequest {
    /// The mailbox.
    #[schema(value_type = String, format = Byte)]
    pub read_id: ReadId,
    /// Signature by the mailbox's auth key.
    pub auth: SignedAuth,
}

impl DestroyRequest {
    /// The transcript [`DestroyRequest::auth`] signs.
    pub fn transcript(read_id: &ReadId, timestamp: u64, nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
        let digest = auth::body_digest(&[]);
        auth::transcript(Op::Destroy, read_id.as_bytes(), timestamp, nonce, &digest)
    }
}

/// The mailbox is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DestroyResponse {
    /// Always true.
    pub destroyed: bool,
}

/// A one-time prekey as the relay stores it: an id and opaque key bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneTimePrekey {
    /// The publisher's id for this prekey.
    #[serde(deserialize_with = "whole::u32")]
    pub id: u32,
    /// The public key bytes (opaque to the relay).
    #[schema(value_type = String, format = Byte)]
    pub key: Blob,
}

/// A prekey bundle as the relay stores it. The relay does not interpret the parts: the
/// fetching client verifies every signature inside them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The signed, long-lived part (identity, signed prekey, post-quantum prekey).
    #[schema(value_type = String, format = Byte)]
    pub signed: Blob,
    /// One-time prekeys, each handed out at most once.
    pub one_time: Vec<OneTimePrekey>,
    /// The signed last-resort prekey, handed out when no one-time prekey is left.
    #[schema(value_type = String, format = Byte)]
    pub last_resort: Blob,
}

impl Bundle {
    /// SHA-256 of the bundle's canonical encoding (signed, each one-time id and key,
    /// last resort), as covered by [`PublishBundleRequest::auth`].
    pub fn digest(&self) -> [u8; 32] {
        let mut parts: Vec<Vec<u8>> = Vec::with_capacity(2 + 2 * self.one_time.len());
        parts.push(self.signed.0.clone());
        for prekey in &self.one_time {
            parts.push(prekey.id.to_be_bytes().to_vec());
            parts.push(prekey.key.0.clone());
        }
        parts.push(self.last_resort.0.clone());
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        auth::body_digest(&refs)
    }
}

/// Publishes or replaces a prekey bundle under a client-chosen random id.
///
/// The first publish binds `auth_key` to the id; a replacement must be signed by the
/// same key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBundleRequest {
    /// The bundle id (16 random bytes chosen by the publisher).
    #[schema(value_type = String, format = Byte)]
    pub bundle_id: BundleId,
    /// The bundle's own Ed25519 public key, unrelated to the identity key.
    #[schema(value_type = String, format = Byte)]
    pub auth_key: AuthKey,
    /// The bundle.
    pub bundle: Bundle,
    /// Signature by `auth_key`.
    pub auth: SignedAuth,
}

impl PublishBundleRequest {
    /// The transcript [`PublishBundleRequest::auth`] signs.
    pub fn transcript(
        bundle_id: &BundleId,
        auth_key: &AuthKey,
        bundle: &Bundle,
        timestamp: u64,
        nonce: &[u8; NONCE_LEN],
    ) -> Vec<u8> {
        let digest = auth::body_digest(&[auth_key.as_bytes(), &bundle.digest()]);
        auth::transcript(
            Op::PublishBundle,
            bundle_id.as_bytes(),
            timestamp,
            nonce,
            &digest,
        )
    }
}

/// The bundle is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishBundleResponse {
    /// Number of one-time prekeys now available.
    pub one_time_available: u32,
}

/// Fetches a bundle, consuming one one-time prekey if any is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchBundleRequest {
    /// The bundle id.
    #[schema(value_type = String, format = Byte)]
    pub bundle_id: BundleId,
}

/// The prekey handed out with a fetched bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HandedPrekey {
    /// A one-time prekey, now deleted from the relay.
    OneTime(OneTimePrekey),
    /// No one-time prekey was left: the signed last-resort prekey.
    LastResort {
        /// The last-resort prekey (opaque).
        #[schema(value_type = String, format = Byte)]
        key: Blob,
    },
}

/// A fetched bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FetchBundleResponse {
    /// The signed part, as published.
    #[schema(value_type = String, format = Byte)]
    pub signed: Blob,
    /// The prekey handed to this fetcher.
    pub prekey: HandedPrekey,
}

/// Deletes a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBundleRequest {
    /// The bundle id.
    #[schema(value_type = String, format = Byte)]
    pub bundle_id: BundleId,
    /// Signature by the bundle's auth key.
    pub auth: SignedAuth,
}

impl DeleteBundleRequest {
    /// The transcript [`DeleteBundleRequest::auth`] signs.
    pub fn transcript(bundle_id: &BundleId, timestamp: u64, nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
        let digest = auth::body_digest(&[]);
        auth::transcript(
            Op::DeleteBundle,
            bundle_id.as_bytes(),
            timestamp,
            nonce,
            &digest,
        )
    }
}

/// The bundle is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeleteBundleResponse {
    /// Always true.
    pub deleted: bool,
}

/// Unsigned integers in request bodies. JSON does not tell `25` from `25.0` (JSON Schema
/// counts both as the integer 25), so a number with no fractional part is accepted when it
/// is exactly representable (at most 2^53); anything else is refused.
mod whole {
    use serde::de::{Deserializer, Error, SeqAccess, Visitor};
    use std::fmt;

    /// The largest integer every JSON parser spells exactly as a float.
    const EXACT: f64 = 9_007_199_254_740_992.0;

    struct Whole;

    impl Visitor<'_> for Whole {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an unsigned integer")
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom("negative"))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<u64, E> {
            if v.fract() == 0.0 && (0.0..=EXACT).contains(&v) {
                // In range and integral: the conversion is exact.
                Ok(v as u64)
            } else {
                Err(E::custom("not an unsigned integer"))
            }
        }
    }

    pub(super) fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(Whole)
    }

    pub(super) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let v = d.deserialize_any(Whole)?;
        u32::try_from(v).map_err(|_| D::Error::custom("out of range"))
    }

    struct Many;

    impl<'de> Visitor<'de> for Many {
        type Value = Vec<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of unsigned integers")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u64>, A::Error> {
            let mut out = Vec::new();
            while let Some(One(v)) = seq.next_element()? {
                out.push(v);
            }
            Ok(out)
        }
    }

    struct One(u64);

    impl<'de> serde::Deserialize<'de> for One {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Whole).map(One)
        }
    }

    pub(super) fn vec_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        d.deserialize_seq(Many)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused() {
        let body = r#"{"bundle_id":"AAAAAAAAAAAAAAAAAAAAAA","extra":1}"#;
        assert!(serde_json::from_str::<FetchBundleRequest>(body).is_err());
        let ok = r#"{"bundle_id":"AAAAAAAAAAAAAAAAAAAAAA"}"#;
        assert!(serde_json::from_str::<FetchBundleRequest>(ok).is_ok());
    }

    #[test]
    fn bundle_digest_covers_every_part() {
        let bundle = Bundle {
            signed: Blob(vec![1, 2]),
            one_time: vec![OneTimePrekey {
                id: 7,
                key: Blob(vec![3]),
            }],
            last_resort: Blob(vec![4]),
        };
        let mut other = bundle.clone();
        other.one_time[0].id = 8;
        assert_ne!(bundle.digest(), other.digest());
        let mut other = bundle.clone();
        other.last_resort = Blob(vec![5]);
        assert_ne!(bundle.digest(), other.digest());
    }

    #[test]
    fn whole_numbers_are_accepted_as_floats_and_nothing_else() {
        let fetch = |wait: &str| {
            serde_json::from_str::<FetchRequest>(&format!(
                r#"{{"read_id":"AAAAAAAAAAAAAAAAAAAAAA","wait_secs":{wait},"auth":{{"timestamp":7.0,"nonce":"AAAAAAAAAAAAAAAAAAAAAA","signature":"{}"}}}}"#,
                "A".repeat(86)
            ))
        };
        assert_eq!(fetch("25.0").unwrap().wait_secs, 25);
        assert_eq!(fetch("25").unwrap().auth.timestamp, 7);
        for bad in ["25.5", "-1", "4294967296", "1e300", "\"25\"", "null"] {
            assert!(fetch(bad).is_err(), "{bad}");
        }
        let ack: AckRequest = serde_json::from_str(&format!(
            r#"{{"read_id":"AAAAAAAAAAAAAAAAAAAAAA","seqs":[1,2.0,18446744073709551615],"auth":{{"timestamp":7,"nonce":"AAAAAAAAAAAAAAAAAAAAAA","signature":"{}"}}}}"#,
            "A".repeat(86)
        ))
        .unwrap();
        assert_eq!(ack.seqs, vec![1, 2, u64::MAX]);
    }

    #[test]
    fn admission_json_shape() {
        let a = Admission::Token { token: "t".into() };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"token":{"token":"t"}}"#
        );
    }
}
