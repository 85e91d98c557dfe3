//! [`Reader`]: a checked cursor over untrusted bytes.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::varint::{decode_uvarint, unzigzag};
use super::DecodeError;

/// A cursor over a byte slice that checks every read.
///
/// Every method either returns a value and advances, or returns a [`DecodeError`] naming the
/// absolute offset of the problem; none panics or allocates. After an error the position is
/// unspecified and decoding should stop.
///
/// A `Reader` over a section of a larger input (see [`Reader::section`]) can only read within the
/// section, but reports offsets relative to the start of the whole input.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    /// Position of the next byte to read within `data`; never more than `data.len()`.
    pos: usize,
    /// Absolute offset of `data[0]` within the whole input.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole input, at offset 0.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            base: 0,
        }
    }

    /// The absolute offset of the next byte to read.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Whether every byte has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// How many bytes are left to read.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let [byte] = self.array()?;
        Ok(byte)
    }

    /// Reads a little-endian `u32` (four bytes).
    pub(crate) fn u32_le(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }

    /// Reads an unsigned LEB128 integer.
    #[inline]
    pub(crate) fn uvarint(&mut self) -> Result<u64, DecodeError> {
        // Most values in the format are below 128: one byte, no loop.
        if let Some(&byte) = self.data.get(self.pos) {
            if byte < 0x80 {
                self.pos += 1;
                return Ok(u64::from(byte));
            }
        }
        self.uvarint_long()
    }

    /// [`Reader::uvarint`] for a value of more than one byte (or at the end of the input).
    #[inline(never)]
    fn uvarint_long(&mut self) -> Result<u64, DecodeError> {
        let (value, len) = decode_uvarint(self.rest(), self.offset())?;
        self.pos += len;
        Ok(value)
    }

    /// Reads a zigzag-encoded signed integer.
    pub(crate) fn ivarint(&mut self) -> Result<i64, DecodeError> {
        self.uvarint().map(unzigzag)
    }

    /// Reads a `uvarint` and checks that it is at most `limit`: `LimitExceeded` names it `what`.
    ///
    /// Use this for counts that are not bounded by the input size, such as the number of values
    /// in a run-length encoded column, where a few bytes may stand for many values. Use
    /// [`Reader::count`] when each element takes at least one byte.
    pub(crate) fn limited_uvarint(
        &mut self,
        what: &'static str,
        limit: usize,
    ) -> Result<usize, DecodeError> {
        let offset = self.offset();
        let value = self.uvarint()?;
        usize::try_from(value)
            .ok()
            .filter(|&value| value <= limit)
            .ok_or(DecodeError::LimitExceeded {
                offset,
                what,
                value,
                limit: limit as u64,
            })
    }

    /// Reads a `uvarint` count of elements that each take at least one byte, and checks it
    /// against `limit` (`LimitExceeded`) and against the bytes that remain (`UnexpectedEnd`).
    ///
    /// A count that passes is safe for `Vec::with_capacity`: it is at most `limit` and at most
    /// the number of bytes left.
    pub(crate) fn count(&mut self, what: &'static str, limit: usize) -> Result<usize, DecodeError> {
        let count = self.limited_uvarint(what, limit)?;
        if count > self.remaining() {
            return Err(self.end_error(count));
        }
        Ok(count)
    }

    /// Reads the next `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let bytes = self.rest().get(..len).ok_or_else(|| self.end_error(len))?;
        self.pos += len;
        Ok(bytes)
    }

    /// Reads the next `len` bytes as UTF-8 text.
    pub(crate) fn str(&mut self, len: usize) -> Result<&'a str, DecodeError> {
        let offset = self.offset();
        let bytes = self.bytes(len)?;
        std::str::from_utf8(bytes).map_err(|error| DecodeError::InvalidUtf8 {
            offset: offset + error.valid_up_to(),
        })
    }

    /// Reads a `uvarint` byte length, then that many bytes.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len_prefixed_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.count("byte length", usize::MAX)?;
        self.bytes(len)
    }

    /// Splits off the next `len` bytes as a reader of their own, which keeps absolute offsets.
    pub(crate) fn section(&mut self, len: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let data = self.bytes(len)?;
        Ok(Reader { data, pos: 0, base })
    }

    /// Reads a `uvarint` byte length, then splits off that many bytes as a section.
    pub(crate) fn len_prefixed_section(&mut self) -> Result<Reader<'a>, DecodeError> {
        let len = self.count("section length", usize::MAX)?;
        self.section(len)
    }

    /// Checks that every byte has been read.
    pub(crate) fn expect_end(&self) -> Result<(), DecodeError> {
        if !self.is_empty() {
            return Err(DecodeError::TrailingBytes {
                offset: self.offset(),
            });
        }
        Ok(())
    }

    /// The bytes not yet read.
    fn rest(&self) -> &'a [u8] {
        // `pos <= data.len()` always holds, so this never falls back.
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// The error for wanting `len` bytes when fewer remain.
    fn end_error(&self, len: usize) -> DecodeError {
        DecodeError::UnexpectedEnd {
            offset: self.base + self.data.len(),
            needed: len.saturating_sub(self.remaining()),
        }
    }

    /// Reads the next `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let array = *self
            .rest()
            .first_chunk::<N>()
            .ok_or_else(|| self.end_error(N))?;
        self.pos += N;
        Ok(array)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::encoding::writer::Writer;
    use proptest::prelude::*;

    /// One record using every kind of read, as a writer writes it.
    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(7);
        w.uvarint(300);
        w.u32_le(0xdead_beef);
        w.ivarint(-2);
        w.len_prefixed("héllo".as_bytes());
        w.len_prefixed_section(|w| {
            w.uvarint(3);
            w.bytes(&[1, 2, 3]);
        });
        w.into_bytes()
    }

    fn read_sample(r: &mut Reader<'_>) -> Result<(), DecodeError> {
        assert_eq!(r.u8()?, 7);
        assert_eq!(r.uvarint()?, 300);
        assert_eq!(r.u32_le()?, 0xdead_beef);
        assert_eq!(r.ivarint()?, -2);
        let len = r.count("string length", 100)?;
        assert_eq!(r.str(len)?, "héllo");
        let mut section = r.len_prefixed_section()?;
        let count = section.count("items", 10)?;
        assert_eq!(section.bytes(count)?, [1, 2, 3]);
        section.expect_end()?;
        r.expect_end()
    }

    #[test]
    fn reads_what_the_writer_wrote() {
        let bytes = sample();
        let mut r = Reader::new(&bytes);
        read_sample(&mut r).unwrap();
        assert_eq!(r.offset(), bytes.len());
        assert!(r.is_empty());
    }

    #[test]
    fn every_truncation_reports_unexpected_end_where_the_input_ends() {
        let bytes = sample();
        for len in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..len]);
            match read_sample(&mut r) {
                Err(DecodeError::UnexpectedEnd { offset, needed }) => {
                    assert_eq!(offset, len, "prefix of {len} bytes");
                    assert!(
                        needed >= 1 && len + needed <= bytes.len(),
                        "prefix of {len} bytes"
                    );
                }
                other => panic!("prefix of {len} bytes: {other:?}"),
            }
        }
    }

    #[test]
    fn fixed_width_reads_say_how_much_is_missing() {
        for len in 0..4 {
            let bytes = [0xaa; 4];
            assert_eq!(
                Reader::new(&bytes[..len]).u32_le(),
                Err(DecodeError::UnexpectedEnd {
                    offset: len,
                    needed: 4 - len
                })
            );
        }
        assert_eq!(
            Reader::new(&[]).u8(),
            Err(DecodeError::UnexpectedEnd {
                offset: 0,
                needed: 1
            })
        );
        assert_eq!(
            Reader::new(&[1, 2]).bytes(5),
            Err(DecodeError::UnexpectedEnd {
                offset: 2,
                needed: 3
            })
        );
    }

    #[test]
    fn sections_keep_absolute_offsets_and_stop_at_their_end() {
        let bytes = [0xff, 0xff, 0x80, 0x80, 0x01, 0xaa];
        let mut r = Reader::new(&bytes);
        r.bytes(2).unwrap();
        let mut section = r.section(3).unwrap();
        assert_eq!(section.offset(), 2);
        assert_eq!(r.offset(), 5);
        assert_eq!(section.uvarint(), Ok(1 << 14));
        assert_eq!(section.offset(), 5);
        // The byte after the section belongs to the parent, not the section.
        assert_eq!(
            section.u8(),
            Err(DecodeError::UnexpectedEnd {
                offset: 5,
                needed: 1
            })
        );
        assert_eq!(r.u8(), Ok(0xaa));

        // A varint cut off by its section's end.
        let mut r = Reader::new(&bytes);
        r.bytes(2).unwrap();
        let mut section = r.section(2).unwrap();
        assert_eq!(
            section.uvarint(),
            Err(DecodeError::UnexpectedEnd {
                offset: 4,
                needed: 1
            })
        );

        // Nested sections add up their bases.
        let mut r = Reader::new(&bytes);
        r.u8().unwrap();
        let mut outer = r.section(4).unwrap();
        outer.u8().unwrap();
        let inner = outer.section(2).unwrap();
        assert_eq!(inner.offset(), 2);
        assert_eq!(
            inner.expect_end(),
            Err(DecodeError::TrailingBytes { offset: 2 })
        );
    }

    #[test]
    fn errors_inside_a_section_carry_absolute_offsets() {
        let mut w = Writer::new();
        w.bytes(&[0; 3]);
        w.len_prefixed_section(|w| {
            w.u8(0);
            w.bytes(&[b'a', 0xff, b'b']);
            w.bytes(&[0xff; 10]);
        });
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        r.bytes(3).unwrap();
        let mut section = r.len_prefixed_section().unwrap();
        assert_eq!(section.offset(), 4);
        section.u8().unwrap();
        assert_eq!(section.str(3), Err(DecodeError::InvalidUtf8 { offset: 6 }));

        let mut r = Reader::new(&bytes);
        r.bytes(3).unwrap();
        let mut section = r.len_prefixed_section().unwrap();
        section.bytes(4).unwrap();
        assert_eq!(
            section.uvarint(),
            Err(DecodeError::VarintOverflow { offset: 8 })
        );
    }

    #[test]
    fn huge_counts_are_rejected_before_anything_is_allocated() {
        let mut w = Writer::new();
        w.uvarint(u64::MAX);
        let bytes = w.into_bytes();
        assert_eq!(
            Reader::new(&bytes).count("ops", 1 << 20),
            Err(DecodeError::LimitExceeded {
                offset: 0,
                what: "ops",
                value: u64::MAX,
                limit: 1 << 20
            })
        );
        // Within the limit, but more elements than there are bytes left.
        let mut w = Writer::new();
        w.u8(0);
        w.uvarint(1000);
        w.bytes(&[0; 10]);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        r.u8().unwrap();
        assert_eq!(
            r.count("ops", 1 << 20),
            Err(DecodeError::UnexpectedEnd {
                offset: 13,
                needed: 990
            })
        );
        // Exactly as many as there are bytes is fine.
        let mut r = Reader::new(&[3, 0, 0, 0]);
        assert_eq!(r.count("ops", 3), Ok(3));
        // `limited_uvarint` does not look at the remaining input.
        assert_eq!(
            Reader::new(&[0xe8, 0x07]).limited_uvarint("values", 1000),
            Ok(1000)
        );
    }

    #[test]
    fn huge_lengths_are_rejected() {
        let mut w = Writer::new();
        w.uvarint(1 << 60);
        w.bytes(b"abc");
        let bytes = w.into_bytes();
        let end = DecodeError::UnexpectedEnd {
            offset: bytes.len(),
            needed: (1 << 60) - 3,
        };
        assert_eq!(Reader::new(&bytes).len_prefixed_bytes(), Err(end));
        assert_eq!(Reader::new(&bytes).len_prefixed_section().err(), Some(end));
        assert_eq!(
            Reader::new(&[]).bytes(usize::MAX),
            Err(DecodeError::UnexpectedEnd {
                offset: 0,
                needed: usize::MAX
            })
        );
    }

    #[test]
    fn trailing_bytes_are_reported_where_they_start() {
        let mut r = Reader::new(&[1, 2, 3]);
        r.u8().unwrap();
        assert_eq!(
            r.expect_end(),
            Err(DecodeError::TrailingBytes { offset: 1 })
        );
        assert_eq!(r.remaining(), 2);
        r.bytes(2).unwrap();
        assert_eq!(r.expect_end(), Ok(()));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            ops in proptest::collection::vec(0u8..10, 0..16),
        ) {
            let mut r = Reader::new(&bytes);
            for op in ops {
                let before = r.offset();
                let result = match op {
                    0 => r.u8().map(drop),
                    1 => r.u32_le().map(drop),
                    2 => r.uvarint().map(drop),
                    3 => r.ivarint().map(drop),
                    4 => r.count("count", 16).map(drop),
                    5 => r.len_prefixed_bytes().map(drop),
                    6 => r.count("len", 64).and_then(|len| r.str(len)).map(drop),
                    7 => r.len_prefixed_section().and_then(|s| s.expect_end()),
                    8 => r.limited_uvarint("values", 1 << 40).map(drop),
                    _ => r.expect_end(),
                };
                match result {
                    Ok(()) => prop_assert!(r.offset() >= before && r.offset() <= bytes.len()),
                    Err(DecodeError::UnexpectedEnd { offset, .. }) => prop_assert_eq!(offset, bytes.len()),
                    Err(
                        DecodeError::InvalidUtf8 { offset }
                        | DecodeError::VarintOverflow { offset }
                        | DecodeError::LimitExceeded { offset, .. }
                        | DecodeError::TrailingBytes { offset },
                    ) => prop_assert!(offset < bytes.len()),
                    Err(other) => prop_assert!(false, "unexpected error {other:?}"),
                }
                if result.is_err() {
                    break;
                }
            }
        }

        #[test]
        fn written_values_read_back(
            small: u8, word: u32, unsigned: u64, signed: i64,
            text in "\\PC{0,20}",
            prefix in proptest::collection::vec(any::<u8>(), 0..8),
        ) {
            let mut w = Writer::new();
            w.bytes(&prefix);
            w.len_prefixed_section(|w| {
                w.u8(small);
                w.u32_le(word);
                w.uvarint(unsigned);
                w.ivarint(signed);
                w.len_prefixed(text.as_bytes());
            });
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            prop_assert_eq!(r.bytes(prefix.len()).unwrap(), &prefix[..]);
            let mut s = r.len_prefixed_section().unwrap();
            r.expect_end().unwrap();
            prop_assert_eq!(s.u8().unwrap(), small);
            prop_assert_eq!(s.u32_le().unwrap(), word);
            prop_assert_eq!(s.uvarint().unwrap(), unsigned);
            prop_assert_eq!(s.ivarint().unwrap(), signed);
            let bytes = s.len_prefixed_bytes().unwrap();
            prop_assert_eq!(std::str::from_utf8(bytes).unwrap(), text.as_str());
            s.expect_end().unwrap();
        }
    }
}
