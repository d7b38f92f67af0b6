//! Passphrases and their stretching into a key-encryption key: Argon2id (RFC 9106).
//!
//! The store wraps its data key under [`derive_kek`] of the user's passphrase. Argon2id is
//! memory-hard, so every guess an adversary makes against a seized key file costs the same
//! memory and time as an honest unlock. `docs/store.md` records the parameters and how long
//! they take on the reference machine.

use super::error::CryptoError;
use super::secret::Secret;
use argon2::{Algorithm, Argon2, Params, Version};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Length of the Argon2id salt.
pub const SALT_LEN: usize = 16;

/// A passphrase typed by a person.
///
/// - The bytes are zeroized when the value is dropped.
/// - `Debug` prints `Passphrase(redacted)`; there is no `Display` and no `Serialize`.
/// - The bytes are used exactly as given (UTF-8 of what was typed; no normalization, no
///   trimming: callers reading a passphrase file strip the final newline themselves).
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl Passphrase {
    /// Takes ownership of `bytes`; they are zeroized when the passphrase is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The passphrase bytes. Do not copy them anywhere that is not zeroized.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Whether the passphrase is empty (the store refuses empty passphrases).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time comparison of the bytes (the length is not hidden).
    pub fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_slice().ct_eq(other.0.as_slice())
    }
}

impl From<String> for Passphrase {
    fn from(value: String) -> Self {
        Self::new(value.into_bytes())
    }
}

impl From<&str> for Passphrase {
    fn from(value: &str) -> Self {
        Self::new(value.as_bytes().to_vec())
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(redacted)")
    }
}

/// Why a set of Argon2id parameters was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KdfParamsError {
    /// Weaker than [`KdfParams::FLOOR_M_COST_KIB`] / [`KdfParams::FLOOR_T_COST`]: refused
    /// outside the explicit test constructor.
    #[error("Argon2id parameters are below the production floor")]
    BelowFloor,
    /// Larger than the caps ([`KdfParams::MAX_M_COST_KIB`], [`KdfParams::MAX_T_COST`],
    /// [`KdfParams::MAX_P_COST`]); the caps stop a tampered key file from making an unlock
    /// allocate unbounded memory or run forever.
    #[error("Argon2id parameters are above the allowed maximum")]
    AboveMaximum,
    /// Not valid Argon2id parameters at all (for example zero passes or too little memory
    /// for the lanes).
    #[error("invalid Argon2id parameters")]
    Invalid,
}

/// Argon2id cost parameters: memory in KiB, passes, lanes.
///
/// Every value of this type is valid Argon2id input within the caps. Values built with
/// [`KdfParams::new`] also meet the production floor; only
/// [`KdfParams::insecure_for_tests`] can build weaker ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl KdfParams {
    /// The production parameters: 256 MiB, 3 passes, 1 lane. About 0.8 s of one core on
    /// the development machine (AMD EPYC, release build), roughly a second on a laptop;
    /// `docs/store.md` has the measurements.
    pub const RECOMMENDED: Self = Self {
        m_cost_kib: 256 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// Least memory accepted by [`KdfParams::new`]: 19 MiB (the OWASP minimum for Argon2id).
    pub const FLOOR_M_COST_KIB: u32 = 19 * 1024;
    /// Fewest passes accepted by [`KdfParams::new`].
    pub const FLOOR_T_COST: u32 = 2;
    /// Most memory ever accepted: 2 GiB.
    pub const MAX_M_COST_KIB: u32 = 2 * 1024 * 1024;
    /// Most passes ever accepted.
    pub const MAX_T_COST: u32 = 64;
    /// Most lanes ever accepted.
    pub const MAX_P_COST: u32 = 16;

    /// Parameters for real profiles.
    ///
    /// # Errors
    /// [`KdfParamsError::BelowFloor`] if weaker than the floor,
    /// [`KdfParamsError::AboveMaximum`] above the caps, [`KdfParamsError::Invalid`] if
    /// Argon2 rejects them.
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, KdfParamsError> {
        let params = Self::within_caps(m_cost_kib, t_cost, p_cost)?;
        if !params.meets_floor() {
            return Err(KdfParamsError::BelowFloor);
        }
        Ok(params)
    }

    /// Parameters for tests only: no floor, so a test can unlock in milliseconds. A profile
    /// created with these is trivially brute-forced; never use them for real data.
    ///
    /// # Errors
    /// [`KdfParamsError::AboveMaximum`] above the caps, [`KdfParamsError::Invalid`] if
    /// Argon2 rejects them.
    ///
    /// Exists only in this crate's own tests and with the cargo feature
    /// `insecure-fast-kdf`; without the feature the store also refuses to create or open a
    /// profile below the floor ([`crate::store::StoreError::BelowKdfFloor`]).
    #[cfg(any(test, feature = "insecure-fast-kdf"))]
    pub fn insecure_for_tests(
        m_cost_kib: u32,
        t_cost: u32,
        p_cost: u32,
    ) -> Result<Self, KdfParamsError> {
        Self::within_caps(m_cost_kib, t_cost, p_cost)
    }

    /// Parameters read back from a key file. The floor is not applied (a file written by
    /// the test constructor must still open); the caps are, because the file is read
    /// before anything in it is authenticated.
    pub(crate) fn from_stored(
        m_cost_kib: u32,
        t_cost: u32,
        p_cost: u32,
    ) -> Result<Self, KdfParamsError> {
        Self::within_caps(m_cost_kib, t_cost, p_cost)
    }

    fn within_caps(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, KdfParamsError> {
        if m_cost_kib > Self::MAX_M_COST_KIB
            || t_cost > Self::MAX_T_COST
            || p_cost > Self::MAX_P_COST
        {
            return Err(KdfParamsError::AboveMaximum);
        }
        Params::new(m_cost_kib, t_cost, p_cost, Some(KEK_LEN))
            .map_err(|_| KdfParamsError::Invalid)?;
        Ok(Self {
            m_cost_kib,
            t_cost,
            p_cost,
        })
    }

    /// Whether these parameters meet the production floor.
    pub fn meets_floor(&self) -> bool {
        self.m_cost_kib >= Self::FLOOR_M_COST_KIB && self.t_cost >= Self::FLOOR_T_COST
    }

    /// Memory cost in KiB.
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Number of passes.
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Number of lanes.
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }
}

const KEK_LEN: usize = 32;

/// Argon2id (version 0x13, RFC 9106) of `passphrase` with `salt` and `params`: a 32-byte
/// key-encryption key.
///
/// Argon2's working memory is zeroized when it is released (the crate's `zeroize` feature).
///
/// # Errors
/// [`CryptoError::Length`] if Argon2 refuses the input: this cannot happen for a valid
/// [`KdfParams`], a 16-byte salt and a passphrase under 4 GiB, except when the memory
/// cannot be allocated.
pub fn derive_kek(
    passphrase: &[u8],
    salt: &[u8; SALT_LEN],
    params: &KdfParams,
) -> Result<Secret<32>, CryptoError> {
    let argon_params = Params::new(
        params.m_cost_kib,
        params.t_cost,
        params.p_cost,
        Some(KEK_LEN),
    )
    .map_err(|_| CryptoError::Length)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; KEK_LEN]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut_slice())
        .map_err(|_| CryptoError::Length)?;
    Ok(Secret::from_bytes(*out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::HEXLOWER;

    fn tiny() -> KdfParams {
        KdfParams::insecure_for_tests(64, 1, 1).unwrap()
    }

    /// Known answers computed with the reference implementation (phc-winner-argon2, through
    /// Python's argon2-cffi `hash_secret_raw(..., type=Type.ID, version=19)`), so a change
    /// of algorithm, version or parameter mapping cannot go unnoticed.
    #[test]
    fn argon2id_matches_reference_implementation() {
        let params = KdfParams::insecure_for_tests(64, 2, 1).unwrap();
        let kek = derive_kek(b"password", b"somesaltsomesalt", &params).unwrap();
        assert_eq!(
            HEXLOWER.encode(kek.expose()),
            "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1",
        );
        let params = KdfParams::insecure_for_tests(256, 3, 2).unwrap();
        let salt: [u8; 16] = core::array::from_fn(|i| i as u8);
        let kek = derive_kek(b"correct horse", &salt, &params).unwrap();
        assert_eq!(
            HEXLOWER.encode(kek.expose()),
            "31fcbb0b415b1d12b072e9a6952b25a39cf166e5cb9ee2be87a45113968f0ece",
        );
    }

    #[test]
    fn output_depends_on_every_input() {
        let base = derive_kek(b"pass", &[1; 16], &tiny()).unwrap();
        assert_eq!(base, derive_kek(b"pass", &[1; 16], &tiny()).unwrap());
        assert_ne!(base, derive_kek(b"pasS", &[1; 16], &tiny()).unwrap());
        assert_ne!(base, derive_kek(b"pass", &[2; 16], &tiny()).unwrap());
        let other = KdfParams::insecure_for_tests(64, 2, 1).unwrap();
        assert_ne!(base, derive_kek(b"pass", &[1; 16], &other).unwrap());
    }

    #[test]
    fn floor_and_caps() {
        assert_eq!(KdfParams::new(1024, 3, 1), Err(KdfParamsError::BelowFloor));
        assert_eq!(
            KdfParams::new(KdfParams::FLOOR_M_COST_KIB, 1, 1),
            Err(KdfParamsError::BelowFloor)
        );
        assert!(KdfParams::new(KdfParams::FLOOR_M_COST_KIB, 2, 1).is_ok());
        assert_eq!(
            KdfParams::new(KdfParams::MAX_M_COST_KIB + 1, 3, 1),
            Err(KdfParamsError::AboveMaximum)
        );
        assert_eq!(
            KdfParams::insecure_for_tests(64, 0, 1),
            Err(KdfParamsError::Invalid)
        );
        assert_eq!(
            KdfParams::insecure_for_tests(64, 1, 17),
            Err(KdfParamsError::AboveMaximum)
        );
        assert!(KdfParams::RECOMMENDED.meets_floor());
        assert_eq!(
            KdfParams::new(
                KdfParams::RECOMMENDED.m_cost_kib(),
                KdfParams::RECOMMENDED.t_cost(),
                KdfParams::RECOMMENDED.p_cost()
            ),
            Ok(KdfParams::RECOMMENDED)
        );
        assert!(!tiny().meets_floor());
    }

    #[test]
    fn passphrase_debug_is_redacted() {
        let p = Passphrase::from("correct horse battery staple");
        let shown = format!("{p:?} {p:#?}");
        assert!(!shown.contains("horse"));
        assert_eq!(format!("{p:?}"), "Passphrase(redacted)");
        assert!(bool::from(
            p.ct_eq(&Passphrase::from("correct horse battery staple"))
        ));
        assert!(!bool::from(p.ct_eq(&Passphrase::from("other"))));
    }
}
