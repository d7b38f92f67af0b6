//! Retention through the `Client` façade: a closed case is purged from the coordinator's,
//! the assignee's and the requester's devices once the roster's retention has run out,
//! and the forensic reader (forced unlock) recovers nothing of it afterwards.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "forensic/mod.rs"]
mod forensic;
#[path = "org_support/mod.rs"]
mod org_support;
#[path = "client_support.rs"]
mod support;

use corridor_client::client::CaseFilter;
use corridor_client::coordination::{Role, Status, Tier};
use org_support::{form, holds, organization};
use support::World;

const BO: &str = "caseworker-bravo-7731";
const ALIAS: &str = "Heron-2290";
const STORY: &str = "we crossed at the east ford, marker 6613";
const NOTE: &str = "note-whiskey-8840";
const MESSAGE: &str = "message-victor-1172";
const RETENTION: u64 = 3600;

#[tokio::test]
async fn a_closed_case_is_purged_everywhere_after_retention() {
    let world = World::new();
    let org = organization(&world, &[("bo", Role::Caseworker, BO)], Some(RETENTION)).await;
    let bo = org.member("bo");
    let referral = org
        .coordinator
        .org_referral_invite(None, 3600)
        .await
        .unwrap();
    let requester = world.client("req").await;
    requester
        .request_help(&referral.code, &form(ALIAS, STORY))
        .await
        .unwrap();
    org.coordinator.sync().await.unwrap();
    let short = org.coordinator.cases(&CaseFilter::default()).unwrap()[0]
        .short
        .clone();
    org.coordinator.case_assign(&short, BO).await.unwrap();
    bo.sync().await.unwrap();
    org.coordinator.sync().await.unwrap();
    requester.sync().await.unwrap();
    bo.sync().await.unwrap();
    let desk = requester.requests().unwrap()[0].desk.clone();
    requester.send(&desk, MESSAGE).await.unwrap();
    bo.sync().await.unwrap();
    bo.case_note(&short, NOTE).await.unwrap();
    bo.case_set_status(&short, Status::Verifying, "")
        .await
        .unwrap();
    bo.case_vouch(&short, Tier::Direct, "", None).await.unwrap();
    for status in [
        Status::Verified,
        Status::Matched,
        Status::InTransit,
        Status::Arrived,
    ] {
        bo.case_set_status(&short, status, "").await.unwrap();
    }
    org.coordinator.sync().await.unwrap();
    let closed = org.coordinator.case_close(&short).await.unwrap();
    assert_eq!(closed.status, Status::Closed);
    bo.sync().await.unwrap();
    requester.sync().await.unwrap();
    let request = &requester.requests().unwrap()[0];
    assert!(request.closed);
    assert!(request.purge_at.is_some());

    // Before the purge the reader recovers the case everywhere (the test can fail).
    for name in ["coord", "bo"] {
        for needle in [ALIAS, STORY, NOTE] {
            assert!(
                holds(&world, name, needle.as_bytes()),
                "{name} lacks {needle:?}"
            );
        }
    }
    assert!(holds(&world, "bo", MESSAGE.as_bytes()));
    assert!(holds(&world, "req", ALIAS.as_bytes()));
    assert!(holds(&world, "req", MESSAGE.as_bytes()));

    // Not yet due: nothing goes.
    org.sync_all(1).await;
    requester.sync().await.unwrap();
    assert_eq!(bo.cases(&CaseFilter::default()).unwrap().len(), 1);

    world.clock.advance(RETENTION + 120);
    let report = org.coordinator.sync().await.unwrap();
    assert_eq!(report.org.purged_cases, 1, "{report:?}");
    assert_eq!(bo.sync().await.unwrap().org.purged_cases, 1);
    assert_eq!(requester.sync().await.unwrap().org.purged_cases, 1);
    assert!(
        org.coordinator
            .cases(&CaseFilter::default())
            .unwrap()
            .is_empty()
    );
    assert!(bo.cases(&CaseFilter::default()).unwrap().is_empty());
    assert!(requester.requests().unwrap().is_empty());
    assert!(requester.contacts().unwrap().is_empty());

    for name in ["coord", "bo", "req"] {
        for needle in [ALIAS, STORY, NOTE, MESSAGE] {
            assert!(
                !holds(&world, name, needle.as_bytes()),
                "{name} still holds {needle:?}"
            );
        }
    }
    // The audit keeps ids and actions, and says it purged.
    for client in [&org.coordinator, bo] {
        let audit = client.audit().unwrap();
        assert_eq!(audit.last().unwrap().action, "purged");
        assert!(client.audit_verify().is_ok());
    }
}
