//! Invitations: issuing one (the inviter) and accepting one (the initiator).
//!
//! The inviter opens an intake mailbox and publishes a prekey bundle of its own for each
//! invitation; the code carries where they are, the inviter's fingerprint and the
//! invitation's seal key. The initiator fetches the bundle (consuming a one-time prekey),
//! checks it against the fingerprint, runs the hybrid X3DH, starts the ratchet, and sends
//! its reply mailbox inside the ratchet, sealed to the intake mailbox. The inviter's side
//! of the handshake happens in `sync` (`sync.rs`).

use super::db::Tree;
use super::payload::{MailboxAddress, Payload};
use super::proto::{self, InvitationFields};
use super::records::{ContactRecord, InvitationRecord, PendingInitial, SecretBytes};
use super::{
    Client, ClientError, ContactSummary, InvitationKind, InvitationSummary, Result, check_label,
};
use crate::primitives::Secret;
use crate::primitives::random::{self, OsRng};
use corridor_wire::b64::Bytes;

/// One-time prekeys published with a one-time invitation: one is consumed per bundle
/// fetch, and an accept that failed half-way may fetch again.
const ONE_TIME_PREKEYS_SINGLE: usize = 4;
/// One-time prekeys published with a standing invitation; past them, the signed
/// last-resort prekey answers.
const ONE_TIME_PREKEYS_STANDING: usize = 20;
/// The longest an invitation may stay valid: 90 days.
pub const MAX_INVITATION_SECS: u64 = 90 * 24 * 3600;

impl Client {
    /// Creates an invitation and returns its code (short text for a QR code or to read
    /// aloud). It is valid for `expires_in_secs` seconds (at most 90 days).
    ///
    /// A fresh intake mailbox and a fresh prekey bundle are created on the profile's first
    /// relay for every invitation, so two invitations cannot be linked by the relay through
    /// a shared mailbox or prekey.
    ///
    /// # Errors
    /// [`ClientError::RelayUnreachable`] / [`ClientError::RelayRefused`] (nothing is kept),
    /// [`ClientError::NoRelay`], [`ClientError::Storage`], [`ClientError::Crypto`].
    pub async fn create_invitation(
        &self,
        kind: InvitationKind,
        expires_in_secs: u64,
    ) -> Result<String> {
        let _op = self.op.lock().await;
        let profile = self.profile()?;
        let relay = profile.relays.first().ok_or(ClientError::NoRelay)?.clone();
        let (standing, max_uses, one_time) = match kind {
            InvitationKind::OneTime => (false, None, ONE_TIME_PREKEYS_SINGLE),
            InvitationKind::Standing { max_uses } => (true, max_uses, ONE_TIME_PREKEYS_STANDING),
        };
        let keys = self.keys()?;
        let bundle_id = Bytes(random::array(&mut OsRng).map_err(|_| ClientError::Crypto)?);
        let bundle_auth = Secret::<32>::random(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        let bundle_auth_seed = SecretBytes::new(bundle_auth.expose().to_vec());
        let (seal_secret, seal_key) = proto::new_seal_key()?;
        let (bundle, prekeys) = proto::new_prekeys(&keys, one_time, &seal_key, &bundle_id)?;

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
        let record = InvitationRecord {
            id: self.db.next_seq()?,
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
        };
        let _guard = self.lock()?;
        self.db
            .put(Tree::Invitations, &record.id.to_be_bytes(), &record, None)?;
        Ok(code)
    }

    /// Accepts an invitation code, naming the new contact `label` (kept on this device
    /// only). The contact is usable at once: messages sent before the inviter's first
    /// reply go to the invitation's intake mailbox.
    ///
    /// # Errors
    /// [`ClientError::InvalidInvitation`], [`ClientError::InvitationExpired`],
    /// [`ClientError::InvitationUnavailable`] (used up or deleted),
    /// [`ClientError::BundleMismatch`] (the relay handed out keys that are not the
    /// inviter's: an attack), [`ClientError::RelayUnreachable`], [`ClientError::InvalidLabel`],
    /// [`ClientError::LabelTaken`], [`ClientError::Storage`].
    pub async fn accept_invitation(&self, code: &str, label: &str) -> Result<ContactSummary> {
        check_label(label)?;
        let fields = proto::decode_invitation(code)?;
        if fields.expires_at <= self.now() {
            return Err(ClientError::InvitationExpired);
        }
        super::net::check_url(&fields.relay)?;
        let _op = self.op.lock().await;
        if self.contact_by_label(label).is_ok() {
            return Err(ClientError::LabelTaken);
        }
        let profile = self.profile()?;
        let my_relay = profile.relays.first().ok_or(ClientError::NoRelay)?.clone();
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
        let initiated = proto::initiate(
            &self.keys()?,
            &fetched,
            &fields.fingerprint,
            &fields.seal_key,
            &fields.bundle_id,
        )?;
        let reply = self.net.create_mailbox(&my_relay).await?;
        let reply_address = reply.address();
        let mut contact = ContactRecord {
            id: self.db.next_seq()?,
            label: label.to_owned(),
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
        let _guard = self.lock()?;
        self.db.remove(Tree::Invitations, &key)
    }
}
