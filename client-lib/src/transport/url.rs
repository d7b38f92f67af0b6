//! Relay and proxy addresses, checked before any connection is made.
//!
//! Rules for a relay URL ([`RelayUrl::parse`]):
//!
//! - `https://host[:port][/base/path]` is always accepted;
//! - `http://` is accepted only for a loopback host (`127.0.0.0/8`, `::1`, `localhost`:
//!   a relay on the same machine, or a test) or a `.onion` host (Tor already encrypts and
//!   authenticates the connection end to end, and onion services rarely have certificates);
//! - no user name, password, query or fragment: nothing in the address may identify a user,
//!   and ids always travel in request bodies.
//!
//! The only accepted proxy is `socks5h://host:port` ([`ProxyUrl::parse`]). `socks5://`
//! (without `h`) would resolve relay names with the local DNS resolver, outside Tor, which
//! tells the network which relay a person uses; other schemes do not hide anything.

use super::error::ConfigError;
use reqwest::Url;
use std::fmt;
use std::net::IpAddr;

/// A validated relay base URL. Two spellings of one relay compare equal (host lowercased,
/// default port dropped, trailing slash normalized), so it can key a [`super::RelayPool`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelayUrl {
    // Always ends with '/', so that `join` keeps the base path.
    base: String,
}

impl RelayUrl {
    /// Parses and checks a relay URL (rules in the [module docs](self)).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(text.trim()).map_err(|_| ConfigError::NotAUrl)?;
        let host = url.host_str().ok_or(ConfigError::NoHost)?;
        if host.is_empty() {
            return Err(ConfigError::NoHost);
        }
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(ConfigError::ExtraParts);
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(host) || is_onion(host) => {}
            "http" => return Err(ConfigError::InsecureHttp),
            _ => return Err(ConfigError::BadScheme),
        }
        let mut base = url.to_string();
        while base.ends_with("//") {
            base.pop();
        }
        if !base.ends_with('/') {
            base.push('/');
        }
        Ok(Self { base })
    }

    /// True when the relay is a Tor onion service (reachable only through the proxy).
    pub fn is_onion(&self) -> bool {
        Url::parse(&self.base)
            .ok()
            .and_then(|url| url.host_str().map(is_onion))
            .unwrap_or(false)
    }

    /// True when a relay named by someone else (a contact, an invitation) may be reached
    /// through the user's proxy even though it is not on the user's list: `https` to a
    /// public host name or address, or `http` to a `.onion` service (which Tor already
    /// encrypts and authenticates). Refused: plain `http` to anything else, and any host
    /// on this machine or its networks (loopback, private, link-local, unspecified,
    /// multicast or shared addresses, `localhost` and `*.localhost`, `*.local`,
    /// `*.internal`), so that a peer cannot make this device send requests to local
    /// services.
    pub fn is_public(&self) -> bool {
        let Ok(url) = Url::parse(&self.base) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        if is_onion(host) {
            return true;
        }
        if url.scheme() != "https" {
            return false;
        }
        match ip_of(host) {
            Some(IpAddr::V4(ip)) => {
                let octets = ip.octets();
                let shared = octets[0] == 100 && (64..128).contains(&octets[1]);
                !(ip.is_loopback()
                    || ip.is_private()
                    || ip.is_link_local()
                    || ip.is_unspecified()
                    || ip.is_multicast()
                    || ip.is_broadcast()
                    || ip.is_documentation()
                    || shared
                    || octets[0] == 0)
            }
            Some(IpAddr::V6(ip)) => {
                let segments = ip.segments();
                let unique_local = (segments[0] & 0xfe00) == 0xfc00;
                let link_local = (segments[0] & 0xffc0) == 0xfe80;
                let mapped = ip.to_ipv4_mapped().is_some();
                !(ip.is_loopback()
                    || ip.is_unspecified()
                    || ip.is_multicast()
                    || unique_local
                    || link_local
                    || mapped)
            }
            None => {
                let name = host.trim_end_matches('.').to_ascii_lowercase();
                !(name == "localhost"
                    || name.ends_with(".localhost")
                    || name.ends_with(".local")
                    || name.ends_with(".internal")
                    || !name.contains('.'))
            }
        }
    }

    /// The canonical text of the URL (with a trailing `/`).
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The URL of an endpoint, `path` relative to the base (e.g. `v1/challenge`).
    pub(crate) fn endpoint(&self, path: &str) -> Result<Url, ConfigError> {
        Url::parse(&self.base)
            .and_then(|base| base.join(path))
            .map_err(|_| ConfigError::NotAUrl)
    }
}

impl fmt::Display for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayUrl({})", self.base)
    }
}

impl std::str::FromStr for RelayUrl {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// A validated SOCKS5 proxy address with remote name resolution: `socks5h://host:port`,
/// e.g. Tor's `socks5h://127.0.0.1:9050`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyUrl {
    host_port: String,
}

impl ProxyUrl {
    /// Tor's default SOCKS port on the local machine.
    pub const TOR_DEFAULT: &str = "socks5h://127.0.0.1:9050";

    /// Parses and checks a proxy URL: scheme `socks5h`, a host, an explicit port, nothing
    /// else (no credentials: the transport chooses its own per relay, see
    /// [`super::HttpConfig::isolate_relays`]).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(text.trim()).map_err(|_| ConfigError::NotAUrl)?;
        if url.scheme() != "socks5h" {
            return Err(ConfigError::BadProxy);
        }
        let host = url.host_str().ok_or(ConfigError::BadProxy)?;
        let port = url.port().ok_or(ConfigError::BadProxy)?;
        let path_empty = url.path().is_empty() || url.path() == "/";
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
            || !path_empty
            || host.is_empty()
        {
            return Err(ConfigError::BadProxy);
        }
        Ok(Self {
            host_port: format!("{host}:{port}"),
        })
    }

    /// The proxy URL for `reqwest`, with optional SOCKS credentials.
    pub(crate) fn to_url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, pass)) => format!("socks5h://{user}:{pass}@{}", self.host_port),
            None => format!("socks5h://{}", self.host_port),
        }
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socks5h://{}", self.host_port)
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

impl std::str::FromStr for ProxyUrl {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// `host` as the URL parser prints it: IPv6 addresses in brackets, names lowercased.
fn ip_of(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

fn is_loopback(host: &str) -> bool {
    match ip_of(host) {
        Some(ip) => ip.is_loopback(),
        None => host.eq_ignore_ascii_case("localhost"),
    }
}

fn is_onion(host: &str) -> bool {
    if ip_of(host).is_some() {
        return false;
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name.len() > ".onion".len() && name.ends_with(".onion") && !name.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_accepted_and_normalized() {
        let a = RelayUrl::parse("https://Relay.Example.org:443").unwrap();
        let b = RelayUrl::parse("https://relay.example.org/").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "https://relay.example.org/");
        let with_path = RelayUrl::parse("https://example.org/corridor").unwrap();
        assert_eq!(
            with_path.endpoint("v1/challenge").unwrap().as_str(),
            "https://example.org/corridor/v1/challenge"
        );
        assert_eq!(
            RelayUrl::parse("https://example.org/corridor/").unwrap(),
            with_path
        );
    }

    #[test]
    fn plain_http_only_for_loopback_and_onion() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:8080",
            "http://localhost:8080",
            "http://abcdefghij234567.onion",
        ] {
            assert!(RelayUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://relay.example.org",
            "http://10.0.0.1",
            "http://192.168.1.1:8080",
            "http://onion",
            "http://.onion",
            "http://example.onion.evil.org",
            "http://[::2]",
        ] {
            assert_eq!(
                RelayUrl::parse(bad),
                Err(ConfigError::InsecureHttp),
                "{bad}"
            );
        }
        assert!(
            RelayUrl::parse("http://abcdefghij234567.onion")
                .unwrap()
                .is_onion()
        );
        assert!(!RelayUrl::parse("https://example.org").unwrap().is_onion());
    }

    #[test]
    fn other_schemes_and_extra_parts_are_refused() {
        assert_eq!(
            RelayUrl::parse("ftp://example.org"),
            Err(ConfigError::BadScheme)
        );
        assert_eq!(
            RelayUrl::parse("socks5h://127.0.0.1:9050"),
            Err(ConfigError::BadScheme)
        );
        assert_eq!(RelayUrl::parse("not a url"), Err(ConfigError::NotAUrl));
        assert_eq!(RelayUrl::parse(""), Err(ConfigError::NotAUrl));
        for bad in [
            "https://user@example.org",
            "https://user:pw@example.org",
            "https://example.org/?id=1",
            "https://example.org/#x",
        ] {
            assert_eq!(RelayUrl::parse(bad), Err(ConfigError::ExtraParts), "{bad}");
        }
        assert!(RelayUrl::parse("file:///etc/passwd").is_err());
        assert!(RelayUrl::parse("data:text/plain,x").is_err());
    }

    proptest::proptest! {
        #[test]
        fn accepted_urls_are_safe_and_canonical(
            scheme in "(https|http|ftp|socks5h|HTTP|Https)",
            userinfo in "(|user@|u:p@)",
            host in "(127\\.0\\.0\\.1|\\[::1\\]|localhost|10\\.0\\.0\\.1|[a-z0-9]{1,12}(\\.onion|\\.org|)|\\.onion)",
            port in "(|:0|:8080|:443|:99999)",
            path in "(|/|/[a-z/]{0,8}|/\\?x|#f)",
        ) {
            let text = format!("{scheme}://{userinfo}{host}{port}{path}");
            if let Ok(url) = RelayUrl::parse(&text) {
                let s = url.as_str().to_owned();
                proptest::prop_assert!(s.ends_with('/'));
                proptest::prop_assert!(!s.contains('@') && !s.contains('?') && !s.contains('#'));
                if let Some(rest) = s.strip_prefix("http://") {
                    let host = rest.split(['/', ':']).next().unwrap_or("");
                    let host = if rest.starts_with('[') { "[::1]" } else { host };
                    proptest::prop_assert!(
                        host == "127.0.0.1" || host == "[::1]" || host == "localhost"
                            || host.ends_with(".onion"),
                        "{}", s
                    );
                } else {
                    proptest::prop_assert!(s.starts_with("https://"), "{}", s);
                }
                // Canonical: parsing the canonical form gives the same URL.
                proptest::prop_assert_eq!(RelayUrl::parse(&s), Ok(url));
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".*") {
            let _ = RelayUrl::parse(&text);
            let _ = ProxyUrl::parse(&text);
        }
    }

    #[test]
    fn only_public_relays_may_come_from_a_peer() {
        for public in [
            "https://relay.example.org",
            "https://relay.example.org:8443/base",
            "https://93.184.216.34",
            "https://[2001:4860::8888]",
            "http://abcdefghij234567.onion",
            "https://abcdefghij234567.onion",
        ] {
            assert!(RelayUrl::parse(public).unwrap().is_public(), "{public}");
        }
        for local in [
            "http://127.0.0.1:8080",
            "https://127.0.0.1",
            "https://localhost",
            "https://api.localhost",
            "https://[::1]",
            "https://10.1.2.3",
            "https://192.168.0.1",
            "https://172.16.0.1",
            "https://169.254.169.254",
            "https://100.64.0.1",
            "https://0.0.0.0",
            "https://[fd00::1]",
            "https://[fe80::1]",
            "https://[::ffff:127.0.0.1]",
            "https://printer.local",
            "https://metadata.internal",
            "https://intranet",
        ] {
            assert!(!RelayUrl::parse(local).unwrap().is_public(), "{local}");
        }
    }

    #[test]
    fn only_socks5h_proxies() {
        let tor = ProxyUrl::parse(ProxyUrl::TOR_DEFAULT).unwrap();
        assert_eq!(tor.to_string(), "socks5h://127.0.0.1:9050");
        assert_eq!(tor.to_url(Some(("a", "b"))), "socks5h://a:b@127.0.0.1:9050");
        for bad in [
            "socks5://127.0.0.1:9050",
            "socks4a://127.0.0.1:9050",
            "http://127.0.0.1:8118",
            "https://127.0.0.1:8118",
            "socks5h://127.0.0.1",
            "socks5h://user:pw@127.0.0.1:9050",
            "socks5h://127.0.0.1:9050/path",
            "socks5h://127.0.0.1:9050?x=1",
            "127.0.0.1:9050",
            "",
        ] {
            assert!(ProxyUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ProxyUrl::parse("socks5://127.0.0.1:9050"),
            Err(ConfigError::BadProxy)
        );
    }
}
