//! The `Client`'s use of [`crate::transport`]: relays by URL, one fresh Ed25519 auth key
//! per mailbox and per bundle.

use super::payload::MailboxAddress;
use super::records::{OwnedMailbox, SecretBytes};
use super::{ClientError, Result};
use crate::primitives::Secret;
use crate::primitives::ed25519::SigningKey;
use crate::primitives::random::OsRng;
use crate::transport::{
    AuthSigner, HttpConfig, ProxyUrl, ReceivedEnvelope, Relay, RelayPool, RelayUrl, TransportError,
};
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{Bundle, BundleId, FetchBundleResponse};
use std::sync::Arc;

/// A transport failure, as the `Client` sees it.
pub(crate) type NetError = TransportError;

/// Why an outbox envelope was not deposited.
pub(crate) enum DepositFailure {
    /// Try again on a later sync (unreachable, overloaded, mailbox full).
    Later,
    /// The relay will never take it (mailbox destroyed, credential refused).
    Gone,
}

/// The mailbox's (or bundle's) own Ed25519 key, which signs its relay requests.
fn signer(seed: &SecretBytes) -> Result<SigningKey, NetError> {
    let seed = Secret::<32>::try_from_slice(seed.expose()).map_err(|_| TransportError::Rng)?;
    Ok(SigningKey::from_secret(&seed))
}

/// Checks that `relay` is a usable relay URL.
pub(crate) fn check_url(relay: &str) -> Result<()> {
    RelayUrl::parse(relay)
        .map(|_| ())
        .map_err(|_| ClientError::InvalidRelay)
}

impl From<TransportError> for ClientError {
    fn from(value: TransportError) -> Self {
        match value {
            TransportError::Config(_) => ClientError::InvalidRelay,
            TransportError::Rng => ClientError::Crypto,
            e if e.is_transient() => ClientError::RelayUnreachable,
            _ => ClientError::RelayRefused,
        }
    }
}

/// The relays of one open profile.
pub(crate) struct Net {
    pool: Arc<RelayPool>,
}

impl Net {
    pub(crate) fn new(pool: Option<Arc<RelayPool>>, proxy: Option<&str>) -> Result<Self> {
        let pool = match pool {
            Some(pool) => pool,
            None => {
                let config = match proxy {
                    // A proxy is, in practice, Tor: take its longer timeouts.
                    Some(proxy) => HttpConfig {
                        proxy: Some(ProxyUrl::parse(proxy).map_err(|_| ClientError::InvalidRelay)?),
                        ..HttpConfig::tor().map_err(|_| ClientError::InvalidRelay)?
                    },
                    None => HttpConfig::default(),
                };
                Arc::new(RelayPool::new(config))
            }
        };
        Ok(Self { pool })
    }

    fn relay(&self, url: &str) -> Result<Arc<dyn Relay>, NetError> {
        let url = RelayUrl::parse(url)?;
        self.pool.relay(&url)
    }

    /// Creates a mailbox on `relay` with a fresh auth key.
    pub(crate) async fn create_mailbox(&self, relay: &str) -> Result<OwnedMailbox, NetError> {
        let seed = Secret::<32>::random(&mut OsRng).map_err(|_| TransportError::Rng)?;
        let seed = SecretBytes::new(seed.expose().to_vec());
        let signer = signer(&seed)?;
        let ids = self
            .relay(relay)?
            .create_mailbox_with_pow(&signer.auth_key())
            .await?;
        Ok(OwnedMailbox {
            relay: relay.to_owned(),
            read_id: ids.read_id,
            deposit_id: ids.deposit_id,
            credential: ids.deposit_credential,
            auth_seed: seed,
            retire_by: None,
            keep_for_alerts: false,
        })
    }

    pub(crate) async fn deposit(
        &self,
        to: &MailboxAddress,
        envelope: &[u8],
    ) -> Result<(), DepositFailure> {
        let Ok(envelope) = <&[u8; ENVELOPE_SIZE]>::try_from(envelope) else {
            return Err(DepositFailure::Gone);
        };
        let relay = self.relay(&to.relay).map_err(|_| DepositFailure::Gone)?;
        match relay
            .deposit(&to.deposit_id, &to.credential, envelope)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.is_transient() => Err(DepositFailure::Later),
            // Full mailbox or rate limit: the reader will drain it; try later.
            Err(TransportError::Rejected { status: 429, .. }) => Err(DepositFailure::Later),
            Err(TransportError::Rejected {
                status: 404 | 403 | 400,
                ..
            }) => Err(DepositFailure::Gone),
            Err(_) => Err(DepositFailure::Later),
        }
    }

    pub(crate) async fn fetch(
        &self,
        mailbox: &OwnedMailbox,
        wait_secs: u32,
    ) -> Result<Vec<ReceivedEnvelope>, NetError> {
        let signer = signer(&mailbox.auth_seed)?;
        self.relay(&mailbox.relay)?
            .fetch(&mailbox.read_id, &signer, wait_secs)
            .await
    }

    pub(crate) async fn ack(&self, mailbox: &OwnedMailbox, seqs: &[u64]) -> Result<(), NetError> {
        let signer = signer(&mailbox.auth_seed)?;
        self.relay(&mailbox.relay)?
            .ack(&mailbox.read_id, &signer, seqs)
            .await
            .map(|_| ())
    }

    pub(crate) async fn destroy(&self, mailbox: &OwnedMailbox) -> Result<(), NetError> {
        let signer = signer(&mailbox.auth_seed)?;
        self.relay(&mailbox.relay)?
            .destroy(&mailbox.read_id, &signer)
            .await
    }

    pub(crate) async fn publish_bundle(
        &self,
        relay: &str,
        bundle_id: &BundleId,
        auth_seed: &SecretBytes,
        bundle: &Bundle,
    ) -> Result<(), NetError> {
        let signer = signer(auth_seed)?;
        self.relay(relay)?
            .publish_bundle(bundle_id, &signer, bundle)
            .await
            .map(|_| ())
    }

    pub(crate) async fn fetch_bundle(
        &self,
        relay: &str,
        bundle_id: &BundleId,
    ) -> Result<FetchBundleResponse, NetError> {
        self.relay(relay)?.fetch_bundle(bundle_id).await
    }

    pub(crate) async fn delete_bundle(
        &self,
        relay: &str,
        bundle_id: &BundleId,
        auth_seed: &SecretBytes,
    ) -> Result<(), NetError> {
        let signer = signer(auth_seed)?;
        self.relay(relay)?.delete_bundle(bundle_id, &signer).await
    }
}
