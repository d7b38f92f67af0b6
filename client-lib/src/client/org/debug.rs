//! Test-build hooks (cargo feature `insecure-fast-kdf` only, hidden from the docs): what
//! the organization tests need to play an attacker over a real session. None of this
//! exists in a release build.

use super::super::payload::Payload;
use super::super::{Client, ClientError, Result};
use crate::coordination::{Roster, RosterEpoch};
use corridor_wire::b64::Blob;

impl Client {
    /// This profile's organization identity, encoded (signing key, then DH key).
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`].
    #[doc(hidden)]
    pub fn debug_org_public_identity(&self) -> Result<Vec<u8>> {
        Ok(self.org_identity()?.public().encode().to_vec())
    }

    /// The roster chain held, each epoch's canonical encoding.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`].
    #[doc(hidden)]
    pub fn debug_org_chain(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .org_required()?
            .chain
            .into_iter()
            .map(|b| b.0)
            .collect())
    }

    /// A coordinator signs a second, different epoch with the number of the latest one (a
    /// fork), without keeping it.
    ///
    /// # Errors
    /// [`ClientError::NoOrganization`], [`ClientError::Storage`].
    #[doc(hidden)]
    pub fn debug_sign_fork(&self) -> Result<Vec<u8>> {
        let org = self.org_required()?;
        let chain = org
            .chain
            .iter()
            .map(|b| RosterEpoch::decode(b.as_bytes()).map_err(|_| ClientError::Storage))
            .collect::<Result<Vec<_>>>()?;
        let parent = chain.len().checked_sub(1).ok_or(ClientError::Storage)?;
        let roster = Roster::from_chain(&chain[..parent]).map_err(|_| ClientError::Storage)?;
        let mut draft = roster.draft();
        draft
            .set_retention(roster.retention_secs().saturating_add(60))
            .map_err(ClientError::Roster)?;
        let epoch = draft
            .sign(&self.org_identity()?, roster.current().issued_at())
            .map_err(ClientError::Roster)?;
        epoch.encode().map_err(ClientError::Roster)
    }

    /// Sends `bytes` as an organization message to `contact` over its real session, as it
    /// is (so a test can deliver forged, stale or malformed ones), and delivers it.
    ///
    /// # Errors
    /// [`ClientError::UnknownContact`], [`ClientError::Storage`].
    #[doc(hidden)]
    pub async fn debug_send_org(&self, contact: &str, bytes: Vec<u8>) -> Result<()> {
        let _op = self.op.lock().await;
        {
            let _guard = self.lock()?;
            let mut record = self.contact_by_label(contact)?;
            self.enqueue(
                &mut record,
                &Payload::Org {
                    msg: Blob::from(bytes),
                },
            )?;
        }
        let _ = self.flush_outbox().await?;
        Ok(())
    }
}
