//! Identifiers: who made an operation ([`PeerId`]) and which one it was ([`OpId`]).

use std::fmt;

/// The identity of one editing session.
///
/// A `PeerId` is a random 64-bit number chosen when a [`Doc`](crate::Doc) is created. Two processes
/// that edit the same document must never share one: if they did, their operations would carry the
/// same ids and replicas could not tell them apart. [`Doc::new`](crate::Doc::new) draws a fresh id
/// from the operating system (feature `getrandom`, on by default); [`Doc::with_peer`](crate::Doc::with_peer)
/// takes one from the caller, who is then responsible for its uniqueness.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({:016x})", self.0)
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The id of one operation: the peer that made it and its sequence number among that peer's
/// operations (starting at 0). Inserting `"hello"` in one call makes five operations with
/// consecutive sequence numbers.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OpId {
    /// The peer that made the operation.
    pub peer: PeerId,
    /// The operation's index among `peer`'s operations.
    pub seq: u64,
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.seq, self.peer)
    }
}
