//! Fixed-size envelopes: exact sizes, splitting and reassembly, unlinkability, tampering,
//! and bounded reassembly.
#![allow(clippy::unwrap_used)]

mod ratchet_support;

use corridor_client::protocol::envelope::{
    self, BLOCK_MESSAGE_LEN, Block, CHUNK_CAPACITY, ENVELOPE_SIZE, ENVELOPE_VERSION, EnvelopeError,
    MAX_BLOCKS, MIN_BLOCK_LEN, Reassembler,
};
use corridor_client::protocol::ratchet::{MESSAGE_OVERHEAD, RatchetError};
use proptest::prelude::*;
use ratchet_support::{TestRng, pair, snapshot};

fn payload(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

/// The figures `docs/protocol.md` gives.
#[test]
fn documented_constants() {
    assert_eq!(MESSAGE_OVERHEAD, 85);
    assert_eq!(ENVELOPE_SIZE, 4096);
    assert_eq!(BLOCK_MESSAGE_LEN, 4095);
    assert_eq!(CHUNK_CAPACITY, 3988);
    assert_eq!(MIN_BLOCK_LEN, 108);
    assert_eq!(envelope::MAX_BLOCK_LEN, 65642);
    assert_eq!(envelope::FRAME_HEADER_LEN, 22);
    assert_eq!(MAX_BLOCKS, 256);
    assert_eq!(
        (envelope::MAX_PENDING_PAYLOADS, envelope::MAX_PENDING_BLOCKS),
        (16, 512)
    );
}

#[test]
fn every_envelope_is_exactly_one_block() {
    let mut rng = TestRng::new(20);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut reassembler = Reassembler::new();
    for len in [
        0,
        1,
        100,
        CHUNK_CAPACITY - 1,
        CHUNK_CAPACITY,
        CHUNK_CAPACITY + 1,
        3 * CHUNK_CAPACITY + 7,
    ] {
        let data = payload(len, len as u8);
        let envelopes = envelope::seal(&mut alice, &data, &mut rng).unwrap();
        assert_eq!(envelopes.len(), len.div_ceil(CHUNK_CAPACITY).max(1));
        let mut out = None;
        for e in &envelopes {
            assert_eq!(e.len(), ENVELOPE_SIZE);
            assert_eq!(e[0], ENVELOPE_VERSION);
            assert!(out.is_none());
            out = reassembler.open(&mut bob, e).unwrap();
        }
        assert_eq!(out.unwrap().as_slice(), data.as_slice());
        assert_eq!(reassembler.pending_payloads(), 0);
    }
}

#[test]
fn blocks_reassemble_in_any_order_and_interleaved() {
    let mut rng = TestRng::new(21);
    let (mut alice, mut bob) = pair(&mut rng);
    let first = payload(5 * CHUNK_CAPACITY, 1);
    let second = payload(2 * CHUNK_CAPACITY + 3, 2);
    let mut a = envelope::seal(&mut alice, &first, &mut rng).unwrap();
    let b = envelope::seal(&mut alice, &second, &mut rng).unwrap();
    a.reverse();
    let mut reassembler = Reassembler::new();
    let mut done = Vec::new();
    let order = [a[0], b[1], a[1], a[2], b[0], a[3], b[2], a[4]];
    for e in order {
        if let Some(p) = reassembler.open(&mut bob, &e).unwrap() {
            done.push(p.to_vec());
        }
    }
    assert_eq!(done, vec![second, first]);
}

#[test]
fn seal_with_capacity_makes_messages_of_the_requested_length() {
    let mut rng = TestRng::new(22);
    let (mut alice, mut bob) = pair(&mut rng);
    for block_len in [MIN_BLOCK_LEN, 300, 1000, BLOCK_MESSAGE_LEN] {
        let data = payload(200, 9);
        let messages =
            envelope::seal_with_capacity(&mut alice, &data, block_len, &mut rng).unwrap();
        let mut reassembler = Reassembler::new();
        let mut out = None;
        for m in &messages {
            assert_eq!(m.len(), block_len);
            out = reassembler.open_message(&mut bob, m).unwrap();
        }
        assert_eq!(out.unwrap().as_slice(), data.as_slice());
    }
    assert_eq!(
        envelope::seal_with_capacity(&mut alice, b"x", MIN_BLOCK_LEN - 1, &mut rng),
        Err(EnvelopeError::BlockLength)
    );
    let too_big = vec![0u8; usize::from(MAX_BLOCKS) * CHUNK_CAPACITY + 1];
    assert_eq!(
        envelope::seal(&mut alice, &too_big, &mut rng),
        Err(EnvelopeError::PayloadTooLarge)
    );
}

/// No 8-byte window of one envelope (past the version byte) appears in another envelope of
/// the same conversation, in either direction, across chains and ratchet steps.
#[test]
fn envelopes_of_one_conversation_share_no_stable_bytes() {
    let mut rng = TestRng::new(23);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut all: Vec<[u8; ENVELOPE_SIZE]> = Vec::new();
    // The same (empty and repetitive) payload over and over is the worst case.
    for round in 0..4 {
        for _ in 0..3 {
            let e = envelope::seal(&mut alice, &[0u8; 10], &mut rng).unwrap();
            envelope::open(&mut bob, &e[0]).unwrap();
            all.extend(e);
        }
        if round > 0 {
            let e = envelope::seal(&mut bob, &[0u8; 10], &mut rng).unwrap();
            envelope::open(&mut alice, &e[0]).unwrap();
            all.extend(e);
        } else {
            let e = envelope::seal(&mut bob, b"", &mut rng).unwrap();
            envelope::open(&mut alice, &e[0]).unwrap();
        }
    }
    let mut seen = std::collections::HashMap::new();
    for (n, e) in all.iter().enumerate() {
        for w in e[1..].windows(8) {
            if let Some(other) = seen.insert(w.to_vec(), n) {
                assert_eq!(other, n, "envelopes {other} and {n} share 8 bytes");
            }
        }
    }
}

/// All 32,768 single-bit flips of an envelope.
#[test]
fn every_bit_flip_of_an_envelope_is_rejected_without_changing_state() {
    let mut rng = TestRng::new(24);
    let (mut alice, mut bob) = pair(&mut rng);
    let e = envelope::seal(&mut alice, b"location: nowhere", &mut rng).unwrap()[0];
    let before = snapshot(&bob);
    let mut reassembler = Reassembler::new();
    let bits = 0..ENVELOPE_SIZE * 8;
    for bit in bits {
        let mut bad = e;
        bad[bit / 8] ^= 1 << (bit % 8);
        let err = reassembler.open(&mut bob, &bad).unwrap_err();
        if bit < 8 {
            assert_eq!(err, EnvelopeError::UnsupportedVersion);
        } else {
            assert_eq!(
                err,
                EnvelopeError::Ratchet(RatchetError::Decrypt),
                "bit {bit}"
            );
        }
    }
    assert_eq!(snapshot(&bob), before);
    assert_eq!(reassembler.pending_blocks(), 0);
    assert!(envelope::open(&mut bob, &e[..ENVELOPE_SIZE - 1]).is_err());
    assert_eq!(
        reassembler.open(&mut bob, &e).unwrap().unwrap().as_slice(),
        b"location: nowhere"
    );
}

#[test]
fn bad_framing_is_refused_without_consuming_the_message() {
    let mut rng = TestRng::new(25);
    let (mut alice, mut bob) = pair(&mut rng);
    // A ratchet message whose plaintext is not a valid block (index >= count).
    let mut plain = vec![0u8; BLOCK_MESSAGE_LEN - MESSAGE_OVERHEAD];
    plain[16..18].copy_from_slice(&3u16.to_be_bytes());
    plain[18..20].copy_from_slice(&2u16.to_be_bytes());
    let message = alice.encrypt(&plain, &mut rng).unwrap();
    let before = snapshot(&bob);
    assert_eq!(
        envelope::open_message(&mut bob, &message),
        Err(EnvelopeError::Framing)
    );
    assert_eq!(snapshot(&bob), before);
    // The raw ratchet message is still decryptable: nothing was consumed.
    assert_eq!(bob.decrypt(&message).unwrap().as_slice(), plain.as_slice());
}

#[test]
fn block_decoder_is_strict() {
    let mut good = vec![0u8; 40];
    good[18..20].copy_from_slice(&1u16.to_be_bytes());
    good[20..22].copy_from_slice(&3u16.to_be_bytes());
    good[22..25].copy_from_slice(b"abc");
    let block = Block::decode(&good).unwrap();
    assert_eq!(
        (block.index(), block.count(), block.chunk()),
        (0, 1, &b"abc"[..])
    );
    let mut bad_padding = good.clone();
    bad_padding[39] = 1;
    let mut zero_count = good.clone();
    zero_count[18..20].copy_from_slice(&0u16.to_be_bytes());
    let mut too_many = good.clone();
    too_many[18..20].copy_from_slice(&(MAX_BLOCKS + 1).to_be_bytes());
    let mut long_chunk = good.clone();
    long_chunk[20..22].copy_from_slice(&19u16.to_be_bytes());
    for bad in [
        bad_padding,
        zero_count,
        too_many,
        long_chunk,
        good[..21].to_vec(),
    ] {
        assert_eq!(Block::decode(&bad), Err(EnvelopeError::Framing));
    }
}

#[test]
fn reassembly_is_bounded_and_refusal_consumes_nothing() {
    let mut rng = TestRng::new(26);
    let (mut alice, mut bob) = pair(&mut rng);
    let mut reassembler = Reassembler::with_limits(2, 3);
    let p: Vec<_> = (0..3)
        .map(|i| envelope::seal(&mut alice, &payload(2 * CHUNK_CAPACITY, i), &mut rng).unwrap())
        .collect();
    assert!(reassembler.open(&mut bob, &p[0][0]).unwrap().is_none());
    assert!(reassembler.open(&mut bob, &p[1][0]).unwrap().is_none());
    let before = snapshot(&bob);
    assert_eq!(
        reassembler.open(&mut bob, &p[2][0]),
        Err(EnvelopeError::ReassemblyFull)
    );
    assert_eq!(snapshot(&bob), before);
    assert_eq!(reassembler.pending_payloads(), 2);
    // Making room lets the refused envelope through.
    assert!(reassembler.discard_oldest());
    assert!(reassembler.open(&mut bob, &p[2][0]).unwrap().is_none());
    let done = reassembler.open(&mut bob, &p[2][1]).unwrap().unwrap();
    assert_eq!(done.as_slice(), payload(2 * CHUNK_CAPACITY, 2).as_slice());

    // The block bound: a payload of 5 blocks against a bound of 3 held blocks. A block
    // that completes its payload frees memory, so it is always accepted.
    let mut small = Reassembler::with_limits(4, 3);
    let big = envelope::seal(&mut alice, &payload(5 * CHUNK_CAPACITY, 7), &mut rng).unwrap();
    for e in &big[..3] {
        assert!(small.open(&mut bob, e).unwrap().is_none());
    }
    assert_eq!(
        small.open(&mut bob, &big[3]),
        Err(EnvelopeError::ReassemblyFull)
    );
    let mut complete = Reassembler::with_limits(4, 4);
    let four = envelope::seal(&mut alice, &payload(4 * CHUNK_CAPACITY, 8), &mut rng).unwrap();
    let mut out = None;
    for e in &four {
        out = complete.open(&mut bob, e).unwrap();
    }
    assert_eq!(out.unwrap().len(), 4 * CHUNK_CAPACITY);
}

#[test]
fn conflicting_blocks_are_refused() {
    let mut rng = TestRng::new(27);
    let (mut alice, mut bob) = pair(&mut rng);
    let e = envelope::seal(&mut alice, &payload(2 * CHUNK_CAPACITY, 0), &mut rng).unwrap();
    let first = envelope::open(&mut bob, &e[0]).unwrap();
    let mut reassembler = Reassembler::new();
    assert!(reassembler.push(first.clone()).unwrap().is_none());
    // The same block again changes nothing.
    assert!(reassembler.push(first.clone()).unwrap().is_none());
    assert_eq!(reassembler.pending_blocks(), 1);
    let forged = |index: u16, count: u16, chunk: &[u8]| {
        let mut plain = first.payload_id().to_vec();
        plain.extend_from_slice(&index.to_be_bytes());
        plain.extend_from_slice(&count.to_be_bytes());
        plain.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        plain.extend_from_slice(chunk);
        Block::decode(&plain).unwrap()
    };
    // Another count for the same payload, or another chunk at a held index.
    assert_eq!(
        reassembler.push(forged(1, 3, b"x")),
        Err(EnvelopeError::Conflict)
    );
    assert_eq!(
        reassembler.push(forged(0, 2, b"x")),
        Err(EnvelopeError::Conflict)
    );
    assert_eq!(reassembler.pending_blocks(), 1);
    let done = reassembler.push(forged(1, 2, b"tail")).unwrap().unwrap();
    assert_eq!(&done[first.chunk().len()..], b"tail");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_envelopes_are_a_typed_error(seed in any::<u64>(), mut bytes in prop::collection::vec(any::<u8>(), 0..ENVELOPE_SIZE + 2), version in any::<bool>()) {
        let mut rng = TestRng::new(seed);
        let (mut alice, mut bob) = pair(&mut rng);
        let e = envelope::seal(&mut alice, b"x", &mut rng).unwrap();
        envelope::open(&mut bob, &e[0]).unwrap();
        if version && !bytes.is_empty() {
            bytes[0] = ENVELOPE_VERSION;
        }
        let before = snapshot(&bob);
        prop_assert!(envelope::open(&mut bob, &bytes).is_err());
        prop_assert!(Reassembler::new().open(&mut bob, &bytes).is_err());
        prop_assert_eq!(snapshot(&bob), before);
    }

    #[test]
    fn arbitrary_block_plaintexts_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(block) = Block::decode(&bytes) {
            prop_assert!(block.index() < block.count());
            prop_assert!(block.chunk().len() + 22 <= bytes.len());
        }
    }

    #[test]
    fn payload_round_trip(seed in any::<u64>(), len in 0usize..(3 * CHUNK_CAPACITY)) {
        let mut rng = TestRng::new(seed);
        let (mut alice, mut bob) = pair(&mut rng);
        let data = payload(len, seed as u8);
        let mut reassembler = Reassembler::new();
        let mut out = None;
        for e in envelope::seal(&mut alice, &data, &mut rng).unwrap() {
            out = reassembler.open(&mut bob, &e).unwrap();
        }
        let out = out.unwrap();
        prop_assert_eq!(out.as_slice(), data.as_slice());
    }
}

#[test]
fn reassembler_survives_a_restart() {
    let mut rng = TestRng::new(28);
    let (mut alice, mut bob) = pair(&mut rng);
    let data = payload(3 * CHUNK_CAPACITY - 5, 3);
    let e = envelope::seal(&mut alice, &data, &mut rng).unwrap();
    let mut reassembler = Reassembler::with_limits(3, 10);
    assert!(reassembler.open(&mut bob, &e[2]).unwrap().is_none());
    assert!(reassembler.open(&mut bob, &e[0]).unwrap().is_none());
    let key = corridor_client::primitives::Secret::from_bytes([7u8; 32]);
    let stored = reassembler.pickle(&key, &mut rng).unwrap();
    drop(reassembler);
    // The opened blocks' keys are gone: the envelopes cannot be opened again.
    assert!(envelope::open(&mut bob, &e[0]).is_err());
    let mut restored = Reassembler::unpickle(&key, &stored).unwrap();
    assert_eq!(
        (restored.pending_payloads(), restored.pending_blocks()),
        (1, 2)
    );
    let done = restored.open(&mut bob, &e[1]).unwrap().unwrap();
    assert_eq!(done.as_slice(), data.as_slice());

    let other = corridor_client::primitives::Secret::from_bytes([8u8; 32]);
    assert!(Reassembler::unpickle(&other, &stored).is_err());
    for i in (0..stored.len()).step_by(7) {
        let mut bad = stored.clone();
        bad[i] ^= 1;
        assert!(Reassembler::unpickle(&key, &bad).is_err());
    }
    // A session pickle is not a reassembler pickle.
    assert!(Reassembler::unpickle(&key, &bob.pickle(&key, &mut rng).unwrap()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Content that authenticates but is arbitrary: a typed error or a valid reassembler,
    /// never a panic.
    #[test]
    fn arbitrary_reassembler_pickle_contents_never_panic(seed in any::<u64>(), mut content in prop::collection::vec(any::<u8>(), 0..300)) {
        let key = corridor_client::primitives::Secret::from_bytes([9u8; 32]);
        let mut rng = TestRng::new(seed);
        if let Some(first) = content.first_mut() {
            *first = 1;
        }
        let sealed = corridor_client::protocol::pickle::seal(&key, envelope::REASSEMBLER_PICKLE_LABEL, &content, &mut rng).unwrap();
        if let Ok(r) = Reassembler::unpickle(&key, &sealed) {
            prop_assert!(r.pending_blocks() <= 300);
        }
    }
}

#[test]
fn debug_output_shows_no_content() {
    let mut rng = TestRng::new(29);
    let (mut alice, mut bob) = pair(&mut rng);
    let e = envelope::seal(&mut alice, b"SAFEHOUSE-ADDRESS", &mut rng).unwrap();
    let block = envelope::open(&mut bob, &e[0]).unwrap();
    let shown = format!("{block:?} {bob:?} {:?}", Reassembler::new());
    assert!(!shown.contains("SAFEHOUSE"));
    assert!(!shown.contains(&format!("{:?}", &b"SAFEHOUSE"[..4])));
    assert!(!shown.contains(&format!("{:?}", block.payload_id())));
}
