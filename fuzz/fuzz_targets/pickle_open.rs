//! Unpickling identities and prekey sets from arbitrary bytes.
#![no_main]

use corridor_client::primitives::Secret;
use corridor_client::protocol::bundle::PrekeySet;
use corridor_client::protocol::identity::Identity;
use corridor_client::protocol::pickle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = Secret::from_bytes([7; 32]);
    let _ = pickle::open(&key, "identity", data);
    let _ = Identity::unpickle(&key, data);
    let _ = PrekeySet::unpickle(&key, data);
});
