//! `corridor-bench protocol`: Corridor's protocol against vodozemac's Olm, in one run.
//!
//! Figures (each a throughput ratio, ours / vodozemac: above 1 means Corridor is faster):
//! - setup: Corridor's identities, prekeys, bundle verification, hybrid X3DH (X25519 +
//!   ML-KEM-768) on both sides, the sealed initial envelope with the first message and its
//!   decryption; against vodozemac's two accounts, one one-time key, outbound session,
//!   first (pre-key) message and inbound session;
//! - ratchet, one direction: encrypt + decrypt of a 256-byte message, always the same
//!   sender;
//! - ratchet, alternating: the same, the sender changing with every message (a DH ratchet
//!   step each time);
//! - envelope: `envelope::seal` + `envelope::open` of one full 4096-byte envelope, against
//!   vodozemac's 256-byte encrypt + decrypt (the figure issue 12 holds it against), and
//!   for information against vodozemac encrypting the same payload size.

use crate::measure::{self, human, interleaved, ratio_line};
use anyhow::{Context, anyhow};
use corridor_client::primitives::random::OsRng;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::bundle::{PrekeySet, VerifiedBundle};
use corridor_client::protocol::envelope::{self, CHUNK_CAPACITY};
use corridor_client::protocol::handshake::{self, INITIAL_INNER_LEN};
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::ratchet::Session;
use corridor_wire::api::HandedPrekey;
use vodozemac::olm::{Account, OlmMessage, Session as OlmSession, SessionConfig};

/// The bundle id the prekey signatures cover (any 16 bytes).
const BUNDLE_ID: [u8; 16] = *b"corridor-bench-b";
/// The ratchet figures' message size.
const MESSAGE_LEN: usize = 256;

/// What one of the measured pieces of work is, for `--profile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Work {
    /// Corridor's full session setup.
    OursSetup,
    /// vodozemac's session setup.
    TheirsSetup,
    /// Corridor's ratchet, one direction.
    OursRatchet,
    /// vodozemac's ratchet, one direction.
    TheirsRatchet,
    /// Corridor's ratchet, alternating.
    OursAlternating,
    /// vodozemac's ratchet, alternating.
    TheirsAlternating,
    /// Corridor's envelope seal + open.
    OursEnvelope,
}

/// Corridor's whole session setup; returns both sessions, ready in both directions once
/// the responder has answered (as vodozemac's are after one reply).
fn ours_setup(first: &[u8]) -> anyhow::Result<(Session, Session)> {
    let rng = &mut OsRng;
    let bob_identity = Identity::generate(rng)?;
    let prekeys = PrekeySet::generate(1, rng)?;
    let bundle = prekeys.plain_bundle(&bob_identity, &BUNDLE_ID);
    let seal_secret = X25519Secret::generate(rng)?;
    let one_time = bundle
        .one_time
        .first()
        .cloned()
        .context("bundle without a one-time prekey")?;

    let alice_identity = Identity::generate(rng)?;
    let verified = VerifiedBundle::verify(
        bundle.signed.as_bytes(),
        &HandedPrekey::OneTime(one_time),
        &bob_identity.fingerprint(),
        &BUNDLE_ID,
    )?;
    let init = handshake::initiate(&alice_identity, &verified, rng)?;
    let mut alice = Session::initiator(
        &init.output.shared,
        &init.output.associated_data,
        init.remote_ratchet,
        rng,
    )?;
    let inner = envelope::seal_with_capacity(&mut alice, first, INITIAL_INNER_LEN, rng)?;
    let inner = inner.first().context("no initial block")?;
    let sealed = handshake::seal_initial(
        &seal_secret.public(),
        &init.kem_prekey,
        &init.header,
        inner,
        rng,
    )?;

    let opened = handshake::open_initial(&seal_secret, &prekeys.kem_secrets(), &sealed)?;
    let response = handshake::respond(&bob_identity, &prekeys, &opened.header)?;
    let mut bob = Session::responder(
        &response.output.shared,
        &response.output.associated_data,
        response.own_ratchet,
    )?;
    let block = envelope::open_message(&mut bob, &opened.inner)?;
    if block.chunk() != first {
        return Err(anyhow!("corridor setup: first message garbled"));
    }
    Ok((alice, bob))
}

/// vodozemac's session setup: two accounts, a one-time key, outbound session, a pre-key
/// message and the inbound session that decrypts it.
fn theirs_setup(first: &[u8]) -> anyhow::Result<(OlmSession, OlmSession)> {
    let alice = Account::new();
    let mut bob = Account::new();
    bob.generate_one_time_keys(1);
    let one_time = bob
        .one_time_keys()
        .into_values()
        .next()
        .context("no one-time key")?;
    bob.mark_keys_as_published();
    let mut outbound = alice.create_outbound_session(
        SessionConfig::version_1(),
        bob.curve25519_key(),
        one_time,
    )?;
    let OlmMessage::PreKey(message) = outbound.encrypt(first)? else {
        return Err(anyhow!("vodozemac: first message is not a pre-key message"));
    };
    let inbound =
        bob.create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &message)?;
    if inbound.plaintext != first {
        return Err(anyhow!("vodozemac setup: first message garbled"));
    }
    Ok((outbound, inbound.session))
}

/// A pair of Corridor sessions after the setup and one reply (both can send).
fn ours_pair() -> anyhow::Result<(Session, Session)> {
    let (mut alice, mut bob) = ours_setup(b"hello")?;
    let reply = bob.encrypt(b"reply", &mut OsRng)?;
    alice.decrypt(&reply)?;
    Ok((alice, bob))
}

/// A pair of vodozemac sessions after the setup and one reply.
fn theirs_pair() -> anyhow::Result<(OlmSession, OlmSession)> {
    let (mut alice, mut bob) = theirs_setup(b"hello")?;
    let reply = bob.encrypt(b"reply")?;
    alice.decrypt(&reply)?;
    Ok((alice, bob))
}

fn ours_message(from: &mut Session, to: &mut Session, plain: &[u8]) -> anyhow::Result<()> {
    let message = from.encrypt(plain, &mut OsRng)?;
    let got = to.decrypt(&message)?;
    if got.len() != plain.len() {
        return Err(anyhow!("corridor ratchet: wrong plaintext length"));
    }
    Ok(())
}

fn theirs_message(from: &mut OlmSession, to: &mut OlmSession, plain: &[u8]) -> anyhow::Result<()> {
    let message = from.encrypt(plain)?;
    let got = to.decrypt(&message)?;
    if got.len() != plain.len() {
        return Err(anyhow!("vodozemac ratchet: wrong plaintext length"));
    }
    Ok(())
}

/// The closures of one piece of work, state included.
type Job = Box<dyn FnMut() -> anyhow::Result<()>>;

fn job(work: Work) -> anyhow::Result<Job> {
    let plain = vec![0x42u8; MESSAGE_LEN];
    Ok(match work {
        Work::OursSetup => Box::new(move || ours_setup(&plain).map(drop)),
        Work::TheirsSetup => Box::new(move || theirs_setup(&plain).map(drop)),
        Work::OursRatchet => {
            let (mut a, mut b) = ours_pair()?;
            Box::new(move || ours_message(&mut a, &mut b, &plain))
        }
        Work::TheirsRatchet => {
            let (mut a, mut b) = theirs_pair()?;
            Box::new(move || theirs_message(&mut a, &mut b, &plain))
        }
        Work::OursAlternating => {
            let (mut a, mut b) = ours_pair()?;
            let mut flip = false;
            Box::new(move || {
                flip = !flip;
                if flip {
                    ours_message(&mut a, &mut b, &plain)
                } else {
                    ours_message(&mut b, &mut a, &plain)
                }
            })
        }
        Work::TheirsAlternating => {
            let (mut a, mut b) = theirs_pair()?;
            let mut flip = false;
            Box::new(move || {
                flip = !flip;
                if flip {
                    theirs_message(&mut a, &mut b, &plain)
                } else {
                    theirs_message(&mut b, &mut a, &plain)
                }
            })
        }
        Work::OursEnvelope => {
            let (mut a, mut b) = ours_pair()?;
            let payload = vec![0x42u8; CHUNK_CAPACITY];
            Box::new(move || {
                let sealed = envelope::seal(&mut a, &payload, &mut OsRng)?;
                let [one] = sealed.as_slice() else {
                    return Err(anyhow!("a full chunk took more than one envelope"));
                };
                let block = envelope::open(&mut b, one)?;
                if block.chunk().len() != payload.len() {
                    return Err(anyhow!("envelope: wrong payload length"));
                }
                Ok(())
            })
        }
    })
}

/// Runs one piece of work `iters` times and nothing else (for a profiler).
///
/// # Errors
/// Any protocol error.
pub(crate) fn profile(work: Work, iters: u32) -> anyhow::Result<()> {
    let mut f = job(work)?;
    let t = measure::per_op(iters, &mut f)?;
    println!("{work:?}: {} per op over {iters}", human(t));
    Ok(())
}

/// One comparison: times both, prints them and returns theirs / ours (ours' throughput
/// relative to theirs).
fn compare(
    name: &str,
    ours: Work,
    theirs: Work,
    rounds: u32,
    iters: u32,
) -> anyhow::Result<(f64, f64, f64)> {
    let (mut a, mut b) = (job(ours)?, job(theirs)?);
    let (t_ours, t_theirs) = interleaved(rounds, iters, &mut a, &mut b)?;
    let ratio = t_theirs / t_ours;
    println!(
        "{name:<44} ours {:>10}   vodozemac {:>10}   ours/vodozemac {ratio:.3}",
        human(t_ours),
        human(t_theirs)
    );
    Ok((t_ours, t_theirs, ratio))
}

/// `corridor-bench protocol [--quick]`.
///
/// # Errors
/// Any protocol error (a benchmark that cannot run is a failure, not a figure).
pub(crate) fn run(quick: bool) -> anyhow::Result<()> {
    let (rounds, setup_iters, iters) = if quick { (3, 10, 200) } else { (7, 60, 3000) };
    println!(
        "protocol: medians of {rounds} interleaved rounds; {MESSAGE_LEN}-byte messages; \
         OS randomness for Corridor, vodozemac's own"
    );
    let (_, _, setup) = compare(
        "session setup (both sides, first message)",
        Work::OursSetup,
        Work::TheirsSetup,
        rounds,
        setup_iters,
    )?;
    let (_, theirs_256, one_way) = compare(
        "ratchet one direction, encrypt+decrypt",
        Work::OursRatchet,
        Work::TheirsRatchet,
        rounds,
        iters,
    )?;
    let (_, _, alternating) = compare(
        "ratchet alternating, encrypt+decrypt",
        Work::OursAlternating,
        Work::TheirsAlternating,
        rounds,
        iters / 2,
    )?;
    let (mut env, mut noop) = (job(Work::OursEnvelope)?, job(Work::TheirsRatchet)?);
    let (t_env, _) = interleaved(rounds, iters, &mut env, &mut noop)?;
    let envelope_ratio = theirs_256 / t_env;
    println!(
        "{:<44} ours {:>10}   vodozemac(256 B) {:>10}   ratio {envelope_ratio:.3}",
        "envelope 4096 B seal+open",
        human(t_env),
        human(theirs_256)
    );
    ratio_line(setup, "setup ours/vodozemac", ">= 0.7");
    ratio_line(one_way, "ratchet-one-direction ours/vodozemac", ">= 3.0");
    ratio_line(alternating, "ratchet-alternating ours/vodozemac", ">= 1.0");
    ratio_line(
        envelope_ratio,
        "envelope-seal+open ours/vodozemac-256B",
        ">= 1.5",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every piece of work runs (so the benchmark measures real, working protocol).
    #[test]
    fn every_job_runs() {
        for work in [
            Work::OursSetup,
            Work::TheirsSetup,
            Work::OursRatchet,
            Work::TheirsRatchet,
            Work::OursAlternating,
            Work::TheirsAlternating,
            Work::OursEnvelope,
        ] {
            let mut f = job(work).unwrap();
            for _ in 0..3 {
                f().unwrap();
            }
        }
    }
}
