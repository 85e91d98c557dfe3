//! [`Doc`]: a replica of one document.

use std::collections::HashMap;
use std::ops::Range;

use crate::causal_graph::{advance_frontier, CausalGraph, Lv};
use crate::change_set::{ChangeMeta, ChangeSet, ChunkKind, Span, SpanBody};
use crate::containers::{Containers, MapEntry, Prop, PropOp, State, ValueLog};
#[cfg(test)]
use crate::encoding::Limits;
use crate::encoding::{self, ChunkHead, DecodeError, PeerTable};
use crate::error::{EditError, ImportError};
use crate::events::{push_patch, Diff, ListOp, Patch, PatchQueue, Slot};
use crate::id::{OpId, PeerId};
#[cfg(not(target_arch = "wasm32"))]
use crate::lazy_log::{record_span_ops, LazyLog, Recorded};
use crate::merge::{self, TransformedOp};
use crate::op_log::{OpKind, OpLog, OpRun};
use crate::patch::TextPatch;
use crate::pending::Pending;
use crate::rope::Rope;
use crate::transaction::Transaction;
use crate::unit::TextUnit;
pub use crate::value::TextId;
use crate::value::{Container, ContainerId, ContainerKind, CounterId, ListId, MapId, Stored};
use crate::version::{Frontier, VersionVector};

/// [`Doc::save`] stores the texts alongside the history when the history has at least this many
/// spans. The texts cost about a third of the history's size (compressed) and halve the load time
/// of a long history; below this size replaying is fast and the file size matters more.
pub(crate) const STATE_MIN_SPANS: usize = 8192;

#[cfg(not(target_arch = "wasm32"))]
/// Most runs [`Doc::load`] reserves room for before it has read them (a chunk's span count is
/// only bounded by [`Limits::max_spans`](encoding::Limits::max_spans), and a few bytes can claim
/// millions of spans): 2.6 MB of runs.
const RESERVE_RUNS_MAX: usize = 1 << 16;

/// In wasm, where the package's size comes first, the op log is built as a document loads (the
/// deferred build is native only: about 3 KB of gzipped wasm, see `crate::lazy_log`).
#[cfg(target_arch = "wasm32")]
type LazyLog = OpLog;

/// Options for a [`Doc`]. Defaults suit most applications.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DocOptions {
    /// Unit of text positions and lengths in the API and in patches.
    pub unit: TextUnit,
    /// Most operations kept waiting for missing dependencies before imports are refused
    /// with [`ImportError::PendingFull`].
    pub max_pending_ops: usize,
    /// Limits applied when decoding bytes from outside.
    pub limits: encoding::Limits,
}

impl Default for DocOptions {
    fn default() -> Self {
        DocOptions {
            unit: TextUnit::Char,
            max_pending_ops: 1 << 20,
            limits: encoding::Limits::default(),
        }
    }
}

/// What an [`import`](Doc::import) did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Operations newly applied.
    pub applied: usize,
    /// Operations in the input that were already known (duplicates are harmless).
    pub duplicates: usize,
    /// Operations waiting for missing dependencies after this import (all imports so far).
    pub pending: usize,
    /// Per changed text: the change in the document's unit.
    pub patches: Vec<(TextId, TextPatch)>,
    /// Per changed container of any kind (texts included): what changed and where.
    pub changes: Vec<Patch>,
    /// The operations newly applied, per peer: `(peer, range of sequence numbers)`, sorted by
    /// peer, one entry per peer. A peer's operations apply in order, so each range ends at the
    /// number of that peer's operations the document now has: a sync session learns what the
    /// sender of an update has from this, without comparing versions before and after.
    pub applied_ids: Vec<(PeerId, Range<u64>)>,
}

/// A replica of a document: named root texts, their full history, and the state needed to
/// exchange changes with other replicas.
///
/// See the [crate documentation](crate) for the model and an example.
#[derive(Clone, Debug)]
pub struct Doc {
    peer: PeerId,
    pub(crate) options: DocOptions,
    pub(crate) graph: CausalGraph,
    /// Built when first used after [`Doc::load`] (see [`LazyLog`]).
    pub(crate) log: LazyLog,
    /// Heads of the current version (local versions, sorted).
    pub(crate) frontier: Vec<Lv>,
    /// Every container this replica knows, with its current state.
    pub(crate) containers: Containers,
    /// Values written by map, counter and list operations.
    pub(crate) values: ValueLog,
    pub(crate) metas: Vec<ChangeMeta>,
    /// Spans waiting for dependencies.
    pending: Pending,
    /// Patches recorded for [`Doc::take_patches`].
    pub(crate) patch_queue: PatchQueue,
    /// Id indexes of texts that cursors are used on (built on demand).
    pub(crate) text_cursors: crate::text_cursor::TextCursorCache,
    /// Merge trackers kept while the history has more than one head (see [`merge::MergeCache`]).
    merge_cache: merge::MergeCache,
}

impl Doc {
    /// A new empty document with a random peer id from the operating system.
    #[cfg(feature = "getrandom")]
    pub fn new() -> Doc {
        Doc::with_peer(random_peer())
    }

    /// A new empty document editing as `peer`. The caller must make sure no other session
    /// uses the same id (see [`PeerId`]).
    pub fn with_peer(peer: PeerId) -> Doc {
        Doc::with_options(peer, DocOptions::default())
    }

    /// A new empty document with options.
    pub fn with_options(peer: PeerId, options: DocOptions) -> Doc {
        Doc {
            peer,
            options,
            graph: CausalGraph::default(),
            log: LazyLog::default(),
            frontier: Vec::new(),
            containers: Containers::default(),
            values: ValueLog::default(),
            metas: Vec::new(),
            pending: Pending::default(),
            patch_queue: PatchQueue::default(),
            text_cursors: Default::default(),
            merge_cache: merge::MergeCache::default(),
        }
    }

    /// The peer id local edits are made as.
    pub fn peer(&self) -> PeerId {
        self.peer
    }

    pub(crate) fn set_peer(&mut self, peer: PeerId) {
        self.peer = peer;
    }

    /// The limits applied to input from outside (and to nesting depth).
    pub fn limits(&self) -> &encoding::Limits {
        &self.options.limits
    }

    /// The unit of text positions.
    pub fn unit(&self) -> TextUnit {
        self.options.unit
    }

    /// Change the unit of text positions (affects later calls and patches only).
    pub fn set_unit(&mut self, unit: TextUnit) {
        self.options.unit = unit;
    }

    /// The root text called `name`, created empty if it does not exist yet. Root texts exist
    /// on every replica by name: two peers calling `text("body")` edit the same text.
    pub fn text(&mut self, name: &str) -> TextId {
        TextId(self.root(name, ContainerKind::Text))
    }

    /// The root text called `name` if it exists here.
    pub fn get_text(&self, name: &str) -> Option<TextId> {
        self.get_root(name, ContainerKind::Text).map(TextId)
    }

    /// Names of the root texts, in the order this replica learned them.
    pub fn text_names(&self) -> impl Iterator<Item = &str> {
        self.containers.entries.iter().filter_map(|e| match &e.id {
            ContainerId::Root {
                name,
                kind: ContainerKind::Text,
            } => Some(name.as_str()),
            _ => None,
        })
    }

    /// Every root container this replica knows, as (name, kind), in the order it learned them:
    /// roots that operations (local or imported) touched, and roots a handle lookup such as
    /// [`Doc::map`] created here. [`Doc::to_json`] shows the touched ones.
    ///
    /// ```
    /// # use weft_core::{ContainerKind, Doc, PeerId, VersionVector};
    /// let mut a = Doc::with_peer(PeerId(1));
    /// let visits = a.counter("visits");
    /// a.counter_add(visits, 1)?;
    /// let mut b = Doc::with_peer(PeerId(2));
    /// b.text("body");
    /// b.import(&a.export_since(&VersionVector::new()))?;
    /// assert_eq!(
    ///     b.roots().collect::<Vec<_>>(),
    ///     [("body", ContainerKind::Text), ("visits", ContainerKind::Counter)]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn roots(&self) -> impl Iterator<Item = (&str, ContainerKind)> {
        self.containers.entries.iter().filter_map(|e| match &e.id {
            ContainerId::Root { name, kind } => Some((name.as_str(), *kind)),
            ContainerId::Created { .. } => None,
        })
    }

    /// The index of root `name` of `kind`, created if new.
    pub(crate) fn root(&mut self, name: &str, kind: ContainerKind) -> u32 {
        self.containers.get_or_create(&ContainerId::Root {
            name: name.to_owned(),
            kind,
        })
    }

    pub(crate) fn get_root(&self, name: &str, kind: ContainerKind) -> Option<u32> {
        self.containers.get(&ContainerId::Root {
            name: name.to_owned(),
            kind,
        })
    }

    #[inline]
    pub(crate) fn rope(&self, text: TextId) -> &Rope {
        match &self.containers.entries[text.0 as usize].state {
            State::Text(r) => r,
            _ => unreachable!("a TextId always names a text"),
        }
    }

    #[inline]
    fn rope_mut(&mut self, text: TextId) -> &mut Rope {
        let e = &mut self.containers.entries[text.0 as usize];
        e.touched = true;
        match &mut e.state {
            State::Text(r) => r,
            _ => unreachable!("a TextId always names a text"),
        }
    }

    /// The current content of `text`.
    pub fn text_to_string(&self, text: TextId) -> String {
        self.rope(text).to_string()
    }

    /// Length of `text` in the document's unit.
    pub fn text_len(&self, text: TextId) -> usize {
        self.options.unit.len_in(self.rope(text))
    }

    /// Start a transaction: edits made through it become one change. See [`Transaction`].
    pub fn transaction(&mut self) -> Transaction<'_> {
        Transaction::new(self)
    }

    /// Insert `s` at `pos` (in the document's unit) as a change of its own.
    pub fn insert(&mut self, text: TextId, pos: usize, s: &str) -> Result<(), EditError> {
        self.transaction().insert(text, pos, s)
    }

    /// Delete `len` units at `pos` as a change of its own.
    pub fn delete(&mut self, text: TextId, pos: usize, len: usize) -> Result<(), EditError> {
        self.transaction().delete(text, pos, len)
    }

    /// Delete `del` units at `pos`, then insert `s` there, as one change.
    pub fn splice(
        &mut self,
        text: TextId,
        pos: usize,
        del: usize,
        s: &str,
    ) -> Result<(), EditError> {
        let mut tx = self.transaction();
        tx.delete(text, pos, del)?;
        tx.insert(text, pos, s)
    }

    /// Local insert (called by [`Transaction`]).
    pub(crate) fn local_insert(
        &mut self,
        text: TextId,
        pos: usize,
        s: &str,
    ) -> Result<(), EditError> {
        let unit = self.options.unit;
        let rope = self.rope(text);
        let at = unit.unit_to_char(rope, pos)?;
        if s.is_empty() {
            return Ok(());
        }
        let n = s.chars().count();
        let lv = self.push_local(n);
        self.log.push_insert(text.0, lv, at, s);
        self.rope_mut(text).insert(at, s);
        if self.patch_queue.on {
            self.record_text_insert(text, at, s);
        }
        Ok(())
    }

    /// Local delete (called by [`Transaction`]).
    pub(crate) fn local_delete(
        &mut self,
        text: TextId,
        pos: usize,
        len: usize,
    ) -> Result<(), EditError> {
        let unit = self.options.unit;
        let rope = self.rope(text);
        let start = unit.unit_to_char(rope, pos)?;
        let end_unit = pos.checked_add(len).ok_or(EditError::OutOfBounds {
            pos,
            len: unit.len_in(rope),
        })?;
        let end = unit.unit_to_char(rope, end_unit)?;
        if end == start {
            return Ok(());
        }
        if self.patch_queue.on {
            self.record_text_delete(text, pos, end_unit - pos);
        }
        let lv = self.push_local(end - start);
        self.log.push_delete(text.0, lv, start, end - start);
        self.rope_mut(text).remove(start..end);
        Ok(())
    }

    /// Record a local text insert (of `s` at char `at`, already applied) as a patch.
    #[cold]
    fn record_text_insert(&mut self, text: TextId, at: usize, s: &str) {
        let unit = self.options.unit;
        let mut p = TextPatch::new(unit);
        p.insert(unit.char_to_unit(self.rope(text), at), s);
        self.record(Container::Text(text), Diff::Text(p));
    }

    /// Record a local text delete (of `len` units at `pos`, not yet applied) as a patch.
    #[cold]
    fn record_text_delete(&mut self, text: TextId, pos: usize, len: usize) {
        let mut p = TextPatch::new(self.options.unit);
        p.delete(pos, len);
        self.record(Container::Text(text), Diff::Text(p));
    }

    /// Record `n` local operations in the causal graph on top of the current version.
    pub(crate) fn push_local(&mut self, n: usize) -> Lv {
        let seq = self.graph.next_seq(self.peer);
        let range = self.graph.push(self.peer, seq, n, &self.frontier);
        // A local operation is made on the whole current version: it is the only head now.
        self.frontier.clear();
        self.frontier.push(range.end - 1);
        range.start
    }

    /// Number of operations this replica has (its history length).
    pub(crate) fn op_count(&self) -> Lv {
        self.graph.len()
    }

    /// The current version as a version vector.
    pub fn version(&self) -> VersionVector {
        self.graph.version_vector()
    }

    /// The current version as its heads.
    pub fn frontier(&self) -> Frontier {
        self.graph.frontier_to_ids(&self.frontier)
    }

    /// Operations received whose dependencies have not arrived yet.
    pub fn pending_ops(&self) -> usize {
        self.pending.ops()
    }

    /// The changes another replica at version `since` lacks, encoded as an update for
    /// [`Doc::import`]. Pass [`VersionVector::new()`] for everything.
    pub fn export_since(&self, since: &VersionVector) -> Vec<u8> {
        encoding::encode(&self.change_set(since, ChunkKind::Update))
    }

    /// The changes another replica at version `since` lacks, as a compact update for
    /// [`Doc::import_compact`] with the same `table`: no header or checksum, peers in `table`
    /// named by index (see FORMAT.md, "Compact updates"). `None` when the changes hold
    /// operations without a compact form (list inserts, map and counter operations): send
    /// [`Doc::export_since`] then.
    pub fn export_compact(&self, since: &VersionVector, table: &PeerTable) -> Option<Vec<u8>> {
        encoding::encode_compact(&self.change_set(since, ChunkKind::Update), table)
    }

    /// The changes another replica at version `since` lacks, as an update against `table` for
    /// [`Doc::import_against`] with the same table: [`Doc::export_since`]'s chunk with the
    /// table's peers named by index instead of by their 8-byte ids (FORMAT.md, "Updates against
    /// a peer table"). When the changes name no peer of the table it is the plain update, which
    /// [`Doc::import`] reads too.
    pub fn export_against(&self, since: &VersionVector, table: &PeerTable) -> Vec<u8> {
        encoding::encode_against(&self.change_set(since, ChunkKind::Update), table)
    }

    /// Apply an update written by [`Doc::export_against`] against the same `table`, or any chunk
    /// [`Doc::import`] reads (the table is then not used). On error nothing changes.
    pub fn import_against(
        &mut self,
        bytes: &[u8],
        table: &PeerTable,
    ) -> Result<ImportReport, ImportError> {
        self.import_chunk(bytes, Some(table))
    }

    /// Apply a compact update written by [`Doc::export_compact`] against the same `table`, as
    /// [`Doc::import`] applies an update. On error nothing changes.
    pub fn import_compact(
        &mut self,
        bytes: &[u8],
        table: &PeerTable,
    ) -> Result<ImportReport, ImportError> {
        let set = encoding::decode_compact(bytes, table, &self.options.limits)?;
        self.import_set(set, true)
    }

    /// Load a document saved with [`Doc::save`], editing as a fresh random peer.
    #[cfg(feature = "getrandom")]
    pub fn load(bytes: &[u8]) -> Result<Doc, ImportError> {
        Doc::load_with_options(bytes, random_peer(), DocOptions::default())
    }

    /// Load a document saved with [`Doc::save`], editing as `peer`.
    pub fn load_with_options(
        bytes: &[u8],
        peer: PeerId,
        options: DocOptions,
    ) -> Result<Doc, ImportError> {
        let mut doc = Doc::with_options(peer, options.clone());
        if doc.load_in_order(bytes)? {
            return Ok(doc);
        }
        // The chunk is valid but not in the order the writer produces (say, by another
        // implementation): apply it as a general import.
        let set = encoding::decode(bytes, &options.limits)?;
        let mut doc = Doc::with_options(peer, options);
        doc.import_set(set, false)?;
        if doc.pending.ops() > 0 {
            return Err(DecodeError::Invalid {
                offset: 0,
                what: "document refers to operations it does not contain",
            }
            .into());
        }
        Ok(doc)
    }

    /// Load a document chunk into this fresh document ([`Doc::push_in_order`]). Takes the texts
    /// from the state section when there is one, and replays the history otherwise. Returns
    /// `Ok(false)`, leaving `self` in an unspecified state, when the chunk needs the general import
    /// path.
    fn load_in_order(&mut self, bytes: &[u8]) -> Result<bool, ImportError> {
        let Some(InOrder {
            head,
            frontier,
            seq_touched,
            #[cfg(not(target_arch = "wasm32"))]
            runs,
        }) = self.push_in_order(bytes, None, true)?
        else {
            return Ok(false);
        };
        if head.kind != ChunkKind::Document {
            return Err(DecodeError::WrongKind {
                expected: "document",
                found: "update",
            }
            .into());
        }
        let table: Vec<u32> = head
            .containers
            .iter()
            .map(|id| self.containers.get_or_create(id))
            .collect();
        #[cfg(not(target_arch = "wasm32"))]
        let recorded = Recorded {
            runs,
            content: head.content,
        };
        match head.state {
            Some(texts) => {
                // The texts are here: the op log is built when something first needs it.
                #[cfg(not(target_arch = "wasm32"))]
                {
                    self.log = LazyLog::deferred(recorded);
                }
                for (i, rope) in table.iter().zip(texts) {
                    let e = &mut self.containers.entries[*i as usize];
                    if let State::Text(r) = &mut e.state {
                        *r = rope;
                    }
                    e.touched = true;
                }
                self.frontier = frontier;
            }
            None => {
                #[cfg(not(target_arch = "wasm32"))]
                {
                    self.log = LazyLog::built(recorded.build());
                }
                self.merge_new(0, Some(seq_touched), false, &mut ImportReport::default())?
            }
        }
        let graph = &self.graph;
        self.metas = head
            .metas
            .into_iter()
            .filter(|m| graph.id_to_lv(m.start).is_some())
            .collect();
        Ok(true)
    }

    /// Push the spans of a chunk into this document, which has no operations, straight into the
    /// causal graph, op log and value log as they are decoded. Returns the chunk's head and the
    /// frontier of its operations, or `None`, leaving `self` in an unspecified state, when the
    /// chunk needs the general import path: a span that is not the next one of its peer, a parent
    /// that is not earlier in the chunk, or repeated root names.
    /// An update against a peer table (kind 3) is read against `table`. With `record`, the
    /// sequence runs are returned in [`InOrder::runs`] instead of pushed into the op log.
    fn push_in_order(
        &mut self,
        bytes: &[u8],
        table: Option<&PeerTable>,
        record: bool,
    ) -> Result<Option<InOrder>, ImportError> {
        let limits = self.options.limits.clone();
        let graph = &mut self.graph;
        let log: &mut OpLog = &mut self.log;
        #[cfg(not(target_arch = "wasm32"))]
        let mut runs = Vec::new();
        #[cfg(target_arch = "wasm32")]
        let _ = record;
        let containers = &mut self.containers;
        let values = &mut self.values;
        let mut frontier = Vec::new();
        // Spans that continue one another (same peer, next sequence number, the previous
        // operation as only parent: typing, and most of any history) go into the causal graph as
        // one push when the run of them ends, which leaves the graph exactly as pushing them one
        // by one would. `batch` is the run being gathered, `parents` its first span's parents.
        let mut batch: Option<(PeerId, u64, usize)> = None;
        let mut parents = Vec::new();
        let flush = |graph: &mut CausalGraph,
                     batch: &mut Option<(PeerId, u64, usize)>,
                     parents: &[Lv],
                     frontier: &mut Vec<Lv>| {
            if let Some((peer, seq, len)) = batch.take() {
                let range = graph.push(peer, seq, len, parents);
                if frontier.len() == 1 && parents == frontier.as_slice() {
                    frontier[0] = range.end - 1;
                } else {
                    advance_frontier(frontier, parents, range);
                }
            }
        };
        // Chunk container index -> document container index.
        let mut index: Vec<Option<u32>> = Vec::new();
        let mut seq_touched: Vec<u32> = Vec::new();
        // The last operation read and its local version: most spans name it as their only parent.
        let mut last: Option<(OpId, Lv)> = None;
        let head = encoding::decode_with(bytes, table, &limits, |s| {
            let continues = match (&mut batch, s.parents, last) {
                (Some((peer, seq, len)), [p], Some((id, _))) => {
                    *p == id && *peer == s.peer && *seq + *len as u64 == s.seq
                }
                _ => false,
            };
            let lv = match (continues, &mut batch, last) {
                (true, Some((_, _, len)), Some((_, last_lv))) => {
                    *len += s.len;
                    last_lv + 1
                }
                _ => {
                    flush(graph, &mut batch, &parents, &mut frontier);
                    if graph.next_seq(s.peer) != s.seq {
                        return false;
                    }
                    parents.clear();
                    match (s.parents, last) {
                        ([p], Some((id, lv))) if *p == id => parents.push(lv),
                        _ => {
                            for p in s.parents {
                                match graph.id_to_lv(*p) {
                                    Some(lv) => parents.push(lv),
                                    None => return false,
                                }
                            }
                            parents.sort_unstable();
                        }
                    }
                    batch = Some((s.peer, s.seq, s.len));
                    graph.len()
                }
            };
            let ci = s.container as usize;
            if index.len() <= ci {
                index.resize(ci + 1, None);
            }
            let container = *index[ci].get_or_insert_with(|| containers.get_or_create(s.cid));
            if s.prop.is_none() && seq_touched.last() != Some(&container) {
                seq_touched.push(container);
            }
            last = Some((
                OpId {
                    peer: s.peer,
                    seq: s.seq + (s.len as u64 - 1),
                },
                lv + s.len - 1,
            ));
            let ops = SpanOps {
                len: s.len,
                kind: s.kind,
                pos: s.pos,
                fwd: s.fwd,
                text: s.text,
                values: s.values,
                prop: s.prop,
            };
            #[cfg(not(target_arch = "wasm32"))]
            if record {
                if runs.is_empty() {
                    // One run per span, or fewer: one allocation instead of a dozen that copy.
                    runs.reserve(s.spans.min(RESERVE_RUNS_MAX));
                }
                record_span_ops(&mut runs, values, container, lv, ops, s.text_at);
                return true;
            }
            push_span_ops(log, values, container, lv, ops);
            true
        })?;
        flush(graph, &mut batch, &parents, &mut frontier);
        Ok(head.map(|head| InOrder {
            head,
            frontier,
            seq_touched,
            #[cfg(not(target_arch = "wasm32"))]
            runs,
        }))
    }

    /// [`Doc::import`] into a document that has no operations yet (a replica's first sync, or a
    /// document opened from an update): the spans go into a copy of the document as they are
    /// decoded ([`Doc::push_in_order`]), with no intermediate change set and no pending buffer,
    /// and the whole history is merged once. `Ok(None)`, with `self` unchanged, when the chunk
    /// needs the general path. A state section is ignored: the texts come from the merge.
    fn import_fresh(
        &mut self,
        bytes: &[u8],
        table: Option<&PeerTable>,
    ) -> Result<Option<ImportReport>, ImportError> {
        let mut doc = self.clone();
        let Some(InOrder {
            head, seq_touched, ..
        }) = doc.push_in_order(bytes, table, false)?
        else {
            return Ok(None);
        };
        // The document had no operations: all it has now came from `bytes`.
        let mut applied_ids: Vec<(PeerId, Range<u64>)> = doc
            .graph
            .peer_counts()
            .filter(|&(_, n)| n > 0)
            .map(|(p, n)| (p, 0..n))
            .collect();
        applied_ids.sort_unstable_by_key(|(peer, _)| *peer);
        let mut report = ImportReport {
            applied: doc.graph.len(),
            applied_ids,
            ..ImportReport::default()
        };
        doc.merge_new(0, Some(seq_touched), true, &mut report)?;
        let graph = &doc.graph;
        doc.metas.extend(
            head.metas
                .into_iter()
                .filter(|m| graph.id_to_lv(m.start).is_some()),
        );
        *self = doc;
        Ok(Some(report))
    }

    /// Apply an update or a saved document from another replica. Operations already known are
    /// skipped; operations whose dependencies are missing wait (see [`Doc::pending_ops`]) and
    /// apply when a later import brings them. On error nothing changes.
    pub fn import(&mut self, bytes: &[u8]) -> Result<ImportReport, ImportError> {
        self.import_chunk(bytes, None)
    }

    /// [`Doc::import`], reading an update against a peer table against `table`.
    fn import_chunk(
        &mut self,
        bytes: &[u8],
        table: Option<&PeerTable>,
    ) -> Result<ImportReport, ImportError> {
        if self.graph.len() == 0 && self.pending.ops() == 0 {
            if let Some(report) = self.import_fresh(bytes, table)? {
                return Ok(report);
            }
        }
        let set = encoding::decode_against(bytes, table, &self.options.limits)?;
        self.import_set(set, true)
    }

    /// Apply several updates (or saved documents) at once, as one import: cheaper than
    /// importing them one by one when they hold concurrent edits, since the merge runs once.
    /// On error nothing changes.
    pub fn import_all<'a>(
        &mut self,
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<ImportReport, ImportError> {
        let mut all = ChangeSet {
            kind: ChunkKind::Update,
            containers: Vec::new(),
            spans: Vec::new(),
            metas: Vec::new(),
            state: None,
        };
        let mut index: HashMap<ContainerId, u32> = HashMap::new();
        for bytes in chunks {
            let set = encoding::decode(bytes, &self.options.limits)?;
            let map: Vec<u32> = set
                .containers
                .into_iter()
                .map(|id| {
                    let next = index.len() as u32;
                    *index.entry(id.clone()).or_insert_with(|| {
                        all.containers.push(id);
                        next
                    })
                })
                .collect();
            for mut span in set.spans {
                // The decoder checked the index against the chunk's root table.
                span.container = map.get(span.container as usize).copied().unwrap_or(0);
                all.spans.push(span);
            }
            all.metas.extend(set.metas);
        }
        self.import_set(all, true)
    }

    pub(crate) fn change_set(&self, since: &VersionVector, kind: ChunkKind) -> ChangeSet {
        let mut ranges = Vec::new();
        for peer in self.graph.peers() {
            self.graph.ranges_since(peer, since.get(peer), &mut ranges);
        }
        ranges.sort_unstable_by_key(|r| r.start);
        let metas = self
            .metas
            .iter()
            .filter(|m| m.start.seq + m.len > since.get(m.start.peer))
            .cloned()
            .collect();
        self.change_set_of(ranges, metas, kind)
    }

    /// The change set of the operations in `ranges` (ascending local versions, closed under
    /// parents or with the missing parents known to the receiver).
    pub(crate) fn change_set_of(
        &self,
        ranges: Vec<Range<Lv>>,
        metas: Vec<ChangeMeta>,
        kind: ChunkKind,
    ) -> ChangeSet {
        let mut used: HashMap<u32, u32> = HashMap::new();
        let mut containers = Vec::new();
        let mut spans = Vec::new();
        let mut parents = Vec::new();
        let mut runs = Vec::new();
        for r in ranges {
            for g in self.graph.runs_in(r) {
                // Sequence runs and map/counter operations of this graph run, by local version.
                runs.clear();
                runs.extend(self.log.runs_in(g.clone()));
                let props = self.values.props_in(g.clone());
                let (mut ri, mut pi) = (0, 0);
                loop {
                    let take_run = match (runs.get(ri), props.get(pi)) {
                        (Some(run), Some(p)) => run.lv < p.lv,
                        (Some(_), None) => true,
                        (None, Some(_)) => false,
                        (None, None) => break,
                    };
                    let (c, lv, len) = if take_run {
                        let run = &runs[ri];
                        (run.container, run.lv, run.len)
                    } else {
                        let p = &props[pi];
                        (p.container, p.lv, 1)
                    };
                    let next = used.len() as u32;
                    let container = *used.entry(c).or_insert_with(|| {
                        containers.push(self.containers.entries[c as usize].id.clone());
                        next
                    });
                    self.graph.parents_into(lv, &mut parents);
                    let mut parent_ids: Vec<OpId> =
                        parents.iter().map(|p| self.graph.lv_to_id(*p)).collect();
                    parent_ids.sort_unstable();
                    let (peer, seq, _) = self.graph.peer_run_at(lv);
                    let span = if take_run {
                        let run = &runs[ri];
                        ri += 1;
                        let is_list =
                            self.containers.entries[c as usize].id.kind() == ContainerKind::List;
                        let (text, body) = match (run.kind, is_list) {
                            (OpKind::Insert, false) => {
                                (self.log.text_of(run).to_owned(), SpanBody::Seq)
                            }
                            (OpKind::Insert, true) => (
                                String::new(),
                                SpanBody::Values(
                                    self.values
                                        .elems_in(run.lv..run.end())
                                        .iter()
                                        .map(|e| e.1.clone())
                                        .collect(),
                                ),
                            ),
                            (OpKind::Delete, _) => (String::new(), SpanBody::Seq),
                        };
                        Span {
                            peer,
                            seq,
                            len,
                            parents: parent_ids,
                            container,
                            kind: run.kind,
                            pos: run.pos,
                            fwd: run.fwd,
                            text,
                            body,
                        }
                    } else {
                        let p = &props[pi];
                        pi += 1;
                        Span {
                            peer,
                            seq,
                            len: 1,
                            parents: parent_ids,
                            container,
                            kind: OpKind::Insert,
                            pos: 0,
                            fwd: true,
                            text: String::new(),
                            body: SpanBody::Prop(p.prop.clone()),
                        }
                    };
                    spans.push(span);
                }
            }
        }
        ChangeSet {
            kind,
            containers,
            spans,
            metas,
            state: None,
        }
    }

    pub(crate) fn import_set(
        &mut self,
        set: ChangeSet,
        want_patches: bool,
    ) -> Result<ImportReport, ImportError> {
        let start_lv = self.graph.len();
        let containers_before = self.containers.len();
        let mut report = ImportReport::default();
        self.pending.begin();

        if set
            .spans
            .iter()
            .any(|s| s.container as usize >= set.containers.len())
        {
            return Err(DecodeError::Invalid {
                offset: 0,
                what: "span refers to a container that is not in the container table",
            }
            .into());
        }
        // `ready` is a stack: spans come off in their original (causal) order, and spans woken
        // by an applied one are tried right after it. A span of the set names its container by
        // index in `set.containers` (`None`); a woken one carries its own.
        let mut ready: Vec<(Span, Option<ContainerId>)> =
            set.spans.into_iter().rev().map(|s| (s, None)).collect();
        // Document index of each container of the set, once looked up.
        let mut index_of: Vec<Option<u32>> = vec![None; set.containers.len()];
        // Sequence containers that get operations (may repeat).
        let mut seq_touched: Vec<u32> = Vec::new();
        let mut parents: Vec<Lv> = Vec::new();
        let mut woken = Vec::new();
        while let Some((span, own)) = ready.pop() {
            let next = self.graph.next_seq(span.peer);
            let end = span.seq + span.len as u64;
            if end <= next {
                report.duplicates += span.len;
                continue;
            }
            if span.seq > next {
                let waits_for = OpId {
                    peer: span.peer,
                    seq: span.seq - 1,
                };
                let name = name_of(&own, &set.containers, &span);
                self.pending.park(span, name, waits_for);
                continue;
            }
            let span = if span.seq < next {
                let k = (next - span.seq) as usize;
                report.duplicates += k;
                span.skip(k)
            } else {
                span
            };
            parents.clear();
            let mut missing = None;
            // A live change names the newest operation here as its parent: no lookup for it.
            let newest = self.graph.len().checked_sub(1);
            let newest_id = newest.map(|lv| self.graph.lv_to_id(lv));
            for p in &span.parents {
                if newest_id == Some(*p) {
                    parents.extend(newest);
                    continue;
                }
                match self.graph.id_to_lv(*p) {
                    Some(lv) => parents.push(lv),
                    None => {
                        missing = Some(*p);
                        break;
                    }
                }
            }
            if let Some(waits_for) = missing {
                let len = span.len;
                let name = name_of(&own, &set.containers, &span);
                if !self.pending.park(span, name, waits_for) {
                    report.duplicates += len;
                }
                continue;
            }
            parents.sort_unstable();
            parents.dedup();
            let container = match &own {
                Some(n) => self.containers.get_or_create(n),
                None => {
                    let i = span.container as usize;
                    *index_of[i]
                        .get_or_insert_with(|| self.containers.get_or_create(&set.containers[i]))
                }
            };
            if !matches!(span.body, SpanBody::Prop(_)) && seq_touched.last() != Some(&container) {
                seq_touched.push(container);
            }
            let range = self.graph.push(span.peer, span.seq, span.len, &parents);
            let (vals, prop): (&[Stored], _) = match &span.body {
                SpanBody::Seq => (&[], None),
                SpanBody::Values(v) => (v, None),
                SpanBody::Prop(p) => (&[], Some(p)),
            };
            push_span_ops(
                &mut self.log,
                &mut self.values,
                container,
                range.start,
                SpanOps {
                    len: span.len,
                    kind: span.kind,
                    pos: span.pos,
                    fwd: span.fwd,
                    text: &span.text,
                    values: vals,
                    prop,
                },
            );
            report.applied += span.len;
            note_applied(&mut report.applied_ids, span.peer, span.seq, span.len);
            self.pending.wake(
                OpId {
                    peer: span.peer,
                    seq: span.seq,
                },
                span.len as u64,
                &mut woken,
            );
            ready.extend(woken.drain(..).rev().map(|(s, n)| (s, Some(n))));
        }

        let pending = self.pending.ops();
        if pending > self.options.max_pending_ops {
            self.rollback(start_lv, containers_before);
            return Err(ImportError::PendingFull {
                pending,
                limit: self.options.max_pending_ops,
            });
        }
        report.pending = pending;
        join_applied(&mut report.applied_ids);

        if let Err(e) = self.merge_new(start_lv, Some(seq_touched), want_patches, &mut report) {
            self.rollback(start_lv, containers_before);
            return Err(e);
        }
        for m in set.metas {
            if !self.metas.contains(&m) && self.graph.id_to_lv(m.start).is_some() {
                self.metas.push(m);
            }
        }
        Ok(report)
    }

    fn rollback(&mut self, lv: Lv, containers: usize) {
        // Kept merge trackers may hold the operations being removed.
        self.merge_cache.clear();
        self.graph.truncate(lv);
        self.log.truncate(lv);
        self.values.truncate(lv);
        self.pending.rollback();
        self.containers.truncate(containers);
    }

    /// Bring operations `start..` into the containers. On error nothing has been changed.
    /// `seq_containers`, if known, lists (with repeats) the sequence containers those operations
    /// edit; otherwise they are read from the op log.
    fn merge_new(
        &mut self,
        start: Lv,
        seq_containers: Option<Vec<u32>>,
        want_patches: bool,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        let end = self.graph.len();
        if start == end {
            return Ok(());
        }
        // Transform every sequence's operations before touching any state, so an invalid
        // operation leaves the document unchanged.
        let (mut frontier, mut plans) = match self.linear_plans(start..end) {
            Some((f, plans)) => (Some(f), plans),
            None => (None, Vec::new()),
        };
        let mut containers: Vec<u32> = Vec::new();
        if frontier.is_none() {
            containers = seq_containers
                .unwrap_or_else(|| self.log.runs_in(start..end).map(|r| r.container).collect());
            containers.sort_unstable();
            containers.dedup();
        }
        for c in containers {
            let mut f = self.frontier.clone();
            let mut ops = Vec::new();
            let Some(len) = self.containers.entries[c as usize].state.seq_len() else {
                return Err(ImportError::InvalidOperation {
                    op: self.graph.lv_to_id(start),
                });
            };
            merge::transform_kept(
                &self.graph,
                &self.log,
                c,
                &mut f,
                len,
                start..end,
                &mut ops,
                &mut self.merge_cache,
            )
            .map_err(|e| ImportError::InvalidOperation {
                op: self.graph.lv_to_id(e.lv),
            })?;
            frontier = Some(f);
            plans.push((c, ops));
        }
        // A loaded document takes its texts from the file's state section; should that not match
        // the history (a corrupt or forged file with a valid checksum), refuse here rather than
        // edit outside a text.
        for (c, ops) in &plans {
            if !fits(
                self.containers.entries[*c as usize]
                    .state
                    .seq_len()
                    .unwrap_or(0),
                ops,
            ) {
                return Err(ImportError::InvalidOperation {
                    op: self.graph.lv_to_id(start),
                });
            }
        }
        self.check_depth(start..end)?;
        let old_frontier = std::mem::take(&mut self.frontier);
        self.frontier = match frontier {
            Some(f) => f,
            None => {
                let mut f = old_frontier.clone();
                let mut parents = Vec::new();
                for r in self.graph.runs_in(start..end) {
                    self.graph.parents_into(r.start, &mut parents);
                    advance_frontier(&mut f, &parents, r);
                }
                f
            }
        };
        let unit = self.options.unit;
        let mut list_changes: Vec<(u32, Vec<ListStep>)> = Vec::new();
        for (c, ops) in plans {
            let entry = &mut self.containers.entries[c as usize];
            entry.touched = true;
            let rope = match &mut entry.state {
                State::Text(rope) => rope,
                State::List(tree) => {
                    // (position, inserted elements, deleted count), in order.
                    let mut steps = Vec::new();
                    for op in ops {
                        match op {
                            TransformedOp::Insert { pos, run } => {
                                tree.insert(pos, run.lv..run.end());
                                steps.push((pos, run.lv..run.end(), 0));
                            }
                            TransformedOp::Delete { pos, len } => {
                                tree.remove(pos, pos + len);
                                steps.push((pos, 0..0, len));
                            }
                        }
                    }
                    if want_patches {
                        list_changes.push((c, steps));
                    }
                    continue;
                }
                State::Map(_) | State::Counter(_) => continue,
            };
            if want_patches && ops.len() > PATCH_OPS_MAX {
                // Recording a long merge op by op would cost a patch edit per operation; the
                // difference between the texts says the same for an editor, in one pass.
                let before = rope.to_string();
                for op in ops {
                    apply_op(rope, &self.log, op, unit, None);
                }
                let patch = TextPatch::between(&before, &rope.to_string(), unit);
                if !patch.is_empty() {
                    report.patches.push((TextId(c), patch));
                }
                continue;
            }
            let mut patch = want_patches.then(|| TextPatch::new(unit));
            for op in ops {
                apply_op(rope, &self.log, op, unit, patch.as_mut());
            }
            if let Some(p) = patch {
                if !p.is_empty() {
                    report.patches.push((TextId(c), p));
                }
            }
        }
        self.apply_props(start..end, old_frontier);
        self.create_children(start..end);
        if want_patches || self.patch_queue.on {
            self.collect_changes(start..end, list_changes, report);
        }
        Ok(())
    }

    /// Build the patches of an import (texts from `report.patches`, lists from `lists`, maps and
    /// counters from the operations in `range`) into `report.changes` and the patch queue.
    fn collect_changes(
        &mut self,
        range: Range<Lv>,
        lists: Vec<(u32, Vec<ListStep>)>,
        report: &mut ImportReport,
    ) {
        let mut diffs: Vec<(Container, Diff)> = Vec::new();
        for (t, p) in &report.patches {
            diffs.push((Container::Text(*t), Diff::Text(p.clone())));
        }
        for (c, steps) in lists {
            let ops = steps
                .into_iter()
                .map(|(pos, ins, del)| {
                    if del > 0 {
                        ListOp::Delete { pos, len: del }
                    } else {
                        let values = self
                            .values
                            .elems_in(ins)
                            .iter()
                            .map(|(lv, v)| self.value_of(*lv, v))
                            .collect();
                        ListOp::Insert { pos, values }
                    }
                })
                .collect();
            diffs.push((Container::List(ListId(c)), Diff::List(ops)));
        }
        let mut keys: Vec<(u32, &str)> = Vec::new();
        let mut counters: Vec<(u32, i64)> = Vec::new();
        for p in self.values.props_in(range) {
            match &p.prop {
                Prop::MapSet { key, .. } | Prop::MapDelete { key } => keys.push((p.container, key)),
                Prop::CounterAdd(d) => match counters.iter_mut().find(|(c, _)| *c == p.container) {
                    Some(slot) => slot.1 = slot.1.wrapping_add(*d),
                    None => counters.push((p.container, *d)),
                },
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let mut i = 0;
        while i < keys.len() {
            let c = keys[i].0;
            let mut changed = Vec::new();
            while i < keys.len() && keys[i].0 == c {
                let k = keys[i].1;
                changed.push((k.to_owned(), self.map_get(MapId(c), k)));
                i += 1;
            }
            diffs.push((Container::Map(MapId(c)), Diff::Map(changed)));
        }
        for (c, d) in counters {
            diffs.push((Container::Counter(CounterId(c)), Diff::Counter(d)));
        }
        let mut changes = Vec::with_capacity(diffs.len());
        for (c, d) in diffs {
            let path = self.path_of(c);
            changes.push(Patch {
                container: c,
                path,
                diff: d,
            });
        }
        // Parents before children (detached containers last), so a view meets a new container
        // in its parent's patch before the patches of its content.
        changes.sort_by_key(|p| p.path.as_ref().map_or(usize::MAX, Vec::len));
        if self.patch_queue.on {
            for p in &changes {
                push_patch(
                    &mut self.patch_queue.patches,
                    p.container,
                    p.path.clone(),
                    p.diff.clone(),
                );
            }
        }
        report.changes = changes;
    }

    /// When the operations in `range` form one sequence on top of the current version (no
    /// concurrency: a load, or catching up with a peer that saw everything we have), every run
    /// applies as it is. Returns the new frontier and the runs per sequence container in one pass
    /// over the log, or `None` if some operation is concurrent (the caller then merges each
    /// container with the Eg-walker transform). Positions are checked as in the transform.
    #[allow(clippy::type_complexity)]
    fn linear_plans(&self, range: Range<Lv>) -> Option<(Vec<Lv>, Vec<(u32, Vec<TransformedOp>)>)> {
        let mut f = self.frontier.clone();
        let mut parents = Vec::new();
        for r in self.graph.runs_in(range.clone()) {
            if !self.graph.parents_equal(r.start, &f) {
                return None;
            }
            self.graph.parents_into(r.start, &mut parents);
            advance_frontier(&mut f, &parents, r);
        }
        // Container -> index in `plans`, and each container's running length.
        let mut slot: HashMap<u32, usize> = HashMap::new();
        let mut plans: Vec<(u32, Vec<TransformedOp>)> = Vec::new();
        let mut lens: Vec<usize> = Vec::new();
        for run in self.log.runs_in(range) {
            let i = match slot.get(&run.container) {
                Some(i) => *i,
                None => {
                    let len = self.containers.entries[run.container as usize]
                        .state
                        .seq_len()?;
                    slot.insert(run.container, plans.len());
                    plans.push((run.container, Vec::new()));
                    lens.push(len);
                    plans.len() - 1
                }
            };
            // An invalid position: let the transform report it.
            lens[i] = merge::push_direct(&run, lens[i], &mut plans[i].1).ok()?;
        }
        Some((f, plans))
    }

    /// Refuse operations in `range` that would create a container deeper than the limit.
    fn check_depth(&self, range: Range<Lv>) -> Result<(), ImportError> {
        let max = self.options.limits.max_depth;
        let too_deep = |c: u32| self.containers.entries[c as usize].depth >= max;
        for p in self.values.props_in(range.clone()) {
            if let Prop::MapSet {
                value: Stored::New(_),
                ..
            } = p.prop
            {
                if too_deep(p.container) {
                    return Err(ImportError::InvalidOperation {
                        op: self.graph.lv_to_id(p.lv),
                    });
                }
            }
        }
        for (lv, v) in self.values.elems_in(range.clone()) {
            if let Stored::New(_) = v {
                if let Some(run) = self.log.runs_in(*lv..*lv + 1).next() {
                    if too_deep(run.container) {
                        return Err(ImportError::InvalidOperation {
                            op: self.graph.lv_to_id(*lv),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Apply the map and counter operations in `range` (all new), in local-version order.
    /// `frontier` is the version before them.
    fn apply_props(&mut self, range: Range<Lv>, mut frontier: Vec<Lv>) {
        let props = self.values.props_in(range.clone());
        if props.is_empty() {
            return;
        }
        let graph = &self.graph;
        let mut parents = Vec::new();
        // Every operation before `done` is in `frontier`.
        let mut done = range.start;
        for p in props {
            while done < p.lv {
                let stop = graph.run_from(done).end.min(p.lv);
                graph.parents_into(done, &mut parents);
                advance_frontier(&mut frontier, &parents, done..stop);
                done = stop;
            }
            let seen_all = graph.parents_equal(p.lv, &frontier);
            graph.parents_into(p.lv, &mut parents);
            advance_frontier(&mut frontier, &parents, p.lv..p.lv + 1);
            done = p.lv + 1;
            let entry = &mut self.containers.entries[p.container as usize];
            entry.touched = true;
            match (&p.prop, &mut entry.state) {
                (Prop::CounterAdd(d), State::Counter(v)) => *v = v.wrapping_add(*d),
                (Prop::MapSet { key, value }, State::Map(m)) => {
                    let e = MapEntry {
                        lv: p.lv,
                        lamport: graph.lamport(p.lv),
                        peer: graph.peer_run_at(p.lv).0,
                        value: value.clone(),
                    };
                    m.apply(key, Some(e), |lv| seen_all || graph.is_ancestor(lv, p.lv));
                }
                (Prop::MapDelete { key }, State::Map(m)) => {
                    m.apply(key, None, |lv| seen_all || graph.is_ancestor(lv, p.lv));
                }
                // The decoder checks that operation kinds fit their containers.
                _ => {}
            }
        }
    }

    /// Make sure every container created by an operation in `range` exists, with its depth.
    pub(crate) fn create_children(&mut self, range: Range<Lv>) {
        let mut made = Vec::new();
        for p in self.values.props_in(range.clone()) {
            if let Prop::MapSet {
                key,
                value: Stored::New(kind),
            } = &p.prop
            {
                made.push((p.lv, *kind, p.container, Slot::Key(key.clone())));
            }
        }
        for (lv, v) in self.values.elems_in(range) {
            if let Stored::New(kind) = v {
                if let Some(run) = self.log.runs_in(*lv..*lv + 1).next() {
                    made.push((*lv, *kind, run.container, Slot::Elem(*lv)));
                }
            }
        }
        for (lv, kind, parent, slot) in made {
            let id = ContainerId::Created {
                op: self.graph.lv_to_id(lv),
                kind,
            };
            let depth = self.containers.entries[parent as usize].depth + 1;
            let i = self.containers.get_or_create(&id);
            let e = &mut self.containers.entries[i as usize];
            e.depth = depth;
            e.parent = Some((parent, slot));
        }
    }

    /// Changes with a message or time, oldest first: `(first op, op count, time, message)`.
    pub fn change_metadata(&self) -> impl Iterator<Item = (OpId, u64, Option<i64>, Option<&str>)> {
        self.metas
            .iter()
            .map(|m| (m.start, m.len, m.time, m.message.as_deref()))
    }

    /// Record a committed transaction's metadata.
    pub(crate) fn record_change(
        &mut self,
        ops: Range<Lv>,
        time: Option<i64>,
        message: Option<String>,
    ) {
        if ops.is_empty() || (time.is_none() && message.is_none()) {
            return;
        }
        self.metas.push(ChangeMeta {
            start: self.graph.lv_to_id(ops.start),
            len: ops.len() as u64,
            time,
            message,
        });
    }

    /// Approximate heap bytes used by the document (texts, history, indexes).
    pub fn heap_size(&self) -> usize {
        self.containers.heap_size()
            + self.values.heap_size()
            + self.log.heap_size()
            + self.graph.heap_size()
    }
}

#[cfg(feature = "getrandom")]
impl Default for Doc {
    fn default() -> Self {
        Doc::new()
    }
}

/// Above this many operations on one text in one merge, the patch is computed from the texts
/// before and after ([`TextPatch::between`]) instead of operation by operation.
const PATCH_OPS_MAX: usize = 256;

/// Whether `ops`, applied in order to a text of `len` chars, stay inside it.
fn fits(mut len: usize, ops: &[TransformedOp]) -> bool {
    for op in ops {
        match op {
            TransformedOp::Insert { pos, run } => {
                if *pos > len {
                    return false;
                }
                len += run.len;
            }
            TransformedOp::Delete { pos, len: n } => match pos.checked_add(*n) {
                Some(end) if end <= len => len -= n,
                _ => return false,
            },
        }
    }
    true
}

/// Apply a transformed operation to a rope, recording it in `patch`.
/// Record that operations `seq..seq + len` of `peer` were applied, in `ids` (joined to the last
/// entry when it continues it; [`join_applied`] makes the list one range per peer).
fn note_applied(ids: &mut Vec<(PeerId, Range<u64>)>, peer: PeerId, seq: u64, len: usize) {
    let end = seq + len as u64;
    match ids.last_mut() {
        Some((p, r)) if *p == peer && r.end == seq => r.end = end,
        _ => ids.push((peer, seq..end)),
    }
}

/// Sort the ranges noted by [`note_applied`] by peer and join each peer's into one (a peer's
/// operations apply in order, each span starting where its previous one ended).
fn join_applied(ids: &mut Vec<(PeerId, Range<u64>)>) {
    ids.sort_unstable_by_key(|(peer, r)| (*peer, r.start));
    ids.dedup_by(|next, kept| {
        if next.0 != kept.0 {
            return false;
        }
        kept.1.start = kept.1.start.min(next.1.start);
        kept.1.end = kept.1.end.max(next.1.end);
        true
    });
}

fn apply_op(
    rope: &mut Rope,
    log: &OpLog,
    op: TransformedOp,
    unit: TextUnit,
    patch: Option<&mut TextPatch>,
) {
    match op {
        TransformedOp::Insert { pos, run } => {
            let text = log.text_of(&run);
            if let Some(p) = patch {
                p.insert(unit.char_to_unit(rope, pos), text);
            }
            rope.insert(pos, text);
        }
        TransformedOp::Delete { pos, len } => {
            if let Some(p) = patch {
                let a = unit.char_to_unit(rope, pos);
                let b = unit.char_to_unit(rope, pos + len);
                p.delete(a, b - a);
            }
            rope.remove(pos..pos + len);
        }
    }
}

/// One applied list edit, for its patch: position, inserted elements, deleted count.
type ListStep = (usize, Range<Lv>, usize);

/// The operations of one span, as the op log and value log store them.
pub(crate) struct SpanOps<'a> {
    pub(crate) len: usize,
    pub(crate) kind: OpKind,
    pub(crate) pos: usize,
    pub(crate) fwd: bool,
    pub(crate) text: &'a str,
    pub(crate) values: &'a [Stored],
    pub(crate) prop: Option<&'a Prop>,
}

/// What [`Doc::push_in_order`] read.
struct InOrder {
    head: ChunkHead,
    /// Frontier of the operations pushed.
    frontier: Vec<Lv>,
    /// Sequence containers that got operations (may repeat).
    seq_touched: Vec<u32>,
    /// The sequence runs, when recorded instead of pushed into the op log.
    #[cfg(not(target_arch = "wasm32"))]
    runs: Vec<OpRun>,
}

/// The container of `span`: its own (`own`, a woken span) or the one its index names in
/// `containers` (the set it came in).
fn name_of(own: &Option<ContainerId>, containers: &[ContainerId], span: &Span) -> ContainerId {
    match own {
        Some(n) => n.clone(),
        None => containers[span.container as usize].clone(),
    }
}

/// Record a span's operations (starting at local version `lv`, on `container`): sequence runs in
/// the op log, values and map/counter operations in the value log.
#[inline]
pub(crate) fn push_span_ops(
    log: &mut OpLog,
    values: &mut ValueLog,
    container: u32,
    lv: Lv,
    s: SpanOps<'_>,
) {
    if let Some(p) = s.prop {
        values.props.push(PropOp {
            lv,
            container,
            prop: p.clone(),
        });
        return;
    }
    let run = OpRun {
        container,
        lv,
        len: s.len,
        kind: s.kind,
        pos: s.pos,
        fwd: s.fwd,
        content_at: 0,
    };
    if s.kind == OpKind::Insert && s.text.is_empty() {
        // A list insert: one placeholder char per element in the op log, the values beside it.
        values.elems.extend(
            s.values
                .iter()
                .enumerate()
                .map(|(i, v)| (lv + i, v.clone())),
        );
        log.push_run(&run, &LIST_PLACEHOLDER.repeat(s.len));
    } else {
        log.push_run(&run, s.text);
    }
}

/// What the op log holds for each element a list insert adds (it stores no list values).
pub(crate) const LIST_PLACEHOLDER: &str = "\u{1}";

#[cfg(feature = "getrandom")]
fn random_peer() -> PeerId {
    let mut b = [0u8; 8];
    // Without an OS random source there is no safe fallback; a fixed id could collide.
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    PeerId(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document whose history has `n` spans (alternating inserts and deletes far apart).
    fn long_history(n: usize) -> Doc {
        let mut doc = Doc::with_peer(PeerId(1));
        let t = doc.text("t");
        doc.insert(t, 0, &"x".repeat(64)).unwrap();
        for i in 1..n {
            if i % 2 == 1 {
                doc.insert(t, (i * 7) % 60, "ab").unwrap();
            } else {
                doc.delete(t, (i * 13) % 60, 1).unwrap();
            }
        }
        doc
    }

    /// Two peers editing concurrently, merged: a history with concurrent regions.
    fn concurrent_history() -> Doc {
        let mut a = Doc::with_peer(PeerId(1));
        let ta = a.text("t");
        a.insert(ta, 0, "hello world").unwrap();
        let mut b = Doc::with_peer(PeerId(2));
        b.import(&a.export_since(&VersionVector::new())).unwrap();
        let tb = b.text("t");
        a.insert(ta, 5, ", dear").unwrap();
        a.delete(ta, 0, 1).unwrap();
        b.insert(tb, 0, "oh ").unwrap();
        b.delete(tb, 8, 3).unwrap();
        a.import(&b.export_since(&VersionVector::new())).unwrap();
        a.insert(ta, 2, "!").unwrap();
        a
    }

    #[test]
    fn importing_into_a_fresh_document_matches_the_general_path() {
        for doc in [concurrent_history(), long_history(300)] {
            for bytes in [doc.export_since(&VersionVector::new()), doc.save()] {
                // `import` on a document without operations takes the streaming path...
                let mut fast = Doc::with_peer(PeerId(9));
                let fast_report = fast.import(&bytes).unwrap();
                // ... the general path decodes a change set first.
                let mut slow = Doc::with_peer(PeerId(9));
                let set = encoding::decode(&bytes, &Limits::default()).unwrap();
                let slow_report = slow.import_set(set, true).unwrap();
                assert_eq!(fast_report, slow_report);
                assert!(fast_report.applied > 0);
                let t = doc.get_text("t").unwrap();
                assert_eq!(fast.text_to_string(t), doc.text_to_string(t));
                assert_eq!(fast.version(), slow.version());
                assert_eq!(fast.frontier(), slow.frontier());
                assert_eq!(fast.save(), slow.save());
                // Importing again changes nothing.
                assert_eq!(fast.import(&bytes).unwrap().applied, 0);
            }
        }
    }

    #[test]
    fn a_fresh_import_that_fails_leaves_the_document_unchanged() {
        let history = concurrent_history();
        let bytes = history.export_since(&VersionVector::new());
        let mut cut = bytes.clone();
        cut.truncate(bytes.len() - 3);
        let mut doc = Doc::with_peer(PeerId(9));
        let t = doc.text("t");
        assert!(doc.import(&cut).is_err());
        assert_eq!(doc.op_count(), 0);
        assert_eq!(doc.text_to_string(t), "");
        doc.import(&bytes).unwrap();
        assert_eq!(doc.text_to_string(t), history.text_to_string(t));
    }

    #[test]
    fn long_histories_are_saved_with_their_texts_and_load_without_replay() {
        let doc = long_history(STATE_MIN_SPANS + 10);
        let set = doc.change_set(&VersionVector::new(), ChunkKind::Document);
        assert!(set.spans.len() >= STATE_MIN_SPANS);
        let bytes = doc.save();
        let head = encoding::decode_with(&bytes, None, &Limits::default(), |_| true)
            .unwrap()
            .unwrap();
        assert!(head.state.is_some(), "a long history carries its texts");
        let loaded = Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap();
        let t = loaded.get_text("t").unwrap();
        assert_eq!(loaded.text_to_string(t), doc.text_to_string(t));
        assert_eq!(loaded.frontier(), doc.frontier());

        let short = long_history(10).save();
        let head = encoding::decode_with(&short, None, &Limits::default(), |_| true)
            .unwrap()
            .unwrap();
        assert!(head.state.is_none(), "a short history is replayed instead");
    }

    /// `Doc` is moved between tasks and threads (weft-peer) and read from several: the deferred
    /// op log must keep it `Send` and `Sync`.
    #[test]
    fn documents_stay_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Doc>();
    }

    #[test]
    fn a_loaded_long_history_builds_its_op_log_when_first_used() {
        let mut doc = long_history(STATE_MIN_SPANS + 10);
        let t = doc.get_text("t").unwrap();
        let bytes = doc.save();
        let load = || Doc::load_with_options(&bytes, PeerId(2), DocOptions::default()).unwrap();
        let everything = VersionVector::new();

        // Through `&self`: the texts, versions and ids need no op log; exports build it.
        let loaded = load();
        assert!(loaded.log.is_deferred());
        assert_eq!(loaded.text_to_string(t), doc.text_to_string(t));
        assert_eq!(loaded.version(), doc.version());
        assert_eq!(loaded.frontier(), doc.frontier());
        assert!(loaded.log.is_deferred());
        let copy = loaded.clone();
        assert_eq!(
            loaded.export_since(&everything),
            doc.export_since(&everything)
        );
        assert!(!loaded.log.is_deferred());
        // The built log is counted beside the recorded runs it was built from.
        assert!(loaded.heap_size() > copy.heap_size());
        // A copy taken before the build builds its own.
        assert_eq!(
            copy.export_since(&everything),
            doc.export_since(&everything)
        );
        assert_eq!(
            Doc::load_with_options(&loaded.save(), PeerId(3), DocOptions::default())
                .unwrap()
                .export_since(&everything),
            doc.export_since(&everything)
        );

        // Through `&mut`: a local edit first, then a merge with the original's later edits.
        let mut edited = load();
        edited.insert(t, 3, "xyz").unwrap();
        assert!(!edited.log.is_deferred());
        doc.delete(t, 0, 2).unwrap();
        edited.import(&doc.export_since(&edited.version())).unwrap();
        doc.import(&edited.export_since(&doc.version())).unwrap();
        assert_eq!(edited.text_to_string(t), doc.text_to_string(t));
        let reloaded =
            Doc::load_with_options(&edited.save(), PeerId(4), DocOptions::default()).unwrap();
        assert_eq!(reloaded.text_to_string(t), doc.text_to_string(t));
        assert_eq!(
            reloaded.export_since(&everything),
            edited.export_since(&everything)
        );

        // An import into a document whose log was never built.
        let mut merged = load();
        merged.import(&doc.export_since(&merged.version())).unwrap();
        assert_eq!(merged.text_to_string(t), doc.text_to_string(t));
    }

    #[test]
    fn a_state_that_contradicts_the_history_is_refused_at_the_next_merge() {
        // A forged file: valid checksum, but the stored text is shorter than the history says.
        let mut a = Doc::with_peer(PeerId(1));
        let t = a.text("t");
        a.insert(t, 0, "hello world").unwrap();
        let mut set = a.change_set(&VersionVector::new(), ChunkKind::Document);
        set.state = Some(vec!["hi".to_owned()]);
        let forged = encoding::encode(&set);
        let mut loaded = Doc::load_with_options(&forged, PeerId(2), DocOptions::default()).unwrap();
        assert_eq!(loaded.text_to_string(t), "hi");

        // A concurrent edit at the end of the real text cannot be placed in the forged one.
        let mut b = Doc::with_peer(PeerId(3));
        b.import(&a.save()).unwrap();
        let tb = b.text("t");
        b.insert(tb, 11, "!").unwrap();
        loaded.insert(t, 0, ">").unwrap();
        let err = loaded.import(&b.export_since(&a.version())).unwrap_err();
        assert!(
            matches!(err, ImportError::InvalidOperation { .. }),
            "{err:?}"
        );
        assert_eq!(loaded.text_to_string(t), ">hi");
    }
}
