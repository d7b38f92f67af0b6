//! `HttpRelay` against a scripted HTTP stub: retries, what is and is not retried, error
//! mapping, malformed answers, redirects, timeouts, and the SOCKS5 proxy path. The real
//! relay is exercised in `transport_http_relay.rs`; a stub is needed here to produce the
//! failures a healthy relay never does.
// Test helpers outside `#[test]` functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::body::Bytes as Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use corridor_client::primitives::ed25519::SigningKey;
use corridor_client::transport::{
    ConfigError, HttpConfig, HttpRelay, Isolation, NetFailure, ProxyUrl, Relay, RelayUrl,
    RetryPolicy, TransportError,
};
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::b64::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn key() -> SigningKey {
    SigningKey::from_bytes([1; 32])
}

/// One scripted answer: wait, then answer with this status, body and headers.
#[derive(Clone)]
struct Answer {
    delay: Duration,
    status: u16,
    body: String,
    location: Option<String>,
    date: Option<String>,
}

fn answer(status: u16, body: &str) -> Answer {
    Answer {
        delay: Duration::ZERO,
        status,
        body: body.to_owned(),
        location: None,
        date: None,
    }
}

fn slow(delay_ms: u64, status: u16, body: &str) -> Answer {
    Answer {
        delay: Duration::from_millis(delay_ms),
        ..answer(status, body)
    }
}

/// What the stub saw of one request.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    body: serde_json::Value,
    user_agent: bool,
}

#[derive(Default)]
struct Script {
    answers: VecDeque<Answer>,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Script>>;

async fn scripted(
    axum::extract::State(script): axum::extract::State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let next = {
        let mut script = script.lock().unwrap();
        script.seen.push(Seen {
            path: uri.to_string(),
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            user_agent: headers.contains_key("user-agent"),
        });
        script.answers.pop_front()
    };
    let next = next.unwrap_or_else(|| answer(500, "{}"));
    tokio::time::sleep(next.delay).await;
    let status = StatusCode::from_u16(next.status).unwrap();
    let mut response = (status, [("content-type", "application/json")], next.body).into_response();
    if let Some(date) = next.date {
        response.headers_mut().insert("date", date.parse().unwrap());
    }
    if let Some(location) = next.location {
        response
            .headers_mut()
            .insert("location", location.parse().unwrap());
    }
    response
}

/// Starts the stub on 127.0.0.1:0 with `answers`; returns its URL and its script.
async fn stub(answers: Vec<Answer>) -> (RelayUrl, Shared) {
    let script: Shared = Arc::new(Mutex::new(Script {
        answers: answers.into(),
        seen: Vec::new(),
    }));
    let app = Router::new()
        .fallback(scripted)
        .with_state(Arc::clone(&script));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (RelayUrl::parse(&format!("http://{addr}")).unwrap(), script)
}

fn fast_retries(max_attempts: u32) -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        ..HttpConfig::default()
    }
}

fn seen(script: &Shared) -> Vec<Seen> {
    script.lock().unwrap().seen.clone()
}

const EMPTY_FETCH: &str = r#"{"messages":[]}"#;
const NO_MAILBOX: &str = r#"{"error":"no_such_mailbox","message":"no such mailbox"}"#;

#[tokio::test]
async fn idempotent_requests_are_retried_with_a_fresh_signature() {
    let (url, script) = stub(vec![
        answer(503, "{}"),
        answer(502, "{}"),
        answer(200, EMPTY_FETCH),
    ])
    .await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    let got = relay.fetch(&Bytes([5; 16]), &key(), 0).await.unwrap();
    assert!(got.is_empty());
    let seen = seen(&script);
    assert_eq!(seen.len(), 3);
    // Ids travel in the body, never in the path; no User-Agent is sent.
    assert!(seen.iter().all(|s| s.path == "/v1/mailboxes/fetch"));
    assert!(seen.iter().all(|s| !s.user_agent));
    assert_eq!(seen[0].body["read_id"], Bytes([5u8; 16]).to_text());
    // Each attempt carries its own nonce (the relay refuses a repeated one).
    let nonces: Vec<&serde_json::Value> = seen.iter().map(|s| &s.body["auth"]["nonce"]).collect();
    assert_ne!(nonces[0], nonces[1]);
    assert_ne!(nonces[1], nonces[2]);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let (url, script) = stub(vec![answer(503, "{}"); 10]).await;
    let relay = HttpRelay::new(url, &fast_retries(3)).unwrap();
    let err = relay.fetch_bundle(&Bytes([1; 16])).await.unwrap_err();
    assert_eq!(err, TransportError::Unavailable { status: 503 });
    assert!(err.is_transient());
    assert_eq!(seen(&script).len(), 3);
}

#[tokio::test]
async fn a_deposit_is_not_resent_after_a_timeout() {
    // The first attempt reaches the relay but answers too late: it may have been stored.
    let (url, script) = stub(vec![
        slow(1500, 200, r#"{"stored":true}"#),
        answer(200, r#"{"stored":true}"#),
    ])
    .await;
    let config = HttpConfig {
        request_timeout: Duration::from_millis(300),
        ..fast_retries(4)
    };
    let relay = HttpRelay::new(url, &config).unwrap();
    let envelope = [0u8; ENVELOPE_SIZE];
    let err = relay
        .deposit(&Bytes([1; 16]), &Bytes([2; 32]), &envelope)
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Unreachable(NetFailure::Timeout));
    assert!(err.is_transient());
    assert_eq!(seen(&script).len(), 1);
}

#[tokio::test]
async fn a_deposit_is_resent_after_503() {
    let (url, script) = stub(vec![answer(503, "{}"), answer(200, r#"{"stored":true}"#)]).await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    relay
        .deposit(&Bytes([1; 16]), &Bytes([2; 32]), &[0u8; ENVELOPE_SIZE])
        .await
        .unwrap();
    let seen = seen(&script);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/v1/mailboxes/deposit");
    assert_eq!(
        seen[0].body["envelope"].as_str().unwrap().len(),
        ENVELOPE_SIZE * 4 / 3 + 1
    );
}

#[tokio::test]
async fn destroy_that_finds_the_mailbox_gone_after_a_timeout_is_done() {
    let (url, script) = stub(vec![
        slow(1500, 200, r#"{"destroyed":true}"#),
        answer(404, NO_MAILBOX),
    ])
    .await;
    let config = HttpConfig {
        request_timeout: Duration::from_millis(300),
        ..fast_retries(4)
    };
    let relay = HttpRelay::new(url, &config).unwrap();
    relay.destroy(&Bytes([1; 16]), &key()).await.unwrap();
    assert_eq!(seen(&script).len(), 2);

    // Without a doubtful attempt before it, "no such mailbox" is an error.
    let (url, _) = stub(vec![answer(404, NO_MAILBOX)]).await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    let err = relay.destroy(&Bytes([1; 16]), &key()).await.unwrap_err();
    assert_eq!(err.code(), Some("no_such_mailbox"));
}

#[tokio::test]
async fn refusals_are_mapped_and_not_retried() {
    let (url, script) = stub(vec![
        answer(
            401,
            r#"{"error":"bad_signature","message":"the signature does not verify"}"#,
        ),
        answer(403, r#"{"error":"Mailbox AAAA\nbelongs to","message":"x"}"#),
        answer(400, "not json"),
    ])
    .await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    let read_id = Bytes([1; 16]);
    assert_eq!(
        relay.ack(&read_id, &key(), &[1, 2]).await.unwrap_err(),
        TransportError::Rejected {
            status: 401,
            code: Some("bad_signature".into())
        }
    );
    // A code that is not [a-z0-9_] is dropped, not passed on to logs.
    assert_eq!(
        relay.ack(&read_id, &key(), &[1]).await.unwrap_err(),
        TransportError::Rejected {
            status: 403,
            code: None
        }
    );
    assert_eq!(
        relay.ack(&read_id, &key(), &[1]).await.unwrap_err(),
        TransportError::Rejected {
            status: 400,
            code: None
        }
    );
    assert_eq!(seen(&script).len(), 3);
}

#[tokio::test]
async fn malformed_answers_are_protocol_errors() {
    let short = format!(
        r#"{{"messages":[{{"seq":1,"envelope":"{}"}}]}}"#,
        Bytes([0u8; 16]).to_text()
    );
    let (url, _) = stub(vec![
        answer(200, "not json"),
        answer(200, r#"{"messages":"x"}"#),
        answer(200, &short),
        answer(200, r#"{"stored":false}"#),
    ])
    .await;
    let relay = HttpRelay::new(url, &fast_retries(1)).unwrap();
    let read_id = Bytes([1; 16]);
    for _ in 0..3 {
        assert_eq!(
            relay.fetch(&read_id, &key(), 0).await.unwrap_err(),
            TransportError::Protocol
        );
    }
    assert_eq!(
        relay
            .deposit(&Bytes([1; 16]), &Bytes([2; 32]), &[0u8; ENVELOPE_SIZE])
            .await
            .unwrap_err(),
        TransportError::Protocol
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (target, target_script) = stub(vec![answer(200, r#"{"stored":true}"#)]).await;
    let mut redirect = answer(307, "");
    redirect.location = Some(format!("{target}v1/mailboxes/deposit"));
    let (url, _) = stub(vec![redirect]).await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    let err = relay
        .deposit(&Bytes([1; 16]), &Bytes([2; 32]), &[0u8; ENVELOPE_SIZE])
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::UnexpectedStatus { status: 307 });
    assert!(seen(&target_script).is_empty());
}

#[tokio::test]
async fn long_poll_timeout_covers_the_wait() {
    // The relay holds the fetch for 1.5 s; the request timeout alone (1 s) would cut it.
    let (url, _) = stub(vec![slow(1500, 200, EMPTY_FETCH)]).await;
    let config = HttpConfig {
        request_timeout: Duration::from_secs(1),
        ..fast_retries(1)
    };
    let relay = HttpRelay::new(url.clone(), &config).unwrap();
    assert!(
        relay
            .fetch(&Bytes([1; 16]), &key(), 2)
            .await
            .unwrap()
            .is_empty()
    );
    // The same answer to a fetch without a wait does time out.
    let (url, _) = stub(vec![slow(1500, 200, EMPTY_FETCH)]).await;
    let relay = HttpRelay::new(url, &config).unwrap();
    assert_eq!(
        relay.fetch(&Bytes([1; 16]), &key(), 0).await.unwrap_err(),
        TransportError::Unreachable(NetFailure::Timeout)
    );
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = RelayUrl::parse(&format!("http://{addr}")).unwrap();
    let relay = HttpRelay::new(url, &fast_retries(2)).unwrap();
    let err = relay
        .deposit(&Bytes([1; 16]), &Bytes([2; 32]), &[0u8; ENVELOPE_SIZE])
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Unreachable(NetFailure::Connect));
    assert!(err.is_transient());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&addr.port().to_string()), "{shown}");
}

/// What the SOCKS5 stub saw of one connection.
#[derive(Debug, Clone, PartialEq)]
struct SocksSeen {
    user: Option<String>,
    /// The CONNECT target, when it was sent as a domain name (address type 3).
    domain: Option<String>,
}

/// A minimal SOCKS5 server (RFC 1928/1929) that records each CONNECT and forwards it to
/// `forward_to`, whatever the requested host.
async fn socks_stub(forward_to: std::net::SocketAddr) -> (u16, Arc<Mutex<Vec<SocksSeen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut head = [0u8; 2];
                client.read_exact(&mut head).await.unwrap();
                let mut methods = vec![0u8; usize::from(head[1])];
                client.read_exact(&mut methods).await.unwrap();
                let mut user = None;
                if methods.contains(&2) {
                    client.write_all(&[5, 2]).await.unwrap();
                    let mut ver_len = [0u8; 2];
                    client.read_exact(&mut ver_len).await.unwrap();
                    let mut name = vec![0u8; usize::from(ver_len[1])];
                    client.read_exact(&mut name).await.unwrap();
                    let mut pass_len = [0u8; 1];
                    client.read_exact(&mut pass_len).await.unwrap();
                    let mut pass = vec![0u8; usize::from(pass_len[0])];
                    client.read_exact(&mut pass).await.unwrap();
                    user = Some(String::from_utf8(name).unwrap());
                    client.write_all(&[1, 0]).await.unwrap();
                } else {
                    client.write_all(&[5, 0]).await.unwrap();
                }
                let mut request = [0u8; 4];
                client.read_exact(&mut request).await.unwrap();
                let domain = match request[3] {
                    3 => {
                        let mut len = [0u8; 1];
                        client.read_exact(&mut len).await.unwrap();
                        let mut name = vec![0u8; usize::from(len[0])];
                        client.read_exact(&mut name).await.unwrap();
                        Some(String::from_utf8(name).unwrap())
                    }
                    1 => {
                        client.read_exact(&mut [0u8; 4]).await.unwrap();
                        None
                    }
                    _ => {
                        client.read_exact(&mut [0u8; 16]).await.unwrap();
                        None
                    }
                };
                client.read_exact(&mut [0u8; 2]).await.unwrap();
                log.lock().unwrap().push(SocksSeen { user, domain });
                let mut upstream = TcpStream::connect(forward_to).await.unwrap();
                client
                    .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, log)
}

#[tokio::test]
async fn onion_relays_go_through_socks5h_with_per_relay_isolation() {
    let (stub_url, script) = stub(vec![answer(200, EMPTY_FETCH), answer(200, EMPTY_FETCH)]).await;
    let stub_addr: std::net::SocketAddr = stub_url
        .as_str()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (socks_port, socks_log) = socks_stub(stub_addr).await;
    let config = HttpConfig {
        proxy: Some(ProxyUrl::parse(&format!("socks5h://127.0.0.1:{socks_port}")).unwrap()),
        ..fast_retries(1)
    };
    let first = RelayUrl::parse("http://firstrelayaaaaaaaaaaaaaaaaaaaaaa.onion").unwrap();
    let second = RelayUrl::parse("http://secondrelaybbbbbbbbbbbbbbbbbbbbbb.onion").unwrap();
    for url in [&first, &second] {
        let relay = HttpRelay::new(url.clone(), &config).unwrap();
        assert!(
            relay
                .fetch(&Bytes([1; 16]), &key(), 0)
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(seen(&script).len(), 2);
    let log = socks_log.lock().unwrap().clone();
    assert_eq!(log.len(), 2);
    // The names went to the proxy unresolved: no local DNS lookup.
    assert_eq!(
        log[0].domain.as_deref(),
        Some("firstrelayaaaaaaaaaaaaaaaaaaaaaa.onion")
    );
    assert_eq!(
        log[1].domain.as_deref(),
        Some("secondrelaybbbbbbbbbbbbbbbbbbbbbb.onion")
    );
    // Each relay presented its own SOCKS user name, so Tor isolates their circuits.
    let (a, b) = (log[0].user.clone().unwrap(), log[1].user.clone().unwrap());
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);

    // Without isolation, no credentials are offered.
    let plain = HttpConfig {
        isolation: Isolation::None,
        ..config
    };
    let (stub_url, _) = stub(vec![answer(200, EMPTY_FETCH)]).await;
    let addr = stub_url
        .as_str()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (port, log) = socks_stub(addr).await;
    let plain = HttpConfig {
        proxy: Some(ProxyUrl::parse(&format!("socks5h://127.0.0.1:{port}")).unwrap()),
        ..plain
    };
    let relay = HttpRelay::new(first, &plain).unwrap();
    relay.fetch(&Bytes([1; 16]), &key(), 0).await.unwrap();
    assert_eq!(log.lock().unwrap()[0].user, None);
}

#[tokio::test]
async fn proxy_down_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = HttpConfig {
        proxy: Some(ProxyUrl::parse(&format!("socks5h://127.0.0.1:{port}")).unwrap()),
        ..fast_retries(1)
    };
    let url = RelayUrl::parse("https://relay.example.org").unwrap();
    let relay = HttpRelay::new(url, &config).unwrap();
    let err = relay.challenge().await.unwrap_err();
    assert_eq!(err, TransportError::Unreachable(NetFailure::Connect));
}

#[test]
fn proxy_config_is_validated() {
    assert_eq!(
        ProxyUrl::parse("socks5://127.0.0.1:9050"),
        Err(ConfigError::BadProxy)
    );
    assert_eq!(
        ProxyUrl::parse("http://127.0.0.1:8118"),
        Err(ConfigError::BadProxy)
    );
    let onion = RelayUrl::parse("http://abcdefghij234567.onion").unwrap();
    assert_eq!(
        HttpRelay::new(onion, &HttpConfig::default()).unwrap_err(),
        TransportError::Config(ConfigError::OnionNeedsProxy)
    );
}

const STALE: &str = r#"{"error":"stale_timestamp","message":"x"}"#;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_stale_refusal_with_a_new_relay_clock_is_resigned_once() {
    let hour_ahead =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let mut stale = answer(401, STALE);
    stale.date = Some(hour_ahead.clone());
    let mut ok = answer(200, EMPTY_FETCH);
    ok.date = Some(hour_ahead);
    let (url, script) = stub(vec![stale, ok]).await;
    let relay = HttpRelay::new(url, &fast_retries(1)).unwrap();
    let before = unix_now();
    relay.fetch(&Bytes([1; 16]), &key(), 0).await.unwrap();
    let seen = seen(&script);
    assert_eq!(seen.len(), 2);
    let first = seen[0].body["auth"]["timestamp"].as_u64().unwrap();
    let second = seen[1].body["auth"]["timestamp"].as_u64().unwrap();
    assert!(first >= before && first < before + 60);
    assert!(
        second >= before + 3590 && second <= before + 3660,
        "{first} {second}"
    );
    assert_ne!(seen[0].body["auth"]["nonce"], seen[1].body["auth"]["nonce"]);
    assert!((3598..=3602).contains(&relay.clock_offset()));
}

#[tokio::test]
async fn a_stale_refusal_without_a_new_clock_is_reported() {
    // The relay's clock agrees with ours, yet it says stale: nothing to correct, no loop.
    let now = httpdate::fmt_http_date(std::time::SystemTime::now());
    let mut stale = answer(401, STALE);
    stale.date = Some(now);
    let (url, script) = stub(vec![stale, answer(200, EMPTY_FETCH)]).await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    let err = relay.fetch(&Bytes([1; 16]), &key(), 0).await.unwrap_err();
    assert_eq!(err.code(), Some("stale_timestamp"));
    assert_eq!(seen(&script).len(), 1);

    // A relay that keeps moving its clock gets one re-signed attempt, not an endless loop.
    let mut a = answer(401, STALE);
    a.date = Some(httpdate::fmt_http_date(
        std::time::SystemTime::now() + Duration::from_secs(600),
    ));
    let mut b = answer(401, STALE);
    b.date = Some(httpdate::fmt_http_date(
        std::time::SystemTime::now() + Duration::from_secs(1200),
    ));
    let (url, script) = stub(vec![a, b, answer(200, EMPTY_FETCH)]).await;
    let relay = HttpRelay::new(url, &fast_retries(4)).unwrap();
    let err = relay.fetch(&Bytes([1; 16]), &key(), 0).await.unwrap_err();
    assert_eq!(err.code(), Some("stale_timestamp"));
    assert_eq!(seen(&script).len(), 2);
}

fn addr_of(url: &RelayUrl) -> std::net::SocketAddr {
    url.as_str()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

async fn users_seen_for(isolation: Isolation) -> (Vec<Option<String>>, usize) {
    let (stub_url, _) = stub(
        vec![answer(200, EMPTY_FETCH); 3]
            .into_iter()
            .chain([answer(200, r#"{"stored":true}"#)])
            .chain([answer(200, EMPTY_FETCH)])
            .collect(),
    )
    .await;
    let (port, log) = socks_stub(addr_of(&stub_url)).await;
    let config = HttpConfig {
        proxy: Some(ProxyUrl::parse(&format!("socks5h://127.0.0.1:{port}")).unwrap()),
        isolation,
        ..fast_retries(1)
    };
    let relay = HttpRelay::new(
        RelayUrl::parse("http://isolationtestcccccccccccccccccccc.onion").unwrap(),
        &config,
    )
    .unwrap();
    let (a, b) = (Bytes([0xA; 16]), Bytes([0xB; 16]));
    relay.fetch(&a, &key(), 0).await.unwrap();
    relay.fetch(&b, &key(), 0).await.unwrap();
    relay.fetch(&a, &key(), 0).await.unwrap();
    relay
        .deposit(&Bytes([0xC; 16]), &Bytes([2; 32]), &[0u8; ENVELOPE_SIZE])
        .await
        .unwrap();
    let before_repeat = log.lock().unwrap().len();
    relay.fetch(&b, &key(), 0).await.unwrap();
    let users = log.lock().unwrap().iter().map(|s| s.user.clone()).collect();
    (users, before_repeat)
}

#[tokio::test]
async fn per_mailbox_isolation_gives_each_mailbox_its_own_circuit() {
    let (users, before_repeat) = users_seen_for(Isolation::PerMailbox).await;
    // Mailboxes A, B (read) and C (written to): three identities, never shared.
    let distinct: std::collections::HashSet<_> = users.iter().cloned().collect();
    assert_eq!(distinct.len(), 3, "{users:?}");
    assert!(users.iter().all(Option::is_some));
    // Reading B again reuses B's identity (its connection, or at worst its circuit).
    assert!(users.len() == before_repeat || users.last() == users.get(1));

    // Per relay: one identity for all of them.
    let (users, _) = users_seen_for(Isolation::PerRelay).await;
    let distinct: std::collections::HashSet<_> = users.iter().cloned().collect();
    assert_eq!(distinct.len(), 1, "{users:?}");
    assert!(users[0].is_some());
}
