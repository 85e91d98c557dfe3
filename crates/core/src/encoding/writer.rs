//! [`Writer`]: builds an encoded byte vector, the counterpart of [`Reader`](super::reader::Reader).

use super::varint::{push_ivarint, push_uvarint};

/// A growing byte buffer with one method per primitive of the binary format.
///
/// Each method writes what the [`Reader`](super::reader::Reader) method of the same name reads.
#[derive(Debug, Default, Clone)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub(crate) fn new() -> Self {
        Writer::default()
    }

    /// How many bytes have been written.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The bytes written so far (e.g. to checksum them).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The bytes written.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Writes one byte.
    pub(crate) fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// Writes a little-endian `u32` (four bytes).
    pub(crate) fn u32_le(&mut self, value: u32) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    /// Writes an unsigned LEB128 integer.
    pub(crate) fn uvarint(&mut self, value: u64) {
        push_uvarint(&mut self.buf, value);
    }

    /// Writes a zigzag-encoded signed integer.
    pub(crate) fn ivarint(&mut self, value: i64) {
        push_ivarint(&mut self.buf, value);
    }

    /// Writes `bytes` as they are.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Writes the length of `bytes` as a `uvarint`, then `bytes`.
    pub(crate) fn len_prefixed(&mut self, bytes: &[u8]) {
        self.uvarint(bytes.len() as u64);
        self.bytes(bytes);
    }

    /// Writes whatever `body` writes as a section: its length as a `uvarint`, then its bytes.
    /// [`Reader::len_prefixed_section`] reads it back.
    ///
    /// [`Reader::len_prefixed_section`]: super::reader::Reader::len_prefixed_section
    pub(crate) fn len_prefixed_section<R>(&mut self, body: impl FnOnce(&mut Writer) -> R) -> R {
        let mut section = Writer::new();
        let result = body(&mut section);
        self.len_prefixed(&section.buf);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::Writer;

    #[test]
    fn writes_the_documented_bytes() {
        let mut w = Writer::new();
        w.u8(0xab);
        w.u32_le(0x0102_0304);
        w.uvarint(300);
        w.ivarint(-3);
        w.bytes(b"xy");
        w.len_prefixed(b"hi");
        assert_eq!(w.len(), 13);
        assert_eq!(
            w.as_bytes(),
            [0xab, 0x04, 0x03, 0x02, 0x01, 0xac, 0x02, 0x05, b'x', b'y', 2, b'h', b'i']
        );
    }

    #[test]
    fn sections_are_length_prefixed_and_nest() {
        let mut w = Writer::new();
        let answer = w.len_prefixed_section(|w| {
            w.u8(1);
            w.len_prefixed_section(|w| w.bytes(&[2, 3]));
            42
        });
        assert_eq!(answer, 42);
        assert_eq!(w.into_bytes(), [4, 1, 2, 2, 3]);

        // A long body gets a multi-byte length.
        let mut w = Writer::new();
        w.len_prefixed_section(|w| w.bytes(&[0; 200]));
        let bytes = w.into_bytes();
        assert_eq!(bytes.len(), 202);
        assert_eq!(bytes[..2], [0xc8, 0x01]);
    }
}
