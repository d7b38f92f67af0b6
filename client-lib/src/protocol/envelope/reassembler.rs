//! Puts the blocks of multi-block payloads back together, in bounded memory.

use super::{Block, ENVELOPE_SIZE, ENVELOPE_VERSION, EnvelopeError, MAX_BLOCKS, PAYLOAD_ID_LEN};
use crate::primitives::Secret;
use crate::primitives::random::TryCryptoRng;
use crate::protocol::codec::{Reader, Truncated, Writer};
use crate::protocol::pickle::{self, PickleError};
use crate::protocol::ratchet::Session;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The pickle type label of a reassembler.
pub const REASSEMBLER_PICKLE_LABEL: &str = "reassembler";

/// The content version of a reassembler pickle.
const REASSEMBLER_PICKLE_VERSION: u8 = 1;

fn malformed(_: Truncated) -> PickleError {
    PickleError::Malformed
}

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

impl Reassembler {
    /// Encrypts the held blocks and the bounds for the store under `key`, so that a payload
    /// whose blocks arrive across restarts is not lost (its blocks' ratchet keys are gone
    /// once opened).
    ///
    /// Content: `0x01 || max_payloads (u32) || max_blocks (u32) || payload count (u32) ||`
    /// per payload `payload id (16) || block count (u16) || held (u32) ||` per held block
    /// `index (u16) || chunk (u32 length || bytes)`.
    ///
    /// # Errors
    /// [`PickleError::Crypto`] if `rng` fails; [`PickleError::Malformed`] if a bound does
    /// not fit 32 bits.
    pub fn pickle<R: TryCryptoRng + ?Sized>(
        &self,
        key: &Secret<32>,
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let to_u32 = |n: usize| u32::try_from(n).map_err(|_| PickleError::Malformed);
        let mut out = Zeroizing::new(Vec::new());
        out.put_u8(REASSEMBLER_PICKLE_VERSION);
        out.put_u32(to_u32(self.max_payloads)?);
        out.put_u32(to_u32(self.max_blocks)?);
        out.put_u32(to_u32(self.pending.len())?);
        for pending in &self.pending {
            out.put(&pending.payload_id);
            out.put(&pending.count.to_be_bytes());
            out.put_u32(to_u32(pending.chunks.len())?);
            for (index, chunk) in &pending.chunks {
                out.put(&index.to_be_bytes());
                out.put_long_bytes(chunk).map_err(malformed)?;
            }
        }
        pickle::seal(key, REASSEMBLER_PICKLE_LABEL, &out, rng)
    }

    /// Restores a reassembler pickled by [`Reassembler::pickle`].
    ///
    /// # Errors
    /// [`PickleError::Decrypt`] under the wrong key, for another pickle type or for any
    /// alteration; [`PickleError::Version`]; [`PickleError::Malformed`] for content that
    /// breaks the reassembler's own rules (bounds, an index past its count, a complete
    /// payload, indices out of order, trailing bytes). Never panics on arbitrary input.
    pub fn unpickle(key: &Secret<32>, pickled: &[u8]) -> Result<Self, PickleError> {
        let plain = pickle::open(key, REASSEMBLER_PICKLE_LABEL, pickled)?;
        let mut r = Reader::new(&plain);
        if r.u8().map_err(malformed)? != REASSEMBLER_PICKLE_VERSION {
            return Err(PickleError::Version);
        }
        let max_payloads = r.u32().map_err(malformed)? as usize;
        let max_blocks = r.u32().map_err(malformed)? as usize;
        let payloads = r.u32().map_err(malformed)? as usize;
        if payloads > max_payloads {
            return Err(PickleError::Malformed);
        }
        let mut pending = Vec::new();
        let mut total = 0usize;
        for _ in 0..payloads {
            let payload_id: [u8; PAYLOAD_ID_LEN] = r.array().map_err(malformed)?;
            let count = u16::from_be_bytes(r.array().map_err(malformed)?);
            let held = r.u32().map_err(malformed)? as usize;
            total = total.saturating_add(held);
            if !(2..=MAX_BLOCKS).contains(&count)
                || held == 0
                || held >= usize::from(count)
                || total > max_blocks
                || pending.iter().any(|p: &Pending| p.payload_id == payload_id)
            {
                return Err(PickleError::Malformed);
            }
            let mut chunks = BTreeMap::new();
            let mut last = None;
            for _ in 0..held {
                let index = u16::from_be_bytes(r.array().map_err(malformed)?);
                if index >= count || last.is_some_and(|l| index <= l) {
                    return Err(PickleError::Malformed);
                }
                last = Some(index);
                let chunk = r.long_bytes().map_err(malformed)?;
                chunks.insert(index, Zeroizing::new(chunk.to_vec()));
            }
            pending.push(Pending {
                payload_id,
                count,
                chunks,
            });
        }
        r.finish().map_err(malformed)?;
        Ok(Self {
            pending,
            max_payloads,
            max_blocks,
        })
    }
}
