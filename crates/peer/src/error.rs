//! Errors at the node's boundaries.

use weft_sync::{CloseCode, DocId, ProtocolError};

use crate::identity::{IdentityError, NodeId};
use crate::storage::StorageError;

/// Why a [`Node`](crate::Node) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The identity could not be loaded or created.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Storage failed; the operation's changes are not durable.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored document could not be loaded.
    #[error("stored document {doc} is corrupt: {error}")]
    CorruptDoc {
        /// The document.
        doc: DocId,
        /// The decoder's complaint.
        error: weft_core::ImportError,
    },
    /// No such document on this node.
    #[error("no document {0} on this node")]
    NoSuchDoc(DocId),
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// TLS configuration failed (should not happen with a valid identity).
    #[error("TLS setup: {0}")]
    Tls(String),
    /// The node has shut down.
    #[error("the node has shut down")]
    Stopped,
}

/// Why a connection to a peer ended or was refused. Every connection ends with one of these;
/// it is reported in [`NodeEvent::Disconnected`](crate::NodeEvent::Disconnected) and only that
/// connection is affected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The peer broke the sync protocol (malformed or over-limit message, a read-only peer
    /// writing, ...). This side sent it a `Close` saying why.
    #[error("protocol error: {0}")]
    Protocol(ProtocolError),
    /// The peer closed the session.
    #[error("the peer closed the session ({code:?}): {detail}")]
    PeerClosed {
        /// The peer's reason.
        code: CloseCode,
        /// The peer's text.
        detail: String,
    },
    /// The peer proved a different identity than the one dialled.
    #[error("the peer is {found}, not the expected {expected}")]
    WrongPeer {
        /// The id dialled.
        expected: NodeId,
        /// The id proven.
        found: NodeId,
    },
    /// The peer is not in this node's access rules (or dial list): refused before any data.
    #[error("peer {0} is not known to this node")]
    UnknownPeer(NodeId),
    /// Authentication failed: a bad signature, a missing or invalid client certificate or token,
    /// a disallowed browser Origin.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The transport failed: connection reset, an oversized WebSocket frame, a TLS error,
    /// the peer stopped mid-message or timed out.
    #[error("transport: {0}")]
    Transport(String),
    /// The peer sent a message over this side's size limit (WebSocket: answered with close code
    /// 1009).
    #[error("message too large: {0}")]
    TooLarge(String),
    /// This node closed the connection (shutdown or [`Node::disconnect`](crate::Node::disconnect)).
    #[error("closed by this node")]
    Local,
}
