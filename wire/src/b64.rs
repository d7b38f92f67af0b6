//! Binary values in JSON: unpadded base64url strings.
//!
//! [`Bytes`] carries a fixed-size value (ids, keys, signatures) and rejects any other
//! length when decoded; [`Blob`] carries a variable-size value (envelopes, bundle parts).

use data_encoding::BASE64URL_NOPAD;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A fixed-size binary value, serialized as unpadded base64url.
///
/// `Debug` prints only the length: ids and credentials must not reach logs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bytes<const N: usize>(pub [u8; N]);

impl<const N: usize> Bytes<N> {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// Decodes unpadded base64url text of exactly `N` bytes.
    pub fn from_text(text: &str) -> Result<Self, DecodeError> {
        let raw = BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map_err(|_| DecodeError::NotBase64)?;
        let array: [u8; N] = raw.try_into().map_err(|_| DecodeError::WrongLength)?;
        Ok(Self(array))
    }

    /// Encodes as unpadded base64url text.
    pub fn to_text(&self) -> String {
        BASE64URL_NOPAD.encode(&self.0)
    }
}

impl<const N: usize> From<[u8; N]> for Bytes<N> {
    fn from(value: [u8; N]) -> Self {
        Self(value)
    }
}

impl<const N: usize> fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes<{N}>(..)")
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_text(&text).map_err(D::Error::custom)
    }
}

/// A variable-size binary value, serialized as unpadded base64url.
///
/// `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl Blob {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Decodes unpadded base64url text.
    pub fn from_text(text: &str) -> Result<Self, DecodeError> {
        BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map(Self)
            .map_err(|_| DecodeError::NotBase64)
    }

    /// Encodes as unpadded base64url text.
    pub fn to_text(&self) -> String {
        BASE64URL_NOPAD.encode(&self.0)
    }
}

impl From<Vec<u8>> for Blob {
    fn from(value: Vec<u8>) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_text(&text).map_err(D::Error::custom)
    }
}

/// Why a base64url value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not unpadded base64url.
    #[error("not unpadded base64url")]
    NotBase64,
    /// Decoded to the wrong number of bytes.
    #[error("wrong length")]
    WrongLength,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bytes_round_trip_and_reject_other_lengths() {
        let value = Bytes([7u8; 16]);
        let json = serde_json::to_string(&value).unwrap();
        let back: Bytes<16> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value);
        assert!(serde_json::from_str::<Bytes<32>>(&json).is_err());
        assert!(serde_json::from_str::<Bytes<16>>("\"***\"").is_err());
    }

    #[test]
    fn debug_hides_content() {
        let shown = format!("{:?} {:?}", Bytes([0xAB; 4]), Blob(vec![0xAB; 3]));
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".*") {
            let _ = Bytes::<16>::from_text(&text);
            let _ = Blob::from_text(&text);
        }
    }
}
