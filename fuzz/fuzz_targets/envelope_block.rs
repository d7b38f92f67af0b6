//! The block framing decoder and the reassembler on arbitrary decrypted plaintexts.
#![no_main]

use corridor_client::protocol::envelope::{Block, Reassembler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reassembler = Reassembler::with_limits(4, 8);
    // Several blocks cut from the input, so that reassembly paths are reached too.
    for piece in data.chunks(64) {
        if let Ok(block) = Block::decode(piece) {
            assert!(block.index() < block.count());
            let _ = reassembler.push(block);
        }
    }
    assert!(reassembler.pending_payloads() <= 4);
});
