//! Test-only helpers shared by the protocol tests and the vector generator.
#![allow(dead_code, unreachable_pub)]

use corridor_client::primitives::kdf;
use rand_core::{Infallible, TryCryptoRng, TryRng};

/// The deterministic generator the test vectors are made with, specified in
/// `docs/protocol.md` so another implementation can reproduce them: the output stream is
/// `SHA-256(seed || 0u64 BE) || SHA-256(seed || 1u64 BE) || ...`, consumed in order;
/// `next_u32`/`next_u64` take 4/8 bytes of it little-endian. NOT a secure generator for
/// real use (its seed is public); only for reproducible tests.
pub struct VectorRng {
    seed: Vec<u8>,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl VectorRng {
    pub fn new(seed: &[u8]) -> Self {
        Self {
            seed: seed.to_vec(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl TryRng for VectorRng {
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
        for byte in dst {
            if self.used == 32 {
                self.block = kdf::sha256_parts(&[&self.seed, &self.counter.to_be_bytes()]);
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for VectorRng {}

pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

pub fn unhex(text: &str) -> Result<Vec<u8>, data_encoding::DecodeError> {
    data_encoding::HEXLOWER.decode(text.as_bytes())
}

/// Wraps [`VectorRng`] and records every byte drawn, so a vector can list exactly the
/// random bytes each operation consumed.
pub struct RecordingRng {
    inner: VectorRng,
    drawn: Vec<u8>,
}

impl RecordingRng {
    pub fn new(seed: &[u8]) -> Self {
        Self {
            inner: VectorRng::new(seed),
            drawn: Vec::new(),
        }
    }

    /// The bytes drawn since the last call.
    pub fn take_drawn(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.drawn)
    }
}

impl TryRng for RecordingRng {
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
        self.inner.try_fill_bytes(dst)?;
        self.drawn.extend_from_slice(dst);
        Ok(())
    }
}

impl TryCryptoRng for RecordingRng {}

/// Serves recorded bytes back; running out is an error (so a replay that draws more than
/// the vector recorded fails instead of inventing bytes).
pub struct ReplayRng {
    bytes: Vec<u8>,
    pos: usize,
}

#[derive(Debug)]
pub struct Exhausted;

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("replay rng exhausted")
    }
}

impl std::error::Error for Exhausted {}

impl ReplayRng {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Whether every recorded byte was used.
    pub fn used_exactly(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

impl TryRng for ReplayRng {
    type Error = Exhausted;
    fn try_next_u32(&mut self) -> Result<u32, Exhausted> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Exhausted> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Exhausted> {
        let end = self.pos.checked_add(dst.len()).ok_or(Exhausted)?;
        let src = self.bytes.get(self.pos..end).ok_or(Exhausted)?;
        dst.copy_from_slice(src);
        self.pos = end;
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}
