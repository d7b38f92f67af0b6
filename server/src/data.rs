//! The relay's data model over a [`Store`]: mailboxes, routes, messages, bundles, expiry.
//!
//! Reads may run anywhere. Every function that writes is called only by the group-commit
//! writer ([`crate::writer`]), one at a time, so a read-then-write here cannot race with
//! another write. Each writing function issues one atomic batch.

use crate::layout::{
    self, BUNDLE, BUNDLE_RATE, EPOCH, EXPIRY, Key32, MAILBOX, MESSAGE, ONE_TIME, ROUTE, SEEN, row,
};
use crate::store::{Entry, Store, StoreError, Write, prefix_end};
use corridor_wire::ID_LEN;
use corridor_wire::api::{Bundle, HandedPrekey, OneTimePrekey};
use corridor_wire::b64::Blob;

/// Why a data operation did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The mailbox does not exist.
    #[error("no such mailbox")]
    NoMailbox,
    /// The bundle does not exist.
    #[error("no such bundle")]
    NoBundle,
    /// The mailbox is at its message or byte cap.
    #[error("mailbox full")]
    MailboxFull,
    /// The relay holds its maximum number of mailboxes or bundles.
    #[error("relay full")]
    RelayFull,
    /// A row with this key already exists (an id collision).
    #[error("already exists")]
    Exists,
    /// The bundle is bound to another auth key.
    #[error("bundle bound to another key")]
    BundleKeyMismatch,
    /// A signed request with this target and nonce was already accepted.
    #[error("replayed")]
    Replayed,
    /// The writer has stopped (the relay is shutting down).
    #[error("writer stopped")]
    Stopped,
    /// The storage engine failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Storage caps the writer enforces.
#[derive(Debug, Clone, Copy)]
pub struct MailboxCaps {
    /// Most messages a mailbox holds.
    pub max_messages: u64,
    /// Most envelope bytes a mailbox holds.
    pub max_bytes: u64,
    /// Most mailboxes the relay holds.
    pub max_mailboxes: u64,
    /// Most bundles the relay holds.
    pub max_bundles: u64,
    /// Most one-time prekeys one bundle hands out per hour.
    pub bundle_one_time_per_hour: u32,
}

/// A mailbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRow {
    /// The mailbox's Ed25519 auth key.
    pub auth_key: [u8; 32],
    /// The route key, masked with the read id ([`layout::mask_route`]).
    pub masked_route: Key32,
    /// The sequence number the next deposit gets.
    pub next_seq: u64,
    /// Messages held.
    pub count: u64,
    /// Envelope bytes held.
    pub bytes: u64,
}

const MAILBOX_ROW_LEN: usize = 32 + 32 + 8 * 3;

fn u64_at(bytes: &[u8], at: usize) -> Result<u64, StoreError> {
    let slice = bytes.get(at..at + 8).ok_or(StoreError::Corrupt)?;
    let array: [u8; 8] = slice.try_into().map_err(|_| StoreError::Corrupt)?;
    Ok(u64::from_be_bytes(array))
}

fn key32_at(bytes: &[u8], at: usize) -> Result<Key32, StoreError> {
    let slice = bytes.get(at..at + 32).ok_or(StoreError::Corrupt)?;
    slice.try_into().map_err(|_| StoreError::Corrupt)
}

impl MailboxRow {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAILBOX_ROW_LEN);
        out.extend_from_slice(&self.auth_key);
        out.extend_from_slice(&self.masked_route);
        out.extend_from_slice(&self.next_seq.to_be_bytes());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&self.bytes.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.len() != MAILBOX_ROW_LEN {
            return Err(StoreError::Corrupt);
        }
        Ok(Self {
            auth_key: key32_at(bytes, 0)?,
            masked_route: key32_at(bytes, 32)?,
            next_seq: u64_at(bytes, 64)?,
            count: u64_at(bytes, 72)?,
            bytes: u64_at(bytes, 80)?,
        })
    }
}

/// The mailbox stored under `key`, if any.
pub fn mailbox(store: &dyn Store, key: &Key32) -> Result<Option<MailboxRow>, StoreError> {
    store
        .get(&row(MAILBOX, &[key]))?
        .map(|v| MailboxRow::decode(&v))
        .transpose()
}

/// Where a deposit id routes: the mailbox key and the stored credential hash.
pub fn route(
    store: &dyn Store,
    deposit_id: &[u8; ID_LEN],
) -> Result<Option<(Key32, Key32)>, StoreError> {
    let Some(value) = store.get(&row(ROUTE, &[&layout::route_key(deposit_id)]))? else {
        return Ok(None);
    };
    if value.len() != 64 {
        return Err(StoreError::Corrupt);
    }
    let masked = key32_at(&value, 0)?;
    let credential_hash = key32_at(&value, 32)?;
    Ok(Some((
        layout::mask_mailbox(deposit_id, &masked),
        credential_hash,
    )))
}

/// Creates a mailbox and its route.
pub fn create_mailbox(
    store: &dyn Store,
    read_id: &[u8; ID_LEN],
    deposit_id: &[u8; ID_LEN],
    credential_hash: &Key32,
    auth_key: &[u8; 32],
) -> Result<(), DataError> {
    let mailbox_key = layout::mailbox_key(read_id);
    let route_key = layout::route_key(deposit_id);
    let mailbox_row = row(MAILBOX, &[&mailbox_key]);
    let route_row = row(ROUTE, &[&route_key]);
    if store.get(&mailbox_row)?.is_some() || store.get(&route_row)?.is_some() {
        return Err(DataError::Exists);
    }
    let record = MailboxRow {
        auth_key: *auth_key,
        masked_route: layout::mask_route(read_id, &route_key),
        next_seq: 1,
        count: 0,
        bytes: 0,
    };
    let mut route_value = layout::mask_mailbox(deposit_id, &mailbox_key).to_vec();
    route_value.extend_from_slice(credential_hash);
    store.apply(vec![
        Write::Put(mailbox_row, record.encode()),
        Write::Put(route_row, route_value),
    ])?;
    Ok(())
}

/// The first sequence number the boot with `epoch` may give (epochs count from 1).
///
/// Each boot of the store numbers deposits from its own range of 2^32, above every number
/// an earlier boot could have given, durable or not. So a number that a crash took back
/// (a deposit applied but never flushed) is never given again, whatever a client may still
/// hold; [`deposit`] refuses to leave the range.
pub fn seq_floor(epoch: u64) -> u64 {
    epoch.saturating_sub(1).saturating_mul(1 << 32).max(1)
}

/// Counts one more boot of the store and returns its epoch (1 for a fresh store). The
/// caller must flush before giving out any sequence number of this epoch.
pub fn next_epoch(store: &dyn Store) -> Result<u64, DataError> {
    let epoch = match store.get(&[EPOCH])? {
        Some(value) => u64_at(&value, 0)?,
        None => 0,
    }
    .checked_add(1)
    .ok_or(StoreError::Corrupt)?;
    store.apply(vec![Write::Put(vec![EPOCH], epoch.to_be_bytes().to_vec())])?;
    Ok(epoch)
}

/// Appends an envelope to a mailbox; returns its sequence number, at least `min_seq` (the
/// boot's [`seq_floor`]).
pub fn deposit(
    store: &dyn Store,
    mailbox_key: &Key32,
    hour: u64,
    envelope: &[u8],
    caps: MailboxCaps,
    min_seq: u64,
) -> Result<u64, DataError> {
    let mut record = mailbox(store, mailbox_key)?.ok_or(DataError::NoMailbox)?;
    let size = envelope.len() as u64;
    if record.count >= caps.max_messages || record.bytes.saturating_add(size) > caps.max_bytes {
        return Err(DataError::MailboxFull);
    }
    let seq = record.next_seq.max(min_seq);
    // Leaving the boot's range could meet the next boot's numbers.
    if seq >= min_seq.saturating_add(1 << 32) - 1 {
        return Err(DataError::MailboxFull);
    }
    record.next_seq = seq + 1;
    record.count += 1;
    record.bytes += size;
    let mut value = Vec::with_capacity(8 + envelope.len());
    value.extend_from_slice(&hour.to_be_bytes());
    value.extend_from_slice(envelope);
    let seq_bytes = seq.to_be_bytes();
    store.apply(vec![
        Write::Put(row(MESSAGE, &[mailbox_key, &seq_bytes]), value),
        Write::Put(
            row(EXPIRY, &[&hour.to_be_bytes(), mailbox_key, &seq_bytes]),
            Vec::new(),
        ),
        Write::Put(row(MAILBOX, &[mailbox_key]), record.encode()),
    ])?;
    Ok(seq)
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Sequence number in the mailbox.
    pub seq: u64,
    /// Hour of arrival.
    pub hour: u64,
    /// The envelope.
    pub envelope: Vec<u8>,
}

fn decode_message(key: &[u8], value: &[u8]) -> Result<StoredMessage, StoreError> {
    let seq = u64_at(key, 1 + 32)?;
    let hour = u64_at(value, 0)?;
    let envelope = value.get(8..).ok_or(StoreError::Corrupt)?.to_vec();
    Ok(StoredMessage {
        seq,
        hour,
        envelope,
    })
}

/// Up to `limit` messages of a mailbox, oldest first, skipping those from hours before
/// `min_hour` (expired but not yet swept).
pub fn messages(
    store: &dyn Store,
    mailbox_key: &Key32,
    limit: usize,
    min_hour: u64,
) -> Result<Vec<StoredMessage>, StoreError> {
    let prefix = row(MESSAGE, &[mailbox_key]);
    let end = prefix_end(&prefix).ok_or(StoreError::Corrupt)?;
    let mut out = Vec::new();
    let mut start = prefix.clone();
    // Expired messages are skipped, so a page may need more than one read.
    while out.len() < limit {
        let rows = store.range(&start, &end, limit)?;
        let Some((last_key, _)) = rows.last() else {
            break;
        };
        let mut next = last_key.clone();
        next.push(0);
        for (k, v) in &rows {
            let message = decode_message(k, v)?;
            if message.hour >= min_hour && out.len() < limit {
                out.push(message);
            }
        }
        if rows.len() < limit {
            break;
        }
        start = next;
    }
    Ok(out)
}

/// Deletes the listed messages; returns how many existed.
pub fn ack(store: &dyn Store, mailbox_key: &Key32, seqs: &[u64]) -> Result<u32, DataError> {
    let mut record = mailbox(store, mailbox_key)?.ok_or(DataError::NoMailbox)?;
    let mut writes = Vec::new();
    let mut deleted = 0u32;
    let mut seen = std::collections::HashSet::new();
    for seq in seqs {
        if !seen.insert(*seq) {
            continue;
        }
        let seq_bytes = seq.to_be_bytes();
        let key = row(MESSAGE, &[mailbox_key, &seq_bytes]);
        if let Some(value) = store.get(&key)? {
            let message = decode_message(&key, &value)?;
            writes.push(Write::Delete(key));
            writes.push(Write::Delete(row(
                EXPIRY,
                &[&message.hour.to_be_bytes(), mailbox_key, &seq_bytes],
            )));
            record.count = record.count.saturating_sub(1);
            record.bytes = record.bytes.saturating_sub(message.envelope.len() as u64);
            deleted += 1;
        }
    }
    if deleted > 0 {
        writes.push(Write::Put(row(MAILBOX, &[mailbox_key]), record.encode()));
        store.apply(writes)?;
    }
    Ok(deleted)
}

/// Deletes a mailbox, its route and every message in it.
pub fn destroy(store: &dyn Store, read_id: &[u8; ID_LEN]) -> Result<(), DataError> {
    let mailbox_key = layout::mailbox_key(read_id);
    let record = mailbox(store, &mailbox_key)?.ok_or(DataError::NoMailbox)?;
    let route_key = layout::mask_route(read_id, &record.masked_route);
    let mut writes = vec![
        Write::Delete(row(MAILBOX, &[&mailbox_key])),
        Write::Delete(row(ROUTE, &[&route_key])),
    ];
    let prefix = row(MESSAGE, &[&mailbox_key]);
    let end = prefix_end(&prefix).ok_or(StoreError::Corrupt)?;
    for (k, v) in store.range(&prefix, &end, usize::MAX)? {
        let message = decode_message(&k, &v)?;
        writes.push(Write::Delete(row(
            EXPIRY,
            &[
                &message.hour.to_be_bytes(),
                &mailbox_key,
                &message.seq.to_be_bytes(),
            ],
        )));
        writes.push(Write::Delete(k));
    }
    store.apply(writes)?;
    Ok(())
}

/// Deletes up to `max` messages that arrived in hours before `cutoff_hour`; returns how
/// many were deleted (call again while it returns `max`).
pub fn expire(store: &dyn Store, cutoff_hour: u64, max: usize) -> Result<u64, DataError> {
    let start = [EXPIRY];
    let end = row(EXPIRY, &[&cutoff_hour.to_be_bytes()]);
    let rows = store.range(&start, &end, max)?;
    let mut writes = Vec::new();
    let mut records: std::collections::HashMap<Key32, MailboxRow> = Default::default();
    let mut deleted = 0u64;
    for (key, _) in rows {
        let mailbox_key = key32_at(&key, 1 + 8)?;
        let seq_bytes = key.get(1 + 8 + 32..).ok_or(StoreError::Corrupt)?.to_vec();
        let message_key = row(MESSAGE, &[&mailbox_key, &seq_bytes]);
        writes.push(Write::Delete(key));
        let Some(value) = store.get(&message_key)? else {
            continue;
        };
        writes.push(Write::Delete(message_key));
        deleted += 1;
        let record = match records.get_mut(&mailbox_key) {
            Some(record) => Some(record),
            None => mailbox(store, &mailbox_key)?
                .map(|record| records.entry(mailbox_key).or_insert(record)),
        };
        if let Some(record) = record {
            record.count = record.count.saturating_sub(1);
            record.bytes = record
                .bytes
                .saturating_sub(value.len().saturating_sub(8) as u64);
        }
    }
    for (key, record) in records {
        writes.push(Write::Put(row(MAILBOX, &[&key]), record.encode()));
    }
    if !writes.is_empty() {
        store.apply(writes)?;
    }
    Ok(deleted)
}

/// A stored bundle's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRow {
    /// The bundle's auth key.
    pub auth_key: [u8; 32],
    /// Hour of the last publish.
    pub hour: u64,
    /// The signed part.
    pub signed: Vec<u8>,
    /// The last-resort prekey.
    pub last_resort: Vec<u8>,
}

impl BundleRow {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.auth_key);
        out.extend_from_slice(&self.hour.to_be_bytes());
        out.extend_from_slice(&(self.signed.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.signed);
        out.extend_from_slice(&self.last_resort);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let auth_key = key32_at(bytes, 0)?;
        let hour = u64_at(bytes, 32)?;
        let len_bytes: [u8; 4] = bytes
            .get(40..44)
            .ok_or(StoreError::Corrupt)?
            .try_into()
            .map_err(|_| StoreError::Corrupt)?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        let rest = bytes.get(44..).ok_or(StoreError::Corrupt)?;
        let (signed, last_resort) = rest.split_at_checked(len).ok_or(StoreError::Corrupt)?;
        Ok(Self {
            auth_key,
            hour,
            signed: signed.to_vec(),
            last_resort: last_resort.to_vec(),
        })
    }
}

/// The bundle stored for `bundle_id`, if any.
pub fn bundle(
    store: &dyn Store,
    bundle_id: &[u8; ID_LEN],
) -> Result<Option<BundleRow>, StoreError> {
    store
        .get(&row(BUNDLE, &[&layout::bundle_key(bundle_id)]))?
        .map(|v| BundleRow::decode(&v))
        .transpose()
}

fn one_time_rows(store: &dyn Store, key: &Key32, limit: usize) -> Result<Vec<Entry>, StoreError> {
    let prefix = row(ONE_TIME, &[key]);
    let end = prefix_end(&prefix).ok_or(StoreError::Corrupt)?;
    store.range(&prefix, &end, limit)
}

/// Publishes or replaces a bundle (all its one-time prekeys are replaced); returns the
/// number of one-time prekeys now available.
pub fn publish_bundle(
    store: &dyn Store,
    bundle_id: &[u8; ID_LEN],
    auth_key: &[u8; 32],
    bundle: &Bundle,
    hour: u64,
) -> Result<u32, DataError> {
    let key = layout::bundle_key(bundle_id);
    if let Some(existing) = self::bundle(store, bundle_id)? {
        if existing.auth_key != *auth_key {
            return Err(DataError::BundleKeyMismatch);
        }
    }
    let mut writes: Vec<Write> = one_time_rows(store, &key, usize::MAX)?
        .into_iter()
        .map(|(k, _)| Write::Delete(k))
        .collect();
    let header = BundleRow {
        auth_key: *auth_key,
        hour,
        signed: bundle.signed.0.clone(),
        last_resort: bundle.last_resort.0.clone(),
    };
    writes.push(Write::Put(row(BUNDLE, &[&key]), header.encode()));
    let mut ids = std::collections::BTreeSet::new();
    for prekey in &bundle.one_time {
        ids.insert(prekey.id);
        writes.push(Write::Put(
            row(ONE_TIME, &[&key, &prekey.id.to_be_bytes()]),
            prekey.key.0.clone(),
        ));
    }
    store.apply(writes)?;
    Ok(u32::try_from(ids.len()).unwrap_or(u32::MAX))
}

/// How many one-time prekeys the bundle stored under `key` handed out in `hour`.
fn handed_in_hour(store: &dyn Store, key: &Key32, hour: u64) -> Result<u32, StoreError> {
    let Some(value) = store.get(&row(BUNDLE_RATE, &[key]))? else {
        return Ok(0);
    };
    if value.len() != 12 || u64_at(&value, 0)? != hour {
        return Ok(0);
    }
    let count: [u8; 4] = value[8..12].try_into().map_err(|_| StoreError::Corrupt)?;
    Ok(u32::from_be_bytes(count))
}

/// Hands out the bundle's signed part with one one-time prekey (deleting it), or with the
/// last-resort prekey when none is left or when the bundle already handed out
/// `per_hour` one-time prekeys in `hour` (so whoever holds a bundle id cannot drain the
/// pool faster than that).
pub fn take_bundle(
    store: &dyn Store,
    bundle_id: &[u8; ID_LEN],
    hour: u64,
    per_hour: u32,
) -> Result<(Vec<u8>, HandedPrekey), DataError> {
    let header = bundle(store, bundle_id)?.ok_or(DataError::NoBundle)?;
    let key = layout::bundle_key(bundle_id);
    let handed = handed_in_hour(store, &key, hour)?;
    let next = if handed < per_hour {
        one_time_rows(store, &key, 1)?.into_iter().next()
    } else {
        None
    };
    let prekey = match next {
        Some((row_key, value)) => {
            let id_bytes: [u8; 4] = row_key
                .get(1 + 32..)
                .ok_or(StoreError::Corrupt)?
                .try_into()
                .map_err(|_| StoreError::Corrupt)?;
            let mut rate = hour.to_be_bytes().to_vec();
            rate.extend_from_slice(&(handed + 1).to_be_bytes());
            store.apply(vec![
                Write::Delete(row_key),
                Write::Put(row(BUNDLE_RATE, &[&key]), rate),
            ])?;
            HandedPrekey::OneTime(OneTimePrekey {
                id: u32::from_be_bytes(id_bytes),
                key: Blob(value),
            })
        }
        None => HandedPrekey::LastResort {
            key: Blob(header.last_resort),
        },
    };
    Ok((header.signed, prekey))
}

/// Deletes a bundle and its one-time prekeys.
pub fn delete_bundle(store: &dyn Store, bundle_id: &[u8; ID_LEN]) -> Result<(), DataError> {
    let key = layout::bundle_key(bundle_id);
    if bundle(store, bundle_id)?.is_none() {
        return Err(DataError::NoBundle);
    }
    let mut writes: Vec<Write> = one_time_rows(store, &key, usize::MAX)?
        .into_iter()
        .map(|(k, _)| Write::Delete(k))
        .collect();
    writes.push(Write::Delete(row(BUNDLE, &[&key])));
    writes.push(Write::Delete(row(BUNDLE_RATE, &[&key])));
    store.apply(writes)?;
    Ok(())
}

/// Remembers a signed request accepted in `hour` under its [`layout::seen_key`]; refuses
/// it if it was accepted in this hour or the one before (a request stays fresh for at most
/// `2 * MAX_SKEW_SECS` after it is first accepted, well under an hour).
pub fn remember_seen(store: &dyn Store, hour: u64, seen: &Key32) -> Result<(), DataError> {
    for h in [hour, hour.saturating_sub(1)] {
        if store.get(&row(SEEN, &[&h.to_be_bytes(), seen]))?.is_some() {
            return Err(DataError::Replayed);
        }
    }
    store.apply(vec![Write::Put(
        row(SEEN, &[&hour.to_be_bytes(), seen]),
        Vec::new(),
    )])?;
    Ok(())
}

/// Forgets up to `max` remembered signed requests from hours before `before_hour`; returns
/// how many (call again while it returns `max`).
pub fn forget_seen(store: &dyn Store, before_hour: u64, max: usize) -> Result<u64, DataError> {
    let rows = store.range(&[SEEN], &row(SEEN, &[&before_hour.to_be_bytes()]), max)?;
    let n = rows.len() as u64;
    if n > 0 {
        store.apply(rows.into_iter().map(|(k, _)| Write::Delete(k)).collect())?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    const CAPS: MailboxCaps = MailboxCaps {
        max_messages: 3,
        max_bytes: 1000,
        max_mailboxes: 10,
        max_bundles: 10,
        bundle_one_time_per_hour: u32::MAX,
    };

    #[test]
    fn deposit_fetch_ack_destroy_cycle() {
        let store = MemoryStore::new();
        create_mailbox(&store, &[1; 16], &[2; 16], &[3; 32], &[4; 32]).unwrap();
        let (key, cred) = route(&store, &[2; 16]).unwrap().unwrap();
        assert_eq!(key, layout::mailbox_key(&[1; 16]));
        assert_eq!(cred, [3; 32]);
        assert_eq!(deposit(&store, &key, 10, b"one", CAPS, 1).unwrap(), 1);
        assert_eq!(deposit(&store, &key, 11, b"two", CAPS, 1).unwrap(), 2);
        let got = messages(&store, &key, 10, 0).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].envelope, b"one");
        assert_eq!(messages(&store, &key, 10, 11).unwrap().len(), 1);
        assert_eq!(ack(&store, &key, &[1, 1, 99]).unwrap(), 1);
        let record = mailbox(&store, &key).unwrap().unwrap();
        assert_eq!((record.count, record.bytes), (1, 3));
        destroy(&store, &[1; 16]).unwrap();
        assert_eq!(store.count_prefix(&[]).unwrap(), 0);
    }

    #[test]
    fn caps_are_enforced() {
        let store = MemoryStore::new();
        create_mailbox(&store, &[1; 16], &[2; 16], &[3; 32], &[4; 32]).unwrap();
        let key = layout::mailbox_key(&[1; 16]);
        for _ in 0..3 {
            deposit(&store, &key, 0, b"x", CAPS, 1).unwrap();
        }
        assert!(matches!(
            deposit(&store, &key, 0, b"x", CAPS, 1),
            Err(DataError::MailboxFull)
        ));
        let tight = MailboxCaps {
            max_messages: 10,
            max_bytes: 4,
            ..CAPS
        };
        ack(&store, &key, &[1, 2, 3]).unwrap();
        deposit(&store, &key, 0, b"abc", tight, 1).unwrap();
        assert!(matches!(
            deposit(&store, &key, 0, b"ab", tight, 1),
            Err(DataError::MailboxFull)
        ));
    }

    #[test]
    fn expiry_deletes_old_hours_only_and_fixes_counters() {
        let store = MemoryStore::new();
        create_mailbox(&store, &[1; 16], &[2; 16], &[3; 32], &[4; 32]).unwrap();
        let key = layout::mailbox_key(&[1; 16]);
        deposit(&store, &key, 5, b"old", CAPS, 1).unwrap();
        deposit(&store, &key, 9, b"new", CAPS, 1).unwrap();
        assert_eq!(expire(&store, 9, 100).unwrap(), 1);
        let left = messages(&store, &key, 10, 0).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].envelope, b"new");
        assert_eq!(mailbox(&store, &key).unwrap().unwrap().count, 1);
        assert_eq!(store.count_prefix(&[EXPIRY]).unwrap(), 1);
    }

    #[test]
    fn bundle_hands_each_one_time_key_once_then_last_resort() {
        let store = MemoryStore::new();
        let bundle = Bundle {
            signed: Blob(vec![1]),
            one_time: vec![
                OneTimePrekey {
                    id: 2,
                    key: Blob(vec![20]),
                },
                OneTimePrekey {
                    id: 1,
                    key: Blob(vec![10]),
                },
            ],
            last_resort: Blob(vec![9]),
        };
        assert_eq!(
            publish_bundle(&store, &[5; 16], &[6; 32], &bundle, 0).unwrap(),
            2
        );
        assert!(matches!(
            publish_bundle(&store, &[5; 16], &[7; 32], &bundle, 0),
            Err(DataError::BundleKeyMismatch)
        ));
        let mut ids = Vec::new();
        for _ in 0..2 {
            match take_bundle(&store, &[5; 16], 0, u32::MAX).unwrap().1 {
                HandedPrekey::OneTime(p) => ids.push(p.id),
                other => panic!("expected one-time, got {other:?}"),
            }
        }
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(
            take_bundle(&store, &[5; 16], 0, u32::MAX).unwrap().1,
            HandedPrekey::LastResort { key: Blob(vec![9]) }
        );
        delete_bundle(&store, &[5; 16]).unwrap();
        assert_eq!(store.count_prefix(&[]).unwrap(), 0);
        assert!(matches!(
            take_bundle(&store, &[5; 16], 0, u32::MAX),
            Err(DataError::NoBundle)
        ));
    }

    #[test]
    fn each_boot_numbers_deposits_above_every_earlier_boot() {
        let store = MemoryStore::new();
        const ROOMY: MailboxCaps = MailboxCaps {
            max_messages: 10,
            ..CAPS
        };
        assert_eq!(next_epoch(&store).unwrap(), 1);
        create_mailbox(&store, &[1; 16], &[2; 16], &[3; 32], &[4; 32]).unwrap();
        let key = layout::mailbox_key(&[1; 16]);
        assert_eq!(
            deposit(&store, &key, 0, b"a", ROOMY, seq_floor(1)).unwrap(),
            1
        );
        assert_eq!(
            deposit(&store, &key, 0, b"b", ROOMY, seq_floor(1)).unwrap(),
            2
        );
        // A restart: even if seq 2 had been lost, the next boot starts far above it.
        let epoch = next_epoch(&store).unwrap();
        assert_eq!(epoch, 2);
        let seq = deposit(&store, &key, 0, b"c", ROOMY, seq_floor(epoch)).unwrap();
        assert_eq!(seq, 1 << 32);
        assert_eq!(
            deposit(&store, &key, 0, b"d", ROOMY, seq_floor(epoch)).unwrap(),
            seq + 1
        );
    }

    #[test]
    fn a_bundle_hands_out_at_most_per_hour_one_time_prekeys() {
        let store = MemoryStore::new();
        let bundle = Bundle {
            signed: Blob(vec![1]),
            one_time: (1..=5)
                .map(|id| OneTimePrekey {
                    id,
                    key: Blob(vec![id as u8]),
                })
                .collect(),
            last_resort: Blob(vec![9]),
        };
        publish_bundle(&store, &[5; 16], &[6; 32], &bundle, 0).unwrap();
        let take = |hour| take_bundle(&store, &[5; 16], hour, 2).unwrap().1;
        assert!(matches!(take(10), HandedPrekey::OneTime(_)));
        assert!(matches!(take(10), HandedPrekey::OneTime(_)));
        for _ in 0..100 {
            assert_eq!(take(10), HandedPrekey::LastResort { key: Blob(vec![9]) });
        }
        // The next hour allows two more; three of five were never handed out.
        assert!(matches!(take(11), HandedPrekey::OneTime(_)));
        assert!(matches!(take(11), HandedPrekey::OneTime(_)));
        assert!(matches!(take(11), HandedPrekey::LastResort { .. }));
        assert_eq!(store.count_prefix(&[ONE_TIME]).unwrap(), 1);
        delete_bundle(&store, &[5; 16]).unwrap();
        assert_eq!(store.count_prefix(&[]).unwrap(), 0);
    }

    #[test]
    fn a_seen_request_is_refused_in_its_hour_and_the_next_then_forgotten() {
        let store = MemoryStore::new();
        let seen = layout::seen_key(&[1; 32], &[2; 16]);
        remember_seen(&store, 100, &seen).unwrap();
        assert!(matches!(
            remember_seen(&store, 100, &seen),
            Err(DataError::Replayed)
        ));
        assert!(matches!(
            remember_seen(&store, 101, &seen),
            Err(DataError::Replayed)
        ));
        remember_seen(&store, 100, &layout::seen_key(&[1; 32], &[3; 16])).unwrap();
        assert_eq!(forget_seen(&store, 100, 10).unwrap(), 0);
        assert_eq!(forget_seen(&store, 101, 1).unwrap(), 1);
        assert_eq!(forget_seen(&store, 101, 10).unwrap(), 1);
        assert_eq!(store.count_prefix(&[SEEN]).unwrap(), 0);
    }

    #[derive(Debug, Clone)]
    enum Action {
        Deposit {
            mailbox: usize,
            hour: u64,
            len: usize,
        },
        Ack {
            mailbox: usize,
            picks: Vec<usize>,
        },
        Expire {
            cutoff: u64,
        },
    }

    fn action() -> impl proptest::strategy::Strategy<Value = Action> {
        use proptest::prelude::*;
        prop_oneof![
            (0..2usize, 0..6u64, 1..40usize).prop_map(|(mailbox, hour, len)| Action::Deposit {
                mailbox,
                hour,
                len
            }),
            (0..2usize, proptest::collection::vec(0..8usize, 0..4))
                .prop_map(|(mailbox, picks)| Action::Ack { mailbox, picks }),
            (0..7u64).prop_map(|cutoff| Action::Expire { cutoff }),
        ]
    }

    proptest::proptest! {
        /// Against a plain model: counters, contents, the expiry index and the caps agree
        /// after any sequence of deposits, acknowledgements and expiry sweeps.
        #[test]
        fn data_layer_matches_a_model(actions in proptest::collection::vec(action(), 1..60)) {
            let store = MemoryStore::new();
            let caps = MailboxCaps { max_messages: 6, max_bytes: 150, ..CAPS };
            let keys: Vec<Key32> = (0..2u8)
                .map(|i| {
                    create_mailbox(&store, &[i; 16], &[i + 10; 16], &[0; 32], &[1; 32]).unwrap();
                    layout::mailbox_key(&[i; 16])
                })
                .collect();
            // Per mailbox: (seq, hour, envelope) in order.
            let mut model: Vec<Vec<(u64, u64, Vec<u8>)>> = vec![Vec::new(), Vec::new()];
            let mut next_seq = [1u64, 1];
            for action in actions {
                match action {
                    Action::Deposit { mailbox, hour, len } => {
                        let envelope = vec![next_seq[mailbox] as u8; len];
                        let bytes: usize = model[mailbox].iter().map(|m| m.2.len()).sum();
                        let result = deposit(&store, &keys[mailbox], hour, &envelope, caps, 1);
                        if model[mailbox].len() as u64 >= caps.max_messages
                            || (bytes + len) as u64 > caps.max_bytes
                        {
                            proptest::prop_assert!(matches!(result, Err(DataError::MailboxFull)));
                        } else {
                            proptest::prop_assert_eq!(result.unwrap(), next_seq[mailbox]);
                            model[mailbox].push((next_seq[mailbox], hour, envelope));
                            next_seq[mailbox] += 1;
                        }
                    }
                    Action::Ack { mailbox, picks } => {
                        let seqs: Vec<u64> = picks
                            .iter()
                            .filter_map(|i| model[mailbox].get(*i).map(|m| m.0))
                            .chain(std::iter::once(9999))
                            .collect();
                        let before = model[mailbox].len();
                        model[mailbox].retain(|m| !seqs.contains(&m.0));
                        let deleted = ack(&store, &keys[mailbox], &seqs).unwrap();
                        proptest::prop_assert_eq!(deleted as usize, before - model[mailbox].len());
                    }
                    Action::Expire { cutoff } => {
                        let before: usize = model.iter().map(Vec::len).sum();
                        for list in &mut model {
                            list.retain(|m| m.1 >= cutoff);
                        }
                        let after: usize = model.iter().map(Vec::len).sum();
                        proptest::prop_assert_eq!(expire(&store, cutoff, 3).unwrap() + expire(&store, cutoff, 1000).unwrap(), (before - after) as u64);
                    }
                }
                for (key, list) in keys.iter().zip(&model) {
                    let record = mailbox(&store, key).unwrap().unwrap();
                    proptest::prop_assert_eq!(record.count as usize, list.len());
                    let bytes: usize = list.iter().map(|m| m.2.len()).sum();
                    proptest::prop_assert_eq!(record.bytes as usize, bytes);
                    let stored: Vec<(u64, u64, Vec<u8>)> = messages(&store, key, 100, 0)
                        .unwrap()
                        .into_iter()
                        .map(|m| (m.seq, m.hour, m.envelope))
                        .collect();
                    proptest::prop_assert_eq!(&stored, list);
                }
                let total: usize = model.iter().map(Vec::len).sum();
                proptest::prop_assert_eq!(store.count_prefix(&[EXPIRY]).unwrap() as usize, total);
                proptest::prop_assert_eq!(store.count_prefix(&[MESSAGE]).unwrap() as usize, total);
            }
        }
    }
}
