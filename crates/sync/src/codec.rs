//! The primitive encodings of the wire format: LEB128 varints, length-prefixed byte strings,
//! fixed 8-byte peer ids and version vectors. The reader never panics and never allocates from
//! a length it has not checked against the bytes actually present.

use weft_core::{PeerId, VersionVector};

/// Why the bytes of a message could not be decoded. Offsets count from the start of the
/// message body (the byte after the frame's length prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message ends before the value being read is complete.
    #[error("message ends at byte {offset}, {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// Where the message ended.
        offset: usize,
        /// How many more bytes were needed at least.
        needed: usize,
    },
    /// A varint is longer than ten bytes or does not fit in 64 bits.
    #[error("varint at byte {offset} does not fit in 64 bits")]
    VarintOverflow {
        /// Where the varint starts.
        offset: usize,
    },
    /// The message type byte names no message of this protocol version.
    #[error("unknown message type {0:#04x}")]
    UnknownType(u8),
    /// The message is longer than its fields.
    #[error("{count} unexpected byte(s) after the message's last field")]
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// A text field is not UTF-8.
    #[error("invalid UTF-8 in the text field at byte {offset}")]
    InvalidUtf8 {
        /// Where the text field starts.
        offset: usize,
    },
    /// A field holds a value this protocol version does not allow.
    #[error("invalid {what} at byte {offset}")]
    Invalid {
        /// Where the field starts.
        offset: usize,
        /// Which field, e.g. `"version vector order"`.
        what: &'static str,
    },
}

/// Append `v` as an unsigned LEB128 varint (the shortest form).
pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Number of bytes [`put_uvarint`] writes for `v`.
pub(crate) fn uvarint_len(v: u64) -> usize {
    let bits = 64 - v.max(1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Append a length-prefixed byte string.
pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Append `v` as a zigzag-mapped varint (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...).
pub(crate) fn put_ivarint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Append version vector entries, in increasing peer order: per entry an 8-byte little-endian
/// peer id and a varint count. No count comes first: the entries run to the end of the message.
pub(crate) fn put_entries(out: &mut Vec<u8>, entries: impl Iterator<Item = (PeerId, u64)>) {
    for (peer, n) in entries {
        out.extend_from_slice(&peer.0.to_le_bytes());
        put_uvarint(out, n);
    }
}

/// A cursor over one message body. Every read checks the remaining length first.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn end(&self, needed: usize) -> DecodeError {
        DecodeError::UnexpectedEnd {
            offset: self.bytes.len(),
            needed,
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.pos).ok_or_else(|| self.end(1))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn uvarint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            let low = u64::from(b & 0x7f);
            if i == 9 && low > 1 {
                return Err(DecodeError::VarintOverflow { offset: start });
            }
            v |= low << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::VarintOverflow { offset: start })
    }

    pub(crate) fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.end(n - self.remaining()));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub(crate) fn bytes(
        &mut self,
        max: usize,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let offset = self.pos;
        let len = self.uvarint()?;
        if len > max as u64 {
            return Err(DecodeError::Invalid { offset, what });
        }
        self.take(len as usize)
    }

    /// Everything left: the last field of a message, delimited by the frame length.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        s
    }

    pub(crate) fn str(&mut self, max: usize, what: &'static str) -> Result<&'a str, DecodeError> {
        let offset = self.pos;
        let b = self.bytes(max, what)?;
        std::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8 { offset })
    }

    /// A zigzag-mapped varint.
    pub(crate) fn ivarint(&mut self) -> Result<i64, DecodeError> {
        let v = self.uvarint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// Version vector entries up to the end of the message (see [`put_entries`]). Peers must
    /// strictly increase and counts be non-zero (the canonical form the writer produces, so a
    /// version has one encoding). Every entry takes at least 9 bytes, so what is read is bounded
    /// by the bytes present.
    pub(crate) fn entries(&mut self) -> Result<VersionVector, DecodeError> {
        let offset = self.pos;
        let mut vv = VersionVector::new();
        let mut last: Option<u64> = None;
        while self.remaining() > 0 {
            let peer = u64::from_le_bytes(self.fixed::<8>()?);
            let n = self.uvarint()?;
            if last.is_some_and(|l| l >= peer) || n == 0 {
                return Err(DecodeError::Invalid {
                    offset,
                    what: "version entries (peers must increase, counts must be non-zero)",
                });
            }
            last = Some(peer);
            vv.set(PeerId(peer), n);
        }
        Ok(vv)
    }

    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip_and_length() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            put_uvarint(&mut out, v);
            assert_eq!(out.len(), uvarint_len(v), "length of {v}");
            let mut r = Reader::new(&out);
            assert_eq!(r.uvarint(), Ok(v));
            assert_eq!(r.finish(), Ok(()));
        }
    }

    #[test]
    fn varint_overflow_and_truncation() {
        let too_big = [0xff; 9].iter().chain(&[0x02]).copied().collect::<Vec<_>>();
        assert_eq!(
            Reader::new(&too_big).uvarint(),
            Err(DecodeError::VarintOverflow { offset: 0 })
        );
        assert!(matches!(
            Reader::new(&[0x80, 0x80]).uvarint(),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
    }

    #[test]
    fn ivarint_round_trip() {
        for v in [0, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            put_ivarint(&mut out, v);
            assert_eq!(Reader::new(&out).ivarint(), Ok(v));
        }
    }

    #[test]
    fn entries_round_trip_and_must_be_canonical() {
        let vv: VersionVector = [(PeerId(3), 7), (PeerId(u64::MAX), 1)]
            .into_iter()
            .collect();
        let mut out = Vec::new();
        put_entries(&mut out, vv.iter());
        assert_eq!(Reader::new(&out).entries(), Ok(vv));
        let mut out = Vec::new();
        put_entries(&mut out, [(PeerId(5), 1), (PeerId(3), 1)].into_iter());
        assert!(matches!(
            Reader::new(&out).entries(),
            Err(DecodeError::Invalid { .. })
        ));
        // A truncated entry.
        assert!(matches!(
            Reader::new(&out[..5]).entries(),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
    }
}
