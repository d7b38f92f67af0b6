//! Persistence of a [`Session`] through the shared pickle format
//! ([`crate::protocol::pickle`]), type label [`SESSION_PICKLE_LABEL`]. The live session
//! does not implement `Serialize`.
//!
//! Content (inside the encryption), every integer big-endian, every key 32 bytes:
//!
//! ```text
//! content version (u8 = 2)
//! AD (u32 length || bytes)
//! RK || DHs secret
//! DHr, CKs, CKr, HKs, HKr: each a presence byte (0 or 1) followed by the key if 1
//! NHKs || NHKr
//! Ns (u32) || Nr (u32) || PN (u32) || ratchet_pending (u8: 0 or 1) || receiving epoch (u32)
//! skipped chains (u32 count), oldest first, each: header key || epoch (u32)
//!     || key count (u32) || count × (message number (u32) || message key),
//!     numbers strictly ascending, epochs not decreasing and not expired
//! ```

use super::skipped::{SkippedChain, SkippedKeys};
use super::{MAX_SKIP, MAX_SKIPPED_KEYS, SKIPPED_KEY_MAX_STEPS, Session};
use crate::primitives::Secret;
use crate::primitives::random::TryCryptoRng;
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::protocol::codec::{Reader, Truncated, Writer};
use crate::protocol::pickle::{self, PickleError};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The pickle type label of a session.
pub const SESSION_PICKLE_LABEL: &str = "session";

/// The content version this code writes and reads.
/// (Version 1 had no receiving epochs; it is refused.)
pub const SESSION_PICKLE_VERSION: u8 = 2;

fn malformed(_: Truncated) -> PickleError {
    PickleError::Malformed
}

fn put_opt(out: &mut Zeroizing<Vec<u8>>, key: Option<&[u8; 32]>) {
    match key {
        Some(key) => {
            out.put_u8(1);
            out.put(key);
        }
        None => out.put_u8(0),
    }
}

fn read_secret(r: &mut Reader<'_>) -> Result<Secret<32>, PickleError> {
    Secret::try_from_slice(r.take(32).map_err(malformed)?).map_err(|_| PickleError::Malformed)
}

fn read_flag(r: &mut Reader<'_>) -> Result<bool, PickleError> {
    match r.u8().map_err(malformed)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(PickleError::Malformed),
    }
}

fn read_opt(r: &mut Reader<'_>) -> Result<Option<Secret<32>>, PickleError> {
    if read_flag(r)? {
        Ok(Some(read_secret(r)?))
    } else {
        Ok(None)
    }
}

impl Session {
    /// Encrypts the session's whole state for the store under `key`.
    ///
    /// # Errors
    /// [`PickleError::Crypto`] if `rng` fails; [`PickleError::Malformed`] if the
    /// associated data is longer than 2³² − 1 bytes.
    pub fn pickle<R: TryCryptoRng + ?Sized>(
        &self,
        key: &Secret<32>,
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let mut out = Zeroizing::new(Vec::with_capacity(512 + 68 * self.skipped.len()));
        out.put_u8(SESSION_PICKLE_VERSION);
        out.put_long_bytes(&self.ad).map_err(malformed)?;
        out.put(self.root.expose());
        out.put(self.self_ratchet.to_secret().expose());
        put_opt(
            &mut out,
            self.remote_ratchet.as_ref().map(X25519Public::as_bytes),
        );
        put_opt(&mut out, self.sending_chain.as_ref().map(Secret::expose));
        put_opt(&mut out, self.receiving_chain.as_ref().map(Secret::expose));
        put_opt(&mut out, self.header_send.as_ref().map(Secret::expose));
        put_opt(&mut out, self.header_recv.as_ref().map(Secret::expose));
        out.put(self.next_header_send.expose());
        out.put(self.next_header_recv.expose());
        out.put_u32(self.sent);
        out.put_u32(self.received);
        out.put_u32(self.previous_sent);
        out.put_u8(u8::from(self.ratchet_pending));
        out.put_u32(self.receive_epoch);
        let chains: Vec<&SkippedChain> = self.skipped.chains().collect();
        out.put_u32(u32::try_from(chains.len()).map_err(|_| PickleError::Malformed)?);
        for chain in chains {
            out.put(chain.header_key.expose());
            out.put_u32(chain.epoch);
            out.put_u32(u32::try_from(chain.keys.len()).map_err(|_| PickleError::Malformed)?);
            for (number, key) in &chain.keys {
                out.put_u32(*number);
                out.put(key.expose());
            }
        }
        pickle::seal(key, SESSION_PICKLE_LABEL, &out, rng)
    }

    /// Restores a session pickled by [`Session::pickle`].
    ///
    /// # Errors
    /// [`PickleError::Decrypt`] under the wrong key, for another pickle type or for any
    /// alteration; [`PickleError::Version`] for an unknown content version;
    /// [`PickleError::Malformed`] for content that does not describe a valid session
    /// (bad presence bytes, a chain without its header key, skipped keys past the bounds
    /// or out of order, a skipped chain from a later or an expired epoch, trailing bytes). Never panics on arbitrary input.
    pub fn unpickle(key: &Secret<32>, pickled: &[u8]) -> Result<Self, PickleError> {
        let plain = pickle::open(key, SESSION_PICKLE_LABEL, pickled)?;
        let mut r = Reader::new(&plain);
        if r.u8().map_err(malformed)? != SESSION_PICKLE_VERSION {
            return Err(PickleError::Version);
        }
        let ad = r.long_bytes().map_err(malformed)?.to_vec();
        let root = read_secret(&mut r)?;
        let self_ratchet = X25519Secret::from_secret(&read_secret(&mut r)?);
        let remote_ratchet = read_opt(&mut r)?.map(|k| X25519Public::from_bytes(*k.expose()));
        let sending_chain = read_opt(&mut r)?;
        let receiving_chain = read_opt(&mut r)?;
        let header_send = read_opt(&mut r)?;
        let header_recv = read_opt(&mut r)?;
        let next_header_send = read_secret(&mut r)?;
        let next_header_recv = read_secret(&mut r)?;
        let sent = r.u32().map_err(malformed)?;
        let received = r.u32().map_err(malformed)?;
        let previous_sent = r.u32().map_err(malformed)?;
        let ratchet_pending = read_flag(&mut r)?;
        let receive_epoch = r.u32().map_err(malformed)?;
        let chain_count = r.u32().map_err(malformed)?;
        let mut chains = Vec::new();
        let mut total = 0usize;
        for _ in 0..chain_count {
            let header_key = read_secret(&mut r)?;
            let epoch = r.u32().map_err(malformed)?;
            let expired = epoch > receive_epoch || receive_epoch - epoch > SKIPPED_KEY_MAX_STEPS;
            if expired
                || chains
                    .last()
                    .is_some_and(|c: &SkippedChain| c.epoch > epoch)
            {
                return Err(PickleError::Malformed);
            }
            let count = r.u32().map_err(malformed)?;
            total = total.saturating_add(count as usize);
            if count == 0 || count > MAX_SKIP || total > MAX_SKIPPED_KEYS {
                return Err(PickleError::Malformed);
            }
            let mut keys = BTreeMap::new();
            let mut last = None;
            for _ in 0..count {
                let number = r.u32().map_err(malformed)?;
                if last.is_some_and(|l| number <= l) {
                    return Err(PickleError::Malformed);
                }
                last = Some(number);
                keys.insert(number, read_secret(&mut r)?);
            }
            chains.push(SkippedChain {
                header_key,
                epoch,
                keys,
            });
        }
        r.finish().map_err(malformed)?;
        let consistent = (receiving_chain.is_none() || header_recv.is_some())
            && (sending_chain.is_none() || header_send.is_some())
            && (!ratchet_pending || remote_ratchet.is_some());
        if !consistent {
            return Err(PickleError::Malformed);
        }
        Ok(Self {
            ad,
            root,
            self_ratchet,
            remote_ratchet,
            sending_chain,
            receiving_chain,
            header_send,
            header_recv,
            next_header_send,
            next_header_recv,
            sent,
            received,
            previous_sent,
            ratchet_pending,
            receive_epoch,
            skipped: SkippedKeys::from_chains(chains),
        })
    }
}
