//! `InitialHeader::decode` on arbitrary bytes (reached only after decryption, but fuzzed
//! on its own so the fuzzer gets past the AEAD).
#![no_main]

use corridor_client::protocol::handshake::InitialHeader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = InitialHeader::decode(data) {
        assert_eq!(header.encode(), data);
    }
});
