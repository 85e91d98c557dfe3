//! Trackers kept between merges while a document's history stays concurrent.
//!
//! A merge region's tracker stands for the text at the region's *common point* (one operation
//! every replayed operation descends from, or the empty version) and holds every operation since
//! that point. Normally it is dropped when the region ends: the next merge finds a later common
//! point and replays less. But while the document has more than one head, the next merge usually
//! finds the same old common point again, and a document with several roots (histories with no
//! operation in common) has none at all: every merge would replay the whole history since the
//! common point (git-makefile-x2 imported one update at a time replayed 245 M operations).
//!
//! So [`transform_kept`](super::transform_kept) keeps the last region's tracker, with where the
//! walk stands, in a [`MergeCache`] owned by the document, one per text, while the document has
//! more than one head. The next merge of that text continues it if every operation added since
//! descends from the kept common point (checked on the parents of the graph entries added since,
//! which costs O(entries), not O(operations)): it replays the operations the text gained in
//! between (local edits, imports that took the fast path) without output, then the new ones.
//! Otherwise, or once the document is back to one head, the kept tracker is dropped.
//!
//! Invalidation: a kept tracker describes the text exactly as the history up to its `end` made
//! it. Operations added later are caught up as above; anything else that changes a text or
//! removes operations (a rolled-back import) must [`MergeCache::clear`] it. A copy of a document
//! starts with an empty cache. Memory: at most [`KEPT_TEXTS`] trackers holding at most
//! [`KEPT_OPS_MAX`] operations together; a tracker holds what the merge that built it held
//! anyway.

use std::ops::Range;

use super::ops::RegionOps;
use super::tracker::Tracker;
use crate::causal_graph::{CausalGraph, Lv};

/// Most texts of one document with a kept tracker: merging a change that edits several texts
/// keeps one tracker per text, and the least recently merged text's goes first.
pub(crate) const KEPT_TEXTS: usize = 4;

/// Most operations the kept trackers of one document hold together (a tracker takes a few tens
/// of bytes per operation): past it the least recently merged texts' go, and a tracker larger
/// than this on its own is dropped after its merge, as if there were no cache.
pub(crate) const KEPT_OPS_MAX: usize = 1 << 20;

/// A merge region's tracker and walk state, kept for the next merge of the same text.
pub(super) struct Kept {
    /// The text (index in the document's container table).
    pub(super) container: u32,
    /// The version the tracker's placeholder stands for: one operation, or `None` for the empty
    /// version.
    pub(super) common: Option<Lv>,
    /// Every operation after `common` and before `end` is in the tracker; operations from `end`
    /// on are not.
    pub(super) end: Lv,
    /// The text's operations after `common` and before `end`.
    pub(super) ops: RegionOps,
    pub(super) tracker: Tracker,
    /// The version the tracker is at.
    pub(super) version: Vec<Lv>,
}

impl Kept {
    /// First operation the tracker can hold.
    fn base(&self) -> Lv {
        self.common.map_or(0, |c| c + 1)
    }

    /// Operations of the history the tracker stands for (an upper bound on those it holds).
    fn ops_held(&self) -> usize {
        self.end - self.base()
    }

    /// Whether this tracker can take the operations up to the end of `region`: everything added
    /// since it was kept (up to `region.end`) descends from its common point, which holds if
    /// every parent named in that part of the graph is the common point or after it (so is in
    /// the tracker, or will be by then). Conservative: a parent before the common point that is
    /// one of its ancestors would do too, but telling costs a graph walk.
    ///
    /// Also refused when more operations arrived since the tracker was kept than it holds
    /// (a long stretch of typing, say): replaying them all costs at least what the tracker saves,
    /// and a new tracker from the region's own common point may need far fewer.
    pub(super) fn can_continue(&self, graph: &CausalGraph, region: Range<Lv>) -> bool {
        if self.end > region.start || region.start - self.end > self.ops_held() {
            return false;
        }
        let base = self.base();
        let mut parents = Vec::new();
        let mut hint = usize::MAX;
        graph.runs_in(self.end..region.end).all(|r| {
            graph.parents_into_near(r.start, &mut hint, &mut parents);
            if parents.is_empty() {
                // A new root descends from the empty version only.
                return self.common.is_none();
            }
            parents
                .iter()
                .all(|p| *p >= base || Some(*p) == self.common)
        })
    }
}

/// The kept trackers of one document (see the module docs). Cloning gives an empty cache.
#[derive(Default)]
pub(crate) struct MergeCache {
    /// Least recently merged first; at most one per text.
    kept: Vec<Kept>,
}

impl MergeCache {
    /// Drop every kept tracker: call whenever a text changes other than by a merge or by
    /// appending operations, or operations are removed.
    pub(crate) fn clear(&mut self) {
        self.kept.clear();
    }

    /// Take the kept tracker of `container` out, if any.
    pub(super) fn take(&mut self, container: u32) -> Option<Kept> {
        let i = self.kept.iter().position(|k| k.container == container)?;
        Some(self.kept.remove(i))
    }

    /// Drop the kept tracker of `container`, if any.
    pub(super) fn remove(&mut self, container: u32) {
        self.kept.retain(|k| k.container != container);
    }

    /// Keep `kept` (replacing its text's), within [`KEPT_TEXTS`] and [`KEPT_OPS_MAX`].
    pub(super) fn put(&mut self, kept: Kept) {
        self.remove(kept.container);
        let mut total = kept.ops_held();
        if total > KEPT_OPS_MAX {
            return;
        }
        // Keep the most recently merged texts that fit, dropping the others.
        let mut keep = self.kept.len();
        while keep > 0
            && self.kept.len() - keep < KEPT_TEXTS - 1
            && total + self.kept[keep - 1].ops_held() <= KEPT_OPS_MAX
        {
            keep -= 1;
            total += self.kept[keep].ops_held();
        }
        self.kept.drain(..keep);
        self.kept.push(kept);
    }
}

impl Clone for MergeCache {
    fn clone(&self) -> Self {
        MergeCache::default()
    }
}

impl std::fmt::Debug for MergeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MergeCache")
            .field("texts", &self.kept.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(container: u32, common: Option<Lv>, end: Lv) -> Kept {
        Kept {
            container,
            common,
            end,
            ops: RegionOps::default(),
            tracker: Tracker::new(0..0),
            version: Vec::new(),
        }
    }

    fn held(cache: &MergeCache) -> Vec<u32> {
        cache.kept.iter().map(|k| k.container).collect()
    }

    #[test]
    fn the_cache_is_bounded_in_texts_and_operations() {
        let mut cache = MergeCache::default();
        for c in 0..6 {
            cache.put(kept(c, Some(c as Lv * 10), c as Lv * 10 + 5));
        }
        assert_eq!(
            held(&cache),
            [2, 3, 4, 5],
            "the most recent texts, KEPT_TEXTS of them"
        );
        // Re-merging a text moves it to the back; a large tracker pushes the others out.
        cache.put(kept(3, None, 100));
        assert_eq!(held(&cache), [2, 4, 5, 3]);
        cache.put(kept(7, None, KEPT_OPS_MAX - 100));
        assert_eq!(held(&cache), [3, 7], "together within KEPT_OPS_MAX");
        cache.put(kept(8, None, KEPT_OPS_MAX + 1));
        assert_eq!(held(&cache), [3, 7], "too large on its own: not kept");
        cache.put(kept(3, Some(5), 6));
        assert!(cache.take(3).is_some() && cache.take(3).is_none());
        assert_eq!(
            held(&cache.clone()),
            Vec::<u32>::new(),
            "a copy starts empty"
        );
        cache.clear();
        assert_eq!(held(&cache), Vec::<u32>::new());
    }
}
