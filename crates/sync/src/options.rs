//! [`SessionOptions`] and [`Limits`]: how a session introduces itself and what it accepts.

use crate::types::Capabilities;

/// Bounds on what a peer may make this side hold or process. A peer that breaks one gets
/// [`ProtocolError::LimitExceeded`](crate::ProtocolError::LimitExceeded) or
/// [`ProtocolError::FrameTooLong`](crate::ProtocolError::FrameTooLong) and its session ends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest frame body accepted, in bytes. Announced in `Hello`, so the peer never sends a
    /// larger one. At least [`Limits::MIN_FRAME_LEN`]. Default 1 MiB.
    pub max_frame_len: u64,
    /// Largest piece of an update sent in one message, in bytes; larger updates are split and
    /// interleaved with other documents' messages. Default 16 KiB.
    pub chunk_len: u64,
    /// Largest update accepted, once its parts are put together. Default 256 MiB.
    pub max_update_len: u64,
    /// Most bytes held for updates whose parts have not all arrived, over all documents.
    /// Default 256 MiB.
    pub max_reassembly_bytes: u64,
    /// Most updates being put together at once, over all documents. Default 64.
    pub max_transfers: usize,
    /// Most documents the peer may open on one connection. Default 1,000.
    pub max_documents: usize,
    /// Most presence entries kept per document (one per origin). Default 256.
    pub max_presence_per_doc: usize,
    /// Largest presence payload, in bytes. Default 4 KiB.
    pub max_presence_len: u64,
    /// Longest presence lifetime accepted; longer ones are cut to this, in milliseconds.
    /// Default 10 minutes.
    pub max_presence_ttl_ms: u64,
}

impl Limits {
    /// The smallest `max_frame_len` a peer may announce: every implementation accepts frames
    /// this long, so an `Open` always fits.
    pub const MIN_FRAME_LEN: u64 = 16 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_len: 1 << 20,
            chunk_len: 16 * 1024,
            max_update_len: 256 << 20,
            max_reassembly_bytes: 256 << 20,
            max_transfers: 64,
            max_documents: 1000,
            max_presence_per_doc: 256,
            max_presence_len: 4096,
            max_presence_ttl_ms: 10 * 60 * 1000,
        }
    }
}

/// How a session introduces itself, and its [`Limits`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionOptions {
    /// This peer's identity as the application names it (at most 255 bytes; longer is cut),
    /// sent in `Hello` and reported to the other side in
    /// [`Event::Connected`](crate::Event::Connected). Authenticating it is the transport's job.
    pub identity: Vec<u8>,
    /// Features this side offers.
    pub capabilities: Capabilities,
    /// What this side accepts.
    pub limits: Limits,
}

impl SessionOptions {
    /// Options with this identity and the defaults otherwise.
    pub fn new(identity: impl Into<Vec<u8>>) -> Self {
        SessionOptions {
            identity: identity.into(),
            ..SessionOptions::default()
        }
    }
}
