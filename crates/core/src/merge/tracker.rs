//! The temporary CRDT state used while merging concurrent operations.
//!
//! A tracker holds one *item* per run of inserted characters, in document order, including
//! characters that are deleted or not yet inserted at the version the tracker is currently at.
//! Each item has two states:
//!
//! - `state`: the item at the tracker's *current* version, which moves backwards (retreat) and
//!   forwards (advance) as the walk visits operations on different branches:
//!   0 = not inserted yet, 1 = inserted, `1 + n` = deleted by `n` concurrent deletes;
//! - `ever_deleted`: the item at the *end* of the walk (the merged document), which only grows.
//!
//! Positions of operations are counted in items with `state == 1`; positions of the transformed
//! operations applied to the output text are counted in items with `!ever_deleted`.
//!
//! Characters that existed before the walk's common starting version are represented by one
//! placeholder item of [`PLACEHOLDER_LEN`] characters with ids from [`PLACEHOLDER_BASE`] (the
//! Eg-walker trick: their real ids do not matter, only their order).
//!
//! Insert ordering is FugueMax (equivalently YjsMod, as shown in the Fugue paper): every item
//! records its left and right origins at the version it was made, and [`Tracker::integrate`]
//! places concurrent inserts at the same point so that runs never interleave.
//!
//! This implementation keeps items in a vector and finds positions by scanning it: simple, and
//! fast while the concurrent region is small (the tracker is dropped after each concurrent region
//! of history). A tree keyed by position and id would make large concurrent merges logarithmic.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::causal_graph::Lv;

/// Id meaning "no origin": the start (left) or end (right) of the document.
pub(crate) const NONE: Lv = usize::MAX;
/// First id of the placeholder characters.
pub(crate) const PLACEHOLDER_BASE: Lv = usize::MAX / 2;
/// Length of the placeholder: more characters than any document has.
pub(crate) const PLACEHOLDER_LEN: usize = usize::MAX / 4;

const NOT_INSERTED: u32 = 0;
const INSERTED: u32 = 1;

#[derive(Clone, Debug)]
struct Item {
    id: Lv,
    len: usize,
    /// Left origin of the first character; later characters' left origin is their predecessor.
    origin_left: Lv,
    origin_right: Lv,
    state: u32,
    ever_deleted: bool,
}

impl Item {
    fn ids(&self) -> Range<Lv> {
        self.id..self.id + self.len
    }

    fn cur_len(&self) -> usize {
        if self.state == INSERTED {
            self.len
        } else {
            0
        }
    }

    fn end_len(&self) -> usize {
        if self.ever_deleted {
            0
        } else {
            self.len
        }
    }

    /// Split into `[..at]` (kept) and `[at..]` (returned).
    fn split(&mut self, at: usize) -> Item {
        debug_assert!(at > 0 && at < self.len);
        let right = Item {
            id: self.id + at,
            len: self.len - at,
            origin_left: self.id + at - 1,
            origin_right: self.origin_right,
            state: self.state,
            ever_deleted: self.ever_deleted,
        };
        self.len = at;
        right
    }
}

/// What a delete operation deleted, so it can be retreated and advanced later.
#[derive(Clone, Copy, Debug)]
struct DeleteTarget {
    len: usize,
    target: Lv,
    /// Backspace: operation `i` deleted `target + len - 1 - i`.
    reversed: bool,
}

/// Result of applying a run of deletes: the target chunks in output coordinates.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DeletedChunk {
    /// Position in the output (end-state) document, or `None` if the characters were already
    /// deleted there by a concurrent delete.
    pub(crate) out_pos: Option<usize>,
    pub(crate) len: usize,
}

/// The temporary CRDT state; see the module docs.
#[derive(Debug)]
pub(crate) struct Tracker {
    items: Vec<Item>,
    deletes: BTreeMap<Lv, DeleteTarget>,
    cur_total: usize,
    end_total: usize,
}

impl Tracker {
    pub(crate) fn new() -> Self {
        Tracker {
            items: vec![Item {
                id: PLACEHOLDER_BASE,
                len: PLACEHOLDER_LEN,
                origin_left: NONE,
                origin_right: NONE,
                state: INSERTED,
                ever_deleted: false,
            }],
            deletes: BTreeMap::new(),
            cur_total: PLACEHOLDER_LEN,
            end_total: PLACEHOLDER_LEN,
        }
    }

    /// Visible characters at the current version (placeholder included).
    pub(crate) fn cur_total(&self) -> usize {
        self.cur_total
    }

    /// Visible characters at the end of the walk (placeholder included).
    pub(crate) fn end_total(&self) -> usize {
        self.end_total
    }

    /// Document-order index of char `id` counting every item; `NONE` as left is -1 (start) and as
    /// right is the total (end). Returned shifted by one so both fit in `usize`.
    fn order_of(&self, id: Lv, as_left: bool) -> usize {
        if id == NONE {
            return if as_left { 0 } else { usize::MAX };
        }
        let mut acc = 0usize;
        for it in &self.items {
            if it.ids().contains(&id) {
                return acc + (id - it.id) + 1;
            }
            acc += it.len;
        }
        // Invariant: origins always name items in the tracker.
        unreachable!("origin {id} missing from tracker")
    }

    /// Make an item boundary at char offset `off` of item `idx`; returns the index of the item
    /// that starts there (may be `items.len()`).
    fn split_at(&mut self, idx: usize, off: usize) -> usize {
        if off == 0 {
            return idx;
        }
        if off >= self.items[idx].len {
            return idx + 1;
        }
        let right = self.items[idx].split(off);
        self.items.insert(idx + 1, right);
        idx + 1
    }

    /// Insert a run of `len` chars with ids `id..id + len` at current position `pos`, ordered
    /// among concurrent inserts by FugueMax. `peer_key(lv)` gives the tie-break key of an id
    /// (its peer). Returns the output position of the inserted run.
    pub(crate) fn integrate(
        &mut self,
        id: Lv,
        len: usize,
        pos: usize,
        peer_key: impl Fn(Lv) -> u64,
    ) -> usize {
        // Cursor just after the visible char at pos - 1.
        let (mut idx, mut off, origin_left) = if pos == 0 {
            (0, 0, NONE)
        } else {
            let mut acc = 0;
            let mut found = None;
            for (i, it) in self.items.iter().enumerate() {
                let l = it.cur_len();
                if acc + l >= pos && l > 0 {
                    let o = pos - acc;
                    found = Some((i, o, it.id + o - 1));
                    break;
                }
                acc += l;
            }
            // Invariant: callers validate pos <= visible length.
            found.unwrap_or_else(|| unreachable!("insert position {pos} past the end"))
        };
        // Origin right: first char after the cursor that exists at this version.
        let origin_right = {
            let mut r = NONE;
            let (mut i, mut o) = (idx, off);
            while i < self.items.len() {
                let it = &self.items[i];
                if o < it.len && it.state != NOT_INSERTED {
                    r = it.id + o;
                    break;
                }
                i += 1;
                o = 0;
            }
            r
        };
        if off > 0 && off >= self.items[idx].len {
            idx += 1;
            off = 0;
        }

        let left_order = self.order_of(origin_left, true);
        let right_order = self.order_of(origin_right, false);
        let my_key = peer_key(id);
        let mut scanning = false;
        let mut scan_idx = idx;
        let mut cur = idx;
        if off == 0 {
            while cur < self.items.len() {
                let other = &self.items[cur];
                if other.id == origin_right {
                    break;
                }
                let other_left = self.order_of(other.origin_left, true);
                if other_left < left_order {
                    break;
                }
                if other_left == left_order {
                    if other.origin_right == origin_right {
                        if my_key < peer_key(other.id) {
                            break;
                        }
                        scanning = false;
                    } else {
                        let other_right = self.order_of(other.origin_right, false);
                        if other_right < right_order {
                            if !scanning {
                                scanning = true;
                                scan_idx = cur;
                            }
                        } else {
                            scanning = false;
                        }
                    }
                }
                cur += 1;
            }
        }
        let at_idx = if off > 0 {
            // Inside an item: origin_right is the rest of it, so we go right here.
            self.split_at(idx, off)
        } else if scanning {
            scan_idx
        } else {
            cur
        };
        self.items.insert(
            at_idx,
            Item {
                id,
                len,
                origin_left,
                origin_right,
                state: INSERTED,
                ever_deleted: false,
            },
        );
        self.cur_total += len;
        self.end_total += len;
        self.items[..at_idx].iter().map(Item::end_len).sum()
    }

    /// Delete the `len` visible chars starting at current position `start` (for a backspace run
    /// of `len` operations at `pos`, `start = pos + 1 - len`). Operations `lv..lv + len` are
    /// recorded as the deleters; `reversed` for backspace order. Returns the deleted chunks in
    /// output coordinates, in the order they should be applied to the output.
    pub(crate) fn delete(
        &mut self,
        lv: Lv,
        start: usize,
        len: usize,
        reversed: bool,
    ) -> Vec<DeletedChunk> {
        let mut out = Vec::new();
        let mut acc = 0usize;
        let mut end_acc = 0usize;
        let mut idx = 0usize;
        // Find the item holding visible char `start`.
        while idx < self.items.len() {
            let l = self.items[idx].cur_len();
            if acc + l > start {
                let off = start - acc;
                if off > 0 {
                    end_acc += if self.items[idx].ever_deleted { 0 } else { off };
                    idx = self.split_at(idx, off);
                }
                break;
            }
            acc += l;
            end_acc += self.items[idx].end_len();
            idx += 1;
        }
        let mut remaining = len;
        let mut done = 0usize;
        while remaining > 0 && idx < self.items.len() {
            if self.items[idx].state != INSERTED {
                end_acc += self.items[idx].end_len();
                idx += 1;
                continue;
            }
            if self.items[idx].len > remaining {
                self.split_at(idx, remaining);
            }
            let it = &mut self.items[idx];
            let n = it.len;
            it.state += 1;
            self.cur_total -= n;
            let out_pos = if it.ever_deleted {
                None
            } else {
                it.ever_deleted = true;
                self.end_total -= n;
                Some(end_acc)
            };
            // Record which operations deleted these chars.
            let first_op = if reversed {
                lv + len - done - n
            } else {
                lv + done
            };
            self.deletes.insert(
                first_op,
                DeleteTarget {
                    len: n,
                    target: it.id,
                    reversed,
                },
            );
            out.push(DeletedChunk { out_pos, len: n });
            done += n;
            remaining -= n;
            idx += 1;
        }
        debug_assert_eq!(remaining, 0, "delete past the end (callers validate)");
        out
    }

    /// Change the state of chars `ids` by `delta` (+1 advance, -1 retreat).
    fn bump(&mut self, ids: Range<Lv>, delta: i32) {
        let mut i = 0;
        while i < self.items.len() {
            let r = self.items[i].ids();
            if r.end <= ids.start || r.start >= ids.end {
                i += 1;
                continue;
            }
            if r.start < ids.start {
                i = self.split_at(i, ids.start - r.start);
                continue;
            }
            if r.end > ids.end {
                self.split_at(i, ids.end - r.start);
            }
            let it = &mut self.items[i];
            let before = it.cur_len();
            it.state = it.state.wrapping_add_signed(delta);
            let after = it.cur_len();
            self.cur_total = self.cur_total + after - before;
            i += 1;
        }
    }

    /// Move an insert run's chars between "not inserted" and "inserted".
    pub(crate) fn toggle_insert(&mut self, ids: Range<Lv>, advance: bool) {
        self.bump(ids, if advance { 1 } else { -1 });
    }

    /// Advance or retreat the delete operations `ops`.
    pub(crate) fn toggle_delete(&mut self, ops: Range<Lv>, advance: bool) {
        let delta = if advance { 1 } else { -1 };
        let entries: Vec<(Lv, DeleteTarget)> = self
            .deletes
            .range(..ops.end)
            .rev()
            .take_while(|(lv, t)| **lv + t.len > ops.start)
            .map(|(lv, t)| (*lv, *t))
            .collect();
        for (lv, t) in entries {
            let s = ops.start.max(lv);
            let e = ops.end.min(lv + t.len);
            if s >= e {
                continue;
            }
            let (a, b) = (s - lv, e - lv);
            let targets = if t.reversed {
                t.target + t.len - b..t.target + t.len - a
            } else {
                t.target + a..t.target + b
            };
            self.bump(targets, delta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrate_and_delete_track_positions() {
        let mut t = Tracker::new();
        // "ab" typed at 0 on top of a placeholder; then delete "a".
        assert_eq!(t.integrate(0, 2, 0, |_| 1), 0);
        assert_eq!(
            t.delete(2, 0, 1, false),
            vec![DeletedChunk {
                out_pos: Some(0),
                len: 1
            }]
        );
        // Retreat the delete: "a" is visible again at the current version, still deleted at the end.
        t.toggle_delete(2..3, false);
        assert_eq!(t.cur_total(), PLACEHOLDER_LEN + 2);
        assert_eq!(t.end_total(), PLACEHOLDER_LEN + 1);
        // A concurrent delete of the same char deletes nothing more in the output.
        assert_eq!(
            t.delete(3, 0, 1, false),
            vec![DeletedChunk {
                out_pos: None,
                len: 1
            }]
        );
    }

    #[test]
    fn concurrent_inserts_at_same_place_do_not_interleave() {
        let mut t = Tracker::new();
        // Peer 1 types "abc" (ids 0..3) at 0; retreat it; peer 2 types "xyz" (3..6) at 0.
        t.integrate(0, 3, 0, |lv| if lv < 3 { 1 } else { 2 });
        t.toggle_insert(0..3, false);
        let p = t.integrate(3, 3, 0, |lv| if lv < 3 { 1 } else { 2 });
        assert_eq!(p, 3, "the lower peer's run goes first");
    }
}
