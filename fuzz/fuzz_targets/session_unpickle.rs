//! `Session::unpickle` and `Reassembler::unpickle` on arbitrary bytes, and on arbitrary content that authenticates
//! (sealed under the right key and label): typed errors, never a panic.
#![no_main]

use corridor_client::protocol::envelope::{REASSEMBLER_PICKLE_LABEL, Reassembler};
use corridor_client::protocol::pickle;
use corridor_client::protocol::ratchet::SESSION_PICKLE_LABEL;
use libfuzzer_sys::fuzz_target;

include!("ratchet_common.rs");

fuzz_target!(|data: &[u8]| {
    let key = Secret::from_bytes([3u8; 32]);
    let _ = Session::unpickle(&key, data);
    let mut rng = CounterRng(1);
    if let Ok(sealed) = pickle::seal(&key, SESSION_PICKLE_LABEL, data, &mut rng) {
        let _ = Session::unpickle(&key, &sealed);
    }
    let _ = Reassembler::unpickle(&key, data);
    if let Ok(sealed) = pickle::seal(&key, REASSEMBLER_PICKLE_LABEL, data, &mut rng) {
        let _ = Reassembler::unpickle(&key, &sealed);
    }
});
