//! Mailbox rotation: moving the mailbox a contact writes to, on the same relay or
//! another, without a new handshake.

use super::payload::Payload;
use super::{Client, ClientError, Result};

/// How long a rotated-away mailbox is still read if the contact never writes to the new
/// one: 14 days, the relay's default TTL for undelivered mail.
pub(crate) const ROTATION_GRACE_SECS: u64 = 14 * 24 * 3600;

impl Client {
    /// Moves the mailbox `contact` writes to: creates a new one (on `relay`, or on the
    /// relay of the current one), tells the contact through the ratchet, and keeps reading
    /// the old one until the contact's first message arrives on the new one (or for 14
    /// days), then destroys it.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::NotEstablished`] (no reply from the
    /// contact yet), [`ClientError::InvalidRelay`], [`ClientError::RelayNotAllowed`] (`relay`
    /// is not on the profile's list: add it first), [`ClientError::RelayUnreachable`]
    /// (nothing changed), [`ClientError::Storage`].
    pub async fn rotate(&self, contact: &str, relay: Option<&str>) -> Result<()> {
        let _op = self.op.lock().await;
        let current = self.contact_by_label(contact)?;
        if !current.established() {
            return Err(ClientError::NotEstablished);
        }
        let profile = self.profile()?;
        let relay = match relay {
            Some(relay) => relay.to_owned(),
            None => current
                .incoming
                .last()
                .map(|m| m.relay.clone())
                .or_else(|| profile.relays.first().cloned())
                .ok_or(ClientError::NoRelay)?,
        };
        // This profile's own mailboxes live only on relays its user chose.
        if !self.net.is_listed(&relay)? {
            return Err(ClientError::RelayNotAllowed);
        }
        let mailbox = self.net.create_mailbox(&relay).await?;
        {
            let _guard = self.lock()?;
            let Some(mut record) = self.contact_by_id(current.id)? else {
                return Err(ClientError::UnknownContact);
            };
            let retire_by = self.now().saturating_add(ROTATION_GRACE_SECS);
            for old in &mut record.incoming {
                if old.retire_by.is_none() {
                    old.retire_by = Some(retire_by);
                }
            }
            let address = mailbox.address();
            record.incoming.push(mailbox);
            self.enqueue(&mut record, &Payload::MailboxUpdate { mailbox: address })?;
        }
        let _ = self.flush_outbox().await?;
        Ok(())
    }
}
