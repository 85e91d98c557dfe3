//! Small value types of the session API: document ids, time, access rights, capabilities and
//! presence.

use std::fmt;

use weft_core::PeerId;

/// An application-chosen document id: opaque bytes, at most 255 of them, the same on every peer
/// that shares the document. Sent once per connection (in `Open`); later messages name the
/// document by a small channel number instead.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId(Box<[u8]>);

impl DocId {
    /// The id made of `bytes`. Returns `None` when it is longer than 255 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<DocId> {
        let bytes = bytes.into();
        (bytes.len() <= crate::message::MAX_ID_LEN).then(|| DocId(bytes.into_boxed_slice()))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A copy of bytes already checked to be short enough (message decoding checks them).
    pub(crate) fn from_checked(bytes: &[u8]) -> DocId {
        DocId(bytes.into())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

impl fmt::Display for DocId {
    /// UTF-8 ids print as text, others as hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) if !s.chars().any(char::is_control) => write!(f, "{s:?}"),
            _ => self.0.iter().try_for_each(|b| write!(f, "{b:02x}")),
        }
    }
}

/// A point in time in milliseconds, on a clock the application chooses (any monotonic clock;
/// only differences matter). The session never reads a clock: every call that needs the time
/// takes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// `self` plus `ms` milliseconds, saturating at the end of time.
    pub fn after(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

/// What the peer of a session may do with one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// The peer receives the document and its changes, and its own changes are accepted.
    ReadWrite,
    /// The peer receives the document and its changes; changes it sends are refused with
    /// [`ProtocolError::ReadOnly`](crate::ProtocolError::ReadOnly), which ends the session. The
    /// peer is told in `Open`, so an honest peer never sends any.
    ReadOnly,
}

/// Optional protocol features, announced in `Hello`. A feature is used only when both sides
/// announce it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capabilities(pub u64);

impl Capabilities {
    /// Ephemeral presence messages.
    pub const PRESENCE: Capabilities = Capabilities(1);

    /// Live changes as compact updates (`CompactChanges`, `PROTOCOL.md`).
    pub const COMPACT_CHANGES: Capabilities = Capabilities(2);

    /// Updates in `Changes` and `Part`s written against the channel's peer table (chunk kind
    /// 3, `Doc::export_against`, `PROTOCOL.md`).
    pub const TABLE_UPDATES: Capabilities = Capabilities(4);

    /// Everything this version of the crate implements.
    pub const ALL: Capabilities = Capabilities(7);

    /// Whether every feature of `other` is in `self`.
    pub fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// The features in both.
    pub fn intersect(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 & other.0)
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::ALL
    }
}

/// One user's ephemeral state in one document: a cursor, a selection, a name and colour, in
/// whatever encoding the application picks. Never stored in the document's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presence {
    /// Whose presence: usually the [`PeerId`] of the user's document session.
    pub origin: PeerId,
    /// Rises with every update from `origin`. Receivers ignore an update whose `seq` is not
    /// higher than the last one they saw, so relayed and replayed copies never move a cursor
    /// back, and a relay loop dies out.
    pub seq: u64,
    /// How long, in milliseconds after it arrives, the presence stays valid unless renewed.
    /// Zero means "gone now" (the user left).
    pub ttl_ms: u64,
    /// The application's bytes.
    pub payload: Vec<u8>,
}
