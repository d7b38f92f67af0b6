//! The duress passphrase: setting it up, and what opening with it does.
//!
//! Set-up gives each contact marked to receive alerts a fresh alert key (through the
//! ratchet) and stores, as the store's opaque duress payload, a kit: the decoy's name and
//! relays, and per marked contact the mailbox to deposit to and the alert key. Only the
//! duress passphrase decrypts the kit.
//!
//! On a duress unlock the store has already destroyed the real profile and hands the kit
//! back. The `Client` then sets up an empty profile with the same name and relays and, in
//! the background, deposits one alert envelope per kit entry; failures are silent. The
//! caller gets an ordinary `Client`.

use super::alert;
use super::db::Tree;
use super::payload::Payload;
use super::records::{AlertKitEntry, DuressKit, SecretBytes};
use super::{Client, ClientError, Passphrase, Result};
use crate::primitives::Secret;
use crate::primitives::random::OsRng;
use corridor_wire::b64::Bytes;
use std::time::Duration;

/// The longest the background alert task may take before it gives up silently.
const ALERT_DEADLINE: Duration = Duration::from_secs(20);

impl Client {
    /// Sets (or replaces) the duress passphrase and chooses who is alerted when it is
    /// used. Contacts not in `alert_contacts` stop being alerted.
    ///
    /// Opening the profile with `duress` later destroys the real profile, opens an empty
    /// one that works normally, and sends each chosen contact a duress alert (an envelope
    /// indistinguishable from any other) if its relay is reachable.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::NotEstablished`] (a chosen contact
    /// has not replied yet, so there is no mailbox to alert), [`ClientError::Storage`],
    /// [`ClientError::Crypto`].
    pub async fn set_duress(&self, duress: &Passphrase, alert_contacts: &[&str]) -> Result<()> {
        let _op = self.op.lock().await;
        {
            let _guard = self.lock()?;
            let profile = self.profile()?;
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
            };
            let encoded = zeroize::Zeroizing::new(
                serde_json::to_vec(&kit).map_err(|_| ClientError::Internal)?,
            );
            self.db.set_duress(duress, &encoded)?;
        }
        let _ = self.flush_outbox().await?;
        Ok(())
    }

    /// Turns a freshly duress-unlocked (empty) store into a normal-looking profile and
    /// starts sending the alerts.
    pub(crate) async fn become_decoy(&self, payload: &[u8]) -> Result<()> {
        let kit: DuressKit = serde_json::from_slice(payload).unwrap_or(DuressKit {
            name: String::new(),
            relays: Vec::new(),
            alerts: Vec::new(),
        });
        if self
            .db
            .get::<super::records::ProfileRecord>(Tree::Meta, super::db::PROFILE_KEY)?
            .is_none()
        {
            self.init_profile(kit.name.clone(), kit.relays.clone())?;
        }
        let mut envelopes = Vec::with_capacity(kit.alerts.len());
        for entry in &kit.alerts {
            if let Some(envelope) = alert::seal(entry.key.expose(), &mut OsRng) {
                envelopes.push((entry.to.clone(), envelope));
            }
        }
        if envelopes.is_empty() {
            return Ok(());
        }
        let net = self.net.clone();
        let task = tokio::spawn(async move {
            let send_all = async {
                for (to, envelope) in &envelopes {
                    let _ = net.deposit(to, envelope).await;
                }
            };
            let _ = tokio::time::timeout(ALERT_DEADLINE, send_all).await;
        });
        *self.background.lock().map_err(|_| ClientError::Internal)? = Some(task);
        Ok(())
    }

    /// Waits (a bounded time) for background work to finish, then closes the profile.
    /// Call this before the process exits; dropping a `Client` without it may cut such
    /// work short.
    pub async fn close(self) {
        let task = self.background.lock().ok().and_then(|mut slot| slot.take());
        if let Some(task) = task {
            let _ = tokio::time::timeout(ALERT_DEADLINE, task).await;
        }
    }
}
