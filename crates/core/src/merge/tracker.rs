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
//! This implementation keeps items in chunks of a vector and finds positions by scanning the
//! chunks' cached counts: simple, and fast while the concurrent region is small (the tracker is
//! dropped after each concurrent region of history, or kept only while the document has several
//! heads, see `merge::kept`). A tree keyed by position and id would make large concurrent merges
//! logarithmic.

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

/// Result of applying a run of deletes: the target chunks in output coordinates.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DeletedChunk {
    /// Position in the output (end-state) document, or `None` if the characters were already
    /// deleted there by a concurrent delete.
    pub(crate) out_pos: Option<usize>,
    pub(crate) len: usize,
}

/// Most items in one chunk before it splits in two.
const CHUNK_MAX: usize = 32;

/// A run of items in document order with their counts cached.
#[derive(Debug, Default)]
struct Chunk {
    items: Vec<Item>,
    /// Sum of `cur_len` of the items.
    cur: usize,
    /// Sum of `end_len`.
    end: usize,
    /// Sum of `len`.
    total: usize,
}

impl Chunk {
    fn counts(&self) -> Counts {
        Counts {
            cur: self.cur,
            end: self.end,
            total: self.total,
        }
    }

    fn recount(&mut self) {
        self.cur = self.items.iter().map(Item::cur_len).sum();
        self.end = self.items.iter().map(Item::end_len).sum();
        self.total = self.items.iter().map(|i| i.len).sum();
    }
}

/// Chunks per group: each group of consecutive chunks caches its counts, so a position lookup
/// skips whole groups before it scans chunks (a large merge has hundreds of chunks).
const GROUP: usize = 16;

/// Counts summed over a group of chunks (the same sums as a [`Chunk`] keeps).
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    cur: usize,
    end: usize,
    total: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.cur += other.cur;
        self.end += other.end;
        self.total += other.total;
    }
}

/// A place in the item list: chunk index and item index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    chunk: usize,
    item: usize,
}

/// The temporary CRDT state; see the module docs.
///
/// Items live in chunks of at most [`CHUNK_MAX`] with cached counts, so finding a position walks
/// the chunk counts and then one chunk. An index from ids to chunks (by a stable chunk key) finds
/// items by id: a flat array over the operations' ids, which are dense from the walk's base (a
/// lookup is one array read, where a search tree cost most of the merge), and another flat array
/// over the placeholder's chars up to its last piece (whose key is kept on its own: that piece
/// reaches past the end of any real text).
#[derive(Debug)]
pub(crate) struct Tracker {
    chunks: Vec<Chunk>,
    /// Counts of chunks `GROUP * i..GROUP * (i + 1)` at index `i`.
    groups: Vec<Counts>,
    /// Stable key of each chunk, parallel to `chunks`.
    keys: Vec<u32>,
    /// Current index of each chunk key.
    chunk_of_key: Vec<usize>,
    /// Smallest operation id the tracker can hold.
    base: Lv,
    /// Key of the chunk holding char `base + i`, for every integrated char.
    key_of_id: Vec<u32>,
    /// Key of the chunk holding placeholder char `PLACEHOLDER_BASE + i`, for every char before
    /// the placeholder's last piece (which starts at `placeholder_keys.len()`).
    placeholder_keys: Vec<u32>,
    /// Key of the chunk holding the placeholder's last piece.
    placeholder_tail: u32,
    /// The char deleted by operation `base + i`, for every applied delete operation (`NONE`
    /// elsewhere), so deletes can be retreated and advanced later.
    delete_target: Vec<Lv>,
    cur_total: usize,
    end_total: usize,
}

impl Tracker {
    /// An empty tracker (just the placeholder) for operations with ids in `ids`.
    pub(crate) fn new(ids: Range<Lv>) -> Self {
        let placeholder = Item {
            id: PLACEHOLDER_BASE,
            len: PLACEHOLDER_LEN,
            origin_left: NONE,
            origin_right: NONE,
            state: INSERTED,
            ever_deleted: false,
        };
        let mut chunk = Chunk {
            items: vec![placeholder],
            ..Chunk::default()
        };
        chunk.recount();
        Tracker {
            groups: vec![chunk.counts()],
            chunks: vec![chunk],
            keys: vec![0],
            chunk_of_key: vec![0],
            base: ids.start,
            key_of_id: Vec::with_capacity(ids.len()),
            placeholder_keys: Vec::new(),
            placeholder_tail: 0,
            delete_target: Vec::with_capacity(ids.len()),
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

    fn item(&self, at: Loc) -> &Item {
        &self.chunks[at.chunk].items[at.item]
    }

    /// The item after `at`, skipping to the next chunk; `None` at the end.
    fn next_loc(&self, at: Loc) -> Option<Loc> {
        if at.item + 1 < self.chunks[at.chunk].items.len() {
            return Some(Loc {
                chunk: at.chunk,
                item: at.item + 1,
            });
        }
        let chunk = at.chunk + 1;
        (chunk < self.chunks.len()).then_some(Loc { chunk, item: 0 })
    }

    /// Location of the item containing char `id`, and the offset in it.
    fn find_id(&self, id: Lv) -> (Loc, usize) {
        // Invariant: every id the walk asks about was integrated (or is a placeholder id).
        let key = if id >= PLACEHOLDER_BASE {
            let at = id - PLACEHOLDER_BASE;
            Some(
                self.placeholder_keys
                    .get(at)
                    .copied()
                    .unwrap_or(self.placeholder_tail),
            )
        } else {
            id.checked_sub(self.base)
                .and_then(|i| self.key_of_id.get(i))
                .copied()
        }
        .unwrap_or_else(|| unreachable!("id {id} not in tracker"));
        let chunk = self.chunk_of_key[key as usize];
        let item = self.chunks[chunk]
            .items
            .iter()
            .position(|it| it.id <= id && id - it.id < it.len)
            .unwrap_or_else(|| unreachable!("index names a chunk without the item"));
        let start = self.chunks[chunk].items[item].id;
        (Loc { chunk, item }, id - start)
    }

    /// Record that `item` now lives in the chunk with key `key`.
    fn index_item(&mut self, item_id: Lv, len: usize, key: u32) {
        if item_id >= PLACEHOLDER_BASE {
            self.index_placeholder(item_id - PLACEHOLDER_BASE, len, key);
            return;
        }
        // Invariant: operation ids are at least `base` (the walk starts above its common point).
        let start = item_id - self.base;
        let end = start + len;
        if self.key_of_id.len() < end {
            self.key_of_id.resize(end, 0);
        }
        self.key_of_id[start..end].fill(key);
    }

    /// Record that the placeholder piece of `len` chars from char `start` (counted from
    /// [`PLACEHOLDER_BASE`]) lives in the chunk with key `key`.
    fn index_placeholder(&mut self, start: usize, len: usize, key: u32) {
        if start + len == PLACEHOLDER_LEN {
            // The last piece. If it starts further on than before, the piece it was split from
            // ends at `start`: its chars move from the tail key into the array.
            if self.placeholder_keys.len() < start {
                self.placeholder_keys.resize(start, self.placeholder_tail);
            }
            self.placeholder_tail = key;
        } else {
            // Pieces before the last one are all in the array (see `placeholder_keys`).
            self.placeholder_keys[start..start + len].fill(key);
        }
    }

    /// Sum over everything before `at`: of `pick` over groups and chunks, of `item_len` over
    /// items.
    fn prefix(
        &self,
        at: Loc,
        pick: impl Fn(Counts) -> usize,
        item_len: impl Fn(&Item) -> usize,
    ) -> usize {
        let g = at.chunk / GROUP;
        self.groups[..g].iter().map(|c| pick(*c)).sum::<usize>()
            + self.chunks[g * GROUP..at.chunk]
                .iter()
                .map(|c| pick(c.counts()))
                .sum::<usize>()
            + self.chunks[at.chunk].items[..at.item]
                .iter()
                .map(item_len)
                .sum::<usize>()
    }

    /// The first chunk whose visible chars (at the current version) reach `target` counted from
    /// the start, with the current and end counts of everything before it; `None` if there are
    /// fewer than `target` visible chars.
    fn seek_cur(&self, target: usize) -> Option<(usize, usize, usize)> {
        let (mut cur, mut end) = (0, 0);
        let mut g = 0;
        while let Some(group) = self.groups.get(g) {
            if cur + group.cur >= target {
                break;
            }
            cur += group.cur;
            end += group.end;
            g += 1;
        }
        for (ci, c) in self.chunks.iter().enumerate().skip(g * GROUP) {
            if cur + c.cur >= target {
                return Some((ci, cur, end));
            }
            cur += c.cur;
            end += c.end;
        }
        None
    }

    /// Recompute the group counts from the group of `chunk` on (after chunks moved).
    fn regroup_from(&mut self, chunk: usize) {
        let g = chunk / GROUP;
        self.groups.truncate(g);
        for group in self.chunks[g * GROUP..].chunks(GROUP) {
            let mut sum = Counts::default();
            for c in group {
                sum.add(c.counts());
            }
            self.groups.push(sum);
        }
    }

    /// Document-order index of char `id` counting every item, shifted by one so that `NONE` as a
    /// left origin is 0 (the start) and as a right origin is `usize::MAX` (the end).
    fn order_of(&self, id: Lv, as_left: bool) -> usize {
        if id == NONE {
            return if as_left { 0 } else { usize::MAX };
        }
        let (at, off) = self.find_id(id);
        self.prefix(at, |c| c.total, |i| i.len) + off + 1
    }

    /// Make an item boundary at char offset `off` of the item at `at`; returns the location of the
    /// item starting there (which may be one past the end of its chunk).
    fn split_at(&mut self, at: Loc, off: usize) -> Loc {
        if off == 0 {
            return at;
        }
        let len = self.item(at).len;
        if off >= len {
            return Loc {
                chunk: at.chunk,
                item: at.item + 1,
            };
        }
        let right = self.chunks[at.chunk].items[at.item].split(off);
        if right.id >= PLACEHOLDER_BASE
            && right.id + right.len == PLACEHOLDER_BASE + PLACEHOLDER_LEN
        {
            // Ids map to their chunk char by char, so only splitting the placeholder's last
            // piece (whose chars past its start are not in the array) changes the index.
            self.index_placeholder(right.id - PLACEHOLDER_BASE, right.len, self.keys[at.chunk]);
        }
        self.chunks[at.chunk].items.insert(at.item + 1, right);
        // Counts of the chunk are unchanged by a split.
        let next = Loc {
            chunk: at.chunk,
            item: at.item + 1,
        };
        self.rebalance(next)
    }

    /// Insert `item` before `at` (which may be one past the end of its chunk).
    fn insert_item(&mut self, at: Loc, item: Item) -> Loc {
        self.index_item(item.id, item.len, self.keys[at.chunk]);
        let added = Counts {
            cur: item.cur_len(),
            end: item.end_len(),
            total: item.len,
        };
        self.groups[at.chunk / GROUP].add(added);
        let c = &mut self.chunks[at.chunk];
        c.cur += added.cur;
        c.end += added.end;
        c.total += added.total;
        c.items.insert(at.item, item);
        self.rebalance(at)
    }

    /// Split the chunk of `at` if it is too big; returns where `at` is now.
    fn rebalance(&mut self, at: Loc) -> Loc {
        if self.chunks[at.chunk].items.len() <= CHUNK_MAX {
            return at;
        }
        let half = CHUNK_MAX / 2;
        let moved: Vec<Item> = self.chunks[at.chunk].items.split_off(half);
        let mut chunk = Chunk {
            items: moved,
            ..Chunk::default()
        };
        chunk.recount();
        let left = &mut self.chunks[at.chunk];
        left.cur -= chunk.cur;
        left.end -= chunk.end;
        left.total -= chunk.total;
        // The index maps every char to its chunk's key, so the half with fewer chars to index
        // takes the new key (the other keeps the old one).
        let index_cost = |items: &[Item]| -> usize {
            items
                .iter()
                .map(|it| {
                    if it.id + it.len == PLACEHOLDER_BASE + PLACEHOLDER_LEN {
                        1
                    } else {
                        it.len
                    }
                })
                .sum()
        };
        let key = self.chunk_of_key.len() as u32;
        let old_key = self.keys[at.chunk];
        let rekey_left = index_cost(&self.chunks[at.chunk].items) < index_cost(&chunk.items);
        let right_key = if rekey_left {
            self.keys[at.chunk] = key;
            for i in 0..half {
                let it = &self.chunks[at.chunk].items[i];
                let (id, len) = (it.id, it.len);
                self.index_item(id, len, key);
            }
            old_key
        } else {
            for it in &chunk.items {
                self.index_item(it.id, it.len, key);
            }
            key
        };
        self.chunks.insert(at.chunk + 1, chunk);
        self.keys.insert(at.chunk + 1, right_key);
        self.chunk_of_key.push(0);
        self.chunk_of_key[self.keys[at.chunk] as usize] = at.chunk;
        for (i, k) in self.keys.iter().enumerate().skip(at.chunk + 1) {
            self.chunk_of_key[*k as usize] = i;
        }
        self.regroup_from(at.chunk);
        if at.item >= half {
            Loc {
                chunk: at.chunk + 1,
                item: at.item - half,
            }
        } else {
            at
        }
    }

    /// Change the state of the item at `at` to `state` (and mark it deleted at the end if asked),
    /// keeping the counts right.
    fn set_state(&mut self, at: Loc, state: u32, delete_at_end: bool) {
        let c = &mut self.chunks[at.chunk];
        let it = &mut c.items[at.item];
        let (cur0, end0) = (it.cur_len(), it.end_len());
        it.state = state;
        if delete_at_end {
            it.ever_deleted = true;
        }
        let (cur1, end1) = (it.cur_len(), it.end_len());
        c.cur = c.cur + cur1 - cur0;
        c.end = c.end + end1 - end0;
        let g = &mut self.groups[at.chunk / GROUP];
        g.cur = g.cur + cur1 - cur0;
        g.end = g.end + end1 - end0;
        self.cur_total = self.cur_total + cur1 - cur0;
        self.end_total = self.end_total + end1 - end0;
    }

    /// Location just after the visible char at `pos - 1` (`pos > 0`), and that char's id.
    fn after_visible(&self, pos: usize) -> (Loc, usize, Lv) {
        if let Some((ci, mut acc, _)) = self.seek_cur(pos) {
            for (ii, it) in self.chunks[ci].items.iter().enumerate() {
                let l = it.cur_len();
                if l > 0 && acc + l >= pos {
                    let off = pos - acc;
                    return (
                        Loc {
                            chunk: ci,
                            item: ii,
                        },
                        off,
                        it.id + off - 1,
                    );
                }
                acc += l;
            }
        }
        // Invariant: callers validate pos <= visible length.
        unreachable!("insert position {pos} past the end")
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
        // Cursor: where the new item goes if nothing concurrent is there.
        let (cursor, inside, origin_left) = if pos == 0 {
            (Some(Loc { chunk: 0, item: 0 }), None, NONE)
        } else {
            let (at, off, left) = self.after_visible(pos);
            if off < self.item(at).len {
                // Inside a visible item: its next char is the right origin and we go right here.
                (None, Some((at, off)), left)
            } else {
                (self.next_loc(at), None, left)
            }
        };
        let new_item = |origin_right| Item {
            id,
            len,
            origin_left,
            origin_right,
            state: INSERTED,
            ever_deleted: false,
        };
        self.cur_total += len;
        self.end_total += len;
        if let Some((at, off)) = inside {
            let origin_right = self.item(at).id + off;
            let at = self.split_at(at, off);
            let at = self.insert_item(at, new_item(origin_right));
            return self.prefix(at, |c| c.end, Item::end_len);
        }
        // Right origin: the first char after the cursor that exists at this version.
        let mut origin_right = NONE;
        let mut probe = cursor;
        while let Some(at) = probe {
            let it = self.item(at);
            if it.state != NOT_INSERTED {
                origin_right = it.id;
                break;
            }
            probe = self.next_loc(at);
        }
        // Orders of our origins, computed only once a concurrent item needs comparing.
        let mut origin_orders: Option<(usize, usize)> = None;
        let my_key = peer_key(id);
        let mut scanning = false;
        let mut scan_start = cursor;
        let mut cur = cursor;
        while let Some(at) = cur {
            let other = self.item(at);
            if other.id == origin_right {
                break;
            }
            let (left_order, right_order) = match origin_orders {
                Some(o) => o,
                None => {
                    let o = (
                        self.order_of(origin_left, true),
                        self.order_of(origin_right, false),
                    );
                    origin_orders = Some(o);
                    o
                }
            };
            let other = self.item(at);
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
                } else if self.order_of(other.origin_right, false) < right_order {
                    if !scanning {
                        scanning = true;
                        scan_start = cur;
                    }
                } else {
                    scanning = false;
                }
            }
            cur = self.next_loc(at);
        }
        let target = if scanning { scan_start } else { cur };
        let at = match target {
            Some(at) => at,
            None => {
                let chunk = self.chunks.len() - 1;
                Loc {
                    chunk,
                    item: self.chunks[chunk].items.len(),
                }
            }
        };
        let at = self.insert_item(at, new_item(origin_right));
        self.prefix(at, |c| c.end, Item::end_len)
    }

    /// Delete the `len` visible chars starting at current position `start` (for a backspace run
    /// of `len` operations at `pos`, `start = pos + 1 - len`). Operations `lv..lv + len` are
    /// recorded as the deleters; `reversed` for backspace order. Writes the deleted chunks in
    /// output coordinates to `out` (cleared first; a buffer the caller reuses), in the order they
    /// should be applied to the output.
    pub(crate) fn delete(
        &mut self,
        lv: Lv,
        start: usize,
        len: usize,
        reversed: bool,
        out: &mut Vec<DeletedChunk>,
    ) {
        out.clear();
        // Find the item holding visible char `start`.
        let mut loc = None;
        let Some((ci, mut acc, mut end_acc)) = self.seek_cur(start + 1) else {
            debug_assert!(len == 0, "delete past the end (callers validate)");
            return;
        };
        for (ii, it) in self.chunks[ci].items.iter().enumerate() {
            let l = it.cur_len();
            if acc + l > start {
                loc = Some((
                    Loc {
                        chunk: ci,
                        item: ii,
                    },
                    start - acc,
                ));
                break;
            }
            acc += l;
            end_acc += it.end_len();
        }
        let Some((at, off)) = loc else {
            debug_assert!(len == 0, "delete past the end (callers validate)");
            return;
        };
        if off > 0 && !self.item(at).ever_deleted {
            end_acc += off;
        }
        let first = self.split_at(at, off);
        let mut cur = self.normalize(first);
        let mut done = 0usize;
        while done < len {
            let Some(mut at) = cur else { break };
            if self.item(at).state != INSERTED {
                end_acc += self.item(at).end_len();
                cur = self.next_loc(at);
                continue;
            }
            if self.item(at).len > len - done {
                let right = self.split_at(at, len - done);
                // Our item is just before the new right part (which may have moved chunks).
                at = self.prev_loc(right);
            }
            let it = self.item(at);
            let (n, id, was_deleted, state) = (it.len, it.id, it.ever_deleted, it.state);
            self.set_state(at, state + 1, true);
            let out_pos = (!was_deleted).then_some(end_acc);
            let first_op = if reversed {
                lv + len - done - n
            } else {
                lv + done
            };
            self.record_deletes(first_op, n, id, reversed);
            out.push(DeletedChunk { out_pos, len: n });
            done += n;
            cur = self.next_loc(at);
        }
        debug_assert_eq!(done, len, "delete past the end (callers validate)");
    }

    /// The location before `at` (`at` is not the first item).
    fn prev_loc(&self, at: Loc) -> Loc {
        if at.item > 0 {
            Loc {
                chunk: at.chunk,
                item: at.item - 1,
            }
        } else {
            let chunk = at.chunk - 1;
            Loc {
                chunk,
                item: self.chunks[chunk].items.len() - 1,
            }
        }
    }

    /// `at`, or the first item of the next chunk if `at` is one past the end of its chunk.
    fn normalize(&self, at: Loc) -> Option<Loc> {
        if at.item < self.chunks[at.chunk].items.len() {
            Some(at)
        } else {
            (at.chunk + 1 < self.chunks.len()).then_some(Loc {
                chunk: at.chunk + 1,
                item: 0,
            })
        }
    }

    /// Change the state of chars `ids` by `delta` (+1 advance, -1 retreat).
    fn bump(&mut self, ids: Range<Lv>, delta: i32) {
        let mut id = ids.start;
        // Pieces of one run mostly stay next to each other, so the item after the one just
        // changed usually holds the next id: try it before searching the index.
        let mut guess: Option<Loc> = None;
        while id < ids.end {
            let (at, off) = match guess.filter(|g| self.item(*g).id == id) {
                Some(g) => (g, 0),
                None => self.find_id(id),
            };
            guess = None;
            if off > 0 {
                self.split_at(at, off);
                continue;
            }
            let it = self.item(at);
            let (n, state) = (it.len, it.state);
            if n > ids.end - id {
                self.split_at(at, ids.end - id);
                continue;
            }
            self.set_state(at, state.wrapping_add_signed(delta), false);
            id += n;
            guess = self.next_loc(at);
        }
    }

    /// Move an insert run's chars between "not inserted" and "inserted".
    pub(crate) fn toggle_insert(&mut self, ids: Range<Lv>, advance: bool) {
        self.bump(ids, if advance { 1 } else { -1 });
    }

    /// Record that operations `first_op..first_op + n` deleted chars `target..target + n`
    /// (in reverse order for a backspace run).
    fn record_deletes(&mut self, first_op: Lv, n: usize, target: Lv, reversed: bool) {
        // Invariant: operation ids are at least `base`.
        let start = first_op - self.base;
        if self.delete_target.len() < start + n {
            self.delete_target.resize(start + n, NONE);
        }
        for (i, t) in self.delete_target[start..start + n].iter_mut().enumerate() {
            *t = if reversed {
                target + n - 1 - i
            } else {
                target + i
            };
        }
    }

    /// Advance or retreat the delete operations `ops`.
    pub(crate) fn toggle_delete(&mut self, ops: Range<Lv>, advance: bool) {
        let delta = if advance { 1 } else { -1 };
        let Some(from) = ops.start.checked_sub(self.base) else {
            return;
        };
        let to = (ops.end - self.base).min(self.delete_target.len());
        let mut i = from;
        // Consecutive operations deleting consecutive chars (either way round) are one bump.
        while i < to {
            let first = self.delete_target[i];
            let mut j = i + 1;
            if first != NONE {
                let step_up = self.delete_target.get(j) == Some(&(first + 1));
                while j < to {
                    let prev = self.delete_target[j - 1];
                    let want = if step_up {
                        prev.checked_add(1)
                    } else {
                        prev.checked_sub(1)
                    };
                    if want.is_none() || Some(self.delete_target[j]) != want {
                        break;
                    }
                    j += 1;
                }
                let n = j - i;
                let targets = if step_up {
                    first..first + n
                } else {
                    first + 1 - n..first + 1
                };
                self.bump(targets, delta);
            }
            i = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrate_and_delete_track_positions() {
        let mut t = Tracker::new(0..6);
        // "ab" typed at 0 on top of a placeholder; then delete "a".
        assert_eq!(t.integrate(0, 2, 0, |_| 1), 0);
        let mut out = Vec::new();
        t.delete(2, 0, 1, false, &mut out);
        assert_eq!(
            out,
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
        t.delete(3, 0, 1, false, &mut out);
        assert_eq!(
            out,
            vec![DeletedChunk {
                out_pos: None,
                len: 1
            }]
        );
    }

    #[test]
    fn concurrent_inserts_at_same_place_do_not_interleave() {
        let mut t = Tracker::new(0..6);
        // Peer 1 types "abc" (ids 0..3) at 0; retreat it; peer 2 types "xyz" (3..6) at 0.
        t.integrate(0, 3, 0, |lv| if lv < 3 { 1 } else { 2 });
        t.toggle_insert(0..3, false);
        let p = t.integrate(3, 3, 0, |lv| if lv < 3 { 1 } else { 2 });
        assert_eq!(p, 3, "the lower peer's run goes first");
    }
}
