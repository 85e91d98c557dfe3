//! The unit of exchange: a set of operation spans with their causal parents, in the shape the
//! binary format stores (see `FORMAT.md`). Full documents and incremental updates are both
//! change sets; they differ only in their [`ChunkKind`].

use crate::containers::Prop;
use crate::id::{OpId, PeerId};
use crate::op_log::OpKind;
use crate::unit::byte_len_of_chars;
use crate::value::{ContainerId, Stored};

/// What a chunk of bytes holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkKind {
    /// The whole history of a document ([`Doc::save`](crate::Doc::save)).
    Document,
    /// The operations another replica lacks ([`Doc::export_since`](crate::Doc::export_since)).
    Update,
}

/// Consecutive operations of one peer, of one kind, on one container, where each operation after
/// the first has the previous one as its only parent.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Span {
    pub(crate) peer: PeerId,
    pub(crate) seq: u64,
    pub(crate) len: usize,
    /// Parents of the first operation, sorted.
    pub(crate) parents: Vec<OpId>,
    /// Index into [`ChangeSet::containers`].
    pub(crate) container: u32,
    /// Sequence operations (text and list): insert or delete. `Insert` for map and counter
    /// operations (see `body`).
    pub(crate) kind: OpKind,
    pub(crate) pos: usize,
    /// Deletes: forward (`true`) or backspace (`false`). Always `true` for inserts.
    pub(crate) fwd: bool,
    /// Text inserts: the inserted text (`len` chars). Empty otherwise.
    pub(crate) text: String,
    /// What else the operations carry.
    pub(crate) body: SpanBody,
}

/// The payload of a span besides its text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SpanBody {
    /// Text inserts and deletes, and list deletes: nothing more.
    Seq,
    /// A list insert: the `len` values inserted.
    Values(Vec<Stored>),
    /// One map or counter operation (`len` is 1).
    Prop(Prop),
}

impl Span {
    /// The span without its first `k` operations (`0 < k < len`).
    pub(crate) fn skip(&self, k: usize) -> Span {
        let mut s = self.clone();
        s.seq += k as u64;
        s.len -= k;
        s.parents = vec![OpId {
            peer: self.peer,
            seq: self.seq + k as u64 - 1,
        }];
        match (self.kind, self.fwd) {
            (OpKind::Insert, _) => {
                s.pos += k;
                let cut = byte_len_of_chars(&self.text, k).unwrap_or(self.text.len());
                s.text = self.text[cut..].to_owned();
                if let SpanBody::Values(v) = &mut s.body {
                    v.drain(..k.min(v.len()));
                }
            }
            (OpKind::Delete, true) => {}
            (OpKind::Delete, false) => s.pos -= k,
        }
        s
    }
}

/// Metadata of a change (a committed transaction) that carries a message or a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangeMeta {
    /// First operation of the change.
    pub(crate) start: OpId,
    /// Number of operations.
    pub(crate) len: u64,
    /// Milliseconds since the Unix epoch, as given by the application.
    pub(crate) time: Option<i64>,
    pub(crate) message: Option<String>,
}

/// A decoded or to-be-encoded chunk.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChangeSet {
    pub(crate) kind: ChunkKind,
    /// The containers the spans refer to.
    pub(crate) containers: Vec<ContainerId>,
    /// Spans in causal order (every parent precedes its children or is outside the set).
    pub(crate) spans: Vec<Span>,
    pub(crate) metas: Vec<ChangeMeta>,
    /// Documents whose containers are all texts only: the text of every container (same order as
    /// `containers`) at the version the spans lead to, so a loader can skip replaying them.
    /// `None` in updates.
    pub(crate) state: Option<Vec<String>>,
}
