//! The PostgreSQL schema, as versioned migrations applied at start.
//!
//! Every instance runs [`migrate`] when it starts, under a transaction-scoped advisory
//! lock, so instances starting together apply each migration once. A database whose
//! schema is newer than this relay knows is refused (run the newer relay, or restore).
//!
//! The tables hold exactly what sled's rows hold ([`crate::layout`]): hashed ids, masked
//! links, hours, envelopes, prekeys. No client id, no address, no finer time.

/// `(version, SQL)`, in order. Never edit a released migration: add the next one.
pub(crate) const MIGRATIONS: &[(i32, &str)] = &[(1, V1)];

/// An arbitrary constant: the advisory lock that serializes migrations.
pub(crate) const MIGRATION_LOCK: i64 = 0x636f_7272_6964_6f72; // "corridor"

const V1: &str = "
-- A mailbox: its key is SHA-256 of the read id (layout::mailbox_key).
CREATE TABLE mailboxes (
    key bytea PRIMARY KEY,
    auth_key bytea NOT NULL,
    -- The route key masked with a pad of the read id (layout::mask_route).
    masked_route bytea NOT NULL,
    next_seq bigint NOT NULL,
    count bigint NOT NULL,
    bytes bigint NOT NULL
);
-- A deposit route: its key is SHA-256 of the deposit id (layout::route_key).
CREATE TABLE routes (
    key bytea PRIMARY KEY,
    -- The mailbox key masked with a pad of the deposit id (layout::mask_mailbox).
    masked_mailbox bytea NOT NULL,
    credential_hash bytea NOT NULL
);
-- Queued envelopes, with the hour of arrival only.
CREATE TABLE messages (
    mailbox bytea NOT NULL,
    seq bigint NOT NULL,
    hour bigint NOT NULL,
    envelope bytea NOT NULL,
    PRIMARY KEY (mailbox, seq)
);
-- The expiry index.
CREATE INDEX messages_hour ON messages (hour);
-- Prekey bundles: key is SHA-256 of the bundle id (layout::bundle_key); rate_hour and
-- rate_count count the one-time prekeys handed out in the current hour.
CREATE TABLE bundles (
    key bytea PRIMARY KEY,
    auth_key bytea NOT NULL,
    hour bigint NOT NULL,
    signed bytea NOT NULL,
    last_resort bytea NOT NULL,
    rate_hour bigint NOT NULL DEFAULT 0,
    rate_count bigint NOT NULL DEFAULT 0
);
CREATE TABLE one_time_prekeys (
    bundle bytea NOT NULL,
    id bigint NOT NULL,
    key bytea NOT NULL,
    PRIMARY KEY (bundle, id)
);
-- Signed requests accepted recently (layout::seen_key), with their hour: the replay window
-- every instance shares.
CREATE TABLE seen (
    key bytea PRIMARY KEY,
    hour bigint NOT NULL
);
-- Proof-of-work challenges already used (a hash of their random part), with the hour of
-- issue, so each admits one mailbox at any instance.
CREATE TABLE used_challenges (
    key bytea PRIMARY KEY,
    hour bigint NOT NULL
);
-- The one row of relay-wide state: boots counted (sequence-number epochs), the totals the
-- caps apply to, and the secret every instance issues challenges under.
CREATE TABLE relay (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch bigint NOT NULL,
    mailboxes bigint NOT NULL,
    bundles bigint NOT NULL,
    challenge_secret bytea NOT NULL
);
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, (version, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version as usize, i + 1);
            assert!(!sql.trim().is_empty());
        }
    }
}
