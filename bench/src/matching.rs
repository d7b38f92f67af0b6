//! `corridor-bench match`: matching offers against one case, against a baseline scan that
//! touches each offer once.
//!
//! The matcher of issue 11 does not exist yet. This is a SEAM: [`Matcher`] over plain data
//! ([`Offer`], [`Case`]) with a stand-in implementation, [`FilterMatcher`] (hard filters,
//! then a score, then the best ten). When issue 11 lands, implement [`Matcher`] for the
//! real matcher (or replace [`FilterMatcher`] with a call into it) so that this figure
//! measures the real code; until then it measures only the stand-in.

use crate::measure::{human, interleaved, ratio_line};
use std::hint::black_box;

/// One offer of help, as plain data.
#[derive(Clone, Debug)]
pub(crate) struct Offer {
    /// Region code.
    pub(crate) region: u16,
    /// Seats (or beds) offered.
    pub(crate) capacity: u8,
    /// Bit set of what the offer provides (transport, shelter, medical...).
    pub(crate) provides: u32,
    /// Hours until the offer lapses.
    pub(crate) hours_left: u16,
}

/// One case needing help, as plain data.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// Regions the case can be served from.
    pub(crate) regions: Vec<u16>,
    /// People in the case.
    pub(crate) people: u8,
    /// Bit set of what the case needs.
    pub(crate) needs: u32,
}

/// The seam: the best offers (indices, best first) for one case.
pub(crate) trait Matcher {
    /// Up to `limit` indices into `offers`, best first.
    fn best(&self, case: &Case, offers: &[Offer], limit: usize) -> Vec<usize>;
}

/// The stand-in matcher: region and capacity filters, every need covered, then scored by
/// spare needs and urgency; keeps the best `limit`.
pub(crate) struct FilterMatcher;

impl Matcher for FilterMatcher {
    fn best(&self, case: &Case, offers: &[Offer], limit: usize) -> Vec<usize> {
        let mut hits: Vec<(u32, usize)> = offers
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                case.regions.contains(&o.region)
                    && o.capacity >= case.people
                    && o.provides & case.needs == case.needs
            })
            .map(|(i, o)| {
                let spare = (o.provides & !case.needs).count_ones();
                (u32::from(o.hours_left) * 4 + spare, i)
            })
            .collect();
        hits.sort_unstable();
        hits.truncate(limit);
        hits.into_iter().map(|(_, i)| i).collect()
    }
}

/// A deterministic set of `n` offers (a small linear congruential generator).
fn offers(n: usize) -> Vec<Offer> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (x >> 33) as u32
    };
    (0..n)
        .map(|_| Offer {
            region: (next() % 64) as u16,
            capacity: (next() % 8) as u8 + 1,
            provides: next() & 0xFF,
            hours_left: (next() % 72) as u16,
        })
        .collect()
}

/// The baseline: touches each offer once (a sum over one field).
fn baseline(offers: &[Offer]) -> u64 {
    offers.iter().map(|o| u64::from(o.hours_left)).sum()
}

/// `corridor-bench match [--quick]`.
///
/// # Errors
/// None in practice; the signature matches the other subcommands.
pub(crate) fn run(quick: bool) -> anyhow::Result<()> {
    let case = Case {
        regions: vec![3, 17, 42],
        people: 3,
        needs: 0b0000_0101,
    };
    let rounds = if quick { 3 } else { 7 };
    println!(
        "match: STAND-IN matcher (bench/src/matching.rs) until issue 11's matcher lands; \
         medians of {rounds} interleaved rounds"
    );
    let mut last = 0.0;
    for n in [1_000usize, 100_000] {
        let set = offers(n);
        let iters = if quick {
            (200_000 / n) as u32
        } else {
            (2_000_000 / n) as u32
        };
        let mut m = || -> anyhow::Result<()> {
            black_box(FilterMatcher.best(black_box(&case), black_box(&set), 10));
            Ok(())
        };
        let mut b = || -> anyhow::Result<()> {
            black_box(baseline(black_box(&set)));
            Ok(())
        };
        let (t_match, t_base) = interleaved(rounds, iters.max(1), &mut m, &mut b)?;
        last = t_match / t_base;
        println!(
            "{:<44} match {:>10}   baseline scan {:>10}   match/scan {last:.3}",
            format!("{n} offers, one case"),
            human(t_match),
            human(t_base)
        );
    }
    ratio_line(
        last,
        "match-100000-offers/baseline-scan (stand-in matcher)",
        "<= 3",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_in_matcher_respects_its_filters() {
        let set = offers(5000);
        let case = Case {
            regions: vec![3, 17],
            people: 2,
            needs: 0b11,
        };
        let best = FilterMatcher.best(&case, &set, 10);
        assert!(!best.is_empty());
        for i in best {
            let o = &set[i];
            assert!(case.regions.contains(&o.region));
            assert!(o.capacity >= 2 && o.provides & 0b11 == 0b11);
        }
    }
}
