//! `open_initial` on arbitrary bytes (the relay-facing decoder of initial envelopes).
#![no_main]

use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::handshake::open_initial;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let seal = X25519Secret::from_bytes([0x42; 32]);
    assert!(open_initial(&seal, data).is_err());
});
