// Shared by the ratchet and envelope fuzz targets (included with `include!`): a fixed pair
// of sessions that have exchanged one message each way, so that every decryption path
// (skipped keys, current chain, new ratchet key) has state to work on.

use corridor_client::primitives::Secret;
use corridor_client::primitives::random::{TryCryptoRng, TryRng};
use corridor_client::primitives::x25519::X25519Secret;
use corridor_client::protocol::ratchet::Session;
use std::convert::Infallible;

/// Deterministic bytes; fuzzing needs reproducible state, not secrecy.
struct CounterRng(u8);

impl TryRng for CounterRng {
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
            self.0 = self.0.wrapping_mul(181).wrapping_add(101);
            *byte = self.0;
        }
        Ok(())
    }
}

impl TryCryptoRng for CounterRng {}

#[allow(dead_code)]
fn sessions() -> Option<(Session, Session)> {
    let mut rng = CounterRng(7);
    let sk = Secret::from_bytes([0x42; 32]);
    let prekey = X25519Secret::generate(&mut rng).ok()?;
    let mut alice = Session::initiator(&sk, b"fuzz", prekey.public(), &mut rng).ok()?;
    let mut bob = Session::responder(&sk, b"fuzz", prekey).ok()?;
    let m = alice.encrypt(b"hello", &mut rng).ok()?;
    // One message left undelivered, so Bob holds a skipped key.
    let _ = alice.encrypt(b"skipped", &mut rng).ok()?;
    let m2 = alice.encrypt(b"third", &mut rng).ok()?;
    bob.decrypt(&m).ok()?;
    bob.decrypt(&m2).ok()?;
    let r = bob.encrypt(b"reply", &mut rng).ok()?;
    alice.decrypt(&r).ok()?;
    Some((alice, bob))
}
