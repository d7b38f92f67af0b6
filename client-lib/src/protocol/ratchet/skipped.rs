//! Message keys kept for messages that have not arrived yet (out-of-order delivery), keyed
//! by the header key of their chain and their message number, as the specification's
//! `MKSKIPPED` is in the header-encryption variant.
//!
//! Bounds: one message may make the receiver skip at most [`MAX_SKIP`] keys in one chain
//! (otherwise it is refused, see `RatchetError::TooManySkipped`); at most [`MAX_SKIP`] keys
//! are kept per chain and [`MAX_SKIPPED_KEYS`] in all. Past a storage bound the oldest key
//! is evicted: a lossy network must not wedge a session, and a message whose key was
//! evicted is then refused as `RatchetError::Duplicate`.
//!
//! Expiry: every chain records the receiving epoch it belongs to (the number of receiving
//! DH ratchet steps the session had made when that chain was its receiving chain). Once
//! the session's epoch exceeds a chain's by more than [`SKIPPED_KEY_MAX_STEPS`], the
//! chain and its keys are deleted, however few keys it holds.

use super::header::Header;
use super::{MAX_SKIP, MAX_SKIPPED_KEYS, SKIPPED_KEY_MAX_STEPS};
use crate::primitives::Secret;
use std::collections::{BTreeMap, VecDeque};

/// The skipped keys of one receiving chain.
pub(crate) struct SkippedChain {
    pub(crate) header_key: Secret<32>,
    /// The session's receiving epoch while this was its receiving chain.
    pub(crate) epoch: u32,
    pub(crate) keys: BTreeMap<u32, Secret<32>>,
}

/// All skipped keys, chains in the order they were created. Keys are only ever added to
/// the newest chain, in increasing message number, so the oldest key overall is the first
/// key of the first chain.
#[derive(Default)]
pub(crate) struct SkippedKeys {
    chains: VecDeque<SkippedChain>,
}

impl SkippedKeys {
    pub(crate) fn from_chains(chains: Vec<SkippedChain>) -> Self {
        let mut this = Self {
            chains: chains.into(),
        };
        this.chains.retain(|c| !c.keys.is_empty());
        this.enforce_bounds();
        this
    }

    pub(crate) fn chains(&self) -> impl Iterator<Item = &SkippedChain> {
        self.chains.iter()
    }

    /// Number of stored message keys.
    pub(crate) fn len(&self) -> usize {
        self.chains.iter().map(|c| c.keys.len()).sum()
    }

    /// The index of the stored chain whose header key opens `encrypted`, and the header.
    pub(crate) fn find(&self, encrypted: &[u8], ad: &[u8]) -> Option<(usize, Header)> {
        self.chains.iter().enumerate().find_map(|(i, chain)| {
            Header::open(encrypted, &chain.header_key, ad)
                .ok()
                .map(|h| (i, h))
        })
    }

    pub(crate) fn get(&self, chain: usize, number: u32) -> Option<&Secret<32>> {
        self.chains.get(chain)?.keys.get(&number)
    }

    pub(crate) fn remove(&mut self, chain: usize, number: u32) {
        if let Some(c) = self.chains.get_mut(chain) {
            c.keys.remove(&number);
            if c.keys.is_empty() {
                self.chains.remove(chain);
            }
        }
    }

    /// Deletes every chain older than [`SKIPPED_KEY_MAX_STEPS`] receiving DH ratchet steps
    /// at receiving epoch `epoch`.
    pub(crate) fn expire(&mut self, epoch: u32) {
        self.chains
            .retain(|c| epoch.saturating_sub(c.epoch) <= SKIPPED_KEY_MAX_STEPS);
    }

    /// Stores `keys` (ascending message numbers) for the chain of `header_key`, of
    /// receiving epoch `epoch`, then evicts the oldest keys past the bounds.
    pub(crate) fn insert(
        &mut self,
        header_key: &Secret<32>,
        epoch: u32,
        keys: Vec<(u32, Secret<32>)>,
    ) {
        if keys.is_empty() {
            return;
        }
        let existing = self
            .chains
            .iter_mut()
            .rev()
            .find(|c| bool::from(c.header_key.ct_eq(header_key)));
        match existing {
            Some(chain) => chain.keys.extend(keys),
            None => self.chains.push_back(SkippedChain {
                header_key: header_key.clone(),
                epoch,
                keys: keys.into_iter().collect(),
            }),
        }
        self.enforce_bounds();
    }

    fn enforce_bounds(&mut self) {
        for chain in &mut self.chains {
            while chain.keys.len() > MAX_SKIP as usize {
                chain.keys.pop_first();
            }
        }
        let mut total = self.len();
        while total > MAX_SKIPPED_KEYS {
            let Some(front) = self.chains.front_mut() else {
                break;
            };
            front.keys.pop_first();
            total -= 1;
            if front.keys.is_empty() {
                self.chains.pop_front();
            }
        }
    }
}
