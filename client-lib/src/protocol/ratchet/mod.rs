//! The Double Ratchet with header encryption, as the Signal specification defines it
//! (signal.org/docs/specifications/doubleratchet, sections 3 and 4).
//!
//! A [`Session`] is started from the handshake's shared secret SK and associated data AD
//! ([`Session::initiator`], [`Session::responder`]). [`Session::encrypt`] produces a ratchet
//! message of exactly `plaintext.len() + MESSAGE_OVERHEAD` bytes:
//!
//! ```text
//! encrypted header (ENCRYPTED_HEADER_LEN = 69) || body ciphertext (plaintext + 16-byte tag)
//! ```
//!
//! What a caller can rely on:
//! - out-of-order delivery works within the skipped-key bounds ([`MAX_SKIP`] per chain,
//!   [`MAX_SKIPPED_KEYS`] in all); a message that would skip more is refused with
//!   [`RatchetError::TooManySkipped`];
//! - [`Session::decrypt`] either returns the plaintext and advances the session, or returns
//!   an error and leaves the session exactly as it was;
//! - a message is accepted at most once ([`RatchetError::Duplicate`]);
//! - the only randomness is the `rng` argument, so a session is deterministic given it.
//!
//! One deliberate difference from the specification's pseudocode: on receiving a new
//! ratchet key, the specification generates our next ratchet key pair inside the
//! decryption. Here decryption takes no randomness, so the sending half of that DH ratchet
//! step (new key pair, root KDF, next sending header key) runs at the start of the next
//! [`Session::encrypt`]. The keys derived are the same as the specification's: between the
//! receiving half and the sending half no other root-key derivation can happen, because
//! the peer cannot start a new ratchet step before it has seen our new ratchet key.

mod header;
pub mod kdf;
mod pickle;
mod skipped;

pub use pickle::{SESSION_PICKLE_LABEL, SESSION_PICKLE_VERSION};

use crate::primitives::aead::{self, NONCE_LEN, TAG_LEN};
use crate::primitives::random::TryCryptoRng;
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::primitives::{CryptoError, Secret};
use header::{ENCRYPTED_HEADER_LEN, Header, HeaderError};
use skipped::SkippedKeys;
use zeroize::Zeroizing;

/// Bytes a ratchet message adds to its plaintext: the encrypted header and the body's
/// authentication tag.
pub const MESSAGE_OVERHEAD: usize = ENCRYPTED_HEADER_LEN + TAG_LEN;

/// Most message keys one message may make the receiver skip in one receiving chain, and
/// most skipped keys kept for one chain.
pub const MAX_SKIP: u32 = 1000;

/// Most skipped message keys a session keeps in all; past it, the oldest are evicted.
pub const MAX_SKIPPED_KEYS: usize = 2000;

/// Skipped message keys expire: the keys of a receiving chain are deleted once the peer
/// has made more than this many DH ratchet steps after it (so the keys of at most five
/// receiving chains, the current one included, are ever held; libsignal keeps five
/// receiver chains). A message that arrives later is refused with
/// [`RatchetError::Decrypt`], as its header key is gone too.
pub const SKIPPED_KEY_MAX_STEPS: u32 = 4;

/// Why a ratchet operation failed. No variant carries key material or plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RatchetError {
    /// The message is shorter than a header and a tag.
    #[error("ratchet message is malformed")]
    Malformed,
    /// The header opened under none of the session's header keys, or the body did not
    /// authenticate. One opaque variant for every such cause.
    #[error("ratchet message could not be decrypted")]
    Decrypt,
    /// The message was already decrypted, or its skipped key was evicted.
    #[error("ratchet message was already received or has expired")]
    Duplicate,
    /// Accepting the message would skip more than [`MAX_SKIP`] keys in one chain.
    #[error("ratchet message skips too many messages")]
    TooManySkipped,
    /// The header authenticated but carries a version this code does not speak.
    #[error("unsupported ratchet header version")]
    UnsupportedVersion,
    /// The peer's ratchet public key is invalid (its Diffie-Hellman result is
    /// non-contributory), or it does not match the chain its header key belongs to.
    #[error("invalid ratchet key")]
    BadKey,
    /// A responder cannot send before it has received the initiator's first message.
    #[error("session cannot send yet")]
    NotReady,
    /// The sending chain has used every message number.
    #[error("message counter exhausted")]
    CounterExhausted,
    /// The random number generator failed.
    #[error("random number generator failed")]
    Rng,
    /// A primitive rejected its input length (for example a plaintext beyond the AEAD's
    /// limit).
    #[error("input too long")]
    Length,
}

impl From<CryptoError> for RatchetError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Decrypt => Self::Decrypt,
            CryptoError::Rng => Self::Rng,
            CryptoError::BadKey | CryptoError::NonContributory => Self::BadKey,
            _ => Self::Length,
        }
    }
}

/// One side of a Double Ratchet session.
///
/// Not `Clone` and not `Serialize`: it is persisted only through [`Session::pickle`], whose
/// output is encrypted.
pub struct Session {
    /// The handshake's associated data, bound into every header and body.
    ad: Vec<u8>,
    root: Secret<32>,
    /// DHs: our current ratchet key pair.
    self_ratchet: X25519Secret,
    /// DHr: the peer's current ratchet public key.
    remote_ratchet: Option<X25519Public>,
    /// CKs.
    sending_chain: Option<Secret<32>>,
    /// CKr.
    receiving_chain: Option<Secret<32>>,
    /// HKs.
    header_send: Option<Secret<32>>,
    /// HKr.
    header_recv: Option<Secret<32>>,
    /// NHKs.
    next_header_send: Secret<32>,
    /// NHKr.
    next_header_recv: Secret<32>,
    /// Ns.
    sent: u32,
    /// Nr.
    received: u32,
    /// PN.
    previous_sent: u32,
    /// The sending half of a DH ratchet step is due at the next encryption.
    ratchet_pending: bool,
    /// Receiving epoch: how many receiving DH ratchet steps this session has made.
    receive_epoch: u32,
    skipped: SkippedKeys,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// Derives the skipped keys from message `from` up to (not including) `until` in a chain,
/// returning the chain key at `until` and the skipped keys.
fn skip_keys(
    chain: &Secret<32>,
    from: u32,
    until: u32,
) -> Result<(Secret<32>, Vec<(u32, Secret<32>)>), RatchetError> {
    if until.saturating_sub(from) > MAX_SKIP {
        return Err(RatchetError::TooManySkipped);
    }
    let mut chain = chain.clone();
    let mut keys = Vec::new();
    for n in from..until {
        let (next, message) = kdf::chain_step(&chain);
        keys.push((n, message));
        chain = next;
    }
    Ok((chain, keys))
}

/// The random nonce that starts an encrypted header: the salt of the body's key
/// derivation.
fn header_nonce(encrypted_header: &[u8]) -> Result<[u8; NONCE_LEN], RatchetError> {
    encrypted_header
        .get(..NONCE_LEN)
        .and_then(|n| n.try_into().ok())
        .ok_or(RatchetError::Malformed)
}

/// A received message's body with what its decryption needs besides the message key.
struct Body<'a> {
    /// `AD || encrypted header`.
    aad: Vec<u8>,
    /// The header's random nonce, the salt of the body key derivation.
    header_nonce: [u8; NONCE_LEN],
    /// Ciphertext and tag.
    sealed: &'a [u8],
}

impl Body<'_> {
    fn open(&self, message_key: &Secret<32>) -> Result<Zeroizing<Vec<u8>>, RatchetError> {
        let cipher = kdf::message_cipher(message_key, &self.header_nonce)?;
        aead::open(&cipher.key, &cipher.nonce, &self.aad, self.sealed)
            .map_err(|_| RatchetError::Decrypt)
    }
}

fn header_result(r: Result<Header, HeaderError>) -> Result<Option<Header>, RatchetError> {
    match r {
        Ok(h) => Ok(Some(h)),
        Err(HeaderError::Decrypt) => Ok(None),
        Err(HeaderError::Version) => Err(RatchetError::UnsupportedVersion),
    }
}

impl Session {
    /// Starts the initiator's side (Signal's RatchetInitAliceHE) from the handshake secret
    /// `sk`, the handshake's associated data `ad`, and the responder's signed prekey
    /// `remote_ratchet`. The initiator can [`encrypt`](Self::encrypt) at once.
    ///
    /// # Errors
    /// [`RatchetError::Rng`] if `rng` fails, [`RatchetError::BadKey`] if `remote_ratchet`
    /// yields a non-contributory Diffie-Hellman result.
    pub fn initiator<R: TryCryptoRng + ?Sized>(
        sk: &Secret<32>,
        ad: &[u8],
        remote_ratchet: X25519Public,
        rng: &mut R,
    ) -> Result<Self, RatchetError> {
        let keys = kdf::initial_keys(sk)?;
        let own = X25519Secret::generate(rng)?;
        let step = kdf::root_step(&keys.root, &own.diffie_hellman(&remote_ratchet)?)?;
        Ok(Self {
            ad: ad.to_vec(),
            root: step.root,
            self_ratchet: own,
            remote_ratchet: Some(remote_ratchet),
            sending_chain: Some(step.chain),
            receiving_chain: None,
            header_send: Some(keys.header_a),
            header_recv: None,
            next_header_send: step.next_header,
            next_header_recv: keys.next_header_b,
            sent: 0,
            received: 0,
            previous_sent: 0,
            ratchet_pending: false,
            receive_epoch: 0,
            skipped: SkippedKeys::default(),
        })
    }

    /// Starts the responder's side (Signal's RatchetInitBobHE) from the handshake secret
    /// `sk`, the associated data `ad`, and the responder's signed prekey secret
    /// `own_ratchet`. The responder must [`decrypt`](Self::decrypt) the initiator's first
    /// message before it can send ([`RatchetError::NotReady`] until then).
    ///
    /// # Errors
    /// Only if key derivation fails, which it cannot for these fixed lengths; the `Result`
    /// keeps that path free of panics.
    pub fn responder(
        sk: &Secret<32>,
        ad: &[u8],
        own_ratchet: X25519Secret,
    ) -> Result<Self, RatchetError> {
        let keys = kdf::initial_keys(sk)?;
        Ok(Self {
            ad: ad.to_vec(),
            root: keys.root,
            self_ratchet: own_ratchet,
            remote_ratchet: None,
            sending_chain: None,
            receiving_chain: None,
            header_send: None,
            header_recv: None,
            next_header_send: keys.next_header_b,
            next_header_recv: keys.header_a,
            sent: 0,
            received: 0,
            previous_sent: 0,
            ratchet_pending: false,
            receive_epoch: 0,
            skipped: SkippedKeys::default(),
        })
    }

    /// The associated data this session binds into every message.
    pub fn associated_data(&self) -> &[u8] {
        &self.ad
    }

    /// Number of skipped message keys currently stored (at most [`MAX_SKIPPED_KEYS`]).
    pub fn skipped_keys(&self) -> usize {
        self.skipped.len()
    }

    /// Whether this session can [`encrypt`](Self::encrypt) now (a responder cannot before
    /// its first decryption).
    pub fn can_send(&self) -> bool {
        self.header_send.is_some() && (self.ratchet_pending || self.sending_chain.is_some())
    }

    /// Encrypts `plaintext` into a ratchet message of exactly
    /// `plaintext.len() + MESSAGE_OVERHEAD` bytes. The session is unchanged on error.
    ///
    /// # Errors
    /// [`RatchetError::NotReady`] for a responder that has not received yet,
    /// [`RatchetError::CounterExhausted`] after 2³² − 1 messages in one chain,
    /// [`RatchetError::Rng`] if `rng` fails.
    pub fn encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, RatchetError> {
        let header_key = self.header_send.as_ref().ok_or(RatchetError::NotReady)?;
        // The sending half of a pending DH ratchet step, computed but not yet committed.
        let step = if self.ratchet_pending {
            let remote = self.remote_ratchet.ok_or(RatchetError::NotReady)?;
            let own = X25519Secret::generate(rng)?;
            let step = kdf::root_step(&self.root, &own.diffie_hellman(&remote)?)?;
            Some((own, step))
        } else {
            None
        };
        let (chain, own_public, number) = match &step {
            Some((own, step)) => (&step.chain, own.public(), 0),
            None => (
                self.sending_chain.as_ref().ok_or(RatchetError::NotReady)?,
                self.self_ratchet.public(),
                self.sent,
            ),
        };
        if number == u32::MAX {
            return Err(RatchetError::CounterExhausted);
        }
        let (next_chain, message_key) = kdf::chain_step(chain);
        let header = Header {
            ratchet_key: own_public,
            previous_chain_len: self.previous_sent,
            number,
        };
        let mut out = header.seal(header_key, &self.ad, rng)?;
        let aad = [self.ad.as_slice(), out.as_slice()].concat();
        let cipher = kdf::message_cipher(&message_key, &header_nonce(&out)?)?;
        let body = aead::seal(&cipher.key, &cipher.nonce, &aad, plaintext)?;
        out.extend_from_slice(&body);

        if let Some((own, step)) = step {
            self.self_ratchet = own;
            self.root = step.root;
            self.next_header_send = step.next_header;
            self.ratchet_pending = false;
        }
        self.sending_chain = Some(next_chain);
        self.sent = number + 1;
        Ok(out)
    }

    /// Decrypts a ratchet message. On success the session advances (and forgets the key
    /// it used); on any error the session is exactly as it was.
    ///
    /// # Errors
    /// See [`RatchetError`]: `Malformed`, `Decrypt`, `Duplicate`, `TooManySkipped`,
    /// `UnsupportedVersion`, `BadKey`.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<Zeroizing<Vec<u8>>, RatchetError> {
        self.decrypt_then(message, Ok::<_, RatchetError>)
    }

    /// Decrypts `message` and hands the plaintext to `accept`; the session advances only if
    /// both succeed. Lets a layer above refuse an authenticated but ill-formed plaintext
    /// without consuming the message.
    pub(crate) fn decrypt_then<T, E: From<RatchetError>>(
        &mut self,
        message: &[u8],
        accept: impl FnOnce(Zeroizing<Vec<u8>>) -> Result<T, E>,
    ) -> Result<T, E> {
        let (encrypted_header, body) = message
            .split_at_checked(ENCRYPTED_HEADER_LEN)
            .ok_or(RatchetError::Malformed)?;
        if body.len() < TAG_LEN {
            return Err(RatchetError::Malformed.into());
        }
        let body = Body {
            aad: [self.ad.as_slice(), encrypted_header].concat(),
            header_nonce: header_nonce(encrypted_header)?,
            sealed: body,
        };

        // TrySkippedMessageKeysHE.
        let mut header_of_skipped_chain = false;
        if let Some((chain, header)) = self.skipped.find(encrypted_header, &self.ad) {
            if let Some(key) = self.skipped.get(chain, header.number) {
                let value = accept(body.open(key)?)?;
                self.skipped.remove(chain, header.number);
                return Ok(value);
            }
            header_of_skipped_chain = true;
        }

        // The current receiving chain.
        if let Some(header_key) = &self.header_recv {
            if let Some(header) =
                header_result(Header::open(encrypted_header, header_key, &self.ad))?
            {
                return self.receive_in_chain(header, &body, accept);
            }
        }

        // A new ratchet key: the receiving half of a DH ratchet step.
        match header_result(Header::open(
            encrypted_header,
            &self.next_header_recv,
            &self.ad,
        ))? {
            Some(header) => self.receive_new_chain(header, &body, accept),
            None if header_of_skipped_chain => Err(RatchetError::Duplicate.into()),
            None => Err(RatchetError::Decrypt.into()),
        }
    }

    fn receive_in_chain<T, E: From<RatchetError>>(
        &mut self,
        header: Header,
        body: &Body<'_>,
        accept: impl FnOnce(Zeroizing<Vec<u8>>) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.remote_ratchet != Some(header.ratchet_key) {
            return Err(RatchetError::BadKey.into());
        }
        if header.number < self.received {
            return Err(RatchetError::Duplicate.into());
        }
        let next_received = header
            .number
            .checked_add(1)
            .ok_or(RatchetError::Malformed)?;
        let chain = self.receiving_chain.as_ref().ok_or(RatchetError::Decrypt)?;
        let (chain, skipped) = skip_keys(chain, self.received, header.number)?;
        let (next_chain, message_key) = kdf::chain_step(&chain);
        let value = accept(body.open(&message_key)?)?;

        if let Some(header_key) = &self.header_recv {
            self.skipped.insert(header_key, self.receive_epoch, skipped);
        }
        self.receiving_chain = Some(next_chain);
        self.received = next_received;
        Ok(value)
    }

    fn receive_new_chain<T, E: From<RatchetError>>(
        &mut self,
        header: Header,
        body: &Body<'_>,
        accept: impl FnOnce(Zeroizing<Vec<u8>>) -> Result<T, E>,
    ) -> Result<T, E> {
        let next_received = header
            .number
            .checked_add(1)
            .ok_or(RatchetError::Malformed)?;
        // Keys left in the chain being closed, up to the peer's count of it.
        let old_skipped = match &self.receiving_chain {
            Some(chain) => skip_keys(chain, self.received, header.previous_chain_len)?.1,
            None => Vec::new(),
        };
        let dh = self
            .self_ratchet
            .diffie_hellman(&header.ratchet_key)
            .map_err(RatchetError::from)?;
        let step = kdf::root_step(&self.root, &dh).map_err(RatchetError::from)?;
        let (chain, new_skipped) = skip_keys(&step.chain, 0, header.number)?;
        let (next_chain, message_key) = kdf::chain_step(&chain);
        let value = accept(body.open(&message_key)?)?;

        let epoch = self.receive_epoch.saturating_add(1);
        if let Some(old_header_key) = &self.header_recv {
            self.skipped
                .insert(old_header_key, self.receive_epoch, old_skipped);
        }
        self.skipped
            .insert(&self.next_header_recv, epoch, new_skipped);
        self.skipped.expire(epoch);
        self.receive_epoch = epoch;
        self.previous_sent = self.sent;
        self.sent = 0;
        self.received = next_received;
        self.header_send = Some(self.next_header_send.clone());
        self.header_recv = Some(std::mem::replace(
            &mut self.next_header_recv,
            step.next_header,
        ));
        self.remote_ratchet = Some(header.ratchet_key);
        self.root = step.root;
        self.receiving_chain = Some(next_chain);
        self.sending_chain = None;
        self.ratchet_pending = true;
        Ok(value)
    }
}
