//! Fixed-size envelopes: what the relay stores and an observer sees.
//!
//! Every envelope is exactly [`ENVELOPE_SIZE`] (4096) bytes:
//!
//! ```text
//! envelope       = ENVELOPE_VERSION (1 byte) || ratchet message (4095 bytes)
//! ratchet message = Session::encrypt(block plaintext)   (MESSAGE_OVERHEAD + 4010 bytes)
//! block plaintext = payload id (16, random per payload) || block index (u16 BE)
//!                   || block count (u16 BE) || chunk length (u16 BE) || chunk
//!                   || zero padding up to the block's fixed plaintext length
//! ```
//!
//! A payload longer than one block's [`CHUNK_CAPACITY`] is split into several blocks, each
//! its own ratchet message; a [`Reassembler`] puts them back together. Apart from the
//! constant version byte, nothing in an envelope's bytes is stable across envelopes of one
//! conversation: the header is encrypted under a fresh random nonce, the body under a
//! one-time message key, and the framing and padding are inside the encryption.

mod reassembler;

pub use reassembler::{
    MAX_PENDING_BLOCKS, MAX_PENDING_PAYLOADS, REASSEMBLER_PICKLE_LABEL, Reassembler,
};

use super::ratchet::{MESSAGE_OVERHEAD, RatchetError, Session};
use crate::primitives::random::{self, TryCryptoRng};
pub use corridor_wire::ENVELOPE_SIZE;
use zeroize::Zeroizing;

/// The first byte of every envelope this code writes and accepts.
pub const ENVELOPE_VERSION: u8 = 1;

/// Length of the framing header at the start of every block plaintext.
pub const FRAME_HEADER_LEN: usize = PAYLOAD_ID_LEN + 2 + 2 + 2;

/// Length of the random payload id that ties the blocks of one payload together.
pub const PAYLOAD_ID_LEN: usize = 16;

/// Length of the ratchet message inside a standard envelope.
pub const BLOCK_MESSAGE_LEN: usize = ENVELOPE_SIZE - 1;

/// Payload bytes carried by one standard envelope.
pub const CHUNK_CAPACITY: usize = BLOCK_MESSAGE_LEN - MESSAGE_OVERHEAD - FRAME_HEADER_LEN;

/// Most blocks one payload may span (about 1 MiB in standard envelopes); larger payloads
/// are refused by [`seal`] and by the [`Reassembler`].
pub const MAX_BLOCKS: u16 = 256;

/// Smallest ratchet message length [`seal_with_capacity`] accepts: room for the framing
/// header and at least one payload byte.
pub const MIN_BLOCK_LEN: usize = MESSAGE_OVERHEAD + FRAME_HEADER_LEN + 1;

/// Largest ratchet message length [`seal_with_capacity`] accepts: the chunk length must fit
/// its 16-bit field.
pub const MAX_BLOCK_LEN: usize = MESSAGE_OVERHEAD + FRAME_HEADER_LEN + u16::MAX as usize;

/// Why sealing, opening or reassembling failed. No variant carries plaintext or keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The envelope is not exactly [`ENVELOPE_SIZE`] bytes.
    #[error("envelope has the wrong length")]
    Length,
    /// The first byte is not [`ENVELOPE_VERSION`].
    #[error("unsupported envelope version")]
    UnsupportedVersion,
    /// The ratchet refused the message (see [`RatchetError`]).
    #[error("ratchet: {0}")]
    Ratchet(#[from] RatchetError),
    /// The decrypted block's framing is invalid (bad lengths, index past count, non-zero
    /// padding). The message is not consumed.
    #[error("envelope block framing is invalid")]
    Framing,
    /// The payload needs more than [`MAX_BLOCKS`] blocks.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The requested block length is outside [`MIN_BLOCK_LEN`]..=[`MAX_BLOCK_LEN`].
    #[error("block length out of range")]
    BlockLength,
    /// A block disagrees with earlier blocks of its payload (different count, or a
    /// different chunk at an index already received).
    #[error("block conflicts with its payload")]
    Conflict,
    /// The reassembler holds as many pending payloads or blocks as it may.
    #[error("too many incomplete payloads pending")]
    ReassemblyFull,
    /// The random number generator failed.
    #[error("random number generator failed")]
    Rng,
}

/// One decrypted block: a piece of a payload.
#[derive(Clone, PartialEq, Eq)]
pub struct Block {
    payload_id: [u8; PAYLOAD_ID_LEN],
    index: u16,
    count: u16,
    chunk: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("index", &self.index)
            .field("count", &self.count)
            .field("chunk_len", &self.chunk.len())
            .finish_non_exhaustive()
    }
}

impl Block {
    /// This block's position in its payload, from 0.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Number of blocks in this block's payload (at least 1).
    pub fn count(&self) -> u16 {
        self.count
    }

    /// The payload bytes this block carries.
    pub fn chunk(&self) -> &[u8] {
        &self.chunk
    }

    /// The random id shared by the blocks of one payload.
    pub fn payload_id(&self) -> &[u8; PAYLOAD_ID_LEN] {
        &self.payload_id
    }

    fn encode(&self, plaintext_len: usize) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let chunk_len = u16::try_from(self.chunk.len()).map_err(|_| EnvelopeError::BlockLength)?;
        let mut out = Zeroizing::new(Vec::with_capacity(plaintext_len));
        out.extend_from_slice(&self.payload_id);
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&chunk_len.to_be_bytes());
        out.extend_from_slice(&self.chunk);
        if out.len() > plaintext_len {
            return Err(EnvelopeError::BlockLength);
        }
        out.resize(plaintext_len, 0);
        Ok(out)
    }

    /// Parses a decrypted block plaintext, strictly: index below count, count within
    /// 1..=[`MAX_BLOCKS`], chunk within the plaintext, padding all zero. [`open`] and
    /// [`open_message`] call it; it is public so that it can be fuzzed on its own.
    ///
    /// # Errors
    /// [`EnvelopeError::Framing`] for any violation.
    pub fn decode(plaintext: &[u8]) -> Result<Self, EnvelopeError> {
        let (payload_id, rest) = plaintext
            .split_at_checked(PAYLOAD_ID_LEN)
            .ok_or(EnvelopeError::Framing)?;
        let (index, rest) = rest.split_at_checked(2).ok_or(EnvelopeError::Framing)?;
        let (count, rest) = rest.split_at_checked(2).ok_or(EnvelopeError::Framing)?;
        let (chunk_len, rest) = rest.split_at_checked(2).ok_or(EnvelopeError::Framing)?;
        let u16_of = |b: &[u8]| -> Result<u16, EnvelopeError> {
            Ok(u16::from_be_bytes(
                b.try_into().map_err(|_| EnvelopeError::Framing)?,
            ))
        };
        let (index, count, chunk_len) = (u16_of(index)?, u16_of(count)?, u16_of(chunk_len)?);
        let (chunk, padding) = rest
            .split_at_checked(usize::from(chunk_len))
            .ok_or(EnvelopeError::Framing)?;
        if count == 0 || count > MAX_BLOCKS || index >= count || padding.iter().any(|b| *b != 0) {
            return Err(EnvelopeError::Framing);
        }
        Ok(Self {
            payload_id: payload_id.try_into().map_err(|_| EnvelopeError::Framing)?,
            index,
            count,
            chunk: Zeroizing::new(chunk.to_vec()),
        })
    }
}

/// Splits `payload` into blocks whose ratchet messages are each exactly `block_len` bytes
/// and encrypts them in order with `session`.
///
/// Used directly for the initial envelope, whose inner ratchet message has the length the
/// handshake layer fixes; [`seal`] is this with the standard length.
///
/// # Errors
/// [`EnvelopeError::BlockLength`] if `block_len` is outside
/// [`MIN_BLOCK_LEN`]..=[`MAX_BLOCK_LEN`], [`EnvelopeError::PayloadTooLarge`] past
/// [`MAX_BLOCKS`] blocks (both checked before anything is encrypted), or the ratchet's
/// error. A ratchet error after some blocks were encrypted leaves those message numbers
/// used; the peer treats them as lost.
pub fn seal_with_capacity<R: TryCryptoRng + ?Sized>(
    session: &mut Session,
    payload: &[u8],
    block_len: usize,
    rng: &mut R,
) -> Result<Vec<Vec<u8>>, EnvelopeError> {
    if !(MIN_BLOCK_LEN..=MAX_BLOCK_LEN).contains(&block_len) {
        return Err(EnvelopeError::BlockLength);
    }
    let plaintext_len = block_len - MESSAGE_OVERHEAD;
    let capacity = plaintext_len - FRAME_HEADER_LEN;
    let count = payload.len().div_ceil(capacity).max(1);
    let count = u16::try_from(count)
        .ok()
        .filter(|c| *c <= MAX_BLOCKS)
        .ok_or(EnvelopeError::PayloadTooLarge)?;
    let payload_id: [u8; PAYLOAD_ID_LEN] = random::array(rng).map_err(|_| EnvelopeError::Rng)?;
    let mut out = Vec::with_capacity(usize::from(count));
    let mut chunks = payload.chunks(capacity);
    for index in 0..count {
        let block = Block {
            payload_id,
            index,
            count,
            chunk: Zeroizing::new(chunks.next().unwrap_or_default().to_vec()),
        };
        let message = session.encrypt(&block.encode(plaintext_len)?, rng)?;
        out.push(message);
    }
    Ok(out)
}

/// Splits `payload` into standard envelopes of exactly [`ENVELOPE_SIZE`] bytes.
///
/// # Errors
/// As [`seal_with_capacity`].
pub fn seal<R: TryCryptoRng + ?Sized>(
    session: &mut Session,
    payload: &[u8],
    rng: &mut R,
) -> Result<Vec<[u8; ENVELOPE_SIZE]>, EnvelopeError> {
    seal_with_capacity(session, payload, BLOCK_MESSAGE_LEN, rng)?
        .into_iter()
        .map(|message| {
            let mut envelope = [0u8; ENVELOPE_SIZE];
            let (version, body) = envelope.split_at_mut(1);
            version[0] = ENVELOPE_VERSION;
            if body.len() != message.len() {
                return Err(EnvelopeError::Length);
            }
            body.copy_from_slice(&message);
            Ok(envelope)
        })
        .collect()
}

/// Decrypts one ratchet message made by [`seal_with_capacity`] (any block length) into its
/// block. The session advances only if the block's framing is valid too.
///
/// # Errors
/// [`EnvelopeError::Ratchet`] or [`EnvelopeError::Framing`]; the session is unchanged.
pub fn open_message(session: &mut Session, message: &[u8]) -> Result<Block, EnvelopeError> {
    session.decrypt_then(message, |plaintext| Block::decode(&plaintext))
}

/// Decrypts one standard envelope into its block.
///
/// # Errors
/// [`EnvelopeError::Length`], [`EnvelopeError::UnsupportedVersion`], or as
/// [`open_message`]. The session is unchanged on every error.
pub fn open(session: &mut Session, envelope: &[u8]) -> Result<Block, EnvelopeError> {
    if envelope.len() != ENVELOPE_SIZE {
        return Err(EnvelopeError::Length);
    }
    match envelope.split_first() {
        Some((&ENVELOPE_VERSION, message)) => open_message(session, message),
        Some(_) => Err(EnvelopeError::UnsupportedVersion),
        None => Err(EnvelopeError::Length),
    }
}
