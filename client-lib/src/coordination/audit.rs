//! The audit log: an append-only hash chain, on one member's device, of what that member
//! did to which case.
//!
//! Entry `n` names the hash of entry `n - 1` (the first names the log's base, all zero
//! for a new log), so editing, reordering, inserting or removing an entry in the middle
//! breaks [`AuditLog::verify`]. Cutting entries off the end cannot be seen from the log
//! alone: keep a [`Checkpoint`] somewhere else (the store keeps the latest one in the key
//! file's encrypted part) and check it with [`AuditLog::verify_against`]. The only
//! removal is from the front ([`AuditLog::prune_before`]), when entries outlive the
//! retention period; the new base keeps the chain checkable. Entries hold case ids and
//! actions, never request text or aliases; the store encrypts them like everything else.

use super::encoding::{DecodeError, Field, Kind, put_header, read_header};
use super::ids::{CaseId, EventHash};
use super::lifecycle::Status;
use super::vouch::Tier;
use crate::primitives::kdf;
use crate::protocol::codec::Writer;
use std::fmt;

/// Prefix of the audit entry hash input.
pub const AUDIT_HASH_LABEL: &[u8] = b"Corridor_v1_coordination_audit_entry";
/// Length of an encoded entry with an event hash (the longest).
pub const MAX_AUDIT_ENTRY_LEN: usize = 2 + 8 + 32 + 8 + 16 + 2 + 1 + 32;

/// What the member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Opened the case.
    Opened,
    /// Assigned it.
    Assigned,
    /// Changed its status to this one.
    StatusChanged(Status),
    /// Vouched, or attached a vouch, at this tier.
    Vouched(Tier),
    /// Added a note.
    Noted,
    /// Looked at the case record.
    Viewed,
    /// Sent a message to the requester.
    Messaged,
    /// Purged the case from this device.
    Purged,
}

impl Action {
    fn encode(self, out: &mut Vec<u8>) {
        match self {
            Self::Opened => out.put_u8(1),
            Self::Assigned => out.put_u8(2),
            Self::StatusChanged(status) => {
                out.put_u8(3);
                out.put_u8(status as u8);
            }
            Self::Vouched(tier) => {
                out.put_u8(4);
                out.put_u8(tier as u8);
            }
            Self::Noted => out.put_u8(5),
            Self::Viewed => out.put_u8(6),
            Self::Messaged => out.put_u8(7),
            Self::Purged => out.put_u8(8),
        }
    }

    fn decode(r: &mut crate::protocol::codec::Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            1 => Self::Opened,
            2 => Self::Assigned,
            3 => Self::StatusChanged(Status::from_byte(r.u8()?)?),
            4 => {
                let byte = r.u8()?;
                Self::Vouched(
                    Tier::ALL
                        .into_iter()
                        .find(|t| *t as u8 == byte)
                        .ok_or(DecodeError::UnknownValue(Field::Tier))?,
                )
            }
            5 => Self::Noted,
            6 => Self::Viewed,
            7 => Self::Messaged,
            8 => Self::Purged,
            _ => return Err(DecodeError::UnknownValue(Field::Action)),
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Opened => f.write_str("opened"),
            Self::Assigned => f.write_str("assigned"),
            Self::StatusChanged(status) => write!(f, "status {status}"),
            Self::Vouched(tier) => write!(f, "vouched ({tier})"),
            Self::Noted => f.write_str("noted"),
            Self::Viewed => f.write_str("viewed"),
            Self::Messaged => f.write_str("messaged the requester"),
            Self::Purged => f.write_str("purged"),
        }
    }
}

/// Why an audit log or entry was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// An entry's bytes are malformed.
    #[error("malformed audit entry: {0}")]
    Decode(#[from] DecodeError),
    /// Entry `seq` does not name the hash of the entry before it: the log was edited,
    /// reordered, or had entries inserted or removed.
    #[error("the audit chain is broken at entry {seq}")]
    Broken {
        /// The first entry that does not fit.
        seq: u64,
    },
    /// The log ends before the checkpoint, or disagrees with it: entries were cut off or
    /// the log was replaced.
    #[error("the audit log does not reach its checkpoint")]
    CheckpointMismatch,
}

/// One entry: the `seq`-th thing this member did, when, to which case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// The hash of the previous entry (or the log's base).
    pub prev: [u8; 32],
    /// When (Unix seconds).
    pub time: u64,
    /// The case.
    pub case: CaseId,
    /// What was done.
    pub action: Action,
    /// The case event it produced, if any.
    pub event: Option<EventHash>,
}

impl AuditEntry {
    /// The encoding (`docs/coordination.md`, "Audit entry").
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_AUDIT_ENTRY_LEN);
        put_header(&mut out, Kind::AuditEntry);
        out.put_u64(self.seq);
        out.put(&self.prev);
        out.put_u64(self.time);
        out.put(&self.case.0);
        self.action.encode(&mut out);
        match &self.event {
            Some(hash) => {
                out.put_u8(1);
                out.put(&hash.0);
            }
            None => out.put_u8(0),
        }
        out
    }

    /// Decodes an entry.
    ///
    /// # Errors
    /// [`DecodeError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = read_header(bytes, Kind::AuditEntry, MAX_AUDIT_ENTRY_LEN)?;
        let seq = r.u64()?;
        let prev = r.array()?;
        let time = r.u64()?;
        let case = CaseId(r.array()?);
        let action = Action::decode(&mut r)?;
        let event = match r.u8()? {
            0 => None,
            1 => Some(EventHash(r.array()?)),
            _ => return Err(DecodeError::NotCanonical(Field::Action)),
        };
        r.finish()?;
        Ok(Self {
            seq,
            prev,
            time,
            case,
            action,
            event,
        })
    }

    /// SHA-256(`AUDIT_HASH_LABEL || encoding`).
    pub fn hash(&self) -> [u8; 32] {
        kdf::sha256_parts(&[AUDIT_HASH_LABEL, &self.encode()])
    }
}

/// A point in the log: how many entries it had (`next_seq`) and the hash of the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The sequence number the next entry will have.
    pub next_seq: u64,
    /// The hash of the last entry (the base's hash when there is none).
    pub head: [u8; 32],
}

/// The log: a base (where it starts, after pruning) and the entries since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    base: Checkpoint,
    entries: Vec<AuditEntry>,
    head: [u8; 32],
}

impl Default for AuditLog {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditLog {
    /// An empty log.
    pub fn new() -> Self {
        Self {
            base: Checkpoint {
                next_seq: 0,
                head: [0; 32],
            },
            entries: Vec::new(),
            head: [0; 32],
        }
    }

    /// Reloads a log from its base and its encoded entries, checking the chain.
    ///
    /// # Errors
    /// [`AuditError::Decode`] or [`AuditError::Broken`].
    pub fn from_encoded(base: Checkpoint, entries: &[Vec<u8>]) -> Result<Self, AuditError> {
        let entries = entries
            .iter()
            .map(|bytes| AuditEntry::decode(bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let log = Self {
            base,
            head: base.head,
            entries,
        };
        let head = log.chain_head()?;
        Ok(Self { head, ..log })
    }

    /// Appends what was done and returns the new entry.
    pub fn append(
        &mut self,
        time: u64,
        case: CaseId,
        action: Action,
        event: Option<EventHash>,
    ) -> &AuditEntry {
        let entry = AuditEntry {
            seq: self.checkpoint().next_seq,
            prev: self.head,
            time,
            case,
            action,
            event,
        };
        self.head = entry.hash();
        self.entries.push(entry);
        let last = self.entries.len() - 1;
        &self.entries[last]
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[AuditEntry] {
        &self.entries
    }

    /// Where the log starts.
    pub fn base(&self) -> Checkpoint {
        self.base
    }

    /// Where the log ends now: store it apart from the log to detect truncation.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            next_seq: self.base.next_seq.saturating_add(self.entries.len() as u64),
            head: self.head,
        }
    }

    fn chain_head(&self) -> Result<[u8; 32], AuditError> {
        let mut prev = self.base.head;
        for (i, entry) in self.entries.iter().enumerate() {
            let seq = self.base.next_seq.saturating_add(i as u64);
            if entry.seq != seq || entry.prev != prev {
                return Err(AuditError::Broken { seq });
            }
            prev = entry.hash();
        }
        Ok(prev)
    }

    /// Recomputes the chain from the base.
    ///
    /// # Errors
    /// [`AuditError::Broken`] at the first entry that does not fit.
    pub fn verify(&self) -> Result<(), AuditError> {
        if self.chain_head()? != self.head {
            return Err(AuditError::CheckpointMismatch);
        }
        Ok(())
    }

    /// As [`Self::verify`], and the log must pass through `checkpoint` (an earlier or the
    /// current end, kept elsewhere).
    ///
    /// # Errors
    /// [`AuditError::Broken`], or [`AuditError::CheckpointMismatch`] if the log ends
    /// before the checkpoint or has a different entry there.
    pub fn verify_against(&self, checkpoint: &Checkpoint) -> Result<(), AuditError> {
        self.verify()?;
        if checkpoint.next_seq < self.base.next_seq {
            // Pruned past it: nothing left to compare.
            return Ok(());
        }
        let hash_at = if checkpoint.next_seq == self.base.next_seq {
            Some(self.base.head)
        } else {
            usize::try_from(checkpoint.next_seq - self.base.next_seq - 1)
                .ok()
                .and_then(|i| self.entries.get(i))
                .map(AuditEntry::hash)
        };
        if hash_at != Some(checkpoint.head) {
            return Err(AuditError::CheckpointMismatch);
        }
        Ok(())
    }

    /// Drops the entries older than `cutoff` from the front (up to the first entry at or
    /// after it) and returns how many. The base moves to the last dropped entry, so the
    /// chain stays checkable.
    pub fn prune_before(&mut self, cutoff: u64) -> usize {
        let keep_from = self
            .entries
            .iter()
            .position(|e| e.time >= cutoff)
            .unwrap_or(self.entries.len());
        if keep_from == 0 {
            return 0;
        }
        let head = self.entries[keep_from - 1].hash();
        self.entries.drain(..keep_from);
        self.base = Checkpoint {
            next_seq: self.base.next_seq.saturating_add(keep_from as u64),
            head,
        };
        keep_from
    }
}
