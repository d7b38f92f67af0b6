//! [`RelayPool`]: the relays one profile talks to, keyed by URL.
//!
//! Each mailbox records the URL of the relay it lives on; a contact's mailbox may live on
//! another relay. The pool builds an [`HttpRelay`] for a URL the first time it is asked,
//! with the profile's shared [`HttpConfig`] (so every relay goes through the same proxy),
//! and hands out the same one afterwards. Tests (and embedders with their own transport)
//! put any [`Relay`] in for a URL with [`RelayPool::insert`].

use super::Relay;
use super::error::TransportError;
use super::http::{HttpConfig, HttpRelay};
use super::url::RelayUrl;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The relays of one profile (see the [module docs](self)).
pub struct RelayPool {
    config: Mutex<HttpConfig>,
    relays: Mutex<HashMap<RelayUrl, Entry>>,
}

/// A relay in the pool, and whether the pool built it (from its config) or was given it.
struct Entry {
    relay: Arc<dyn Relay>,
    built: bool,
}

impl std::fmt::Debug for RelayPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayPool")
            .field("proxy", &self.config().proxy)
            .finish_non_exhaustive()
    }
}

impl RelayPool {
    /// An empty pool whose HTTP relays use `config`.
    pub fn new(config: HttpConfig) -> Self {
        Self {
            config: Mutex::new(config),
            relays: Mutex::new(HashMap::new()),
        }
    }

    /// The settings new HTTP relays are built with.
    pub fn config(&self) -> HttpConfig {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Builds HTTP relays with `config` from now on (a new proxy, new timeouts). The
    /// HTTP relays built before are dropped, so no later request goes out with the old
    /// settings; relays given with [`RelayPool::insert`] stay.
    pub fn set_config(&self, config: HttpConfig) {
        let mut relays = self.relays.lock().unwrap_or_else(|p| p.into_inner());
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config;
        relays.retain(|_, entry| !entry.built);
    }

    /// The relay at `url`, building an [`HttpRelay`] on first use.
    ///
    /// Fails only if the relay cannot be configured (a `.onion` URL without a proxy, a bad
    /// certificate); opens no connection.
    pub fn relay(&self, url: &RelayUrl) -> Result<Arc<dyn Relay>, TransportError> {
        let mut relays = self.relays.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = relays.get(url) {
            return Ok(Arc::clone(&entry.relay));
        }
        let relay: Arc<dyn Relay> = Arc::new(HttpRelay::new(url.clone(), &self.config())?);
        relays.insert(
            url.clone(),
            Entry {
                relay: Arc::clone(&relay),
                built: true,
            },
        );
        Ok(relay)
    }

    /// Uses `relay` for `url` from now on (replacing any relay built before).
    pub fn insert(&self, url: RelayUrl, relay: Arc<dyn Relay>) {
        self.relays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                url,
                Entry {
                    relay,
                    built: false,
                },
            );
    }

    /// The URLs of the relays built or inserted so far, sorted.
    pub fn urls(&self) -> Vec<RelayUrl> {
        let mut urls: Vec<RelayUrl> = self
            .relays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        urls.sort();
        urls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{ConfigError, MemoryRelay};

    #[test]
    fn same_url_same_relay_and_inserted_relays_win() {
        let pool = RelayPool::new(HttpConfig::default());
        let a = RelayUrl::parse("https://a.example.org").unwrap();
        let a_again = RelayUrl::parse("https://A.example.org:443/").unwrap();
        let first = pool.relay(&a).unwrap();
        let second = pool.relay(&a_again).unwrap();
        assert!(Arc::ptr_eq(&first, &second));

        let b = RelayUrl::parse("https://b.example.org").unwrap();
        let memory: Arc<dyn Relay> = Arc::new(MemoryRelay::default());
        pool.insert(b.clone(), Arc::clone(&memory));
        assert!(Arc::ptr_eq(&pool.relay(&b).unwrap(), &memory));
        assert_eq!(pool.urls(), vec![a.clone(), b.clone()]);

        // A new config drops the built relays (they carry the old proxy), not inserted ones.
        pool.set_config(HttpConfig::tor().unwrap());
        assert_eq!(pool.urls(), vec![b.clone()]);
        assert!(Arc::ptr_eq(&pool.relay(&b).unwrap(), &memory));
        assert!(!Arc::ptr_eq(&pool.relay(&a).unwrap(), &first));
        assert!(pool.config().proxy.is_some());
    }

    #[test]
    fn onion_without_proxy_is_refused() {
        let pool = RelayPool::new(HttpConfig::default());
        let onion = RelayUrl::parse("http://abcdefghij234567.onion").unwrap();
        assert_eq!(
            pool.relay(&onion).err(),
            Some(TransportError::Config(ConfigError::OnionNeedsProxy))
        );
        assert!(pool.urls().is_empty());
    }
}
