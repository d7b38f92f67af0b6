//! `MemoryRelay` keeps the relay's rules: what a client (or an attacker holding only part
//! of a mailbox's secrets) can and cannot do.
// Test helpers outside `#[test]` functions may panic too.
#![allow(clippy::unwrap_used, clippy::panic)]

use corridor_client::primitives::ed25519::SigningKey;
use corridor_client::transport::{
    AuthSigner, Freshness, MemoryRelay, MemoryRelayConfig, Relay, TransportError, codes,
};
use corridor_wire::api::{Admission, Bundle, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::{Blob, Bytes};
use corridor_wire::{ENVELOPE_SIZE, NONCE_LEN};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A per-mailbox key for tests.
fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes([seed; 32])
}

/// A clock `offset` seconds off the system clock, with always the same nonce.
struct Fixed {
    offset: i64,
}

impl Freshness for Fixed {
    fn now_unix(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        now.checked_add_signed(self.offset).unwrap()
    }
    fn nonce(&self) -> Result<[u8; NONCE_LEN], TransportError> {
        Ok([7; NONCE_LEN])
    }
}

fn envelope(fill: u8) -> [u8; ENVELOPE_SIZE] {
    [fill; ENVELOPE_SIZE]
}

fn code(result: Result<impl std::fmt::Debug, TransportError>) -> (u16, String) {
    match result {
        Err(TransportError::Rejected { status, code }) => (status, code.unwrap()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn deposit_fetch_ack_round_trip() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    assert_ne!(ids.read_id.as_bytes(), ids.deposit_id.as_bytes());

    for fill in [1, 2, 3] {
        relay
            .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(fill))
            .await
            .unwrap();
    }
    let got = relay.fetch(&ids.read_id, &owner, 0).await.unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(*got[0].envelope, envelope(1));
    assert_eq!(*got[2].envelope, envelope(3));
    // Fetching does not delete.
    assert_eq!(relay.fetch(&ids.read_id, &owner, 0).await.unwrap().len(), 3);

    let seqs: Vec<u64> = got.iter().take(2).map(|m| m.seq).collect();
    assert_eq!(relay.ack(&ids.read_id, &owner, &seqs).await.unwrap(), 2);
    // Acknowledging twice is harmless and deletes nothing more.
    assert_eq!(relay.ack(&ids.read_id, &owner, &seqs).await.unwrap(), 0);
    let left = relay.fetch(&ids.read_id, &owner, 0).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(*left[0].envelope, envelope(3));
    assert_eq!(relay.message_count(), 1);
}

#[tokio::test]
async fn read_and_deposit_ids_are_not_interchangeable() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    // A sender holding the deposit id cannot read with it, even with the owner's key.
    let as_read = relay.fetch(&ids.deposit_id, &owner, 0).await;
    assert_eq!(code(as_read), (404, codes::NO_SUCH_MAILBOX.into()));
    // The read id is not a deposit address.
    let as_deposit = relay
        .deposit(&ids.read_id, &ids.deposit_credential, &envelope(1))
        .await;
    assert_eq!(code(as_deposit), (404, codes::NO_SUCH_MAILBOX.into()));
    assert_eq!(relay.message_count(), 0);
}

#[tokio::test]
async fn wrong_credential_stores_nothing() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    let mut wrong = ids.deposit_credential;
    wrong.0[0] ^= 1;
    let result = relay.deposit(&ids.deposit_id, &wrong, &envelope(1)).await;
    assert_eq!(code(result), (403, codes::BAD_CREDENTIAL.into()));
    assert_eq!(relay.message_count(), 0);
}

#[tokio::test]
async fn only_the_mailbox_key_reads_acks_and_destroys() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let stranger = key(2);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(1))
        .await
        .unwrap();
    let bad = (401, codes::BAD_SIGNATURE.to_string());
    assert_eq!(code(relay.fetch(&ids.read_id, &stranger, 0).await), bad);
    assert_eq!(code(relay.ack(&ids.read_id, &stranger, &[1]).await), bad);
    assert_eq!(code(relay.destroy(&ids.read_id, &stranger).await), bad);
    assert_eq!(relay.message_count(), 1);
    assert_eq!(relay.mailbox_count(), 1);
}

#[tokio::test]
async fn stale_and_replayed_requests_are_refused() {
    let owner = key(1);

    // The client's clock is five minutes behind the relay's.
    let skewed = MemoryRelay::default().with_client_freshness(Arc::new(Fixed { offset: -300 }));
    let ids = skewed
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    let result = skewed.fetch(&ids.read_id, &owner, 0).await;
    assert_eq!(code(result), (401, codes::STALE_TIMESTAMP.into()));

    // A nonce is accepted once per mailbox.
    let replaying = MemoryRelay::default().with_client_freshness(Arc::new(Fixed { offset: 0 }));
    let ids = replaying
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    replaying.fetch(&ids.read_id, &owner, 0).await.unwrap();
    let result = replaying.fetch(&ids.read_id, &owner, 0).await;
    assert_eq!(code(result), (409, codes::REPLAYED.into()));
}

#[tokio::test]
async fn admission_rules() {
    let relay = MemoryRelay::new(MemoryRelayConfig {
        tokens: vec!["operator-token".into()],
        ..MemoryRelayConfig::default()
    });
    let key = key(1).auth_key();

    let challenge = relay.challenge().await.unwrap();
    let admission = corridor_client::transport::solve_pow(challenge.clone())
        .await
        .unwrap();
    relay.create_mailbox(&key, &admission).await.unwrap();
    // A challenge is single-use.
    let again = relay.create_mailbox(&key, &admission).await;
    assert_eq!(code(again), (403, codes::CHALLENGE_USED.into()));

    // A wrong solution is refused. Find one that fails the check.
    let challenge = relay.challenge().await.unwrap();
    let wrong = (0..)
        .find(|s| {
            !corridor_wire::pow::check(challenge.challenge.as_bytes(), *s, challenge.difficulty)
        })
        .unwrap();
    let bad = Admission::Pow {
        challenge: challenge.challenge,
        solution: wrong,
    };
    assert_eq!(
        code(relay.create_mailbox(&key, &bad).await),
        (403, codes::BAD_ADMISSION.into())
    );
    // A challenge the relay never issued is refused.
    let forged = Admission::Pow {
        challenge: Blob(vec![0; 32]),
        solution: 0,
    };
    assert!(relay.create_mailbox(&key, &forged).await.is_err());

    let token = Admission::Token {
        token: "operator-token".into(),
    };
    relay.create_mailbox(&key, &token).await.unwrap();
    let wrong_token = Admission::Token {
        token: "guess".into(),
    };
    assert_eq!(
        code(relay.create_mailbox(&key, &wrong_token).await),
        (403, codes::BAD_ADMISSION.into())
    );
    // A small-order point is not a usable key.
    let weak = Bytes([0u8; 32]);
    assert_eq!(
        code(relay.create_mailbox(&weak, &token).await),
        (400, codes::BAD_KEY.into())
    );
    assert_eq!(relay.mailbox_count(), 2);
}

#[tokio::test]
async fn too_much_proof_of_work_is_refused() {
    let relay = MemoryRelay::new(MemoryRelayConfig {
        difficulty: corridor_wire::pow::MAX_DIFFICULTY + 1,
        ..MemoryRelayConfig::default()
    });
    let result = relay.create_mailbox_with_pow(&key(1).auth_key()).await;
    assert_eq!(
        result.unwrap_err(),
        TransportError::PowTooHard {
            difficulty: corridor_wire::pow::MAX_DIFFICULTY + 1
        }
    );
    assert_eq!(relay.mailbox_count(), 0);
}

#[tokio::test]
async fn destroy_leaves_nothing_behind() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(1))
        .await
        .unwrap();
    relay.destroy(&ids.read_id, &owner).await.unwrap();
    assert_eq!(relay.mailbox_count(), 0);
    assert_eq!(relay.message_count(), 0);
    let late = relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(2))
        .await;
    assert_eq!(code(late), (404, codes::NO_SUCH_MAILBOX.into()));
    assert_eq!(
        code(relay.fetch(&ids.read_id, &owner, 0).await),
        (404, codes::NO_SUCH_MAILBOX.into())
    );
}

#[tokio::test]
async fn rotation_moves_a_mailbox_to_another_relay() {
    // What the façade's rotation needs: a new mailbox anywhere, then the old one gone.
    let old_relay = MemoryRelay::default();
    let new_relay = MemoryRelay::default();
    let old_key = key(1);
    let new_key = key(2);
    let old = old_relay
        .create_mailbox_with_pow(&old_key.auth_key())
        .await
        .unwrap();
    let new = new_relay
        .create_mailbox_with_pow(&new_key.auth_key())
        .await
        .unwrap();
    new_relay
        .deposit(&new.deposit_id, &new.deposit_credential, &envelope(9))
        .await
        .unwrap();
    old_relay.destroy(&old.read_id, &old_key).await.unwrap();
    assert_eq!(old_relay.mailbox_count(), 0);
    let got = new_relay.fetch(&new.read_id, &new_key, 0).await.unwrap();
    assert_eq!(*got[0].envelope, envelope(9));
}

#[tokio::test]
async fn a_full_mailbox_is_a_transient_refusal() {
    let relay = MemoryRelay::new(MemoryRelayConfig {
        max_messages: 2,
        ..MemoryRelayConfig::default()
    });
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    for fill in [1, 2] {
        relay
            .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(fill))
            .await
            .unwrap();
    }
    let err = relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(3))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(codes::MAILBOX_FULL));
    assert!(err.is_transient());
    let seqs: Vec<u64> = relay
        .fetch(&ids.read_id, &owner, 0)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    relay.ack(&ids.read_id, &owner, &seqs).await.unwrap();
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(3))
        .await
        .unwrap();
}

#[tokio::test]
async fn bundles_hand_out_each_one_time_prekey_once() {
    let relay = MemoryRelay::default();
    let owner = key(5);
    let id = Bytes([3u8; 16]);
    let bundle = Bundle {
        signed: Blob(vec![1; 40]),
        one_time: vec![
            OneTimePrekey {
                id: 10,
                key: Blob(vec![10; 32]),
            },
            OneTimePrekey {
                id: 11,
                key: Blob(vec![11; 32]),
            },
        ],
        last_resort: Blob(vec![9; 32]),
    };
    assert_eq!(relay.publish_bundle(&id, &owner, &bundle).await.unwrap(), 2);

    let mut handed = Vec::new();
    for _ in 0..2 {
        let got = relay.fetch_bundle(&id).await.unwrap();
        assert_eq!(got.signed, bundle.signed);
        match got.prekey {
            HandedPrekey::OneTime(p) => handed.push(p.id),
            other => panic!("expected a one-time prekey, got {other:?}"),
        }
    }
    handed.sort();
    assert_eq!(handed, vec![10, 11]);
    for _ in 0..2 {
        assert_eq!(
            relay.fetch_bundle(&id).await.unwrap().prekey,
            HandedPrekey::LastResort {
                key: bundle.last_resort.clone()
            }
        );
    }

    // Another key cannot replace or delete it.
    let stranger = key(6);
    assert_eq!(
        code(relay.publish_bundle(&id, &stranger, &bundle).await),
        (403, codes::BUNDLE_KEY_MISMATCH.into())
    );
    assert_eq!(
        code(relay.delete_bundle(&id, &stranger).await),
        (401, codes::BAD_SIGNATURE.into())
    );
    // Its owner can replace it (refilling the one-time prekeys) and delete it.
    assert_eq!(relay.publish_bundle(&id, &owner, &bundle).await.unwrap(), 2);
    relay.delete_bundle(&id, &owner).await.unwrap();
    assert_eq!(relay.bundle_count(), 0);
    assert_eq!(
        code(relay.fetch_bundle(&id).await),
        (404, codes::NO_SUCH_BUNDLE.into())
    );
}

#[tokio::test]
async fn unreachable_relay_fails_transiently_and_keeps_its_state() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(1))
        .await
        .unwrap();

    relay.set_reachable(false);
    let err = relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(2))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Unreachable(_)));
    assert!(err.is_transient());
    assert!(
        relay
            .fetch(&ids.read_id, &owner, 0)
            .await
            .unwrap_err()
            .is_transient()
    );
    assert!(relay.challenge().await.unwrap_err().is_transient());
    assert_eq!(relay.message_count(), 1);

    // Back online: the outbox delivers what it kept.
    relay.set_reachable(true);
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(2))
        .await
        .unwrap();
    assert_eq!(relay.fetch(&ids.read_id, &owner, 0).await.unwrap().len(), 2);
}

#[tokio::test]
async fn long_poll_wakes_on_deposit() {
    let relay: Arc<dyn Relay> = Arc::new(MemoryRelay::default());
    let owner = Arc::new(key(1));
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();

    let waiter = {
        let relay = Arc::clone(&relay);
        let owner = Arc::clone(&owner);
        let read_id = ids.read_id;
        tokio::spawn(async move { relay.fetch(&read_id, &*owner, 20).await })
    };
    // Give the fetch time to find the mailbox empty and start waiting. If it did not wait,
    // it would come back empty and the assertion below fails.
    tokio::time::sleep(Duration::from_millis(200)).await;
    relay
        .deposit(&ids.deposit_id, &ids.deposit_credential, &envelope(4))
        .await
        .unwrap();
    let got = waiter.await.unwrap().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(*got[0].envelope, envelope(4));
}

#[tokio::test]
async fn long_poll_returns_empty_when_nothing_comes() {
    let relay = MemoryRelay::new(MemoryRelayConfig {
        max_wait_secs: 1,
        ..MemoryRelayConfig::default()
    });
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    assert!(
        relay
            .fetch(&ids.read_id, &owner, 30)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn errors_carry_no_ids_or_credentials() {
    let relay = MemoryRelay::default();
    let owner = key(1);
    let ids = relay
        .create_mailbox_with_pow(&owner.auth_key())
        .await
        .unwrap();
    let mut wrong = ids.deposit_credential;
    wrong.0[0] ^= 1;
    let errors = [
        relay
            .deposit(&ids.deposit_id, &wrong, &envelope(1))
            .await
            .unwrap_err(),
        relay.fetch(&ids.read_id, &key(2), 0).await.unwrap_err(),
        relay.fetch(&ids.deposit_id, &owner, 0).await.unwrap_err(),
    ];
    let secrets = [
        ids.read_id.to_text(),
        ids.deposit_id.to_text(),
        ids.deposit_credential.to_text(),
        wrong.to_text(),
    ];
    for err in &errors {
        let shown = format!("{err} {err:?}");
        for secret in &secrets {
            assert!(!shown.contains(secret.as_str()), "{shown}");
        }
    }
}
