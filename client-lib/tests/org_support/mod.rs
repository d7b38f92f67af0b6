//! Shared set-up of the organization tests: an organization of library clients on the
//! in-memory relay, and need-to-know scans through the forensic reader. Included with
//! `#[path]` after `client_support.rs` and `forensic/mod.rs`.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::forensic;
use super::support::{World, pass};
use corridor_client::client::Client;
use corridor_client::coordination::{IntakeForm, Need, Role, Urgency};
use data_encoding::{BASE32_NOPAD, BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD, HEXLOWER};
use std::path::Path;

/// Every way `bytes` may appear inside a decrypted record: raw, hex, base32, and every
/// base64 alphabet at each of the three alignments (the stable middle of the encoding).
pub fn encodings(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![bytes.to_vec(), HEXLOWER.encode(bytes).into_bytes()];
    out.push(BASE32_NOPAD.encode(bytes).into_bytes());
    for enc in [&BASE64, &BASE64_NOPAD, &BASE64URL, &BASE64URL_NOPAD] {
        for pad in 0..3 {
            let mut shifted = vec![0u8; pad];
            shifted.extend_from_slice(bytes);
            let text = enc.encode(&shifted);
            // Skip the characters touched by the padding bytes and by the end.
            let start = (pad * 8).div_ceil(6) + 1;
            let end = text.trim_end_matches('=').len().saturating_sub(3);
            if end > start + 4 {
                out.push(text.as_bytes()[start..end].to_vec());
            }
        }
    }
    out
}

/// Whether the forensic reader (forced unlock of `name`'s profile) recovers `bytes` in
/// any encoding.
pub fn holds(world: &World, name: &str, bytes: &[u8]) -> bool {
    let dir = world.dir(name);
    let passphrase = format!("pass-{name}");
    let records = forensic::seize(&dir, passphrase.as_bytes());
    encodings(bytes).iter().any(|needle| {
        records.iter().any(|r| {
            r.value
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
                || r.key.windows(needle.len()).any(|w| w == needle.as_slice())
        })
    })
}

/// Total size of the files under `dir`, in bytes.
pub fn dir_size(dir: &Path) -> u64 {
    super::support::files_under(dir)
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// A filled-in request form.
pub fn form(alias: &str, note: &str) -> IntakeForm {
    IntakeForm {
        alias: alias.to_owned(),
        region: "north valley".to_owned(),
        adults: 2,
        children: 1,
        household: "two adults and a child".to_owned(),
        needs: vec![Need::ALL[0]],
        languages: vec!["en".to_owned()],
        urgency: Some(Urgency::ALL[1]),
        safe_contact: "signal only after dark".to_owned(),
        note: note.to_owned(),
    }
}

/// The organization of the tests: a coordinator and the members it invited, all
/// joined and synced.
pub struct Org {
    pub coordinator: Client,
    pub members: Vec<(String, Client)>,
}

impl Org {
    pub fn member(&self, name: &str) -> &Client {
        &self
            .members
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no member {name}"))
            .1
    }

    /// Syncs the coordinator, then every member, `rounds` times.
    pub async fn sync_all(&self, rounds: usize) {
        for _ in 0..rounds {
            self.coordinator.sync().await.unwrap();
            for (_, member) in &self.members {
                member.sync().await.unwrap();
            }
        }
    }
}

/// Makes the organization: coordinator `coord` (alias `ana-coordinator`) and one member
/// per `(profile name, role, alias)`.
pub async fn organization(
    world: &World,
    members: &[(&str, Role, &str)],
    retention: Option<u64>,
) -> Org {
    let coordinator = world.client("coord").await;
    coordinator
        .org_create("Safe Passage Network", "ana-coordinator", retention)
        .await
        .unwrap();
    let mut joined = Vec::new();
    for (name, role, alias) in members {
        let invitation = coordinator.org_invite(*role, alias, 3600).await.unwrap();
        assert!(invitation.code.starts_with("corridor-org1:"));
        let client = world.client(name).await;
        let view = client.org_join(&invitation.code).await.unwrap();
        assert!(!view.joined);
        joined.push(((*name).to_owned(), client));
    }
    let org = Org {
        coordinator,
        members: joined,
    };
    org.sync_all(2).await;
    for (_, member) in &org.members {
        let view = member.org().unwrap().unwrap();
        assert!(view.joined, "{view:?}");
    }
    let _ = pass;
    org
}
