//! `Invitation::from_code` and `Invitation::from_bytes` on arbitrary input.
#![no_main]

use corridor_client::protocol::invitation::Invitation;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(invitation) = Invitation::from_bytes(data) {
        assert_eq!(invitation.to_bytes().ok().as_deref(), Some(data));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(invitation) = Invitation::from_code(text) {
            let again = Invitation::from_code(&invitation.to_code().unwrap()).unwrap();
            assert!(again == invitation);
        }
    }
});
