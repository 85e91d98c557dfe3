//! Stable cursors in texts: a [`Cursor`] that names a character by the id of the operation that
//! inserted it, resolved to a position in the document's [`TextUnit`](crate::TextUnit) after any
//! local or remote edits.
//!
//! The document keeps a text as a plain rope without character ids (the Eg-walker design), so
//! resolving a text cursor needs an *id index*: the text's characters in document order by id,
//! deleted ones included as tombstones. The index is built on demand, the first time a cursor of
//! that text is made or resolved, by transforming the text's operations from the empty version
//! (the same replay a load does), and then kept up to date lazily: each later call transforms
//! only the operations that arrived since the previous call ([`merge::transform`], the merge the
//! document itself runs) and applies them to the index. Costs:
//!
//! - first call on a text: O(operations in the document) once, like loading it;
//! - every later call: the cost of merging the operations that arrived since the previous call
//!   (none for a document that did not change: O(1) for that part), plus O(log r) to find the
//!   character, where r is the number of runs in the index (a run is a block of characters with
//!   consecutive ids that were typed together; typing a paragraph is one run). The index is a
//!   list of chunks of at most 64 runs with the visible count of each in a Fenwick tree
//!   ([`Counts`]), so locating a position or an id never scans the chunks; applying an
//!   operation costs O(log r), plus O(r / 64) when it splits a chunk (at most once per 32 new
//!   runs).
//!
//! Lists use the same index ([`Doc::indexed_list_elem`]): their sequence operations are the
//! same, one placeholder per element, and their own tree finds an element by id only by a scan.
//! List cursors and the list indexes in patch paths ([`Doc::path_of`]) go through it.
//!
//! The index lives in the [`Doc`] behind a lock (cursor resolution takes `&self`); a clone of the
//! document starts without it. Its memory is one small entry per run.
//!
//! A deleted character stays in the index where it was; a cursor anchored to it falls back to the
//! neighbour on its side, which is the same position either way: the number of visible characters
//! before the tombstone. Where a later insert lands exactly in a gap that holds tombstones, the
//! index places it right after the visible character before the gap (before the tombstones).
//! That is where FugueMax puts an insert made at a version where those characters were already
//! deleted (typing where text was just deleted, here or on the peer that deleted it), but not
//! where it puts an insert made while one of them was still visible and deleted concurrently
//! (the insert belongs after it). So in that one case, text inserted right next to a character
//! concurrently with its deletion, a cursor on the deleted character may resolve on one replica
//! before and on another after the inserted text. Cursors on visible characters always resolve
//! exactly and identically everywhere (their order is the text's).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Mutex;

use crate::causal_graph::Lv;
use crate::cursor::{Cursor, Side};
use crate::cursor_counts::Counts;
use crate::error::EditError;
use crate::merge::{self, TransformedOp};
use crate::sorted_map::SortedMap;
use crate::value::{ContainerKind, TextId};
use crate::Doc;

/// Most runs in one chunk of the index before it splits.
const CHUNK_MAX: usize = 64;

/// A block of characters with consecutive ids `start..start + len`, all visible or all deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: Lv,
    len: usize,
    live: bool,
}

#[derive(Clone, Debug, Default)]
struct Chunk {
    runs: Vec<Run>,
    /// Visible characters in `runs`.
    live: usize,
    /// Stable key of this chunk (see [`TextIndex::chunk_of_key`]).
    key: u32,
}

/// The characters of one text in document order, by the id of their inserting operation,
/// deleted ones included. Positions count visible characters (in chars).
#[derive(Clone, Debug)]
pub(crate) struct TextIndex {
    chunks: Vec<Chunk>,
    /// Current index in `chunks` of each chunk key.
    chunk_of_key: Vec<usize>,
    /// First id of every run -> key of the chunk holding it. Stored as `u64 -> usize` (ids and
    /// keys widened): the B-tree type the merge tracker and the pending buffer use too, so the
    /// wasm build carries one copy of its code instead of one more (about 3 KB).
    starts: BTreeMap<u64, usize>,
    /// Visible characters of each chunk (`chunks[i].live`), for prefix sums in O(log chunks).
    counts: Counts,
    /// Visible characters.
    len: usize,
}

impl Default for TextIndex {
    fn default() -> Self {
        TextIndex {
            chunks: vec![Chunk::default()],
            chunk_of_key: vec![0],
            starts: BTreeMap::new(),
            counts: Counts::build(std::iter::once(0)),
            len: 0,
        }
    }
}

impl TextIndex {
    /// Visible characters.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Apply an operation transformed onto the current text. Positions past the end are clamped
    /// (they cannot come from a history the document accepted).
    fn apply(&mut self, op: &TransformedOp) {
        match op {
            TransformedOp::Insert { pos, run } => self.insert(*pos, run.lv, run.len),
            TransformedOp::Delete { pos, len } => self.delete(*pos, *len),
        }
    }

    /// The chunk and run index just after the `pos`-th visible character (`pos > 0`), splitting
    /// a run if that point is inside it. `pos = 0` is the very start.
    fn locate_after(&mut self, pos: usize) -> (usize, usize) {
        if pos == 0 {
            return (0, 0);
        }
        // The first chunk whose end reaches `pos` (the last one if none does).
        let (mut ci, mut acc) = self.counts.search(pos, false);
        if ci >= self.chunks.len() {
            ci = self.chunks.len() - 1;
            acc = self.counts.prefix(ci);
        }
        let mut ri = 0;
        while ri < self.chunks[ci].runs.len() {
            let r = self.chunks[ci].runs[ri];
            if r.live && acc + r.len >= pos {
                let off = pos - acc;
                if off < r.len {
                    self.split(ci, ri, off);
                }
                return (ci, ri + 1);
            }
            if r.live {
                acc += r.len;
            }
            ri += 1;
        }
        (ci, ri)
    }

    /// Split run `ri` of chunk `ci` at offset `off` (`0 < off < len`). The chunk may be left
    /// over [`CHUNK_MAX`]; the caller rebalances it.
    fn split(&mut self, ci: usize, ri: usize, off: usize) {
        let chunk = &mut self.chunks[ci];
        let r = chunk.runs[ri];
        chunk.runs[ri].len = off;
        let right = Run {
            start: r.start + off,
            len: r.len - off,
            live: r.live,
        };
        chunk.runs.insert(ri + 1, right);
        self.starts.insert(right.start as u64, chunk.key as usize);
    }

    /// Split chunk `ci` in two if it is over [`CHUNK_MAX`] runs.
    fn rebalance(&mut self, ci: usize) {
        if self.chunks[ci].runs.len() <= CHUNK_MAX {
            return;
        }
        let half = self.chunks[ci].runs.len() / 2;
        let runs = self.chunks[ci].runs.split_off(half);
        let key = u32::try_from(self.chunk_of_key.len()).unwrap_or(u32::MAX);
        let live = runs.iter().filter(|r| r.live).map(|r| r.len).sum();
        self.chunks[ci].live -= live;
        for r in &runs {
            self.starts.insert(r.start as u64, key as usize);
        }
        self.chunks.insert(ci + 1, Chunk { runs, live, key });
        self.chunk_of_key.push(ci + 1);
        for (i, c) in self.chunks.iter().enumerate().skip(ci + 1) {
            self.chunk_of_key[c.key as usize] = i;
        }
        // Once per CHUNK_MAX / 2 runs added at most, like the moves above.
        self.counts = Counts::build(self.chunks.iter().map(|c| c.live));
    }

    /// Insert `len` visible characters with ids `start..start + len` at visible position `pos`,
    /// right after the visible character before it (before any tombstones there).
    fn insert(&mut self, pos: usize, start: Lv, len: usize) {
        let pos = pos.min(self.len);
        let (ci, ri) = self.locate_after(pos);
        let chunk = &mut self.chunks[ci];
        chunk.live += len;
        self.counts.add(ci, len);
        self.len += len;
        if ri > 0 {
            let prev = &mut chunk.runs[ri - 1];
            if prev.live && prev.start + prev.len == start {
                prev.len += len;
                self.rebalance(ci);
                return;
            }
        }
        chunk.runs.insert(
            ri,
            Run {
                start,
                len,
                live: true,
            },
        );
        self.starts.insert(start as u64, chunk.key as usize);
        self.rebalance(ci);
    }

    /// Mark the visible characters `pos..pos + len` deleted.
    fn delete(&mut self, pos: usize, len: usize) {
        let pos = pos.min(self.len);
        let mut left = len.min(self.len - pos);
        let (mut ci, mut ri) = self.locate_after(pos);
        let mut touched = vec![ci];
        while left > 0 && ci < self.chunks.len() {
            if ri >= self.chunks[ci].runs.len() {
                ci += 1;
                ri = 0;
                continue;
            }
            let r = self.chunks[ci].runs[ri];
            if !r.live {
                ri += 1;
                continue;
            }
            if r.len > left {
                self.split(ci, ri, left);
                touched.push(ci);
            }
            let chunk = &mut self.chunks[ci];
            let n = chunk.runs[ri].len;
            chunk.runs[ri].live = false;
            chunk.live -= n;
            self.counts.sub(ci, n);
            self.len -= n;
            left -= n;
            ri += 1;
        }
        // Rebalance from the back so earlier chunk indexes stay valid.
        touched.sort_unstable();
        touched.dedup();
        for ci in touched.into_iter().rev() {
            self.rebalance(ci);
        }
    }

    /// Where character `id` is: the number of visible characters before it and whether it is
    /// visible, or `None` if it is not a character of this text.
    fn find(&self, id: Lv) -> Option<(usize, bool)> {
        let (_, &key) = self.starts.range(..=id as u64).next_back()?;
        let ci = *self.chunk_of_key.get(key)?;
        let mut before = self.counts.prefix(ci);
        for r in &self.chunks[ci].runs {
            if (r.start..r.start + r.len).contains(&id) {
                return Some(if r.live {
                    (before + (id - r.start), true)
                } else {
                    (before, false)
                });
            }
            if r.live {
                before += r.len;
            }
        }
        None
    }

    /// The id of the visible character at `pos`.
    fn get(&self, pos: usize) -> Option<Lv> {
        // The first chunk whose end is past `pos`.
        let (ci, mut acc) = self.counts.search(pos, true);
        for r in self.chunks.get(ci)?.runs.iter().filter(|r| r.live) {
            if pos < acc + r.len {
                return Some(r.start + (pos - acc));
            }
            acc += r.len;
        }
        None
    }
}

/// A text's index and the version it reflects.
#[derive(Clone, Debug)]
struct Cached {
    /// Heads of the version the index is at.
    frontier: Vec<Lv>,
    /// Every operation below this local version is in the index.
    end: Lv,
    index: TextIndex,
}

/// The id indexes of the texts cursors were used on, by container index (a sorted vector: a
/// document has few texts with cursors). Cloning a document does not clone them (they are
/// rebuilt on demand).
#[derive(Default)]
pub(crate) struct TextCursorCache {
    texts: Mutex<SortedMap<u32, Cached>>,
}

impl Clone for TextCursorCache {
    fn clone(&self) -> Self {
        TextCursorCache::default()
    }
}

impl std::fmt::Debug for TextCursorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextCursorCache").finish_non_exhaustive()
    }
}

impl Doc {
    /// A cursor at `pos` (in the document's [`unit`](Doc::unit), `pos <= len`) of `text`,
    /// sticking to the character on `side`: [`Side::Before`] sits just before the character at
    /// `pos` and moves with it, [`Side::After`] just after the character before `pos`. If that
    /// character is deleted, the cursor falls back to the neighbour on its side (it stays where
    /// the character was). At the very start (`After`) or end (`Before`) it anchors to that
    /// edge. Resolve it with [`Doc::cursor_pos`]; see the [`Cursor`] docs for bytes.
    ///
    /// The first cursor made or resolved on a text builds an index of its characters (a replay
    /// of the history, once); later calls cost about what merging the operations that arrived
    /// since the previous call costs.
    ///
    /// ```
    /// # use weft_core::{Doc, PeerId, Side};
    /// let mut doc = Doc::with_peer(PeerId(1));
    /// let t = doc.text("body");
    /// doc.insert(t, 0, "hello world")?;
    /// let c = doc.text_cursor(t, 6, Side::Before)?; // before "w"
    /// doc.insert(t, 0, ">> ")?;
    /// assert_eq!(doc.cursor_pos(&c), Some(9));
    /// doc.delete(t, 9, 1)?; // delete "w": the cursor stays where it was
    /// assert_eq!(doc.cursor_pos(&c), Some(9));
    /// # Ok::<(), weft_core::EditError>(())
    /// ```
    pub fn text_cursor(&self, text: TextId, pos: usize, side: Side) -> Result<Cursor, EditError> {
        let rope = self.rope(text);
        let at = self.options.unit.unit_to_char(rope, pos)?;
        let len = rope.len_chars();
        let target = match side {
            Side::Before => (at < len).then_some(at),
            Side::After => at.checked_sub(1),
        };
        let elem = match target {
            Some(i) => {
                let lv = self
                    .with_seq_index(text.0, |index| index.get(i))
                    .flatten()
                    .ok_or(EditError::OutOfBounds { pos, len })?;
                Some(self.graph.lv_to_id(lv))
            }
            None => None,
        };
        Ok(Cursor {
            container: self.container_id(text).clone(),
            elem,
            side,
        })
    }

    /// Resolve a text cursor (see [`Doc::cursor_pos`]): its position in the document's unit.
    pub(crate) fn text_cursor_pos(&self, text: TextId, cursor: &Cursor) -> Option<usize> {
        let rope = self.rope(text);
        let chars = match cursor.elem {
            None => match cursor.side {
                Side::After => 0,
                Side::Before => rope.len_chars(),
            },
            Some(elem) => {
                let lv = self.graph.id_to_lv(elem)?;
                let (before, live) = self.with_seq_index(text.0, |index| index.find(lv))??;
                match (cursor.side, live) {
                    (Side::After, true) => before + 1,
                    _ => before,
                }
            }
        };
        Some(
            self.options
                .unit
                .char_to_unit(rope, chars.min(rope.len_chars())),
        )
    }

    /// Where element `elem` (the local version of the operation that inserted it) of list
    /// `list` is: the number of visible elements before it and whether it is visible, or
    /// `Some(None)` if it is not an element of that list. Lists keep their elements' ids in
    /// their own tree, which can only find one by a scan; this uses the id index instead (as
    /// texts do; a list's operations are sequence operations with one placeholder per element),
    /// so the cost is that of bringing the index up to date plus O(log n). `None` if the history
    /// does not replay into an index (it always does for a document's own): the caller scans.
    pub(crate) fn indexed_list_elem(&self, list: u32, elem: Lv) -> Option<Option<(usize, bool)>> {
        self.with_seq_index(list, |index| index.find(elem))
    }

    /// Run `f` on the id index of text or list `c`, brought up to the current version (built
    /// first if needed). `None` if the history does not replay (it always does for a
    /// document's own).
    fn with_seq_index<R>(&self, c: u32, f: impl FnOnce(&TextIndex) -> R) -> Option<R> {
        debug_assert!(matches!(
            self.containers.entries[c as usize].id.kind(),
            ContainerKind::Text | ContainerKind::List
        ));
        let mut texts = self
            .text_cursors
            .texts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let end = self.graph.len();
        let stale = texts.get(&c).is_some_and(|cached| cached.end > end);
        if stale {
            texts.remove(&c);
        }
        let cached = texts.get_or_insert_with(c, || Cached {
            frontier: Vec::new(),
            end: 0,
            index: TextIndex::default(),
        });
        if cached.end < end {
            let mut ops = Vec::new();
            let range: Range<Lv> = cached.end..end;
            let mut frontier = cached.frontier.clone();
            if merge::transform(
                &self.graph,
                &self.log,
                c,
                &mut frontier,
                cached.index.len(),
                range,
                &mut ops,
            )
            .is_err()
            {
                texts.remove(&c);
                return None;
            }
            for op in &ops {
                cached.index.apply(op);
            }
            cached.frontier = frontier;
            cached.end = end;
        }
        Some(f(&cached.index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op_log::{OpKind, OpRun};

    fn ins(index: &mut TextIndex, pos: usize, start: Lv, len: usize) {
        index.insert(pos, start, len);
    }

    fn ids(index: &TextIndex) -> Vec<(Lv, bool)> {
        index
            .chunks
            .iter()
            .flat_map(|c| c.runs.iter())
            .flat_map(|r| (r.start..r.start + r.len).map(move |i| (i, r.live)))
            .collect()
    }

    #[test]
    fn inserts_and_deletes_track_ids_and_tombstones() {
        let mut ix = TextIndex::default();
        ins(&mut ix, 0, 0, 5); // 0 1 2 3 4
        ins(&mut ix, 5, 5, 2); // coalesces: 0..7
        assert_eq!(ix.chunks[0].runs.len(), 1);
        ins(&mut ix, 2, 10, 1); // 0 1 10 2 3 4 5 6
        assert_eq!(ix.get(2), Some(10));
        assert_eq!(ix.find(2), Some((3, true)));
        ix.delete(1, 3); // deletes 1 10 2
        assert_eq!(ix.len(), 5);
        assert_eq!(ix.find(10), Some((1, false)));
        assert_eq!(ix.find(3), Some((1, true)));
        // An insert at the gap goes before the tombstones.
        ins(&mut ix, 1, 20, 1);
        assert_eq!(
            ids(&ix)[..5],
            [(0, true), (20, true), (1, false), (10, false), (2, false)]
        );
        assert_eq!(ix.find(10), Some((2, false)));
        assert_eq!(ix.find(99), None);
    }

    #[test]
    fn many_runs_split_chunks_and_keep_the_id_lookup_right() {
        let mut ix = TextIndex::default();
        // Every insert at the front: one run per char, many chunks.
        for i in 0..1000 {
            ins(&mut ix, 0, i * 2, 1);
        }
        assert!(ix.chunks.len() > 10);
        for i in 0..1000 {
            assert_eq!(ix.find(i * 2), Some((999 - i, true)));
            assert_eq!(ix.get(999 - i), Some(i * 2));
        }
        ix.delete(100, 800);
        assert_eq!(ix.len(), 200);
        assert_eq!(ix.find(2 * 500), Some((100, false)));
        assert_eq!(ix.find(2 * 50), Some((149, true)));
        assert_eq!(ix.find(2 * 899), Some((100, false)));
        assert_eq!(ix.find(2 * 950), Some((49, true)));
        // Applying transformed operations.
        ix.apply(&TransformedOp::Delete { pos: 0, len: 500 });
        assert_eq!(ix.len(), 0);
        let run = OpRun {
            container: 0,
            lv: 5000,
            len: 3,
            kind: OpKind::Insert,
            pos: 0,
            fwd: true,
            content_at: 0,
        };
        ix.apply(&TransformedOp::Insert { pos: 7, run });
        assert_eq!(ix.find(5001), Some((1, true)));
    }
}
