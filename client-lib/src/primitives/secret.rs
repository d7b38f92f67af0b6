//! A fixed-size secret byte string.

use super::error::CryptoError;
use super::random;
use rand_core::TryCryptoRng;
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `N` secret bytes.
///
/// - Boxed, so moving the value does not leave copies on the stack.
/// - Zeroized when dropped.
/// - `Debug` prints `Secret<N>(redacted)` and nothing of the content.
/// - `==` runs in constant time (`subtle`).
/// - Not `Serialize`: secrets reach disk only through the store's encrypted pickles.
pub struct Secret<const N: usize>(Box<[u8; N]>);

impl<const N: usize> Secret<N> {
    /// Wraps `bytes`. The caller should zeroize its own copy if it keeps one.
    pub fn from_bytes(bytes: [u8; N]) -> Self {
        let mut bytes = bytes;
        let secret = Self(Box::new(bytes));
        bytes.zeroize();
        secret
    }

    /// Copies exactly `N` bytes out of `bytes`.
    ///
    /// # Errors
    /// [`CryptoError::Length`] if `bytes` is not exactly `N` bytes long.
    pub fn try_from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != N {
            return Err(CryptoError::Length);
        }
        let mut secret = Self(Box::new([0u8; N]));
        secret.0.copy_from_slice(bytes);
        Ok(secret)
    }

    /// `N` fresh random bytes from `rng`, written directly into the box.
    ///
    /// # Errors
    /// [`CryptoError::Rng`] if the generator fails.
    pub fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CryptoError> {
        let mut secret = Self(Box::new([0u8; N]));
        random::fill(rng, secret.0.as_mut_slice())?;
        Ok(secret)
    }

    /// The secret bytes. Do not copy them anywhere that is not zeroized.
    pub fn expose(&self) -> &[u8; N] {
        &self.0
    }

    /// Constant-time comparison.
    pub fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_slice().ct_eq(other.0.as_slice())
    }
}

impl<const N: usize> Clone for Secret<N> {
    fn clone(&self) -> Self {
        Self(Box::new(*self.0))
    }
}

impl<const N: usize> Zeroize for Secret<N> {
    fn zeroize(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

impl<const N: usize> Drop for Secret<N> {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl<const N: usize> ZeroizeOnDrop for Secret<N> {}

impl<const N: usize> PartialEq for Secret<N> {
    fn eq(&self, other: &Self) -> bool {
        bool::from(ConstantTimeEq::ct_eq(self.0.as_slice(), other.0.as_slice()))
    }
}

impl<const N: usize> Eq for Secret<N> {}

impl<const N: usize> fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{N}>(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::random::OsRng;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::from_bytes([0xAB; 32]);
        let shown = format!("{secret:?} {secret:#?}");
        assert_eq!(format!("{secret:?}"), "Secret<32>(redacted)");
        assert!(!shown.to_lowercase().contains("ab"));
        assert!(!shown.contains("171"));
    }

    #[test]
    fn equality_compares_content() {
        let a = Secret::from_bytes([1u8; 16]);
        let b = Secret::from_bytes([1u8; 16]);
        let mut c_bytes = [1u8; 16];
        c_bytes[15] = 2;
        let c = Secret::from_bytes(c_bytes);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(bool::from(a.ct_eq(&b)));
        assert!(!bool::from(a.ct_eq(&c)));
    }

    #[test]
    fn zeroize_clears_the_bytes() {
        let mut s = Secret::from_bytes([7u8; 32]);
        s.zeroize();
        assert_eq!(s.expose(), &[0u8; 32]);
    }

    #[test]
    fn try_from_slice_checks_length() {
        assert_eq!(
            Secret::<32>::try_from_slice(&[0u8; 31]).err(),
            Some(CryptoError::Length)
        );
        assert_eq!(
            Secret::<32>::try_from_slice(&[0u8; 33]).err(),
            Some(CryptoError::Length)
        );
        assert_eq!(
            Secret::<32>::try_from_slice(&[9u8; 32]).unwrap().expose(),
            &[9u8; 32]
        );
    }

    #[test]
    fn random_secrets_differ() {
        let a = Secret::<32>::random(&mut OsRng).unwrap();
        let b = Secret::<32>::random(&mut OsRng).unwrap();
        assert_ne!(a, b);
    }
}
