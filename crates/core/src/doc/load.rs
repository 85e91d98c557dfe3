//! Loading a saved document ([`Doc::load`]) and the first import into an empty one: the spans go
//! into the document as they are decoded, in the order the writer produced them, with no
//! intermediate change set.

use std::ops::Range;

use crate::causal_graph::{advance_frontier, CausalGraph, Lv};
use crate::change_set::{ChunkKind, Span};
use crate::containers::{Prop, PropOp, State, ValueLog};
use crate::encoding::{self, ChunkHead, DecodeError, PeerTable};
use crate::error::ImportError;
use crate::id::{OpId, PeerId};
#[cfg(not(target_arch = "wasm32"))]
use crate::lazy_log::{record_span_ops, LazyLog, Recorded};
use crate::op_log::{OpKind, OpLog, OpRun};
use crate::value::{ContainerId, Stored};

#[cfg(feature = "getrandom")]
use super::random_peer;
use super::{Doc, DocOptions, ImportReport, LIST_PLACEHOLDER};

impl Doc {
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
    pub(super) fn load_in_order(&mut self, bytes: &[u8]) -> Result<bool, ImportError> {
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
    pub(super) fn push_in_order(
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
    pub(super) fn import_fresh(
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
}

#[cfg(not(target_arch = "wasm32"))]
/// Most runs [`Doc::load`] reserves room for before it has read them (a chunk's span count is
/// only bounded by [`Limits::max_spans`](encoding::Limits::max_spans), and a few bytes can claim
/// millions of spans): 2.6 MB of runs.
pub(super) const RESERVE_RUNS_MAX: usize = 1 << 16;

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

impl SpanOps<'_> {
    /// Whether the span inserts list elements (their values beside placeholder chars).
    #[inline]
    pub(crate) fn is_list_insert(&self) -> bool {
        self.kind == OpKind::Insert && self.text.is_empty()
    }

    /// Puts what the span carries besides its sequence run into `values`: a map or counter
    /// operation, or a list insert's elements. Returns `false` when the span is a map or counter
    /// operation, which has no sequence run.
    #[inline]
    pub(crate) fn push_values(&self, values: &mut ValueLog, container: u32, lv: Lv) -> bool {
        // A text span (most of them) carries nothing else: kept small, so it inlines.
        if self.prop.is_none() && !self.is_list_insert() {
            return true;
        }
        self.push_other_values(values, container, lv)
    }

    /// [`SpanOps::push_values`] for map, counter and list operations.
    #[inline(never)]
    fn push_other_values(&self, values: &mut ValueLog, container: u32, lv: Lv) -> bool {
        if let Some(p) = self.prop {
            values.props.push(PropOp {
                lv,
                container,
                prop: p.clone(),
            });
            return false;
        }
        if self.is_list_insert() {
            values.elems.extend(
                self.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (lv + i, v.clone())),
            );
        }
        true
    }
}

/// What [`Doc::push_in_order`] read.
pub(super) struct InOrder {
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
pub(super) fn name_of(
    own: &Option<ContainerId>,
    containers: &[ContainerId],
    span: &Span,
) -> ContainerId {
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
    if !s.push_values(values, container, lv) {
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
    if s.is_list_insert() {
        // A list insert: one placeholder char per element in the op log, the values beside it.
        log.push_run(&run, &LIST_PLACEHOLDER.repeat(s.len));
    } else {
        log.push_run(&run, s.text);
    }
}
