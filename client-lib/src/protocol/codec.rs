//! Fixed-layout byte encoding shared by the protocol's formats.
//!
//! Every Corridor format is a fixed sequence of fields (big-endian integers, fixed-size
//! keys, length-prefixed strings), so a cursor that refuses to read past the end and a
//! check that nothing is left over are all the "parser" needed. Reads never panic.

use std::fmt;

/// The input ended early, had bytes left over, or a length prefix was out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated;

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("input has the wrong length")
    }
}

impl std::error::Error for Truncated {}

/// A cursor over untrusted bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// The next `n` bytes.
    ///
    /// # Errors
    /// [`Truncated`] if fewer than `n` bytes remain.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Truncated> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    ///
    /// # Errors
    /// [`Truncated`] if fewer than `N` bytes remain.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Truncated> {
        self.take(N)?.try_into().map_err(|_| Truncated)
    }

    /// One byte.
    ///
    /// # Errors
    /// [`Truncated`] at the end of input.
    pub fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(self.array::<1>()?[0])
    }

    /// A big-endian `u32`.
    ///
    /// # Errors
    /// [`Truncated`] if fewer than 4 bytes remain.
    pub fn u32(&mut self) -> Result<u32, Truncated> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian `u64`.
    ///
    /// # Errors
    /// [`Truncated`] if fewer than 8 bytes remain.
    pub fn u64(&mut self) -> Result<u64, Truncated> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A byte string with a one-byte length prefix.
    ///
    /// # Errors
    /// [`Truncated`] if the string runs past the end.
    pub fn short_bytes(&mut self) -> Result<&'a [u8], Truncated> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    /// A byte string with a four-byte big-endian length prefix.
    ///
    /// # Errors
    /// [`Truncated`] if the string runs past the end.
    pub fn long_bytes(&mut self) -> Result<&'a [u8], Truncated> {
        let len = usize::try_from(self.u32()?).map_err(|_| Truncated)?;
        self.take(len)
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Everything that is left.
    pub fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// Succeeds only if the whole input was consumed.
    ///
    /// # Errors
    /// [`Truncated`] if bytes are left over.
    pub fn finish(self) -> Result<(), Truncated> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Truncated)
        }
    }
}

/// Appends fields to a buffer. The buffer is the caller's, so a caller writing secrets
/// can hand in a `Zeroizing<Vec<u8>>`.
pub trait Writer {
    /// Appends one byte.
    fn put_u8(&mut self, value: u8);
    /// Appends a big-endian `u32`.
    fn put_u32(&mut self, value: u32);
    /// Appends a big-endian `u64`.
    fn put_u64(&mut self, value: u64);
    /// Appends raw bytes.
    fn put(&mut self, bytes: &[u8]);
    /// Appends a byte string with a one-byte length prefix.
    ///
    /// # Errors
    /// [`Truncated`] if `bytes` is longer than 255 bytes.
    fn put_short_bytes(&mut self, bytes: &[u8]) -> Result<(), Truncated>;
    /// Appends a byte string with a four-byte length prefix.
    ///
    /// # Errors
    /// [`Truncated`] if `bytes` is longer than `u32::MAX` bytes.
    fn put_long_bytes(&mut self, bytes: &[u8]) -> Result<(), Truncated>;
}

impl Writer for Vec<u8> {
    fn put_u8(&mut self, value: u8) {
        self.push(value);
    }
    fn put_u32(&mut self, value: u32) {
        self.extend_from_slice(&value.to_be_bytes());
    }
    fn put_u64(&mut self, value: u64) {
        self.extend_from_slice(&value.to_be_bytes());
    }
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn put_short_bytes(&mut self, bytes: &[u8]) -> Result<(), Truncated> {
        let len = u8::try_from(bytes.len()).map_err(|_| Truncated)?;
        self.push(len);
        self.extend_from_slice(bytes);
        Ok(())
    }
    fn put_long_bytes(&mut self, bytes: &[u8]) -> Result<(), Truncated> {
        let len = u32::try_from(bytes.len()).map_err(|_| Truncated)?;
        self.put_u32(len);
        self.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let mut out = Vec::new();
        out.put_u8(7);
        out.put_u32(0x0102_0304);
        out.put_u64(9);
        out.put_short_bytes(b"abc").unwrap();
        out.put_long_bytes(b"defg").unwrap();
        let mut r = Reader::new(&out);
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32().unwrap(), 0x0102_0304);
        assert_eq!(r.u64().unwrap(), 9);
        assert_eq!(r.short_bytes().unwrap(), b"abc");
        assert_eq!(r.long_bytes().unwrap(), b"defg");
        r.finish().unwrap();

        let mut r = Reader::new(&[0, 0, 0, 9, 1]);
        assert_eq!(r.long_bytes(), Err(Truncated));
        assert_eq!(Reader::new(&[1]).finish(), Err(Truncated));
        assert!(Vec::new().put_short_bytes(&[0u8; 256]).is_err());
    }
}
