//! Disappearing messages: a timer per conversation, applied when a message is stored.
//!
//! A conversation is named by opaque bytes chosen by the caller (a session or mailbox
//! handle); the name is never stored in the clear. Timers live in the logical tree
//! [`TIMERS_TREE`]; the messages of a conversation live in a logical tree of their own
//! (see [`message_tree`]), with an expiry of `now + timer` when a timer is set.
//! [`Store::purge_expired`] deletes them once expired; reads stop returning them at once.

use super::error::StoreError;
use super::handle::Store;
use super::records::Record;
use data_encoding::HEXLOWER;
use std::num::NonZeroU64;

/// Logical tree holding the disappearing-message timers.
pub const TIMERS_TREE: &str = "corridor/disappearing-timers";

/// The logical tree holding the messages of `conversation`.
pub fn message_tree(conversation: &[u8]) -> String {
    format!("corridor/messages/{}", HEXLOWER.encode(conversation))
}

impl Store {
    /// Sets the disappearing-message timer of `conversation` in seconds (`None`: messages
    /// are kept until deleted). Applies to messages stored from now on; messages already
    /// stored keep the expiry they were given.
    ///
    /// # Errors
    /// As [`Store::put`].
    pub fn set_disappearing_timer(
        &self,
        conversation: &[u8],
        seconds: Option<NonZeroU64>,
    ) -> Result<(), StoreError> {
        match seconds {
            Some(seconds) => self.put(
                TIMERS_TREE,
                conversation,
                &seconds.get().to_be_bytes(),
                None,
            ),
            None => self.delete(TIMERS_TREE, conversation).map(|_| ()),
        }
    }

    /// The disappearing-message timer of `conversation`, in seconds, if set.
    ///
    /// # Errors
    /// [`StoreError::CorruptRecord`] if the stored timer does not decode.
    pub fn disappearing_timer(
        &self,
        conversation: &[u8],
    ) -> Result<Option<NonZeroU64>, StoreError> {
        let Some(bytes) = self.get(TIMERS_TREE, conversation, 0)? else {
            return Ok(None);
        };
        let bytes: [u8; 8] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::CorruptRecord)?;
        Ok(NonZeroU64::new(u64::from_be_bytes(bytes)))
    }

    /// Stores message `body` under `message_id` in `conversation` at time `now` (Unix
    /// seconds), expiring after the conversation's timer if one is set. Returns the expiry
    /// given. Message ids sort as bytes in [`Store::messages`], so a big-endian counter or
    /// timestamp keeps them in order.
    ///
    /// # Errors
    /// As [`Store::put`].
    pub fn put_message(
        &self,
        conversation: &[u8],
        message_id: &[u8],
        body: &[u8],
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        let expires_at = self
            .disappearing_timer(conversation)?
            .map(|timer| now.saturating_add(timer.get()));
        self.put(&message_tree(conversation), message_id, body, expires_at)?;
        Ok(expires_at)
    }

    /// The messages of `conversation` not expired at `now`, sorted by message id.
    ///
    /// # Errors
    /// As [`Store::scan`].
    pub fn messages(&self, conversation: &[u8], now: u64) -> Result<Vec<Record>, StoreError> {
        self.scan(&message_tree(conversation), now)
    }

    /// Deletes every message of `conversation` and its timer; returns how many messages.
    ///
    /// # Errors
    /// As [`Store::clear_tree`].
    pub fn delete_conversation(&self, conversation: &[u8]) -> Result<usize, StoreError> {
        self.delete(TIMERS_TREE, conversation)?;
        self.clear_tree(&message_tree(conversation))
    }
}
