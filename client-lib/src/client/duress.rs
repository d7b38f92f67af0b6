//! The duress passphrase: setting it up, what opening with it does, and the unlock
//! traffic that hides which passphrase opened the profile.
//!
//! Set-up gives each contact marked to receive alerts a fresh alert key (through the
//! ratchet) and stores, as the store's opaque duress payload, a kit: the decoy's name,
//! relays and proxy, and per marked contact the mailbox to deposit to and the alert key.
//! Only the duress passphrase decrypts the kit. The same targets (mailbox and key) are
//! also kept in the normal profile, for its cover traffic.
//!
//! Unlock traffic. Every unlock of a profile that has targets queues, per target, one
//! envelope sealed under that target's alert key, into the ordinary outbox:
//!
//! - a normal unlock queues a *cover* envelope;
//! - a duress unlock (the store has already destroyed the real profile and handed the kit
//!   back) sets up an empty profile with the same name, relays and proxy, keeps the
//!   targets, and queues an *alert* envelope instead.
//!
//! Both are the same size and go to the same mailboxes. `open` tries to deliver them at
//! once, for at most a few seconds (the same on both paths); one not delivered then (a
//! seized phone is often offline) stays in the outbox like any queued message and is
//! retried on every later `sync` (and `send`, `accept_invitation`, `rotate`) until the
//! relay has it, and no new one is queued for a target while one waits. So a normal and a duress unlock make
//! the same number of deposits to the same deposit ids, and a relay or a network watcher
//! cannot tell them apart. Nothing waits in the background: [`Client::close`] returns at
//! once, and an alert not yet delivered goes out the next time the decoy is used online.
//! The receiving contact tells the two apart by opening the envelope; it drops covers
//! silently and raises one [`Event::DuressAlert`](super::Event::DuressAlert) per alert
//! nonce, so a replayed alert raises nothing.

use super::alert::{self, ALERT_NONCE_LEN, AlertKind};
use super::db::Tree;
use super::payload::Payload;
use super::records::{AlertKitEntry, AlertState, DuressKit, OutboxItem, SecretBytes};
use super::{Client, ClientError, Passphrase, Result};
use crate::primitives::Secret;
use crate::primitives::random::{self, OsRng};
use corridor_wire::b64::{Blob, Bytes};

/// The longest [`Client::open`] spends delivering the unlock traffic.
const UNLOCK_SEND_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Where the unlock traffic's targets are kept, in [`Tree::Meta`].
const UNLOCK_TARGETS_KEY: &[u8] = b"unlock-targets";
/// Alert nonces remembered per contact: a replay of any of the newest this many raises
/// nothing.
pub(crate) const MAX_SEEN_ALERTS: usize = 64;

/// The [`Tree::Meta`] key of a contact's [`AlertState`].
fn alert_state_key(contact: u64) -> Vec<u8> {
    let mut key = b"alert-state/".to_vec();
    key.extend_from_slice(&contact.to_be_bytes());
    key
}

impl Client {
    /// Sets (or replaces) the duress passphrase and chooses who is alerted when it is
    /// used. Contacts not in `alert_contacts` stop being alerted.
    ///
    /// Opening the profile with `duress` later destroys the real profile, opens an empty
    /// one that works normally, and queues for each chosen contact a duress alert (an
    /// envelope indistinguishable from any other), delivered at once if the relay answers,
    /// else by a later sync. Every normal unlock from now on
    /// sends each chosen contact a cover envelope of the same shape, so the two unlocks
    /// look alike on the network; the contact drops covers silently.
    ///
    /// The kit records the profile's relays and proxy as they are now; after changing
    /// either, set the duress passphrase again (see [`Client::duress_needs_renewal`]).
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::NotEstablished`] (a chosen contact
    /// has not replied yet, so there is no mailbox to alert), [`ClientError::Storage`],
    /// [`ClientError::Crypto`].
    pub async fn set_duress(&self, duress: &Passphrase, alert_contacts: &[&str]) -> Result<()> {
        let _op = self.op.lock().await;
        {
            let _guard = self.lock()?;
            let mut profile = self.profile()?;
            let mut chosen = Vec::with_capacity(alert_contacts.len());
            for label in alert_contacts {
                let contact = self.contact_by_label(label)?;
                if !contact.established() {
                    return Err(ClientError::NotEstablished);
                }
                chosen.push(contact.id);
            }
            let mut alerts = Vec::with_capacity(chosen.len());
            for mut contact in self.all_contacts()? {
                contact.receives_alerts = chosen.contains(&contact.id);
                if !contact.receives_alerts {
                    self.save_contact(&contact)?;
                    continue;
                }
                let key = Secret::<32>::random(&mut OsRng).map_err(|_| ClientError::Crypto)?;
                let to = contact
                    .outgoing
                    .clone()
                    .ok_or(ClientError::NotEstablished)?;
                self.enqueue(
                    &mut contact,
                    &Payload::DuressAlertKey {
                        key: Bytes(*key.expose()),
                    },
                )?;
                alerts.push(AlertKitEntry {
                    to,
                    key: SecretBytes::new(key.expose().to_vec()),
                });
            }
            let kit = DuressKit {
                name: profile.name.clone(),
                relays: profile.relays.clone(),
                alerts,
                proxy: profile.proxy.clone(),
            };
            let encoded = zeroize::Zeroizing::new(
                serde_json::to_vec(&kit).map_err(|_| ClientError::Internal)?,
            );
            self.db.set_duress(duress, &encoded)?;
            self.save_unlock_targets(&kit.alerts)?;
            profile.duress_settings = Some((profile.relays.clone(), profile.proxy.clone()));
            self.db
                .put(Tree::Meta, super::db::PROFILE_KEY, &profile, None)?;
        }
        let _ = self.flush_outbox().await?;
        Ok(())
    }

    /// True when the relays or the proxy changed since the duress passphrase was last set:
    /// the duress kit (which only the duress passphrase can rewrite) still holds the old
    /// ones, so a duress unlock would open a decoy with the old relays and proxy. Set the
    /// duress passphrase again to fix it. False when no duress passphrase was set here.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn duress_needs_renewal(&self) -> Result<bool> {
        let profile = self.profile()?;
        Ok(profile
            .duress_settings
            .as_ref()
            .is_some_and(|(relays, proxy)| *relays != profile.relays || *proxy != profile.proxy))
    }

    /// Turns a freshly duress-unlocked (empty) store into a normal-looking profile and
    /// queues the alerts. No network call.
    pub(crate) fn become_decoy(&self, payload: &[u8]) -> Result<()> {
        let kit: DuressKit = serde_json::from_slice(payload).unwrap_or(DuressKit {
            name: String::new(),
            relays: Vec::new(),
            alerts: Vec::new(),
            proxy: None,
        });
        let _guard = self.lock()?;
        if self
            .db
            .get::<super::records::ProfileRecord>(Tree::Meta, super::db::PROFILE_KEY)?
            .is_none()
        {
            self.init_profile(kit.name.clone(), kit.relays.clone(), kit.proxy.clone())?;
        }
        self.save_unlock_targets(&kit.alerts)?;
        for entry in &kit.alerts {
            self.queue_unlock(entry, AlertKind::Alert)?;
        }
        Ok(())
    }

    /// A normal unlock: one cover envelope per target that has nothing waiting yet.
    pub(crate) fn queue_unlock_covers(&self) -> Result<()> {
        let _guard = self.lock()?;
        let targets = self.unlock_targets()?;
        if targets.is_empty() {
            return Ok(());
        }
        let waiting: Vec<OutboxItem> = self
            .db
            .all::<OutboxItem>(Tree::Outbox)?
            .into_iter()
            .map(|(_, item)| item)
            .filter(|item| item.unlock)
            .collect();
        for target in &targets {
            if waiting.iter().any(|item| item.to == target.to) {
                continue;
            }
            self.queue_unlock(target, AlertKind::Cover)?;
        }
        Ok(())
    }

    /// Tries to deliver the unlock traffic now (the same on a normal and a duress unlock),
    /// for at most [`UNLOCK_SEND_LIMIT`] (or the `overall` timeout if shorter); what is not
    /// delivered stays in the outbox for the next operation that delivers it. Silent.
    pub(crate) async fn send_unlock_traffic(&self) {
        let has_targets = self.unlock_targets().is_ok_and(|t| !t.is_empty());
        if !has_targets {
            return;
        }
        let limit = UNLOCK_SEND_LIMIT.min(self.net.overall());
        let _op = self.op.lock().await;
        let _ = tokio::time::timeout(limit, self.flush_outbox_items(true)).await;
    }

    /// Seals one alert or cover for `target` and puts it in the outbox.
    fn queue_unlock(&self, target: &AlertKitEntry, kind: AlertKind) -> Result<()> {
        let nonce: [u8; ALERT_NONCE_LEN] =
            random::array(&mut OsRng).map_err(|_| ClientError::Crypto)?;
        let envelope = alert::seal(target.key.expose(), kind, &nonce, &mut OsRng)
            .ok_or(ClientError::Crypto)?;
        let item = OutboxItem {
            contact: 0,
            to: target.to.clone(),
            envelope: Blob(envelope.to_vec()),
            initial: false,
            unlock: true,
        };
        let seq = self.db.next_seq()?;
        self.db.put(Tree::Outbox, &seq.to_be_bytes(), &item, None)
    }

    fn save_unlock_targets(&self, targets: &[AlertKitEntry]) -> Result<()> {
        if targets.is_empty() {
            return self.db.remove(Tree::Meta, UNLOCK_TARGETS_KEY);
        }
        self.db.put(Tree::Meta, UNLOCK_TARGETS_KEY, &targets, None)
    }

    /// The mailboxes (and keys) unlock traffic goes to.
    pub(crate) fn unlock_targets(&self) -> Result<Vec<AlertKitEntry>> {
        Ok(self
            .db
            .get::<Vec<AlertKitEntry>>(Tree::Meta, UNLOCK_TARGETS_KEY)?
            .unwrap_or_default())
    }

    /// What this profile knows about `contact`'s duress alerts.
    pub(crate) fn alert_state(&self, contact: u64) -> Result<AlertState> {
        Ok(self
            .db
            .get::<AlertState>(Tree::Meta, &alert_state_key(contact))?
            .unwrap_or_default())
    }

    pub(crate) fn save_alert_state(&self, contact: u64, state: &AlertState) -> Result<()> {
        self.db
            .put(Tree::Meta, &alert_state_key(contact), state, None)
    }

    pub(crate) fn delete_alert_state(&self, contact: u64) -> Result<()> {
        self.db.remove(Tree::Meta, &alert_state_key(contact))
    }

    /// Closes the profile. Nothing runs in the background (a duress alert not yet
    /// delivered waits in the outbox for the next sync, see the [module docs](self)).
    ///
    /// Closing purges expired data and re-keys the store if anything was written since the
    /// last re-key, so no superseded secret of this session stays decryptable on disk
    /// (`docs/store.md`). That is best effort here (nothing to report it to); if it fails,
    /// the next open re-keys.
    pub async fn close(self) {
        let _ = self.close_at_rest().await;
    }
}
