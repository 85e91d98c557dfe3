//! The messages of protocol version 2 and their encoding (`PROTOCOL.md`, "Messages").
//!
//! [`Message::decode`] reads one message body; [`Message::encode_frame`] writes one complete
//! frame (length prefix and body). Decoded messages borrow their byte fields from the input,
//! so a large update is never copied before it reaches the document.

use weft_core::{PeerId, VersionVector};

use crate::codec::{put_bytes, put_entries, put_uvarint, DecodeError, Reader};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 2;

/// The four bytes every `Hello` starts with, so a peer that is not speaking this protocol is
/// recognised at once.
pub const MAGIC: [u8; 4] = *b"WFTS";

/// Longest document id, peer identity and close detail, in bytes.
pub const MAX_ID_LEN: usize = 255;

/// Longest close detail text, in bytes.
pub const MAX_DETAIL_LEN: usize = 255;

const HELLO: u8 = 1;
const OPEN: u8 = 2;
const DECLINE: u8 = 3;
const CHANGES: u8 = 4;
const PART: u8 = 5;
const ACK: u8 = 6;
const PRESENCE: u8 = 7;
const CLOSE: u8 = 8;
const COMPACT_CHANGES: u8 = 9;
const ANSWER: u8 = 10;

/// One protocol message, as decoded from a frame body. Channels are numbers the *sender* chose
/// for a document in its `Open`, except in `Decline`, which names the receiver's channel.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message<'a> {
    /// First message in each direction.
    Hello(Hello<'a>),
    /// The sender syncs document `doc` on its channel `channel`; `version` is its version of it.
    Open {
        /// The sender's number for the document in later messages.
        channel: u64,
        /// Whether the receiver's changes to this document will be accepted.
        may_write: bool,
        /// The application's document id.
        doc: &'a [u8],
        /// The sender's version of the document.
        version: VersionVector,
    },
    /// Like `Open`, for a document the receiver has already opened: the sender syncs the
    /// receiver's channel `to`, and writes its version relative to the version of the receiver's
    /// `Open` (so the document id and the peers the receiver named are not repeated).
    Answer {
        /// The sender's number for the document in later messages.
        channel: u64,
        /// Whether the receiver's changes to this document will be accepted.
        may_write: bool,
        /// The receiver's channel: the `Open` this answers.
        to: u64,
        /// The sender's version, in the dense relative form against the version of the
        /// receiver's `Open` (`PROTOCOL.md`, "Relative versions"); the session reads it.
        version: &'a [u8],
    },
    /// The sender will not sync the document the receiver opened as `channel`.
    Decline {
        /// The receiver's channel.
        channel: u64,
        /// Why.
        reason: DeclineReason,
    },
    /// A complete update for the document (the output of `Doc::export_since`).
    Changes {
        /// The sender's channel.
        channel: u64,
        /// The update.
        update: &'a [u8],
    },
    /// A piece of an update too large for one message.
    Part {
        /// The sender's channel.
        channel: u64,
        /// Which update: numbered by the sender, per channel.
        transfer: u64,
        /// The whole update's length in bytes.
        total: u64,
        /// Where `data` goes in the update.
        offset: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// The sender has stored these operations durably (entries only rise; the receiver keeps the
    /// maximum per peer).
    Ack {
        /// The sender's channel.
        channel: u64,
        /// Entries of the sender's durable version that rose since its last `Ack`, in the sparse
        /// relative form against the channel's base; empty for the base itself
        /// (`PROTOCOL.md`, "Relative versions"); the session reads it.
        durable: &'a [u8],
    },
    /// Ephemeral state (cursor, name, colour) of user `origin`, never stored in the document.
    Presence {
        /// The sender's channel.
        channel: u64,
        /// Whose presence this is.
        origin: PeerId,
        /// Rises with every update from `origin`; older updates are ignored.
        seq: u64,
        /// Milliseconds until it expires, from its arrival.
        ttl_ms: u64,
        /// Application-defined bytes.
        payload: &'a [u8],
    },
    /// A small update as a compact update (the output of `Doc::export_compact` against the
    /// channel's peer table). Only sent when both sides announced
    /// [`Capabilities::COMPACT_CHANGES`](crate::Capabilities::COMPACT_CHANGES).
    CompactChanges {
        /// The sender's channel.
        channel: u64,
        /// The compact update.
        update: &'a [u8],
    },
    /// The sender ends the session.
    Close {
        /// Why.
        code: CloseCode,
        /// Human-readable detail, for logs.
        detail: &'a str,
    },
}

/// The handshake message's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello<'a> {
    /// The sender's protocol version. When it is not [`PROTOCOL_VERSION`], the other fields
    /// are not read (a newer version may lay them out differently) and are zero/empty.
    pub version: u32,
    /// Capability bits ([`Capabilities`](crate::Capabilities)); unknown bits are ignored.
    pub capabilities: u64,
    /// The largest frame body the sender accepts. Sent as a power of two: the largest one not
    /// above this value.
    pub max_frame_len: u64,
    /// The sender's identity, as its application gave it (at most 255 bytes).
    pub identity: &'a [u8],
}

/// Why a peer declined to sync a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeclineReason {
    /// The peer does not have the document.
    NotFound,
    /// The peer has it but does not let this peer see it.
    NotAllowed,
    /// A reason this version does not know.
    Other(u64),
}

impl DeclineReason {
    fn code(self) -> u64 {
        match self {
            DeclineReason::NotFound => 1,
            DeclineReason::NotAllowed => 2,
            DeclineReason::Other(c) => c,
        }
    }

    fn from_code(c: u64) -> Self {
        match c {
            1 => DeclineReason::NotFound,
            2 => DeclineReason::NotAllowed,
            c => DeclineReason::Other(c),
        }
    }
}

/// Why a session was closed, as sent in a `Close` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    /// The application closed the session; nothing went wrong.
    Normal,
    /// A message could not be decoded.
    Malformed,
    /// The peers speak no common protocol version.
    UnsupportedVersion,
    /// A message broke a limit.
    LimitExceeded,
    /// The peer sent changes to a document it may only read.
    ReadOnly,
    /// A message was valid but not allowed in the session's state.
    ProtocolViolation,
    /// The document refused an update.
    BadUpdate,
    /// A code this version does not know.
    Other(u64),
}

impl CloseCode {
    pub(crate) fn code(self) -> u64 {
        match self {
            CloseCode::Normal => 0,
            CloseCode::Malformed => 1,
            CloseCode::UnsupportedVersion => 2,
            CloseCode::LimitExceeded => 3,
            CloseCode::ReadOnly => 4,
            CloseCode::ProtocolViolation => 5,
            CloseCode::BadUpdate => 6,
            CloseCode::Other(c) => c,
        }
    }

    fn from_code(c: u64) -> Self {
        match c {
            0 => CloseCode::Normal,
            1 => CloseCode::Malformed,
            2 => CloseCode::UnsupportedVersion,
            3 => CloseCode::LimitExceeded,
            4 => CloseCode::ReadOnly,
            5 => CloseCode::ProtocolViolation,
            6 => CloseCode::BadUpdate,
            c => CloseCode::Other(c),
        }
    }
}

impl<'a> Message<'a> {
    /// Decode one message body (a frame without its length prefix). Never panics; allocates
    /// only for version vectors, after checking their size against the bytes present.
    pub fn decode(body: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        let mut r = Reader::new(body);
        let kind = r.u8()?;
        let msg = match kind {
            HELLO => {
                let offset = r.pos();
                if r.fixed::<4>()? != MAGIC {
                    return Err(DecodeError::Invalid {
                        offset,
                        what: "magic (not a Weft sync peer)",
                    });
                }
                let offset = r.pos();
                let version = u32::try_from(r.uvarint()?).map_err(|_| DecodeError::Invalid {
                    offset,
                    what: "protocol version",
                })?;
                if version != PROTOCOL_VERSION {
                    // Only the magic and the version are common to every protocol version.
                    return Ok(Message::Hello(Hello {
                        version,
                        capabilities: 0,
                        max_frame_len: 0,
                        identity: &[],
                    }));
                }
                let capabilities = r.uvarint()?;
                let offset = r.pos();
                let exponent = r.u8()?;
                if exponent > 63 {
                    return Err(DecodeError::Invalid {
                        offset,
                        what: "frame length exponent",
                    });
                }
                let offset = r.pos();
                let identity = r.rest();
                if identity.len() > MAX_ID_LEN {
                    return Err(DecodeError::Invalid {
                        offset,
                        what: "identity length",
                    });
                }
                Message::Hello(Hello {
                    version,
                    capabilities,
                    max_frame_len: 1 << exponent,
                    identity,
                })
            }
            OPEN => {
                let (channel, may_write) = split_head(r.uvarint()?);
                let doc = r.bytes(MAX_ID_LEN, "document id length")?;
                let version = r.entries()?;
                Message::Open {
                    channel,
                    may_write,
                    doc,
                    version,
                }
            }
            ANSWER => {
                let (channel, may_write) = split_head(r.uvarint()?);
                Message::Answer {
                    channel,
                    may_write,
                    to: r.uvarint()?,
                    version: r.rest(),
                }
            }
            DECLINE => Message::Decline {
                channel: r.uvarint()?,
                reason: DeclineReason::from_code(r.uvarint()?),
            },
            CHANGES => Message::Changes {
                channel: r.uvarint()?,
                update: r.rest(),
            },
            PART => Message::Part {
                channel: r.uvarint()?,
                transfer: r.uvarint()?,
                total: r.uvarint()?,
                offset: r.uvarint()?,
                data: r.rest(),
            },
            ACK => Message::Ack {
                channel: r.uvarint()?,
                durable: r.rest(),
            },
            PRESENCE => Message::Presence {
                channel: r.uvarint()?,
                origin: PeerId(u64::from_le_bytes(r.fixed::<8>()?)),
                seq: r.uvarint()?,
                ttl_ms: r.uvarint()?,
                payload: r.rest(),
            },
            CLOSE => Message::Close {
                code: CloseCode::from_code(r.uvarint()?),
                detail: r.str(MAX_DETAIL_LEN, "close detail length")?,
            },
            COMPACT_CHANGES => Message::CompactChanges {
                channel: r.uvarint()?,
                update: r.rest(),
            },
            other => return Err(DecodeError::UnknownType(other)),
        };
        r.finish()?;
        Ok(msg)
    }

    /// Append this message's body to `out`.
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Message::Hello(h) => {
                out.push(HELLO);
                out.extend_from_slice(&MAGIC);
                put_uvarint(out, u64::from(h.version));
                put_uvarint(out, h.capabilities);
                out.push(63 - h.max_frame_len.max(1).leading_zeros() as u8);
                out.extend_from_slice(h.identity);
            }
            Message::Open {
                channel,
                may_write,
                doc,
                version,
            } => {
                out.push(OPEN);
                put_uvarint(out, head(*channel, *may_write));
                put_bytes(out, doc);
                put_entries(out, version.iter());
            }
            Message::Answer {
                channel,
                may_write,
                to,
                version,
            } => {
                out.push(ANSWER);
                put_uvarint(out, head(*channel, *may_write));
                put_uvarint(out, *to);
                out.extend_from_slice(version);
            }
            Message::Decline { channel, reason } => {
                out.push(DECLINE);
                put_uvarint(out, *channel);
                put_uvarint(out, reason.code());
            }
            Message::Changes { channel, update } => {
                out.push(CHANGES);
                put_uvarint(out, *channel);
                out.extend_from_slice(update);
            }
            Message::CompactChanges { channel, update } => {
                out.push(COMPACT_CHANGES);
                put_uvarint(out, *channel);
                out.extend_from_slice(update);
            }
            Message::Part {
                channel,
                transfer,
                total,
                offset,
                data,
            } => {
                out.push(PART);
                put_uvarint(out, *channel);
                put_uvarint(out, *transfer);
                put_uvarint(out, *total);
                put_uvarint(out, *offset);
                out.extend_from_slice(data);
            }
            Message::Ack { channel, durable } => {
                out.push(ACK);
                put_uvarint(out, *channel);
                out.extend_from_slice(durable);
            }
            Message::Presence {
                channel,
                origin,
                seq,
                ttl_ms,
                payload,
            } => {
                out.push(PRESENCE);
                put_uvarint(out, *channel);
                out.extend_from_slice(&origin.0.to_le_bytes());
                put_uvarint(out, *seq);
                put_uvarint(out, *ttl_ms);
                out.extend_from_slice(payload);
            }
            Message::Close { code, detail } => {
                out.push(CLOSE);
                put_uvarint(out, code.code());
                // Cut at a character boundary so the text stays valid UTF-8 within the limit.
                let mut end = detail.len().min(MAX_DETAIL_LEN);
                while !detail.is_char_boundary(end) {
                    end -= 1;
                }
                put_bytes(out, &detail.as_bytes()[..end]);
            }
        }
    }

    /// This message as one frame: the body's length as a varint, then the body.
    pub fn encode_frame(&self) -> Vec<u8> {
        let mut body = Vec::new();
        self.encode_body(&mut body);
        let mut frame = Vec::with_capacity(body.len() + 10);
        put_uvarint(&mut frame, body.len() as u64);
        frame.extend_from_slice(&body);
        frame
    }
}

/// The first field of `Open` and `Answer`: the channel and the write flag in one varint
/// (`channel · 2 + may_write`; channels are below 2^63).
fn head(channel: u64, may_write: bool) -> u64 {
    (channel << 1) | u64::from(may_write)
}

fn split_head(head: u64) -> (u64, bool) {
    (head >> 1, head & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vv(entries: &[(u64, u64)]) -> VersionVector {
        entries.iter().map(|&(p, n)| (PeerId(p), n)).collect()
    }

    fn samples() -> Vec<Message<'static>> {
        vec![
            Message::Hello(Hello {
                version: PROTOCOL_VERSION,
                capabilities: 1,
                max_frame_len: 1 << 20,
                identity: b"alice",
            }),
            Message::Open {
                channel: 3,
                may_write: true,
                doc: b"notes/today",
                version: vv(&[(1, 5), (u64::MAX, 2)]),
            },
            Message::Decline {
                channel: 0,
                reason: DeclineReason::NotAllowed,
            },
            Message::Changes {
                channel: 300,
                update: b"update bytes",
            },
            Message::CompactChanges {
                channel: 5,
                update: &[0, 1, 0],
            },
            Message::Part {
                channel: 1,
                transfer: 7,
                total: 100_000,
                offset: 65_536,
                data: &[1, 2, 3],
            },
            Message::Ack {
                channel: 2,
                durable: &[1, 0, 2],
            },
            Message::Ack {
                channel: 2,
                durable: &[],
            },
            Message::Answer {
                channel: 4,
                may_write: false,
                to: 1,
                version: &[0xd0, 0x0f],
            },
            Message::Presence {
                channel: 0,
                origin: PeerId(42),
                seq: 3,
                ttl_ms: 30_000,
                payload: b"{\"cursor\":4}",
            },
            Message::Close {
                code: CloseCode::Other(99),
                detail: "bye",
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for m in samples() {
            let frame = m.encode_frame();
            let mut r = Reader::new(&frame);
            let len = r.uvarint().expect("length prefix") as usize;
            assert_eq!(len, r.remaining(), "length prefix of {m:?}");
            assert_eq!(Message::decode(r.rest()).as_ref(), Ok(&m));
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        for m in samples() {
            let mut body = Vec::new();
            m.encode_body(&mut body);
            for cut in 0..body.len() {
                let short = &body[..cut];
                // Messages whose last field is "the rest" decode when cut inside that field,
                // but never as the same message.
                if let Ok(other) = Message::decode(short) {
                    assert_ne!(other, m, "cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn trailing_bytes_and_unknown_types_are_refused() {
        let mut body = Vec::new();
        Message::Decline {
            channel: 1,
            reason: DeclineReason::NotFound,
        }
        .encode_body(&mut body);
        body.push(0);
        assert_eq!(
            Message::decode(&body),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
        assert_eq!(
            Message::decode(&[0x7f]),
            Err(DecodeError::UnknownType(0x7f))
        );
    }

    #[test]
    fn frame_limits_are_announced_as_powers_of_two() {
        let hello = |max_frame_len| {
            Message::Hello(Hello {
                version: PROTOCOL_VERSION,
                capabilities: 3,
                max_frame_len,
                identity: b"a",
            })
            .encode_frame()
        };
        let frame = hello(1 << 20);
        assert_eq!(
            frame.len(),
            10,
            "length, type, magic, version, capabilities, limit, id"
        );
        let announced = |frame: &[u8]| match Message::decode(&frame[1..]) {
            Ok(Message::Hello(h)) => h.max_frame_len,
            other => panic!("expected a hello, got {other:?}"),
        };
        assert_eq!(announced(&frame), 1 << 20);
        assert_eq!(announced(&hello((1 << 20) + 5)), 1 << 20, "rounded down");
        let mut bad = frame.clone();
        bad[8] = 64;
        assert!(Message::decode(&bad[1..]).is_err());
    }

    #[test]
    fn a_newer_hello_reads_only_magic_and_version() {
        let body = [HELLO, b'W', b'F', b'T', b'S', 9, 0xff, 0xff];
        match Message::decode(&body) {
            Ok(Message::Hello(h)) => assert_eq!(h.version, 9),
            other => panic!("expected a hello, got {other:?}"),
        }
    }

    #[test]
    fn close_detail_is_cut_on_a_char_boundary() {
        let long = "é".repeat(200);
        let frame = Message::Close {
            code: CloseCode::Normal,
            detail: &long,
        }
        .encode_frame();
        let mut r = Reader::new(&frame);
        r.uvarint().expect("length prefix");
        match Message::decode(r.rest()) {
            Ok(Message::Close { detail, .. }) => assert_eq!(detail.len(), 254),
            other => panic!("expected a close, got {other:?}"),
        }
    }
}
