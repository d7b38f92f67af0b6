//! The organization's roster through the `Client` façade: who holds what, removal, and
//! refusal of forged, rolled-back and forked rosters delivered over a real session.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "forensic/mod.rs"]
mod forensic;
#[path = "org_support/mod.rs"]
mod org_support;
#[path = "client_support.rs"]
mod support;

use corridor_client::coordination::{OrgMessage, Role, Roster, RosterEpoch};
use corridor_client::primitives::random::OsRng;
use corridor_client::protocol::identity::Identity;
use org_support::{holds, organization};
use support::World;

const BO: &str = "caseworker-bravo-7731";
const CY: &str = "caseworker-cyan-4402";
const DEE: &str = "host-delta-9150";

#[tokio::test]
async fn caseworkers_hold_the_roster_the_host_only_its_certificate() {
    let world = World::new();
    let org = organization(
        &world,
        &[
            ("bo", Role::Caseworker, BO),
            ("cy", Role::Caseworker, CY),
            ("dee", Role::Host, DEE),
        ],
        None,
    )
    .await;
    let coord = org.coordinator.org().unwrap().unwrap();
    assert_eq!(coord.epoch, 3);
    for name in ["bo", "cy"] {
        let member = org.member(name);
        let view = member.org().unwrap().unwrap();
        assert!(view.full_roster && view.joined);
        assert_eq!(view.epoch, 3);
        assert_eq!(view.fingerprint, coord.fingerprint);
        assert_eq!(view.name, "Safe Passage Network");
        let members = member.org_members().unwrap();
        assert_eq!(members.len(), 4);
        assert_eq!(members.iter().filter(|m| m.is_me).count(), 1);
    }
    let host = org.member("dee");
    let view = host.org().unwrap().unwrap();
    assert!(!view.full_roster && view.joined);
    assert_eq!(view.my_alias, DEE);
    let members = host.org_members().unwrap();
    assert_eq!(members.len(), 1);
    assert!(members[0].is_me && members[0].alias == DEE);

    // Need to know, by forced unlock of the host's profile: no other member's key or
    // alias (its own coordinator's key it must hold, for the session).
    let bo_key = org.member("bo").debug_org_public_identity().unwrap();
    let cy_key = org.member("cy").debug_org_public_identity().unwrap();
    for (key, alias) in [(&bo_key, BO), (&cy_key, CY)] {
        assert!(
            !holds(&world, "dee", &key[..32]),
            "the host holds a member's key"
        );
        assert!(
            !holds(&world, "dee", alias.as_bytes()),
            "the host holds an alias"
        );
    }
    // The same scan finds them where they belong: it can fail.
    assert!(holds(&world, "cy", &bo_key[..32]));
    assert!(holds(&world, "cy", BO.as_bytes()));
    assert!(holds(&world, "bo", DEE.as_bytes()));
}

#[tokio::test]
async fn a_removed_member_receives_nothing_afterwards() {
    let world = World::new();
    let org = organization(
        &world,
        &[("bo", Role::Caseworker, BO), ("cy", Role::Caseworker, CY)],
        None,
    )
    .await;
    let removed = org.coordinator.org_remove(CY).await.unwrap();
    assert_eq!(removed.epoch, 3);
    org.sync_all(2).await;
    assert_eq!(org.member("bo").org().unwrap().unwrap().epoch, 3);
    assert!(
        org.member("bo")
            .org_members()
            .unwrap()
            .iter()
            .all(|m| m.alias != CY)
    );
    // A later epoch (a new member) reaches the team, not the removed member.
    let later = "host-echo-6620";
    let invitation = org
        .coordinator
        .org_invite(Role::Host, later, 3600)
        .await
        .unwrap();
    let eve = world.client("eve").await;
    eve.org_join(&invitation.code).await.unwrap();
    org.sync_all(2).await;
    eve.sync().await.unwrap();
    assert_eq!(org.member("bo").org().unwrap().unwrap().epoch, 4);
    assert!(org.member("cy").org().unwrap().unwrap().epoch < 3);
    assert!(holds(&world, "bo", later.as_bytes()));
    assert!(!holds(&world, "cy", later.as_bytes()));
    // Its session with the coordinator is gone on the coordinator's side.
    assert!(
        org.coordinator
            .contacts()
            .unwrap()
            .iter()
            .all(|c| !c.label.contains("cyan"))
    );
}

#[tokio::test]
async fn forged_rolled_back_and_forked_rosters_change_nothing() {
    let world = World::new();
    let org = organization(
        &world,
        &[("bo", Role::Caseworker, BO), ("cy", Role::Caseworker, CY)],
        None,
    )
    .await;
    let bo = org.member("bo");
    let before = bo.org().unwrap().unwrap();
    let members_before = bo.org_members().unwrap();
    assert_eq!(before.epoch, 2);
    let label = org
        .coordinator
        .contacts()
        .unwrap()
        .into_iter()
        .find(|c| c.label.contains("bravo"))
        .unwrap()
        .label;
    let chain: Vec<RosterEpoch> = org
        .coordinator
        .debug_org_chain()
        .unwrap()
        .iter()
        .map(|b| RosterEpoch::decode(b).unwrap())
        .collect();
    let roster = Roster::from_chain(&chain).unwrap();

    // Forged: a well-formed next epoch adding a stranger, signed by a key that is no
    // coordinator.
    let stranger = Identity::generate(&mut OsRng).unwrap();
    let mut draft = roster.draft();
    draft
        .add_member(stranger.public(), Role::Coordinator, "intruder")
        .unwrap();
    let forged = draft.sign(&stranger, roster.current().issued_at()).unwrap();
    // Rolled back: the genesis and epoch 1 again.
    let rolled_back = vec![chain[0].clone(), chain[1].clone()];
    // Forked: a different epoch 2 signed by the real coordinator.
    let fork = RosterEpoch::decode(&org.coordinator.debug_sign_fork().unwrap()).unwrap();
    assert_eq!(fork.number(), 2);
    assert_ne!(fork.hash(), chain[2].hash());

    for (what, epochs) in [
        ("forged", vec![forged]),
        ("rolled back", vec![chain[1].clone()]),
        ("rolled back chain", rolled_back),
        ("forked", vec![fork]),
    ] {
        let bytes = OrgMessage::RosterEpochs { epochs }.encode().unwrap();
        org.coordinator.debug_send_org(&label, bytes).await.unwrap();
        let report = bo.sync().await.unwrap();
        assert_eq!(report.org.refused, 1, "{what}: {report:?}");
        assert_eq!(report.org.roster_updates, 0, "{what}");
        let after = bo.org().unwrap().unwrap();
        assert_eq!(after, before, "{what} changed the roster");
        assert_eq!(bo.org_members().unwrap(), members_before, "{what}");
    }
    // Garbage bytes in an organization message are refused the same way.
    org.coordinator
        .debug_send_org(&label, vec![1, 8, 0, 0])
        .await
        .unwrap();
    assert_eq!(bo.sync().await.unwrap().org.refused, 1);
    // The real next epoch still goes through afterwards.
    let invitation = org
        .coordinator
        .org_invite(Role::Host, "host-foxtrot-1188", 3600)
        .await
        .unwrap();
    let fox = world.client("fox").await;
    fox.org_join(&invitation.code).await.unwrap();
    org.coordinator.sync().await.unwrap();
    let report = bo.sync().await.unwrap();
    assert_eq!(report.org.roster_updates, 1, "{report:?}");
    assert_eq!(bo.org().unwrap().unwrap().epoch, 3);
}

/// Organization traffic goes only through the organization's relays: a caseworker whose
/// own first relay is another one keeps every mailbox of its organization relationships
/// on the organization's relay, while its private contacts still live on its own.
#[tokio::test]
async fn organization_traffic_uses_only_the_organizations_relays() {
    use corridor_client::client::{Client, InvitationKind};
    let world = World::new();
    let coordinator = world.client("coord").await;
    coordinator
        .org_create("Safe Passage Network", "ana-coordinator", None)
        .await
        .unwrap();
    let invitation = coordinator
        .org_invite(Role::Caseworker, "caseworker-bravo", 3600)
        .await
        .unwrap();
    let mut options = world.create_options("bo");
    options.relays = vec![support::RELAY_2.to_owned(), support::RELAY.to_owned()];
    let bo = Client::create(&world.dir("bo"), &support::pass("bo"), options)
        .await
        .unwrap();
    let own_before = world.relay_2.mailbox_count();
    bo.org_join(&invitation.code).await.unwrap();
    for _ in 0..3 {
        coordinator.sync().await.unwrap();
        bo.sync().await.unwrap();
    }
    assert!(bo.org().unwrap().unwrap().joined);
    // A note reaches bo: the organization relationship works.
    assert!(!bo.org_members().unwrap().is_empty(), "bo holds the roster");
    assert_eq!(
        world.relay_2.mailbox_count(),
        own_before,
        "an organization mailbox was made on bo's own relay"
    );
    // Positive control: a private invitation of bo's is hosted on bo's own relay.
    bo.create_invitation(InvitationKind::OneTime, 3600)
        .await
        .unwrap();
    assert!(world.relay_2.mailbox_count() > own_before);
}
