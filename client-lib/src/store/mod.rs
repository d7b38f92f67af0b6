//! The encrypted local profile.
//!
//! A profile is a directory:
//!
//! - `key`: the key file, exactly [`KEY_FILE_LEN`] bytes. It holds the Argon2id parameters
//!   and salt, the data key wrapped under the passphrase, and a duress slot that is either
//!   a payload wrapped under the duress passphrase or random bytes.
//! - `db-0/` or `db-1/` (the generation the key file names): a sled database in which
//!   every key is an HMAC and every value a ChaCha20-Poly1305 ciphertext under keys
//!   derived from the data key.
//! - `unlock-guard`: the failed-unlock counter (plaintext, 16 bytes).
//!
//! Destroying the key file makes the rest unreadable at once; that is what
//! [`Profile::panic_wipe`] and a duress unlock do first. `docs/store.md` gives the exact
//! formats, the Argon2id parameters and their measured cost, and what this cannot hide.
//!
//! ```no_run
//! use corridor_client::primitives::passphrase::{KdfParams, Passphrase};
//! use corridor_client::store::{Profile, UnlockKind};
//!
//! # fn main() -> Result<(), corridor_client::store::StoreError> {
//! let store = Profile::create("/path/to/profile", &Passphrase::from("correct horse"), KdfParams::RECOMMENDED)?;
//! store.put("contacts", b"alice", b"mailbox", None)?;
//! store.set_duress(&Passphrase::from("battery staple"), b"alert kit")?;
//! drop(store);
//!
//! let unlocked = Profile::unlock("/path/to/profile", &Passphrase::from("correct horse"))?;
//! assert!(matches!(unlocked.kind, UnlockKind::Normal));
//! # Ok(())
//! # }
//! ```

mod error;
mod files;
mod guard;
mod handle;
mod keyfile;
mod profile;
mod records;
mod retention;

pub use crate::primitives::passphrase::{KdfParams, KdfParamsError, Passphrase};
pub use error::StoreError;
pub use handle::Store;
pub use keyfile::{DURESS_PAYLOAD_MAX, KEY_FILE_LEN};
pub use profile::{Profile, UnlockKind, Unlocked};
pub use records::Record;
#[doc(hidden)]
pub use records::decode_record_plaintext;
pub use retention::{TIMERS_TREE, message_tree};
