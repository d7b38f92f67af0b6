//! Transport errors.
//!
//! No error here carries a mailbox id, a bundle id, a credential, a URL or a message body:
//! errors end up in logs and on screens, and the people this protects are hunted. What an
//! error does say is enough to decide what to do next (see [`TransportError::is_transient`]).

use std::fmt;

/// Why a relay URL or a proxy setting was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The text is not a URL.
    #[error("not a valid URL")]
    NotAUrl,
    /// A relay URL whose scheme is neither `http` nor `https`.
    #[error("a relay URL must use https (or http for a loopback or .onion host)")]
    BadScheme,
    /// Plain `http` to a host that is neither loopback nor a `.onion` address.
    #[error("plain http is only allowed for loopback and .onion hosts; use https")]
    InsecureHttp,
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// The URL carries a user name, a password, a query or a fragment.
    #[error("a relay URL may not carry credentials, a query or a fragment")]
    ExtraParts,
    /// A proxy URL that is not `socks5h://host:port`.
    #[error(
        "the proxy must be socks5h://host:port (socks5:// would resolve names outside the proxy)"
    )]
    BadProxy,
    /// A `.onion` relay without a proxy: the name would go to the local DNS resolver, which
    /// tells the network that this device uses that onion service, and fail anyway.
    #[error("a .onion relay needs a socks5h proxy (Tor)")]
    OnionNeedsProxy,
    /// An extra root certificate is not valid DER.
    #[error("invalid root certificate")]
    BadCertificate,
    /// The HTTP client could not be built (TLS setup failed).
    #[error("the HTTP client could not be built")]
    ClientBuild,
}

/// Why a network connection to a relay failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetFailure {
    /// No connection could be opened (refused, no route, proxy down, TLS handshake failed).
    /// The request was certainly not delivered.
    Connect,
    /// The connection or the answer took longer than the configured timeout. The relay may
    /// or may not have carried out the request.
    Timeout,
    /// The connection broke while the request or the answer was in flight. The relay may or
    /// may not have carried out the request.
    Interrupted,
}

impl fmt::Display for NetFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out",
            Self::Interrupted => "connection interrupted",
        })
    }
}

/// Why a relay operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The relay URL or proxy setting is invalid.
    #[error("invalid transport configuration: {0}")]
    Config(#[from] ConfigError),
    /// The relay could not be reached. Transient: keep outgoing messages in the outbox and
    /// try again on the next sync; nothing is lost.
    #[error("relay unreachable: {0}")]
    Unreachable(NetFailure),
    /// The relay (or the reverse proxy in front of it) answered with a 5xx status: it is
    /// overloaded, restarting or failing. Transient, like [`TransportError::Unreachable`].
    #[error("relay unavailable (status {status})")]
    Unavailable {
        /// The HTTP status.
        status: u16,
    },
    /// The relay refused the request with a 4xx answer. Not transient: sending the same
    /// request again gives the same answer.
    #[error("relay refused the request (status {status}, code {})", code.as_deref().unwrap_or("none"))]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The relay's machine-readable code (`ErrorBody::error`, e.g. `bad_signature`),
        /// when the answer carried a well-formed one. Only `[a-z0-9_]`, at most 64
        /// characters: anything else from the relay is dropped, so a hostile relay cannot
        /// smuggle text into logs.
        code: Option<String>,
    },
    /// The relay answered with a status this client does not expect (a redirect).
    #[error("unexpected answer from relay (status {status})")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// The relay's answer was malformed (not the JSON the API specifies, an envelope of the
    /// wrong size, an answer too large).
    #[error("malformed answer from relay")]
    Protocol,
    /// The relay asked for more proof-of-work than [`corridor_wire::pow::MAX_DIFFICULTY`].
    #[error("relay asked for proof-of-work difficulty {difficulty}, above the limit")]
    PowTooHard {
        /// The difficulty the relay asked for.
        difficulty: u8,
    },
    /// The proof-of-work could not be solved (the solver task failed).
    #[error("proof-of-work could not be solved")]
    PowFailed,
    /// The operating system's random number generator failed.
    #[error("no randomness available")]
    Rng,
    /// The relay is not one this profile may contact: not on its list, and not
    /// reachable through its proxy (see `Client::add_relay`). No connection was opened.
    #[error("relay not on this profile's list")]
    NotAllowed,
}

impl TransportError {
    /// True for failures that may go away by themselves ([`TransportError::Unreachable`],
    /// [`TransportError::Unavailable`], and the 408 "too slow" and 429 "too many requests"
    /// or "mailbox full" rejections): the caller should keep what it wanted to send and
    /// try again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable(_)
                | Self::Unavailable { .. }
                | Self::Rejected {
                    status: 408 | 429,
                    ..
                }
        )
    }

    /// The relay's error code, for a [`TransportError::Rejected`] answer that carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// A [`TransportError::Rejected`] with a code, after checking the code's shape.
    pub(crate) fn rejected(status: u16, code: &str) -> Self {
        let clean = !code.is_empty()
            && code.len() <= 64
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        Self::Rejected {
            status,
            code: clean.then(|| code.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_codes_are_dropped() {
        assert_eq!(
            TransportError::rejected(401, "bad_signature").code(),
            Some("bad_signature")
        );
        for code in ["", "Bad", "a b", "mailbox\nid=AAAA", &"x".repeat(65)] {
            let err = TransportError::rejected(400, code);
            assert_eq!(err.code(), None);
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn transient_errors() {
        assert!(TransportError::Unreachable(NetFailure::Connect).is_transient());
        assert!(TransportError::Unavailable { status: 503 }.is_transient());
        assert!(!TransportError::rejected(403, "bad_credential").is_transient());
        assert!(TransportError::rejected(429, "rate_limited").is_transient());
        assert!(!TransportError::Protocol.is_transient());
    }
}
