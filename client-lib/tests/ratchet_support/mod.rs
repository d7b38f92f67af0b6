//! Test support shared by the ratchet and envelope tests: deterministic randomness and a
//! ready pair of sessions.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use corridor_client::primitives::Secret;
use corridor_client::primitives::kdf::sha256;
use corridor_client::primitives::random::{TryCryptoRng, TryRng};
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::ratchet::Session;
use std::convert::Infallible;

/// A deterministic generator for tests: block i is SHA-256(seed || i as u64 big-endian).
/// Not a production generator; it makes tests and vectors reproducible.
pub struct TestRng {
    seed: [u8; 32],
    counter: u64,
    buffer: Vec<u8>,
    /// Every byte handed out, in order (for the vectors, which record them).
    pub drawn: Vec<u8>,
}

impl TestRng {
    pub fn new(seed: u64) -> Self {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_be_bytes());
        Self::from_seed(s)
    }

    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            seed,
            counter: 0,
            buffer: Vec::new(),
            drawn: Vec::new(),
        }
    }

    /// Returns and forgets the bytes drawn since the last call.
    pub fn take_drawn(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.drawn)
    }
}

impl TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        while self.buffer.len() < dst.len() {
            let mut input = self.seed.to_vec();
            input.extend_from_slice(&self.counter.to_be_bytes());
            self.counter += 1;
            self.buffer.extend_from_slice(&sha256(&input));
        }
        let rest = self.buffer.split_off(dst.len());
        dst.copy_from_slice(&self.buffer);
        self.drawn.extend_from_slice(&self.buffer);
        self.buffer = rest;
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

/// Replays recorded random bytes (for checking vectors). Past the end it hands out zeros
/// and remembers that it overran, so a short recording is a test failure, not a panic.
pub struct ReplayRng {
    bytes: Vec<u8>,
    position: usize,
    pub overrun: bool,
}

impl ReplayRng {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            position: 0,
            overrun: false,
        }
    }
    /// Whether exactly all the recorded bytes were used.
    pub fn used_exactly(&self) -> bool {
        !self.overrun && self.position == self.bytes.len()
    }
}

impl TryRng for ReplayRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst.iter_mut() {
            match self.bytes.get(self.position) {
                Some(b) => {
                    *byte = *b;
                    self.position += 1;
                }
                None => {
                    *byte = 0;
                    self.overrun = true;
                }
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}

pub const AD: &[u8] = b"test associated data: IK_A || IK_B";

/// A fresh initiator/responder pair sharing `sk`, as the handshake would leave them.
pub fn pair(rng: &mut TestRng) -> (Session, Session) {
    let sk = Secret::<32>::random(rng).unwrap();
    let bob_prekey = X25519Secret::generate(rng).unwrap();
    let alice = Session::initiator(&sk, AD, bob_prekey.public(), rng).unwrap();
    let bob = Session::responder(&sk, AD, bob_prekey).unwrap();
    (alice, bob)
}

/// The session's full state (a pickle under a fixed key and fixed randomness, so equal
/// states give equal bytes), for checking that a failed operation changed nothing.
pub fn snapshot(session: &Session) -> Vec<u8> {
    session
        .pickle(&snapshot_key(), &mut TestRng::new(0))
        .unwrap()
}

/// The key [`snapshot`] pickles under: a stolen-state test restores with it.
pub fn snapshot_key() -> Secret<32> {
    Secret::from_bytes([0x5A; 32])
}

/// A copy of the session, as an adversary who seized the device would hold it.
pub fn steal(session: &Session) -> Session {
    Session::unpickle(&snapshot_key(), &snapshot(session)).unwrap()
}
