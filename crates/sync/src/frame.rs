//! Splitting the received byte stream into frames (`PROTOCOL.md`, "Framing").
//!
//! A frame is a varint body length followed by the body. The transport may deliver bytes in any
//! pieces; [`FrameBuffer`] keeps the incomplete tail and hands out whole bodies. A length over
//! the limit is refused as soon as its varint is read, before any of the body is buffered, so a
//! peer can never make the buffer grow past `max_frame_len` plus one varint.

use crate::codec::{DecodeError, Reader};

/// Why the byte stream could not be split into frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The length prefix is not a valid varint.
    BadLength(DecodeError),
    /// The frame is longer than allowed.
    TooLong { len: u64, limit: u64 },
}

/// Received bytes not yet consumed as whole frames.
#[derive(Debug, Default)]
pub(crate) struct FrameBuffer {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out.
    start: usize,
}

impl FrameBuffer {
    /// Append received bytes.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame body, if the buffer holds one.
    pub(crate) fn next_frame(&mut self, max_len: u64) -> Result<Option<&[u8]>, FrameError> {
        let pending = &self.buf[self.start..];
        let mut r = Reader::new(pending);
        let len = match r.uvarint() {
            Ok(len) => len,
            // An incomplete varint: wait for more bytes (at most 10 are ever needed).
            Err(DecodeError::UnexpectedEnd { .. }) => {
                self.compact();
                return Ok(None);
            }
            Err(e) => return Err(FrameError::BadLength(e)),
        };
        if len > max_len {
            return Err(FrameError::TooLong {
                len,
                limit: max_len,
            });
        }
        let header = r.pos();
        // `len <= max_len`, which the session keeps far below usize::MAX.
        let len = len as usize;
        if pending.len() - header < len {
            self.compact();
            return Ok(None);
        }
        let from = self.start + header;
        self.start = from + len;
        Ok(Some(&self.buf[from..from + len]))
    }

    /// Bytes held for an incomplete frame.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Drop consumed bytes so the buffer holds at most one incomplete frame.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_across_pushes() {
        let mut stream = vec![3, b'a', b'b', b'c', 0, 1];
        stream.push(b'z');
        for split in 0..stream.len() {
            let mut fb = FrameBuffer::default();
            let mut got = Vec::new();
            for part in [&stream[..split], &stream[split..]] {
                fb.push(part);
                while let Some(f) = fb.next_frame(16).expect("valid frames") {
                    got.push(f.to_vec());
                }
            }
            assert_eq!(
                got,
                vec![b"abc".to_vec(), vec![], b"z".to_vec()],
                "split {split}"
            );
            assert_eq!(fb.buffered(), 0);
        }
    }

    #[test]
    fn too_long_is_refused_before_the_body_arrives() {
        let mut fb = FrameBuffer::default();
        fb.push(&[0x80, 0x80, 0x04]);
        assert_eq!(
            fb.next_frame(1000),
            Err(FrameError::TooLong {
                len: 65536,
                limit: 1000
            })
        );
    }
}
