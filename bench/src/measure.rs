//! Timing helpers: interleaved rounds, medians, and the `ratio:` line every subcommand
//! prints. Wall-clock figures on a shared machine are noise; ratios of two pieces of work
//! measured in alternating rounds of one run are what the benchmarks report.

use std::time::Instant;

/// Seconds per call of `f` over `iters` calls.
///
/// # Errors
/// The first error `f` returns.
pub(crate) fn per_op<F>(iters: u32, f: &mut F) -> anyhow::Result<f64>
where
    F: FnMut() -> anyhow::Result<()>,
{
    let start = Instant::now();
    for _ in 0..iters {
        f()?;
    }
    Ok(start.elapsed().as_secs_f64() / f64::from(iters.max(1)))
}

/// The median of `values` (NaN for none).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Times `a` and `b` in `rounds` alternating rounds of `iters` calls each (one warm-up
/// round first) and returns the median seconds per call of each.
///
/// # Errors
/// The first error either closure returns.
pub(crate) fn interleaved<A, B>(
    rounds: u32,
    iters: u32,
    a: &mut A,
    b: &mut B,
) -> anyhow::Result<(f64, f64)>
where
    A: FnMut() -> anyhow::Result<()>,
    B: FnMut() -> anyhow::Result<()>,
{
    per_op(iters.div_ceil(4), a)?;
    per_op(iters.div_ceil(4), b)?;
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        ta.push(per_op(iters, a)?);
        tb.push(per_op(iters, b)?);
    }
    Ok((median(&mut ta), median(&mut tb)))
}

/// A duration in seconds as a short human string.
pub(crate) fn human(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.1} us", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

/// Prints the one line a figure is held against: `ratio: X  <name> (<target>)`.
pub(crate) fn ratio_line(ratio: f64, name: &str, target: &str) {
    println!("ratio: {ratio:.3}  {name} (target {target})");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
