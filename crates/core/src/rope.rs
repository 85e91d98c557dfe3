//! The plain text rope that holds a text container's current contents.
//!
//! With the event-graph-walker design (see `DESIGN.md`), a local edit touches
//! only this rope and the op log, so replaying a typing trace costs about what
//! this rope costs. It is built for that workload: many one-character edits
//! that stay near each other, on documents up to several megabytes.
//!
//! # Layout
//!
//! The text is cut into *leaves*: a `Vec<Leaf>`, in document order, each leaf
//! a `String` of at most [`MAX_LEAF`] bytes that caches its length in
//! chars (Unicode scalar values) and UTF-16 code units (its length in bytes is
//! the `String`'s); the leaf being edited is the exception, kept in two pieces
//! (see below). Leaves always start and end on char boundaries, and no leaf
//! is empty unless it is the only one (the empty rope).
//!
//! Above the leaves is a Fenwick tree (binary indexed tree, [`Fenwick`]) of the
//! leaves' lengths in all three units at once. It answers "what is the
//! offset of leaf `i`" and "which leaf holds offset `x`", in any unit, in
//! O(log L) for L leaves. One descent of the tree finds the leaf and, on the
//! way, the leaf's start in all three units, so converting between units is:
//! find the leaf by one unit, read the other two off the descent, then scan
//! inside that one leaf.
//!
//! # The cursor and its split
//!
//! Edits are local, so the rope remembers the leaf of the last edit and its
//! start offsets (`cursor`, `cursor_start`). A position inside that leaf or one
//! of its two neighbours is found without touching the tree.
//!
//! The cursor leaf is kept *split* at the last edit, like a gap buffer: its
//! `text` holds the bytes before the split (the *head*) and the rope's `after`
//! holds the bytes after it (the *tail*), each with its own cached counts. A
//! char typed at the split is a `push` onto the head, a backspace there a
//! `truncate`: the tail does not move, where an insert into the middle of a
//! `String` would memmove it on every key. An edit elsewhere in the leaf first
//! moves the split there (the bytes between the old and new place change
//! sides, one memmove of the tail), so a run of typing pays that once. A
//! removal moves the split to the range's end, then cuts the range off the
//! head. Before the cursor moves to another leaf, and before anything that
//! adds, removes or rebuilds leaves, the split is closed (the tail appended
//! back), so only the cursor leaf is ever in two pieces and every structural
//! operation sees whole leaves. Readers take `&self` and cannot close it: they
//! see each leaf through a [`View`], its head and tail (empty but for the
//! cursor leaf), which seeks and slices across the two.
//!
//! Merges edit all over a text, so the split would be moved or closed again by
//! almost every one of their edits, each a copy of a tail. They use
//! `insert_merged` / `remove_merged`, which leave the split where it is and
//! edit whichever piece of the leaf holds the position (one memmove of the rest
//! of that piece, as in a plain rope); a leaf that is not split stays whole.
//!
//! The tree is not told about each edit of the cursor leaf either: `indexed`
//! keeps the cursor leaf's counts as the tree has them, and the difference is
//! added to the tree (one point update, with wrapping arithmetic since a leaf
//! may have shrunk) when the cursor moves on; a rebuild starts afresh. Until
//! then the tree is exact up to the cursor leaf and off by that difference
//! after it, so a search for an offset past the cursor leaf is shifted by it.
//! `len` and `cursor_start` are always exact.
//!
//! Only the cursor's leaf keeps spare capacity: its head room for a full leaf,
//! so typing does not reallocate, and `after` (kept across cursor moves) room
//! for a full leaf too. A leaf gives its room back when the cursor moves on,
//! so the rope's heap is its text plus about two leaves.
//!
//! `insert` and `remove` test for the common case first (one ASCII char typed
//! at the split with room to spare; a backspace over ASCII there) in a body
//! small enough to need no stack frame, and leave everything else to
//! `insert_slow` / `remove_slow`.
//!
//! # Edits
//!
//! An insert that fits in its leaf is a push at the split (after moving it,
//! at most one memmove of a leaf). When it does not fit, the split is closed,
//! the leaf and the new text are cut into leaves at most three quarters full,
//! the leaves are spliced into the `Vec` and the tree is rebuilt, both O(L). A
//! removal inside one leaf is the mirror image; when it leaves the leaf under a
//! quarter full, the leaf is merged into a neighbour that has room, and the
//! tree is rebuilt. Splits leave leaves about half full and merges happen only
//! below a quarter, so a leaf goes through at least ~`MAX_LEAF / 4` edits
//! between two rebuilds: they are rare, and their O(L) cost is spread thin (L
//! is about the text size over 768 bytes: 1,400 leaves for a megabyte, a
//! rebuild of a few microseconds). A removal that spans leaves is always a
//! rebuild. A B-tree would make these O(log n) too, at the price of slower
//! local edits; at the sizes of real documents the flat `Vec` wins.
//!
//! # Inside a leaf
//!
//! Finding the byte offset of a char offset is free when the leaf is ASCII
//! (bytes == chars, known from the cached counts), and the UTF-16 offset of a
//! char offset is free when the leaf has no characters outside the Basic
//! Multilingual Plane (utf16 == chars). Otherwise it is a scan ([`leaf::seek`],
//! [`leaf::seek_back`]) from whichever end of the leaf (or of the head or tail
//! of the split leaf) is nearer, so at most half a leaf. The scan counts the bytes that start a char (and a 4-byte char) eight
//! at a time with bit tricks on a `u64`, 32 bytes per step, then finishes
//! byte by byte.
//!
//! `MAX_LEAF` = 1 KiB was the fastest of 512 B to 4 KiB on the editing traces
//! in `shared/traces`.
//!
//! # Costs
//!
//! With n bytes of text, L ≈ n / 768 leaves, B = `MAX_LEAF` and k the size of
//! the text inserted, removed or written:
//!
//! | operation | cost |
//! | --- | --- |
//! | `len_chars`, `len_utf16`, `len_bytes` | O(1) |
//! | `insert` that fits in its leaf, `remove` within a leaf | O(log L + B); O(k) at the split |
//! | `insert` that overflows its leaf, `remove` that merges or spans leaves | O(L + B + k) (rare when typing) |
//! | `char_to_utf16`, `utf16_to_char`, `char_to_byte`, `byte_to_char` | O(log L + B) |
//! | `write_slice` | O(log L + B + k) |
//! | `from_str`, `to_string`, `chunks` | O(n) |
//! | `heap_size` | O(L) |

use std::fmt;
use std::ops::Range;

/// The largest leaf, in UTF-8 bytes.
const MAX_LEAF: usize = 1024;

mod fenwick;
mod leaf;
#[cfg(test)]
mod tests;

use fenwick::Fenwick;
use leaf::{
    bytes_of, chars_of, cut_into_leaves, seek_back, utf16_of, Counts, Leaf, Unit, View, EMPTY,
};

/// A rope of plain text, indexed by chars, UTF-16 code units and UTF-8 bytes.
/// See the module docs for the design.
#[derive(Clone)]
pub(crate) struct Rope {
    /// In document order; never empty. No leaf is empty unless it is the only one.
    leaves: Vec<Leaf>,
    /// The leaves' lengths, for O(log L) search.
    index: Fenwick,
    /// The whole text's lengths.
    len: Counts,
    /// The leaf of the last edit, `< leaves.len()`.
    cursor: usize,
    /// The start of `leaves[cursor]`.
    cursor_start: Counts,
    /// The cursor leaf's counts as `index` has them: edits in the cursor leaf reach the index
    /// only when the cursor moves on (`leave_cursor`).
    indexed: Counts,
    /// The split of the cursor leaf: the text of leaf `cursor` is `leaves[cursor].text` followed
    /// by `after.text`. Empty when the split is closed (or at the leaf's end); the leaf's own
    /// cached counts describe only its head, `after`'s its tail.
    after: Leaf,
    /// Largest leaf in bytes: [`MAX_LEAF`], smaller in tests.
    max_leaf: usize,
}

impl Default for Rope {
    fn default() -> Self {
        Rope::new()
    }
}

impl fmt::Debug for Rope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rope")
            .field("chars", &self.len.chars)
            .field("utf16", &self.len.utf16)
            .field("bytes", &self.len.bytes)
            .field("leaves", &self.leaves.len())
            .finish()
    }
}

impl fmt::Display for Rope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.chunks().try_for_each(|chunk| f.write_str(chunk))
    }
}

#[allow(dead_code)] // Until the text container uses it.
impl Rope {
    /// An empty rope.
    pub(crate) fn new() -> Self {
        Rope::with_leaf_size("", MAX_LEAF)
    }

    /// A rope holding `s`.
    pub(crate) fn from_str(s: &str) -> Self {
        Rope::with_leaf_size(s, MAX_LEAF)
    }

    /// A rope holding `s` with leaves of at most `max_leaf` bytes (tests use
    /// tiny leaves to exercise the structure).
    fn with_leaf_size(s: &str, max_leaf: usize) -> Self {
        assert!(max_leaf >= 8, "leaves must hold at least two chars");
        let mut rope = Rope {
            leaves: if s.is_empty() {
                vec![Leaf::default()]
            } else {
                cut_into_leaves(s, Self::fill(max_leaf))
            },
            index: Fenwick::default(),
            len: Counts::default(),
            cursor: 0,
            cursor_start: Counts::default(),
            indexed: Counts::default(),
            after: Leaf::default(),
            max_leaf,
        };
        rope.reindex(0);
        rope
    }

    /// Leaves made by cutting are filled to three quarters, leaving room to type.
    fn fill(max_leaf: usize) -> usize {
        max_leaf - max_leaf / 4
    }

    /// Leaves under this size are merged into a neighbour when they can be.
    fn min_leaf(&self) -> usize {
        self.max_leaf / 4
    }

    /// Length in chars (Unicode scalar values).
    pub(crate) fn len_chars(&self) -> usize {
        self.len.chars
    }

    /// Length in UTF-16 code units.
    pub(crate) fn len_utf16(&self) -> usize {
        self.len.utf16
    }

    /// Length in UTF-8 bytes.
    pub(crate) fn len_bytes(&self) -> usize {
        self.len.bytes
    }

    /// Inserts `text` at char position `char_pos`.
    ///
    /// Panics if `char_pos > self.len_chars()`.
    #[inline]
    pub(crate) fn insert(&mut self, char_pos: usize, text: &str) {
        assert!(
            char_pos <= self.len.chars,
            "Rope::insert: char position {char_pos} is past the end of the text ({} chars)",
            self.len.chars
        );
        // One ASCII char typed at the split, with room: the common case, kept small.
        let head = &mut self.leaves[self.cursor];
        if let &[b] = text.as_bytes() {
            if b.is_ascii()
                && char_pos == self.cursor_start.chars + head.chars
                && head.text.len() < head.text.capacity()
                && head.text.len() + self.after.text.len() < self.max_leaf
            {
                head.text.push(char::from(b));
                head.chars += 1;
                head.utf16 += 1;
                self.len.add(Counts {
                    chars: 1,
                    utf16: 1,
                    bytes: 1,
                });
                return;
            }
        }
        self.insert_slow(char_pos, text, true);
    }

    /// Inserts `text` at char position `char_pos` for a merge: edits that land all over the
    /// text, not typing. The cursor leaf's split is not moved for them (it would be moved or
    /// closed again by the next one, each a copy): the text goes into whichever piece of the
    /// leaf holds the position, one memmove of the rest of that piece, as in a plain rope.
    ///
    /// Panics if `char_pos > self.len_chars()`.
    pub(crate) fn insert_merged(&mut self, char_pos: usize, text: &str) {
        self.check_char_pos(char_pos);
        self.insert_slow(char_pos, text, false);
    }

    /// Removes the chars in `chars` for a merge (see [`Rope::insert_merged`]).
    ///
    /// Panics if the range is decreasing or ends past `self.len_chars()`.
    pub(crate) fn remove_merged(&mut self, chars: Range<usize>) {
        let Range { start, end } = chars;
        self.check_range(start, end);
        self.remove_slow(start, end, false);
    }

    /// [`Rope::insert`] anywhere; `typing` to move the split to the insert (see the module docs).
    #[inline(never)]
    fn insert_slow(&mut self, char_pos: usize, text: &str, typing: bool) {
        if text.is_empty() {
            return;
        }
        let (i, start) = self.find(char_pos, chars_of);
        self.move_cursor(i, start);
        let offset = char_pos - start.chars;
        if self.view(i).counts().bytes + text.len() > self.max_leaf {
            self.close_split();
            let leaf = &self.leaves[i];
            let at = leaf.byte_of_char(offset);
            let mut joined = String::with_capacity(leaf.text.len() + text.len());
            joined.push_str(&leaf.text[..at]);
            joined.push_str(text);
            joined.push_str(&leaf.text[at..]);
            let pieces = cut_into_leaves(&joined, Self::fill(self.max_leaf));
            self.leaves.splice(i..=i, pieces);
            // Leaves before `i` did not move, so the cursor start still holds.
            self.reindex(i);
            return;
        }
        if !typing {
            self.insert_in_piece(i, offset, text);
            return;
        }
        if offset != self.leaves[i].chars {
            self.move_split(offset);
        }
        let added = Counts::of(text);
        let leaf = &mut self.leaves[i];
        if leaf.text.capacity() < leaf.text.len() + text.len() {
            // Leaves that get edited are given room for a full leaf at once.
            leaf.text.reserve_exact(self.max_leaf - leaf.text.len());
        }
        leaf.text.push_str(text);
        leaf.chars += added.chars;
        leaf.utf16 += added.utf16;
        self.len.add(added);
    }

    /// A merge's insert of `text` at char `offset` of the cursor leaf `i` (which it fits): into
    /// whichever piece holds the offset, leaving the split where it is.
    fn insert_in_piece(&mut self, i: usize, offset: usize, text: &str) {
        let added = Counts::of(text);
        self.len.add(added);
        let head_chars = self.leaves[i].chars;
        let (piece, at) = if offset <= head_chars {
            (&mut self.leaves[i], offset)
        } else {
            (&mut self.after, offset - head_chars)
        };
        let at = piece.byte_of_char(at);
        piece.text.insert_str(at, text);
        piece.chars += added.chars;
        piece.utf16 += added.utf16;
    }

    /// Removes the chars in `chars`.
    ///
    /// Panics if the range is decreasing or ends past `self.len_chars()`.
    #[inline]
    pub(crate) fn remove(&mut self, chars: Range<usize>) {
        let Range { start, end } = chars;
        self.check_range(start, end);
        // Backspacing at the split in an ASCII head that stays big enough: the common case.
        let min_leaf = self.min_leaf();
        let head = &mut self.leaves[self.cursor];
        let n = end - start;
        if end == self.cursor_start.chars + head.chars
            && n <= head.chars
            && head.is_ascii()
            && head.text.len() + self.after.text.len() >= n + min_leaf
        {
            head.text.truncate(head.text.len() - n);
            head.chars -= n;
            head.utf16 -= n;
            self.len.sub(Counts {
                chars: n,
                utf16: n,
                bytes: n,
            });
            return;
        }
        self.remove_slow(start, end, true);
    }

    /// [`Rope::remove`] of `start..end` anywhere.
    #[inline(never)]
    fn remove_slow(&mut self, start: usize, end: usize, typing: bool) {
        if start == end {
            return;
        }
        let (mut i, mut first) = self.find(start, chars_of);
        let counts = self.view(i).counts();
        if start == first.chars + counts.chars && i + 1 < self.leaves.len() {
            // Starting at the end of a leaf: the range begins in the next one.
            first.add(counts);
            i += 1;
        }
        self.move_cursor(i, first);
        let offset = end - first.chars;
        if offset > self.view(i).chars() {
            self.close_split();
            self.remove_across(i, first, start, end);
            return;
        }
        if !typing {
            // A merge: the range is cut out of whichever pieces hold it, the split stays.
            let from = start - first.chars;
            let head = self.leaves[i].chars;
            let mut removed = self.leaves[i].cut(from.min(head), offset.min(head));
            if offset > head {
                removed.add(self.after.cut(from.saturating_sub(head), offset - head));
            }
            self.len.sub(removed);
        } else {
            // The split goes to the end of the range, and the range is cut off the head.
            if offset != self.leaves[i].chars {
                self.move_split(offset);
            }
            let leaf = &mut self.leaves[i];
            let n = end - start;
            let removed = if leaf.is_ascii() {
                Counts {
                    chars: n,
                    utf16: n,
                    bytes: n,
                }
            } else {
                let from = seek_back::<false>(leaf.text.as_bytes(), n);
                Counts {
                    chars: n,
                    utf16: n + from.astral,
                    bytes: leaf.text.len() - from.byte,
                }
            };
            leaf.text.truncate(leaf.text.len() - removed.bytes);
            leaf.chars -= removed.chars;
            leaf.utf16 -= removed.utf16;
            self.len.sub(removed);
        }
        let leaf = &self.leaves[i];
        if leaf.text.len() + self.after.text.len() < self.min_leaf() {
            self.close_split();
            if let Some(merged) = self.merge_small(i) {
                self.reindex(merged);
            }
        }
    }

    /// Removes `start..end`, which begins in leaf `i` (starting at `first`)
    /// and ends in a later leaf.
    fn remove_across(&mut self, i: usize, first: Counts, start: usize, end: usize) {
        let (j, last) = self.find(end, chars_of);
        debug_assert!(j > i, "a range past leaf {i} ends in leaf {j}");
        let head = &mut self.leaves[i];
        let cut = head.byte_of_char(start - first.chars);
        head.text.truncate(cut);
        head.recount();
        let tail = &mut self.leaves[j];
        let cut = tail.byte_of_char(end - last.chars);
        tail.text.drain(..cut);
        tail.text.shrink_to_fit();
        tail.recount();
        self.leaves.drain(i + 1..j);
        // Leaves `i` and `i + 1` are what is left of the two ends; either may
        // be small or empty. Join them if they fit, then tidy up small ones.
        if self.leaves[i].text.len() + self.leaves[i + 1].text.len() <= self.max_leaf {
            let next = self.leaves.remove(i + 1);
            self.append_leaf(i, next);
        }
        for k in [i + 1, i] {
            if k < self.leaves.len() && self.leaves[k].text.len() < self.min_leaf() {
                self.merge_small(k);
            }
        }
        self.reindex(i.min(self.leaves.len() - 1));
    }

    /// Merges small leaf `i` into the smaller neighbour if they fit in one
    /// leaf (an empty leaf always goes). Returns the index of the merged
    /// leaf, if it merged. Does not reindex.
    fn merge_small(&mut self, i: usize) -> Option<usize> {
        let len = self.leaves[i].text.len();
        let fits = |k: usize| {
            let other = self.leaves[k].text.len();
            (len == 0 || len + other <= self.max_leaf).then_some((other, k))
        };
        let prev = i.checked_sub(1).and_then(fits);
        let next = (i + 1 < self.leaves.len()).then(|| fits(i + 1)).flatten();
        let into = match (prev, next) {
            (Some(p), Some(n)) => p.min(n).1,
            (Some(p), None) => p.1,
            (None, Some(n)) => n.1,
            (None, None) => return None,
        };
        if into < i {
            let leaf = self.leaves.remove(i);
            self.append_leaf(into, leaf);
            Some(into)
        } else {
            let leaf = self.leaves.remove(into);
            self.append_leaf(i, leaf);
            Some(i)
        }
    }

    /// Appends `leaf`'s text to leaf `i`.
    fn append_leaf(&mut self, i: usize, leaf: Leaf) {
        let target = &mut self.leaves[i];
        if target.text.is_empty() {
            *target = leaf;
        } else {
            target.text.push_str(&leaf.text);
            target.chars += leaf.chars;
            target.utf16 += leaf.utf16;
        }
    }

    /// Puts the cursor on leaf `i` (starting at `start`) for an edit there. The leaf the cursor
    /// leaves closes its split and gives back its spare capacity: only the leaf being edited
    /// keeps room to grow, so the rope holds little more than its text.
    #[inline]
    fn move_cursor(&mut self, i: usize, start: Counts) {
        // Staying put is the common case, and `start` is then `cursor_start` already.
        if i != self.cursor {
            self.leave_cursor(i, start);
        }
    }

    #[inline(never)]
    fn leave_cursor(&mut self, i: usize, start: Counts) {
        self.close_split();
        let old = &mut self.leaves[self.cursor];
        old.text.shrink_to_fit();
        let delta = old.counts().wrapping_sub(self.indexed);
        self.index.add(self.cursor, delta);
        self.cursor = i;
        self.cursor_start = start;
        self.indexed = self.leaves[i].counts();
    }

    /// Moves the cursor leaf's split to char `char_offset` of the leaf: the text between the old
    /// and the new split moves between the head and `after`.
    fn move_split(&mut self, char_offset: usize) {
        let at = self.view(self.cursor).position(char_offset);
        let head = &mut self.leaves[self.cursor];
        let after = &mut self.after;
        let split = head.text.len();
        if at.bytes < split {
            if after.text.capacity() < self.max_leaf {
                // Room for a whole leaf once, so moving the split never reallocates.
                after.text.reserve_exact(self.max_leaf - after.text.len());
            }
            after.text.insert_str(0, &head.text[at.bytes..]);
            head.text.truncate(at.bytes);
        } else {
            head.text.push_str(&after.text[..at.bytes - split]);
            after.text.drain(..at.bytes - split);
        }
        after.chars = after.chars + head.chars - at.chars;
        after.utf16 = after.utf16 + head.utf16 - at.utf16;
        head.chars = at.chars;
        head.utf16 = at.utf16;
    }

    /// Joins the cursor leaf's two pieces back into its `text`.
    fn close_split(&mut self) {
        if self.after.text.is_empty() {
            return;
        }
        let head = &mut self.leaves[self.cursor];
        head.text.push_str(&self.after.text);
        head.chars += self.after.chars;
        head.utf16 += self.after.utf16;
        self.after.text.clear();
        self.after.chars = 0;
        self.after.utf16 = 0;
    }

    /// Leaf `i` as readers see it, split or not.
    fn view(&self, i: usize) -> View<'_> {
        View {
            head: &self.leaves[i],
            tail: if i == self.cursor {
                &self.after
            } else {
                &EMPTY
            },
        }
    }

    /// After leaves were added or removed (with the split closed): rebuilds the index and the
    /// total, and puts the cursor on leaf `cursor`.
    fn reindex(&mut self, cursor: usize) {
        debug_assert!(self.after.text.is_empty(), "reindex with the split open");
        self.index.rebuild(&self.leaves);
        self.len = self.index.prefix(self.leaves.len());
        self.cursor = cursor;
        self.cursor_start = self.index.prefix(cursor);
        self.indexed = self.leaves[cursor].counts();
    }

    /// The leaf holding offset `target` in `unit`, with its start. A target on
    /// the boundary between two leaves may give either; the end of the text
    /// gives the last leaf.
    fn find(&self, target: usize, unit: Unit) -> (usize, Counts) {
        let c = self.cursor;
        let start = self.cursor_start;
        let counts = self.view(c).counts();
        let from = unit(&start);
        if target >= from {
            let to = from + unit(&counts);
            if target <= to {
                return (c, start);
            }
            if let Some(next) = self.leaves.get(c + 1) {
                if target <= to + unit(&next.counts()) {
                    let mut next_start = start;
                    next_start.add(counts);
                    return (c + 1, next_start);
                }
            }
        } else if c > 0 {
            let prev = self.leaves[c - 1].counts();
            if target >= from - unit(&prev) {
                let mut prev_start = start;
                prev_start.sub(prev);
                return (c - 1, prev_start);
            }
        }
        // The index is exact up to the cursor leaf and off by the cursor leaf's pending `delta`
        // after it: a target past the cursor leaf is searched for shifted by `delta`.
        let (mut i, mut start) = if target < from {
            self.index.search(target, unit)
        } else {
            let delta = counts.wrapping_sub(self.indexed);
            let (i, start) = self.index.search(target.wrapping_sub(unit(&delta)), unit);
            (i, start.wrapping_add(delta))
        };
        if i == self.leaves.len() {
            i -= 1;
            start.sub(self.view(i).counts());
        }
        (i, start)
    }

    /// The UTF-16 offset of char position `char_pos`.
    ///
    /// Panics if `char_pos > self.len_chars()`.
    pub(crate) fn char_to_utf16(&self, char_pos: usize) -> usize {
        self.check_char_pos(char_pos);
        let (i, start) = self.find(char_pos, chars_of);
        let leaf = self.view(i);
        let offset = char_pos - start.chars;
        if leaf.is_bmp() {
            return start.utf16 + offset;
        }
        start.utf16 + offset + leaf.seek::<false>(offset).astral
    }

    /// The char position at UTF-16 offset `utf16_pos`, or `None` if it is
    /// past the end or between the two halves of a surrogate pair.
    pub(crate) fn utf16_to_char(&self, utf16_pos: usize) -> Option<usize> {
        if utf16_pos > self.len.utf16 {
            return None;
        }
        let (i, start) = self.find(utf16_pos, utf16_of);
        let leaf = self.view(i);
        let offset = utf16_pos - start.utf16;
        if leaf.is_bmp() {
            return Some(start.chars + offset);
        }
        let at = leaf.seek::<true>(offset);
        // Past `offset` only when it pointed inside the last pair counted.
        (at.chars + at.astral == offset).then_some(start.chars + at.chars)
    }

    /// The byte offset of char position `char_pos`.
    ///
    /// Panics if `char_pos > self.len_chars()`.
    pub(crate) fn char_to_byte(&self, char_pos: usize) -> usize {
        self.check_char_pos(char_pos);
        let (i, start) = self.find(char_pos, chars_of);
        start.bytes + self.view(i).byte_of_char(char_pos - start.chars)
    }

    /// The char position at byte offset `byte_pos`, or `None` if it is past
    /// the end or not on a char boundary.
    pub(crate) fn byte_to_char(&self, byte_pos: usize) -> Option<usize> {
        if byte_pos > self.len.bytes {
            return None;
        }
        let (i, start) = self.find(byte_pos, bytes_of);
        Some(start.chars + self.view(i).char_of_byte(byte_pos - start.bytes)?)
    }

    /// Appends the chars in `chars` to `out`.
    ///
    /// Panics if the range is decreasing or ends past `self.len_chars()`.
    pub(crate) fn write_slice(&self, chars: Range<usize>, out: &mut String) {
        let Range { start, end } = chars;
        self.check_range(start, end);
        if start == end {
            return;
        }
        let (mut i, first) = self.find(start, chars_of);
        let mut offset = start - first.chars;
        let mut wanted = end - start;
        loop {
            let leaf = self.view(i);
            let from = leaf.byte_of_char(offset);
            let chars = leaf.chars();
            if wanted <= chars - offset {
                leaf.write(from, leaf.byte_of_char(offset + wanted), out);
                return;
            }
            leaf.write(from, leaf.counts().bytes, out);
            wanted -= chars - offset;
            offset = 0;
            i += 1;
        }
    }

    /// The text in order, as string slices (none of them empty).
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &str> + '_ {
        let (upto, rest) = self.leaves.split_at(self.cursor + 1);
        upto.iter()
            .chain([&self.after])
            .chain(rest)
            .map(|leaf| leaf.text.as_str())
            .filter(|chunk| !chunk.is_empty())
    }

    /// Heap bytes owned, counting capacity rather than length.
    pub(crate) fn heap_size(&self) -> usize {
        self.leaves.capacity() * std::mem::size_of::<Leaf>()
            + self.index.tree.capacity() * std::mem::size_of::<Counts>()
            + self.leaves.iter().map(|l| l.text.capacity()).sum::<usize>()
            + self.after.text.capacity()
    }

    #[inline]
    fn check_range(&self, start: usize, end: usize) {
        assert!(
            start <= end && end <= self.len.chars,
            "Rope: char range {start}..{end} is not within the text ({} chars)",
            self.len.chars
        );
    }

    fn check_char_pos(&self, char_pos: usize) {
        assert!(
            char_pos <= self.len.chars,
            "Rope: char position {char_pos} is past the end of the text ({} chars)",
            self.len.chars
        );
    }

    /// Panics unless every cached count and the index agree with the text.
    #[cfg(test)]
    fn check_invariants(&self) {
        assert!(!self.leaves.is_empty(), "a rope has at least one leaf");
        assert!(self.cursor < self.leaves.len(), "cursor in range");
        assert_eq!(
            self.after.counts(),
            Counts::of(&self.after.text),
            "split tail counts"
        );
        let mut total = Counts::default();
        let delta = self.view(self.cursor).counts().wrapping_sub(self.indexed);
        let indexed = |i: usize, total: Counts| {
            if i > self.cursor {
                total.wrapping_sub(delta)
            } else {
                total
            }
        };
        for (i, leaf) in self.leaves.iter().enumerate() {
            assert_eq!(leaf.counts(), Counts::of(&leaf.text), "leaf {i} counts");
            let whole = self.view(i).counts();
            assert!(
                whole.bytes > 0 || self.leaves.len() == 1,
                "leaf {i} of {} is empty",
                self.leaves.len()
            );
            assert!(whole.bytes <= self.max_leaf, "leaf {i} too big");
            assert_eq!(self.index.prefix(i), indexed(i, total), "index prefix {i}");
            total.add(whole);
        }
        let n = self.leaves.len();
        assert_eq!(self.index.prefix(n), indexed(n, total), "index total");
        assert_eq!(self.len, total, "cached total");
        assert_eq!(
            self.index.prefix(self.cursor),
            self.cursor_start,
            "cursor start"
        );
    }
}
