//! The prekey schedule of a standing invitation, as a pure state machine over time (no
//! keys, no I/O): when to rotate the signed, last-resort and ML-KEM prekeys, when to
//! refill one-time prekeys, and what to keep for initiators that fetched an older bundle.
//! `invite.rs` applies each [`Plan`] to the invitation's prekeys and publishes the result;
//! `docs/library.md` ("Standing invitations: the prekey schedule") states the policy.

use super::records::PrekeySchedule;

/// A standing invitation's signed, last-resort and ML-KEM prekeys are replaced this long
/// after the last replacement (at the first `sync` after that): 7 days.
pub const PREKEY_ROTATION_SECS: u64 = 7 * 24 * 3600;
/// Replaced prekeys (and one-time prekeys no longer published) are kept this long, so an
/// initiator that fetched the older bundle still gets an answer: 7 days, so the replaced
/// prekeys live until the next rotation.
pub const PREKEY_OVERLAP_SECS: u64 = 7 * 24 * 3600;
/// A standing invitation gets a fresh pool of one-time prekeys when fewer than this many
/// of the published ones are left unused.
pub const ONE_TIME_REFILL_BELOW: usize = 5;

/// What one `sync` must do to a standing invitation's prekeys, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Plan {
    /// Unpublished one-time prekeys whose overlap is over: delete them.
    pub(crate) forget: Vec<u32>,
    /// The prekeys replaced by the last rotation are past their overlap: delete them.
    pub(crate) forget_previous: bool,
    /// Replace the signed, last-resort and ML-KEM prekeys.
    pub(crate) rotate: bool,
    /// Publish a fresh pool of one-time prekeys (always with a rotation).
    pub(crate) refill: bool,
}

impl Plan {
    /// The local prekeys change.
    pub(crate) fn changes(&self) -> bool {
        !self.forget.is_empty() || self.forget_previous || self.rotate || self.refill
    }
}

impl PrekeySchedule {
    /// The schedule of a bundle published at `now` with the one-time prekeys `live`.
    pub(crate) fn new(now: u64, live: Vec<u32>) -> Self {
        Self {
            rotated_at: now,
            previous_until: None,
            live,
            stale: Vec::new(),
            unpublished: false,
        }
    }

    /// What is due at `now`.
    pub(crate) fn plan(&self, now: u64) -> Plan {
        let rotate = now >= self.rotated_at.saturating_add(PREKEY_ROTATION_SECS);
        Plan {
            forget: self
                .stale
                .iter()
                .filter(|(_, until)| *until <= now)
                .map(|(id, _)| *id)
                .collect(),
            forget_previous: self.previous_until.is_some_and(|t| t <= now),
            rotate,
            refill: rotate || self.live.len() < ONE_TIME_REFILL_BELOW,
        }
    }

    /// Records that `plan` was carried out at `now`; `fresh` are the ids of the one-time
    /// prekeys added by the refill (ignored without one). Every one-time prekey published
    /// before a refill may be in an initiator's hands: none is published again, each is
    /// kept for the overlap. After a change the bundle must be published again.
    pub(crate) fn apply(&mut self, plan: &Plan, fresh: Vec<u32>, now: u64) {
        self.stale.retain(|(id, _)| !plan.forget.contains(id));
        if plan.forget_previous {
            self.previous_until = None;
        }
        let until = now.saturating_add(PREKEY_OVERLAP_SECS);
        if plan.refill {
            self.stale.extend(self.live.iter().map(|id| (*id, until)));
            self.live = fresh;
        }
        if plan.rotate {
            self.rotated_at = now;
            self.previous_until = Some(until);
        }
        if plan.changes() {
            self.unpublished = true;
        }
    }

    /// A handshake used the one-time prekey `id` (now deleted).
    pub(crate) fn used(&mut self, id: u32) {
        self.live.retain(|l| *l != id);
        self.stale.retain(|(s, _)| *s != id);
    }

    /// The one-time prekeys kept but not to be published.
    pub(crate) fn hidden(&self) -> Vec<u32> {
        self.stale.iter().map(|(id, _)| *id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[derive(Debug, Clone)]
    enum Op {
        /// Time passes.
        Advance(u64),
        /// An initiator uses a handed-out prekey (an index into what the relay published
        /// or handed out so far).
        Handshake(usize),
        /// The inviter syncs.
        Sync,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..10 * 24 * 3600u64).prop_map(Op::Advance),
            any::<usize>().prop_map(Op::Handshake),
            Just(Op::Sync),
        ]
    }

    proptest! {
        /// Over any history: no one-time prekey is published twice; a prekey stops being
        /// published only at a refill and is deleted no sooner than the overlap after
        /// that; after each sync the rotation is not overdue, the pool is not low, and
        /// the replaced prekeys are kept for the overlap.
        #[test]
        fn the_schedule_keeps_its_promises(ops in proptest::collection::vec(op(), 1..80)) {
            let start = 1_000_000u64;
            let mut now = start;
            let mut next_id = 4u32;
            let mut fresh_pool = |n: usize| -> Vec<u32> {
                let ids: Vec<u32> = (next_id..next_id + n as u32).collect();
                next_id += n as u32;
                ids
            };
            let first = fresh_pool(20);
            let mut published_ever: BTreeSet<u32> = first.iter().copied().collect();
            // When each no-longer-published prekey stopped being published.
            let mut unpublished_at: BTreeMap<u32, u64> = BTreeMap::new();
            let mut s = PrekeySchedule::new(now, first);
            let mut last_rotation = now;
            for op in ops {
                match op {
                    Op::Advance(secs) => now += secs,
                    Op::Handshake(i) => {
                        let held: Vec<u32> =
                            s.live.iter().copied().chain(s.hidden()).collect();
                        if !held.is_empty() {
                            s.used(held[i % held.len()]);
                        }
                    }
                    Op::Sync => {
                        let before: BTreeSet<u32> =
                            s.live.iter().copied().chain(s.hidden()).collect();
                        let plan = s.plan(now);
                        let fresh = if plan.refill { fresh_pool(20) } else { Vec::new() };
                        for id in &fresh {
                            prop_assert!(published_ever.insert(*id), "id {} published twice", id);
                        }
                        if plan.refill {
                            for id in &s.live {
                                unpublished_at.insert(*id, now);
                            }
                        }
                        s.apply(&plan, fresh, now);
                        if plan.rotate {
                            last_rotation = now;
                        }
                        let after: BTreeSet<u32> =
                            s.live.iter().copied().chain(s.hidden()).collect();
                        for dropped in before.difference(&after) {
                            let since = unpublished_at.get(dropped).copied();
                            prop_assert!(since.is_some(), "a published prekey was deleted");
                            prop_assert!(now >= since.unwrap_or(0) + PREKEY_OVERLAP_SECS);
                        }
                        let live: BTreeSet<u32> = s.live.iter().copied().collect();
                        prop_assert!(live.is_disjoint(&s.hidden().into_iter().collect()));
                        prop_assert!(s.live.len() >= ONE_TIME_REFILL_BELOW);
                        prop_assert!(now < s.rotated_at + PREKEY_ROTATION_SECS);
                        prop_assert_eq!(s.rotated_at, last_rotation);
                        if last_rotation > start {
                            // The replaced prekeys are kept at least for the overlap.
                            prop_assert!(
                                s.previous_until == Some(last_rotation + PREKEY_OVERLAP_SECS)
                                    || now >= last_rotation + PREKEY_OVERLAP_SECS
                            );
                        }
                        prop_assert_eq!(s.unpublished, plan.changes());
                        // What the relay would get: only live prekeys.
                        s.unpublished = false;
                    }
                }
            }
        }
    }

    #[test]
    fn nothing_is_due_right_after_a_publication() {
        let s = PrekeySchedule::new(100, (1..=20).collect());
        assert!(!s.plan(100).changes());
        assert!(!s.plan(100 + PREKEY_ROTATION_SECS - 1).changes());
        let due = s.plan(100 + PREKEY_ROTATION_SECS);
        assert!(due.rotate && due.refill);
    }
}
