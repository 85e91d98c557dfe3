//! Merging operations into the current text: the Eg-walker algorithm.
//!
//! The document keeps only the current text and the op log. To bring in new operations
//! ([`transform`]), each one is turned into a *transformed* operation that applies to the
//! current text:
//!
//! - **Fast path.** An operation whose parents are exactly the current version was made on the
//!   same text we have, so it applies as it is. Sequential editing, loading a linear history, and
//!   most live collaboration take only this path: no CRDT state at all.
//! - **Concurrent region.** Otherwise we find the last single operation both histories share
//!   ([`CausalGraph::find_conflicting`]), build a [`Tracker`] whose placeholder stands for the text
//!   at that point, replay the operations since then that the text already contains (retreating
//!   and advancing items as the walk moves between branches), then replay the new ones; each new
//!   operation comes out at its position in the merged text. The region ends as soon as the fast
//!   path applies again, and the tracker is dropped.
//! - **Kept tracker.** A document whose heads stay apart after a merge (branches that have not
//!   joined, or several roots with no shared history at all) would make every later merge find
//!   the same old common point and replay everything since it again. So while the document has
//!   more than one head, the region's tracker is kept in a [`MergeCache`] with the walk's state;
//!   the next merge of that text first replays what the text gained since (local edits, fast-path
//!   imports) and then only its new operations. See [`kept`].
//!
//! See Gentle & Kleppmann, "Collaborative Text Editing with Eg-walker" (EuroSys 2025).
//!
//! Operations from outside may carry impossible positions (past the end of the text at their
//! version). Those are detected here, before anything is applied, and reported as
//! [`InvalidOp`]; the caller then drops the whole import.

mod kept;
mod ops;
mod plan;
mod tracker;

use std::ops::Range;

use crate::causal_graph::{advance_frontier, CausalGraph, DiffScratch, Lv, Side};
use crate::op_log::{OpKind, OpLog, OpRun};
use kept::Kept;
pub(crate) use kept::MergeCache;
use ops::{Cursor, RegionOps};
use plan::WalkPlan;
use tracker::Tracker;

/// An operation ready to apply to the current text (positions in chars).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TransformedOp {
    /// Insert the text of `run` (an insert run of the op log) at `pos`.
    Insert { pos: usize, run: OpRun },
    /// Delete `len` chars at `pos`.
    Delete { pos: usize, len: usize },
}

/// An operation whose position is impossible at its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidOp {
    /// Local version of the offending operation.
    pub(crate) lv: Lv,
}

/// Transform the operations `new` (all unknown to the text at `frontier`, all operations before
/// `new.start` known to it) on text `container` into operations on that text, whose length is
/// `text_len`, appended to `out`. `frontier` is advanced to include `new`.
pub(crate) fn transform(
    graph: &CausalGraph,
    log: &OpLog,
    container: u32,
    frontier: &mut Vec<Lv>,
    text_len: usize,
    new: Range<Lv>,
    out: &mut Vec<TransformedOp>,
) -> Result<(), InvalidOp> {
    transform_with(graph, log, container, frontier, text_len, new, out, None)
}

/// [`transform`] for a text whose frontier and length are the document's: a tracker kept in
/// `cache` from an earlier merge of this text is continued if it can be, and the last region's
/// tracker is kept for the next merge while the document has more than one head. On error the
/// text's kept tracker is dropped (the caller rolls the import back).
#[allow(clippy::too_many_arguments)]
pub(crate) fn transform_kept(
    graph: &CausalGraph,
    log: &OpLog,
    container: u32,
    frontier: &mut Vec<Lv>,
    text_len: usize,
    new: Range<Lv>,
    out: &mut Vec<TransformedOp>,
    cache: &mut MergeCache,
) -> Result<(), InvalidOp> {
    let r = transform_with(
        graph,
        log,
        container,
        frontier,
        text_len,
        new,
        out,
        Some(&mut *cache),
    );
    if r.is_err() || frontier.len() <= 1 {
        // One head: the next merge starts from it (or before it), not from the kept point.
        cache.remove(container);
    }
    r
}

#[allow(clippy::too_many_arguments)]
fn transform_with(
    graph: &CausalGraph,
    log: &OpLog,
    container: u32,
    frontier: &mut Vec<Lv>,
    text_len: usize,
    new: Range<Lv>,
    out: &mut Vec<TransformedOp>,
    mut cache: Option<&mut MergeCache>,
) -> Result<(), InvalidOp> {
    let mut len = text_len;
    let mut lv = new.start;
    let mut merged_region = false;
    let mut parents = Vec::new();
    let runs: Vec<Range<Lv>> = graph.runs_in(new.clone()).collect();
    let min_after = min_parent_after(graph, &runs);
    let mut cursor = Cursor::new(
        log,
        container,
        log.runs_in(new.clone())
            .filter(|r| r.container == container),
    );
    while lv < new.end {
        if graph.parents_equal(lv, frontier) {
            let end = graph.run_from(lv).end.min(new.end);
            while let Some(run) = cursor.next_in(lv, end) {
                len = push_direct(&run, len, out)?;
            }
            graph.parents_into(lv, &mut parents);
            advance_frontier(frontier, &parents, lv..end);
            lv = end;
            continue;
        }
        let first = runs.partition_point(|r| r.end <= lv);
        let end = region_end(
            graph,
            frontier,
            &runs[first..],
            &min_after[first..],
            new.end,
        );
        let region = Region {
            graph,
            log,
            container,
        };
        // Only the first region can continue a tracker kept by an earlier merge: a region ends
        // at a critical point, so a later one starts a smaller tracker after it.
        let first = !merged_region;
        merged_region = true;
        len = match cache.as_deref_mut() {
            Some(cache) => {
                // Taken out either way: a tracker that cannot continue is dropped before the
                // new one is built.
                let kept = cache
                    .take(container)
                    .filter(|k| first && k.can_continue(graph, lv..end));
                match kept {
                    Some(k) => {
                        region.continue_kept(k, &mut cursor, frontier, len, lv..end, out, cache)?
                    }
                    None => region.merge(&mut cursor, frontier, len, lv..end, out, Some(cache))?,
                }
            }
            None => region.merge(&mut cursor, frontier, len, lv..end, out, None)?,
        };
        lv = end;
    }
    Ok(())
}

/// Apply a run made on exactly the current text. Returns the new text length.
pub(crate) fn push_direct(
    run: &OpRun,
    len: usize,
    out: &mut Vec<TransformedOp>,
) -> Result<usize, InvalidOp> {
    match run.kind {
        OpKind::Insert => {
            if run.pos > len {
                return Err(InvalidOp { lv: run.lv });
            }
            out.push(TransformedOp::Insert {
                pos: run.pos,
                run: run.clone(),
            });
            Ok(len + run.len)
        }
        OpKind::Delete => {
            let start = delete_start(run).ok_or(InvalidOp { lv: run.lv })?;
            if start + run.len > len {
                return Err(InvalidOp { lv: run.lv });
            }
            out.push(TransformedOp::Delete {
                pos: start,
                len: run.len,
            });
            Ok(len - run.len)
        }
    }
}

/// First char (at the run's version) of the contiguous block a delete run removes.
fn delete_start(run: &OpRun) -> Option<usize> {
    if run.fwd {
        Some(run.pos)
    } else {
        (run.pos + 1).checked_sub(run.len)
    }
}

/// For each run (and one past the last), the smallest parent of any operation from that run on.
/// An operation without parents counts as reaching below everything (0).
fn min_parent_after(graph: &CausalGraph, runs: &[Range<Lv>]) -> Vec<Lv> {
    let mut parents = Vec::new();
    let mut hint = usize::MAX;
    let mut min_after = vec![Lv::MAX; runs.len() + 1];
    for (i, r) in runs.iter().enumerate().rev() {
        graph.parents_into_near(r.start, &mut hint, &mut parents);
        let lowest = parents.first().copied().unwrap_or(0);
        min_after[i] = min_after[i + 1].min(lowest);
    }
    min_after
}

/// End of the concurrent region starting at `runs[0]`: the first *critical* point after it, where
/// the operations before it have a single head and every later operation (up to `end`) descends
/// from that head. Nothing after a critical point can refer back into the region, so the region's
/// tracker is never needed again and no later region re-walks this one. `min_after` is
/// [`min_parent_after`] for the same runs. Costs O(region length).
fn region_end(
    graph: &CausalGraph,
    frontier: &[Lv],
    runs: &[Range<Lv>],
    min_after: &[Lv],
    end: Lv,
) -> Lv {
    let mut parents = Vec::new();
    let mut hint = usize::MAX;
    let mut f = frontier.to_vec();
    for (i, r) in runs.iter().enumerate() {
        graph.parents_into_near(r.start, &mut hint, &mut parents);
        advance_frontier(&mut f, &parents, r.clone());
        // Critical right after this run: single head, and nothing later reaches below it.
        if f.len() == 1 && min_after[i + 1] >= r.end - 1 {
            return r.end;
        }
    }
    end
}

/// `frontier` advanced over the operations `new`.
fn advanced(graph: &CausalGraph, frontier: &[Lv], new: Range<Lv>) -> Vec<Lv> {
    let mut target = frontier.to_vec();
    let mut parents = Vec::new();
    let mut hint = usize::MAX;
    for r in graph.runs_in(new) {
        graph.parents_into_near(r.start, &mut hint, &mut parents);
        advance_frontier(&mut target, &parents, r);
    }
    target
}

/// What merging one concurrent region of one text reads.
struct Region<'a> {
    graph: &'a CausalGraph,
    log: &'a OpLog,
    container: u32,
}

impl<'a> Region<'a> {
    /// Merge the region `new` with a new tracker, taking its runs from `cursor`. Returns the new
    /// text length. With `cache`, the tracker is kept there afterwards.
    #[allow(clippy::too_many_arguments)]
    fn merge<I: Iterator<Item = OpRun>>(
        &self,
        cursor: &mut Cursor<'_, I>,
        frontier: &mut Vec<Lv>,
        text_len: usize,
        new: Range<Lv>,
        out: &mut Vec<TransformedOp>,
        cache: Option<&mut MergeCache>,
    ) -> Result<usize, InvalidOp> {
        let graph = self.graph;
        let target = advanced(graph, frontier, new.clone());
        let mut known = Vec::new();
        let common = graph.find_conflicting(frontier, &target, |r, side| {
            if side != Side::OnlyB {
                known.push(r);
            }
        });
        known.reverse();

        // Every operation the walk replays descends from `common`, so comes after it.
        let base = common.first().map_or(0, |c| c + 1);
        let mut walk = Walk {
            graph,
            log: self.log,
            ops: RegionOps::new(self.log, cursor, base..new.start, new.clone()),
            tracker: Tracker::new(base..new.end),
            version: common.clone(),
            parents: Vec::new(),
            diff: DiffScratch::default(),
            deleted: Vec::new(),
        };
        for (r, parents) in WalkPlan::new(graph, &known).iter() {
            walk.replay_run(r, parents, None)?;
        }
        let len = walk.replay_new(new.clone(), text_len, out)?;
        *frontier = target;
        if let Some(cache) = cache {
            if common.len() <= 1 {
                cache.put(Kept {
                    container: self.container,
                    common: common.first().copied(),
                    end: new.end,
                    ops: walk.ops,
                    tracker: walk.tracker,
                    version: walk.version,
                });
            }
        }
        Ok(len)
    }

    /// Merge the region `new` by continuing the kept tracker `kept` (which
    /// [`Kept::can_continue`] accepted): first replay what the text gained since it was kept,
    /// then the new operations. Returns the new text length; the tracker goes back to `cache`.
    #[allow(clippy::too_many_arguments)]
    fn continue_kept<I: Iterator<Item = OpRun>>(
        &self,
        kept: Kept,
        cursor: &mut Cursor<'_, I>,
        frontier: &mut Vec<Lv>,
        text_len: usize,
        new: Range<Lv>,
        out: &mut Vec<TransformedOp>,
        cache: &mut MergeCache,
    ) -> Result<usize, InvalidOp> {
        let graph = self.graph;
        let target = advanced(graph, frontier, new.clone());
        let Kept {
            container,
            common,
            end,
            mut ops,
            tracker,
            version,
        } = kept;
        ops.extend(self.log, cursor, end..new.start, new.clone());
        let mut walk = Walk {
            graph,
            log: self.log,
            ops,
            tracker,
            version,
            parents: Vec::new(),
            diff: DiffScratch::default(),
            deleted: Vec::new(),
        };
        let caught_up = end..new.start;
        for (r, parents) in WalkPlan::new(graph, std::slice::from_ref(&caught_up)).iter() {
            walk.replay_run(r, parents, None)?;
        }
        let len = walk.replay_new(new.clone(), text_len, out)?;
        *frontier = target;
        cache.put(Kept {
            container,
            common,
            end: new.end,
            ops: walk.ops,
            tracker: walk.tracker,
            version: walk.version,
        });
        Ok(len)
    }
}

/// Where transformed operations go while replaying new operations.
struct Output<'a> {
    out: &'a mut Vec<TransformedOp>,
    phantom: usize,
    len: usize,
}

struct Walk<'a> {
    graph: &'a CausalGraph,
    log: &'a OpLog,
    /// The region's operations on the text being merged.
    ops: RegionOps,
    tracker: Tracker,
    version: Vec<Lv>,
    parents: Vec<Lv>,
    diff: DiffScratch,
    /// Buffer for what one delete run deleted.
    deleted: Vec<tracker::DeletedChunk>,
}

/// Advance or retreat the operations `ids` (all of one kind) in the tracker.
fn toggle(tracker: &mut Tracker, ids: Range<Lv>, kind: OpKind, advance: bool) {
    match kind {
        OpKind::Insert => tracker.toggle_insert(ids, advance),
        OpKind::Delete => tracker.toggle_delete(ids, advance),
    }
}

impl Walk<'_> {
    /// Replay the new operations `new` on a tracker that holds everything the text (`text_len`
    /// chars) has, writing the transformed operations to `out`. Returns the new text length.
    fn replay_new(
        &mut self,
        new: Range<Lv>,
        text_len: usize,
        out: &mut Vec<TransformedOp>,
    ) -> Result<usize, InvalidOp> {
        // Placeholder characters past the end of the real text; real length = visible - phantom.
        let phantom = self.tracker.end_total() - text_len;
        let mut sink = Output {
            out,
            phantom,
            len: text_len,
        };
        for (r, parents) in WalkPlan::new(self.graph, std::slice::from_ref(&new)).iter() {
            self.replay_run(r, parents, Some(&mut sink))?;
        }
        Ok(sink.len)
    }

    /// Replay the sequential run `range` whose first operation has `parents`; emit transformed
    /// operations if `sink` is given.
    fn replay_run(
        &mut self,
        range: Range<Lv>,
        parents: &[Lv],
        mut sink: Option<&mut Output<'_>>,
    ) -> Result<(), InvalidOp> {
        self.parents.clear();
        self.parents.extend_from_slice(parents);
        self.move_to_parents();
        let mut i = self.ops.first_index(range.start);
        while let Some(run) = self.ops.run_at(self.log, i, range.clone()) {
            self.apply(&run, sink.as_deref_mut())?;
            i += 1;
        }
        self.version.clear();
        self.version.push(range.end - 1);
        Ok(())
    }

    /// Retreat and advance the tracker from `version` to `parents`.
    fn move_to_parents(&mut self) {
        if self.version == self.parents {
            return;
        }
        self.graph
            .diff_into(&self.version, &self.parents, &mut self.diff);
        for r in self.diff.only_a.iter().rev() {
            for (ids, kind) in self.ops.spans_rev(r.clone()) {
                toggle(&mut self.tracker, ids, kind, false);
            }
        }
        for r in &self.diff.only_b {
            for (ids, kind) in self.ops.spans(r.clone()) {
                toggle(&mut self.tracker, ids, kind, true);
            }
        }
    }

    fn apply(&mut self, run: &OpRun, sink: Option<&mut Output<'_>>) -> Result<(), InvalidOp> {
        let graph = self.graph;
        let invalid = InvalidOp { lv: run.lv };
        if let Some(s) = &sink {
            // Validate against the real text at this version (placeholder tail excluded).
            let real = self.tracker.cur_total() - s.phantom;
            let ok = match run.kind {
                OpKind::Insert => run.pos <= real,
                OpKind::Delete => delete_start(run).is_some_and(|st| st + run.len <= real),
            };
            if !ok {
                return Err(invalid);
            }
        }
        match run.kind {
            OpKind::Insert => {
                let pos = self.tracker.integrate(run.lv, run.len, run.pos, |lv| {
                    if lv >= tracker::PLACEHOLDER_BASE {
                        0
                    } else {
                        graph.peer_run_at(lv).0 .0
                    }
                });
                if let Some(s) = sink {
                    s.out.push(TransformedOp::Insert {
                        pos,
                        run: run.clone(),
                    });
                    s.len += run.len;
                }
            }
            OpKind::Delete => {
                let start = delete_start(run).ok_or(invalid)?;
                self.tracker
                    .delete(run.lv, start, run.len, !run.fwd, &mut self.deleted);
                if let Some(s) = sink {
                    for c in &self.deleted {
                        if let Some(pos) = c.out_pos {
                            s.out.push(TransformedOp::Delete { pos, len: c.len });
                            s.len -= c.len;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
