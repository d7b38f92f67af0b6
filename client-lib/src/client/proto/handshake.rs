//! Identities, prekeys, the hybrid X3DH and the sealed initial envelope, from
//! [`crate::protocol`], over the records' bytes.

use super::super::payload::MailboxAddress;
use super::super::records::{PendingInitial, SecretBytes};
use super::super::{ClientError, Result, SafetyNumberView};
use super::{NotOpened, save_session};
use crate::primitives::Secret;
use crate::primitives::mlkem::KemPublic;
use crate::primitives::random::OsRng;
use crate::primitives::x25519::{X25519Public, X25519Secret};
use crate::protocol::bundle::{BundleKey, PrekeyRef, PrekeySet, VerifiedBundle};
use crate::protocol::handshake::{self, InitialHeader};
use crate::protocol::identity::{self, Identity, PublicIdentity};
use crate::protocol::invitation::{Invitation, InvitationKind};
use crate::protocol::ratchet::Session;
use corridor_wire::api::{Bundle, FetchBundleResponse};

pub(crate) use crate::protocol::handshake::INITIAL_INNER_LEN;

/// The profile's identity and the key its pickles are sealed under. Both live in the
/// encrypted store; the pickle key adds a second layer, so a pickle copied out of a
/// record alone is useless.
pub(crate) struct Keys {
    pub(crate) identity: Identity,
    pub(crate) pickle_key: Secret<32>,
}

impl Keys {
    pub(crate) fn load(identity: &SecretBytes, pickle_key: &SecretBytes) -> Result<Self> {
        let pickle_key =
            Secret::try_from_slice(pickle_key.expose()).map_err(|_| ClientError::Storage)?;
        let identity =
            Identity::unpickle(&pickle_key, identity.expose()).map_err(|_| ClientError::Storage)?;
        Ok(Self {
            identity,
            pickle_key,
        })
    }
}

/// A fresh identity and pickle key, as (identity pickle, pickle key).
pub(crate) fn new_identity() -> Result<(SecretBytes, SecretBytes)> {
    let pickle_key = Secret::<32>::random(&mut OsRng).map_err(|_| ClientError::Crypto)?;
    let identity = Identity::generate(&mut OsRng).map_err(|_| ClientError::Crypto)?;
    let pickled = identity
        .pickle(&pickle_key, &mut OsRng)
        .map_err(|_| ClientError::Crypto)?;
    Ok((
        SecretBytes::new(pickled),
        SecretBytes::new(pickle_key.expose().to_vec()),
    ))
}

/// A fresh identity for one relationship, pickled under the profile's pickle key.
pub(crate) fn new_relationship_identity(pickle_key: &SecretBytes) -> Result<SecretBytes> {
    let pickle_key =
        Secret::<32>::try_from_slice(pickle_key.expose()).map_err(|_| ClientError::Storage)?;
    let identity = Identity::generate(&mut OsRng).map_err(|_| ClientError::Crypto)?;
    identity
        .pickle(&pickle_key, &mut OsRng)
        .map(SecretBytes::new)
        .map_err(|_| ClientError::Crypto)
}

pub(crate) use crate::protocol::identity::Fingerprint;

/// The fingerprint in its display form.
pub(crate) fn fingerprint(keys: &Keys) -> String {
    keys.identity.fingerprint().to_string()
}

/// The fingerprint, for an invitation.
pub(crate) fn fingerprint_of(keys: &Keys) -> Fingerprint {
    keys.identity.fingerprint()
}

pub(crate) fn safety_number(keys: &Keys, peer: &[u8]) -> Result<SafetyNumberView> {
    let peer = PublicIdentity::decode(peer).map_err(|_| ClientError::Storage)?;
    let number = identity::safety_number(&keys.identity.public(), &peer);
    Ok(SafetyNumberView {
        digits: number.grouped(),
        compact: number.compact().to_owned(),
    })
}

/// The key an invitation's bundle is encrypted under (see [`BundleKey`]).
fn bundle_key(seal_key: &[u8; 32], bundle_id: &corridor_wire::api::BundleId) -> Result<BundleKey> {
    BundleKey::derive(&X25519Public::from_bytes(*seal_key), &bundle_id.0)
        .map_err(|_| ClientError::Crypto)
}

/// Prekeys to publish: the bundle (encrypted under the key derived from the invitation's
/// seal key and bundle id), the secrets' pickle, and the ids of the one-time prekeys the
/// bundle carries.
pub(crate) struct Prekeys {
    pub(crate) bundle: Bundle,
    pub(crate) pickle: SecretBytes,
    pub(crate) one_time: Vec<u32>,
}

/// Fresh prekeys for one invitation.
pub(crate) fn new_prekeys(
    keys: &Keys,
    one_time: usize,
    seal_key: &[u8; 32],
    bundle_id: &corridor_wire::api::BundleId,
) -> Result<Prekeys> {
    let mut set = PrekeySet::generate(0, &mut OsRng).map_err(|_| ClientError::Crypto)?;
    let ids = set
        .add_one_time(one_time, &mut OsRng)
        .map_err(|_| ClientError::Crypto)?;
    let bundle = set
        .bundle(
            &keys.identity,
            &bundle_key(seal_key, bundle_id)?,
            &mut OsRng,
        )
        .map_err(|_| ClientError::Crypto)?;
    let pickled = set
        .pickle(&keys.pickle_key, &mut OsRng)
        .map_err(|_| ClientError::Crypto)?;
    Ok(Prekeys {
        bundle,
        pickle: SecretBytes::new(pickled),
        one_time: ids,
    })
}

/// Renews a standing invitation's prekeys: optionally rotates the signed, ML-KEM and
/// last-resort prekeys (the replaced ones stay, for handshakes begun against the older
/// bundle, until [`forget_prekeys`] with `previous`) and adds `fresh` one-time prekeys. Returns the new pickle and the new one-time ids.
pub(crate) fn renew_prekeys(
    keys: &Keys,
    prekeys: &SecretBytes,
    rotate: bool,
    fresh: usize,
) -> Result<(SecretBytes, Vec<u32>)> {
    let mut set = PrekeySet::unpickle(&keys.pickle_key, prekeys.expose())
        .map_err(|_| ClientError::Storage)?;
    if rotate {
        set.rotate(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        set.rotate_last_resort(&mut OsRng)
            .map_err(|_| ClientError::Crypto)?;
    }
    let ids = set
        .add_one_time(fresh, &mut OsRng)
        .map_err(|_| ClientError::Crypto)?;
    let pickled = set
        .pickle(&keys.pickle_key, &mut OsRng)
        .map_err(|_| ClientError::Crypto)?;
    Ok((SecretBytes::new(pickled), ids))
}

/// The bundle to publish for a pickled set, without the one-time prekeys in `hidden`:
/// those stay in the local set (an initiator may hold one already) but are never handed
/// out again.
pub(crate) fn bundle_without(
    keys: &Keys,
    prekeys: &SecretBytes,
    hidden: &[u32],
    seal_secret: &SecretBytes,
    bundle_id: &corridor_wire::api::BundleId,
) -> Result<Bundle> {
    let mut published = PrekeySet::unpickle(&keys.pickle_key, prekeys.expose())
        .map_err(|_| ClientError::Storage)?;
    for id in hidden {
        published.consume(PrekeyRef::OneTime(*id));
    }
    published
        .bundle(
            &keys.identity,
            &bundle_key(&seal_public(seal_secret)?, bundle_id)?,
            &mut OsRng,
        )
        .map_err(|_| ClientError::Crypto)
}

/// Deletes one-time prekeys (and, with `previous`, the signed and ML-KEM prekeys replaced
/// by the last rotation) from a pickled set.
pub(crate) fn forget_prekeys(
    keys: &Keys,
    prekeys: &SecretBytes,
    one_time: &[u32],
    previous: bool,
) -> Result<SecretBytes> {
    let mut set = PrekeySet::unpickle(&keys.pickle_key, prekeys.expose())
        .map_err(|_| ClientError::Storage)?;
    for id in one_time {
        set.consume(PrekeyRef::OneTime(*id));
    }
    if previous {
        set.forget_previous();
    }
    set.pickle(&keys.pickle_key, &mut OsRng)
        .map(SecretBytes::new)
        .map_err(|_| ClientError::Crypto)
}

/// The public half of an invitation's seal key.
fn seal_public(seal_secret: &SecretBytes) -> Result<[u8; 32]> {
    let secret =
        Secret::<32>::try_from_slice(seal_secret.expose()).map_err(|_| ClientError::Storage)?;
    Ok(X25519Secret::from_secret(&secret).public().to_bytes())
}

/// A fresh invitation seal key pair, as (secret, public).
pub(crate) fn new_seal_key() -> Result<(SecretBytes, [u8; 32])> {
    let secret = X25519Secret::generate(&mut OsRng).map_err(|_| ClientError::Crypto)?;
    let public = secret.public().to_bytes();
    Ok((
        SecretBytes::new(secret.to_secret().expose().to_vec()),
        public,
    ))
}

/// The initiator's side of the handshake, from a fetched bundle.
pub(crate) struct Initiated {
    pub(crate) session: SecretBytes,
    pub(crate) header: Vec<u8>,
    pub(crate) peer_identity: Vec<u8>,
    /// The bundle's verified ML-KEM-768 prekey, for [`PendingInitial::kem_prekey`].
    pub(crate) kem_prekey: Vec<u8>,
}

pub(crate) fn initiate(
    keys: &Keys,
    fetched: &FetchBundleResponse,
    expected: &Fingerprint,
    seal_key: &[u8; 32],
    bundle_id: &corridor_wire::api::BundleId,
) -> Result<Initiated> {
    let bundle = VerifiedBundle::from_fetch(fetched, expected, &bundle_key(seal_key, bundle_id)?)
        .map_err(|_| ClientError::BundleMismatch)?;
    let initiation = handshake::initiate(&keys.identity, &bundle, &mut OsRng)
        .map_err(|_| ClientError::BundleMismatch)?;
    let session = Session::initiator(
        &initiation.output.shared,
        &initiation.output.associated_data,
        initiation.remote_ratchet,
        &mut OsRng,
    )
    .map_err(|_| ClientError::Crypto)?;
    Ok(Initiated {
        session: save_session(&keys.pickle_key, &session)?,
        header: initiation.header.encode(),
        peer_identity: initiation.output.peer.encode().to_vec(),
        kem_prekey: initiation.kem_prekey.to_bytes().to_vec(),
    })
}

/// Seals one inner ratchet message as an initial envelope to the intake mailbox.
pub(crate) fn seal_initial(pending: &PendingInitial, inner: &[u8]) -> Result<Vec<u8>> {
    let header =
        InitialHeader::decode(pending.header.as_bytes()).map_err(|_| ClientError::Storage)?;
    let seal = X25519Public::from_bytes(pending.seal_key);
    let kem =
        KemPublic::from_bytes(pending.kem_prekey.as_bytes()).map_err(|_| ClientError::Storage)?;
    handshake::seal_initial(&seal, &kem, &header, inner, &mut OsRng)
        .map(|e| e.to_vec())
        .map_err(|_| ClientError::Crypto)
}

/// An opened initial envelope.
pub(crate) struct Initial {
    /// The initiator's handshake ephemeral key: repeats carry the same one.
    pub(crate) ephemeral: [u8; 32],
    pub(crate) inner: Vec<u8>,
    header: InitialHeader,
}

/// Opens an initial envelope with the invitation's seal secret and the ML-KEM prekey
/// secrets of its prekey set (`prekeys`, the pickle; current and previous).
pub(crate) fn open_initial(
    pickle_key: &Secret<32>,
    seal_secret: &SecretBytes,
    prekeys: &SecretBytes,
    envelope: &[u8],
) -> std::result::Result<Initial, NotOpened> {
    let secret = Secret::<32>::try_from_slice(seal_secret.expose()).map_err(|_| NotOpened)?;
    let set = PrekeySet::unpickle(pickle_key, prekeys.expose()).map_err(|_| NotOpened)?;
    let opened = handshake::open_initial(
        &X25519Secret::from_secret(&secret),
        &set.kem_secrets(),
        envelope,
    )
    .map_err(|_| NotOpened)?;
    Ok(Initial {
        ephemeral: opened.header.ephemeral().to_bytes(),
        inner: opened.inner.to_vec(),
        header: opened.header,
    })
}

/// The responder's side: the session, the initiator's identity, and the prekeys with
/// the used one-time prekey removed (to be saved only once the first message opened).
pub(crate) struct Responded {
    pub(crate) session: SecretBytes,
    pub(crate) peer_identity: Vec<u8>,
    pub(crate) prekeys: SecretBytes,
    /// The one-time prekey the handshake used (now deleted), if not the last-resort one.
    pub(crate) one_time: Option<u32>,
}

pub(crate) fn respond(
    keys: &Keys,
    prekeys: &SecretBytes,
    initial: &Initial,
) -> std::result::Result<Responded, NotOpened> {
    let mut set = PrekeySet::unpickle(&keys.pickle_key, prekeys.expose()).map_err(|_| NotOpened)?;
    let response =
        handshake::respond(&keys.identity, &set, &initial.header).map_err(|_| NotOpened)?;
    let session = Session::responder(
        &response.output.shared,
        &response.output.associated_data,
        response.own_ratchet,
    )
    .map_err(|_| NotOpened)?;
    set.consume(response.prekey);
    let one_time = match response.prekey {
        PrekeyRef::OneTime(id) => Some(id),
        PrekeyRef::LastResort(_) => None,
    };
    let pickled = set
        .pickle(&keys.pickle_key, &mut OsRng)
        .map_err(|_| NotOpened)?;
    Ok(Responded {
        session: save_session(&keys.pickle_key, &session).map_err(|_| NotOpened)?,
        peer_identity: response.output.peer.encode().to_vec(),
        prekeys: SecretBytes::new(pickled),
        one_time,
    })
}

/// What an invitation code carries, in the façade's terms.
pub(crate) struct InvitationFields {
    pub(crate) relay: String,
    pub(crate) intake: MailboxAddress,
    pub(crate) bundle_id: corridor_wire::api::BundleId,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) seal_key: [u8; 32],
    pub(crate) expires_at: u64,
    pub(crate) standing: bool,
}

pub(crate) fn encode_invitation(fields: &InvitationFields) -> Result<String> {
    Invitation {
        kind: if fields.standing {
            InvitationKind::Standing
        } else {
            InvitationKind::OneTime
        },
        expires_at: fields.expires_at,
        relays: vec![fields.relay.clone()],
        deposit_id: fields.intake.deposit_id,
        credential: fields.intake.credential,
        bundle_id: fields.bundle_id,
        fingerprint: fields.fingerprint,
        seal_key: X25519Public::from_bytes(fields.seal_key),
    }
    .to_code()
    .map_err(|_| ClientError::InvalidRelay)
}

pub(crate) fn decode_invitation(code: &str) -> Result<InvitationFields> {
    let invitation = Invitation::from_code(code).map_err(|_| ClientError::InvalidInvitation)?;
    let relay = invitation
        .relays
        .first()
        .ok_or(ClientError::InvalidInvitation)?
        .clone();
    Ok(InvitationFields {
        intake: MailboxAddress {
            relay: relay.clone(),
            deposit_id: invitation.deposit_id,
            credential: invitation.credential,
        },
        relay,
        bundle_id: invitation.bundle_id,
        fingerprint: invitation.fingerprint,
        seal_key: invitation.seal_key.to_bytes(),
        expires_at: invitation.expires_at,
        standing: invitation.kind == InvitationKind::Standing,
    })
}
