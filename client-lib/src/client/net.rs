//! The `Client`'s use of [`crate::transport`]: relays by URL, one fresh Ed25519 auth key
//! per mailbox and per bundle.

use super::db::Gate;
use super::payload::MailboxAddress;
use super::records::{OwnedMailbox, SecretBytes};
use super::types::NetTimeouts;
use super::{ClientError, Result};
use crate::primitives::Secret;
use crate::primitives::ed25519::SigningKey;
use crate::primitives::random::OsRng;
use crate::transport::{
    AuthSigner, ConfigError, HttpConfig, NetFailure, ProxyUrl, ReceivedEnvelope, Relay, RelayPool,
    RelayUrl, TransportError,
};
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{Bundle, BundleId, FetchBundleResponse};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// A transport failure, as the `Client` sees it.
pub(crate) type NetError = TransportError;

/// Why an outbox envelope was not deposited.
pub(crate) enum DepositFailure {
    /// Try again on a later sync (unreachable, overloaded, mailbox full).
    Later,
    /// The relay will never take it (mailbox destroyed, credential refused).
    Gone,
    /// This profile may not contact that relay (any more): kept in the outbox.
    NotAllowed,
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

/// The canonical spelling of a relay URL (two spellings of one relay give the same
/// text); the text itself if it does not parse.
pub(crate) fn canon(relay: &str) -> String {
    RelayUrl::parse(relay)
        .map(|url| url.as_str().to_owned())
        .unwrap_or_else(|_| relay.to_owned())
}

/// True when `a` and `b` name the same relay.
pub(crate) fn same_relay(a: &str, b: &str) -> bool {
    canon(a) == canon(b)
}

impl From<TransportError> for ClientError {
    fn from(value: TransportError) -> Self {
        match value {
            TransportError::Config(ConfigError::BadProxy) => ClientError::InvalidProxy,
            TransportError::Config(_) => ClientError::InvalidRelay,
            TransportError::NotAllowed => ClientError::RelayNotAllowed,
            TransportError::Rng => ClientError::Crypto,
            e if e.is_transient() => ClientError::RelayUnreachable,
            _ => ClientError::RelayRefused,
        }
    }
}

/// Which relays this profile may contact.
#[derive(Default)]
struct Policy {
    /// The user's relays (and, once the organization's roster carries relays, those too:
    /// see [`Net::configure`]).
    listed: Vec<RelayUrl>,
    /// A proxy is set: other public relays named by peers may be used through it.
    proxied: bool,
}

/// The relays of one open profile, and the rule of which ones it may contact.
///
/// Every request goes through [`Net::relay`], which refuses a relay the policy does not
/// permit before any connection is opened, and through [`Net::bounded`], which gives up
/// after the profile's [`NetTimeouts`]. There is no other path to the network.
///
/// Every request that changes something on a relay also first passes the store's
/// [`Gate`] (see [`super::db::Db`]): the state it depends on is made durable before the
/// request leaves, and if that fails the request is not made. Only `fetch` (read-only)
/// skips it.
pub(crate) struct Net {
    pool: Arc<RelayPool>,
    timeouts: NetTimeouts,
    policy: RwLock<Policy>,
    gate: OnceLock<Gate>,
}

impl Net {
    /// A `Net` that may contact nothing until [`Net::configure`] is called.
    pub(crate) fn new(pool: Option<Arc<RelayPool>>, timeouts: NetTimeouts) -> Self {
        let pool = pool.unwrap_or_else(|| Arc::new(RelayPool::new(HttpConfig::default())));
        Self {
            pool,
            timeouts,
            policy: RwLock::new(Policy::default()),
            gate: OnceLock::new(),
        }
    }

    /// Connects the store's gate; until then every effect is refused.
    pub(crate) fn attach(&self, gate: Gate) {
        let _ = self.gate.set(gate);
    }

    /// Persist before effect: makes the store durable, or refuses the request. A failure
    /// reads as "not sent" (the store has poisoned itself, and the caller's own answer
    /// reports [`ClientError::Storage`]).
    fn settled(&self) -> Result<(), NetError> {
        match self.gate.get().map(Gate::settle) {
            Some(Ok(())) => Ok(()),
            _ => Err(TransportError::Unreachable(NetFailure::Connect)),
        }
    }

    /// Applies the profile's relay list and proxy: from now on only these relays are
    /// contacted directly, every request goes through `proxy` if set, and other public
    /// relays named by peers are permitted only through it.
    ///
    /// The organization issue adds its roster's relays in `Client::chosen_relays`: they
    /// arrive here in `relays` together with the user's, and nothing else changes.
    pub(crate) fn configure(&self, relays: &[String], proxy: Option<&str>) -> Result<()> {
        let proxy = proxy
            .map(ProxyUrl::parse)
            .transpose()
            .map_err(|_| ClientError::InvalidProxy)?;
        let listed = relays
            .iter()
            .map(|relay| RelayUrl::parse(relay).map_err(|_| ClientError::InvalidRelay))
            .collect::<Result<Vec<_>>>()?;
        let proxied = proxy.is_some();
        let config = HttpConfig {
            proxy,
            connect_timeout: self.timeouts.connect,
            request_timeout: self.timeouts.overall,
            ..self.pool.config()
        };
        let mut policy = self.policy.write().map_err(|_| ClientError::Internal)?;
        self.pool.set_config(config);
        *policy = Policy { listed, proxied };
        Ok(())
    }

    /// Checks that this profile may contact `relay` (named by a peer or by the user) and
    /// returns it in canonical form. Opens no connection.
    ///
    /// # Errors
    /// [`ClientError::InvalidRelay`] (not a relay URL), [`ClientError::RelayNotAllowed`].
    pub(crate) fn permits(&self, relay: &str) -> Result<RelayUrl> {
        let url = RelayUrl::parse(relay).map_err(|_| ClientError::InvalidRelay)?;
        let policy = self.policy.read().map_err(|_| ClientError::Internal)?;
        if policy.listed.contains(&url) || (policy.proxied && url.is_public()) {
            Ok(url)
        } else {
            Err(ClientError::RelayNotAllowed)
        }
    }

    /// True when `relay` is on the profile's list (not merely reachable through the proxy).
    ///
    /// # Errors
    /// [`ClientError::InvalidRelay`].
    pub(crate) fn is_listed(&self, relay: &str) -> Result<bool> {
        let url = RelayUrl::parse(relay).map_err(|_| ClientError::InvalidRelay)?;
        let policy = self.policy.read().map_err(|_| ClientError::Internal)?;
        Ok(policy.listed.contains(&url))
    }

    /// The one way to a relay: refused unless [`Net::permits`] allows it.
    fn relay(&self, url: &str) -> Result<Arc<dyn Relay>, NetError> {
        let url = self.permits(url).map_err(|e| match e {
            ClientError::InvalidRelay => TransportError::Config(ConfigError::NotAUrl),
            _ => TransportError::NotAllowed,
        })?;
        self.pool.relay(&url)
    }

    /// Runs one relay operation, giving up after the `overall` timeout plus `extra` (a
    /// long-poll's wait).
    async fn bounded<T>(
        &self,
        extra: Duration,
        operation: impl std::future::Future<Output = Result<T, NetError>>,
    ) -> Result<T, NetError> {
        let limit = self.timeouts.overall.saturating_add(extra);
        tokio::time::timeout(limit, operation)
            .await
            .unwrap_or(Err(TransportError::Unreachable(NetFailure::Timeout)))
    }

    /// The `overall` timeout of one relay operation.
    pub(crate) fn overall(&self) -> Duration {
        self.timeouts.overall
    }

    /// Checks that `relay` answers.
    pub(crate) async fn health(&self, relay: &str) -> Result<(), NetError> {
        let relay = self.relay(relay)?;
        self.bounded(Duration::ZERO, relay.health()).await
    }

    /// Creates a mailbox on `relay` with a fresh auth key.
    pub(crate) async fn create_mailbox(&self, relay: &str) -> Result<OwnedMailbox, NetError> {
        self.settled()?;
        let seed = Secret::<32>::random(&mut OsRng).map_err(|_| TransportError::Rng)?;
        let seed = SecretBytes::new(seed.expose().to_vec());
        let signer = signer(&seed)?;
        let auth_key = signer.auth_key();
        let relay_handle = self.relay(relay)?;
        let ids = self
            .bounded(
                Duration::ZERO,
                relay_handle.create_mailbox_with_pow(&auth_key),
            )
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
        self.settled().map_err(|_| DepositFailure::Later)?;
        let Ok(envelope) = <&[u8; ENVELOPE_SIZE]>::try_from(envelope) else {
            return Err(DepositFailure::Gone);
        };
        let relay = match self.relay(&to.relay) {
            Ok(relay) => relay,
            // Not permitted (now): keep it; the user may add the relay or a proxy.
            Err(TransportError::NotAllowed) => return Err(DepositFailure::NotAllowed),
            Err(_) => return Err(DepositFailure::Gone),
        };
        match self
            .bounded(
                Duration::ZERO,
                relay.deposit(&to.deposit_id, &to.credential, envelope),
            )
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
        let relay = self.relay(&mailbox.relay)?;
        let wait = Duration::from_secs(u64::from(wait_secs));
        self.bounded(wait, relay.fetch(&mailbox.read_id, &signer, wait_secs))
            .await
    }

    pub(crate) async fn ack(&self, mailbox: &OwnedMailbox, seqs: &[u64]) -> Result<(), NetError> {
        self.settled()?;
        let signer = signer(&mailbox.auth_seed)?;
        let relay = self.relay(&mailbox.relay)?;
        self.bounded(Duration::ZERO, relay.ack(&mailbox.read_id, &signer, seqs))
            .await
            .map(|_| ())
    }

    pub(crate) async fn destroy(&self, mailbox: &OwnedMailbox) -> Result<(), NetError> {
        self.settled()?;
        let signer = signer(&mailbox.auth_seed)?;
        let relay = self.relay(&mailbox.relay)?;
        self.bounded(Duration::ZERO, relay.destroy(&mailbox.read_id, &signer))
            .await
    }

    pub(crate) async fn publish_bundle(
        &self,
        relay: &str,
        bundle_id: &BundleId,
        auth_seed: &SecretBytes,
        bundle: &Bundle,
    ) -> Result<(), NetError> {
        self.settled()?;
        let signer = signer(auth_seed)?;
        let relay = self.relay(relay)?;
        self.bounded(
            Duration::ZERO,
            relay.publish_bundle(bundle_id, &signer, bundle),
        )
        .await
        .map(|_| ())
    }

    pub(crate) async fn fetch_bundle(
        &self,
        relay: &str,
        bundle_id: &BundleId,
    ) -> Result<FetchBundleResponse, NetError> {
        // Consumes a one-time prekey on the relay.
        self.settled()?;
        let relay = self.relay(relay)?;
        self.bounded(Duration::ZERO, relay.fetch_bundle(bundle_id))
            .await
    }

    pub(crate) async fn delete_bundle(
        &self,
        relay: &str,
        bundle_id: &BundleId,
        auth_seed: &SecretBytes,
    ) -> Result<(), NetError> {
        self.settled()?;
        let signer = signer(auth_seed)?;
        let relay = self.relay(relay)?;
        self.bounded(Duration::ZERO, relay.delete_bundle(bundle_id, &signer))
            .await
    }
}

impl super::Client {
    /// The relays this profile may contact directly: the user's list and, once the
    /// organization issue lands, the relays the current roster epoch names. This is the one
    /// place that list is put together; every [`Net::configure`] call takes it from here.
    pub(crate) fn chosen_relays(&self, profile: &super::records::ProfileRecord) -> Vec<String> {
        // The organization's relays (from the roster) join the user's.
        let mut relays = profile.relays.clone();
        if let Ok(Some(org)) = self.org_record() {
            for relay in org.relays {
                if !relays.iter().any(|r| canon(r) == canon(&relay)) {
                    relays.push(relay);
                }
            }
        }
        relays
    }

    /// The relay that hosts a new mailbox or bundle of a relationship: the organization's
    /// first relay (from its roster) for one under the organization identity, so that
    /// members' organization traffic goes only through the organization's relays; the
    /// profile's first relay for every other.
    ///
    /// # Errors
    /// [`ClientError::NoRelay`], [`ClientError::Storage`].
    pub(crate) fn home_relay(
        &self,
        profile: &super::records::ProfileRecord,
        identity_name: Option<&str>,
    ) -> Result<String> {
        if identity_name == Some(super::org::ORG_IDENTITY) {
            if let Some(relay) = self.org_record()?.and_then(|o| o.relays.first().cloned()) {
                return Ok(relay);
            }
        }
        profile.relays.first().cloned().ok_or(ClientError::NoRelay)
    }

    /// True when organization traffic may go to `relay`: it is one of the organization's
    /// relays (or no roster has named any yet).
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub(crate) fn org_relay(&self, relay: &str) -> Result<bool> {
        Ok(match self.org_record()? {
            Some(org) if !org.relays.is_empty() => org.relays.iter().any(|r| same_relay(r, relay)),
            _ => true,
        })
    }

    /// The relays this profile may contact, as configured (the first one hosts new
    /// mailboxes).
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn relays(&self) -> Result<Vec<String>> {
        Ok(self.profile()?.relays)
    }

    /// Adds a relay to the profile's list. Adding one already on the list (in any
    /// spelling) changes nothing and succeeds. With `check`, the relay must first answer
    /// `GET /healthz` within the session's [`NetTimeouts`](super::NetTimeouts) (through
    /// the proxy, if one is set); otherwise nothing is added.
    ///
    /// # Errors
    /// [`ClientError::InvalidRelay`] (not `https://`, or plain `http://` to a host that is
    /// neither loopback nor `.onion`), [`ClientError::RelayUnreachable`] /
    /// [`ClientError::RelayRefused`] (the check failed), [`ClientError::Storage`].
    pub async fn add_relay(&self, url: &str, check: bool) -> Result<()> {
        let url = url.trim();
        let parsed = RelayUrl::parse(url).map_err(|_| ClientError::InvalidRelay)?;
        let _op = self.op.lock().await;
        if self.profile()?.relays.iter().any(|r| same_relay(r, url)) {
            return Ok(());
        }
        if check {
            // The user is choosing this relay now: probe it before it is on the list.
            let relay = self.net.pool.relay(&parsed)?;
            self.net.bounded(Duration::ZERO, relay.health()).await?;
        }
        let _guard = self.lock()?;
        let mut profile = self.profile()?;
        if profile.relays.iter().any(|r| same_relay(r, url)) {
            return Ok(());
        }
        profile.relays.push(url.to_owned());
        self.db.put(
            super::db::Tree::Meta,
            super::db::PROFILE_KEY,
            &profile,
            None,
        )?;
        self.net
            .configure(&self.chosen_relays(&profile), profile.proxy.as_deref())
    }

    /// Removes a relay from the profile's list; from then on nothing is sent to it
    /// (unless a proxy is set and a contact's mailbox is there, see
    /// [`ClientError::RelayNotAllowed`]).
    ///
    /// Refused while anything still lives on it: a mailbox this profile reads (a contact's
    /// or an open invitation's), a contact's mailbox this profile writes to, a published
    /// invitation bundle, or a duress alert's mailbox. Rotate those contacts
    /// ([`Client::rotate`](super::Client::rotate)) or remove them, and revoke those
    /// invitations, first.
    ///
    /// # Errors
    /// [`ClientError::UnknownRelay`] (not on the list), [`ClientError::LastRelay`] (the
    /// only one), [`ClientError::RelayInUse`], [`ClientError::Storage`].
    pub async fn remove_relay(&self, url: &str) -> Result<()> {
        let url = url.trim();
        let _op = self.op.lock().await;
        let _guard = self.lock()?;
        let mut profile = self.profile()?;
        let index = profile
            .relays
            .iter()
            .position(|r| same_relay(r, url))
            .ok_or(ClientError::UnknownRelay)?;
        if profile.relays.len() == 1 {
            return Err(ClientError::LastRelay);
        }
        if self.relay_in_use(url)? {
            return Err(ClientError::RelayInUse);
        }
        profile.relays.remove(index);
        self.db.put(
            super::db::Tree::Meta,
            super::db::PROFILE_KEY,
            &profile,
            None,
        )?;
        self.net
            .configure(&self.chosen_relays(&profile), profile.proxy.as_deref())
    }

    /// True when a mailbox, bundle or alert target of this profile lives on `url`.
    fn relay_in_use(&self, url: &str) -> Result<bool> {
        use super::db::Tree;
        use super::records::InvitationRecord;
        for contact in self.all_contacts()? {
            let mut relays: Vec<&str> = contact.incoming.iter().map(|m| m.relay.as_str()).collect();
            if let Some(out) = &contact.outgoing {
                relays.push(&out.relay);
            }
            if let Some(pending) = &contact.pending_initial {
                relays.push(&pending.intake.relay);
            }
            if relays.iter().any(|r| same_relay(r, url)) {
                return Ok(true);
            }
        }
        for (_, invitation) in self.db.all::<InvitationRecord>(Tree::Invitations)? {
            if same_relay(&invitation.intake.relay, url)
                || same_relay(&invitation.bundle_relay, url)
            {
                return Ok(true);
            }
        }
        Ok(self
            .unlock_targets()?
            .iter()
            .any(|target| same_relay(&target.to.relay, url)))
    }

    /// Sets (`Some`) or clears (`None`) the profile's proxy: persisted, and applied at once
    /// and at every later open. Every relay request then goes through it; relays named by
    /// peers that are not on the list may be used through it (public `https` ones and
    /// `.onion` ones only).
    ///
    /// Only `socks5h://host:port` is accepted: `socks5://` would resolve relay names with
    /// the local resolver, outside Tor.
    ///
    /// # Errors
    /// [`ClientError::InvalidProxy`], [`ClientError::Storage`].
    pub async fn set_proxy(&self, proxy: Option<&str>) -> Result<()> {
        let proxy = match proxy {
            Some(text) => Some(
                ProxyUrl::parse(text)
                    .map_err(|_| ClientError::InvalidProxy)?
                    .to_string(),
            ),
            None => None,
        };
        let _op = self.op.lock().await;
        let _guard = self.lock()?;
        let mut profile = self.profile()?;
        profile.proxy = proxy;
        self.db.put(
            super::db::Tree::Meta,
            super::db::PROFILE_KEY,
            &profile,
            None,
        )?;
        self.net
            .configure(&self.chosen_relays(&profile), profile.proxy.as_deref())
    }

    /// The profile's persisted proxy, if one is set.
    ///
    /// # Errors
    /// [`ClientError::Storage`].
    pub fn proxy(&self) -> Result<Option<String>> {
        Ok(self.profile()?.proxy)
    }
}
