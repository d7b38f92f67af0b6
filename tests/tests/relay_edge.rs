//! The relay's HTTP edge, against the real binary on 127.0.0.1: silent, half-sent, slow and
//! idle connections at a low open-file limit, JSON bodies on the HTTP parser's own answers,
//! and what SIGTERM does to each kind of connection. Every loop is bounded in count and
//! time.
// Test-only code: a failed setup step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod relay_support;

use corridor_e2e::{TEST_OPERATOR_TOKEN, TempDir, parse_listening, relay_binary};
use ed25519_dalek::SigningKey;
use relay_support::*;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A relay process started through `sh` with a lowered open-file limit.
struct Relay {
    child: Option<Child>,
    addr: SocketAddr,
    url: String,
    logs: Arc<Mutex<Vec<String>>>,
    _dir: TempDir,
}

impl Relay {
    fn start(nofile: u32, args: &[&str]) -> Self {
        let dir = TempDir::new("corridor-relay-edge").unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(relay_binary().unwrap())
            .args(["--listen", "127.0.0.1:0", "--log", "info"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(args)
            .env("CORRIDOR_RELAY_OPERATOR_TOKENS", TEST_OPERATOR_TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("CORRIDOR_RELAY_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("CORRIDOR_RELAY_OPERATOR_TOKENS", TEST_OPERATOR_TOKEN);
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let url = parse_listening(&line);
                sink.lock().unwrap().push(line);
                if let Some(url) = url {
                    let _ = found.send(url);
                }
            }
        });
        let (url, addr) = address
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("relay did not start: {:?}", logs.lock().unwrap()));
        Self {
            child: Some(child),
            addr,
            url,
            logs,
            _dir: dir,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Open file descriptors of the relay process.
    fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    async fn metric(&self, name: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name}"))
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait().unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A client that opens a fresh connection for every request, as a newcomer would.
fn fresh_client(relay: &Relay) -> Client {
    Client {
        base: relay.url.clone(),
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap(),
    }
}

/// One full cycle of a well-behaved client: health, create, deposit, fetch, ack.
async fn well_behaved_cycle(client: &Client, owner: &SigningKey, id: u64) {
    let health = client
        .http
        .get(format!("{}/healthz", client.base))
        .send()
        .await
        .unwrap_or_else(|err| panic!("/healthz: {err:?}"));
    assert_eq!(health.status(), 200);
    let mb = client.create_mailbox(owner).await;
    assert_eq!(client.deposit(&mb, envelope_with(id)).await.unwrap(), 200);
    let got = client.fetch(owner, &mb.read_id, 0).await;
    assert_eq!(got.len(), 1);
    assert_eq!(envelope_id(&got[0].envelope), id);
    assert_eq!(client.ack(owner, &mb.read_id, vec![got[0].seq]).await, 1);
}

/// Opens `n` connections that each send `prefix` and then nothing.
async fn stalled(addr: SocketAddr, n: usize, prefix: &'static [u8]) -> Vec<TcpStream> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        if !prefix.is_empty() {
            stream.write_all(prefix).await.unwrap();
        }
        out.push(stream);
    }
    out
}

/// True when the relay closed `stream` (end of file or reset) within `within`.
async fn closed_by_relay(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    read.await.is_ok()
}

/// Sends raw bytes on a fresh connection; returns everything the relay sent back.
async fn raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    out
}

fn status_and_body(answer: &[u8]) -> (u16, serde_json::Value) {
    let text = String::from_utf8_lossy(answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, json)
}

const DEPOSIT_HEAD: &[u8] = b"POST /v1/mailboxes/deposit HTTP/1.1\r\nhost: relay\r\n\
content-type: application/json\r\ncontent-length: 6000\r\n\r\n{\"deposit_id\":\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slowloris_at_a_low_open_file_limit_does_not_starve_a_well_behaved_client() {
    // 256 open files leave 192 connection slots.
    let relay = Relay::start(
        256,
        &[
            "--header-read-timeout-secs",
            "3",
            "--body-read-timeout-secs",
            "3",
        ],
    );
    assert!(
        relay
            .logs
            .lock()
            .unwrap()
            .join("\n")
            .contains("at most 192 connections (open-file limit 256)"),
        "{:?}",
        relay.logs.lock().unwrap()
    );
    let addr = relay.addr;
    // Hundreds of strangers, more than there are slots: silent, half a request line,
    // half a head, and a head followed by a body that never comes.
    let mut strangers = stalled(addr, 200, b"").await;
    strangers.extend(stalled(addr, 150, b"POST /v1/mailboxes/dep").await);
    strangers.extend(
        stalled(
            addr,
            100,
            b"POST /v1/mailboxes/deposit HTTP/1.1\r\nhost: re",
        )
        .await,
    );
    strangers.extend(stalled(addr, 100, DEPOSIT_HEAD).await);
    // And more keep arriving while the well-behaved client works.
    let flood = tokio::spawn(async move {
        let mut more = Vec::new();
        for _ in 0..40 {
            more.extend(stalled(addr, 10, b"GET /heal").await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        more
    });
    let client = fresh_client(&relay);
    let owner = SigningKey::from_bytes(&[7; 32]);
    for id in 0..10 {
        well_behaved_cycle(&client, &owner, id).await;
    }
    let more = flood.await.unwrap();
    assert!(relay.metric("corridor_connections_open").await <= 192);
    assert!(relay.metric("corridor_connections_evicted_total").await >= 550 - 192);
    assert!(
        relay.open_fds() <= 256,
        "the relay holds {} descriptors",
        relay.open_fds()
    );
    // Whatever strangers still hold a slot are closed by the header-read timeout.
    let mut survivors: Vec<TcpStream> = strangers.into_iter().chain(more).collect();
    let mut closed = 0;
    for stream in survivors.iter_mut() {
        if closed_by_relay(stream, Duration::from_secs(15)).await {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        survivors.len(),
        "every stalled connection is closed"
    );
    assert!(relay.metric("corridor_connections_open").await <= 5);
    well_behaved_cycle(&client, &owner, 99).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_keep_alive_connections_at_a_low_open_file_limit() {
    let relay = Relay::start(256, &["--idle-timeout-secs", "3"]);
    let addr = relay.addr;
    // 400 clients that each made one request and keep the connection open.
    let mut idle = Vec::new();
    for _ in 0..400 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: relay\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap_or(0);
        // Answered, or already evicted by a newer idle connection.
        assert!(
            n == 0 || buf.starts_with(b"HTTP/1.1 200"),
            "{:?}",
            &buf[..n]
        );
        idle.push(stream);
    }
    // A well-behaved client, on fresh and on reused connections, is served.
    let owner = SigningKey::from_bytes(&[8; 32]);
    well_behaved_cycle(&fresh_client(&relay), &owner, 1).await;
    well_behaved_cycle(&Client::new(&relay.url), &owner, 2).await;
    assert!(relay.open_fds() <= 256);
    assert!(relay.metric("corridor_connections_open").await <= 192);
    // Idle connections are closed by the idle timeout.
    let mut closed = 0;
    for stream in idle.iter_mut() {
        if closed_by_relay(stream, Duration::from_secs(15)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, idle.len());
    assert!(relay.metric("corridor_connections_timed_out_total").await >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_bodies_take_no_request_slot_and_get_408() {
    // Only 8 requests may be processed at once; 60 slow bodies must not take them.
    let relay = Relay::start(
        1024,
        &[
            "--max-concurrent-requests",
            "8",
            "--body-read-timeout-secs",
            "4",
        ],
    );
    let mut slow = stalled(relay.addr, 60, DEPOSIT_HEAD).await;
    let client = fresh_client(&relay);
    let owner = SigningKey::from_bytes(&[9; 32]);
    for id in 0..10 {
        well_behaved_cycle(&client, &owner, id).await;
    }
    // Each slow body is answered 408 body_timeout with a JSON body, then closed.
    let mut answered = 0;
    for stream in slow.iter_mut() {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut out)).await;
        let (status, body) = status_and_body(&out);
        assert_eq!(
            (status, body["error"].as_str()),
            (408, Some("body_timeout"))
        );
        answered += 1;
    }
    assert_eq!(answered, 60);
    assert_eq!(relay.metric("corridor_body_timeouts_total").await, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_parsers_own_answers_carry_json_errors() {
    let relay = Relay::start(1024, &[]);
    let addr = relay.addr;
    let long_header = format!(
        "GET /healthz HTTP/1.1\r\nhost: relay\r\nx-pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let many_headers = format!(
        "GET /healthz HTTP/1.1\r\nhost: relay\r\n{}\r\n",
        (0..80)
            .map(|i| format!("x-h{i}: 1\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(Vec<u8>, u16, &str)> =
        vec![
        (b"GARBAGE\r\n\r\n".to_vec(), 400, "malformed_request"),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00".to_vec(), 400, "malformed_request"),
        (
            b"POST /v1/bundles/fetch HTTP/1.1\r\nhost: relay\r\ncontent-length: 3\r\n\
content-length: 4\r\n\r\nabcd"
                .to_vec(),
            400,
            "malformed_request",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nhost: relay\r\nbad header\r\n\r\n".to_vec(),
            400,
            "malformed_request",
        ),
        (long_header.into_bytes(), 431, "headers_too_large"),
        (many_headers.into_bytes(), 431, "headers_too_large"),
        // The router's own errors stay JSON too.
        (
            b"POST /v1/bundles/fetch HTTP/1.1\r\nhost: relay\r\ncontent-length: 2\r\n\r\n{}"
                .to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            b"POST /v1/bundles/fetch HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\n\
content-length: 999999\r\n\r\n{"
                .to_vec(),
            413,
            "body_too_large",
        ),
        (
            b"GET /nowhere HTTP/1.1\r\nhost: relay\r\n\r\n".to_vec(),
            404,
            "not_found",
        ),
    ];
    for (request, status, code) in &cases {
        let answer = raw(addr, request).await;
        let (got, body) = status_and_body(&answer);
        assert_eq!(
            (got, body["error"].as_str()),
            (*status, Some(*code)),
            "{}",
            String::from_utf8_lossy(request)
        );
        assert!(body["message"].is_string());
    }
    // An HTTP/2 preface is the one malformed start hyper closes without any answer.
    assert!(
        raw(addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .is_empty()
    );
    // Also after a first, valid request on the same connection.
    let answer = raw(
        addr,
        b"GET /healthz HTTP/1.1\r\nhost: relay\r\n\r\nGARBAGE\r\n\r\n",
    )
    .await;
    let text = String::from_utf8_lossy(&answer);
    let second = text
        .find("HTTP/1.1 400")
        .unwrap_or_else(|| panic!("{text}"));
    let (status, body) = status_and_body(&answer[second..]);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("malformed_request"))
    );
    assert!(relay.metric("corridor_malformed_requests_total").await >= 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_closes_idle_connections_and_answers_unfinished_requests_503() {
    let mut relay = Relay::start(1024, &[]);
    let addr = relay.addr;
    let client = Client::new(&relay.url);
    let owner = SigningKey::from_bytes(&[10; 32]);
    let mb = client.create_mailbox(&owner).await;
    assert_eq!(client.deposit(&mb, envelope_with(5)).await.unwrap(), 200);
    // An idle keep-alive connection, a request still sending its body, and a long-poll.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: relay\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(idle.read(&mut buf).await.unwrap() > 0);
    let mut unfinished = stalled(addr, 1, DEPOSIT_HEAD).await.remove(0);
    let other = SigningKey::from_bytes(&[11; 32]);
    let empty = client.create_mailbox(&other).await;
    let poller = {
        let client = Client::new(&relay.url);
        tokio::spawn(async move { client.fetch(&other, &empty.read_id, 25).await })
    };
    for _ in 0..500 {
        if relay.metric("corridor_waiting_fetches").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(relay.metric("corridor_waiting_fetches").await, 1);
    let status = tokio::task::spawn_blocking(move || (relay.terminate(), relay))
        .await
        .unwrap();
    assert!(status.0.success());
    // The long-poll was answered (empty), not cut off.
    assert!(poller.await.unwrap().is_empty());
    // The unfinished request was answered 503 shutting_down.
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), unfinished.read_to_end(&mut out)).await;
    let (code, body) = status_and_body(&out);
    assert_eq!((code, body["error"].as_str()), (503, Some("shutting_down")));
    // The idle connection was closed without an answer (safe to retry: nothing was sent).
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut rest)).await;
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    let logs = status.1.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("every acknowledged write is on disk"),
        "{logs}"
    );
    // Nothing listens any more.
    assert!(TcpStream::connect(addr).await.is_err());
}
