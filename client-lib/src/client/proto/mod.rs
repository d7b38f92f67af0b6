//! The `Client`'s use of [`crate::protocol`]: identities, bundles, the handshake,
//! invitations, sessions and envelopes, kept behind a few functions over the records'
//! bytes so the rest of the façade never touches a protocol type.

use super::payload::{MailboxAddress, Payload};
use super::records::{ContactRecord, PendingBlock, SecretBytes};
use super::{ClientError, Result};
use crate::primitives::Secret;
use crate::primitives::random::OsRng;
use crate::protocol::envelope::{self, Block, EnvelopeError};
use crate::protocol::ratchet::Session;
use zeroize::Zeroizing;

mod handshake;
pub(crate) use handshake::*;

/// Most blocks kept per contact for incomplete payloads; past it the oldest incomplete
/// payload is dropped.
const MAX_PENDING_BLOCKS: usize = 512;

pub(crate) fn load_session(key: &Secret<32>, bytes: &SecretBytes) -> Result<Session> {
    Session::unpickle(key, bytes.expose()).map_err(|_| ClientError::Storage)
}

pub(crate) fn save_session(key: &Secret<32>, session: &Session) -> Result<SecretBytes> {
    session
        .pickle(key, &mut OsRng)
        .map(SecretBytes::new)
        .map_err(|_| ClientError::Crypto)
}

/// Where sealed envelopes go.
pub(crate) struct Target {
    pub(crate) to: MailboxAddress,
    /// Initial envelopes (to an intake mailbox).
    pub(crate) initial: bool,
}

/// Encrypts `payload` for `contact`, advancing its session (saved back into the record).
/// Before the first reply, the envelopes are initial envelopes to the intake mailbox.
pub(crate) fn seal_for(
    key: &Secret<32>,
    contact: &mut ContactRecord,
    payload: &Payload,
) -> Result<(Target, Vec<Vec<u8>>)> {
    let mut session = load_session(key, &contact.session)?;
    let bytes = payload.encode();
    let (target, envelopes) = if let Some(pending) = &contact.pending_initial {
        let blocks =
            envelope::seal_with_capacity(&mut session, &bytes, INITIAL_INNER_LEN, &mut OsRng)
                .map_err(envelope_error)?;
        let mut out = Vec::with_capacity(blocks.len());
        for block in blocks {
            out.push(seal_initial(pending, &block)?);
        }
        (
            Target {
                to: pending.intake.clone(),
                initial: true,
            },
            out,
        )
    } else if let Some(outgoing) = &contact.outgoing {
        let envelopes = envelope::seal(&mut session, &bytes, &mut OsRng)
            .map_err(envelope_error)?
            .into_iter()
            .map(|e| e.to_vec())
            .collect();
        (
            Target {
                to: outgoing.clone(),
                initial: false,
            },
            envelopes,
        )
    } else {
        return Err(ClientError::NotEstablished);
    };
    contact.session = save_session(key, &session)?;
    Ok((target, envelopes))
}

fn envelope_error(e: EnvelopeError) -> ClientError {
    match e {
        EnvelopeError::PayloadTooLarge => ClientError::InvalidMessage,
        EnvelopeError::Rng => ClientError::Crypto,
        EnvelopeError::Ratchet(crate::protocol::ratchet::RatchetError::NotReady) => {
            ClientError::NotEstablished
        }
        _ => ClientError::Crypto,
    }
}

/// Why a received envelope did not open; the contact is then unchanged.
pub(crate) struct NotOpened;

/// Opens a standard envelope (or, for the bytes of an initial envelope's inner message,
/// that message) with the contact's session. Returns the payload once all its blocks are
/// in. On success the contact's session and pending blocks are updated (not saved).
pub(crate) fn open_message(
    key: &Secret<32>,
    contact: &mut ContactRecord,
    bytes: &[u8],
) -> std::result::Result<Option<Zeroizing<Vec<u8>>>, NotOpened> {
    let mut session = load_session(key, &contact.session).map_err(|_| NotOpened)?;
    let block = if bytes.len() == envelope::ENVELOPE_SIZE {
        envelope::open(&mut session, bytes)
    } else {
        envelope::open_message(&mut session, bytes)
    }
    .map_err(|_| NotOpened)?;
    let saved = save_session(key, &session).map_err(|_| NotOpened)?;
    let payload = reassemble(&mut contact.pending_blocks, block);
    contact.session = saved;
    Ok(payload)
}

fn reassemble(pending: &mut Vec<PendingBlock>, block: Block) -> Option<Zeroizing<Vec<u8>>> {
    if block.count() == 1 {
        return Some(Zeroizing::new(block.chunk().to_vec()));
    }
    let id = *block.payload_id();
    let count = block.count();
    if !pending
        .iter()
        .any(|p| p.payload_id == id && p.index == block.index())
    {
        pending.push(PendingBlock {
            payload_id: id,
            index: block.index(),
            count,
            chunk: SecretBytes::new(block.chunk().to_vec()),
        });
    }
    while pending.len() > MAX_PENDING_BLOCKS {
        let oldest = pending.first().map(|p| p.payload_id);
        pending.retain(|p| Some(p.payload_id) != oldest);
    }
    let mut mine: Vec<&PendingBlock> = pending
        .iter()
        .filter(|p| p.payload_id == id && p.count == count)
        .collect();
    if mine.len() < usize::from(count) {
        return None;
    }
    mine.sort_by_key(|p| p.index);
    let mut payload = Zeroizing::new(Vec::new());
    for (expected, part) in mine.iter().enumerate() {
        if usize::from(part.index) != expected {
            return None;
        }
        payload.extend_from_slice(part.chunk.expose());
    }
    pending.retain(|p| p.payload_id != id);
    Some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_plaintext(id: u8, index: u16, count: u16, chunk: &[u8]) -> Vec<u8> {
        let mut out = vec![id; 16];
        out.extend_from_slice(&index.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
        out.resize(100, 0);
        out
    }

    #[test]
    fn blocks_reassemble_in_any_order_and_duplicates_are_ignored() {
        let mut pending = Vec::new();
        let b = |i, c: &[u8]| Block::decode(&block_plaintext(1, i, 3, c)).unwrap();
        assert!(reassemble(&mut pending, b(2, b"cc")).is_none());
        assert!(reassemble(&mut pending, b(0, b"aa")).is_none());
        assert!(reassemble(&mut pending, b(0, b"aa")).is_none());
        let whole = reassemble(&mut pending, b(1, b"bb")).unwrap();
        assert_eq!(whole.as_slice(), b"aabbcc");
        assert!(pending.is_empty());
    }
}
