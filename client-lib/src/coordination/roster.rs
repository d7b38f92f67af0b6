//! The roster: the organization's membership as a hash-chained log of signed epochs, and
//! the pure state machine ([`Roster::apply`]) that every member's client runs over it.
//!
//! An epoch lists the members (organization identity, role, alias chosen by the
//! coordinator), the registered referrers (key and alias), the organization's relays and
//! its retention policy. Epoch 0 (genesis) is signed by the founding coordinator, who is
//! a coordinator in it; epoch `n + 1` names the hash of epoch `n` as its parent and is
//! signed by a coordinator of epoch `n`. A [`Roster`] holds the latest epoch and the hash
//! of every earlier one, and refuses, with a [`RosterError`]:
//!
//! - an epoch whose signature does not verify (decoding already refuses it);
//! - one signed by a key that is not a coordinator of the held epoch;
//! - a fork: a different epoch with a number already held, or the next number on
//!   another parent;
//! - a rollback: an epoch older than the one held;
//! - a gap: an epoch more than one ahead (the caller fetches the missing ones first);
//! - an epoch that brings back a key removed earlier: a removed key stays refused.

use super::encoding::{
    self, DecodeError, Field, FieldError, Kind, Lines, check_text, put_header, put_text,
    read_count, read_header, read_key, read_signature, read_text, signed_bytes,
};
use super::ids::{EpochHash, OrgId};
use super::role::{self, Role};
use super::vouch::Tier;
use crate::primitives::ed25519::{Signature, VerifyingKey};
use crate::primitives::kdf;
use crate::protocol::codec::Writer;
use crate::protocol::identity::{Identity, PUBLIC_IDENTITY_LEN, PublicIdentity};
use crate::transport::RelayUrl;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use zeroize::Zeroize;

/// What a roster epoch's signature covers, before the epoch's bytes.
pub const ROSTER_SIGNATURE_LABEL: &[u8] = b"Corridor_v1_coordination_roster_epoch";
/// Prefix of the epoch hash input.
pub const EPOCH_HASH_LABEL: &[u8] = b"Corridor_v1_coordination_epoch_hash";
/// Most members in one epoch.
pub const MAX_MEMBERS: usize = 500;
/// Most registered referrers in one epoch.
pub const MAX_REFERRERS: usize = 200;
/// Most relays.
pub const MAX_RELAYS: usize = 8;
/// Longest member or referrer alias, in characters.
pub const MAX_MEMBER_ALIAS: usize = 64;
/// Longest relay URL, in characters.
pub const MAX_RELAY_URL: usize = 200;
/// Longest retention period for closed cases (ten years), in seconds.
pub const MAX_RETENTION: u64 = 3650 * 24 * 3600;
/// Longest encoded epoch.
pub const MAX_EPOCH_LEN: usize = 2
    + 16
    + 8
    + 32
    + 8
    + 8
    + 4
    + MAX_MEMBERS * (PUBLIC_IDENTITY_LEN + 1 + 4 + 4 * MAX_MEMBER_ALIAS)
    + 4
    + MAX_REFERRERS * (32 + 4 + 4 * MAX_MEMBER_ALIAS)
    + 4
    + MAX_RELAYS * (4 + 4 * MAX_RELAY_URL)
    + 32
    + 64;

/// Why a roster epoch or a roster change was refused. Carries no key, alias or relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// The epoch's bytes are malformed (see [`DecodeError`]); a signature that does not
    /// verify is [`RosterError::BadSignature`].
    #[error("malformed roster epoch: {0}")]
    Decode(DecodeError),
    /// A field is out of range.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The epoch's signature does not verify under the key it names (or is absent).
    #[error("the roster epoch's signature does not verify")]
    BadSignature,
    /// The epoch belongs to another organization, or the genesis is not the pinned one.
    #[error("the roster epoch belongs to another organization")]
    WrongOrganization,
    /// Offered as a genesis but numbered above 0 or naming a parent.
    #[error("not a genesis epoch")]
    NotGenesis,
    /// The signer is not a coordinator of the epoch it had to be signed under (the held
    /// epoch; for a genesis, itself).
    #[error("the roster epoch is not signed by a coordinator of the previous epoch")]
    SignerNotCoordinator,
    /// The signer was removed from the roster earlier.
    #[error("the roster epoch is signed by a removed member")]
    SignerRemoved,
    /// The epoch is older than the one held.
    #[error("roster rollback refused: epoch {offered} is older than the held epoch {held}")]
    RolledBack {
        /// The held epoch number.
        held: u64,
        /// The offered epoch number.
        offered: u64,
    },
    /// A different epoch with a number already held, or the next number on another parent.
    #[error("roster fork refused at epoch {number}")]
    Forked {
        /// The contested epoch number.
        number: u64,
    },
    /// The epoch is more than one ahead of the held one.
    #[error("roster gap: epoch {offered} cannot follow the held epoch {held}")]
    Gap {
        /// The held epoch number.
        held: u64,
        /// The offered epoch number.
        offered: u64,
    },
    /// The epoch is dated before its parent.
    #[error("the roster epoch is dated before its parent")]
    IssuedBeforeParent,
    /// The epoch lists a key that an earlier epoch removed.
    #[error("the roster epoch brings back a removed key")]
    RemovedKeyReadded,
    /// The epoch would have no coordinator.
    #[error("a roster needs at least one coordinator")]
    NoCoordinator,
    /// A key is listed twice (as two members, or as a member and a referrer).
    #[error("a key is listed twice on the roster")]
    DuplicateKey,
    /// Two members or referrers share an alias (compared ignoring case).
    #[error("two roster entries share an alias")]
    DuplicateAlias,
    /// A list is over its bound.
    #[error("too many {field} (at most {max})")]
    TooMany {
        /// Which list.
        field: Field,
        /// Its bound.
        max: usize,
    },
    /// The key is not on the roster.
    #[error("not a member of the organization")]
    NotMember,
    /// The key was on the roster and has been removed: it is refused from then on.
    #[error("the member has been removed from the organization")]
    Removed,
}

impl From<crate::protocol::codec::Truncated> for RosterError {
    fn from(_: crate::protocol::codec::Truncated) -> Self {
        Self::Decode(DecodeError::Truncated)
    }
}

impl From<DecodeError> for RosterError {
    fn from(err: DecodeError) -> Self {
        match err {
            DecodeError::BadSignature => Self::BadSignature,
            DecodeError::Field(field) => Self::Field(field),
            other => Self::Decode(other),
        }
    }
}

/// A member: organization identity, role, alias. `Debug` shows only the role.
#[derive(Clone, PartialEq, Eq)]
pub struct Member {
    identity: PublicIdentity,
    role: Role,
    alias: String,
}

impl Member {
    /// The member's organization identity.
    pub fn identity(&self) -> &PublicIdentity {
        &self.identity
    }
    /// The member's Ed25519 organization key (what signs their messages).
    pub fn key(&self) -> &VerifyingKey {
        self.identity.signing_key()
    }
    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// The alias the coordinator chose.
    pub fn alias(&self) -> &str {
        &self.alias
    }
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.alias.zeroize();
    }
}

/// A registered referrer: someone outside the organization (a field partner's desk) whose
/// pairwise key may sign partner and co vouches. `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Referrer {
    key: VerifyingKey,
    alias: String,
}

impl Referrer {
    /// The referrer's key (the pairwise identity it uses with this organization).
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }
    /// The alias the coordinator chose.
    pub fn alias(&self) -> &str {
        &self.alias
    }
}

impl fmt::Debug for Referrer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Referrer(..)")
    }
}

impl Drop for Referrer {
    fn drop(&mut self) {
        self.alias.zeroize();
    }
}

/// The contents of an epoch before it is signed: start from [`RosterDraft::genesis`] or
/// [`Roster::draft`], edit, then [`RosterDraft::sign`].
#[derive(Clone, PartialEq, Eq)]
pub struct RosterDraft {
    org: OrgId,
    number: u64,
    parent: EpochHash,
    retention_secs: u64,
    members: BTreeMap<[u8; 32], Member>,
    referrers: BTreeMap<[u8; 32], Referrer>,
    relays: Vec<RelayUrl>,
}

impl fmt::Debug for RosterDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterDraft")
            .field("number", &self.number)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

fn check_retention(secs: u64) -> Result<(), FieldError> {
    if secs > MAX_RETENTION {
        return Err(FieldError::Invalid {
            field: Field::Retention,
            expected: "a retention period of at most 3650 days",
        });
    }
    Ok(())
}

impl RosterDraft {
    /// The draft of a new organization's genesis: no members yet, no relays, closed cases
    /// kept `retention_secs` seconds.
    ///
    /// # Errors
    /// [`RosterError::Field`] if `retention_secs` is over [`MAX_RETENTION`].
    pub fn genesis(org: OrgId, retention_secs: u64) -> Result<Self, RosterError> {
        check_retention(retention_secs)?;
        Ok(Self {
            org,
            number: 0,
            parent: EpochHash([0; 32]),
            retention_secs,
            members: BTreeMap::new(),
            referrers: BTreeMap::new(),
            relays: Vec::new(),
        })
    }

    /// The epoch number this draft will have.
    pub fn number(&self) -> u64 {
        self.number
    }

    fn alias_taken(&self, alias: &str) -> bool {
        let wanted = alias.to_lowercase();
        self.members
            .values()
            .any(|m| m.alias.to_lowercase() == wanted)
            || self
                .referrers
                .values()
                .any(|r| r.alias.to_lowercase() == wanted)
    }

    fn key_taken(&self, key: &[u8; 32]) -> bool {
        self.members.contains_key(key) || self.referrers.contains_key(key)
    }

    /// Adds a member.
    ///
    /// # Errors
    /// [`RosterError::Field`] for a bad alias, [`RosterError::DuplicateKey`],
    /// [`RosterError::DuplicateAlias`], [`RosterError::TooMany`].
    pub fn add_member(
        &mut self,
        identity: PublicIdentity,
        role: Role,
        alias: &str,
    ) -> Result<(), RosterError> {
        check_text(Field::MemberAlias, alias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
        let alias = alias.trim();
        let key = identity.signing_key().to_bytes();
        if self.key_taken(&key) {
            return Err(RosterError::DuplicateKey);
        }
        if self.alias_taken(alias) {
            return Err(RosterError::DuplicateAlias);
        }
        if self.members.len() >= MAX_MEMBERS {
            return Err(RosterError::TooMany {
                field: Field::Members,
                max: MAX_MEMBERS,
            });
        }
        self.members.insert(
            key,
            Member {
                identity,
                role,
                alias: alias.to_owned(),
            },
        );
        Ok(())
    }

    /// Removes a member. Once the epoch is applied, the key is refused for good.
    ///
    /// # Errors
    /// [`RosterError::NotMember`] if the key is not a member.
    pub fn remove_member(&mut self, key: &VerifyingKey) -> Result<(), RosterError> {
        self.members
            .remove(key.as_bytes())
            .map(|_| ())
            .ok_or(RosterError::NotMember)
    }

    /// Changes a member's role.
    ///
    /// # Errors
    /// [`RosterError::NotMember`] if the key is not a member.
    pub fn set_role(&mut self, key: &VerifyingKey, role: Role) -> Result<(), RosterError> {
        let member = self
            .members
            .get_mut(key.as_bytes())
            .ok_or(RosterError::NotMember)?;
        member.role = role;
        Ok(())
    }

    /// Registers a referrer.
    ///
    /// # Errors
    /// As [`Self::add_member`].
    pub fn add_referrer(&mut self, key: VerifyingKey, alias: &str) -> Result<(), RosterError> {
        check_text(Field::MemberAlias, alias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
        let alias = alias.trim();
        if self.key_taken(key.as_bytes()) {
            return Err(RosterError::DuplicateKey);
        }
        if self.alias_taken(alias) {
            return Err(RosterError::DuplicateAlias);
        }
        if self.referrers.len() >= MAX_REFERRERS {
            return Err(RosterError::TooMany {
                field: Field::Referrers,
                max: MAX_REFERRERS,
            });
        }
        self.referrers.insert(
            key.to_bytes(),
            Referrer {
                key,
                alias: alias.to_owned(),
            },
        );
        Ok(())
    }

    /// Removes a registered referrer (refused for good once applied).
    ///
    /// # Errors
    /// [`RosterError::NotMember`] if the key is not a registered referrer.
    pub fn remove_referrer(&mut self, key: &VerifyingKey) -> Result<(), RosterError> {
        self.referrers
            .remove(key.as_bytes())
            .map(|_| ())
            .ok_or(RosterError::NotMember)
    }

    /// Sets the organization's relays, most preferred first.
    ///
    /// # Errors
    /// [`RosterError::TooMany`] over [`MAX_RELAYS`]; [`RosterError::Field`] for a URL over
    /// [`MAX_RELAY_URL`] characters or listed twice.
    pub fn set_relays(&mut self, relays: Vec<RelayUrl>) -> Result<(), RosterError> {
        if relays.len() > MAX_RELAYS {
            return Err(RosterError::TooMany {
                field: Field::Relays,
                max: MAX_RELAYS,
            });
        }
        for (i, relay) in relays.iter().enumerate() {
            if relay.as_str().chars().count() > MAX_RELAY_URL {
                return Err(FieldError::TooLong {
                    field: Field::Relays,
                    max: MAX_RELAY_URL,
                }
                .into());
            }
            if relays[..i].contains(relay) {
                return Err(FieldError::Invalid {
                    field: Field::Relays,
                    expected: "each relay once",
                }
                .into());
            }
        }
        self.relays = relays;
        Ok(())
    }

    /// Sets how long a closed case is kept before every device purges it.
    ///
    /// # Errors
    /// [`RosterError::Field`] over [`MAX_RETENTION`].
    pub fn set_retention(&mut self, secs: u64) -> Result<(), RosterError> {
        check_retention(secs)?;
        self.retention_secs = secs;
        Ok(())
    }

    fn has_coordinator(&self) -> bool {
        self.members.values().any(|m| m.role == Role::Coordinator)
    }

    fn body(&self, issued_at: u64, signer: &VerifyingKey) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        put_header(&mut out, Kind::RosterEpoch);
        out.put(&self.org.0);
        out.put_u64(self.number);
        out.put(&self.parent.0);
        out.put_u64(issued_at);
        out.put_u64(self.retention_secs);
        encoding::put_count(&mut out, self.members.len());
        for member in self.members.values() {
            out.put(&member.identity.encode());
            out.put_u8(member.role as u8);
            put_text(&mut out, &member.alias)?;
        }
        encoding::put_count(&mut out, self.referrers.len());
        for referrer in self.referrers.values() {
            out.put(referrer.key.as_bytes());
            put_text(&mut out, &referrer.alias)?;
        }
        encoding::put_count(&mut out, self.relays.len());
        for relay in &self.relays {
            put_text(&mut out, relay.as_str())?;
        }
        out.put(signer.as_bytes());
        Ok(out)
    }

    /// Signs the draft as an epoch dated `issued_at` (Unix seconds).
    ///
    /// # Errors
    /// [`RosterError::NoCoordinator`] if no member is a coordinator; for a genesis,
    /// [`RosterError::SignerNotCoordinator`] unless `signer` is a coordinator in it. (For
    /// a later epoch the signer's authority is checked by [`Roster::apply`].)
    pub fn sign(self, signer: &Identity, issued_at: u64) -> Result<RosterEpoch, RosterError> {
        if !self.has_coordinator() {
            return Err(RosterError::NoCoordinator);
        }
        let signer_key = *signer.public().signing_key();
        if self.number == 0
            && self
                .members
                .get(signer_key.as_bytes())
                .is_none_or(|m| m.role != Role::Coordinator)
        {
            return Err(RosterError::SignerNotCoordinator);
        }
        let body = self.body(issued_at, &signer_key)?;
        let signature = signer.sign(&signed_bytes(ROSTER_SIGNATURE_LABEL, &body));
        Ok(RosterEpoch::assemble(
            self, issued_at, signer_key, signature, body,
        ))
    }
}

/// A signed roster epoch whose signature has been checked (by its signer's key; whether
/// that signer had the authority is [`Roster::apply`]'s question).
#[derive(Clone, PartialEq, Eq)]
pub struct RosterEpoch {
    draft: RosterDraft,
    issued_at: u64,
    signer: VerifyingKey,
    signature: Signature,
    hash: EpochHash,
}

impl fmt::Debug for RosterEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterEpoch")
            .field("number", &self.draft.number)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl RosterEpoch {
    fn assemble(
        draft: RosterDraft,
        issued_at: u64,
        signer: VerifyingKey,
        signature: Signature,
        mut body: Vec<u8>,
    ) -> Self {
        body.put(&signature.to_bytes());
        let hash = EpochHash(kdf::sha256_parts(&[EPOCH_HASH_LABEL, &body]));
        Self {
            draft,
            issued_at,
            signer,
            signature,
            hash,
        }
    }

    /// The organization.
    pub fn org(&self) -> OrgId {
        self.draft.org
    }
    /// The epoch number (genesis is 0).
    pub fn number(&self) -> u64 {
        self.draft.number
    }
    /// The parent epoch's hash (all zero for genesis).
    pub fn parent(&self) -> EpochHash {
        self.draft.parent
    }
    /// This epoch's hash.
    pub fn hash(&self) -> EpochHash {
        self.hash
    }
    /// When it was signed (Unix seconds, the signer's clock).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// Who signed it.
    pub fn signer(&self) -> &VerifyingKey {
        &self.signer
    }
    /// How long closed cases are kept, in seconds.
    pub fn retention_secs(&self) -> u64 {
        self.draft.retention_secs
    }
    /// The members, ordered by key.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.draft.members.values()
    }
    /// The member with organization key `key`.
    pub fn member(&self, key: &VerifyingKey) -> Option<&Member> {
        self.draft.members.get(key.as_bytes())
    }
    /// The registered referrers, ordered by key.
    pub fn referrers(&self) -> impl Iterator<Item = &Referrer> {
        self.draft.referrers.values()
    }
    /// The registered referrer with key `key`.
    pub fn referrer(&self, key: &VerifyingKey) -> Option<&Referrer> {
        self.draft.referrers.get(key.as_bytes())
    }
    /// The organization's relays, most preferred first.
    pub fn relays(&self) -> &[RelayUrl] {
        &self.draft.relays
    }

    fn keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.draft.members.keys().chain(self.draft.referrers.keys())
    }

    /// The encoding (`docs/coordination.md`, "Roster epoch").
    ///
    /// # Errors
    /// None in practice (every field is within its bound).
    pub fn encode(&self) -> Result<Vec<u8>, RosterError> {
        let mut out = self.draft.body(self.issued_at, &self.signer)?;
        out.put(&self.signature.to_bytes());
        Ok(out)
    }

    /// Decodes an epoch and verifies its signature and its internal rules (canonical
    /// order, unique keys and aliases, at least one coordinator, bounds).
    ///
    /// # Errors
    /// [`RosterError::Decode`] for malformed bytes, [`RosterError::BadSignature`], or the
    /// rule the contents break.
    pub fn decode(bytes: &[u8]) -> Result<Self, RosterError> {
        let mut r = read_header(bytes, Kind::RosterEpoch, MAX_EPOCH_LEN)?;
        let org = OrgId(r.array()?);
        let number = r.u64()?;
        let parent = EpochHash(r.array()?);
        let issued_at = r.u64()?;
        let retention_secs = r.u64()?;
        let mut draft = RosterDraft {
            org,
            number,
            parent,
            retention_secs,
            members: BTreeMap::new(),
            referrers: BTreeMap::new(),
            relays: Vec::new(),
        };
        check_retention(retention_secs)?;
        let count = read_count(&mut r, Field::Members, MAX_MEMBERS)?;
        let mut last: Option<[u8; 32]> = None;
        for _ in 0..count {
            let identity = PublicIdentity::decode(r.take(PUBLIC_IDENTITY_LEN)?)
                .map_err(|_| DecodeError::BadKey)?;
            let role = Role::from_byte(r.u8()?)?;
            let alias = read_text(&mut r, Field::MemberAlias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
            let key = identity.signing_key().to_bytes();
            if last.is_some_and(|prev| prev >= key) || alias.trim() != alias {
                return Err(DecodeError::NotCanonical(Field::Members).into());
            }
            last = Some(key);
            draft.add_member(identity, role, &alias)?;
        }
        let count = read_count(&mut r, Field::Referrers, MAX_REFERRERS)?;
        let mut last: Option<[u8; 32]> = None;
        for _ in 0..count {
            let key = read_key(&mut r)?;
            let alias = read_text(&mut r, Field::MemberAlias, 1, MAX_MEMBER_ALIAS, Lines::One)?;
            if last.is_some_and(|prev| prev >= key.to_bytes()) || alias.trim() != alias {
                return Err(DecodeError::NotCanonical(Field::Referrers).into());
            }
            last = Some(key.to_bytes());
            draft.add_referrer(key, &alias)?;
        }
        let count = read_count(&mut r, Field::Relays, MAX_RELAYS)?;
        let mut relays = Vec::with_capacity(count);
        for _ in 0..count {
            let text = read_text(&mut r, Field::Relays, 1, MAX_RELAY_URL, Lines::One)?;
            let relay = RelayUrl::parse(&text).map_err(|_| FieldError::Invalid {
                field: Field::Relays,
                expected: "https:// relay URLs (http:// only for loopback or .onion)",
            })?;
            if relay.as_str() != text {
                return Err(DecodeError::NotCanonical(Field::Relays).into());
            }
            relays.push(relay);
        }
        draft.set_relays(relays)?;
        let signer = read_key(&mut r)?;
        let body_len = bytes.len() - r.remaining();
        let signature = read_signature(&mut r)?;
        r.finish()?;
        signer
            .verify(
                &signed_bytes(ROSTER_SIGNATURE_LABEL, &bytes[..body_len]),
                &signature,
            )
            .map_err(|_| RosterError::BadSignature)?;
        if !draft.has_coordinator() {
            return Err(RosterError::NoCoordinator);
        }
        Ok(Self::assemble(
            draft,
            issued_at,
            signer,
            signature,
            bytes[..body_len].to_vec(),
        ))
    }
}

/// What [`Roster::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RosterChange {
    /// The epoch is the one already held: nothing changed.
    AlreadyHeld,
    /// The roster advanced to a new epoch.
    Advanced {
        /// The new epoch number.
        number: u64,
        /// Keys (members and referrers) new in this epoch.
        added: Vec<VerifyingKey>,
        /// Keys no longer listed: refused from now on, and to receive nothing more.
        removed: Vec<VerifyingKey>,
    },
}

/// The roster as one member's client holds it: the latest epoch, the hash of every
/// earlier one, and every key ever removed.
#[derive(Clone)]
pub struct Roster {
    current: RosterEpoch,
    history: Vec<EpochHash>,
    removed: BTreeSet<[u8; 32]>,
}

impl fmt::Debug for Roster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roster")
            .field("number", &self.current.number())
            .finish_non_exhaustive()
    }
}

impl Roster {
    /// Starts from a genesis epoch.
    ///
    /// # Errors
    /// [`RosterError::NotGenesis`] unless numbered 0 with an all-zero parent;
    /// [`RosterError::SignerNotCoordinator`] unless signed by a coordinator it lists.
    pub fn from_genesis(genesis: RosterEpoch) -> Result<Self, RosterError> {
        if genesis.number() != 0 || genesis.parent() != EpochHash([0; 32]) {
            return Err(RosterError::NotGenesis);
        }
        if genesis
            .member(&genesis.signer)
            .is_none_or(|m| m.role != Role::Coordinator)
        {
            return Err(RosterError::SignerNotCoordinator);
        }
        Ok(Self {
            history: vec![genesis.hash()],
            current: genesis,
            removed: BTreeSet::new(),
        })
    }

    /// As [`Self::from_genesis`], and the genesis must hash to `pinned` (the hash an
    /// invitation into the organization carries).
    ///
    /// # Errors
    /// [`RosterError::WrongOrganization`] if it does not; otherwise as
    /// [`Self::from_genesis`].
    pub fn from_pinned_genesis(
        genesis: RosterEpoch,
        pinned: &EpochHash,
    ) -> Result<Self, RosterError> {
        if genesis.hash() != *pinned {
            return Err(RosterError::WrongOrganization);
        }
        Self::from_genesis(genesis)
    }

    /// Replays a whole chain, genesis first (how a stored roster is reloaded).
    ///
    /// # Errors
    /// [`RosterError::NotGenesis`] for an empty chain; otherwise the first refusal.
    pub fn from_chain(chain: &[RosterEpoch]) -> Result<Self, RosterError> {
        let (genesis, rest) = chain.split_first().ok_or(RosterError::NotGenesis)?;
        let mut roster = Self::from_genesis(genesis.clone())?;
        for epoch in rest {
            roster.apply(epoch.clone())?;
        }
        Ok(roster)
    }

    /// Applies the next epoch. On any error the roster is unchanged.
    ///
    /// # Errors
    /// See the [module docs](self): [`RosterError::WrongOrganization`],
    /// [`RosterError::RolledBack`], [`RosterError::Forked`], [`RosterError::Gap`],
    /// [`RosterError::SignerRemoved`], [`RosterError::SignerNotCoordinator`],
    /// [`RosterError::IssuedBeforeParent`], [`RosterError::RemovedKeyReadded`].
    pub fn apply(&mut self, epoch: RosterEpoch) -> Result<RosterChange, RosterError> {
        if epoch.org() != self.org() {
            return Err(RosterError::WrongOrganization);
        }
        let held = self.current.number();
        let offered = epoch.number();
        if offered <= held {
            let index =
                usize::try_from(offered).map_err(|_| RosterError::Forked { number: offered })?;
            return match self.history.get(index) {
                Some(hash) if *hash == epoch.hash() && offered == held => {
                    Ok(RosterChange::AlreadyHeld)
                }
                Some(hash) if *hash == epoch.hash() => {
                    Err(RosterError::RolledBack { held, offered })
                }
                _ => Err(RosterError::Forked { number: offered }),
            };
        }
        if offered > held.saturating_add(1) {
            return Err(RosterError::Gap { held, offered });
        }
        if epoch.parent() != self.current.hash() {
            return Err(RosterError::Forked { number: offered });
        }
        if self.removed.contains(epoch.signer.as_bytes()) {
            return Err(RosterError::SignerRemoved);
        }
        if self
            .current
            .member(&epoch.signer)
            .is_none_or(|m| m.role != Role::Coordinator)
        {
            return Err(RosterError::SignerNotCoordinator);
        }
        if epoch.issued_at() < self.current.issued_at() {
            return Err(RosterError::IssuedBeforeParent);
        }
        if epoch.keys().any(|key| self.removed.contains(key)) {
            return Err(RosterError::RemovedKeyReadded);
        }
        let new_keys: BTreeSet<&[u8; 32]> = epoch.keys().collect();
        let old_keys: BTreeSet<&[u8; 32]> = self.current.keys().collect();
        let to_key = |bytes: &&[u8; 32]| VerifyingKey::from_bytes(bytes).ok();
        let added: Vec<VerifyingKey> = new_keys.difference(&old_keys).filter_map(to_key).collect();
        let removed: Vec<VerifyingKey> =
            old_keys.difference(&new_keys).filter_map(to_key).collect();
        self.removed
            .extend(removed.iter().map(VerifyingKey::to_bytes));
        self.history.push(epoch.hash());
        self.current = epoch;
        Ok(RosterChange::Advanced {
            number: offered,
            added,
            removed,
        })
    }

    /// A draft of the next epoch: this epoch's contents, numbered one higher, naming this
    /// epoch as parent.
    pub fn draft(&self) -> RosterDraft {
        let mut draft = self.current.draft.clone();
        draft.number = self.current.number().saturating_add(1);
        draft.parent = self.current.hash();
        draft
    }

    /// The latest epoch.
    pub fn current(&self) -> &RosterEpoch {
        &self.current
    }
    /// The organization.
    pub fn org(&self) -> OrgId {
        self.current.org()
    }
    /// The latest epoch's number.
    pub fn number(&self) -> u64 {
        self.current.number()
    }
    /// The latest epoch's hash.
    pub fn hash(&self) -> EpochHash {
        self.current.hash()
    }
    /// The genesis hash: the organization's fingerprint.
    pub fn genesis_hash(&self) -> EpochHash {
        self.history.first().copied().unwrap_or(self.current.hash())
    }
    /// The hash of epoch `number`, if held.
    pub fn epoch_hash(&self, number: u64) -> Option<EpochHash> {
        usize::try_from(number)
            .ok()
            .and_then(|i| self.history.get(i).copied())
    }
    /// How long closed cases are kept, in seconds.
    pub fn retention_secs(&self) -> u64 {
        self.current.retention_secs()
    }
    /// The organization's relays: the only relays members' clients contact for it.
    pub fn relays(&self) -> &[RelayUrl] {
        self.current.relays()
    }
    /// Whether `key` was removed in some epoch.
    pub fn is_removed(&self, key: &VerifyingKey) -> bool {
        self.removed.contains(key.as_bytes())
    }

    /// The current member with key `key`.
    ///
    /// # Errors
    /// [`RosterError::Removed`] for a removed key, [`RosterError::NotMember`] for a key
    /// never listed as a member.
    pub fn member(&self, key: &VerifyingKey) -> Result<&Member, RosterError> {
        if self.is_removed(key) {
            return Err(RosterError::Removed);
        }
        self.current.member(key).ok_or(RosterError::NotMember)
    }

    /// The role of the current member with key `key`.
    ///
    /// # Errors
    /// As [`Self::member`].
    pub fn role_of(&self, key: &VerifyingKey) -> Result<Role, RosterError> {
        self.member(key).map(Member::role)
    }

    /// The current coordinators' keys.
    pub fn coordinators(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.current
            .members()
            .filter(|m| m.role == Role::Coordinator)
            .map(Member::key)
    }

    /// Whether `key` may sign a vouch of `tier` about a requester now: a current member
    /// whose role may vouch ([`role::member_may_vouch`]), or a registered referrer at a
    /// tier referrers may vouch at ([`role::referrer_may_vouch`]).
    pub fn may_vouch(&self, key: &VerifyingKey, tier: Tier) -> bool {
        if self.is_removed(key) {
            return false;
        }
        if let Some(member) = self.current.member(key) {
            return role::member_may_vouch(member.role, tier);
        }
        self.current.referrer(key).is_some() && role::referrer_may_vouch(tier)
    }
}
