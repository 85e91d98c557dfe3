//! [`ProtocolError`]: why a session ended.

use weft_core::ImportError;

use crate::codec::DecodeError;
use crate::message::CloseCode;
use crate::types::DocId;

/// Why a [`SyncSession`](crate::SyncSession) ended. Returned by
/// [`handle_bytes`](crate::SyncSession::handle_bytes); the session is closed from then on, and
/// a `Close` message telling the peer why is waiting in
/// [`poll_transmit`](crate::SyncSession::poll_transmit). Only this session is affected: the
/// documents and every other session are unchanged (an update is applied whole or not at all).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A message could not be decoded. The peer is broken or hostile.
    #[error("malformed message: {0}")]
    Malformed(#[from] DecodeError),
    /// The first message was not a Weft sync `Hello` (wrong magic): the other end does not
    /// speak this protocol.
    #[error("the peer does not speak the Weft sync protocol: {0}")]
    NotWeft(DecodeError),
    /// The peer speaks another protocol version. Upgrade the older side.
    #[error("the peer speaks sync protocol version {theirs}, this side speaks version {ours}")]
    UnsupportedVersion {
        /// This side's version.
        ours: u32,
        /// The peer's version.
        theirs: u32,
    },
    /// A frame is longer than this side accepts ([`Limits::max_frame_len`](crate::Limits)).
    #[error("frame of {len} bytes is over the limit of {limit}")]
    FrameTooLong {
        /// The length the frame claims.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The peer broke one of this side's [`Limits`](crate::Limits).
    #[error("{what} is {value}, over the limit of {limit}")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The value the peer asked for.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A well-formed message that is not allowed at this point: anything before `Hello`, a
    /// second `Hello`, a message on a channel the peer never opened, changes before this side
    /// opened the document, presence without the capability, parts of an update that overlap.
    #[error("protocol violation: {0}")]
    Violation(&'static str),
    /// The peer sent changes to a document it may only read (see
    /// [`Access::ReadOnly`](crate::Access)). The changes were not applied.
    #[error("the peer sent changes to document {doc}, which it may only read")]
    ReadOnly {
        /// The document.
        doc: DocId,
    },
    /// The document refused an update from the peer (corrupt, impossible, or the pending
    /// buffer is full). The document is unchanged.
    #[error("document {doc} refused an update: {error}")]
    Import {
        /// The document.
        doc: DocId,
        /// Why the document refused it.
        error: ImportError,
    },
    /// The peer closed the session. `code` says why, from the peer's point of view.
    #[error("the peer closed the session ({code:?}): {detail}")]
    Closed {
        /// The peer's reason.
        code: CloseCode,
        /// The peer's detail text.
        detail: String,
    },
}

impl ProtocolError {
    /// The code this side sends in its `Close` message for this error.
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::Malformed(_) | ProtocolError::NotWeft(_) => CloseCode::Malformed,
            ProtocolError::UnsupportedVersion { .. } => CloseCode::UnsupportedVersion,
            ProtocolError::FrameTooLong { .. } | ProtocolError::LimitExceeded { .. } => {
                CloseCode::LimitExceeded
            }
            ProtocolError::Violation(_) => CloseCode::ProtocolViolation,
            ProtocolError::ReadOnly { .. } => CloseCode::ReadOnly,
            ProtocolError::Import { .. } => CloseCode::BadUpdate,
            ProtocolError::Closed { .. } => CloseCode::Normal,
        }
    }
}

/// Why [`SyncSession::open`](crate::SyncSession::open) refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The document is not in the store passed in.
    #[error("the document is not in the document store")]
    NotInStore,
    /// The document is already open on this session.
    #[error("the document is already open on this session")]
    AlreadyOpen,
    /// The session has ended.
    #[error("the session is closed")]
    SessionClosed,
}
