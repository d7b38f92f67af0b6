//! `corridor-bench store`: unlocking a profile against the Argon2id call alone with the
//! same parameters, and opening a profile then listing 1,000 records.
//!
//! The case store (issue 10/11) is being built elsewhere; until it lands, "1,000 cases" is
//! measured as a profile holding 1,000 records of 1 KiB in one tree (the shape a profile
//! with 1,000 contacts or messages has). Point [`list_records`] at the case store's own
//! listing when it exists.

use crate::measure::{human, interleaved, ratio_line};
use anyhow::{Context, anyhow};
use corridor_client::primitives::passphrase::{KdfParams, Passphrase, derive_kek};
use corridor_client::store::Profile;

/// Records in the listing figure.
const RECORDS: usize = 1000;
/// The tree the records live in.
const TREE: &str = "bench-cases";

fn passphrase() -> Passphrase {
    Passphrase::new(b"correct horse battery staple".to_vec())
}

/// Unlocks, lists every record of [`TREE`] and checks the count.
fn list_records(dir: &std::path::Path, expect: usize) -> anyhow::Result<()> {
    let unlocked = Profile::unlock(dir, &passphrase())?;
    let records = unlocked.store.scan(TREE, 0)?;
    if records.len() != expect {
        return Err(anyhow!(
            "listed {} records, expected {expect}",
            records.len()
        ));
    }
    Ok(())
}

/// `corridor-bench store [--quick]`.
///
/// # Errors
/// Any store error.
pub(crate) fn run(quick: bool) -> anyhow::Result<()> {
    // --quick: the production floor (19 MiB, 2 passes) instead of the recommended 256 MiB.
    let params = if quick {
        KdfParams::new(KdfParams::FLOOR_M_COST_KIB, KdfParams::FLOOR_T_COST, 1)?
    } else {
        KdfParams::RECOMMENDED
    };
    let (rounds, iters) = if quick { (3, 2) } else { (5, 3) };
    let dir = tempfile::Builder::new()
        .prefix("corridor-bench-store-")
        .tempdir()?;
    let empty = dir.path().join("empty");
    let full = dir.path().join("full");
    drop(Profile::create(&empty, &passphrase(), params)?);
    {
        let store = Profile::create(&full, &passphrase(), params)?;
        let value = vec![0x37u8; 1024];
        for i in 0..RECORDS {
            store.put(TREE, format!("case-{i:05}").as_bytes(), &value, None)?;
        }
        store.flush()?;
    }
    println!(
        "store: Argon2id m={} KiB t={} p={}; medians of {rounds} interleaved rounds",
        params.m_cost_kib(),
        params.t_cost(),
        params.p_cost()
    );
    let salt = [7u8; 16];
    let pass = passphrase();
    let mut argon = || -> anyhow::Result<()> {
        derive_kek(pass.expose(), &salt, &params).map(drop)?;
        Ok(())
    };
    let mut unlock = || -> anyhow::Result<()> {
        let unlocked = Profile::unlock(&empty, &passphrase()).context("unlock")?;
        drop(unlocked);
        Ok(())
    };
    let (t_unlock, t_argon) = interleaved(rounds, iters, &mut unlock, &mut argon)?;
    let unlock_ratio = t_unlock / t_argon;
    println!(
        "{:<44} unlock {:>10}   Argon2id alone {:>10}   unlock/Argon2id {unlock_ratio:.3}",
        "unlock (empty profile)",
        human(t_unlock),
        human(t_argon)
    );
    let mut list = || list_records(&full, RECORDS);
    let (t_list, t_argon2) = interleaved(rounds, iters, &mut list, &mut argon)?;
    let list_ratio = t_list / t_argon2;
    println!(
        "{:<44} open+list {:>10}   Argon2id alone {:>10}   ratio {list_ratio:.3}",
        format!("unlock + list {RECORDS} records (1 KiB each)"),
        human(t_list),
        human(t_argon2)
    );
    ratio_line(unlock_ratio, "unlock/Argon2id-alone", "<= 1.1");
    ratio_line(
        list_ratio,
        "unlock+list-1000-records/Argon2id-alone (stand-in for 1,000 cases)",
        "none yet",
    );
    Ok(())
}
