//! Invitations: issuing one (the inviter) and accepting one (the initiator).
//!
//! The inviter opens an intake mailbox and publishes a prekey bundle of its own for each
//! invitation; the code carries where they are, the inviter's fingerprint and the
//! invitation's seal key. The initiator fetches the bundle (consuming a one-time prekey),
//! checks it against the fingerprint, runs the hybrid X3DH, starts the ratchet, and sends
//! its reply mailbox inside the ratchet, sealed to the intake mailbox. The inviter's side
//! of the handshake happens in `sync` (`sync.rs`).

use super::db::Tree;
use super::net::canon;
use super::payload::{MailboxAddress, Payload};
use super::proto::{self, InvitationFields};
use super::records::{
    AcceptedTag, ContactRecord, InvitationRecord, PendingInitial, PrekeySchedule, SecretBytes,
};
use super::{
    Client, ClientError, ContactSummary, IdentityChoice, InvitationKind, InvitationSummary, Result,
    check_label, coarse,
};
use crate::primitives::Secret;
use crate::primitives::random::{self, OsRng};
use corridor_wire::b64::Bytes;

/// One-time prekeys published with a one-time invitation: one is consumed per bundle
/// fetch, and an accept that failed half-way may fetch again.
const ONE_TIME_PREKEYS_SINGLE: usize = 4;
/// One-time prekeys published with a standing invitation; past them, the signed
/// last-resort prekey answers.
pub(crate) const ONE_TIME_PREKEYS_STANDING: usize = 20;
/// Domain label of an [`AcceptedTag`].
const ACCEPTED_TAG_LABEL: &[u8] = b"Corridor_v1_accepted_invitation";
/// The longest an invitation may stay valid: 90 days.
pub const MAX_INVITATION_SECS: u64 = 90 * 24 * 3600;

fn accepted_tag(salt: &[u8; 16], bundle_id: &corridor_wire::api::BundleId) -> [u8; 32] {
    crate::primitives::kdf::sha256(&[ACCEPTED_TAG_LABEL, salt, &bundle_id.0].concat())
}

impl Client {
    /// Creates an invitation under an identity made for it alone
    /// ([`IdentityChoice::Fresh`]); see [`Client::create_invitation_as`].
    ///
    /// # Errors
    /// As [`Client::create_invitation_as`].
    pub async fn create_invitation(
        &self,
        kind: InvitationKind,
        expires_in_secs: u64,
    ) -> Result<String> {
        self.create_invitation_as(kind, expires_in_secs, &IdentityChoice::Fresh)
            .await
    }

    /// Creates an invitation and returns its code (short text for a QR code or to read
    /// aloud). It is valid for `expires_in_secs` seconds (at most 90 days).
    ///
    /// The invitation's bundle is signed by `identity`: with [`IdentityChoice::Fresh`] an
    /// identity made for this invitation alone, which every contact made through it then
    /// sees (one person for a one-time code; everyone who uses a standing code). A fresh
    /// intake mailbox and a fresh prekey bundle are created on the profile's first relay
    /// for every invitation, so two invitations cannot be linked by the relay through a
    /// shared mailbox or prekey, nor by their holders through a shared key.
    ///
    /// A standing invitation's prekeys rotate, and its one-time prekeys are refilled, on
    /// the schedule `docs/library.md` describes, during [`Client::sync`].
    ///
    /// # Errors
    /// [`ClientError::RelayUnreachable`] / [`ClientError::RelayRefused`] (nothing is kept),
    /// [`ClientError::NoRelay`], [`ClientError::InvalidLabel`] (a bad identity name),
    /// [`ClientError::Storage`], [`ClientError::Crypto`].
    pub async fn create_invitation_as(
        &self,
        kind: InvitationKind,
        expires_in_secs: u64,
        identity: &IdentityChoice,
    ) -> Result<String> {
        let _op = self.op.lock().await;
        Ok(self
            .create_invitation_unlocked(kind, expires_in_secs, identity)
            .await?
            .1)
    }

    /// [`Client::create_invitation_as`] for a caller that already holds the network
    /// operation lock (the organization's steps inside `sync`); returns the invitation's
    /// id, its code and its expiry.
    pub(crate) async fn create_invitation_unlocked(
        &self,
        kind: InvitationKind,
        expires_in_secs: u64,
        identity: &IdentityChoice,
    ) -> Result<(u64, String, u64)> {
        let profile = self.profile()?;
        let relay = match identity {
            IdentityChoice::Named(name) => self.home_relay(&profile, Some(name))?,
            IdentityChoice::Fresh => self.home_relay(&profile, None)?,
        };
        let (standing, max_uses, one_time) = match kind {
            InvitationKind::OneTime => (false, None, ONE_TIME_PREKEYS_SINGLE),
            InvitationKind::Standing { max_uses } => (true, max_uses, ONE_TIME_PREKEYS_STANDING),
        };
        let (identity_pickle, identity_name) = self.relationship_identity(identity)?;
        let keys = self.keys_of(&identity_pickle)?;
        let bundle_id = Bytes(random::array(&mut OsRng).map_err(|_| ClientError::Crypto)?);
        let bundle_auth = Secret::<32>::random(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        let bundle_auth_seed = SecretBytes::new(bundle_auth.expose().to_vec());
        let (seal_secret, seal_key) = proto::new_seal_key()?;
        let proto::Prekeys {
            bundle,
            pickle: prekeys,
            one_time: one_time_ids,
        } = proto::new_prekeys(&keys, one_time, &seal_key, &bundle_id)?;

        let intake = self.net.create_mailbox(&relay).await?;
        if let Err(e) = self
            .net
            .publish_bundle(&relay, &bundle_id, &bundle_auth_seed, &bundle)
            .await
        {
            let _ = self.net.destroy(&intake).await;
            return Err(e.into());
        }
        let expires_at = self
            .now()
            .saturating_add(expires_in_secs.min(MAX_INVITATION_SECS));
        let fields = InvitationFields {
            relay: relay.clone(),
            intake: intake.address(),
            bundle_id,
            fingerprint: proto::fingerprint_of(&keys),
            seal_key,
            expires_at,
            standing,
        };
        let code = proto::encode_invitation(&fields)?;
        let schedule = standing.then(|| PrekeySchedule::new(self.now(), one_time_ids));
        let record = InvitationRecord {
            id: self.db.next_seq()?,
            identity: identity_pickle,
            identity_name,
            standing,
            max_uses,
            uses: 0,
            expires_at,
            intake,
            bundle_relay: relay,
            bundle_id,
            bundle_auth_seed,
            bundle_live: true,
            seal_secret,
            prekeys,
            responders: Vec::new(),
            schedule,
        };
        let _guard = self.lock()?;
        self.db
            .put(Tree::Invitations, &record.id.to_be_bytes(), &record, None)?;
        Ok((record.id, code, expires_at))
    }

    /// Accepts an invitation code under an identity made for this relationship alone
    /// ([`IdentityChoice::Fresh`]); see [`Client::accept_invitation_as`].
    ///
    /// # Errors
    /// As [`Client::accept_invitation_as`].
    pub async fn accept_invitation(&self, code: &str, label: &str) -> Result<ContactSummary> {
        self.accept_invitation_as(code, label, &IdentityChoice::Fresh)
            .await
    }

    /// Accepts an invitation code, naming the new contact `label` (kept on this device
    /// only), and shows the inviter `identity` (by default one made for this relationship
    /// alone, so nothing links this contact to any other). The contact is usable at once:
    /// messages sent before the inviter's first reply go to the invitation's intake
    /// mailbox, and [`ContactSummary::awaiting_reply_since`] says how long that has been.
    ///
    /// # Errors
    /// [`ClientError::InvalidInvitation`], [`ClientError::OwnInvitation`] (this profile
    /// made the code), [`ClientError::AlreadyAccepted`] (this profile accepted it before;
    /// nothing changes), [`ClientError::InvitationExpired`],
    /// [`ClientError::InvitationUnavailable`] (used up or deleted),
    /// [`ClientError::BundleMismatch`] (the relay handed out keys that are not the
    /// inviter's: an attack), [`ClientError::RelayUnreachable`], [`ClientError::InvalidLabel`],
    /// [`ClientError::LabelTaken`], [`ClientError::Storage`].
    pub async fn accept_invitation_as(
        &self,
        code: &str,
        label: &str,
        identity: &IdentityChoice,
    ) -> Result<ContactSummary> {
        check_label(label)?;
        proto::decode_invitation(code)?;
        let _op = self.op.lock().await;
        self.accept_invitation_unlocked(code, label, identity).await
    }

    /// [`Client::accept_invitation_as`] for a caller that already holds the network
    /// operation lock (the organization's steps inside `sync`).
    pub(crate) async fn accept_invitation_unlocked(
        &self,
        code: &str,
        label: &str,
        identity: &IdentityChoice,
    ) -> Result<ContactSummary> {
        check_label(label)?;
        let fields = proto::decode_invitation(code)?;
        self.check_not_own_or_accepted(&fields)?;
        if fields.expires_at <= self.now() {
            return Err(ClientError::InvitationExpired);
        }
        // Only chosen relays: the code names the inviter's relay; it must be on this
        // profile's list (or reachable through its proxy) before anything is sent there.
        self.net.permits(&fields.relay)?;
        if self.contact_by_label(label).is_ok() {
            return Err(ClientError::LabelTaken);
        }
        let profile = self.profile()?;
        // An organization relationship replies through the organization's relays: before
        // the roster is known (joining), the inviter's, which the code names.
        let my_relay = match identity {
            IdentityChoice::Named(name) if name == super::org::ORG_IDENTITY => {
                match self.org_record()?.and_then(|o| o.relays.first().cloned()) {
                    Some(relay) => relay,
                    None => fields.relay.clone(),
                }
            }
            _ => profile.relays.first().ok_or(ClientError::NoRelay)?.clone(),
        };
        let fetched = match self
            .net
            .fetch_bundle(&fields.relay, &fields.bundle_id)
            .await
        {
            Ok(fetched) => fetched,
            Err(crate::transport::TransportError::Rejected { status: 404, .. }) => {
                return Err(ClientError::InvitationUnavailable);
            }
            Err(e) => return Err(e.into()),
        };
        let (identity_pickle, identity_name) = self.relationship_identity(identity)?;
        let initiated = proto::initiate(
            &self.keys_of(&identity_pickle)?,
            &fetched,
            &fields.fingerprint,
            &fields.seal_key,
            &fields.bundle_id,
        )?;
        let reply = self.net.create_mailbox(&my_relay).await?;
        let reply_address = reply.address();
        let salt: [u8; 16] = random::array(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        let mut contact = ContactRecord {
            id: self.db.next_seq()?,
            label: label.to_owned(),
            identity: identity_pickle,
            identity_name,
            awaiting_reply_since: Some(coarse(self.now())),
            accepted: Some(AcceptedTag {
                salt,
                tag: accepted_tag(&salt, &fields.bundle_id),
            }),
            peer_identity: initiated.peer_identity.into(),
            session: initiated.session,
            reassembler: None,
            verified: false,
            receives_alerts: false,
            alert_keys: Vec::new(),
            timer: None,
            outgoing: None,
            pending_initial: Some(PendingInitial {
                header: initiated.header.into(),
                seal_key: fields.seal_key,
                kem_prekey: initiated.kem_prekey.into(),
                intake: MailboxAddress {
                    relay: fields.relay.clone(),
                    deposit_id: fields.intake.deposit_id,
                    credential: fields.intake.credential,
                },
            }),
            incoming: vec![reply],
            origin: None,
        };
        {
            let _guard = self.lock()?;
            if self.contact_by_label(label).is_ok() {
                return Err(ClientError::LabelTaken);
            }
            self.enqueue(
                &mut contact,
                &Payload::MailboxUpdate {
                    mailbox: reply_address,
                },
            )?;
        }
        // Unreachable now is fine: the first message waits in the outbox.
        let _ = self.flush_outbox().await?;
        Ok(Self::summary(&contact))
    }

    /// Refuses a code this profile made ([`ClientError::OwnInvitation`]: one of its open
    /// invitations, or signed by one of its named identities) or already accepted
    /// ([`ClientError::AlreadyAccepted`]).
    fn check_not_own_or_accepted(&self, fields: &proto::InvitationFields) -> Result<()> {
        for (_, invitation) in self.db.all::<InvitationRecord>(Tree::Invitations)? {
            let same_bundle = invitation.bundle_id == fields.bundle_id;
            let same_identity =
                proto::fingerprint_of(&self.keys_of(&invitation.identity)?) == fields.fingerprint;
            if same_bundle || same_identity {
                return Err(ClientError::OwnInvitation);
            }
        }
        for named in self.named_identity_records()? {
            if proto::fingerprint_of(&self.keys_of(&named.identity)?) == fields.fingerprint {
                return Err(ClientError::OwnInvitation);
            }
        }
        for contact in self.all_contacts()? {
            let Some(accepted) = &contact.accepted else {
                continue;
            };
            let tag = accepted_tag(&accepted.salt, &fields.bundle_id);
            if bool::from(subtle::ConstantTimeEq::ct_eq(&tag[..], &accepted.tag[..])) {
                return Err(ClientError::AlreadyAccepted {
                    label: contact.label.clone(),
                });
            }
        }
        Ok(())
    }

    /// The invitations this profile issued that are still open, oldest first.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn invitations(&self) -> Result<Vec<InvitationSummary>> {
        Ok(self
            .db
            .all::<InvitationRecord>(Tree::Invitations)?
            .into_iter()
            .map(|(_, i)| InvitationSummary {
                id: i.id,
                kind: if i.standing {
                    InvitationKind::Standing {
                        max_uses: i.max_uses,
                    }
                } else {
                    InvitationKind::OneTime
                },
                uses: i.uses,
                expires_at: i.expires_at,
                used_up: i.exhausted(),
                identity: i.identity_name.clone(),
                prekeys_rotated_at: i.schedule.as_ref().map(|s| s.rotated_at),
            })
            .collect())
    }

    /// Withdraws an invitation at once (for example a standing code that leaked): its
    /// bundle is deleted and its intake mailbox destroyed on the relay, its secrets are
    /// deleted here. Contacts already made through it are not affected, except one whose
    /// messages still go to the intake mailbox (no reply received yet): it must be invited
    /// again.
    ///
    /// # Errors
    /// [`ClientError::UnknownInvitation`]; [`ClientError::RelayUnreachable`] (nothing is
    /// deleted, try again), [`ClientError::Storage`].
    pub async fn revoke_invitation(&self, id: u64) -> Result<()> {
        let _op = self.op.lock().await;
        let key = id.to_be_bytes();
        let invitation = self
            .db
            .get::<InvitationRecord>(Tree::Invitations, &key)?
            .ok_or(ClientError::UnknownInvitation)?;
        if invitation.bundle_live {
            match self
                .net
                .delete_bundle(
                    &invitation.bundle_relay,
                    &invitation.bundle_id,
                    &invitation.bundle_auth_seed,
                )
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_transient() => return Err(e.into()),
                // Already gone from the relay.
                Err(_) => {}
            }
        }
        match self.net.destroy(&invitation.intake).await {
            Ok(()) => {}
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(_) => {}
        }
        {
            let _guard = self.lock()?;
            self.db.remove(Tree::Invitations, &key)?;
        }
        // Its prekey and seal secrets are deleted: shred them now.
        self.at_rest(true)
    }
}

impl Client {
    /// The prekey schedule of every open standing invitation (run by `sync` after the
    /// intake mailboxes were drained, so every envelope already waiting is answered with
    /// the prekeys it was made for): forget what outlived the overlap, rotate when due,
    /// refill one-time prekeys when low, publish (see [`PrekeySchedule::plan`]). The new
    /// prekeys are persisted before the bundle that names them is published; a failed
    /// publication is retried on the next sync.
    pub(crate) async fn maintain_standing_invitations(
        &self,
        unreachable: &mut std::collections::HashSet<String>,
        drained_intakes: &std::collections::HashSet<u64>,
    ) -> Result<()> {
        let now = self.now();
        let open: Vec<u64> = self
            .db
            .all::<InvitationRecord>(Tree::Invitations)?
            .into_iter()
            .filter(|(_, i)| i.schedule.is_some() && i.bundle_live)
            .filter(|(_, i)| i.expires_at > now && !i.exhausted())
            .map(|(_, i)| i.id)
            .collect();
        for id in open {
            let key = id.to_be_bytes();
            let publication = {
                let _guard = self.lock()?;
                let Some(mut invitation) =
                    self.db.get::<InvitationRecord>(Tree::Invitations, &key)?
                else {
                    continue;
                };
                let drained = drained_intakes.contains(&id);
                if self.advance_schedule(&mut invitation, now, drained)? {
                    self.db.put(Tree::Invitations, &key, &invitation, None)?;
                }
                invitation
            };
            let Some(schedule) = &publication.schedule else {
                continue;
            };
            if !schedule.unpublished || unreachable.contains(&canon(&publication.bundle_relay)) {
                continue;
            }
            let bundle = proto::bundle_without(
                &self.keys_of(&publication.identity)?,
                &publication.prekeys,
                &schedule.hidden(),
                &publication.seal_secret,
                &publication.bundle_id,
            )?;
            match self
                .net
                .publish_bundle(
                    &publication.bundle_relay,
                    &publication.bundle_id,
                    &publication.bundle_auth_seed,
                    &bundle,
                )
                .await
            {
                Ok(()) => {
                    let _guard = self.lock()?;
                    if let Some(mut fresh) =
                        self.db.get::<InvitationRecord>(Tree::Invitations, &key)?
                    {
                        if let Some(schedule) = fresh.schedule.as_mut() {
                            schedule.unpublished = false;
                        }
                        self.db.put(Tree::Invitations, &key, &fresh, None)?;
                    }
                }
                Err(e) => {
                    if e.is_transient() {
                        unreachable.insert(canon(&publication.bundle_relay));
                    }
                }
            }
        }
        Ok(())
    }

    /// Carries out what the schedule says is due on one standing invitation's local
    /// prekeys. Returns whether the record changed (persist it).
    /// `drained`: the invitation's intake mailbox was emptied in this sync. Unless it was,
    /// nothing is forgotten (an initiator who fetched the older bundle just before the
    /// overlap ended may have an envelope waiting there) and no rotation replaces a
    /// previous prekey set still kept (a rotation discards it); these wait for a sync
    /// that empties the intake.
    fn advance_schedule(
        &self,
        invitation: &mut InvitationRecord,
        now: u64,
        drained: bool,
    ) -> Result<bool> {
        let Some(mut schedule) = invitation.schedule.clone() else {
            return Ok(false);
        };
        let mut plan = schedule.plan(now);
        if !drained {
            plan.forget.clear();
            plan.forget_previous = false;
            if schedule.previous_until.is_some() {
                plan.rotate = false;
                plan.refill = schedule.live.len() < super::prekey_schedule::ONE_TIME_REFILL_BELOW;
            }
        }
        if !plan.changes() {
            return Ok(false);
        }
        let keys = self.keys_of(&invitation.identity)?;
        let mut prekeys = invitation.prekeys.clone();
        if !plan.forget.is_empty() || plan.forget_previous {
            prekeys = proto::forget_prekeys(&keys, &prekeys, &plan.forget, plan.forget_previous)?;
        }
        let mut fresh = Vec::new();
        if plan.refill {
            // A rotation always comes with a refill (see `Plan::refill`).
            let (renewed, ids) =
                proto::renew_prekeys(&keys, &prekeys, plan.rotate, ONE_TIME_PREKEYS_STANDING)?;
            prekeys = renewed;
            fresh = ids;
        }
        schedule.apply(&plan, fresh, now);
        invitation.prekeys = prekeys;
        invitation.schedule = Some(schedule);
        Ok(true)
    }
}
