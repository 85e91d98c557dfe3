//! Importing updates into a document ([`Doc::import`]): the general path through a change set,
//! the pending buffer for changes whose parents are missing, and the merge of concurrent
//! operations into the texts, lists, maps and counters.

use std::collections::HashMap;
use std::ops::Range;

use crate::causal_graph::{advance_frontier, Lv};
use crate::change_set::{ChangeSet, ChunkKind, Span, SpanBody};
use crate::containers::{MapEntry, Prop, State};
use crate::encoding::{self, DecodeError, PeerTable};
use crate::error::ImportError;
use crate::events::{push_patch, Diff, ListOp, Patch, Slot};
use crate::id::{OpId, PeerId};
use crate::merge::{self, TransformedOp};
use crate::op_log::OpLog;
use crate::patch::TextPatch;
use crate::rope::Rope;
use crate::unit::TextUnit;
use crate::value::{Container, ContainerId, CounterId, ListId, MapId, Stored, TextId};

use super::load::{name_of, push_span_ops, SpanOps};
use super::{Doc, ImportReport};

impl Doc {
    /// Apply an update or a saved document from another replica. Operations already known are
    /// skipped; operations whose dependencies are missing wait (see [`Doc::pending_ops`]) and
    /// apply when a later import brings them. On error nothing changes.
    pub fn import(&mut self, bytes: &[u8]) -> Result<ImportReport, ImportError> {
        self.import_chunk(bytes, None)
    }

    /// [`Doc::import`], reading an update against a peer table against `table`.
    pub(super) fn import_chunk(
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

    pub(super) fn rollback(&mut self, lv: Lv, containers: usize) {
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
    pub(super) fn merge_new(
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
    pub(super) fn collect_changes(
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
    pub(super) fn linear_plans(
        &self,
        range: Range<Lv>,
    ) -> Option<(Vec<Lv>, Vec<(u32, Vec<TransformedOp>)>)> {
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
    pub(super) fn check_depth(&self, range: Range<Lv>) -> Result<(), ImportError> {
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
    pub(super) fn apply_props(&mut self, range: Range<Lv>, mut frontier: Vec<Lv>) {
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
}

/// Above this many operations on one text in one merge, the patch is computed from the texts
/// before and after ([`TextPatch::between`]) instead of operation by operation.
pub(super) const PATCH_OPS_MAX: usize = 256;

/// Whether `ops`, applied in order to a text of `len` chars, stay inside it.
pub(super) fn fits(mut len: usize, ops: &[TransformedOp]) -> bool {
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
pub(super) fn note_applied(
    ids: &mut Vec<(PeerId, Range<u64>)>,
    peer: PeerId,
    seq: u64,
    len: usize,
) {
    let end = seq + len as u64;
    match ids.last_mut() {
        Some((p, r)) if *p == peer && r.end == seq => r.end = end,
        _ => ids.push((peer, seq..end)),
    }
}

/// Sort the ranges noted by [`note_applied`] by peer and join each peer's into one (a peer's
/// operations apply in order, each span starting where its previous one ended).
pub(super) fn join_applied(ids: &mut Vec<(PeerId, Range<u64>)>) {
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

pub(super) fn apply_op(
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
            rope.insert_merged(pos, text);
        }
        TransformedOp::Delete { pos, len } => {
            if let Some(p) = patch {
                let a = unit.char_to_unit(rope, pos);
                let b = unit.char_to_unit(rope, pos + len);
                p.delete(a, b - a);
            }
            rope.remove_merged(pos..pos + len);
        }
    }
}

/// One applied list edit, for its patch: position, inserted elements, deleted count.
type ListStep = (usize, Range<Lv>, usize);
