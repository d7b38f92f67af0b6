//! `open_initial` on arbitrary bytes (the relay-facing decoder of initial envelopes).
#![no_main]

use corridor_client::primitives::Secret;
use corridor_client::primitives::mlkem::KemSecret;
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::handshake::open_initial;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let seal = X25519Secret::from_bytes([0x42; 32]);
    let kem = KemSecret::from_seed(Secret::from_bytes([0x42; 64]));
    assert!(open_initial(&seal, &[&kem], data).is_err());
});
