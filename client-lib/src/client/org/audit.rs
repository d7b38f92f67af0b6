//! This member's audit log: every case action it performs appends an entry
//! ([`AuditLog`]), stored encrypted, one record per entry; the [`Checkpoint`] (entry count
//! and head hash) is kept in a record of its own, so a stored entry rewritten, dropped or
//! truncated away is caught by [`Client::audit_verify`].

use super::super::db::Tree;
use super::super::{Client, ClientError, Result};
use super::types::{AuditReport, AuditView};
use crate::coordination::{Action, AuditError, AuditLog, CaseId, Checkpoint, EventHash};
use corridor_wire::b64::Blob;

const CHECKPOINT_KEY: &[u8] = b"checkpoint";
const ENTRY_PREFIX: &[u8] = b"e/";

fn entry_key(seq: u64) -> Vec<u8> {
    [ENTRY_PREFIX, &seq.to_be_bytes()].concat()
}

impl Client {
    fn audit_checkpoint(&self) -> Result<Checkpoint> {
        let stored: Option<(u64, [u8; 32])> = self.db.get(Tree::Audit, CHECKPOINT_KEY)?;
        let (next_seq, head) = stored.unwrap_or((0, [0; 32]));
        Ok(Checkpoint { next_seq, head })
    }

    fn audit_entries(&self) -> Result<Vec<Vec<u8>>> {
        self.db
            .all::<serde_json::Value>(Tree::Audit)?
            .into_iter()
            .filter(|(key, _)| key.starts_with(ENTRY_PREFIX))
            .map(|(_, value)| {
                serde_json::from_value::<Blob>(value)
                    .map(|b| b.0)
                    .map_err(|_| ClientError::Storage)
            })
            .collect::<Result<Vec<_>>>()
    }

    fn audit_log(&self) -> Result<AuditLog> {
        let entries = self.audit_entries()?;
        AuditLog::from_encoded(AuditLog::new().base(), &entries).map_err(|e| broken(e, 0))
    }

    /// Appends an entry. Call with the records lock held.
    pub(crate) fn audit_append(
        &self,
        case: CaseId,
        action: Action,
        event: Option<EventHash>,
    ) -> Result<()> {
        // Chained onto the stored checkpoint: a broken chain is not repaired silently,
        // it stays broken where it broke and `audit_verify` says so.
        let checkpoint = self.audit_checkpoint()?;
        let entry = crate::coordination::AuditEntry {
            seq: checkpoint.next_seq,
            prev: checkpoint.head,
            time: super::super::coarse(self.now()),
            case,
            action,
            event,
        };
        self.db.put(
            Tree::Audit,
            &entry_key(entry.seq),
            &Blob::from(entry.encode()),
            None,
        )?;
        let next = (entry.seq.saturating_add(1), entry.hash());
        self.db.put(Tree::Audit, CHECKPOINT_KEY, &next, None)
    }

    /// This member's audit log, oldest first: what it did to which case (ids and
    /// actions only, never content).
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::AuditBroken`] if an entry does not
    /// decode, [`ClientError::Storage`].
    pub fn audit(&self) -> Result<Vec<AuditView>> {
        self.org_required()?;
        let mut out = Vec::new();
        for bytes in self.audit_entries()? {
            let entry = crate::coordination::AuditEntry::decode(&bytes).map_err(|_| {
                ClientError::AuditBroken {
                    seq: out.len() as u64,
                }
            })?;
            out.push(AuditView {
                seq: entry.seq,
                at: entry.time,
                case: entry.case.short(),
                action: entry.action.to_string(),
            });
        }
        Ok(out)
    }

    /// Verifies the audit log's hash chain, and that it ends where the separately stored
    /// checkpoint says.
    ///
    /// # Errors
    /// [`ClientError::AuditBroken`] with the first entry that does not verify;
    /// [`ClientError::NoOrganization`], [`ClientError::Storage`].
    pub fn audit_verify(&self) -> Result<AuditReport> {
        self.org_required()?;
        let checkpoint = self.audit_checkpoint()?;
        let log = self.audit_log()?;
        log.verify_against(&checkpoint)
            .map_err(|e| broken(e, checkpoint.next_seq.saturating_sub(1)))?;
        if log.checkpoint() != checkpoint {
            // Entries appended past the checkpoint, or the checkpoint ahead of them.
            return Err(ClientError::AuditBroken {
                seq: log.checkpoint().next_seq.min(checkpoint.next_seq),
            });
        }
        Ok(AuditReport {
            entries: checkpoint.next_seq,
            head: checkpoint
                .head
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect(),
        })
    }

    /// Test builds only: rewrites the action of stored audit entry `seq` (as someone with
    /// the store key could), so tests can show [`Client::audit_verify`] catches it.
    ///
    /// # Errors
    /// [`ClientError::Storage`] if there is no such entry.
    #[cfg(feature = "insecure-fast-kdf")]
    #[doc(hidden)]
    pub fn debug_tamper_audit_entry(&self, seq: u64) -> Result<()> {
        let _guard = self.lock()?;
        let blob: Blob = self
            .db
            .get(Tree::Audit, &entry_key(seq))?
            .ok_or(ClientError::Storage)?;
        let mut entry = crate::coordination::AuditEntry::decode(blob.as_bytes())
            .map_err(|_| ClientError::Storage)?;
        entry.action = if entry.action == Action::Noted {
            Action::Viewed
        } else {
            Action::Noted
        };
        self.db.put(
            Tree::Audit,
            &entry_key(seq),
            &Blob::from(entry.encode()),
            None,
        )
    }
}

fn broken(e: AuditError, fallback: u64) -> ClientError {
    match e {
        AuditError::Broken { seq } => ClientError::AuditBroken { seq },
        _ => ClientError::AuditBroken { seq: fallback },
    }
}
