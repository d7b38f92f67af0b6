//! A standing invitation's prekey schedule (issue 7 item 7, the Client part): the signed
//! and ML-KEM prekeys rotate on a schedule driven by the `Clock`, the one-time pool is
//! refilled when low, and an initiator that fetched the older bundle is still answered
//! within the overlap (and only then).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support.rs"]
mod support;

use corridor_client::client::{
    Client, InvitationKind, ONE_TIME_REFILL_BELOW, PREKEY_OVERLAP_SECS, PREKEY_ROTATION_SECS,
};
use corridor_client::protocol::bundle::{BundleKey, PrekeyRef, VerifiedBundle};
use corridor_client::protocol::invitation::Invitation;
use corridor_client::transport::{
    AuthSigner, HttpConfig, MailboxIds, NetFailure, ReceivedEnvelope, Relay, RelayFuture,
    RelayPool, RelayUrl, TransportError,
};
use corridor_wire::ENVELOPE_SIZE;
use corridor_wire::api::{
    Admission, AuthKey, Bundle, BundleId, ChallengeResponse, DepositCredential, DepositId,
    FetchBundleResponse, HandedPrekey, ReadId,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use support::*;

const DAY: u64 = 24 * 3600;

/// The test relay as one initiator sees it: while `hold` is set, every deposit fails as
/// if the network dropped, so the initiator's first envelope waits in its outbox after
/// it fetched the bundle (an initiator that went offline right after fetching).
struct Gate {
    inner: Arc<Recording>,
    hold: AtomicBool,
    /// While set, every fetch fails as if the network dropped (the relay unreachable
    /// for this client's mailbox reads).
    hold_fetch: AtomicBool,
}

impl Relay for Gate {
    fn challenge(&self) -> RelayFuture<'_, ChallengeResponse> {
        self.inner.challenge()
    }
    fn create_mailbox<'a>(
        &'a self,
        auth_key: &'a AuthKey,
        admission: &'a Admission,
    ) -> RelayFuture<'a, MailboxIds> {
        self.inner.create_mailbox(auth_key, admission)
    }
    fn deposit<'a>(
        &'a self,
        deposit_id: &'a DepositId,
        credential: &'a DepositCredential,
        envelope: &'a [u8; ENVELOPE_SIZE],
    ) -> RelayFuture<'a, ()> {
        if self.hold.load(Ordering::SeqCst) {
            return Box::pin(async { Err(TransportError::Unreachable(NetFailure::Interrupted)) });
        }
        self.inner.deposit(deposit_id, credential, envelope)
    }
    fn fetch<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        wait_secs: u32,
    ) -> RelayFuture<'a, Vec<ReceivedEnvelope>> {
        if self.hold_fetch.load(Ordering::SeqCst) {
            return Box::pin(async { Err(TransportError::Unreachable(NetFailure::Interrupted)) });
        }
        self.inner.fetch(read_id, signer, wait_secs)
    }
    fn ack<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
        seqs: &'a [u64],
    ) -> RelayFuture<'a, u32> {
        self.inner.ack(read_id, signer, seqs)
    }
    fn destroy<'a>(
        &'a self,
        read_id: &'a ReadId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        self.inner.destroy(read_id, signer)
    }
    fn publish_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
        bundle: &'a Bundle,
    ) -> RelayFuture<'a, u32> {
        self.inner.publish_bundle(bundle_id, signer, bundle)
    }
    fn fetch_bundle<'a>(&'a self, bundle_id: &'a BundleId) -> RelayFuture<'a, FetchBundleResponse> {
        self.inner.fetch_bundle(bundle_id)
    }
    fn delete_bundle<'a>(
        &'a self,
        bundle_id: &'a BundleId,
        signer: &'a dyn AuthSigner,
    ) -> RelayFuture<'a, ()> {
        self.inner.delete_bundle(bundle_id, signer)
    }
}

/// A client whose deposits can be held back, and its gate.
async fn gated_client(world: &World, name: &str) -> (Client, Arc<Gate>) {
    let gate = Arc::new(Gate {
        inner: world.recorder.clone(),
        hold: AtomicBool::new(false),
        hold_fetch: AtomicBool::new(false),
    });
    let pool = Arc::new(RelayPool::new(HttpConfig::default()));
    pool.insert(
        RelayUrl::parse(RELAY).unwrap(),
        gate.clone() as Arc<dyn Relay>,
    );
    let mut options = world.create_options(name);
    options.transport = Some(pool);
    let client = Client::create(&world.dir(name), &pass(name), options)
        .await
        .unwrap();
    (client, gate)
}

/// Accepts `code` with the first envelope held back: the bundle is fetched now, the
/// envelope reaches the relay only when the gate opens and the client syncs.
async fn accept_and_hold(world: &World, name: &str, code: &str) -> (Client, Arc<Gate>) {
    let (client, gate) = gated_client(world, name).await;
    gate.hold.store(true, Ordering::SeqCst);
    client.accept_invitation(code, "org").await.unwrap();
    (client, gate)
}

/// Fetches the bundle of `code` straight from the relay, as an initiator would, and
/// returns the verified bundle (the fetch consumes a one-time prekey).
async fn fetch_verified(world: &World, code: &str) -> (VerifiedBundle, FetchBundleResponse) {
    let invitation = Invitation::from_code(code).unwrap();
    let fetched = world
        .relay
        .fetch_bundle(&invitation.bundle_id)
        .await
        .unwrap();
    let key = BundleKey::derive(&invitation.seal_key, &invitation.bundle_id.0).unwrap();
    let verified = VerifiedBundle::from_fetch(&fetched, &invitation.fingerprint, &key).unwrap();
    (verified, fetched)
}

/// The signed and ML-KEM prekey ids the relay currently hands out for `code`.
async fn published_ids(world: &World, code: &str) -> (u32, u32) {
    let (bundle, _) = fetch_verified(world, code).await;
    (bundle.signed_prekey().0, bundle.kem_prekey().0)
}

/// The held initiator goes online; the org answers; the initiator hears back and both
/// can talk. Returns whether the org made a contact for it.
async fn release_and_talk(org: &Client, initiator: &Client, gate: &Gate, text: &str) -> bool {
    gate.hold.store(false, Ordering::SeqCst);
    initiator.sync().await.unwrap();
    let report = org.sync().await.unwrap();
    let Some(label) = report.new_contacts.first() else {
        return false;
    };
    initiator.sync().await.unwrap();
    assert!(initiator.contacts().unwrap()[0].established);
    initiator.send("org", text).await.unwrap();
    org.sync().await.unwrap();
    assert_eq!(received_from(org, label), vec![text.to_owned()]);
    true
}

#[tokio::test]
async fn standing_prekeys_rotate_and_old_bundle_initiators_within_the_overlap_still_work() {
    let world = World::new();
    let org = world.client("org").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 60 * DAY)
        .await
        .unwrap();
    let created = org.invitations().unwrap()[0].prekeys_rotated_at.unwrap();
    let first_ids = published_ids(&world, &code).await;

    // Before the rotation is due, a sync changes nothing.
    world.clock.advance(PREKEY_ROTATION_SECS - 60);
    org.sync().await.unwrap();
    assert_eq!(
        org.invitations().unwrap()[0].prekeys_rotated_at,
        Some(created)
    );
    assert_eq!(published_ids(&world, &code).await, first_ids);

    // An initiator fetches the current bundle, then goes offline.
    let (old, old_gate) = accept_and_hold(&world, "old", &code).await;

    // The rotation is due: the next sync replaces the signed and ML-KEM prekeys.
    world.clock.advance(120);
    org.sync().await.unwrap();
    let rotated = org.invitations().unwrap()[0].prekeys_rotated_at.unwrap();
    assert!(
        rotated >= created + PREKEY_ROTATION_SECS,
        "{rotated} {created}"
    );
    let second_ids = published_ids(&world, &code).await;
    assert_ne!(second_ids.0, first_ids.0, "signed prekey replaced");
    assert_ne!(second_ids.1, first_ids.1, "ML-KEM prekey replaced");

    // A newcomer uses the new bundle.
    let newcomer = world.client("new").await;
    newcomer.accept_invitation(&code, "org").await.unwrap();
    let report = org.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1, "{report:?}");

    // The old-bundle initiator comes back within the overlap: still answered.
    world.clock.advance(PREKEY_OVERLAP_SECS / 2);
    assert!(release_and_talk(&org, &old, &old_gate, "from the old bundle").await);
}

#[tokio::test]
async fn after_the_overlap_the_replaced_prekeys_are_gone() {
    let world = World::new();
    let org = world.client("org").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 60 * DAY)
        .await
        .unwrap();
    let (late, late_gate) = accept_and_hold(&world, "late", &code).await;
    world.clock.advance(PREKEY_ROTATION_SECS);
    org.sync().await.unwrap();
    // One initiator fetches the second bundle and is held too.
    let (inside, inside_gate) = accept_and_hold(&world, "inside", &code).await;
    // Past the overlap of the first rotation (and at the second rotation).
    world
        .clock
        .advance(PREKEY_OVERLAP_SECS.max(PREKEY_ROTATION_SECS));
    org.sync().await.unwrap();

    // The initiator holding the first bundle is no longer answered: its prekeys are gone.
    late_gate.hold.store(false, Ordering::SeqCst);
    late.sync().await.unwrap();
    let report = org.sync().await.unwrap();
    assert!(report.new_contacts.is_empty(), "{report:?}");
    assert_eq!(report.rejected, 1, "{report:?}");
    // The one that fetched the second bundle is within the overlap of the second rotation.
    assert!(release_and_talk(&org, &inside, &inside_gate, "inside the overlap").await);
}

#[tokio::test]
async fn one_time_prekeys_are_refilled_when_low() {
    let world = World::new();
    let org = world.client("org").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 60 * DAY)
        .await
        .unwrap();
    // 20 one-time prekeys are published. 16 people use them, one more fetches and goes
    // offline, and a stranger takes the last three without ever writing.
    for i in 0..16 {
        let requester = world.client(&format!("r{i}")).await;
        requester.accept_invitation(&code, "org").await.unwrap();
    }
    let (held, held_gate) = accept_and_hold(&world, "held", &code).await;
    let mut taken_before = BTreeSet::new();
    for _ in 0..3 {
        let (_, fetched) = fetch_verified(&world, &code).await;
        match fetched.prekey {
            HandedPrekey::OneTime(otp) => taken_before.insert(otp.id),
            HandedPrekey::LastResort { .. } => panic!("the pool had three left"),
        };
    }
    let (_, fetched) = fetch_verified(&world, &code).await;
    assert!(matches!(fetched.prekey, HandedPrekey::LastResort { .. }));

    // The org answers the 16: only 4 of the published prekeys are unused as far as it
    // knows, fewer than the threshold, so it publishes a fresh pool in the same sync.
    const { assert!(20 - 16 < ONE_TIME_REFILL_BELOW) };
    let report = org.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 16, "{report:?}");
    let mut fresh = BTreeSet::new();
    for _ in 0..20 {
        let (_, fetched) = fetch_verified(&world, &code).await;
        match fetched.prekey {
            HandedPrekey::OneTime(otp) => assert!(fresh.insert(otp.id)),
            HandedPrekey::LastResort { .. } => panic!("refilled with 20"),
        }
    }
    let (_, fetched) = fetch_verified(&world, &code).await;
    assert!(matches!(fetched.prekey, HandedPrekey::LastResort { .. }));
    // Nothing handed out before is handed out again.
    assert!(fresh.is_disjoint(&taken_before));

    // The initiator holding an unpublished one-time prekey is still answered.
    assert!(release_and_talk(&org, &held, &held_gate, "late but fine").await);
}

#[tokio::test]
async fn a_one_time_prekey_taken_before_a_refill_is_kept_only_for_the_overlap() {
    let world = World::new();
    let org = world.client("org").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 60 * DAY)
        .await
        .unwrap();
    for i in 0..16 {
        let requester = world.client(&format!("r{i}")).await;
        requester.accept_invitation(&code, "org").await.unwrap();
    }
    // Two initiators take one-time prekeys of the first pool and go offline.
    let (soon, soon_gate) = accept_and_hold(&world, "soon", &code).await;
    let (late, late_gate) = accept_and_hold(&world, "late", &code).await;
    // The refill hides their prekeys from the relay but keeps them for the overlap.
    world.clock.advance(DAY);
    let report = org.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 16, "{report:?}");
    world.clock.advance(PREKEY_OVERLAP_SECS - 120);
    assert!(release_and_talk(&org, &soon, &soon_gate, "within the overlap").await);
    // Past the overlap they are deleted: the late one is no longer answered.
    world.clock.advance(180);
    org.sync().await.unwrap();
    late_gate.hold.store(false, Ordering::SeqCst);
    late.sync().await.unwrap();
    let report = org.sync().await.unwrap();
    assert!(report.new_contacts.is_empty(), "{report:?}");
    assert_eq!(report.rejected, 1, "{report:?}");
}

/// Fetches `code`'s bundle until the relay hands out the last-resort prekey; its id.
async fn drain_to_last_resort(world: &World, code: &str) -> u32 {
    for _ in 0..64 {
        let (bundle, _) = fetch_verified(world, code).await;
        if let PrekeyRef::LastResort(id) = bundle.prekey().0 {
            return id;
        }
    }
    panic!("the pool never ran out");
}

#[tokio::test]
async fn the_last_resort_prekey_rotates_too_and_the_old_one_answers_within_the_overlap() {
    let world = World::new();
    let org = world.client("org").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 60 * DAY)
        .await
        .unwrap();
    let first = drain_to_last_resort(&world, &code).await;
    // This initiator gets the last-resort prekey, then goes offline.
    let (old, old_gate) = accept_and_hold(&world, "old", &code).await;
    world.clock.advance(PREKEY_ROTATION_SECS);
    org.sync().await.unwrap();
    let second = drain_to_last_resort(&world, &code).await;
    assert_ne!(first, second, "last-resort prekey replaced");
    assert!(release_and_talk(&org, &old, &old_gate, "via the old last resort").await);
}

#[tokio::test]
async fn replaced_prekeys_are_not_forgotten_while_the_intake_was_not_drained() {
    // Reviewer finding F1: an initiator fetched the old bundle and deposited just before
    // the overlap ended, but the organization's sync at the end of the overlap could not
    // read its intake (relay unreachable). That sync must not forget the old prekeys.
    let world = World::new();
    let (org, org_gate) = gated_client(&world, "org").await;
    let code = org
        .create_invitation(InvitationKind::Standing { max_uses: None }, 60 * DAY)
        .await
        .unwrap();
    let (late, late_gate) = accept_and_hold(&world, "late", &code).await;
    world.clock.advance(PREKEY_ROTATION_SECS);
    org.sync().await.unwrap();
    let rotated = org.invitations().unwrap()[0].prekeys_rotated_at.unwrap();

    // Just before the overlap ends, the old-bundle initiator's envelope reaches the
    // intake.
    world.clock.advance(PREKEY_OVERLAP_SECS - 60);
    late_gate.hold.store(false, Ordering::SeqCst);
    late.sync().await.unwrap();

    // The overlap (and a second rotation) is over, but the organization cannot read its
    // intake in this sync: nothing is forgotten, nothing rotated.
    world.clock.advance(120);
    org_gate.hold_fetch.store(true, Ordering::SeqCst);
    let report = org.sync().await.unwrap();
    assert!(report.unreachable_relays >= 1, "{report:?}");
    assert_eq!(
        org.invitations().unwrap()[0].prekeys_rotated_at,
        Some(rotated)
    );

    // The next sync reads the intake: the old-bundle initiator is answered.
    org_gate.hold_fetch.store(false, Ordering::SeqCst);
    let report = org.sync().await.unwrap();
    assert_eq!(report.new_contacts.len(), 1, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    // That sync drained the intake, so the schedule moved on: rotated, and the old
    // prekeys are now forgotten.
    assert!(org.invitations().unwrap()[0].prekeys_rotated_at.unwrap() > rotated);
    assert!(late.sync().await.is_ok());
}
