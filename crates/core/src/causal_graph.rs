//! The run-length encoded causal graph of a document's operations.
//!
//! Every operation a replica knows gets a *local version* ([`Lv`]): its index in the order this
//! replica learned about it. Local versions are dense (0, 1, 2, ...), cheap to compare and store,
//! and never leave the replica: on the wire and on disk operations are named by [`OpId`]
//! (peer + sequence number). Since a replica only adds an operation after all of its parents,
//! the order of local versions is a topological order of the graph.
//!
//! The graph is stored as *entries*: maximal runs of consecutive local versions made by one peer
//! with consecutive sequence numbers, where each operation's only parent is the previous one.
//! Typing a paragraph is one entry. Only the first operation of an entry has explicit parents.
//!
//! Two walks answer every question the merge algorithm asks:
//! [`CausalGraph::diff`] (which operations one version has that another lacks) and
//! [`CausalGraph::find_conflicting`] (the operations since the last point two versions had in
//! common). Both walk backwards from the heads with a queue of local versions, largest first, and stop as soon
//! as the remaining frontier is shared, so their cost is proportional to the concurrent part of
//! the history, not its length.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::id::{OpId, PeerId};
use crate::version::{Frontier, VersionVector};

/// A local version: the index of an operation in this replica's op log.
pub(crate) type Lv = usize;

#[derive(Clone, Debug)]
struct GraphEntry {
    start: Lv,
    end: Lv,
    /// Index into `CausalGraph::parent_arena` and count; parents of `start` only.
    parents_at: u32,
    parents_len: u32,
    peer: u32,
    seq: u64,
    /// Lamport timestamp of `start` (one more than the greatest of its parents', 0 without
    /// parents); operation `start + i` has `lamport + i`.
    lamport: u64,
}

#[derive(Clone, Debug)]
struct PeerRun {
    seq: u64,
    lv: Lv,
    len: usize,
}

#[derive(Clone, Debug)]
struct PeerRecord {
    id: PeerId,
    /// Runs sorted by `seq`, covering `0..next_seq` without gaps.
    runs: Vec<PeerRun>,
}

impl PeerRecord {
    fn next_seq(&self) -> u64 {
        self.runs.last().map_or(0, |r| r.seq + r.len as u64)
    }
}

/// Which side(s) of a two-version walk an operation belongs to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Side {
    /// Only in the history of the first version.
    OnlyA,
    /// Only in the history of the second version.
    OnlyB,
    /// In both histories.
    Shared,
}

impl Side {
    fn union(self, other: Side) -> Side {
        if self == other {
            self
        } else {
            Side::Shared
        }
    }
}

/// Causal graph of all operations a replica knows, plus the peer table.
#[derive(Clone, Debug, Default)]
pub(crate) struct CausalGraph {
    entries: Vec<GraphEntry>,
    parent_arena: Vec<Lv>,
    peers: Vec<PeerRecord>,
    /// Peer (its number) -> index in `peers`. Stored as `u64 -> usize`: the B-tree type the
    /// merge tracker, the pending buffer and text cursors use too, so the wasm build carries
    /// one copy of its code, not one more.
    peer_index: BTreeMap<u64, usize>,
    /// The peer of the last [`CausalGraph::push`] and its index: decoding pushes span after span
    /// of one peer, and this saves a search of `peer_index` for each.
    last_peer: Option<(PeerId, u32)>,
}

impl CausalGraph {
    /// Number of operations.
    #[inline]
    pub(crate) fn len(&self) -> Lv {
        self.entries.last().map_or(0, |e| e.end)
    }

    /// Index of `peer` in the peer table, adding it if new.
    pub(crate) fn peer_index_or_insert(&mut self, peer: PeerId) -> u32 {
        if let Some((p, i)) = self.last_peer {
            if p == peer {
                return i;
            }
        }
        let i = match self.peer_index.get(&peer.0) {
            Some(i) => *i as u32,
            None => {
                let i = self.peers.len() as u32;
                self.peers.push(PeerRecord {
                    id: peer,
                    runs: Vec::new(),
                });
                self.peer_index.insert(peer.0, i as usize);
                i
            }
        };
        self.last_peer = Some((peer, i));
        i
    }

    /// The sequence number the next operation of `peer` will have here.
    pub(crate) fn next_seq(&self, peer: PeerId) -> u64 {
        if let Some((p, i)) = self.last_peer {
            if p == peer {
                return self.peers[i as usize].next_seq();
            }
        }
        self.peer_index
            .get(&peer.0)
            .map_or(0, |i| self.peers[*i].next_seq())
    }

    /// Append `len` operations by `peer`, made on top of the version `heads` (so `heads` are their
    /// first operation's parents): a local edit. Returns their local versions.
    ///
    /// Typing is a long series of these, each continuing the last entry, so that case touches
    /// only the last entry and the peer's last run.
    #[inline]
    pub(crate) fn push_local(&mut self, peer: PeerId, len: usize, heads: &[Lv]) -> Range<Lv> {
        if let (Some((p, idx)), Some(last), [head]) =
            (self.last_peer, self.entries.last_mut(), heads)
        {
            // The last entry is the peer's newest operations, so its last run ends there too.
            if p == peer && last.peer == idx && *head + 1 == last.end {
                let start = last.end;
                last.end += len;
                if let Some(r) = self.peers[idx as usize].runs.last_mut() {
                    debug_assert_eq!(r.lv + r.len, start);
                    r.len += len;
                }
                return start..start + len;
            }
        }
        let seq = self.next_seq(peer);
        self.push(peer, seq, len, heads)
    }

    /// Append `len` operations by `peer` starting at `seq` whose first operation has `parents`
    /// (sorted local versions, all already known). Returns their local versions.
    ///
    /// Invariant (checked by callers): `seq == self.next_seq(peer)`.
    pub(crate) fn push(&mut self, peer: PeerId, seq: u64, len: usize, parents: &[Lv]) -> Range<Lv> {
        debug_assert!(len > 0);
        debug_assert_eq!(seq, self.next_seq(peer));
        let start = self.len();
        let end = start + len;
        let peer_idx = self.peer_index_or_insert(peer);

        let extends_last = match self.entries.last() {
            Some(last) => {
                last.peer == peer_idx
                    && last.seq + (last.end - last.start) as u64 == seq
                    && parents.len() == 1
                    && parents[0] == last.end - 1
            }
            None => false,
        };
        if extends_last {
            if let Some(last) = self.entries.last_mut() {
                last.end = end;
            }
        } else {
            let lamport = self.lamport_after(parents);
            let parents_at = self.parent_arena.len() as u32;
            self.parent_arena.extend_from_slice(parents);
            self.entries.push(GraphEntry {
                start,
                end,
                parents_at,
                parents_len: parents.len() as u32,
                peer: peer_idx,
                seq,
                lamport,
            });
        }

        let runs = &mut self.peers[peer_idx as usize].runs;
        match runs.last_mut() {
            Some(r) if r.lv + r.len == start && r.seq + r.len as u64 == seq => r.len += len,
            _ => runs.push(PeerRun {
                seq,
                lv: start,
                len,
            }),
        }
        start..end
    }

    /// Remove every operation at or after `len` (used to undo a failed import).
    pub(crate) fn truncate(&mut self, len: Lv) {
        while let Some(last) = self.entries.last_mut() {
            if last.start >= len {
                let removed = self.entries.pop();
                if let Some(e) = removed {
                    self.parent_arena.truncate(e.parents_at as usize);
                }
            } else {
                if last.end > len {
                    last.end = len;
                }
                break;
            }
        }
        for peer in &mut self.peers {
            while let Some(r) = peer.runs.last_mut() {
                if r.lv >= len {
                    peer.runs.pop();
                } else {
                    if r.lv + r.len > len {
                        r.len = len - r.lv;
                    }
                    break;
                }
            }
        }
        // Peers with no operations left stay in the table: harmless, and their index is stable.
    }

    fn entry_index(&self, lv: Lv) -> usize {
        // Live editing asks mostly about the newest operations (the parents of a change that
        // just arrived): the last entry first, without a search.
        match self.entries.last() {
            Some(e) if e.start <= lv => self.entries.len() - 1,
            // Invariant: lv < self.len(), so the partition point is a valid index.
            _ => self.entries.partition_point(|e| e.end <= lv),
        }
    }

    /// Index of the entry containing `lv`, knowing it is at or before entry `hint` and probably
    /// close to it (walks that go backwards look up one entry after another).
    fn entry_index_at_or_before(&self, lv: Lv, hint: usize) -> usize {
        let mut i = hint;
        for _ in 0..4 {
            match self.entries.get(i) {
                Some(e) if e.start <= lv && lv < e.end => return i,
                Some(e) if e.start > lv && i > 0 => i -= 1,
                _ => break,
            }
        }
        match self.entries.get(i) {
            Some(e) if lv < e.end => self.entries[..=i].partition_point(|e| e.end <= lv),
            _ => self.entry_index(lv),
        }
    }

    /// The run of sequential operations containing `lv`, from `lv` to the end of its entry.
    /// Every operation in it after the first has the previous one as its only parent.
    pub(crate) fn run_from(&self, lv: Lv) -> Range<Lv> {
        let e = &self.entries[self.entry_index(lv)];
        lv..e.end
    }

    /// Write the parents of `lv` into `out` (cleared first).
    pub(crate) fn parents_into(&self, lv: Lv, out: &mut Vec<Lv>) {
        out.clear();
        let e = &self.entries[self.entry_index(lv)];
        if lv > e.start {
            out.push(lv - 1);
        } else {
            out.extend_from_slice(
                &self.parent_arena[e.parents_at as usize..(e.parents_at + e.parents_len) as usize],
            );
        }
    }

    /// [`CausalGraph::parents_into`] for callers that visit entries in order (either way):
    /// `hint` is the entry found last time, and the lookup tries it and its neighbours first.
    pub(crate) fn parents_into_near(&self, lv: Lv, hint: &mut usize, out: &mut Vec<Lv>) {
        let near = [*hint, hint.wrapping_add(1), hint.wrapping_sub(1)];
        *hint = near
            .into_iter()
            .find(|i| {
                self.entries
                    .get(*i)
                    .is_some_and(|e| e.start <= lv && lv < e.end)
            })
            .unwrap_or_else(|| self.entry_index(lv));
        let e = &self.entries[*hint];
        out.clear();
        if lv > e.start {
            out.push(lv - 1);
        } else {
            out.extend_from_slice(
                &self.parent_arena[e.parents_at as usize..(e.parents_at + e.parents_len) as usize],
            );
        }
    }

    /// Whether the parents of `lv` are exactly `frontier` (sorted).
    pub(crate) fn parents_equal(&self, lv: Lv, frontier: &[Lv]) -> bool {
        let e = &self.entries[self.entry_index(lv)];
        if lv > e.start {
            frontier.len() == 1 && frontier[0] == lv - 1
        } else {
            &self.parent_arena[e.parents_at as usize..(e.parents_at + e.parents_len) as usize]
                == frontier
        }
    }

    /// The Lamport timestamp of an operation with `parents`: one more than the greatest of
    /// theirs, 0 without parents. Kept out of line: local typing never needs it.
    #[inline(never)]
    fn lamport_after(&self, parents: &[Lv]) -> u64 {
        // Parents are mostly among the newest entries: look there before searching.
        let newest = self.entries.len().saturating_sub(1);
        parents
            .iter()
            .map(|p| {
                let e = &self.entries[self.entry_index_at_or_before(*p, newest)];
                e.lamport + (p - e.start) as u64 + 1
            })
            .max()
            .unwrap_or(0)
    }

    /// The Lamport timestamp of `lv`: greater than every ancestor's, so ordering by
    /// (Lamport, peer) extends the causal order to a total order every replica agrees on.
    pub(crate) fn lamport(&self, lv: Lv) -> u64 {
        let e = &self.entries[self.entry_index(lv)];
        e.lamport + (lv - e.start) as u64
    }

    /// Whether `a` is `b` or one of its ancestors. Walks only the history between them.
    pub(crate) fn is_ancestor(&self, a: Lv, b: Lv) -> bool {
        if a >= b {
            return a == b;
        }
        let e = &self.entries[self.entry_index(b)];
        if a >= e.start {
            return true;
        }
        let mut scratch = DiffScratch::default();
        self.diff_into(&[a], &[b], &mut scratch);
        scratch.only_a.is_empty()
    }

    /// The public id of local version `lv`.
    pub(crate) fn lv_to_id(&self, lv: Lv) -> OpId {
        let e = &self.entries[self.entry_index(lv)];
        OpId {
            peer: self.peers[e.peer as usize].id,
            seq: e.seq + (lv - e.start) as u64,
        }
    }

    /// The peer that made `lv` and the remaining length of its peer run from `lv`.
    pub(crate) fn peer_run_at(&self, lv: Lv) -> (PeerId, u64, usize) {
        let e = &self.entries[self.entry_index(lv)];
        (
            self.peers[e.peer as usize].id,
            e.seq + (lv - e.start) as u64,
            e.end - lv,
        )
    }

    /// The local version of `id`, if known.
    pub(crate) fn id_to_lv(&self, id: OpId) -> Option<Lv> {
        // Decoding asks about the parents of what it just read: mostly the peer pushed last, and
        // its newest run.
        let index = match self.last_peer {
            Some((p, i)) if p == id.peer => i as usize,
            _ => *self.peer_index.get(&id.peer.0)?,
        };
        let runs = &self.peers[index].runs;
        let r = match runs.last() {
            Some(last) if last.seq <= id.seq => last,
            _ => runs.get(runs.partition_point(|r| r.seq + r.len as u64 <= id.seq))?,
        };
        (r.seq <= id.seq && id.seq - r.seq < r.len as u64).then(|| r.lv + (id.seq - r.seq) as usize)
    }

    /// Version vector of everything known.
    pub(crate) fn version_vector(&self) -> VersionVector {
        self.peers.iter().map(|p| (p.id, p.next_seq())).collect()
    }

    /// Every peer with how many of its operations are known, in peer table order.
    pub(crate) fn peer_counts(&self) -> impl Iterator<Item = (PeerId, u64)> + '_ {
        self.peers.iter().map(|p| (p.id, p.next_seq()))
    }

    /// Local versions of all operations of `peer` with sequence number >= `from_seq`.
    pub(crate) fn ranges_since(&self, peer: PeerId, from_seq: u64, out: &mut Vec<Range<Lv>>) {
        let Some(i) = self.peer_index.get(&peer.0) else {
            return;
        };
        for r in &self.peers[*i].runs {
            let end = r.seq + r.len as u64;
            if end <= from_seq {
                continue;
            }
            let skip = from_seq.saturating_sub(r.seq) as usize;
            out.push(r.lv + skip..r.lv + r.len);
        }
    }

    /// Heap bytes owned.
    pub(crate) fn heap_size(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<GraphEntry>()
            + self.parent_arena.capacity() * std::mem::size_of::<Lv>()
            + self
                .peers
                .iter()
                .map(|p| p.runs.capacity() * std::mem::size_of::<PeerRun>())
                .sum::<usize>()
            + self.peers.capacity() * std::mem::size_of::<PeerRecord>()
            + self.peer_index.len() * 32
    }

    /// Peers in the table, in index order.
    pub(crate) fn peers(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.peers.iter().map(|p| p.id)
    }

    /// Frontier of local versions to public [`Frontier`].
    pub(crate) fn frontier_to_ids(&self, frontier: &[Lv]) -> Frontier {
        Frontier::from_ids(frontier.iter().map(|lv| self.lv_to_id(*lv)).collect())
    }

    /// Walk backwards from versions `a` and `b` together, calling `visit(range, side)` for every
    /// run of operations above their last common point, in descending order. Returns that common
    /// frontier (sorted): every operation below it is in both histories.
    ///
    /// The common point is a single operation (or the empty version) that every visited
    /// operation descends from, which is what the merge needs: its tracker represents the
    /// document at that point by a placeholder and never retreats below it.
    pub(crate) fn find_conflicting(
        &self,
        a: &[Lv],
        b: &[Lv],
        visit: impl FnMut(Range<Lv>, Side),
    ) -> Vec<Lv> {
        let mut heap = MaxQueue::default();
        self.walk_back(a, b, true, &mut heap, visit);
        let mut common: Vec<Lv> = heap.0.iter().map(|(lv, _)| *lv).collect();
        common.sort_unstable();
        common.dedup();
        common
    }

    /// Walk back from `a` and `b` (see [`CausalGraph::find_conflicting`] and
    /// [`CausalGraph::diff`]); `heap` (emptied first) holds where the walk stopped.
    fn walk_back(
        &self,
        a: &[Lv],
        b: &[Lv],
        to_single_point: bool,
        heap: &mut MaxQueue,
        mut visit: impl FnMut(Range<Lv>, Side),
    ) {
        heap.clear();
        let mut unshared = 0usize;
        for lv in a {
            heap.push(*lv, Side::OnlyA);
            unshared += 1;
        }
        for lv in b {
            heap.push(*lv, Side::OnlyB);
            unshared += 1;
        }
        let mut reached_root = false;
        // Popped versions never increase, so each lookup starts from the previous entry.
        let mut hint = self.entries.len().saturating_sub(1);
        loop {
            if to_single_point {
                // Stop at one operation every remaining path goes through, on both sides.
                let Some((top, _)) = heap.peek() else {
                    break;
                };
                if !reached_root && heap.0.iter().all(|(lv, _)| *lv == top) {
                    let side = heap.0.iter().fold(None, |acc: Option<Side>, (_, s)| {
                        Some(acc.map_or(*s, |a| a.union(*s)))
                    });
                    if side == Some(Side::Shared) {
                        break;
                    }
                }
            } else if unshared == 0 {
                break;
            }
            let Some((lv, mut side)) = heap.pop() else {
                break;
            };
            if side != Side::Shared {
                unshared -= 1;
            }
            while let Some((next, s)) = heap.peek() {
                if next != lv {
                    break;
                }
                heap.pop();
                if s != Side::Shared {
                    unshared -= 1;
                }
                side = side.union(s);
            }
            hint = self.entry_index_at_or_before(lv, hint);
            let e = &self.entries[hint];
            // Another head inside this entry: visit down to it and let it carry on from there.
            if let Some((next, _)) = heap.peek() {
                if next >= e.start {
                    visit(next + 1..lv + 1, side);
                    heap.push(next, side);
                    if side != Side::Shared {
                        unshared += 1;
                    }
                    continue;
                }
            }
            visit(e.start..lv + 1, side);
            let parents =
                &self.parent_arena[e.parents_at as usize..(e.parents_at + e.parents_len) as usize];
            reached_root |= parents.is_empty();
            for p in parents {
                heap.push(*p, side);
                if side != Side::Shared {
                    unshared += 1;
                }
            }
        }
    }

    /// Operations in the history of `a` but not `b`, and in `b` but not `a`, each as ascending
    /// ranges.
    #[cfg(test)]
    pub(crate) fn diff(&self, a: &[Lv], b: &[Lv]) -> (Vec<Range<Lv>>, Vec<Range<Lv>>) {
        let mut scratch = DiffScratch::default();
        self.diff_into(a, b, &mut scratch);
        (scratch.only_a, scratch.only_b)
    }

    /// [`CausalGraph::diff`] into reused buffers (`scratch.only_a` and `scratch.only_b`): the
    /// merge walk asks this for every switch between branches, mostly about a few operations.
    pub(crate) fn diff_into(&self, a: &[Lv], b: &[Lv], scratch: &mut DiffScratch) {
        let DiffScratch {
            only_a,
            only_b,
            heap,
        } = scratch;
        only_a.clear();
        only_b.clear();
        self.walk_back(a, b, false, heap, |r, side| match side {
            Side::OnlyA => push_range_desc(only_a, r),
            Side::OnlyB => push_range_desc(only_b, r),
            Side::Shared => {}
        });
        only_a.reverse();
        only_b.reverse();
    }

    /// Iterate the entries overlapping `range` as `(sub_range, index)` pairs.
    pub(crate) fn runs_in(&self, range: Range<Lv>) -> impl Iterator<Item = Range<Lv>> + '_ {
        let first = if range.start < range.end {
            self.entry_index(range.start)
        } else {
            self.entries.len()
        };
        self.entries[first..]
            .iter()
            .take_while(move |e| e.start < range.end)
            .map(move |e| e.start.max(range.start)..e.end.min(range.end))
    }
}

/// Buffers for [`CausalGraph::diff_into`], kept between calls.
#[derive(Debug, Default)]
pub(crate) struct DiffScratch {
    /// Operations only in the history of the first version, as ascending ranges.
    pub(crate) only_a: Vec<Range<Lv>>,
    /// Operations only in the history of the second version, as ascending ranges.
    pub(crate) only_b: Vec<Range<Lv>>,
    heap: MaxQueue,
}

/// The heads still to visit in a backward walk, largest local version first. A sorted vector:
/// the walks the merge makes keep a handful of heads, where this beats a binary heap.
#[derive(Debug, Default)]
pub(crate) struct MaxQueue(Vec<(Lv, Side)>);

impl MaxQueue {
    fn clear(&mut self) {
        self.0.clear();
    }

    fn push(&mut self, lv: Lv, side: Side) {
        let at = self.0.partition_point(|(x, _)| *x < lv);
        self.0.insert(at, (lv, side));
    }

    fn pop(&mut self) -> Option<(Lv, Side)> {
        self.0.pop()
    }

    fn peek(&self) -> Option<(Lv, Side)> {
        self.0.last().copied()
    }
}

/// Push a range visited in descending order, merging with the previous one when adjacent.
fn push_range_desc(out: &mut Vec<Range<Lv>>, r: Range<Lv>) {
    if let Some(last) = out.last_mut() {
        if last.start == r.end {
            last.start = r.start;
            return;
        }
    }
    out.push(r);
}

/// Update `frontier` (sorted) for operations `range` whose first operation has `parents`.
pub(crate) fn advance_frontier(frontier: &mut Vec<Lv>, parents: &[Lv], range: Range<Lv>) {
    frontier.retain(|lv| !parents.contains(lv));
    let last = range.end - 1;
    let at = frontier.partition_point(|lv| *lv < last);
    frontier.insert(at, last);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> CausalGraph {
        // a: 0..3 (root), b: 3..5 concurrent (root), merge by a: 5..6 with parents {2, 4}
        let mut g = CausalGraph::default();
        g.push(PeerId(1), 0, 3, &[]);
        g.push(PeerId(2), 0, 2, &[]);
        g.push(PeerId(1), 3, 1, &[2, 4]);
        g
    }

    #[test]
    fn push_merges_sequential_runs() {
        let mut g = CausalGraph::default();
        g.push(PeerId(1), 0, 3, &[]);
        g.push(PeerId(1), 3, 2, &[2]);
        assert_eq!(g.entries.len(), 1);
        assert_eq!(g.len(), 5);
        assert_eq!(
            g.lv_to_id(4),
            OpId {
                peer: PeerId(1),
                seq: 4
            }
        );
        assert_eq!(
            g.id_to_lv(OpId {
                peer: PeerId(1),
                seq: 4
            }),
            Some(4)
        );
        assert_eq!(
            g.id_to_lv(OpId {
                peer: PeerId(1),
                seq: 5
            }),
            None
        );
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // vectors of ranges are what diff returns
    fn diff_finds_concurrent_ranges() {
        let g = graph();
        assert_eq!(g.diff(&[2], &[4]), (vec![0..3], vec![3..5]));
        assert_eq!(g.diff(&[5], &[4]), (vec![0..3, 5..6], vec![]));
        assert_eq!(g.diff(&[1], &[2]), (vec![], vec![2..3]));
    }

    #[test]
    fn find_conflicting_stops_at_common_point() {
        let mut g = graph();
        g.push(PeerId(2), 2, 2, &[5]); // 6..8 after the merge
        g.push(PeerId(1), 4, 1, &[5]); // 8 concurrent with 6..8
        let mut seen = Vec::new();
        let common = g.find_conflicting(&[7], &[8], |r, s| seen.push((r, s)));
        assert_eq!(common, vec![5]);
        assert_eq!(seen, vec![(8..9, Side::OnlyB), (6..8, Side::OnlyA)]);
    }

    #[test]
    fn truncate_undoes_push() {
        let mut g = graph();
        g.truncate(4);
        assert_eq!(g.len(), 4);
        assert_eq!(g.next_seq(PeerId(2)), 1);
        assert_eq!(g.next_seq(PeerId(1)), 3);
        g.push(PeerId(2), 1, 1, &[3]);
        assert_eq!(g.entries.len(), 2);
    }

    #[test]
    fn frontier_advances() {
        let mut f = vec![2, 4];
        advance_frontier(&mut f, &[2, 4], 5..6);
        assert_eq!(f, vec![5]);
        advance_frontier(&mut f, &[], 6..8);
        assert_eq!(f, vec![5, 7]);
    }
}
