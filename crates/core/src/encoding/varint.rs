//! Variable-length integers: unsigned LEB128 (`uvarint`) and zigzag-mapped signed integers
//! (`ivarint`).
//!
//! A `uvarint` stores a `u64` seven bits at a time, least significant group first; every byte but
//! the last has its high bit (`0x80`) set. Values below 128 take one byte, `u64::MAX` takes ten.
//! Decoding accepts non-canonical encodings (extra `0x80` groups before a final `0x00`, up to ten
//! bytes in all) but rejects anything that does not fit in 64 bits: an eleventh byte, or a tenth
//! byte above `0x01`.
//!
//! An `ivarint` is the `uvarint` of the zigzag mapping of an `i64` (0, -1, 1, -2, … become
//! 0, 1, 2, 3, …), so small magnitudes of either sign stay short.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::DecodeError;

/// The longest `uvarint`: `ceil(64 / 7)` bytes.
pub(crate) const MAX_UVARINT_LEN: usize = 10;

/// Appends the `uvarint` encoding of `value` to `out`.
pub(crate) fn push_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends the `ivarint` encoding of `value` to `out`.
pub(crate) fn push_ivarint(out: &mut Vec<u8>, value: i64) {
    push_uvarint(out, zigzag(value));
}

/// Decodes one `uvarint` from the start of `input`, returning the value and how many bytes it took.
///
/// `offset` is the absolute position of `input[0]`, used in errors: `UnexpectedEnd` at the end of
/// `input` when it stops inside the integer, `VarintOverflow` at `offset` when the value does not
/// fit in 64 bits.
pub(crate) fn decode_uvarint(input: &[u8], offset: usize) -> Result<(u64, usize), DecodeError> {
    let mut value = 0;
    for (i, &byte) in input.iter().enumerate().take(MAX_UVARINT_LEN) {
        // The tenth byte holds bit 63 only, and may not continue.
        if i == MAX_UVARINT_LEN - 1 && byte > 1 {
            return Err(DecodeError::VarintOverflow { offset });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    // Every byte continued, and there are fewer than ten (a tenth would have ended the loop).
    Err(DecodeError::UnexpectedEnd {
        offset: offset + input.len(),
        needed: 1,
    })
}

/// Maps a signed integer to an unsigned one so that small magnitudes stay small:
/// 0, -1, 1, -2, 2, … become 0, 1, 2, 3, 4, ….
pub(crate) fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub(crate) fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn uvarint(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        push_uvarint(&mut out, value);
        out
    }

    #[test]
    fn known_encodings() {
        assert_eq!(uvarint(0), [0x00]);
        assert_eq!(uvarint(1), [0x01]);
        assert_eq!(uvarint(127), [0x7f]);
        assert_eq!(uvarint(128), [0x80, 0x01]);
        assert_eq!(uvarint(300), [0xac, 0x02]);
        assert_eq!(
            uvarint(u64::MAX),
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        assert_eq!(
            uvarint(1 << 63),
            [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        );

        let mut out = Vec::new();
        push_ivarint(&mut out, -1);
        push_ivarint(&mut out, 1);
        push_ivarint(&mut out, -65);
        assert_eq!(out, [0x01, 0x02, 0x81, 0x01]);
    }

    #[test]
    fn ten_byte_values_decode() {
        let max = uvarint(u64::MAX);
        assert_eq!(decode_uvarint(&max, 0), Ok((u64::MAX, 10)));
        // Bytes after the integer are not part of it.
        let mut longer = uvarint(1 << 63);
        longer.push(0x7f);
        assert_eq!(decode_uvarint(&longer, 0), Ok((1 << 63, 10)));
    }

    #[test]
    fn non_canonical_encodings_are_accepted() {
        assert_eq!(decode_uvarint(&[0x80, 0x00], 0), Ok((0, 2)));
        assert_eq!(decode_uvarint(&[0x81, 0x80, 0x00], 0), Ok((1, 3)));
        let mut padded = [0x80; 10];
        padded[9] = 0x00;
        assert_eq!(decode_uvarint(&padded, 0), Ok((0, 10)));
    }

    #[test]
    fn values_over_64_bits_are_rejected() {
        // Tenth byte carries bit 64.
        let mut too_big = uvarint(u64::MAX);
        too_big[9] = 0x02;
        assert_eq!(
            decode_uvarint(&too_big, 5),
            Err(DecodeError::VarintOverflow { offset: 5 })
        );
        // Eleven bytes, even if the value would be small.
        let mut eleven = [0x80; 11];
        eleven[10] = 0x00;
        assert_eq!(
            decode_uvarint(&eleven, 5),
            Err(DecodeError::VarintOverflow { offset: 5 })
        );
        // An endless run of continuation bytes stops at the tenth.
        assert_eq!(
            decode_uvarint(&[0xff; 100], 0),
            Err(DecodeError::VarintOverflow { offset: 0 })
        );
    }

    #[test]
    fn every_truncation_reports_the_end() {
        let max = uvarint(u64::MAX);
        for len in 0..max.len() {
            assert_eq!(
                decode_uvarint(&max[..len], 100),
                Err(DecodeError::UnexpectedEnd {
                    offset: 100 + len,
                    needed: 1
                }),
                "prefix of {len} bytes"
            );
        }
    }

    #[test]
    fn zigzag_known_values() {
        let pairs = [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (i64::MAX, u64::MAX - 1),
            (i64::MIN, u64::MAX),
        ];
        for (signed, unsigned) in pairs {
            assert_eq!(zigzag(signed), unsigned);
            assert_eq!(unzigzag(unsigned), signed);
        }
    }

    proptest! {
        #[test]
        fn uvarint_round_trips(value: u64, offset in 0usize..1000) {
            let bytes = uvarint(value);
            prop_assert!(bytes.len() <= MAX_UVARINT_LEN);
            // The encoding is as short as possible: 7 bits per byte.
            let bits = 64 - value.leading_zeros() as usize;
            prop_assert_eq!(bytes.len(), bits.div_ceil(7).max(1));
            prop_assert_eq!(decode_uvarint(&bytes, offset), Ok((value, bytes.len())));
        }

        #[test]
        fn ivarint_round_trips(value: i64) {
            let mut bytes = Vec::new();
            push_ivarint(&mut bytes, value);
            let (decoded, len) = decode_uvarint(&bytes, 0).unwrap();
            prop_assert_eq!(len, bytes.len());
            prop_assert_eq!(unzigzag(decoded), value);
        }

        #[test]
        fn zigzag_round_trips(value: u64) {
            prop_assert_eq!(zigzag(unzigzag(value)), value);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            match decode_uvarint(&bytes, 0) {
                Ok((value, len)) => {
                    prop_assert!(len <= bytes.len().min(MAX_UVARINT_LEN));
                    // Re-encoding gives the canonical form, never longer than what was read.
                    prop_assert!(uvarint(value).len() <= len);
                }
                Err(DecodeError::UnexpectedEnd { offset, needed: 1 }) => {
                    prop_assert_eq!(offset, bytes.len());
                }
                Err(DecodeError::VarintOverflow { offset: 0 }) => {}
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }
    }
}
