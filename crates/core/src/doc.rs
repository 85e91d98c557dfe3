//! [`Doc`]: a replica of one document.

use std::collections::HashMap;
use std::ops::Range;

use crate::causal_graph::{CausalGraph, Lv};
use crate::change_set::{ChangeMeta, ChangeSet, ChunkKind, Span, SpanBody};
use crate::containers::{Containers, State, ValueLog};
#[cfg(test)]
use crate::encoding::Limits;
use crate::encoding::{self, PeerTable};
use crate::error::{EditError, ImportError};
use crate::events::{Diff, Patch, PatchQueue};
use crate::id::{OpId, PeerId};
#[cfg(not(target_arch = "wasm32"))]
use crate::lazy_log::LazyLog;
use crate::merge;
use crate::op_log::OpKind;
use crate::patch::TextPatch;
use crate::pending::Pending;
use crate::rope::Rope;
use crate::transaction::Transaction;
use crate::unit::{char_count, TextUnit};
pub use crate::value::TextId;
use crate::value::{Container, ContainerId, ContainerKind};
use crate::version::{Frontier, VersionVector};

mod import;
mod load;
pub(crate) use load::{push_span_ops, SpanOps};
#[cfg(test)]
mod tests;

/// [`Doc::save`] stores the texts alongside the history when the history has at least this many
/// spans. The texts cost about a third of the history's size (compressed) and halve the load time
/// of a long history; below this size replaying is fast and the file size matters more.
pub(crate) const STATE_MIN_SPANS: usize = 8192;

/// In wasm, where the package's size comes first, the op log is built as a document loads (the
/// deferred build is native only: about 3 KB of gzipped wasm, see `crate::lazy_log`).
#[cfg(target_arch = "wasm32")]
type LazyLog = crate::op_log::OpLog;

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
        // Sized once: a long text would otherwise be copied as the string doubles.
        let rope = self.rope(text);
        let mut out = String::with_capacity(rope.len_bytes());
        rope.chunks().for_each(|chunk| out.push_str(chunk));
        out
    }

    /// Length of `text` in the document's unit.
    pub fn text_len(&self, text: TextId) -> usize {
        self.options.unit.len_in(self.rope(text))
    }

    /// Start a transaction: edits made through it become one change. See [`Transaction`].
    #[inline]
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
        let n = char_count(s);
        let lv = self.push_local(n);
        self.log.push_insert(text.0, lv, at, s, n);
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
    #[inline]
    pub(crate) fn push_local(&mut self, n: usize) -> Lv {
        let range = self.graph.push_local(self.peer, n, &self.frontier);
        // A local operation is made on the whole current version: it is the only head now.
        if let [head] = self.frontier.as_mut_slice() {
            *head = range.end - 1;
        } else {
            self.frontier.clear();
            self.frontier.push(range.end - 1);
        }
        range.start
    }

    /// Number of operations this replica has (its history length).
    #[inline]
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

/// What the op log holds for each element a list insert adds (it stores no list values).
pub(crate) const LIST_PLACEHOLDER: &str = "\u{1}";

#[cfg(feature = "getrandom")]
fn random_peer() -> PeerId {
    let mut b = [0u8; 8];
    // Without an OS random source there is no safe fallback; a fixed id could collide.
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    PeerId(u64::from_le_bytes(b))
}
