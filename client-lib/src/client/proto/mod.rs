//! The `Client`'s use of [`crate::protocol`]: identities, bundles, the handshake,
//! invitations, sessions and envelopes, kept behind a few functions over the records'
//! bytes so the rest of the façade never touches a protocol type.

use super::payload::{MailboxAddress, Payload};
use super::records::{ContactRecord, SecretBytes};
use super::{ClientError, Result};
use crate::primitives::Secret;
use crate::primitives::random::OsRng;
use crate::protocol::envelope::{self, EnvelopeError, Reassembler};
use crate::protocol::ratchet::Session;
use zeroize::Zeroizing;

mod handshake;
pub(crate) use handshake::*;

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
///
/// Blocks wait in the protocol's [`Reassembler`], pickled beside the session. When it is
/// full, the incomplete payload that started first is dropped to make room.
pub(crate) fn open_message(
    key: &Secret<32>,
    contact: &mut ContactRecord,
    bytes: &[u8],
) -> std::result::Result<Option<Zeroizing<Vec<u8>>>, NotOpened> {
    let mut session = load_session(key, &contact.session).map_err(|_| NotOpened)?;
    let mut reassembler = match &contact.reassembler {
        Some(pickled) => Reassembler::unpickle(key, pickled.expose()).map_err(|_| NotOpened)?,
        None => Reassembler::new(),
    };
    let payload = loop {
        let opened = if bytes.len() == envelope::ENVELOPE_SIZE {
            reassembler.open(&mut session, bytes)
        } else {
            reassembler.open_message(&mut session, bytes)
        };
        match opened {
            Err(EnvelopeError::ReassemblyFull) if reassembler.discard_oldest() => {}
            other => break other.map_err(|_| NotOpened)?,
        }
    };
    let saved_session = save_session(key, &session).map_err(|_| NotOpened)?;
    let saved_reassembler = if reassembler.pending_payloads() == 0 {
        None
    } else {
        let pickled = reassembler.pickle(key, &mut OsRng).map_err(|_| NotOpened)?;
        Some(SecretBytes::new(pickled))
    };
    contact.session = saved_session;
    contact.reassembler = saved_reassembler;
    Ok(payload)
}
