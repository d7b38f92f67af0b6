//! The audit log: an append-only hash chain whose every edit, reordering, insertion,
//! removal or truncation is detected.
#![allow(clippy::unwrap_used, clippy::panic)]

mod coordination_support;

use coordination_support::*;
use corridor_client::coordination::{
    Action, AuditEntry, AuditError, AuditLog, CaseId, EventHash, Status, Tier,
};
use proptest::prelude::*;

fn sample_log(n: usize) -> AuditLog {
    let mut log = AuditLog::new();
    let actions = [
        Action::Opened,
        Action::Assigned,
        Action::StatusChanged(Status::Verifying),
        Action::Vouched(Tier::Direct),
        Action::Noted,
        Action::Viewed,
        Action::Messaged,
        Action::Purged,
    ];
    for i in 0..n {
        let event = (i % 2 == 0).then_some(EventHash([i as u8; 32]));
        log.append(
            T0 + i as u64 * 60,
            CaseId([(i % 3) as u8; 16]),
            actions[i % actions.len()],
            event,
        );
    }
    log
}

fn encoded(log: &AuditLog) -> Vec<Vec<u8>> {
    log.entries().iter().map(AuditEntry::encode).collect()
}

#[test]
fn a_log_verifies_and_reloads() {
    let log = sample_log(10);
    assert_eq!(log.verify(), Ok(()));
    assert_eq!(log.entries()[3].seq, 3);
    assert_eq!(log.entries()[3].prev, log.entries()[2].hash());
    let reloaded = AuditLog::from_encoded(log.base(), &encoded(&log)).unwrap();
    assert_eq!(reloaded, log);
    assert_eq!(reloaded.checkpoint(), log.checkpoint());
    assert_eq!(log.verify_against(&log.checkpoint()), Ok(()));
    assert_eq!(Action::Vouched(Tier::Co).to_string(), "vouched (co)");
}

#[test]
fn edits_reorders_insertions_and_removals_break_the_chain() {
    let log = sample_log(6);
    let base = log.base();
    let entries = encoded(&log);
    // Edit: a different case on entry 2 (re-encoded, so it still decodes).
    let mut edited = log.entries().to_vec();
    edited[2].case = CaseId([9; 16]);
    let edited: Vec<Vec<u8>> = edited.iter().map(AuditEntry::encode).collect();
    assert_eq!(
        AuditLog::from_encoded(base, &edited).err(),
        Some(AuditError::Broken { seq: 3 })
    );
    // Reorder.
    let mut swapped = entries.clone();
    swapped.swap(1, 2);
    assert_eq!(
        AuditLog::from_encoded(base, &swapped).err(),
        Some(AuditError::Broken { seq: 1 })
    );
    // Remove from the middle.
    let mut removed = entries.clone();
    removed.remove(3);
    assert_eq!(
        AuditLog::from_encoded(base, &removed).err(),
        Some(AuditError::Broken { seq: 3 })
    );
    // Insert a forged entry that names the right predecessor: the one after it breaks.
    let mut forged = log.entries()[..3].to_vec();
    forged.push(AuditEntry {
        seq: 3,
        prev: forged[2].hash(),
        time: T0,
        case: CaseId([5; 16]),
        action: Action::Viewed,
        event: None,
    });
    forged.extend(log.entries()[3..].iter().cloned());
    let forged: Vec<Vec<u8>> = forged.iter().map(AuditEntry::encode).collect();
    assert_eq!(
        AuditLog::from_encoded(base, &forged).err(),
        Some(AuditError::Broken { seq: 4 })
    );
    // A corrupted byte.
    let mut corrupt = entries.clone();
    corrupt[0][1] = 9;
    assert!(matches!(
        AuditLog::from_encoded(base, &corrupt),
        Err(AuditError::Decode(_))
    ));
}

#[test]
fn truncation_is_caught_by_a_checkpoint_kept_elsewhere() {
    let log = sample_log(8);
    let checkpoint = log.checkpoint();
    let entries = encoded(&log);
    let truncated = AuditLog::from_encoded(log.base(), &entries[..5]).unwrap();
    // The chain alone is fine...
    assert_eq!(truncated.verify(), Ok(()));
    // ... the checkpoint is not reached.
    assert_eq!(
        truncated.verify_against(&checkpoint),
        Err(AuditError::CheckpointMismatch)
    );
    // An earlier checkpoint still matches a longer log.
    let early = truncated.checkpoint();
    assert_eq!(log.verify_against(&early), Ok(()));
    // A log replaced by another one with the same length does not match.
    let other = sample_log(9);
    let other = AuditLog::from_encoded(other.base(), &encoded(&other)[..8]).unwrap();
    let mut changed = other.entries().to_vec();
    changed[7].time += 1;
    let replaced = AuditLog::from_encoded(
        other.base(),
        &changed.iter().map(AuditEntry::encode).collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(
        replaced.verify_against(&checkpoint),
        Err(AuditError::CheckpointMismatch)
    );
}

#[test]
fn pruning_the_front_keeps_the_chain_checkable() {
    let mut log = sample_log(10);
    let checkpoint = log.checkpoint();
    let dropped = log.prune_before(T0 + 4 * 60);
    assert_eq!(dropped, 4);
    assert_eq!(log.entries().len(), 6);
    assert_eq!(log.entries()[0].seq, 4);
    assert_eq!(log.verify(), Ok(()));
    assert_eq!(log.verify_against(&checkpoint), Ok(()));
    let reloaded = AuditLog::from_encoded(log.base(), &encoded(&log)).unwrap();
    assert_eq!(reloaded.checkpoint(), checkpoint);
    // Appending after a prune continues the chain.
    log.append(T0 + 10_000, CaseId([1; 16]), Action::Viewed, None);
    assert_eq!(log.verify(), Ok(()));
    assert_eq!(log.prune_before(0), 0);
}

proptest! {
    /// Changing any byte of any stored entry is detected: by the decoder, or by the
    /// chain, or (for the last entry) by the checkpoint.
    #[test]
    fn any_change_to_a_stored_entry_is_detected(
        n in 1usize..20,
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bits in 1u8..=255,
    ) {
        let log = sample_log(n);
        let checkpoint = log.checkpoint();
        let mut entries = encoded(&log);
        let e = which.index(entries.len());
        let i = at.index(entries[e].len());
        entries[e][i] ^= bits;
        let detected = match AuditLog::from_encoded(log.base(), &entries) {
            Err(_) => true,
            Ok(reloaded) => reloaded.verify_against(&checkpoint).is_err(),
        };
        prop_assert!(detected);
    }
}
