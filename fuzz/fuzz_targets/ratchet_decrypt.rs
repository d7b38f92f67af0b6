//! `Session::decrypt` on arbitrary bytes: a typed error, never a panic, and the session
//! unchanged (it still decrypts a genuine message afterwards).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("ratchet_common.rs");

fuzz_target!(|data: &[u8]| {
    let Some((mut alice, mut bob)) = sessions() else {
        return;
    };
    let _ = bob.decrypt(data);
    let _ = alice.decrypt(data);
    let mut rng = CounterRng(99);
    if let Ok(m) = alice.encrypt(b"after", &mut rng) {
        assert!(bob.decrypt(&m).is_ok(), "a rejected input changed the session");
    }
});
