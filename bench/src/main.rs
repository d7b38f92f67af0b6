//! `corridor-bench`: Corridor measured against its peer and its physical limits, as ratios
//! of two pieces of work timed in one run (absolute times on a shared machine are noise).
//!
//! ```sh
//! cargo run --release -p corridor-bench -- protocol   # ours / vodozemac's Olm
//! cargo run --release -p corridor-bench -- relay      # relay / bare axum baselines
//! cargo run --release -p corridor-bench -- match      # matching / a baseline scan
//! cargo run --release -p corridor-bench -- store      # unlock / Argon2id alone
//! ```
//!
//! Every subcommand takes `--quick` (a few seconds, for CI) and prints one line
//! `ratio: X  <name> (target ...)` per figure it is held against. No figure is asserted:
//! `docs/performance.md` records them with the command that produced them.
#![forbid(unsafe_code)]

mod matching;
mod measure;
mod protocol;
mod relay;
mod store;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "corridor-bench",
    about = "Corridor's benchmarks: ratios against a baseline measured in the same run."
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The hybrid handshake, the ratchet and envelopes against vodozemac's Olm.
    Protocol {
        /// A few seconds (for CI); the figures are rougher.
        #[arg(long)]
        quick: bool,
        /// Run only this piece of work this many times (for a profiler) and print its
        /// time per operation.
        #[arg(long, value_enum)]
        profile: Option<protocol::Work>,
        /// Iterations for `--profile`.
        #[arg(long, default_value_t = 1000)]
        iters: u32,
    },
    /// A real corridor-relay process (sled) over loopback against two bare axum
    /// baselines (body discarded; sled insert + flush per request), same generator.
    Relay {
        /// A second per phase (for CI).
        #[arg(long)]
        quick: bool,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
    },
    /// Matching offers against one case, against a scan touching each offer once.
    Match {
        /// A few seconds (for CI).
        #[arg(long)]
        quick: bool,
    },
    /// Unlocking a profile against the Argon2id call alone; opening and listing 1,000
    /// records.
    Store {
        /// The production floor's Argon2id parameters instead of the recommended ones.
        #[arg(long)]
        quick: bool,
    },
}

fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Protocol {
            quick,
            profile,
            iters,
        } => match profile {
            Some(work) => protocol::profile(work, iters),
            None => protocol::run(quick),
        },
        Command::Relay { quick, connections } => relay::run(quick, connections),
        Command::Match { quick } => matching::run(quick),
        Command::Store { quick } => store::run(quick),
    }
}
