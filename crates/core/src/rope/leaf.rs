//! The rope's leaves and the scans inside one: [`Leaf`] caches its length in every unit, and
//! [`seek`] / [`seek_back`] find a char or UTF-16 offset in a leaf eight bytes at a time.

/// Lengths of a piece of text in the three units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) chars: usize,
    pub(super) utf16: usize,
    pub(super) bytes: usize,
}

impl Counts {
    pub(super) fn of(s: &str) -> Counts {
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

    pub(super) fn add(&mut self, other: Counts) {
        self.chars += other.chars;
        self.utf16 += other.utf16;
        self.bytes += other.bytes;
    }

    pub(super) fn sub(&mut self, other: Counts) {
        self.chars -= other.chars;
        self.utf16 -= other.utf16;
        self.bytes -= other.bytes;
    }

    /// `self + other` modulo `usize::MAX + 1`: adding a [`Counts::wrapping_sub`] difference
    /// undoes it, even when some of its units went down.
    pub(super) fn wrapping_add(self, other: Counts) -> Counts {
        Counts {
            chars: self.chars.wrapping_add(other.chars),
            utf16: self.utf16.wrapping_add(other.utf16),
            bytes: self.bytes.wrapping_add(other.bytes),
        }
    }

    /// `self - other` modulo `usize::MAX + 1`: a change that may be negative in any unit.
    pub(super) fn wrapping_sub(self, other: Counts) -> Counts {
        Counts {
            chars: self.chars.wrapping_sub(other.chars),
            utf16: self.utf16.wrapping_sub(other.utf16),
            bytes: self.bytes.wrapping_sub(other.bytes),
        }
    }
}

/// Picks one unit out of [`Counts`]; the searches are generic over it.
pub(super) type Unit = fn(&Counts) -> usize;

pub(super) fn chars_of(c: &Counts) -> usize {
    c.chars
}

pub(super) fn utf16_of(c: &Counts) -> usize {
    c.utf16
}

pub(super) fn bytes_of(c: &Counts) -> usize {
    c.bytes
}

/// One piece of the text with its cached lengths.
#[derive(Clone, Default)]
pub(super) struct Leaf {
    pub(super) text: String,
    pub(super) chars: usize,
    pub(super) utf16: usize,
}

impl Leaf {
    pub(super) fn new(text: String) -> Leaf {
        let c = Counts::of(&text);
        Leaf {
            text,
            chars: c.chars,
            utf16: c.utf16,
        }
    }

    pub(super) fn counts(&self) -> Counts {
        Counts {
            chars: self.chars,
            utf16: self.utf16,
            bytes: self.text.len(),
        }
    }

    /// Removes chars `from..to` (`to <= self.chars`) and returns the lengths removed.
    pub(super) fn cut(&mut self, from: usize, to: usize) -> Counts {
        if from == to {
            return Counts::default();
        }
        let (a, b, removed) = if self.is_ascii() {
            let n = to - from;
            let removed = Counts {
                chars: n,
                utf16: n,
                bytes: n,
            };
            (from, to, removed)
        } else {
            let (a, b) = (self.byte_of_char(from), self.byte_of_char(to));
            (a, b, Counts::of(&self.text[a..b]))
        };
        // `drain` is a memmove; `replace_range` goes through the general splice.
        self.text.drain(a..b);
        self.chars -= removed.chars;
        self.utf16 -= removed.utf16;
        removed
    }

    pub(super) fn recount(&mut self) {
        let c = Counts::of(&self.text);
        self.chars = c.chars;
        self.utf16 = c.utf16;
    }

    pub(super) fn is_ascii(&self) -> bool {
        self.text.len() == self.chars
    }

    /// No surrogate pairs: UTF-16 offsets equal char offsets.
    pub(super) fn is_bmp(&self) -> bool {
        self.utf16 == self.chars
    }

    /// Byte offset of the char at `char_offset` (`<= self.chars`).
    pub(super) fn byte_of_char(&self, char_offset: usize) -> usize {
        if self.is_ascii() {
            char_offset
        } else {
            self.seek::<false>(char_offset).byte
        }
    }

    /// The char offset at byte `offset`, or `None` if it is past the end or not on a char
    /// boundary.
    pub(super) fn char_of_byte(&self, offset: usize) -> Option<usize> {
        if !self.text.is_char_boundary(offset) {
            return None;
        }
        if self.is_ascii() {
            return Some(offset);
        }
        let bytes = self.text.as_bytes();
        if offset <= bytes.len() / 2 {
            Some(count(&bytes[..offset]).chars)
        } else {
            Some(self.chars - count(&bytes[offset..]).chars)
        }
    }

    /// [`seek`] in this leaf, scanning from whichever end is nearer `target`.
    pub(super) fn seek<const UTF16: bool>(&self, target: usize) -> Scan {
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

/// A leaf with no text: the second piece of every leaf but the cursor's.
pub(super) static EMPTY: Leaf = Leaf {
    text: String::new(),
    chars: 0,
    utf16: 0,
};

/// A leaf as readers see it: its text in two pieces, `head` then `tail`. Only the cursor leaf
/// with its split open has a non-empty `tail` (see the rope's module docs).
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub(super) head: &'a Leaf,
    pub(super) tail: &'a Leaf,
}

impl View<'_> {
    pub(super) fn counts(&self) -> Counts {
        let mut c = self.head.counts();
        c.add(self.tail.counts());
        c
    }

    pub(super) fn chars(&self) -> usize {
        self.head.chars + self.tail.chars
    }

    /// No surrogate pairs: UTF-16 offsets equal char offsets.
    pub(super) fn is_bmp(&self) -> bool {
        self.head.is_bmp() && self.tail.is_bmp()
    }

    /// [`Leaf::seek`] across both pieces.
    pub(super) fn seek<const UTF16: bool>(&self, target: usize) -> Scan {
        let head = self.head;
        let in_head = if UTF16 { head.utf16 } else { head.chars };
        if target <= in_head {
            return head.seek::<UTF16>(target);
        }
        let at = self.tail.seek::<UTF16>(target - in_head);
        Scan {
            byte: head.text.len() + at.byte,
            chars: head.chars + at.chars,
            astral: (head.utf16 - head.chars) + at.astral,
        }
    }

    /// The position of char `char_offset` (`<= self.chars()`) in all three units.
    pub(super) fn position(&self, char_offset: usize) -> Counts {
        if self.head.is_ascii() && self.tail.is_ascii() {
            return Counts {
                chars: char_offset,
                utf16: char_offset,
                bytes: char_offset,
            };
        }
        let at = self.seek::<false>(char_offset);
        Counts {
            chars: at.chars,
            utf16: at.chars + at.astral,
            bytes: at.byte,
        }
    }

    /// Byte offset of the char at `char_offset` (`<= self.chars()`).
    pub(super) fn byte_of_char(&self, char_offset: usize) -> usize {
        match char_offset.checked_sub(self.head.chars) {
            None | Some(0) => self.head.byte_of_char(char_offset),
            Some(rest) => self.head.text.len() + self.tail.byte_of_char(rest),
        }
    }

    /// The char offset at byte `offset`, or `None` if it is past the end or not on a char
    /// boundary.
    pub(super) fn char_of_byte(&self, offset: usize) -> Option<usize> {
        match offset.checked_sub(self.head.text.len()) {
            None | Some(0) => self.head.char_of_byte(offset),
            Some(rest) => Some(self.head.chars + self.tail.char_of_byte(rest)?),
        }
    }

    /// Appends bytes `from..to` (on char boundaries) to `out`.
    pub(super) fn write(&self, from: usize, to: usize, out: &mut String) {
        let split = self.head.text.len();
        if from < split {
            out.push_str(&self.head.text[from..to.min(split)]);
        }
        if to > split {
            out.push_str(&self.tail.text[from.max(split) - split..to - split]);
        }
    }
}

/// Whether `b` is the first byte of a UTF-8 sequence (not a continuation byte).
pub(super) fn is_char_start(b: u8) -> bool {
    (b as i8) >= -0x40
}

/// How far [`seek`] got: a byte offset and the chars, and the chars outside
/// the BMP (4-byte sequences, 2 UTF-16 units each), before it.
#[derive(Clone, Copy)]
pub(super) struct Scan {
    pub(super) byte: usize,
    pub(super) chars: usize,
    pub(super) astral: usize,
}

/// `0x01` in every byte of a word.
pub(super) const LANES: u64 = 0x0101_0101_0101_0101;

/// Per byte of `w`, 1 if the byte starts a char (is not `0b10xx_xxxx`) and 1
/// if it starts a 4-byte char (is `0b1111_xxxx`). Shifts by at most 7 bits
/// never carry a bit into bit 7 of another byte.
pub(super) fn lane_flags(w: u64) -> (u64, u64) {
    let starts = ((!w | (w << 1)) >> 7) & LANES;
    let astral = ((w & (w << 1) & (w << 2) & (w << 3)) >> 7) & LANES;
    (starts, astral)
}

/// Adds up the bytes of `x` (the sum must be under 256).
pub(super) fn lane_sum(x: u64) -> usize {
    (x.wrapping_mul(LANES) >> 56) as usize
}

pub(super) fn word(bytes: &[u8]) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// Counts `(chars, astral)` in `block`, whose length is a multiple of 8 up to 248.
pub(super) fn block_counts(block: &[u8]) -> (usize, usize) {
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
pub(super) fn seek<const UTF16: bool>(bytes: &[u8], target: usize) -> Scan {
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
pub(super) fn seek_back<const UTF16: bool>(bytes: &[u8], target: usize) -> Scan {
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
pub(super) fn count(bytes: &[u8]) -> Scan {
    seek::<false>(bytes, usize::MAX)
}

/// Cuts `s` into leaves of about `fill` bytes, on char boundaries.
pub(super) fn cut_into_leaves(s: &str, fill: usize) -> Vec<Leaf> {
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
