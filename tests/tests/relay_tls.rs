//! The real binary serving HTTPS with rustls when given a certificate and key.

use corridor_e2e::{RelayOptions, RelayProcess, TempDir};
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_a_configured_certificate() {
    let dir = TempDir::new("corridor-relay-tls").unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    // A throwaway self-signed certificate for 127.0.0.1.
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=corridor-test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    match made {
        Ok(output) if output.status.success() => {}
        // Without openssl there is no certificate to test with; say so instead of passing
        // silently.
        _ => {
            eprintln!("SKIPPED: openssl is not available to make a test certificate");
            return;
        }
    }
    let mut relay = RelayProcess::start(RelayOptions {
        extra_args: vec![
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
        ],
        ..RelayOptions::default()
    })
    .unwrap();
    assert!(
        relay.url().starts_with("https://127.0.0.1:"),
        "{}",
        relay.url()
    );
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let health: serde_json::Value = client
        .get(format!("{}/healthz", relay.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    // Plain HTTP to the TLS port does not get an answer from the API.
    let plain = reqwest::get(format!("http://{}/healthz", relay.addr())).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let status = relay.terminate().unwrap();
    assert!(status.success());
}
