//! What the relay writes to disk, and how ids become keys.
//!
//! No id a client ever sends is stored. Each is replaced by a domain-separated SHA-256
//! hash, and the two links the relay needs (deposit id → mailbox, mailbox → its deposit
//! route, for destroy) are stored masked (XOR) with a pad derived from the id on the other
//! side of the link, which is not on disk. So a seized data directory shows how many
//! mailboxes, routes and messages exist, and the hour each message arrived, but not which
//! route feeds which mailbox, and no id that a client could be matched against without
//! already holding that id.
//!
//! Rows (one ordered key space):
//!
//! | key | value |
//! | --- | --- |
//! | `M` mailbox key (32) | auth key (32), masked route key (32), next seq, count, bytes (8 each) |
//! | `R` route key (32) | masked mailbox key (32), credential hash (32) |
//! | `Q` mailbox key (32), seq (8) | hour (8), envelope |
//! | `X` hour (8), mailbox key (32), seq (8) | empty (the expiry index) |
//! | `B` bundle key (32) | auth key (32), hour (8), signed length (4), signed, last resort |
//! | `O` bundle key (32), prekey id (4) | one-time prekey bytes |
//! | `P` bundle key (32) | hour (8), one-time prekeys handed out in that hour (4) |
//! | `N` hour (8), seen key (32) | empty: a signed request accepted in that hour ([`seen_key`]) |
//! | `E` | the boot epoch (8): how many times this store was opened |

use corridor_wire::ID_LEN;
use sha2::{Digest, Sha256};

/// A 32-byte key derived from a client id.
pub type Key32 = [u8; 32];

/// Row prefix: mailboxes.
pub const MAILBOX: u8 = b'M';
/// Row prefix: deposit routes.
pub const ROUTE: u8 = b'R';
/// Row prefix: queued messages.
pub const MESSAGE: u8 = b'Q';
/// Row prefix: the expiry index.
pub const EXPIRY: u8 = b'X';
/// Row prefix: prekey bundles.
pub const BUNDLE: u8 = b'B';
/// Row prefix: one-time prekeys.
pub const ONE_TIME: u8 = b'O';
/// Row prefix: how many one-time prekeys a bundle handed out in the current hour.
pub const BUNDLE_RATE: u8 = b'P';
/// Row prefix: signed requests accepted recently (the persisted replay window).
pub const SEEN: u8 = b'N';
/// The single row holding the boot epoch.
pub const EPOCH: u8 = b'E';

fn derive(label: &str, input: &[u8]) -> Key32 {
    let mut hasher = Sha256::new();
    hasher.update(b"corridor-relay-v1 ");
    hasher.update(label.as_bytes());
    hasher.update([0u8]);
    hasher.update(input);
    hasher.finalize().into()
}

fn xor(a: &Key32, b: &Key32) -> Key32 {
    let mut out = [0u8; 32];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b.iter())) {
        *o = x ^ y;
    }
    out
}

/// The storage key of the mailbox read through `read_id`.
pub fn mailbox_key(read_id: &[u8; ID_LEN]) -> Key32 {
    derive("mailbox", read_id)
}

/// The storage key of the route for `deposit_id`.
pub fn route_key(deposit_id: &[u8; ID_LEN]) -> Key32 {
    derive("route", deposit_id)
}

/// The storage key of a prekey bundle.
pub fn bundle_key(bundle_id: &[u8; ID_LEN]) -> Key32 {
    derive("bundle", bundle_id)
}

/// The hash under which a deposit credential is stored.
pub fn credential_hash(credential: &[u8]) -> Key32 {
    derive("credential", credential)
}

/// The key under which an accepted signed request is remembered: a hash of the target and
/// the request's nonce, so the row names no mailbox or bundle (the nonce is not stored).
pub fn seen_key(target: &Key32, nonce: &[u8]) -> Key32 {
    let mut input = Vec::with_capacity(32 + nonce.len());
    input.extend_from_slice(target);
    input.extend_from_slice(nonce);
    derive("seen", &input)
}

/// The key under which a used proof-of-work challenge is remembered on PostgreSQL: a hash
/// of its random part.
pub fn used_challenge_key(random: &[u8]) -> Key32 {
    derive("challenge", random)
}

/// The bucket (one of 65,536) a deposit's wake-up notification names on PostgreSQL: instances
/// wake the fetches waiting on any mailbox of that bucket, and each re-reads its own. A
/// bucket, not the mailbox key, so that PostgreSQL's notification queue (kept in memory and
/// in `pg_notify/` until every listener read it) cannot be matched to a mailbox row.
///
/// The mailbox key is itself a SHA-256 output, so its first two bytes are a uniform bucket;
/// whoever holds the database can compute the bucket of every mailbox either way.
pub fn notify_bucket(mailbox: &Key32) -> u16 {
    u16::from_be_bytes([mailbox[0], mailbox[1]])
}

/// Masks (or unmasks) the mailbox key stored in a route row; only the deposit id unmasks it.
pub fn mask_mailbox(deposit_id: &[u8; ID_LEN], mailbox: &Key32) -> Key32 {
    xor(mailbox, &derive("route-mask", deposit_id))
}

/// Masks (or unmasks) the route key stored in a mailbox row; only the read id unmasks it.
pub fn mask_route(read_id: &[u8; ID_LEN], route: &Key32) -> Key32 {
    xor(route, &derive("link-mask", read_id))
}

/// `prefix || parts...` as one key.
pub fn row(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    key.push(prefix);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_round_trip_and_differ_by_side() {
        let mailbox = [7u8; 32];
        let masked = mask_mailbox(&[1; 16], &mailbox);
        assert_ne!(masked, mailbox);
        assert_eq!(mask_mailbox(&[1; 16], &masked), mailbox);
        assert_ne!(mask_mailbox(&[2; 16], &masked), mailbox);
        assert_ne!(mask_route(&[1; 16], &mailbox), masked);
    }

    #[test]
    fn derived_keys_are_domain_separated() {
        let id = [3u8; 16];
        let keys = [mailbox_key(&id), route_key(&id), bundle_key(&id)];
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[1], keys[2]);
        assert_ne!(keys[0], keys[2]);
    }
}
