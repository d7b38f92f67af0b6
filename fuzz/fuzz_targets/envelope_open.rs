//! `envelope::open` and `Reassembler::open` on arbitrary bytes (padded or cut to the
//! envelope size half of the time, so the ratchet is reached): typed errors, never a panic.
#![no_main]

use corridor_client::protocol::envelope::{self, ENVELOPE_SIZE, ENVELOPE_VERSION, Reassembler};
use libfuzzer_sys::fuzz_target;

include!("ratchet_common.rs");

fuzz_target!(|data: &[u8]| {
    let Some((_alice, mut bob)) = sessions() else {
        return;
    };
    let _ = envelope::open(&mut bob, data);
    let mut sized = data.to_vec();
    sized.resize(ENVELOPE_SIZE, 0);
    sized[0] = ENVELOPE_VERSION;
    let _ = envelope::open(&mut bob, &sized);
    let _ = Reassembler::new().open(&mut bob, &sized);
    let _ = envelope::open_message(&mut bob, data);
});
