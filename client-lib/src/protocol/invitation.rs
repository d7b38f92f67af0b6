//! Invitations: the short text code that starts a relationship, given in person, by QR
//! code or read aloud.
//!
//! An invitation carries everything the invitee needs to reach the inviter without
//! anything else: the relay address(es), the intake mailbox's deposit id and deposit
//! credential, the id of the prekey bundle to fetch (the bundle itself, with its 1184-byte
//! ML-KEM key, would make the code too long for a QR code), the inviter's identity
//! fingerprint (to check the fetched bundle), the X25519 key the initial envelope is
//! sealed to, an expiry and its kind.
//!
//! Binary layout (all integers big-endian):
//!
//! ```text
//! version (1) = 1 | kind (1): 1 one-time, 2 standing | expires_at (8, Unix seconds)
//! deposit_id (16) | credential (32) | bundle_id (16) | fingerprint (32) | seal_key (32)
//! relay_count (1, 1..=4) | relay_count × (len (1, 1..=255) | ASCII URL)
//! checksum (4) = first 4 bytes of SHA-256(CHECKSUM_LABEL || everything before it)
//! ```
//!
//! Text: [`INVITATION_PREFIX`] followed by the RFC 4648 base32 alphabet (A–Z, 2–7, no
//! padding), which has no 0/O or 1/I pairs to confuse when read aloud. Decoding ignores
//! case, spaces and dashes, so the code may be grouped for reading.

use super::codec::{Reader, Writer};
use super::identity::Fingerprint;
use crate::primitives::kdf;
use crate::primitives::x25519::X25519Public;
use corridor_wire::api::{BundleId, DepositCredential, DepositId};
use corridor_wire::b64::Bytes;
use data_encoding::BASE32_NOPAD;
use std::fmt;

/// Text prefix of every version-1 invitation code.
pub const INVITATION_PREFIX: &str = "CI1-";
/// Version byte of the binary form.
pub const INVITATION_VERSION: u8 = 1;
/// Prefix of the checksum's hash input.
pub const CHECKSUM_LABEL: &[u8] = b"Corridor_v1_invitation";
/// Length of the checksum.
pub const CHECKSUM_LEN: usize = 4;
/// Most relays one invitation may list.
pub const MAX_RELAYS: usize = 4;
/// Characters per group in [`Invitation::to_grouped_code`].
pub const GROUP_LEN: usize = 5;

const KIND_ONE_TIME: u8 = 1;
const KIND_STANDING: u8 = 2;

/// Why an invitation code was refused (or could not be encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvitationError {
    /// The code does not start with [`INVITATION_PREFIX`] (or another version's prefix).
    #[error("not a Corridor invitation")]
    Prefix,
    /// A character outside the base32 alphabet.
    #[error("invalid character in invitation")]
    Encoding,
    /// The checksum does not match: a typo, or a damaged code.
    #[error("invitation checksum mismatch (typo?)")]
    Checksum,
    /// Unknown binary version.
    #[error("unsupported invitation version")]
    Version,
    /// Unknown kind.
    #[error("unknown invitation kind")]
    Kind,
    /// Wrong length or layout.
    #[error("malformed invitation")]
    Malformed,
    /// No relay, too many, or a relay address that is empty, too long or not printable
    /// ASCII.
    #[error("invalid relay list")]
    Relay,
}

/// One-time or standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationKind {
    /// For one person; the inviter discards it after first use.
    OneTime,
    /// An organization's standing intake address, used by many.
    Standing,
}

/// A decoded invitation. `Debug` prints nothing: every field is sensitive.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitation {
    /// One-time or standing.
    pub kind: InvitationKind,
    /// Unix seconds after which the inviter no longer honours it (the protocol has no
    /// clock: the caller compares with [`Invitation::is_expired`]).
    pub expires_at: u64,
    /// Relay base URLs, in order of preference (1 to [`MAX_RELAYS`]).
    pub relays: Vec<String>,
    /// The intake mailbox's deposit id.
    pub deposit_id: DepositId,
    /// The intake mailbox's deposit credential.
    pub credential: DepositCredential,
    /// The prekey bundle to fetch.
    pub bundle_id: BundleId,
    /// The inviter's identity fingerprint; a fetched bundle must match it.
    pub fingerprint: Fingerprint,
    /// The key initial envelopes are sealed to.
    pub seal_key: X25519Public,
}

fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let hash = kdf::sha256_parts(&[CHECKSUM_LABEL, body]);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&hash[..CHECKSUM_LEN]);
    out
}

fn valid_relay(relay: &[u8]) -> bool {
    !relay.is_empty() && relay.len() <= 255 && relay.iter().all(u8::is_ascii_graphic)
}

impl Invitation {
    /// Whether the invitation has expired at Unix time `now`.
    pub fn is_expired(&self, now: u64) -> bool {
        now > self.expires_at
    }

    /// The binary form, checksum included.
    ///
    /// # Errors
    /// [`InvitationError::Relay`] for an invalid relay list.
    pub fn to_bytes(&self) -> Result<Vec<u8>, InvitationError> {
        if self.relays.is_empty() || self.relays.len() > MAX_RELAYS {
            return Err(InvitationError::Relay);
        }
        let mut out = Vec::with_capacity(200);
        out.put_u8(INVITATION_VERSION);
        out.put_u8(match self.kind {
            InvitationKind::OneTime => KIND_ONE_TIME,
            InvitationKind::Standing => KIND_STANDING,
        });
        out.put_u64(self.expires_at);
        out.put(self.deposit_id.as_bytes());
        out.put(self.credential.as_bytes());
        out.put(self.bundle_id.as_bytes());
        out.put(self.fingerprint.as_bytes());
        out.put(self.seal_key.as_bytes());
        out.put_u8(u8::try_from(self.relays.len()).map_err(|_| InvitationError::Relay)?);
        for relay in &self.relays {
            if !valid_relay(relay.as_bytes()) {
                return Err(InvitationError::Relay);
            }
            out.put_short_bytes(relay.as_bytes())
                .map_err(|_| InvitationError::Relay)?;
        }
        let sum = checksum(&out);
        out.put(&sum);
        Ok(out)
    }

    /// Decodes the binary form, checksum first.
    ///
    /// # Errors
    /// See [`InvitationError`]; never panics on arbitrary input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvitationError> {
        let body_len = bytes
            .len()
            .checked_sub(CHECKSUM_LEN)
            .ok_or(InvitationError::Malformed)?;
        let (body, sum) = bytes
            .split_at_checked(body_len)
            .ok_or(InvitationError::Malformed)?;
        if checksum(body) != sum {
            return Err(InvitationError::Checksum);
        }
        let m = |_| InvitationError::Malformed;
        let mut r = Reader::new(body);
        if r.u8().map_err(m)? != INVITATION_VERSION {
            return Err(InvitationError::Version);
        }
        let kind = match r.u8().map_err(m)? {
            KIND_ONE_TIME => InvitationKind::OneTime,
            KIND_STANDING => InvitationKind::Standing,
            _ => return Err(InvitationError::Kind),
        };
        let expires_at = r.u64().map_err(m)?;
        let deposit_id = Bytes(r.array().map_err(m)?);
        let credential = Bytes(r.array().map_err(m)?);
        let bundle_id = Bytes(r.array().map_err(m)?);
        let fingerprint = Fingerprint(r.array().map_err(m)?);
        let seal_key = X25519Public::from_bytes(r.array().map_err(m)?);
        let count = usize::from(r.u8().map_err(m)?);
        if count == 0 || count > MAX_RELAYS {
            return Err(InvitationError::Relay);
        }
        let mut relays = Vec::with_capacity(count);
        for _ in 0..count {
            let relay = r.short_bytes().map_err(m)?;
            if !valid_relay(relay) {
                return Err(InvitationError::Relay);
            }
            let relay = std::str::from_utf8(relay).map_err(|_| InvitationError::Relay)?;
            relays.push(relay.to_owned());
        }
        r.finish().map_err(m)?;
        Ok(Self {
            kind,
            expires_at,
            relays,
            deposit_id,
            credential,
            bundle_id,
            fingerprint,
            seal_key,
        })
    }

    /// The text code: [`INVITATION_PREFIX`] and base32, no separators (best for QR codes,
    /// whose alphanumeric mode covers exactly these characters).
    ///
    /// # Errors
    /// [`InvitationError::Relay`] for an invalid relay list.
    pub fn to_code(&self) -> Result<String, InvitationError> {
        Ok(format!(
            "{INVITATION_PREFIX}{}",
            BASE32_NOPAD.encode(&self.to_bytes()?)
        ))
    }

    /// The text code with a dash every [`GROUP_LEN`] characters, for reading aloud.
    ///
    /// # Errors
    /// [`InvitationError::Relay`] for an invalid relay list.
    pub fn to_grouped_code(&self) -> Result<String, InvitationError> {
        let body = BASE32_NOPAD.encode(&self.to_bytes()?);
        let groups: Vec<&str> = body
            .as_bytes()
            .chunks(GROUP_LEN)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        Ok(format!("{INVITATION_PREFIX}{}", groups.join("-")))
    }

    /// Decodes a text code, ignoring case, whitespace and dashes.
    ///
    /// # Errors
    /// See [`InvitationError`]; never panics on arbitrary input.
    pub fn from_code(code: &str) -> Result<Self, InvitationError> {
        let trimmed = code.trim();
        let prefix_len = INVITATION_PREFIX.len();
        let (prefix, rest) = trimmed
            .split_at_checked(prefix_len)
            .ok_or(InvitationError::Prefix)?;
        if !prefix.eq_ignore_ascii_case(INVITATION_PREFIX) {
            return Err(InvitationError::Prefix);
        }
        let cleaned: String = rest
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| InvitationError::Encoding)?;
        Self::from_bytes(&bytes)
    }
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invitation(..)")
    }
}
