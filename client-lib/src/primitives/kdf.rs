//! Hashing and key derivation: SHA-256, SHA-512, HMAC-SHA256, HKDF-SHA256 (RFC 5869).

use super::error::CryptoError;
use super::secret::Secret;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};

/// HKDF-SHA256 (RFC 5869): extract with `salt` (an empty salt means 32 zero bytes, as the
/// RFC says), then expand with `info` to fill `out`.
///
/// # Errors
/// [`CryptoError::Length`] if `out` is longer than 255 × 32 bytes.
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| CryptoError::Length)
}

/// HMAC-SHA256 of `data` under `key` (any key length).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Secret<32> {
    // HMAC accepts keys of any length; the error branch cannot be taken, but we still
    // avoid a panic path by hashing through an empty key in that impossible case.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(data);
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    Secret::from_bytes(tag)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-256 of the concatenation of `parts`, without building the concatenation.
pub fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// SHA-512 of the concatenation of `parts`.
pub fn sha512_parts(parts: &[&[u8]]) -> [u8; 64] {
    let mut hasher = Sha512::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::HEXLOWER;

    fn hex(s: &str) -> Vec<u8> {
        HEXLOWER.decode(s.as_bytes()).unwrap()
    }

    /// RFC 5869 appendix A.1.
    #[test]
    fn rfc5869_case_1() {
        let mut okm = [0u8; 42];
        hkdf_sha256(
            &hex("000102030405060708090a0b0c"),
            &[0x0b; 22],
            &hex("f0f1f2f3f4f5f6f7f8f9"),
            &mut okm,
        )
        .unwrap();
        assert_eq!(
            okm.to_vec(),
            hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
    }

    /// RFC 5869 appendix A.3: zero-length salt and info.
    #[test]
    fn rfc5869_case_3() {
        let mut okm = [0u8; 42];
        hkdf_sha256(&[], &[0x0b; 22], &[], &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
            )
        );
    }

    #[test]
    fn hkdf_rejects_overlong_output() {
        let mut out = vec![0u8; 255 * 32 + 1];
        assert_eq!(
            hkdf_sha256(&[], b"k", b"i", &mut out),
            Err(CryptoError::Length)
        );
    }

    /// RFC 4231 test case 2.
    #[test]
    fn hmac_sha256_known_answer() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            tag.expose().to_vec(),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    #[test]
    fn sha_known_answers() {
        assert_eq!(
            sha256(b"abc").to_vec(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(sha256_parts(&[b"a", b"bc"]), sha256(b"abc"));
        assert_eq!(
            sha512_parts(&[b"ab", b"c"]).to_vec(),
            hex(concat!(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            ))
        );
    }
}
