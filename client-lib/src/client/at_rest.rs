//! Forward secrecy at rest: when the client re-keys its store, and how the key its
//! pickles are sealed under is rotated in the same commit.
//!
//! Policy (`docs/store.md`, "When the client re-keys"): the store is re-keyed
//!
//! - when the profile is closed ([`Client::close`], which the CLI's shell `lock` and idle
//!   lock call) and anything was written since the last re-key;
//! - at the end of an operation that deleted something for good: a purge that removed
//!   expired records, a removed contact, a revoked or closed invitation, a retired mailbox;
//! - at the end of any operation once [`REKEY_EVERY_SECS`] have passed since the last
//!   re-key and something was written meanwhile;
//! - when a profile is opened after a session that did not end with a re-key (a crash or a
//!   kill), before anything else is done with it.
//!
//! Expired records are purged at every open, at the end of every `sync`, and by every
//! re-key (which does not carry them over).

use super::{Client, Result};
use crate::primitives::Secret;
use crate::primitives::random::OsRng;
use crate::protocol::pickle;
use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

/// The longest a superseded secret may stay decryptable on disk while the profile is in
/// use: ten minutes of activity.
pub const REKEY_EVERY_SECS: u64 = 10 * 60;

/// The pickle types the client stores; a pickle's type is bound into its key, so re-sealing
/// must name it.
const PICKLE_LABELS: [&str; 4] = [
    crate::protocol::identity::IDENTITY_PICKLE_LABEL,
    crate::protocol::bundle::PREKEYS_PICKLE_LABEL,
    crate::protocol::ratchet::SESSION_PICKLE_LABEL,
    crate::protocol::envelope::REASSEMBLER_PICKLE_LABEL,
];

/// The field of the profile record holding the pickle key.
const PICKLE_KEY_FIELD: &str = "pickle_key";

/// Why a record could not be re-pickled.
#[derive(Debug)]
pub(crate) struct RepickleError;

/// The pickle key stored in the profile record's JSON.
pub(crate) fn pickle_key_in(profile: &[u8]) -> Result<Secret<32>> {
    let mut value: Value =
        serde_json::from_slice(profile).map_err(|_| super::ClientError::Storage)?;
    let key = value
        .get(PICKLE_KEY_FIELD)
        .and_then(Value::as_str)
        .and_then(|text| BASE64URL_NOPAD.decode(text.as_bytes()).ok())
        .map(Zeroizing::new)
        .and_then(|bytes| Secret::try_from_slice(&bytes).ok());
    wipe(&mut value);
    key.ok_or(super::ClientError::Storage)
}

/// Re-seals, under `new`, every pickle sealed under `old` found anywhere in the JSON record
/// `value` (any string field holding a base64url pickle, at any depth), and in the profile
/// record replaces the pickle key itself. Schema-agnostic on purpose: a record type added
/// later is covered without being listed here. `None` when nothing changed.
pub(crate) fn repickle(
    value: &[u8],
    old: &Secret<32>,
    new: &Secret<32>,
    is_profile: bool,
) -> std::result::Result<Option<Zeroizing<Vec<u8>>>, RepickleError> {
    let Ok(mut json) = serde_json::from_slice::<Value>(value) else {
        // Not JSON: nothing of ours to re-seal.
        return Ok(None);
    };
    let mut changed = reseal_in(&mut json, old, new)?;
    if is_profile {
        match json.get_mut(PICKLE_KEY_FIELD) {
            Some(field @ Value::String(_)) => {
                wipe(field);
                *field = Value::String(BASE64URL_NOPAD.encode(new.expose()));
                changed = true;
            }
            _ => return Err(RepickleError),
        }
    }
    let out = if changed {
        serde_json::to_vec(&json)
            .map(|bytes| Some(Zeroizing::new(bytes)))
            .map_err(|_| RepickleError)
    } else {
        Ok(None)
    };
    wipe(&mut json);
    out
}

fn reseal_in(
    value: &mut Value,
    old: &Secret<32>,
    new: &Secret<32>,
) -> std::result::Result<bool, RepickleError> {
    match value {
        Value::String(text) => {
            let Ok(bytes) = BASE64URL_NOPAD.decode(text.as_bytes()) else {
                return Ok(false);
            };
            let bytes = Zeroizing::new(bytes);
            if !bytes.starts_with(pickle::PICKLE_MAGIC) {
                return Ok(false);
            }
            for label in PICKLE_LABELS {
                if let Ok(plain) = pickle::open(old, label, &bytes) {
                    let sealed =
                        pickle::seal(new, label, &plain, &mut OsRng).map_err(|_| RepickleError)?;
                    text.zeroize();
                    *text = BASE64URL_NOPAD.encode(&sealed);
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= reseal_in(item, old, new)?;
            }
            Ok(changed)
        }
        Value::Object(map) => {
            let mut changed = false;
            for (_, item) in map.iter_mut() {
                changed |= reseal_in(item, old, new)?;
            }
            Ok(changed)
        }
        _ => Ok(false),
    }
}

/// Overwrites every string of a parsed record before it is dropped (they hold secrets).
fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.iter_mut().for_each(|(_, item)| wipe(item)),
        _ => {}
    }
}

impl Client {
    /// End-of-operation housekeeping: re-keys the store if the policy above says so
    /// (`deleted_something`: this operation deleted a record for good), then makes sure
    /// everything is durable before the operation answers. Call with the operation lock
    /// held and no decoded record kept across the call (pickles change key).
    pub(crate) fn at_rest(&self, deleted_something: bool) -> Result<()> {
        let now = self.now();
        let due = self.db.written_since_rekey()
            && now.saturating_sub(self.last_rekey()) >= REKEY_EVERY_SECS;
        if self.take_rekey_request() || deleted_something || due {
            self.rekey_now()?;
        }
        self.db.settle()
    }

    /// Asks for a re-key at the end of the current operation (something was deleted).
    pub(crate) fn request_rekey(&self) {
        self.rekey_requested
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn take_rekey_request(&self) -> bool {
        self.rekey_requested
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    fn last_rekey(&self) -> u64 {
        self.last_rekey.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Re-keys now (and rotates the pickle key), under the records lock.
    pub(crate) fn rekey_now(&self) -> Result<()> {
        let _guard = self.lock()?;
        let now = self.now();
        self.db.rekey(now)?;
        self.last_rekey
            .store(now, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> Secret<32> {
        Secret::from_bytes([byte; 32])
    }

    #[test]
    fn every_pickle_at_any_depth_moves_to_the_new_key() {
        let (old, new) = (key(1), key(2));
        let sealed = |label: &str| {
            BASE64URL_NOPAD.encode(&pickle::seal(&old, label, b"state", &mut OsRng).unwrap())
        };
        let record = serde_json::json!({
            "session": sealed("session"),
            "nested": [{"deeper": sealed("prekeys")}],
            "label": "alice",
            "other_key_pickle": BASE64URL_NOPAD.encode(
                &pickle::seal(&key(9), "session", b"x", &mut OsRng).unwrap()),
        });
        let bytes = serde_json::to_vec(&record).unwrap();
        let out = repickle(&bytes, &old, &new, false).unwrap().unwrap();
        let back: Value = serde_json::from_slice(&out).unwrap();
        let open = |v: &Value, k: &Secret<32>, label: &str| {
            let b = BASE64URL_NOPAD
                .decode(v.as_str().unwrap().as_bytes())
                .unwrap();
            pickle::open(k, label, &b).map(|p| p.to_vec())
        };
        assert_eq!(open(&back["session"], &new, "session").unwrap(), b"state");
        assert!(open(&back["session"], &old, "session").is_err());
        assert_eq!(
            open(&back["nested"][0]["deeper"], &new, "prekeys").unwrap(),
            b"state"
        );
        assert_eq!(back["label"], "alice");
        // A pickle under some other key is left as it was.
        assert_eq!(back["other_key_pickle"], record["other_key_pickle"]);
        // Nothing to do: no rewrite.
        let plain = serde_json::to_vec(&serde_json::json!({"a": 1})).unwrap();
        assert!(repickle(&plain, &old, &new, false).unwrap().is_none());
    }

    #[test]
    fn the_profile_record_gets_the_new_pickle_key() {
        let (old, new) = (key(1), key(2));
        let profile = serde_json::json!({
            "name": "n",
            "pickle_key": BASE64URL_NOPAD.encode(old.expose()),
        });
        let bytes = serde_json::to_vec(&profile).unwrap();
        assert_eq!(pickle_key_in(&bytes).unwrap().expose(), old.expose());
        let out = repickle(&bytes, &old, &new, true).unwrap().unwrap();
        assert_eq!(pickle_key_in(&out).unwrap().expose(), new.expose());
        let no_key = serde_json::to_vec(&serde_json::json!({"name": "n"})).unwrap();
        assert!(repickle(&no_key, &old, &new, true).is_err());
    }
}
