//! Placeholder until the protocol layer's handshake lands.

use super::super::payload::MailboxAddress;
use super::super::records::{PendingInitial, SecretBytes};
use super::super::{ClientError, Result, SafetyNumberView};
use super::NotOpened;
use corridor_wire::api::{Bundle, BundleId, FetchBundleResponse};

pub(crate) const INITIAL_INNER_LEN: usize = 2048;

pub(crate) struct InvitationFields {
    pub(crate) relay: String,
    pub(crate) intake: MailboxAddress,
    pub(crate) bundle_id: BundleId,
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) seal_key: [u8; 32],
    pub(crate) expires_at: u64,
    pub(crate) standing: bool,
}

pub(crate) struct Initial {
    pub(crate) ephemeral: [u8; 32],
    pub(crate) inner: Vec<u8>,
}

pub(crate) struct Initiated {
    pub(crate) session: SecretBytes,
    pub(crate) header: Vec<u8>,
    pub(crate) peer_identity: Vec<u8>,
}

pub(crate) struct Responded {
    pub(crate) session: SecretBytes,
    pub(crate) peer_identity: Vec<u8>,
    pub(crate) prekeys: SecretBytes,
}

pub(crate) fn new_identity() -> Result<SecretBytes> {
    Err(ClientError::Internal)
}
pub(crate) fn fingerprint(_identity: &SecretBytes) -> Result<String> {
    Err(ClientError::Internal)
}
pub(crate) fn fingerprint_bytes(_identity: &SecretBytes) -> Result<Vec<u8>> {
    Err(ClientError::Internal)
}
pub(crate) fn safety_number(_identity: &SecretBytes, _peer: &[u8]) -> Result<SafetyNumberView> {
    Err(ClientError::Internal)
}
pub(crate) fn new_prekeys(
    _identity: &SecretBytes,
    _one_time: usize,
) -> Result<(Bundle, SecretBytes)> {
    Err(ClientError::Internal)
}
pub(crate) fn new_seal_key() -> Result<(SecretBytes, [u8; 32])> {
    Err(ClientError::Internal)
}
pub(crate) fn encode_invitation(_fields: &InvitationFields) -> Result<String> {
    Err(ClientError::Internal)
}
pub(crate) fn decode_invitation(_code: &str) -> Result<InvitationFields> {
    Err(ClientError::InvalidInvitation)
}
pub(crate) fn initiate(
    _identity: &SecretBytes,
    _fetched: &FetchBundleResponse,
    _fields: &InvitationFields,
) -> Result<Initiated> {
    Err(ClientError::Internal)
}
pub(crate) fn seal_initial(_pending: &PendingInitial, _inner: &[u8]) -> Result<Vec<u8>> {
    Err(ClientError::Internal)
}
pub(crate) fn open_initial(
    _seal_secret: &SecretBytes,
    _envelope: &[u8],
) -> std::result::Result<Initial, NotOpened> {
    Err(NotOpened)
}
pub(crate) fn respond(
    _identity: &SecretBytes,
    _prekeys: &SecretBytes,
    _initial: &Initial,
) -> std::result::Result<Responded, NotOpened> {
    Err(NotOpened)
}
