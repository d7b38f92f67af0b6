//! `HttpRelay` against the real relay (`corridor-relay`), run in-process on 127.0.0.1:0,
//! and `MemoryRelay` held to the same script, so the fake cannot drift from the relay.
// Test helpers outside `#[test]` functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use corridor_client::primitives::ed25519::SigningKey;
use corridor_client::transport::{
    AuthSigner, Freshness, HttpConfig, HttpRelay, MemoryRelay, MemoryRelayConfig, NetFailure,
    Relay, RelayPool, RelayUrl, RetryPolicy, SystemFreshness, TransportError,
};
use corridor_relay::config::OperatorTokens;
use corridor_relay::{AppState, Config, SystemClock};
use corridor_wire::api::{Admission, Bundle, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::{Blob, Bytes};
use corridor_wire::{ENVELOPE_SIZE, NONCE_LEN};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const TOKEN: &str = "test-operator-token";
const DIFFICULTY: u8 = 8;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes([seed; 32])
}

fn envelope(fill: u8) -> [u8; ENVELOPE_SIZE] {
    [fill; ENVELOPE_SIZE]
}

fn relay_config() -> Config {
    Config {
        pow_difficulty: DIFFICULTY,
        operator_tokens: OperatorTokens(vec![TOKEN.into()]),
        max_wait_secs: 10,
        ..Config::default()
    }
}

/// A running relay; dropping `stop` shuts it down.
struct Running {
    url: RelayUrl,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn shut_down(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

async fn start_relay(config: Config) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let state = AppState::in_memory(config, Arc::new(SystemClock)).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        corridor_relay::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running {
        url: RelayUrl::parse(&format!("{scheme}://{addr}")).unwrap(),
        stop: Some(stop),
        task,
    }
}

fn http_config() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        ..HttpConfig::default()
    }
}

fn outcome<T>(result: Result<T, TransportError>, ok: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => ok(value),
        Err(TransportError::Rejected { status, code }) => {
            format!("{status} {}", code.unwrap_or_default())
        }
        Err(other) => format!("{other:?}"),
    }
}

fn done<T>(_: T) -> String {
    "ok".into()
}

/// Drives every operation, good and bad, and records what the relay answered.
async fn script(relay: &dyn Relay) -> Vec<String> {
    let owner = key(1);
    let stranger = key(2);
    let mut log = Vec::new();

    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    for fill in [1, 2] {
        log.push(outcome(
            relay
                .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(fill))
                .await,
            done,
        ));
    }
    let mut wrong = ids.deposit_credential;
    wrong.0[31] ^= 0x80;
    log.push(outcome(
        relay.deposit(&ids.deposit_id, &wrong, &envelope(9)).await,
        done,
    ));
    log.push(outcome(
        relay
            .deposit(&ids.read_id, &ids.deposit_credential, &envelope(9))
            .await,
        done,
    ));
    log.push(outcome(relay.fetch(&ids.read_id, &stranger, 0).await, done));
    log.push(outcome(relay.fetch(&ids.deposit_id, &owner, 0).await, done));

    let got = relay.fetch(&ids.read_id, &owner, 0).await.unwrap();
    log.push(format!("fetched {}", got.len()));
    assert_eq!(*got[0].envelope, envelope(1));
    assert_eq!(*got[1].envelope, envelope(2));
    let first = [got[0].seq];
    log.push(outcome(
        relay.ack(&ids.read_id, &stranger, &first).await,
        done,
    ));
    log.push(outcome(
        relay.ack(&ids.read_id, &owner, &first).await,
        |n| format!("acked {n}"),
    ));
    log.push(outcome(
        relay.ack(&ids.read_id, &owner, &first).await,
        |n| format!("acked {n}"),
    ));
    let left = relay.fetch(&ids.read_id, &owner, 0).await.unwrap();
    log.push(format!("fetched {}", left.len()));
    assert_eq!(*left[0].envelope, envelope(2));

    log.push(outcome(relay.destroy(&ids.read_id, &stranger).await, done));
    log.push(outcome(relay.destroy(&ids.read_id, &owner).await, done));
    log.push(outcome(
        relay
            .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(3))
            .await,
        done,
    ));
    log.push(outcome(relay.fetch(&ids.read_id, &owner, 0).await, done));
    log.push(outcome(relay.destroy(&ids.read_id, &owner).await, done));

    // Admission.
    let challenge = relay.challenge().await.unwrap();
    log.push(format!("difficulty {}", challenge.difficulty));
    let admission = corridor_client::transport::solve_pow(challenge)
        .await
        .unwrap();
    log.push(outcome(
        relay.create_mailbox(&key(3).auth_key(), &admission).await,
        done,
    ));
    log.push(outcome(
        relay.create_mailbox(&key(3).auth_key(), &admission).await,
        done,
    ));
    let token = Admission::Token {
        token: TOKEN.into(),
    };
    log.push(outcome(
        relay.create_mailbox(&key(4).auth_key(), &token).await,
        done,
    ));
    let guess = Admission::Token {
        token: "guess".into(),
    };
    log.push(outcome(
        relay.create_mailbox(&key(4).auth_key(), &guess).await,
        done,
    ));
    log.push(outcome(
        relay.create_mailbox(&Bytes([0; 32]), &token).await,
        done,
    ));

    // Bundles.
    let bundle_id = Bytes([7; 16]);
    let bundle_key = key(5);
    let bundle = Bundle {
        signed: Blob(vec![1; 100]),
        one_time: vec![
            OneTimePrekey {
                id: 1,
                key: Blob(vec![11; 32]),
            },
            OneTimePrekey {
                id: 2,
                key: Blob(vec![12; 32]),
            },
        ],
        last_resort: Blob(vec![9; 32]),
    };
    log.push(outcome(
        relay.publish_bundle(&bundle_id, &bundle_key, &bundle).await,
        |n| format!("published {n}"),
    ));
    for _ in 0..3 {
        log.push(outcome(relay.fetch_bundle(&bundle_id).await, |b| {
            assert_eq!(b.signed, bundle.signed);
            match b.prekey {
                HandedPrekey::OneTime(p) => format!("one-time {}", p.id),
                HandedPrekey::LastResort { key } => {
                    assert_eq!(key, bundle.last_resort);
                    "last resort".into()
                }
            }
        }));
    }
    log.push(outcome(
        relay.publish_bundle(&bundle_id, &stranger, &bundle).await,
        done,
    ));
    log.push(outcome(
        relay.delete_bundle(&bundle_id, &stranger).await,
        done,
    ));
    log.push(outcome(
        relay.delete_bundle(&bundle_id, &bundle_key).await,
        done,
    ));
    log.push(outcome(relay.fetch_bundle(&bundle_id).await, done));
    log
}

/// What the relay's rules say the script must see.
fn expected() -> Vec<String> {
    [
        "ok",
        "ok",
        "403 bad_credential",
        "404 no_such_mailbox",
        "401 bad_signature",
        "404 no_such_mailbox",
        "fetched 2",
        "401 bad_signature",
        "acked 1",
        "acked 0",
        "fetched 1",
        "401 bad_signature",
        "ok",
        "404 no_such_mailbox",
        "404 no_such_mailbox",
        "404 no_such_mailbox",
        &format!("difficulty {DIFFICULTY}"),
        "ok",
        "403 challenge_used",
        "ok",
        "403 bad_admission",
        "400 bad_key",
        "published 2",
        "one-time 1",
        "one-time 2",
        "last resort",
        "403 bundle_key_mismatch",
        "401 bad_signature",
        "ok",
        "404 no_such_bundle",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test]
async fn every_operation_against_the_real_relay() {
    let running = start_relay(relay_config()).await;
    let relay = HttpRelay::new(running.url.clone(), &http_config()).unwrap();
    assert_eq!(script(&relay).await, expected());
    running.shut_down().await;
}

#[tokio::test]
async fn memory_relay_answers_like_the_real_one() {
    let relay = MemoryRelay::new(MemoryRelayConfig {
        difficulty: DIFFICULTY,
        tokens: vec![TOKEN.into()],
        ..MemoryRelayConfig::default()
    });
    assert_eq!(script(&relay).await, expected());
}

#[tokio::test]
async fn long_poll_wakes_on_deposit() {
    let running = start_relay(relay_config()).await;
    let relay: Arc<dyn Relay> =
        Arc::new(HttpRelay::new(running.url.clone(), &http_config()).unwrap());
    let owner = Arc::new(key(1));
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    let waiter = {
        let relay = Arc::clone(&relay);
        let owner = Arc::clone(&owner);
        let read_id = ids.read_id;
        tokio::spawn(async move { relay.fetch(&read_id, &*owner, 8).await })
    };
    // Let the fetch reach the relay and start waiting; a fetch that did not wait would
    // come back empty and fail the assertion below.
    tokio::time::sleep(Duration::from_millis(300)).await;
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(4))
        .await
        .unwrap();
    let got = waiter.await.unwrap().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(*got[0].envelope, envelope(4));
    running.shut_down().await;
}

/// A client clock `offset` seconds off, with one fixed nonce.
struct Skewed {
    offset: i64,
    nonce: Option<[u8; NONCE_LEN]>,
}

impl Freshness for Skewed {
    fn now_unix(&self) -> u64 {
        SystemFreshness
            .now_unix()
            .checked_add_signed(self.offset)
            .unwrap()
    }
    fn nonce(&self) -> Result<[u8; NONCE_LEN], TransportError> {
        self.nonce.map_or_else(|| SystemFreshness.nonce(), Ok)
    }
}

#[tokio::test]
async fn wrong_clocks_are_corrected_and_replays_refused() {
    let running = start_relay(relay_config()).await;
    let owner = key(1);
    let plain = HttpRelay::new(running.url.clone(), &http_config()).unwrap();
    let ids = plain
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();

    // A device clock ten minutes slow: the first signed request is refused as stale, the
    // relay's Date header corrects the clock, and the re-signed request goes through.
    let late = HttpRelay::new(running.url.clone(), &http_config())
        .unwrap()
        .with_freshness(Arc::new(Skewed {
            offset: -600,
            nonce: None,
        }));
    assert!(
        late.fetch(&ids.read_id, &owner, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        (598..=602).contains(&late.clock_offset()),
        "{}",
        late.clock_offset()
    );
    late.ack(&ids.read_id, &owner, &[1]).await.unwrap();

    // MemoryRelay has no Date header to learn from: there the refusal shows.
    let memory = MemoryRelay::default().with_client_freshness(Arc::new(Skewed {
        offset: -600,
        nonce: None,
    }));
    let ids_m = memory
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    let err = memory.fetch(&ids_m.read_id, &owner, 0).await.unwrap_err();
    assert_eq!(err.code(), Some("stale_timestamp"));
    assert!(!err.is_transient());

    let replaying = HttpRelay::new(running.url.clone(), &http_config())
        .unwrap()
        .with_freshness(Arc::new(Skewed {
            offset: 0,
            nonce: Some([3; NONCE_LEN]),
        }));
    replaying.fetch(&ids.read_id, &owner, 0).await.unwrap();
    let err = replaying.fetch(&ids.read_id, &owner, 0).await.unwrap_err();
    assert_eq!(err.code(), Some("replayed"));
    running.shut_down().await;
}

#[tokio::test]
async fn a_stopped_relay_is_unreachable_and_the_pool_reuses_relays() {
    let running = start_relay(relay_config()).await;
    let pool = RelayPool::new(http_config());
    let relay = pool.relay(&running.url).unwrap();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    let url = running.url.clone();
    running.shut_down().await;

    let again = pool.relay(&url).unwrap();
    assert!(Arc::ptr_eq(&relay, &again));
    let err = again
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(1))
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Unreachable(NetFailure::Connect));
    assert!(err.is_transient());
}

/// A self-signed certificate for 127.0.0.1 and localhost (P-256, valid until 2126), made
/// for this test with `openssl req -x509 ... -addext basicConstraints=critical,CA:FALSE`.
/// Its key is public: it protects nothing but this test.
const TEST_CERT_PEM: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB1DCCAXmgAwIBAgIUOi+qyzCceGweTfe18InOm801MdIwCgYIKoZIzj0EAwIw\n\
HjEcMBoGA1UEAwwTY29ycmlkb3IgdGVzdCByZWxheTAgFw0yNjExMjEwODU3MDda\n\
GA8yMTI2MTAyODA4NTcwN1owHjEcMBoGA1UEAwwTY29ycmlkb3IgdGVzdCByZWxh\n\
eTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNLeCFsbhcmA4+Ukbh5q2CRFcC2r\n\
/MvGsSEgSYrCz8U/2oZwVB/T82YgWckEZ3B3nYK+5cN9e1PDjWvtOLIqxQKjgZIw\n\
gY8wHQYDVR0OBBYEFMepqz5GE5EI8hRIjNcHs7Mdc/mgMB8GA1UdIwQYMBaAFMep\n\
qz5GE5EI8hRIjNcHs7Mdc/mgMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAM\n\
BgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcD\n\
ATAKBggqhkjOPQQDAgNJADBGAiEAq19OdwbcwmgL5pzRPbPY8sqSVTJVEQoxoe/5\n\
w/kd94sCIQCLPAvqqjdrdywNCtqERhpOAFwG4q6VY2xZZyP5/8wV4w==\n\
-----END CERTIFICATE-----\n";

const TEST_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJk4HJMmGMMpqYQGC\n\
QRK2/44MovBuA3ocNv52qkMB+tqhRANCAATS3ghbG4XJgOPlJG4eatgkRXAtq/zL\n\
xrEhIEmKws/FP9qGcFQf0/NmIFnJBGdwd52CvuXDfXtTw41r7TiyKsUC\n\
-----END PRIVATE KEY-----\n";

fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    data_encoding::BASE64.decode(body.as_bytes()).unwrap()
}

#[tokio::test]
async fn https_with_a_pinned_root_and_refusal_of_an_unknown_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&cert, TEST_CERT_PEM).unwrap();
    std::fs::write(&key_file, TEST_KEY_PEM).unwrap();
    let running = start_relay(Config {
        tls_cert: Some(cert),
        tls_key: Some(key_file),
        ..relay_config()
    })
    .await;
    assert!(running.url.as_str().starts_with("https://127.0.0.1:"));

    let trusting = HttpConfig {
        extra_roots_der: vec![pem_to_der(TEST_CERT_PEM)],
        ..http_config()
    };
    let relay = HttpRelay::new(running.url.clone(), &trusting).unwrap();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(6))
        .await
        .unwrap();
    let got = relay.fetch(&ids.read_id, &owner, 0).await.unwrap();
    assert_eq!(*got[0].envelope, envelope(6));

    // With only the built-in roots, the self-signed certificate is refused: nothing is sent.
    let default = HttpRelay::new(running.url.clone(), &http_config()).unwrap();
    let err = default
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(7))
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Unreachable(NetFailure::Connect));
    assert_eq!(relay.fetch(&ids.read_id, &owner, 0).await.unwrap().len(), 1);
    running.shut_down().await;
}

#[test]
fn client_codes_are_the_relays() {
    use corridor_client::transport::codes;
    use corridor_relay::error::ApiError;
    let pairs = [
        (codes::BAD_ADMISSION, ApiError::BAD_ADMISSION),
        (codes::CHALLENGE_USED, ApiError::CHALLENGE_USED),
        (codes::BAD_KEY, ApiError::BAD_KEY),
        (codes::NO_SUCH_MAILBOX, ApiError::NO_SUCH_MAILBOX),
        (codes::NO_SUCH_BUNDLE, ApiError::NO_SUCH_BUNDLE),
        (codes::BAD_CREDENTIAL, ApiError::BAD_CREDENTIAL),
        (codes::BAD_SIGNATURE, ApiError::BAD_SIGNATURE),
        (codes::STALE_TIMESTAMP, ApiError::STALE),
        (codes::REPLAYED, ApiError::REPLAYED),
        (codes::BUNDLE_KEY_MISMATCH, ApiError::BUNDLE_KEY_MISMATCH),
        (codes::MAILBOX_FULL, ApiError::MAILBOX_FULL),
        (codes::RATE_LIMITED, ApiError::RATE_LIMITED),
        (codes::RELAY_FULL, ApiError::RELAY_FULL),
        (codes::TOO_MANY_SEQS, ApiError::TOO_MANY_SEQS),
        (codes::BAD_BUNDLE, ApiError::BAD_BUNDLE),
        (codes::INVALID_BODY, ApiError::INVALID_BODY),
        (codes::TIMEOUT, ApiError::TIMEOUT),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(ours, theirs.code);
        let err = TransportError::Rejected {
            status: theirs.status.as_u16(),
            code: Some(ours.into()),
        };
        // Every 408 and 429 is transient; every other refusal is not.
        assert_eq!(
            err.is_transient(),
            matches!(theirs.status.as_u16(), 408 | 429),
            "{ours}"
        );
    }
}

#[tokio::test]
async fn rotation_to_a_mailbox_on_another_relay() {
    // What the façade's rotation needs from the transport: create a mailbox on any relay
    // of the pool, destroy the old one; the contact deposits to the new one.
    let first = start_relay(relay_config()).await;
    let second = start_relay(relay_config()).await;
    let pool = RelayPool::new(http_config());
    let old_relay = pool.relay(&first.url).unwrap();
    let new_relay = pool.relay(&second.url).unwrap();
    assert!(!Arc::ptr_eq(&old_relay, &new_relay));

    let (old_key, new_key) = (key(1), key(2));
    let old = old_relay
        .create_mailbox_with_pow(&old_key.auth_key())
        .await
        .unwrap();
    old_relay
        .deposit(&old.deposit_id, &old.deposit_credential, &envelope(1))
        .await
        .unwrap();
    let new = new_relay
        .create_mailbox_with_pow(&new_key.auth_key())
        .await
        .unwrap();
    // Drain the old mailbox, then destroy it.
    let pending = old_relay.fetch(&old.read_id, &old_key, 0).await.unwrap();
    assert_eq!(pending.len(), 1);
    old_relay.destroy(&old.read_id, &old_key).await.unwrap();

    // A contact still using the old address learns it is gone; the new one works.
    let stale = old_relay
        .deposit(&old.deposit_id, &old.deposit_credential, &envelope(2))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Some("no_such_mailbox"));
    new_relay
        .deposit(&new.deposit_id, &new.deposit_credential, &envelope(3))
        .await
        .unwrap();
    let got = new_relay.fetch(&new.read_id, &new_key, 0).await.unwrap();
    assert_eq!(*got[0].envelope, envelope(3));
    // The old key means nothing on the new relay.
    assert_eq!(
        new_relay
            .fetch(&new.read_id, &old_key, 0)
            .await
            .unwrap_err()
            .code(),
        Some("bad_signature")
    );
    first.shut_down().await;
    second.shut_down().await;
}
