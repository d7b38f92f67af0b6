//! Randomness as an argument.
//!
//! Every function that needs randomness takes `rng: &mut R` with
//! `R: `[`TryCryptoRng`]` + ?Sized` (rand_core 0.10 naming). That bound accepts both
//! fallible sources such as [`OsRng`] (a failure becomes [`CryptoError::Rng`], never a
//! panic) and infallible seeded generators (every [`rand_core::CryptoRng`] is also a
//! [`TryCryptoRng`]), which is what makes the protocol deterministic under test vectors.
//!
//! We never hand the caller's generator to the underlying crates: we draw the bytes here
//! and build keys from them, so one code path serves tests and production alike.

use super::error::CryptoError;

pub use rand_core::{CryptoRng, TryCryptoRng, TryRng};

/// The production randomness source: the operating system's generator (getrandom 0.4).
///
/// It is a zero-sized handle; construct it as `OsRng`. A failure to read randomness is
/// reported as an error by every function that takes it.
pub use getrandom::SysRng as OsRng;

/// Fills `out` from `rng`.
///
/// # Errors
/// [`CryptoError::Rng`] if the generator fails.
pub fn fill<R: TryCryptoRng + ?Sized>(rng: &mut R, out: &mut [u8]) -> Result<(), CryptoError> {
    rng.try_fill_bytes(out).map_err(|_| CryptoError::Rng)
}

/// Returns `N` random bytes from `rng`. Use only for public values (ids, nonces); secrets
/// go through [`super::Secret::random`] so they are zeroized.
///
/// # Errors
/// [`CryptoError::Rng`] if the generator fails.
pub fn array<const N: usize, R: TryCryptoRng + ?Sized>(
    rng: &mut R,
) -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(rng, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_rng_produces_distinct_values() {
        let a: [u8; 32] = array(&mut OsRng).unwrap();
        let b: [u8; 32] = array(&mut OsRng).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }

    struct Failing;
    impl TryRng for Failing {
        type Error = std::fmt::Error;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Err(std::fmt::Error)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Err(std::fmt::Error)
        }
        fn try_fill_bytes(&mut self, _dst: &mut [u8]) -> Result<(), Self::Error> {
            Err(std::fmt::Error)
        }
    }
    impl TryCryptoRng for Failing {}

    #[test]
    fn rng_failure_is_an_error_not_a_panic() {
        assert_eq!(array::<8, _>(&mut Failing), Err(CryptoError::Rng));
        assert_eq!(
            crate::primitives::Secret::<32>::random(&mut Failing).err(),
            Some(CryptoError::Rng)
        );
    }
}
