//! Case events: each change to a case is one signed event naming its parents by hash.
//!
//! The history of a case is a DAG: the first event ([`EventBody::Opened`]) has no
//! parents; every later one names the heads its author had seen (one to
//! [`MAX_PARENTS`] hashes, sorted). The author signs the event together with their role
//! and the roster epoch they acted under, so that every replica can check authority the
//! same way. A [`CaseEvent`] value has had its signature checked.

use super::encoding::{
    DecodeError, Field, Kind, Lines, put_header, put_text, read_header, read_key, read_signature,
    read_text, signed_bytes,
};
use super::ids::{CaseId, EventHash, OrgId};
use super::intake::{IntakeRequest, MAX_REQUEST_LEN};
use super::lifecycle::Status;
use super::role::Role;
use super::vouch::{MAX_VOUCH_LEN, Vouch};
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::primitives::kdf;
use crate::protocol::codec::Writer;
use crate::protocol::identity::Identity;
use std::fmt;
use zeroize::Zeroize;

/// What a case event's signature covers, before the event's bytes.
pub const EVENT_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_case_event";
/// Prefix of the event hash input.
pub const EVENT_HASH_LABEL: &[u8] = b"Corridor_v1_coordination_event_hash";
/// Most parents of one event.
pub const MAX_PARENTS: usize = 16;
/// Longest reason given with a status change, in characters.
pub const MAX_REASON: usize = 500;
/// Longest case note, in characters.
pub const MAX_CASE_NOTE: usize = 4000;
/// Longest encoded event.
pub const MAX_EVENT_LEN: usize = 2
    + 16
    + 16
    + 1
    + MAX_PARENTS * 32
    + 8
    + 32
    + 1
    + 8
    + 1
    + 32
    + 1
    + 32
    + 4
    + MAX_REQUEST_LEN
    + 64;

const BODY_OPENED: u8 = 1;
const BODY_ASSIGNED: u8 = 2;
const BODY_STATUS: u8 = 3;
const BODY_VOUCHED: u8 = 4;
const BODY_NOTED: u8 = 5;

/// What an event does.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventBody {
    /// The case is opened from an intake request (the first event, and only the first).
    Opened {
        /// The requester's pairwise key with the organization: what vouches are about.
        requester: VerifyingKey,
        /// The referrer whose one-time intake code the requester used, if any.
        referrer: Option<VerifyingKey>,
        /// The request.
        request: IntakeRequest,
    },
    /// The case is assigned to a caseworker (replacing any earlier assignee).
    Assigned {
        /// The caseworker's organization key.
        caseworker: VerifyingKey,
    },
    /// The status changes.
    StatusChanged {
        /// The new status.
        to: Status,
        /// Why, in the author's words (may be empty).
        reason: String,
    },
    /// A vouch about the requester is attached.
    Vouched {
        /// The vouch.
        vouch: Vouch,
    },
    /// A note for the case team.
    Noted {
        /// The note.
        text: String,
    },
}

impl EventBody {
    /// A short name of the kind of event, with no content (safe to log).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Assigned { .. } => "assigned",
            Self::StatusChanged { .. } => "status",
            Self::Vouched { .. } => "vouched",
            Self::Noted { .. } => "noted",
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        match self {
            Self::Opened {
                requester,
                referrer,
                request,
            } => {
                out.put_u8(BODY_OPENED);
                out.put(requester.as_bytes());
                match referrer {
                    Some(key) => {
                        out.put_u8(1);
                        out.put(key.as_bytes());
                    }
                    None => out.put_u8(0),
                }
                out.put_long_bytes(&request.encode()?)?;
            }
            Self::Assigned { caseworker } => {
                out.put_u8(BODY_ASSIGNED);
                out.put(caseworker.as_bytes());
            }
            Self::StatusChanged { to, reason } => {
                out.put_u8(BODY_STATUS);
                out.put_u8(*to as u8);
                put_text(out, reason)?;
            }
            Self::Vouched { vouch } => {
                out.put_u8(BODY_VOUCHED);
                out.put_long_bytes(&vouch.encode()?)?;
            }
            Self::Noted { text } => {
                out.put_u8(BODY_NOTED);
                put_text(out, text)?;
            }
        }
        Ok(())
    }

    fn decode(r: &mut crate::protocol::codec::Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            BODY_OPENED => {
                let requester = read_key(r)?;
                let referrer = match r.u8()? {
                    0 => None,
                    1 => Some(read_key(r)?),
                    _ => return Err(DecodeError::NotCanonical(Field::EventBody)),
                };
                let bytes = r.long_bytes()?;
                if bytes.len() > MAX_REQUEST_LEN {
                    return Err(DecodeError::TooLarge {
                        max: MAX_REQUEST_LEN,
                    });
                }
                Self::Opened {
                    requester,
                    referrer,
                    request: IntakeRequest::decode(bytes)?,
                }
            }
            BODY_ASSIGNED => Self::Assigned {
                caseworker: read_key(r)?,
            },
            BODY_STATUS => Self::StatusChanged {
                to: Status::from_byte(r.u8()?)?,
                reason: read_text(r, Field::Reason, 0, MAX_REASON, Lines::Many)?,
            },
            BODY_VOUCHED => Self::Vouched {
                vouch: Vouch::decode(r.long_bytes()?)?,
            },
            BODY_NOTED => Self::Noted {
                text: read_text(r, Field::CaseNote, 1, MAX_CASE_NOTE, Lines::Many)?,
            },
            _ => return Err(DecodeError::UnknownValue(Field::EventBody)),
        })
    }

    fn check(&self) -> Result<(), DecodeError> {
        use super::encoding::check_text;
        match self {
            Self::StatusChanged { reason, .. } => {
                check_text(Field::Reason, reason, 0, MAX_REASON, Lines::Many)?;
            }
            Self::Noted { text } => {
                check_text(Field::CaseNote, text, 1, MAX_CASE_NOTE, Lines::Many)?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl fmt::Debug for EventBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StatusChanged { to, .. } => write!(f, "StatusChanged({to})"),
            other => write!(f, "{}(..)", other.kind_name()),
        }
    }
}

impl Drop for EventBody {
    fn drop(&mut self) {
        match self {
            Self::StatusChanged { reason, .. } => reason.zeroize(),
            Self::Noted { text } => text.zeroize(),
            _ => {}
        }
    }
}

/// The header fields of an event being made: everything except the body and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHeader {
    /// The organization.
    pub org: OrgId,
    /// The case.
    pub case: CaseId,
    /// The heads the author had seen (none for [`EventBody::Opened`]).
    pub parents: Vec<EventHash>,
    /// The roster epoch number the author acted under.
    pub roster_epoch: u64,
    /// The author's role on that roster.
    pub author_role: Role,
    /// When (Unix seconds, the author's clock); never before any parent's time.
    pub time: u64,
}

/// A signed case event whose signature has been checked.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseEvent {
    header: EventHeader,
    author: VerifyingKey,
    body: EventBody,
    signature: Signature,
    hash: EventHash,
}

impl fmt::Debug for CaseEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseEvent")
            .field("hash", &self.hash)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl CaseEvent {
    /// Signs an event. Parents are sorted and deduplicated.
    ///
    /// # Errors
    /// [`DecodeError::NotCanonical`]`(Parents)` if an [`EventBody::Opened`] has parents,
    /// another body has none, or there are more than [`MAX_PARENTS`];
    /// [`DecodeError::Field`] for a reason or note out of bounds.
    pub fn sign(
        author: &Identity,
        mut header: EventHeader,
        body: EventBody,
    ) -> Result<Self, DecodeError> {
        header.parents.sort();
        header.parents.dedup();
        check_parents(&header.parents, &body)?;
        body.check()?;
        let author_key = *author.public().signing_key();
        let bytes = encode_body(&header, &author_key, &body)?;
        let signature = author.sign(&signed_bytes(EVENT_SIGNATURE_LABEL, &bytes));
        Ok(Self::assemble(header, author_key, body, signature, bytes))
    }

    fn assemble(
        header: EventHeader,
        author: VerifyingKey,
        body: EventBody,
        signature: Signature,
        mut bytes: Vec<u8>,
    ) -> Self {
        bytes.put(&signature.to_bytes());
        let hash = EventHash(kdf::sha256_parts(&[EVENT_HASH_LABEL, &bytes]));
        Self {
            header,
            author,
            body,
            signature,
            hash,
        }
    }

    /// The header fields.
    pub fn header(&self) -> &EventHeader {
        &self.header
    }
    /// The organization.
    pub fn org(&self) -> OrgId {
        self.header.org
    }
    /// The case.
    pub fn case(&self) -> CaseId {
        self.header.case
    }
    /// The parents, sorted.
    pub fn parents(&self) -> &[EventHash] {
        &self.header.parents
    }
    /// When (Unix seconds, the author's clock).
    pub fn time(&self) -> u64 {
        self.header.time
    }
    /// The author's organization key.
    pub fn author(&self) -> &VerifyingKey {
        &self.author
    }
    /// The role the author signed as.
    pub fn author_role(&self) -> Role {
        self.header.author_role
    }
    /// The roster epoch the author acted under.
    pub fn roster_epoch(&self) -> u64 {
        self.header.roster_epoch
    }
    /// What the event does.
    pub fn body(&self) -> &EventBody {
        &self.body
    }
    /// The event's hash.
    pub fn hash(&self) -> EventHash {
        self.hash
    }

    /// The encoding (`docs/coordination.md`, "Case event").
    ///
    /// # Errors
    /// None in practice.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = encode_body(&self.header, &self.author, &self.body)?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes an event and verifies its signature.
    ///
    /// # Errors
    /// [`DecodeError`], including [`DecodeError::BadSignature`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::CaseEvent, MAX_EVENT_LEN)?;
        let org = OrgId(r.array()?);
        let case = CaseId(r.array()?);
        let count = usize::from(r.u8()?);
        if count > MAX_PARENTS {
            return Err(DecodeError::TooMany {
                field: Field::Parents,
                max: MAX_PARENTS,
            });
        }
        let mut parents = Vec::with_capacity(count);
        for _ in 0..count {
            let parent = EventHash(r.array()?);
            if parents.last().is_some_and(|last| *last >= parent) {
                return Err(DecodeError::NotCanonical(Field::Parents));
            }
            parents.push(parent);
        }
        let roster_epoch = r.u64()?;
        let author = read_key(&mut r)?;
        let author_role = Role::from_byte(r.u8()?)?;
        let time = r.u64()?;
        let body = EventBody::decode(&mut r)?;
        check_parents(&parents, &body)?;
        let body_len = bytes.len() - r.remaining();
        let signature = read_signature(&mut r)?;
        r.finish()?;
        author
            .verify(
                &signed_bytes(EVENT_SIGNATURE_LABEL, &bytes[..body_len]),
                &signature,
            )
            .map_err(|_| DecodeError::BadSignature)?;
        let header = EventHeader {
            org,
            case,
            parents,
            roster_epoch,
            author_role,
            time,
        };
        Ok(Self::assemble(
            header,
            author,
            body,
            signature,
            bytes[..body_len].to_vec(),
        ))
    }
}

fn check_parents(parents: &[EventHash], body: &EventBody) -> Result<(), DecodeError> {
    let opened = matches!(body, EventBody::Opened { .. });
    if parents.len() > MAX_PARENTS {
        return Err(DecodeError::TooMany {
            field: Field::Parents,
            max: MAX_PARENTS,
        });
    }
    if opened != parents.is_empty() {
        return Err(DecodeError::NotCanonical(Field::Parents));
    }
    Ok(())
}

fn encode_body(
    header: &EventHeader,
    author: &VerifyingKey,
    body: &EventBody,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    put_header(&mut out, Kind::CaseEvent);
    out.put(&header.org.0);
    out.put(&header.case.0);
    out.put_u8(
        u8::try_from(header.parents.len()).map_err(|_| DecodeError::TooMany {
            field: Field::Parents,
            max: MAX_PARENTS,
        })?,
    );
    for parent in &header.parents {
        out.put(&parent.0);
    }
    out.put_u64(header.roster_epoch);
    out.put(author.as_bytes());
    out.put_u8(header.author_role as u8);
    out.put_u64(header.time);
    body.encode(&mut out)?;
    Ok(out)
}

// The vouch inside an event must fit the event bound.
const _: () = assert!(MAX_VOUCH_LEN < MAX_REQUEST_LEN);
