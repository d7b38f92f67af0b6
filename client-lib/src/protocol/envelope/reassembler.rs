//! Puts the blocks of multi-block payloads back together, in bounded memory.

use super::{Block, ENVELOPE_SIZE, ENVELOPE_VERSION, EnvelopeError, PAYLOAD_ID_LEN};
use crate::protocol::ratchet::Session;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Default bound on incomplete payloads held at once.
pub const MAX_PENDING_PAYLOADS: usize = 16;

/// Default bound on blocks held at once across all incomplete payloads (2 MiB of chunks in
/// standard envelopes).
pub const MAX_PENDING_BLOCKS: usize = 512;

struct Pending {
    payload_id: [u8; PAYLOAD_ID_LEN],
    count: u16,
    chunks: BTreeMap<u16, Zeroizing<Vec<u8>>>,
}

/// Collects blocks and yields each payload once all its blocks have arrived, in any order.
///
/// Memory is bounded: at most `max_payloads` incomplete payloads and `max_blocks` held
/// blocks. A block past a bound is refused with [`EnvelopeError::ReassemblyFull`] and the
/// reassembler is unchanged; [`Reassembler::open`] then also leaves the session unchanged,
/// so the envelope can be opened again after [`Reassembler::discard_oldest`].
pub struct Reassembler {
    pending: Vec<Pending>,
    max_payloads: usize,
    max_blocks: usize,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Reassembler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reassembler")
            .field("pending_payloads", &self.pending.len())
            .field("pending_blocks", &self.pending_blocks())
            .finish()
    }
}

impl Reassembler {
    /// A reassembler with the default bounds [`MAX_PENDING_PAYLOADS`] and
    /// [`MAX_PENDING_BLOCKS`].
    pub fn new() -> Self {
        Self::with_limits(MAX_PENDING_PAYLOADS, MAX_PENDING_BLOCKS)
    }

    /// A reassembler with explicit bounds.
    pub fn with_limits(max_payloads: usize, max_blocks: usize) -> Self {
        Self {
            pending: Vec::new(),
            max_payloads,
            max_blocks,
        }
    }

    /// Number of incomplete payloads held.
    pub fn pending_payloads(&self) -> usize {
        self.pending.len()
    }

    /// Number of blocks held across incomplete payloads.
    pub fn pending_blocks(&self) -> usize {
        self.pending.iter().map(|p| p.chunks.len()).sum()
    }

    /// Drops the incomplete payload that started first. Returns whether there was one.
    pub fn discard_oldest(&mut self) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        self.pending.remove(0);
        true
    }

    /// Adds a block. Returns the whole payload when this block completes it.
    ///
    /// A block identical to one already held is accepted and changes nothing.
    ///
    /// # Errors
    /// [`EnvelopeError::Conflict`] if the block disagrees with its payload's earlier
    /// blocks, [`EnvelopeError::ReassemblyFull`] past a bound. The reassembler is unchanged
    /// on error.
    pub fn push(&mut self, block: Block) -> Result<Option<Zeroizing<Vec<u8>>>, EnvelopeError> {
        if block.count == 1 {
            return Ok(Some(block.chunk));
        }
        let held = self.pending_blocks();
        let position = self
            .pending
            .iter()
            .position(|p| p.payload_id == block.payload_id);
        let position = match position {
            Some(i) => {
                let pending = &self.pending[i];
                if pending.count != block.count {
                    return Err(EnvelopeError::Conflict);
                }
                if let Some(chunk) = pending.chunks.get(&block.index) {
                    return if *chunk == block.chunk {
                        Ok(None)
                    } else {
                        Err(EnvelopeError::Conflict)
                    };
                }
                let completes = pending.chunks.len() + 1 == usize::from(pending.count);
                if held >= self.max_blocks && !completes {
                    return Err(EnvelopeError::ReassemblyFull);
                }
                i
            }
            None => {
                if self.pending.len() >= self.max_payloads || held >= self.max_blocks {
                    return Err(EnvelopeError::ReassemblyFull);
                }
                self.pending.push(Pending {
                    payload_id: block.payload_id,
                    count: block.count,
                    chunks: BTreeMap::new(),
                });
                self.pending.len() - 1
            }
        };
        let Some(pending) = self.pending.get_mut(position) else {
            return Err(EnvelopeError::Conflict);
        };
        pending.chunks.insert(block.index, block.chunk);
        if pending.chunks.len() < usize::from(pending.count) {
            return Ok(None);
        }
        let done = self.pending.remove(position);
        let mut payload = Zeroizing::new(Vec::new());
        for chunk in done.chunks.values() {
            payload.extend_from_slice(chunk);
        }
        Ok(Some(payload))
    }

    /// Opens a standard envelope with `session` and adds its block. If the envelope is
    /// refused for any reason (including [`EnvelopeError::ReassemblyFull`]), neither the
    /// session nor the reassembler changes.
    ///
    /// # Errors
    /// As [`super::open`] and [`Reassembler::push`].
    pub fn open(
        &mut self,
        session: &mut Session,
        envelope: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, EnvelopeError> {
        if envelope.len() != ENVELOPE_SIZE {
            return Err(EnvelopeError::Length);
        }
        match envelope.split_first() {
            Some((&ENVELOPE_VERSION, message)) => self.open_message(session, message),
            Some(_) => Err(EnvelopeError::UnsupportedVersion),
            None => Err(EnvelopeError::Length),
        }
    }

    /// As [`Reassembler::open`], for a bare ratchet message of any block length (the inner
    /// message of an initial envelope).
    ///
    /// # Errors
    /// As [`super::open_message`] and [`Reassembler::push`].
    pub fn open_message(
        &mut self,
        session: &mut Session,
        message: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, EnvelopeError> {
        session.decrypt_then(message, |plaintext| self.push(Block::decode(&plaintext)?))
    }
}
