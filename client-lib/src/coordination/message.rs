//! The typed organization messages, carried one per ratchet payload between members,
//! coordinators and requesters (`docs/coordination.md`, "Organization messages").
//!
//! Each is `version (1) || kind (1) || fields` like every coordination message; embedded
//! signed objects (epochs, certificates, events, requests) are carried as a four-byte
//! length and their own canonical encoding, and are decoded (signature checked) with the
//! message. Whether the sender had the authority, and whether the receiver is entitled,
//! is the receiving client's check, not the codec's.

use super::certificate::MembershipCertificate;
use super::encoding::{
    DecodeError, Field, Kind, Lines, check_text, put_count, put_header, put_text, read_count,
    read_key, read_text,
};
use super::event::CaseEvent;
use super::ids::{CaseId, EpochHash, OrgId};
use super::intake::IntakeRequest;
use super::role::Role;
use super::roster::{MAX_MEMBER_ALIAS, RosterEpoch, RosterError};
use crate::primitives::ed25519::VerifyingKey;
use crate::protocol::codec::{Reader, Writer};
use std::fmt;

/// Longest organization name, in characters.
pub const MAX_ORG_NAME: usize = 100;
/// Longest invitation code carried in a message, in bytes.
pub const MAX_CODE: usize = 2000;
/// Most epochs in one [`OrgMessage::RosterEpochs`].
pub const MAX_EPOCHS_PER_MESSAGE: usize = 1000;
/// Most events in one [`OrgMessage::CaseEvents`] (a case's whole history fits).
pub const MAX_EVENTS_PER_MESSAGE: usize = super::case::MAX_EVENTS;
/// The bound on an encoded organization message.
pub const MAX_ORG_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// One organization message.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrgMessage {
    /// Coordinator to a new member: which organization it joined, as whom.
    Welcome {
        /// The organization.
        org: OrgId,
        /// Its name (never sent to a relay; only inside sessions).
        name: String,
        /// The member's role.
        role: Role,
        /// The member's alias.
        alias: String,
        /// The genesis hash the member's invitation pinned.
        genesis: EpochHash,
    },
    /// Roster epochs, in order (the whole chain for a new coordinator or caseworker, the
    /// new epoch afterwards).
    RosterEpochs {
        /// The epochs.
        epochs: Vec<RosterEpoch>,
    },
    /// A host's or travel helper's membership certificate, and the current epoch number.
    CertificateGrant {
        /// The certificate.
        certificate: Box<MembershipCertificate>,
        /// The roster epoch now current.
        epoch: u64,
    },
    /// A case's events, opening event first, parents before children.
    CaseEvents {
        /// The case.
        case: CaseId,
        /// The events.
        events: Vec<CaseEvent>,
    },
    /// A requester's request, to the organization.
    Intake {
        /// The request.
        request: IntakeRequest,
    },
    /// The new assignee's one-time invitation code, for whoever holds the requester's
    /// session to pass on.
    Introduce {
        /// The case.
        case: CaseId,
        /// The assignee the code belongs to (a stale code for an earlier assignee is
        /// ignored).
        assignee: VerifyingKey,
        /// The invitation code.
        code: String,
    },
    /// Desk holder to requester: talk to the holder of this code from now on.
    Handover {
        /// The invitation code.
        code: String,
    },
    /// Organization to requester: the case is closed; the request is purged at `purge_at`.
    CaseClosed {
        /// Unix seconds.
        purge_at: u64,
    },
}

impl fmt::Debug for OrgMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Welcome { .. } => "OrgMessage::Welcome(..)",
            Self::RosterEpochs { .. } => "OrgMessage::RosterEpochs(..)",
            Self::CertificateGrant { .. } => "OrgMessage::CertificateGrant(..)",
            Self::CaseEvents { .. } => "OrgMessage::CaseEvents(..)",
            Self::Intake { .. } => "OrgMessage::Intake(..)",
            Self::Introduce { .. } => "OrgMessage::Introduce(..)",
            Self::Handover { .. } => "OrgMessage::Handover(..)",
            Self::CaseClosed { .. } => "OrgMessage::CaseClosed(..)",
        })
    }
}

fn roster_to_decode(e: RosterError) -> DecodeError {
    match e {
        RosterError::Decode(d) => d,
        RosterError::Field(f) => DecodeError::Field(f),
        _ => DecodeError::BadSignature,
    }
}

fn put_blob(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), DecodeError> {
    out.put_long_bytes(bytes)?;
    Ok(())
}

fn read_code(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let code = read_text(r, Field::Code, 1, MAX_CODE, Lines::One)?;
    if code.len() > MAX_CODE || !code.is_ascii() {
        return Err(DecodeError::Field(super::FieldError::Invalid {
            field: Field::Code,
            expected: "an invitation code",
        }));
    }
    Ok(code)
}

impl OrgMessage {
    fn kind(&self) -> Kind {
        match self {
            Self::Welcome { .. } => Kind::Welcome,
            Self::RosterEpochs { .. } => Kind::RosterEpochs,
            Self::CertificateGrant { .. } => Kind::CertificateGrant,
            Self::CaseEvents { .. } => Kind::CaseEvents,
            Self::Intake { .. } => Kind::Intake,
            Self::Introduce { .. } => Kind::Introduce,
            Self::Handover { .. } => Kind::Handover,
            Self::CaseClosed { .. } => Kind::CaseClosed,
        }
    }

    /// The canonical encoding.
    ///
    /// # Errors
    /// [`DecodeError`] if a field is out of bounds (the same check decoding makes).
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, self.kind());
        match self {
            Self::Welcome {
                org,
                name,
                role,
                alias,
                genesis,
            } => {
                check_text(Field::OrgName, name, 1, MAX_ORG_NAME, Lines::One)?;
                check_text(Field::MemberAlias, alias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
                out.put(&org.0);
                put_text(&mut out, name)?;
                out.put_u8(*role as u8);
                put_text(&mut out, alias)?;
                out.put(&genesis.0);
            }
            Self::RosterEpochs { epochs } => {
                if epochs.is_empty() || epochs.len() > MAX_EPOCHS_PER_MESSAGE {
                    return Err(DecodeError::TooMany {
                        field: Field::Messages,
                        max: MAX_EPOCHS_PER_MESSAGE,
                    });
                }
                put_count(&mut out, epochs.len());
                for epoch in epochs {
                    put_blob(&mut out, &epoch.encode().map_err(roster_to_decode)?)?;
                }
            }
            Self::CertificateGrant { certificate, epoch } => {
                put_blob(&mut out, &certificate.encode()?)?;
                out.put_u64(*epoch);
            }
            Self::CaseEvents { case, events } => {
                if events.is_empty() || events.len() > MAX_EVENTS_PER_MESSAGE {
                    return Err(DecodeError::TooMany {
                        field: Field::Messages,
                        max: MAX_EVENTS_PER_MESSAGE,
                    });
                }
                out.put(&case.0);
                put_count(&mut out, events.len());
                for event in events {
                    put_blob(&mut out, &event.encode()?)?;
                }
            }
            Self::Intake { request } => put_blob(&mut out, &request.encode()?)?,
            Self::Introduce {
                case,
                assignee,
                code,
            } => {
                check_text(Field::Code, code, 1, MAX_CODE, Lines::One)?;
                out.put(&case.0);
                out.put(assignee.as_bytes());
                put_text(&mut out, code)?;
            }
            Self::Handover { code } => {
                check_text(Field::Code, code, 1, MAX_CODE, Lines::One)?;
                put_text(&mut out, code)?;
            }
            Self::CaseClosed { purge_at } => out.put_u64(*purge_at),
        }
        Ok(out)
    }

    /// Decodes and checks a message: every embedded signed object's signature and
    /// fields, exact length.
    ///
    /// # Errors
    /// [`DecodeError`]; nothing of the input is in it.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_ORG_MESSAGE_LEN {
            return Err(DecodeError::TooLarge {
                max: MAX_ORG_MESSAGE_LEN,
            });
        }
        let mut r = Reader::new(bytes);
        if r.u8()? != super::encoding::COORDINATION_VERSION {
            return Err(DecodeError::Version(bytes.first().copied().unwrap_or(0)));
        }
        let kind = r.u8()?;
        let message = match kind {
            k if k == Kind::Welcome as u8 => {
                let org = OrgId(r.array()?);
                let name = read_text(&mut r, Field::OrgName, 1, MAX_ORG_NAME, Lines::One)?;
                let role = Role::from_byte(r.u8()?)?;
                let alias = read_text(&mut r, Field::MemberAlias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
                let genesis = EpochHash(r.array()?);
                Self::Welcome {
                    org,
                    name,
                    role,
                    alias,
                    genesis,
                }
            }
            k if k == Kind::RosterEpochs as u8 => {
                let count = read_count(&mut r, Field::Messages, MAX_EPOCHS_PER_MESSAGE)?;
                if count == 0 {
                    return Err(DecodeError::NotCanonical(Field::Messages));
                }
                let mut epochs = Vec::with_capacity(count);
                for _ in 0..count {
                    epochs.push(RosterEpoch::decode(r.long_bytes()?).map_err(roster_to_decode)?);
                }
                Self::RosterEpochs { epochs }
            }
            k if k == Kind::CertificateGrant as u8 => {
                let certificate = Box::new(MembershipCertificate::decode(r.long_bytes()?)?);
                let epoch = r.u64()?;
                Self::CertificateGrant { certificate, epoch }
            }
            k if k == Kind::CaseEvents as u8 => {
                let case = CaseId(r.array()?);
                let count = read_count(&mut r, Field::Messages, MAX_EVENTS_PER_MESSAGE)?;
                if count == 0 {
                    return Err(DecodeError::NotCanonical(Field::Messages));
                }
                let mut events = Vec::with_capacity(count.min(64));
                for _ in 0..count {
                    let event = CaseEvent::decode(r.long_bytes()?)?;
                    if event.case() != case {
                        return Err(DecodeError::NotCanonical(Field::Messages));
                    }
                    events.push(event);
                }
                Self::CaseEvents { case, events }
            }
            k if k == Kind::Intake as u8 => Self::Intake {
                request: IntakeRequest::decode(r.long_bytes()?)?,
            },
            k if k == Kind::Introduce as u8 => {
                let case = CaseId(r.array()?);
                let assignee = read_key(&mut r)?;
                let code = read_code(&mut r)?;
                Self::Introduce {
                    case,
                    assignee,
                    code,
                }
            }
            k if k == Kind::Handover as u8 => Self::Handover {
                code: read_code(&mut r)?,
            },
            k if k == Kind::CaseClosed as u8 => Self::CaseClosed { purge_at: r.u64()? },
            _ => return Err(DecodeError::WrongKind),
        };
        r.finish()?;
        Ok(message)
    }
}
