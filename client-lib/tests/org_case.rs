//! A case through the `Client` façade: intake by referral code, assignment and the
//! introduction of the requester to the assignee, vouch and verification, notes both
//! ways, the audit log, and who holds what (forced-unlock scans).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "forensic/mod.rs"]
mod forensic;
#[path = "org_support/mod.rs"]
mod org_support;
#[path = "client_support.rs"]
mod support;

use corridor_client::client::{CaseFilter, ClientError, Direction};
use corridor_client::coordination::{Role, Status, Tier};
use org_support::{Org, form, holds, organization};
use support::{World, received_from};

const BO: &str = "caseworker-bravo-7731";
const CY: &str = "caseworker-cyan-4402";
const ALIAS: &str = "Falcon-8812";
const STORY: &str = "we hide at the old mill near kilometre 4471";

/// The organization with two caseworkers, a requester whose request became a case
/// assigned to `bo`, and the introduction done. Returns the case's short id.
async fn assigned_case(world: &World) -> (Org, corridor_client::Client, String, String) {
    let org = organization(
        world,
        &[("bo", Role::Caseworker, BO), ("cy", Role::Caseworker, CY)],
        Some(3600),
    )
    .await;
    let referral = org
        .coordinator
        .org_referral_invite(Some("clinic-desk"), 3600)
        .await
        .unwrap();
    assert!(referral.code.starts_with("corridor-intake1:"));
    let requester = world.client("req").await;
    let request = requester
        .request_help(&referral.code, &form(ALIAS, STORY))
        .await
        .unwrap();
    let report = org.coordinator.sync().await.unwrap();
    assert_eq!(report.org.new_cases, 1, "{report:?}");
    let cases = org.coordinator.cases(&CaseFilter::default()).unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case.alias, ALIAS);
    assert_eq!(case.status, Status::New);
    assert_eq!(case.referrer.as_deref(), Some("clinic-desk"));
    let short = case.short.clone();
    // The coordinator holds the requester's session until the introduction.
    let detail = org.coordinator.case(&short[..4]).unwrap();
    assert_eq!(detail.note, STORY);
    org.coordinator
        .case_send(&short, "we received your request")
        .await
        .unwrap();
    requester.sync().await.unwrap();
    assert_eq!(
        received_from(&requester, &request.desk),
        vec!["we received your request".to_owned()]
    );

    let assigned = org.coordinator.case_assign(&short, BO).await.unwrap();
    assert_eq!(assigned.assignee.as_deref(), Some(BO));
    // bo receives the case and sends its introduction code; the coordinator passes it to
    // the requester; the requester moves; bo sees the new contact.
    org.member("bo").sync().await.unwrap();
    org.coordinator.sync().await.unwrap();
    requester.sync().await.unwrap();
    org.member("bo").sync().await.unwrap();
    requester.sync().await.unwrap();
    org.member("cy").sync().await.unwrap();
    let desk = requester.requests().unwrap()[0].desk.clone();
    (org, requester, short, desk)
}

#[tokio::test]
async fn a_case_from_referral_to_verified_with_notes_both_ways() {
    let world = World::new();
    let (org, requester, short, desk) = assigned_case(&world).await;
    let bo = org.member("bo");

    // The requester now talks to the assignee.
    requester
        .send(&desk, "thank you, we are four now")
        .await
        .unwrap();
    bo.sync().await.unwrap();
    let detail = bo.case(&short).unwrap();
    assert!(detail.summary.mine);
    assert!(
        detail
            .messages
            .iter()
            .any(|m| m.direction == Direction::Incoming && *m.text == "thank you, we are four now"),
        "{:?}",
        detail.messages
    );
    bo.case_send(&short, "I am your caseworker").await.unwrap();
    requester.sync().await.unwrap();
    assert!(received_from(&requester, &desk).contains(&"I am your caseworker".to_owned()));
    // The coordinator no longer holds the requester's session.
    assert!(matches!(
        org.coordinator.case_send(&short, "hello?").await,
        Err(ClientError::NotPermitted(_))
    ));

    // Verification without a vouch is refused through the façade.
    bo.case_set_status(&short, Status::Verifying, "")
        .await
        .unwrap();
    assert!(matches!(
        bo.case_set_status(&short, Status::Verified, "").await,
        Err(ClientError::Case(_))
    ));
    bo.case_vouch(&short, Tier::Direct, "met in person", None)
        .await
        .unwrap();
    let verified = bo
        .case_set_status(&short, Status::Verified, "vouched")
        .await
        .unwrap();
    assert_eq!(verified.tier, Some(Tier::Direct));
    org.coordinator.sync().await.unwrap();
    let at_coordinator = org.coordinator.case(&short).unwrap();
    assert_eq!(at_coordinator.summary.status, Status::Verified);
    assert_eq!(at_coordinator.vouches.len(), 1);
    assert_eq!(at_coordinator.vouches[0].by, BO);

    // Notes both ways.
    org.coordinator
        .case_note(&short, "coordinator note: shelter confirmed")
        .await
        .unwrap();
    bo.sync().await.unwrap();
    bo.case_note(&short, "caseworker note: documents checked")
        .await
        .unwrap();
    org.coordinator.sync().await.unwrap();
    for client in [&org.coordinator, bo] {
        let notes: Vec<String> = client
            .case(&short)
            .unwrap()
            .notes
            .iter()
            .map(|n| n.text.to_string())
            .collect();
        assert_eq!(
            notes,
            vec![
                "coordinator note: shelter confirmed".to_owned(),
                "caseworker note: documents checked".to_owned()
            ]
        );
    }
    // A caseworker not on the case may not act on it: it does not hold it.
    assert!(matches!(
        org.member("cy").case(&short),
        Err(ClientError::UnknownCase)
    ));
    assert!(
        org.member("cy")
            .cases(&CaseFilter::default())
            .unwrap()
            .is_empty()
    );

    // The audit log, through the façade.
    let audit = bo.audit().unwrap();
    assert!(audit.len() >= 5, "{audit:?}");
    assert!(audit.iter().all(|e| e.case == short));
    let report = bo.audit_verify().unwrap();
    assert_eq!(report.entries, audit.len() as u64);
    bo.debug_tamper_audit_entry(1).unwrap();
    assert!(matches!(
        bo.audit_verify(),
        Err(ClientError::AuditBroken { seq: 2 })
    ));
    assert!(org.coordinator.audit_verify().is_ok());
}

#[tokio::test]
async fn need_to_know_the_unassigned_caseworker_and_the_requester() {
    let world = World::new();
    let (org, requester, short, desk) = assigned_case(&world).await;
    let bo = org.member("bo");
    bo.case_note(&short, "note-zulu-5501").await.unwrap();
    requester.send(&desk, "message-yankee-3307").await.unwrap();
    org.sync_all(1).await;
    requester.sync().await.unwrap();

    // The unassigned caseworker holds nothing of the case.
    for needle in [ALIAS, STORY, "note-zulu-5501", "message-yankee-3307"] {
        assert!(
            !holds(&world, "cy", needle.as_bytes()),
            "cy holds {needle:?}"
        );
    }
    // The scan finds them where they are (so it can fail).
    assert!(holds(&world, "bo", ALIAS.as_bytes()));
    assert!(holds(&world, "bo", STORY.as_bytes()));
    assert!(holds(&world, "coord", "note-zulu-5501".as_bytes()));

    // The requester (never verified) holds no organization key and no alias of anyone:
    // it talks to the assignee under a key made for that conversation alone.
    for name in ["bo", "cy"] {
        let key = org.member(name).debug_org_public_identity().unwrap();
        assert!(
            !holds(&world, "req", &key[..32]),
            "requester holds {name}'s key"
        );
    }
    let coordinator_key = org.coordinator.debug_org_public_identity().unwrap();
    assert!(!holds(&world, "req", &coordinator_key[..32]));
    for alias in [
        BO,
        CY,
        "ana-coordinator",
        "Safe Passage Network",
        "clinic-desk",
    ] {
        assert!(
            !holds(&world, "req", alias.as_bytes()),
            "requester holds {alias:?}"
        );
    }
    // Positive control: the caseworker's own key is in the coordinator's store.
    let bo_key = bo.debug_org_public_identity().unwrap();
    assert!(holds(&world, "coord", &bo_key[..32]));
    // Only one contact left at the requester: the assignee.
    assert_eq!(requester.contacts().unwrap().len(), 1);
}

/// A revoked standing code is not handed out again: the next `org_intake` makes a new one.
/// A request through it becomes a case, and the sync does not list the requester as a new
/// contact to name (the organization layer labelled it `req-…`).
#[tokio::test]
async fn a_revoked_standing_code_is_replaced_and_requesters_are_not_new_contacts() {
    let world = World::new();
    let org = organization(&world, &[], Some(3600)).await;
    let first = org.coordinator.org_intake().await.unwrap();
    assert_eq!(org.coordinator.org_intake().await.unwrap().code, first.code);
    org.coordinator.revoke_invitation(first.id).await.unwrap();
    let second = org.coordinator.org_intake().await.unwrap();
    assert_ne!(second.code, first.code);
    assert_ne!(second.id, first.id);
    assert_eq!(
        org.coordinator.org_intake().await.unwrap().code,
        second.code
    );

    let requester = world.client("req").await;
    assert!(
        requester
            .request_help(&first.code, &form(ALIAS, STORY))
            .await
            .is_err(),
        "the revoked code still works"
    );
    requester
        .request_help(&second.code, &form(ALIAS, STORY))
        .await
        .unwrap();
    let report = org.coordinator.sync().await.unwrap();
    assert_eq!(report.org.new_cases, 1, "{report:?}");
    assert!(report.new_contacts.is_empty(), "{report:?}");
    let cases = org.coordinator.cases(&CaseFilter::default()).unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].alias, ALIAS);
}
