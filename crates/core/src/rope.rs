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
//! the `String`'s). Leaves always start and end on char boundaries, and no leaf
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
//! # The cursor
//!
//! Edits are local, so the rope remembers the leaf of the last edit and its
//! start offsets (`cursor`, `cursor_start`). A position inside that leaf or one
//! of its two neighbours is found without touching the tree. Only the cursor's
//! leaf keeps spare capacity (room for a full leaf, so typing does not
//! reallocate); a leaf gives it back when the cursor moves on, so the rope's
//! heap is its text plus about one leaf. An edit inside a
//! leaf changes no leaf's start except those after it, and those are only ever
//! read through the tree, which gets a point update.
//!
//! # Edits
//!
//! An insert that fits in its leaf is a `String::insert_str` (a memmove of at
//! most one leaf) plus a point update of the tree. When it does not fit, the
//! leaf and the new text are cut into leaves at most three quarters full, the
//! leaves are spliced into the `Vec` and the tree is rebuilt, both O(L). A
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
//! Multilingual Plane (utf16 == chars). Otherwise it is a scan ([`seek`],
//! [`seek_back`]) from whichever end of the leaf is nearer, so at most half a
//! leaf. The scan counts the bytes that start a char (and a 4-byte char) eight
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
//! | `insert` that fits in its leaf, `remove` within a leaf | O(log L + B), no log near the last edit |
//! | `insert` that overflows its leaf, `remove` that merges or spans leaves | O(L + B + k) (rare when typing) |
//! | `char_to_utf16`, `utf16_to_char`, `char_to_byte`, `byte_to_char` | O(log L + B) |
//! | `write_slice` | O(log L + B + k) |
//! | `from_str`, `to_string`, `chunks` | O(n) |
//! | `heap_size` | O(L) |

use std::fmt;
use std::ops::Range;

/// The largest leaf, in UTF-8 bytes.
const MAX_LEAF: usize = 1024;

/// Lengths of a piece of text in the three units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    chars: usize,
    utf16: usize,
    bytes: usize,
}

impl Counts {
    fn of(s: &str) -> Counts {
        let bytes = s.len();
        if s.is_ascii() {
            return Counts {
                chars: bytes,
                utf16: bytes,
                bytes,
            };
        }
        let all = count(s.as_bytes());
        Counts {
            chars: all.chars,
            utf16: all.chars + all.astral,
            bytes,
        }
    }

    fn add(&mut self, other: Counts) {
        self.chars += other.chars;
        self.utf16 += other.utf16;
        self.bytes += other.bytes;
    }

    fn sub(&mut self, other: Counts) {
        self.chars -= other.chars;
        self.utf16 -= other.utf16;
        self.bytes -= other.bytes;
    }
}

/// Picks one unit out of [`Counts`]; the searches are generic over it.
type Unit = fn(&Counts) -> usize;

fn chars_of(c: &Counts) -> usize {
    c.chars
}

fn utf16_of(c: &Counts) -> usize {
    c.utf16
}

fn bytes_of(c: &Counts) -> usize {
    c.bytes
}

/// One piece of the text with its cached lengths.
#[derive(Clone, Default)]
struct Leaf {
    text: String,
    chars: usize,
    utf16: usize,
}

impl Leaf {
    fn new(text: String) -> Leaf {
        let c = Counts::of(&text);
        Leaf {
            text,
            chars: c.chars,
            utf16: c.utf16,
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            chars: self.chars,
            utf16: self.utf16,
            bytes: self.text.len(),
        }
    }

    fn recount(&mut self) {
        let c = Counts::of(&self.text);
        self.chars = c.chars;
        self.utf16 = c.utf16;
    }

    fn is_ascii(&self) -> bool {
        self.text.len() == self.chars
    }

    /// No surrogate pairs: UTF-16 offsets equal char offsets.
    fn is_bmp(&self) -> bool {
        self.utf16 == self.chars
    }

    /// Byte offset of the char at `char_offset` (`<= self.chars`).
    fn byte_of_char(&self, char_offset: usize) -> usize {
        if self.is_ascii() {
            char_offset
        } else {
            self.seek::<false>(char_offset).byte
        }
    }

    /// [`seek`] in this leaf, scanning from whichever end is nearer `target`.
    fn seek<const UTF16: bool>(&self, target: usize) -> Scan {
        let bytes = self.text.as_bytes();
        let total = if UTF16 { self.utf16 } else { self.chars };
        if target <= total / 2 {
            return seek::<UTF16>(bytes, target);
        }
        let back = seek_back::<UTF16>(bytes, total - target);
        Scan {
            byte: back.byte,
            chars: self.chars - back.chars,
            astral: (self.utf16 - self.chars) - back.astral,
        }
    }
}

/// Whether `b` is the first byte of a UTF-8 sequence (not a continuation byte).
fn is_char_start(b: u8) -> bool {
    (b as i8) >= -0x40
}

/// How far [`seek`] got: a byte offset and the chars, and the chars outside
/// the BMP (4-byte sequences, 2 UTF-16 units each), before it.
#[derive(Clone, Copy)]
struct Scan {
    byte: usize,
    chars: usize,
    astral: usize,
}

/// `0x01` in every byte of a word.
const LANES: u64 = 0x0101_0101_0101_0101;

/// Per byte of `w`, 1 if the byte starts a char (is not `0b10xx_xxxx`) and 1
/// if it starts a 4-byte char (is `0b1111_xxxx`). Shifts by at most 7 bits
/// never carry a bit into bit 7 of another byte.
fn lane_flags(w: u64) -> (u64, u64) {
    let starts = ((!w | (w << 1)) >> 7) & LANES;
    let astral = ((w & (w << 1) & (w << 2) & (w << 3)) >> 7) & LANES;
    (starts, astral)
}

/// Adds up the bytes of `x` (the sum must be under 256).
fn lane_sum(x: u64) -> usize {
    (x.wrapping_mul(LANES) >> 56) as usize
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// Counts `(chars, astral)` in `block`, whose length is a multiple of 8 up to 248.
fn block_counts(block: &[u8]) -> (usize, usize) {
    let (mut starts, mut astral) = (0, 0);
    for w in block.chunks_exact(8) {
        let (s, a) = lane_flags(word(w));
        starts += s;
        astral += a;
    }
    (lane_sum(starts), lane_sum(astral))
}

/// Scans valid UTF-8 `bytes` to the first char boundary where the chars seen
/// (or, if `UTF16`, the UTF-16 units seen) reach `target`, or to the end.
/// With `UTF16`, a target inside a surrogate pair stops just after the pair,
/// where `chars + astral > target`. Word-at-a-time: 32 bytes, then 8 bytes,
/// then one byte per step.
fn seek<const UTF16: bool>(bytes: &[u8], target: usize) -> Scan {
    let mut at = Scan {
        byte: 0,
        chars: 0,
        astral: 0,
    };
    let seen = |at: &Scan| {
        if UTF16 {
            at.chars + at.astral
        } else {
            at.chars
        }
    };
    for size in [32, 8] {
        for block in bytes[at.byte..].chunks_exact(size) {
            let (chars, astral) = block_counts(block);
            let units = if UTF16 { chars + astral } else { chars };
            // Skipping is right when `units` does not pass the target: a char
            // that starts in the block is counted whole, in the block.
            if units > target - seen(&at) {
                break;
            }
            at.byte += size;
            at.chars += chars;
            at.astral += astral;
        }
    }
    for &b in &bytes[at.byte..] {
        if is_char_start(b) {
            if seen(&at) >= target {
                return at;
            }
            at.chars += 1;
            at.astral += usize::from(b >= 0xF0);
        }
        at.byte += 1;
    }
    at
}

/// [`seek`] from the end: scans valid UTF-8 `bytes` backwards to the last
/// char boundary where the chars (or UTF-16 units) after it reach `target`,
/// or to the start. Returns that boundary and what is counted after it. With
/// `UTF16`, a target inside a surrogate pair stops just before the pair.
fn seek_back<const UTF16: bool>(bytes: &[u8], target: usize) -> Scan {
    let mut at = Scan {
        byte: bytes.len(),
        chars: 0,
        astral: 0,
    };
    if target == 0 {
        return at;
    }
    let seen = |at: &Scan| {
        if UTF16 {
            at.chars + at.astral
        } else {
            at.chars
        }
    };
    for size in [32, 8] {
        for block in bytes[..at.byte].rchunks_exact(size) {
            let (chars, astral) = block_counts(block);
            let units = if UTF16 { chars + astral } else { chars };
            // Reaching the target exactly means it is the block's first char
            // start, which still has to be found.
            if units >= target - seen(&at) {
                break;
            }
            at.byte -= size;
            at.chars += chars;
            at.astral += astral;
        }
    }
    while at.byte > 0 {
        at.byte -= 1;
        let b = bytes[at.byte];
        if is_char_start(b) {
            at.chars += 1;
            at.astral += usize::from(b >= 0xF0);
            if seen(&at) >= target {
                return at;
            }
        }
    }
    at
}

/// The whole of `bytes`, counted.
fn count(bytes: &[u8]) -> Scan {
    seek::<false>(bytes, usize::MAX)
}

/// Cuts `s` into leaves of about `fill` bytes, on char boundaries.
fn cut_into_leaves(s: &str, fill: usize) -> Vec<Leaf> {
    let mut leaves = Vec::with_capacity(s.len().div_ceil(fill));
    let mut from = 0;
    while from < s.len() {
        // Even pieces of at most `fill` bytes for the rest of the text.
        let rest = s.len() - from;
        let mut to = from + rest.div_ceil(rest.div_ceil(fill));
        while !s.is_char_boundary(to) {
            to -= 1;
        }
        if to == from {
            // Only with a tiny test fill: never make an empty leaf.
            to += 1;
            while !s.is_char_boundary(to) {
                to += 1;
            }
        }
        leaves.push(Leaf::new(s[from..to].to_owned()));
        from = to;
    }
    leaves
}

/// A Fenwick tree over the leaves' [`Counts`]: `tree[i]` (1-based) holds the
/// sum of leaves `i - lowbit(i) .. i` (0-based, half open).
#[derive(Clone, Default)]
struct Fenwick {
    tree: Vec<Counts>,
}

impl Fenwick {
    /// Rebuilds from scratch in O(L).
    fn rebuild(&mut self, leaves: &[Leaf]) {
        self.tree.clear();
        self.tree.push(Counts::default());
        self.tree.extend(leaves.iter().map(Leaf::counts));
        let n = leaves.len();
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                let c = self.tree[i];
                self.tree[parent].add(c);
            }
        }
    }

    fn add(&mut self, leaf: usize, delta: Counts) {
        let mut i = leaf + 1;
        while i < self.tree.len() {
            self.tree[i].add(delta);
            i += i & i.wrapping_neg();
        }
    }

    fn sub(&mut self, leaf: usize, delta: Counts) {
        let mut i = leaf + 1;
        while i < self.tree.len() {
            self.tree[i].sub(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// The summed lengths of leaves `0..leaf`.
    fn prefix(&self, leaf: usize) -> Counts {
        let mut acc = Counts::default();
        let mut i = leaf;
        while i > 0 {
            acc.add(self.tree[i]);
            i &= i - 1;
        }
        acc
    }

    /// The number `k` of leaves whose end, in `unit`, is at most `target`,
    /// with the summed lengths of those leaves (the start of leaf `k`).
    fn search(&self, target: usize, unit: Unit) -> (usize, Counts) {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut acc = Counts::default();
        let mut rest = target;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            let next = pos + step;
            if next <= n {
                let here = unit(&self.tree[next]);
                if here <= rest {
                    pos = next;
                    rest -= here;
                    acc.add(self.tree[next]);
                }
            }
            step >>= 1;
        }
        (pos, acc)
    }
}

/// A rope of plain text, indexed by chars, UTF-16 code units and UTF-8 bytes.
/// See the module docs for the design.
#[derive(Clone)]
#[allow(dead_code)] // Until the text container uses it.
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
    pub(crate) fn insert(&mut self, char_pos: usize, text: &str) {
        assert!(
            char_pos <= self.len.chars,
            "Rope::insert: char position {char_pos} is past the end of the text ({} chars)",
            self.len.chars
        );
        if text.is_empty() {
            return;
        }
        let (i, start) = self.find(char_pos, chars_of);
        self.move_cursor(i, start);
        let max_leaf = self.max_leaf;
        let leaf = &mut self.leaves[i];
        let at = leaf.byte_of_char(char_pos - start.chars);
        let needed = leaf.text.len() + text.len();
        if needed <= max_leaf {
            let added = Counts::of(text);
            if leaf.text.capacity() < needed {
                // Leaves that get edited are given room for a full leaf at once.
                leaf.text.reserve_exact(max_leaf - leaf.text.len());
            }
            leaf.text.insert_str(at, text);
            leaf.chars += added.chars;
            leaf.utf16 += added.utf16;
            self.index.add(i, added);
            self.len.add(added);
        } else {
            let mut joined = String::with_capacity(needed);
            joined.push_str(&leaf.text[..at]);
            joined.push_str(text);
            joined.push_str(&leaf.text[at..]);
            let pieces = cut_into_leaves(&joined, Self::fill(max_leaf));
            self.leaves.splice(i..=i, pieces);
            // Leaves before `i` did not move, so the cursor start still holds.
            self.reindex(i);
        }
    }

    /// Removes the chars in `chars`.
    ///
    /// Panics if the range is decreasing or ends past `self.len_chars()`.
    pub(crate) fn remove(&mut self, chars: Range<usize>) {
        let Range { start, end } = chars;
        assert!(
            start <= end && end <= self.len.chars,
            "Rope::remove: char range {start}..{end} is not within the text ({} chars)",
            self.len.chars
        );
        if start == end {
            return;
        }
        let (mut i, mut first) = self.find(start, chars_of);
        if start == first.chars + self.leaves[i].chars && i + 1 < self.leaves.len() {
            // Starting at the end of a leaf: the range begins in the next one.
            first.add(self.leaves[i].counts());
            i += 1;
        }
        self.move_cursor(i, first);
        if end > first.chars + self.leaves[i].chars {
            self.remove_across(i, first, start, end);
            return;
        }
        let leaf = &mut self.leaves[i];
        let offset = start - first.chars;
        let n = end - start;
        let (from, to, astral) = if leaf.is_ascii() {
            (offset, offset + n, 0)
        } else {
            let from = leaf.seek::<false>(offset).byte;
            let removed = seek::<false>(&leaf.text.as_bytes()[from..], n);
            (from, from + removed.byte, removed.astral)
        };
        let removed = Counts {
            chars: n,
            utf16: n + astral,
            bytes: to - from,
        };
        // `drain` is a memmove; `replace_range` goes through the general splice.
        leaf.text.drain(from..to);
        leaf.chars -= removed.chars;
        leaf.utf16 -= removed.utf16;
        self.len.sub(removed);
        match (leaf.text.len() < self.min_leaf()).then(|| self.merge_small(i)) {
            Some(Some(merged)) => self.reindex(merged),
            _ => self.index.sub(i, removed),
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
    /// leaves gives back its spare capacity: only the leaf being edited keeps room to grow, so
    /// the rope holds little more than its text.
    fn move_cursor(&mut self, i: usize, start: Counts) {
        if i != self.cursor {
            if let Some(old) = self.leaves.get_mut(self.cursor) {
                old.text.shrink_to_fit();
            }
        }
        self.cursor = i;
        self.cursor_start = start;
    }

    /// After leaves were added or removed: rebuilds the index and the total,
    /// and puts the cursor on leaf `cursor`.
    fn reindex(&mut self, cursor: usize) {
        self.index.rebuild(&self.leaves);
        self.len = self.index.prefix(self.leaves.len());
        self.cursor = cursor;
        self.cursor_start = self.index.prefix(cursor);
    }

    /// The leaf holding offset `target` in `unit`, with its start. A target on
    /// the boundary between two leaves may give either; the end of the text
    /// gives the last leaf.
    fn find(&self, target: usize, unit: Unit) -> (usize, Counts) {
        let c = self.cursor;
        let start = self.cursor_start;
        let leaf = &self.leaves[c];
        let from = unit(&start);
        if target >= from {
            let to = from + unit(&leaf.counts());
            if target <= to {
                return (c, start);
            }
            if let Some(next) = self.leaves.get(c + 1) {
                if target <= to + unit(&next.counts()) {
                    let mut next_start = start;
                    next_start.add(leaf.counts());
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
        let (mut i, mut start) = self.index.search(target, unit);
        if i == self.leaves.len() {
            i -= 1;
            start.sub(self.leaves[i].counts());
        }
        (i, start)
    }

    /// The UTF-16 offset of char position `char_pos`.
    ///
    /// Panics if `char_pos > self.len_chars()`.
    pub(crate) fn char_to_utf16(&self, char_pos: usize) -> usize {
        self.check_char_pos(char_pos);
        let (i, start) = self.find(char_pos, chars_of);
        let leaf = &self.leaves[i];
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
        let leaf = &self.leaves[i];
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
        start.bytes + self.leaves[i].byte_of_char(char_pos - start.chars)
    }

    /// The char position at byte offset `byte_pos`, or `None` if it is past
    /// the end or not on a char boundary.
    pub(crate) fn byte_to_char(&self, byte_pos: usize) -> Option<usize> {
        if byte_pos > self.len.bytes {
            return None;
        }
        let (i, start) = self.find(byte_pos, bytes_of);
        let leaf = &self.leaves[i];
        let offset = byte_pos - start.bytes;
        if !leaf.text.is_char_boundary(offset) {
            return None;
        }
        if leaf.is_ascii() {
            return Some(start.chars + offset);
        }
        let bytes = leaf.text.as_bytes();
        if offset <= bytes.len() / 2 {
            Some(start.chars + count(&bytes[..offset]).chars)
        } else {
            Some(start.chars + leaf.chars - count(&bytes[offset..]).chars)
        }
    }

    /// Appends the chars in `chars` to `out`.
    ///
    /// Panics if the range is decreasing or ends past `self.len_chars()`.
    pub(crate) fn write_slice(&self, chars: Range<usize>, out: &mut String) {
        let Range { start, end } = chars;
        assert!(
            start <= end && end <= self.len.chars,
            "Rope::write_slice: char range {start}..{end} is not within the text ({} chars)",
            self.len.chars
        );
        if start == end {
            return;
        }
        let (mut i, first) = self.find(start, chars_of);
        let mut offset = start - first.chars;
        let mut wanted = end - start;
        loop {
            let leaf = &self.leaves[i];
            let from = leaf.byte_of_char(offset);
            if wanted <= leaf.chars - offset {
                out.push_str(&leaf.text[from..leaf.byte_of_char(offset + wanted)]);
                return;
            }
            out.push_str(&leaf.text[from..]);
            wanted -= leaf.chars - offset;
            offset = 0;
            i += 1;
        }
    }

    /// The text in order, as string slices (none of them empty).
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &str> + '_ {
        self.leaves
            .iter()
            .map(|leaf| leaf.text.as_str())
            .filter(|chunk| !chunk.is_empty())
    }

    /// Heap bytes owned, counting capacity rather than length.
    pub(crate) fn heap_size(&self) -> usize {
        self.leaves.capacity() * std::mem::size_of::<Leaf>()
            + self.index.tree.capacity() * std::mem::size_of::<Counts>()
            + self.leaves.iter().map(|l| l.text.capacity()).sum::<usize>()
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
        let mut total = Counts::default();
        for (i, leaf) in self.leaves.iter().enumerate() {
            assert_eq!(leaf.counts(), Counts::of(&leaf.text), "leaf {i} counts");
            assert!(
                !leaf.text.is_empty() || self.leaves.len() == 1,
                "leaf {i} of {} is empty",
                self.leaves.len()
            );
            assert!(leaf.text.len() <= self.max_leaf, "leaf {i} too big");
            assert_eq!(self.index.prefix(i), total, "index prefix of leaf {i}");
            total.add(leaf.counts());
        }
        assert_eq!(self.index.prefix(self.leaves.len()), total, "index total");
        assert_eq!(self.len, total, "cached total");
        assert!(self.cursor < self.leaves.len(), "cursor in range");
        assert_eq!(
            self.index.prefix(self.cursor),
            self.cursor_start,
            "cursor start"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks `rope` against `model`: text, lengths, invariants and every
    /// conversion at every position (or a sample when the text is long).
    fn check(rope: &Rope, model: &str) {
        rope.check_invariants();
        assert_eq!(rope.to_string(), model);
        assert_eq!(rope.chunks().collect::<String>(), model);
        assert_eq!(rope.len_chars(), model.chars().count());
        assert_eq!(rope.len_utf16(), model.encode_utf16().count());
        assert_eq!(rope.len_bytes(), model.len());
        let step = (model.len() / 300).max(1);
        let mut utf16 = 0;
        for (chars, (byte, ch)) in model.char_indices().enumerate() {
            if chars % step == 0 {
                check_position(rope, chars, utf16, byte);
            }
            utf16 += ch.len_utf16();
            for inside in 1..ch.len_utf8() {
                assert_eq!(
                    rope.byte_to_char(byte + inside),
                    None,
                    "byte {}",
                    byte + inside
                );
            }
            if ch.len_utf16() == 2 {
                assert_eq!(rope.utf16_to_char(utf16 - 1), None, "utf16 {}", utf16 - 1);
            }
        }
        check_position(rope, rope.len_chars(), utf16, model.len());
        assert_eq!(rope.utf16_to_char(utf16 + 1), None);
        assert_eq!(rope.byte_to_char(model.len() + 1), None);
    }

    fn check_position(rope: &Rope, chars: usize, utf16: usize, byte: usize) {
        assert_eq!(rope.char_to_utf16(chars), utf16, "char_to_utf16({chars})");
        assert_eq!(
            rope.utf16_to_char(utf16),
            Some(chars),
            "utf16_to_char({utf16})"
        );
        assert_eq!(rope.char_to_byte(chars), byte, "char_to_byte({chars})");
        assert_eq!(rope.byte_to_char(byte), Some(chars), "byte_to_char({byte})");
    }

    fn byte_of(model: &str, chars: usize) -> usize {
        model
            .char_indices()
            .nth(chars)
            .map_or(model.len(), |(b, _)| b)
    }

    fn model_insert(model: &mut String, chars: usize, text: &str) {
        model.insert_str(byte_of(model, chars), text);
    }

    fn model_remove(model: &mut String, chars: Range<usize>) {
        let from = byte_of(model, chars.start);
        let to = byte_of(model, chars.end);
        model.replace_range(from..to, "");
    }

    fn slice(rope: &Rope, chars: Range<usize>) -> String {
        let mut out = String::from("[");
        rope.write_slice(chars, &mut out);
        out.remove(0);
        out
    }

    const MIXED: &str = "aé😀b\u{301}中文𝄞z\r\n";

    #[test]
    fn empty() {
        let mut rope = Rope::new();
        check(&rope, "");
        assert_eq!(rope.chunks().count(), 0);
        assert_eq!(slice(&rope, 0..0), "");
        rope.insert(0, "");
        rope.remove(0..0);
        check(&rope, "");
        assert_eq!(
            format!("{rope:?}"),
            "Rope { chars: 0, utf16: 0, bytes: 0, leaves: 1 }"
        );
        assert_eq!(Rope::default().to_string(), "");
        assert_eq!(Rope::from_str("").len_bytes(), 0);
    }

    #[test]
    fn seeks_match_a_naive_scan() {
        let texts = [
            "x".repeat(100),
            MIXED.repeat(9),
            "😀".repeat(40),
            format!("{}é{}", "a".repeat(31), "b".repeat(40)),
        ];
        for text in &texts {
            let bytes = text.as_bytes();
            let leaf = Leaf::new(text.clone());
            let all_astral = leaf.utf16 - leaf.chars;
            let mut utf16 = 0;
            let mut astral = 0;
            let ends = text.char_indices().chain([(text.len(), ' ')]);
            for (chars, (byte, ch)) in ends.enumerate() {
                let expected = (byte, chars, astral);
                let at = seek::<false>(bytes, chars);
                assert_eq!((at.byte, at.chars, at.astral), expected, "char {chars}");
                let at = seek::<true>(bytes, utf16);
                assert_eq!((at.byte, at.chars, at.astral), expected, "utf16 {utf16}");
                let back_expected = (byte, leaf.chars - chars, all_astral - astral);
                let at = seek_back::<false>(bytes, leaf.chars - chars);
                assert_eq!(
                    (at.byte, at.chars, at.astral),
                    back_expected,
                    "back {chars}"
                );
                let at = seek_back::<true>(bytes, leaf.utf16 - utf16);
                assert_eq!(
                    (at.byte, at.chars, at.astral),
                    back_expected,
                    "back {utf16}"
                );
                let at = leaf.seek::<false>(chars);
                assert_eq!((at.byte, at.chars, at.astral), expected, "leaf {chars}");
                let at = leaf.seek::<true>(utf16);
                assert_eq!((at.byte, at.chars, at.astral), expected, "leaf {utf16}");
                if ch.len_utf16() == 2 && byte < text.len() {
                    let inside = utf16 + 1;
                    let at = seek::<true>(bytes, inside);
                    assert_eq!(at.chars + at.astral, utf16 + 2, "inside a pair at {inside}");
                    let at = seek_back::<true>(bytes, leaf.utf16 - inside);
                    assert_eq!(at.byte, byte, "back inside a pair at {inside}");
                    let at = leaf.seek::<true>(inside);
                    assert_ne!(
                        at.chars + at.astral,
                        inside,
                        "leaf inside a pair at {inside}"
                    );
                }
                utf16 += ch.len_utf16();
                astral += usize::from(ch.len_utf16() == 2);
            }
            let all = count(bytes);
            assert_eq!((all.byte, all.chars), (text.len(), text.chars().count()));
        }
    }

    #[test]
    fn insert_start_middle_end() {
        let mut rope = Rope::new();
        rope.insert(0, "hd");
        rope.insert(2, "!");
        rope.insert(0, ">");
        rope.insert(2, "ello worl");
        check(&rope, ">hello world!");
        assert_eq!(slice(&rope, 1..6), "hello");
    }

    #[test]
    fn surrogate_pairs() {
        let rope = Rope::from_str("a😀b𝄞");
        check(&rope, "a😀b𝄞");
        assert_eq!(rope.len_chars(), 4);
        assert_eq!(rope.len_utf16(), 6);
        assert_eq!(rope.len_bytes(), 10);
        assert_eq!(rope.char_to_utf16(2), 3);
        assert_eq!(rope.utf16_to_char(2), None);
        assert_eq!(rope.utf16_to_char(3), Some(2));
        assert_eq!(rope.utf16_to_char(5), None);
        assert_eq!(rope.utf16_to_char(6), Some(4));
        assert_eq!(rope.utf16_to_char(7), None);
        assert_eq!(rope.byte_to_char(2), None);
        assert_eq!(rope.byte_to_char(5), Some(2));
    }

    #[test]
    fn combining_marks_are_separate_chars() {
        let mut rope = Rope::from_str("e\u{301}");
        assert_eq!(rope.len_chars(), 2);
        rope.remove(1..2);
        check(&rope, "e");
        rope.insert(1, "\u{308}\u{301}");
        check(&rope, "e\u{308}\u{301}");
        assert_eq!(slice(&rope, 1..2), "\u{308}");
    }

    #[test]
    fn every_position_of_a_mixed_string() {
        for max_leaf in [8, 16, MAX_LEAF] {
            let text = MIXED.repeat(20);
            let rope = Rope::with_leaf_size(&text, max_leaf);
            check(&rope, &text);
            let n = rope.len_chars();
            for from in (0..=n).step_by(7) {
                for to in (from..=n).step_by(11) {
                    let expected: String = text.chars().skip(from).take(to - from).collect();
                    assert_eq!(slice(&rope, from..to), expected);
                }
            }
        }
    }

    #[test]
    fn multibyte_chars_at_leaf_boundaries() {
        // 8-byte leaves force cuts next to 2-, 3- and 4-byte chars.
        let mut rope = Rope::with_leaf_size("", 8);
        let mut model = String::new();
        for (i, piece) in ["😀😀😀", "ééé", "中中中", "a😀", "𝄞b\u{301}"]
            .iter()
            .cycle()
            .take(60)
            .enumerate()
        {
            let at = (i * 7) % (model.chars().count() + 1);
            rope.insert(at, piece);
            model_insert(&mut model, at, piece);
            check(&rope, &model);
        }
        assert!(rope.leaves.len() > 20);
        assert!(rope.chunks().all(|c| c.len() <= 8));
    }

    #[test]
    fn typing_then_backspacing() {
        let mut rope = Rope::with_leaf_size("", 16);
        let mut model = String::new();
        for i in 0..500 {
            let ch = if i % 13 == 0 { "😀" } else { "x" };
            let at = model.chars().count() - (i % 3).min(model.chars().count());
            rope.insert(at, ch);
            model_insert(&mut model, at, ch);
        }
        check(&rope, &model);
        while rope.len_chars() > 0 {
            let n = rope.len_chars();
            let at = n - 1 - (n % 5).min(n - 1);
            rope.remove(at..at + 1);
            model_remove(&mut model, at..at + 1);
            rope.check_invariants();
        }
        check(&rope, "");
        assert_eq!(rope.leaves.len(), 1);
    }

    #[test]
    fn huge_insert_spans_many_leaves() {
        let mut rope = Rope::from_str("start end");
        let big = MIXED.repeat(20_000);
        rope.insert(6, &big);
        let mut model = String::from("start end");
        model_insert(&mut model, 6, &big);
        check(&rope, &model);
        assert!(rope.leaves.len() > 200);
        let huge = "z".repeat(3 * MAX_LEAF + 5);
        rope.insert(1000, &huge);
        model_insert(&mut model, 1000, &huge);
        check(&rope, &model);
    }

    #[test]
    fn remove_across_many_leaves() {
        let text = MIXED.repeat(5_000);
        let mut model = text.clone();
        let mut rope = Rope::from_str(&text);
        let n = rope.len_chars();
        rope.remove(100..n - 100);
        model_remove(&mut model, 100..n - 100);
        check(&rope, &model);
        assert_eq!(rope.leaves.len(), 1);
        rope.remove(0..rope.len_chars());
        check(&rope, "");
        // Across exactly one boundary, and ranges that end on boundaries.
        let text = "0123456789".repeat(10);
        for max_leaf in [8, 16] {
            for from in 0..40 {
                for to in [from + 1, from + 6, from + 13, 100] {
                    let mut rope = Rope::with_leaf_size(&text, max_leaf);
                    let mut model = text.clone();
                    rope.remove(from..to);
                    model_remove(&mut model, from..to);
                    check(&rope, &model);
                }
            }
        }
    }

    #[test]
    fn merges_keep_leaves_from_getting_small() {
        let text = "abcdefgh".repeat(200);
        let mut rope = Rope::with_leaf_size(&text, 32);
        let leaves = rope.leaves.len();
        // Delete three chars of every four: leaves shrink and must merge.
        let mut model = text.clone();
        for i in 0..400 {
            rope.remove(i..i + 3);
            model_remove(&mut model, i..i + 3);
        }
        check(&rope, &model);
        assert_eq!(&model[..4], "dhdh");
        assert!(
            rope.leaves.len() <= leaves / 2,
            "{} leaves of {leaves}",
            rope.leaves.len()
        );
        let small = rope
            .leaves
            .iter()
            .filter(|l| l.text.len() < rope.min_leaf())
            .count();
        assert!(small <= 1, "{small} small leaves");
    }

    #[test]
    #[should_panic(expected = "past the end")]
    fn insert_past_end_panics() {
        Rope::from_str("abc").insert(4, "x");
    }

    #[test]
    #[should_panic(expected = "not within the text")]
    fn remove_past_end_panics() {
        Rope::from_str("abc").remove(2..4);
    }

    #[test]
    #[should_panic(expected = "past the end")]
    fn char_to_byte_past_end_panics() {
        Rope::from_str("abc").char_to_byte(4);
    }

    #[test]
    fn only_the_cursor_leaf_keeps_spare_capacity() {
        let mut rope = Rope::from_str(&"hello ".repeat(20_000));
        // One char typed into every leaf in turn, then a few deletes: each edit grows its leaf
        // to a full one, and moving on gives the room back.
        for pos in (0..100_000).step_by(700) {
            rope.insert(pos, "x");
        }
        for pos in (0..100_000).step_by(900) {
            rope.remove(pos..pos + 1);
        }
        let spare: usize = rope
            .leaves
            .iter()
            .map(|l| l.text.capacity() - l.text.len())
            .sum();
        assert!(spare <= 2 * MAX_LEAF, "spare capacity {spare}");
        rope.check_invariants();
    }

    #[test]
    fn heap_size_follows_the_text() {
        let small = Rope::from_str("hello");
        let big = Rope::from_str(&"hello".repeat(10_000));
        assert!(small.heap_size() >= 5);
        assert!(big.heap_size() >= 50_000);
        assert!(big.heap_size() < 50_000 * 2, "{}", big.heap_size());
    }

    #[test]
    fn clone_is_independent() {
        let mut a = Rope::from_str("shared");
        let b = a.clone();
        a.insert(6, "!");
        check(&a, "shared!");
        check(&b, "shared");
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Insert at (position % (len + 1)).
        Insert(usize, String),
        /// Remove (start % (len + 1)) plus up to `len` chars.
        Remove(usize, usize),
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "[a-z ]{1,8}",
            2 => "[a-zé中😀\u{301}\n]{1,6}",
            1 => "[x😀]{20,120}",
        ];
        piece
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<usize>(), text_strategy()).prop_map(|(at, s)| Op::Insert(at, s)),
            2 => (any::<usize>(), prop_oneof![3 => 1usize..4, 1 => 1usize..200])
                .prop_map(|(at, n)| Op::Remove(at, n)),
        ]
    }

    proptest! {
        #[test]
        fn matches_a_string_model(
            max_leaf in prop_oneof![Just(8usize), Just(16), Just(64), Just(MAX_LEAF)],
            initial in "[a-z😀é]{0,100}",
            ops in proptest::collection::vec(op_strategy(), 1..60),
        ) {
            let mut rope = Rope::with_leaf_size(&initial, max_leaf);
            let mut model = initial.clone();
            check(&rope, &model);
            for op in ops {
                let len = model.chars().count();
                match op {
                    Op::Insert(at, text) => {
                        let at = at % (len + 1);
                        rope.insert(at, &text);
                        model_insert(&mut model, at, &text);
                    }
                    Op::Remove(at, n) => {
                        let at = at % (len + 1);
                        let end = (at + n).min(len);
                        rope.remove(at..end);
                        model_remove(&mut model, at..end);
                    }
                }
                check(&rope, &model);
                let len = model.chars().count();
                let (a, b) = (len / 3, len - len / 4);
                let expected: String = model.chars().skip(a).take(b - a).collect();
                prop_assert_eq!(slice(&rope, a..b), expected);
            }
        }
    }
}
