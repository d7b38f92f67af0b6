//! `PublicIdentity::decode` on arbitrary bytes.
#![no_main]

use corridor_client::protocol::identity::PublicIdentity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(identity) = PublicIdentity::decode(data) {
        // Whatever decodes must re-encode to the same bytes.
        assert_eq!(identity.encode().as_slice(), data);
    }
});
