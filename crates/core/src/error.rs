//! Errors at the library boundary. Decoding errors live in [`crate::DecodeError`].

use crate::encoding::DecodeError;
use crate::id::OpId;

/// A local edit was refused. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The position is past the end of the text.
    #[error("position {pos} is past the end of the text (length {len})")]
    OutOfBounds {
        /// The position given, in the document's unit.
        pos: usize,
        /// The text's length in the document's unit.
        len: usize,
    },
    /// The position falls inside a character (a UTF-16 surrogate pair or a multi-byte UTF-8
    /// sequence).
    #[error("position {pos} is not on a character boundary")]
    NotOnBoundary {
        /// The position given, in the document's unit.
        pos: usize,
    },
    /// A new container would be nested deeper than [`Limits::max_depth`](crate::Limits).
    #[error("containers may not be nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: u32,
    },
}

/// Bytes given to [`Doc::import`](crate::Doc::import) or [`Doc::load`](crate::Doc::load) were
/// refused. The document is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The bytes are not a valid Weft document or update.
    #[error("malformed input: {0}")]
    Decode(#[from] DecodeError),
    /// An operation's position is impossible at the version it was made on, or it would nest
    /// containers deeper than the limit (a corrupt or malicious update; honest peers never
    /// produce one).
    #[error(
        "operation {op} has a position outside its text or list at its version, or nests too deep"
    )]
    InvalidOperation {
        /// The offending operation.
        op: OpId,
    },
    /// An operation names a parent that is neither known nor in the same update, and the
    /// pending buffer has no room to wait for it.
    #[error(
        "pending buffer full: {pending} operations wait for missing dependencies (limit {limit})"
    )]
    PendingFull {
        /// Operations waiting.
        pending: usize,
        /// The configured limit ([`DocOptions::max_pending_ops`](crate::DocOptions)).
        limit: usize,
    },
    /// The same operation id arrived with different content or parents: two sessions used
    /// the same peer id, or the data is corrupt.
    #[error("operation {op} conflicts with a different operation with the same id")]
    Conflict {
        /// The id used twice.
        op: OpId,
    },
}

/// A version given to a history method ([`Doc::fork_at`](crate::Doc::fork_at) and friends) was
/// refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The version names an operation this document does not have.
    #[error("operation {op} is not in this document")]
    Unknown {
        /// The unknown operation.
        op: OpId,
    },
    /// Replaying the history up to the version failed: the document's own operations did not
    /// apply (an internal inconsistency; please report it).
    #[error("the history up to this version could not be replayed")]
    Replay,
}
