//! A flood of the standing intake address: 1,000 requesters (library clients with the
//! fast KDF on the in-memory relay) use it. Past the cap of untouched new cases
//! (`MAX_UNTOUCHED_STANDING`), requests are refused before anything of them is stored;
//! the coordinator keeps working (a referral request still becomes a case), its store
//! stays bounded by the cap, and the flood is reported. The slow test of the suite:
//! prints its time and the store sizes.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "forensic/mod.rs"]
mod forensic;
#[path = "org_support/mod.rs"]
mod org_support;
#[path = "client_support.rs"]
mod support;

use corridor_client::client::{CaseFilter, Event, MAX_UNTOUCHED_STANDING};
use org_support::{dir_size, form};
use support::World;

const FLOOD: usize = 1000;
/// The coordinator syncs after every this many requesters (the relay's mailbox cap is
/// 1,000 messages; each requester deposits two envelopes).
const SYNC_EVERY: usize = 100;
/// Requesters at work at once (a multiple of which is `SYNC_EVERY`).
const PARALLEL: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_the_standing_address_is_refused_and_bounded() {
    let started = std::time::Instant::now();
    let world = std::sync::Arc::new(World::new());
    let coordinator = world.client("coord").await;
    coordinator
        .org_create("Safe Passage Network", "ana-coordinator", None)
        .await
        .unwrap();
    let intake = coordinator.org_intake().await.unwrap();
    assert_eq!(coordinator.org_intake().await.unwrap().code, intake.code);
    let mut events = coordinator.subscribe();
    coordinator.sync().await.unwrap();
    let before = dir_size(&world.dir("coord"));

    let mut refused = 0u64;
    let mut flood_events = 0u64;
    // Requesters come PARALLEL at a time (their work is independent of one another's).
    for first in (0..FLOOD).step_by(PARALLEL) {
        let batch = (first..(first + PARALLEL).min(FLOOD)).map(|i| {
            let world = world.clone();
            let code = intake.code.clone();
            tokio::spawn(async move {
                let name = format!("r{i}");
                let requester = world.client(&name).await;
                requester
                    .request_help(&code, &form(&format!("flood-{i}"), "please help us"))
                    .await
                    .unwrap();
                requester.close().await;
                std::fs::remove_dir_all(world.dir(&name)).unwrap();
            })
        });
        for task in batch.collect::<Vec<_>>() {
            task.await.unwrap();
        }
        let i = first + PARALLEL - 1;
        if (i + 1) % SYNC_EVERY == 0 {
            let report = coordinator.sync().await.unwrap();
            refused += u64::from(report.org.intake_refused);
            while let Ok(event) = events.try_recv() {
                if let Event::IntakeFlood { refused } = event {
                    flood_events += u64::from(refused);
                }
            }
        }
    }
    let report = coordinator.sync().await.unwrap();
    refused += u64::from(report.org.intake_refused);
    let after = dir_size(&world.dir("coord"));
    let cap = MAX_UNTOUCHED_STANDING as usize;

    let cases = coordinator.cases(&CaseFilter::default()).unwrap();
    assert_eq!(cases.len(), cap);
    assert_eq!(refused, (FLOOD - cap) as u64);
    assert_eq!(flood_events, refused);
    assert_eq!(coordinator.org().unwrap().unwrap().intake_refused, refused);

    // Still working: a referral request becomes a case.
    let referral = coordinator.org_referral_invite(None, 3600).await.unwrap();
    let requester = world.client("late").await;
    requester
        .request_help(&referral.code, &form("late-one", "still here"))
        .await
        .unwrap();
    let report = coordinator.sync().await.unwrap();
    assert_eq!(report.org.new_cases, 1, "{report:?}");
    assert!(
        coordinator
            .cases(&CaseFilter::default())
            .unwrap()
            .iter()
            .any(|c| c.alias == "late-one")
    );

    // Bounded by the cap, not by the flood: at most 32 KiB of store per admitted request
    // (its case, its contact and session, sled's overhead) over the empty organization.
    let bound = before + (cap as u64) * 32 * 1024;
    println!(
        "flood: {FLOOD} requesters, {refused} refused, {} s; coordinator store {before} -> {after} bytes (bound {bound})",
        started.elapsed().as_secs()
    );
    assert!(
        after <= bound,
        "store grew to {after} bytes (bound {bound})"
    );
}
