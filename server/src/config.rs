//! Settings: built-in defaults, overridden by a TOML file (`--config`), then by
//! `CORRIDOR_RELAY_*` environment variables, then by flags.

use clap::Parser;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use zeroize::Zeroize;

/// Operator tokens that admit mailbox creation without proof-of-work. `Debug` shows only
/// how many there are; the strings are wiped when dropped.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct OperatorTokens(pub Vec<String>);

impl std::fmt::Debug for OperatorTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OperatorTokens({} configured)", self.0.len())
    }
}

impl Drop for OperatorTokens {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Which storage engine holds the relay's data.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// The embedded sled database in `data_dir` (the zero-configuration default; one
    /// relay process).
    #[default]
    Sled,
    /// A PostgreSQL database at `database_url`, which several relay instances may share.
    Postgres,
}

/// A PostgreSQL connection URL or key/value string (`postgres://user:password@host/db`).
/// `Debug` and [`DatabaseUrl::redacted`] never show the password; the string is wiped when
/// dropped.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    /// The URL with any password replaced by `***` (for logs and errors).
    pub fn redacted(&self) -> String {
        let url = self.0.as_str();
        // URL form: scheme://user:password@host...
        if let Some(scheme_end) = url.find("://") {
            let rest = &url[scheme_end + 3..];
            let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
            if let Some(at) = rest[..authority_end].rfind('@') {
                let userinfo = &rest[..at];
                let user = userinfo.split(':').next().unwrap_or("");
                let mut out = format!("{}{user}", &url[..scheme_end + 3]);
                if userinfo.contains(':') {
                    out.push_str(":***");
                }
                out.push_str(&rest[at..authority_end]);
                out.push_str(&redact_query(&rest[authority_end..]));
                return out;
            }
            let mut out = url[..scheme_end + 3 + authority_end].to_string();
            out.push_str(&redact_query(&rest[authority_end..]));
            return out;
        }
        // Key/value form: host=... password=... dbname=...
        url.split_whitespace()
            .map(|pair| {
                if pair.to_ascii_lowercase().starts_with("password=") {
                    "password=***".to_string()
                } else {
                    pair.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `?a=b&password=c` with the password's value replaced.
fn redact_query(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            if pair.to_ascii_lowercase().starts_with("password=") {
                "password=***".to_string()
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl Drop for DatabaseUrl {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Every setting of the relay. Field names are the TOML keys.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory of the sled database.
    pub data_dir: PathBuf,
    /// The storage engine: `sled` (default) or `postgres`.
    pub storage: Storage,
    /// The PostgreSQL database (with `storage = "postgres"`).
    pub database_url: Option<DatabaseUrl>,
    /// Most connections to PostgreSQL each relay instance opens for reads (the writer and
    /// the notification listener use one more each).
    pub database_pool_size: usize,
    /// PEM certificate chain; with `tls_key`, the relay serves HTTPS itself.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Leading zero bits a mailbox-creation proof-of-work needs (at most 32).
    pub pow_difficulty: u8,
    /// Seconds a proof-of-work challenge stays valid.
    pub challenge_ttl_secs: u64,
    /// Tokens that admit mailbox creation without proof-of-work.
    pub operator_tokens: OperatorTokens,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Most messages one mailbox holds.
    pub max_messages_per_mailbox: u64,
    /// Most envelope bytes one mailbox holds.
    pub max_bytes_per_mailbox: u64,
    /// Most mailboxes the relay holds; creation beyond answers 429.
    pub max_mailboxes: u64,
    /// Most prekey bundles the relay holds; publishing a new one beyond answers 429.
    pub max_bundles: u64,
    /// Hours an undelivered message is kept (default 336 = 14 days).
    pub message_ttl_hours: u64,
    /// Seconds between sweeps that delete expired messages.
    pub sweep_interval_secs: u64,
    /// Longest long-poll wait in seconds (larger `wait_secs` are capped to this).
    pub max_wait_secs: u32,
    /// Most messages one fetch returns.
    pub fetch_batch: usize,
    /// Most sequence numbers in one acknowledgement.
    pub max_ack_seqs: usize,
    /// Seconds after which any request is answered 408.
    pub request_timeout_secs: u64,
    /// Sustained requests per second the relay accepts (all clients together).
    pub rate_limit_per_sec: u32,
    /// Requests above the sustained rate accepted in a burst.
    pub rate_limit_burst: u32,
    /// Most requests handled at once; more are answered 503.
    pub max_concurrent_requests: usize,
    /// Most one-time prekeys in one bundle.
    pub max_one_time_prekeys: usize,
    /// Largest bundle part (signed part, last-resort prekey, one one-time prekey) in bytes.
    pub max_bundle_part_bytes: usize,
    /// Most signed requests remembered for replay protection; beyond it, 503.
    pub replay_cache_entries: usize,
    /// Most operations one group-commit flush covers (1 = one flush per operation).
    pub group_commit_max_batch: usize,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `warn`.
    pub log: String,
    /// Seconds a new connection has to deliver its first complete request head (TLS
    /// handshake included); then it is closed.
    pub header_read_timeout_secs: u64,
    /// Seconds a request has to deliver its whole body once its head arrived; then 408.
    pub body_read_timeout_secs: u64,
    /// Seconds a keep-alive connection may stay idle after an answer (this includes the
    /// time to receive the next request head); then it is closed.
    pub idle_timeout_secs: u64,
    /// Most open client connections; the relay lowers it to fit the open-file limit.
    pub max_connections: usize,
    /// Bytes of the storage engine's page cache: the main term of the relay's memory use.
    pub store_cache_bytes: u64,
    /// Rewrite the database at start so that space freed by acknowledgements, expiry and
    /// destroys is returned to the file system (costs one copy of the live data, in time
    /// and in temporary disk space).
    pub compact_on_start: bool,
    /// Most one-time prekeys one bundle hands out per hour; further fetches in that hour get
    /// the last-resort prekey, so a stranger holding a bundle id cannot drain its pool.
    pub bundle_one_time_per_hour: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("corridor-relay-data"),
            storage: Storage::Sled,
            database_url: None,
            database_pool_size: 16,
            tls_cert: None,
            tls_key: None,
            pow_difficulty: 20,
            challenge_ttl_secs: 600,
            operator_tokens: OperatorTokens::default(),
            max_body_bytes: 64 * 1024,
            max_messages_per_mailbox: 1000,
            max_bytes_per_mailbox: 1000 * corridor_wire::ENVELOPE_SIZE as u64,
            max_mailboxes: 1_000_000,
            max_bundles: 100_000,
            message_ttl_hours: 14 * 24,
            sweep_interval_secs: 600,
            max_wait_secs: 25,
            fetch_batch: 50,
            max_ack_seqs: 1000,
            request_timeout_secs: 40,
            rate_limit_per_sec: 500,
            rate_limit_burst: 1000,
            max_concurrent_requests: 1024,
            max_one_time_prekeys: 200,
            max_bundle_part_bytes: 8 * 1024,
            replay_cache_entries: 1_000_000,
            group_commit_max_batch: 512,
            log: "info".into(),
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 20,
            idle_timeout_secs: 30,
            max_connections: 16_384,
            store_cache_bytes: crate::store::SledOptions::DEFAULT_CACHE_BYTES,
            compact_on_start: false,
            bundle_one_time_per_hour: 30,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for these settings.
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: toml::de::Error,
    },
    /// A setting has a value the relay cannot use.
    #[error("invalid setting: {0}")]
    Invalid(&'static str),
}

/// Command-line flags. Each also reads a `CORRIDOR_RELAY_*` environment variable; a flag
/// beats its variable, and both beat the config file.
#[derive(Debug, Parser)]
#[command(
    name = "corridor-relay",
    version,
    about = "Corridor relay: stores and forwards fixed-size opaque envelopes.",
    long_about = "Corridor relay: stores and forwards fixed-size opaque envelopes under random \
mailbox ids, and learns nothing about who anyone is.\n\nWith no configuration it serves plain \
HTTP on 127.0.0.1:8080 with its data in ./corridor-relay-data. Settings come from built-in \
defaults, then the TOML file given with --config, then CORRIDOR_RELAY_* environment \
variables, then flags. See docs/operators.md."
)]
pub struct Args {
    /// TOML config file (keys as in docs/operators.md).
    #[arg(long, env = "CORRIDOR_RELAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CORRIDOR_RELAY_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Data directory [default: ./corridor-relay-data].
    #[arg(long, env = "CORRIDOR_RELAY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Storage engine: sled (embedded, default) or postgres (shared by several instances).
    #[arg(long, env = "CORRIDOR_RELAY_STORAGE", value_name = "ENGINE")]
    pub storage: Option<Storage>,
    /// PostgreSQL URL for --storage postgres, e.g. postgres://relay@db.internal/corridor.
    /// Prefer the config file or the environment for a password: flags show in `ps`.
    #[arg(
        long,
        env = "CORRIDOR_RELAY_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<DatabaseUrl>,
    /// Most read connections to PostgreSQL per instance [default: 16].
    #[arg(long, env = "CORRIDOR_RELAY_DATABASE_POOL_SIZE", value_name = "N")]
    pub database_pool_size: Option<usize>,
    /// PEM certificate chain for HTTPS (needs --tls-key).
    #[arg(long, env = "CORRIDOR_RELAY_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (needs --tls-cert).
    #[arg(long, env = "CORRIDOR_RELAY_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Proof-of-work difficulty in leading zero bits, 0..=32 [default: 20].
    #[arg(long, env = "CORRIDOR_RELAY_POW_DIFFICULTY", value_name = "BITS")]
    pub pow_difficulty: Option<u8>,
    /// Seconds a proof-of-work challenge stays valid [default: 600].
    #[arg(long, env = "CORRIDOR_RELAY_CHALLENGE_TTL_SECS", value_name = "SECS")]
    pub challenge_ttl_secs: Option<u64>,
    /// Operator token admitting mailbox creation without proof-of-work; repeatable (the
    /// variable takes a comma-separated list). Prefer the config file: flags show in `ps`.
    #[arg(
        long = "operator-token",
        env = "CORRIDOR_RELAY_OPERATOR_TOKENS",
        value_delimiter = ',',
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub operator_tokens: Option<Vec<String>>,
    /// Largest request body in bytes [default: 65536].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Most messages one mailbox holds [default: 1000].
    #[arg(
        long,
        env = "CORRIDOR_RELAY_MAX_MESSAGES_PER_MAILBOX",
        value_name = "N"
    )]
    pub max_messages_per_mailbox: Option<u64>,
    /// Most envelope bytes one mailbox holds [default: 4096000].
    #[arg(
        long,
        env = "CORRIDOR_RELAY_MAX_BYTES_PER_MAILBOX",
        value_name = "BYTES"
    )]
    pub max_bytes_per_mailbox: Option<u64>,
    /// Most mailboxes the relay holds [default: 1000000].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_MAILBOXES", value_name = "N")]
    pub max_mailboxes: Option<u64>,
    /// Most prekey bundles the relay holds [default: 100000].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_BUNDLES", value_name = "N")]
    pub max_bundles: Option<u64>,
    /// Hours undelivered mail is kept [default: 336 (14 days)].
    #[arg(long, env = "CORRIDOR_RELAY_MESSAGE_TTL_HOURS", value_name = "HOURS")]
    pub message_ttl_hours: Option<u64>,
    /// Seconds between expiry sweeps [default: 600].
    #[arg(long, env = "CORRIDOR_RELAY_SWEEP_INTERVAL_SECS", value_name = "SECS")]
    pub sweep_interval_secs: Option<u64>,
    /// Longest long-poll wait in seconds [default: 25].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_WAIT_SECS", value_name = "SECS")]
    pub max_wait_secs: Option<u32>,
    /// Most messages one fetch returns [default: 50].
    #[arg(long, env = "CORRIDOR_RELAY_FETCH_BATCH", value_name = "N")]
    pub fetch_batch: Option<usize>,
    /// Most sequence numbers in one acknowledgement [default: 1000].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_ACK_SEQS", value_name = "N")]
    pub max_ack_seqs: Option<usize>,
    /// Seconds after which a request is answered 408 [default: 40].
    #[arg(long, env = "CORRIDOR_RELAY_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Sustained requests per second, all clients together [default: 500].
    #[arg(long, env = "CORRIDOR_RELAY_RATE_LIMIT_PER_SEC", value_name = "N")]
    pub rate_limit_per_sec: Option<u32>,
    /// Burst above the sustained rate [default: 1000].
    #[arg(long, env = "CORRIDOR_RELAY_RATE_LIMIT_BURST", value_name = "N")]
    pub rate_limit_burst: Option<u32>,
    /// Most requests handled at once [default: 1024].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_CONCURRENT_REQUESTS", value_name = "N")]
    pub max_concurrent_requests: Option<usize>,
    /// Most one-time prekeys per bundle [default: 200].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_ONE_TIME_PREKEYS", value_name = "N")]
    pub max_one_time_prekeys: Option<usize>,
    /// Largest bundle part in bytes [default: 8192].
    #[arg(
        long,
        env = "CORRIDOR_RELAY_MAX_BUNDLE_PART_BYTES",
        value_name = "BYTES"
    )]
    pub max_bundle_part_bytes: Option<usize>,
    /// Most remembered signed requests (replay protection) [default: 1000000].
    #[arg(long, env = "CORRIDOR_RELAY_REPLAY_CACHE_ENTRIES", value_name = "N")]
    pub replay_cache_entries: Option<usize>,
    /// Most operations per group-commit flush; 1 = one flush per operation [default: 512].
    #[arg(long, env = "CORRIDOR_RELAY_GROUP_COMMIT_MAX_BATCH", value_name = "N")]
    pub group_commit_max_batch: Option<usize>,
    /// Log filter, e.g. info, warn, debug [default: info].
    #[arg(long, env = "CORRIDOR_RELAY_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Seconds a new connection has to send its first request head [default: 10].
    #[arg(
        long,
        env = "CORRIDOR_RELAY_HEADER_READ_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds a request has to send its whole body [default: 20].
    #[arg(
        long,
        env = "CORRIDOR_RELAY_BODY_READ_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub body_read_timeout_secs: Option<u64>,
    /// Seconds an idle keep-alive connection is kept [default: 30].
    #[arg(long, env = "CORRIDOR_RELAY_IDLE_TIMEOUT_SECS", value_name = "SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Most open client connections, lowered to fit the open-file limit [default: 16384].
    #[arg(long, env = "CORRIDOR_RELAY_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Bytes of the storage page cache [default: 16777216].
    #[arg(long, env = "CORRIDOR_RELAY_STORE_CACHE_BYTES", value_name = "BYTES")]
    pub store_cache_bytes: Option<u64>,
    /// Compact the database at start (returns freed space to the file system; needs room
    /// for one more copy of the live data) [default: false].
    #[arg(long, env = "CORRIDOR_RELAY_COMPACT_ON_START", value_name = "BOOL")]
    pub compact_on_start: Option<bool>,
    /// Most one-time prekeys one bundle hands out per hour [default: 30].
    #[arg(
        long,
        env = "CORRIDOR_RELAY_BUNDLE_ONE_TIME_PER_HOUR",
        value_name = "N"
    )]
    pub bundle_one_time_per_hour: Option<u32>,
}

macro_rules! overlay {
    ($config:ident, $args:ident, $($field:ident),* $(,)?) => {
        $( if let Some(value) = $args.$field { $config.$field = value; } )*
    };
}

impl Config {
    /// Reads the TOML file at `path` over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Defaults, then the config file named in `args` (if any), then `args` (flags and
    /// environment variables, as clap resolved them); then [`Config::validate`].
    pub fn load(args: Args) -> Result<Self, ConfigError> {
        let mut config = match &args.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        if let Some(tokens) = args.operator_tokens {
            config.operator_tokens =
                OperatorTokens(tokens.into_iter().filter(|t| !t.is_empty()).collect());
        }
        if args.tls_cert.is_some() {
            config.tls_cert = args.tls_cert;
        }
        if args.database_url.is_some() {
            config.database_url = args.database_url;
        }
        if args.tls_key.is_some() {
            config.tls_key = args.tls_key;
        }
        overlay!(
            config,
            args,
            listen,
            data_dir,
            storage,
            database_pool_size,
            pow_difficulty,
            challenge_ttl_secs,
            max_body_bytes,
            max_messages_per_mailbox,
            max_bytes_per_mailbox,
            max_mailboxes,
            max_bundles,
            message_ttl_hours,
            sweep_interval_secs,
            max_wait_secs,
            fetch_batch,
            max_ack_seqs,
            request_timeout_secs,
            rate_limit_per_sec,
            rate_limit_burst,
            max_concurrent_requests,
            max_one_time_prekeys,
            max_bundle_part_bytes,
            replay_cache_entries,
            group_commit_max_batch,
            log,
            header_read_timeout_secs,
            body_read_timeout_secs,
            idle_timeout_secs,
            max_connections,
            store_cache_bytes,
            compact_on_start,
            bundle_one_time_per_hour,
        );
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings the relay cannot run with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.pow_difficulty > corridor_wire::pow::MAX_DIFFICULTY {
            return Err(ConfigError::Invalid("pow_difficulty must be at most 32"));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid(
                "tls_cert and tls_key must be given together",
            ));
        }
        if self.max_body_bytes < 8 * 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 8192 (one envelope in JSON)",
            ));
        }
        if self.fetch_batch == 0
            || self.max_concurrent_requests == 0
            || self.rate_limit_per_sec == 0
            || self.group_commit_max_batch == 0
            || self.replay_cache_entries == 0
            || self.request_timeout_secs == 0
            || self.sweep_interval_secs == 0
        {
            return Err(ConfigError::Invalid(
                "fetch_batch, max_concurrent_requests, rate_limit_per_sec, \
                 group_commit_max_batch, replay_cache_entries, request_timeout_secs and \
                 sweep_interval_secs must be positive",
            ));
        }
        if self.header_read_timeout_secs == 0
            || self.body_read_timeout_secs == 0
            || self.idle_timeout_secs == 0
            || self.max_connections == 0
        {
            return Err(ConfigError::Invalid(
                "header_read_timeout_secs, body_read_timeout_secs, idle_timeout_secs and \
                 max_connections must be positive",
            ));
        }
        if self.message_ttl_hours == 0 {
            return Err(ConfigError::Invalid(
                "message_ttl_hours must be at least 1 (0 would delete mail on arrival)",
            ));
        }
        if self.max_messages_per_mailbox == 0
            || self.max_bytes_per_mailbox < corridor_wire::ENVELOPE_SIZE as u64
        {
            return Err(ConfigError::Invalid(
                "max_messages_per_mailbox must be positive and max_bytes_per_mailbox at \
                 least one envelope (4096)",
            ));
        }
        if self.storage == Storage::Postgres
            && self
                .database_url
                .as_ref()
                .is_none_or(|url| url.0.is_empty())
        {
            return Err(ConfigError::Invalid(
                "storage = \"postgres\" needs database_url (or CORRIDOR_RELAY_DATABASE_URL)",
            ));
        }
        if self.database_pool_size == 0 {
            return Err(ConfigError::Invalid("database_pool_size must be positive"));
        }
        if self.store_cache_bytes < 1024 * 1024 {
            return Err(ConfigError::Invalid(
                "store_cache_bytes must be at least 1048576",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("corridor-relay").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn defaults_serve_loopback_8080() {
        let config = Config::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("corridor-relay-data"));
        assert_eq!(config.message_ttl_hours, 336);
        config.validate().unwrap();
    }

    #[test]
    fn flags_beat_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\npow_difficulty = 3\noperator_tokens = [\"a\"]\n",
        )
        .unwrap();
        let config = Config::load(parse(&[
            "--config",
            file.to_str().unwrap(),
            "--pow-difficulty",
            "5",
        ]))
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.pow_difficulty, 5);
        assert_eq!(config.operator_tokens.0, vec!["a".to_string()]);
        assert!(!format!("{config:?}").contains("\"a\""));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("relay.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").unwrap();
        assert!(matches!(
            Config::from_file(&file),
            Err(ConfigError::Parse { .. })
        ));
        assert!(Config::load(parse(&["--pow-difficulty", "33"])).is_err());
        assert!(Config::load(parse(&["--tls-cert", "x.pem"])).is_err());
        assert!(Config::load(parse(&["--message-ttl-hours", "0"])).is_err());
        assert!(Config::load(parse(&["--max-bytes-per-mailbox", "4095"])).is_err());
        assert!(Config::load(parse(&["--store-cache-bytes", "1000"])).is_err());
        let config = Config::load(parse(&["--compact-on-start", "true"])).unwrap();
        assert!(config.compact_on_start);
        assert_eq!(config.store_cache_bytes, 16 * 1024 * 1024);
        assert!(Config::load(parse(&["--storage", "postgres"])).is_err());
    }

    #[test]
    fn postgres_is_chosen_by_file_env_or_flag_and_its_password_never_shows() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "storage = \"postgres\"\ndatabase_url = \"postgres://relay:s3cr3t-pw@db.internal:5433/corridor?sslmode=disable\"\n",
        )
        .unwrap();
        let config = Config::load(parse(&["--config", file.to_str().unwrap()])).unwrap();
        assert_eq!(config.storage, Storage::Postgres);
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(
            shown.contains("postgres://relay:***@db.internal:5433/corridor"),
            "{shown}"
        );
        let flags = Config::load(parse(&[
            "--storage",
            "postgres",
            "--database-url",
            "host=/run/pg user=relay password=s3cr3t-pw dbname=corridor",
        ]))
        .unwrap();
        let url = flags.database_url.clone().unwrap();
        assert!(!format!("{flags:?}").contains("s3cr3t-pw"));
        assert_eq!(
            url.redacted(),
            "host=/run/pg user=relay password=*** dbname=corridor"
        );
        assert_eq!(
            DatabaseUrl("postgres://relay@db/c?password=s3cr3t-pw&x=1".into()).redacted(),
            "postgres://relay@db/c?password=***&x=1"
        );
        assert_eq!(
            DatabaseUrl("postgresql://u:p@h/d".into()).redacted(),
            "postgresql://u:***@h/d"
        );
    }
}
