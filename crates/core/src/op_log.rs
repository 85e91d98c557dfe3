//! The run-length encoded log of text operations.
//!
//! Every inserted or deleted character is one operation with its own local version, but the log
//! stores *runs*: typing "hello" is one insert run of five operations; pressing backspace ten
//! times is one delete run. The text of every insert (including text that was later deleted)
//! lives in the log too, so the log is the document's full history. Old runs are kept packed
//! (see [`OpLog`]).
//!
//! Positions are in Unicode scalar values (chars) in the document as it was at the operation's
//! parents. Operation `i` of a run (0-based) acts at:
//! - insert run: `pos + i` (consecutive typing);
//! - forward delete run: `pos` (the Delete key, or deleting a selection);
//! - backward delete run: `pos - i` (backspace).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::causal_graph::Lv;
use crate::encoding::varint::{decode_uvarint, push_uvarint, unzigzag, zigzag};
use crate::unit::byte_len_of_chars;

/// What a run of operations does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OpKind {
    /// Insert characters.
    Insert,
    /// Delete characters.
    Delete,
}

/// A run of operations with consecutive local versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpRun {
    /// The text the run edits (index into the document's root table).
    pub(crate) container: u32,
    pub(crate) lv: Lv,
    pub(crate) len: usize,
    pub(crate) kind: OpKind,
    pub(crate) pos: usize,
    /// Deletes only: `true` for forward (each op at `pos`), `false` for backspace (`pos - i`).
    pub(crate) fwd: bool,
    /// Inserts only: byte offset of the run's text in [`OpLog::content`].
    pub(crate) content_at: usize,
}

impl OpRun {
    pub(crate) fn end(&self) -> Lv {
        self.lv + self.len
    }

    /// Position of operation `i` of this run.
    pub(crate) fn pos_at(&self, i: usize) -> usize {
        match (self.kind, self.fwd) {
            (OpKind::Insert, _) => self.pos + i,
            (OpKind::Delete, true) => self.pos,
            (OpKind::Delete, false) => self.pos - i,
        }
    }
}

/// The log of text operations, in local-version order.
///
/// Runs live in two forms. The newest (at most `2 * FREEZE_RUNS`) are plain [`OpRun`]s in `tail`,
/// where typing extends them in place. Older ones are *frozen*: packed `FREEZE_RUNS` at a time into
/// a few bytes each (see [`Frozen`]), which is what keeps a long history small in memory (a plain
/// `OpRun` takes 40 bytes, a frozen one about 4). Readers decode frozen runs on the fly; the walk
/// is sequential, so this costs a few nanoseconds per run.
///
/// Inserted text lives in [`Content`]: every insert's text in local-version order, in segments of
/// bounded size, so the log never holds a large buffer with doubling slack.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpLog {
    frozen: Vec<Frozen>,
    tail: Vec<OpRun>,
    content: Content,
}

/// Runs frozen together: the tail freezes this many runs at a time. Small blocks keep a lookup of
/// one run cheap (it decodes at most this many).
const FREEZE_RUNS: usize = 32;

impl OpLog {
    /// One past the last sequence operation. Map and counter operations are not in this log, so
    /// its runs may leave gaps of local versions between them.
    pub(crate) fn len(&self) -> Lv {
        match (self.tail.last(), self.frozen.last()) {
            (Some(r), _) => r.end(),
            (None, Some(f)) => f.end,
            (None, None) => 0,
        }
    }

    /// Append an insert of `text` (non-empty) at `pos`, as operations starting at `lv`: a local
    /// edit (see [`OpLog::push_run`] for decoded ones).
    pub(crate) fn push_insert(&mut self, container: u32, lv: Lv, pos: usize, text: &str) {
        self.insert(container, lv, pos, text, true);
    }

    /// [`OpLog::push_insert`]; `pack` to compress text segments as they fill up (see
    /// [`Content`]).
    fn insert(&mut self, container: u32, lv: Lv, pos: usize, text: &str, pack: bool) {
        self.insert_chars(container, lv, pos, text, text.chars().count(), pack);
    }

    /// [`OpLog::insert`] of `text`, which has `n` chars.
    fn insert_chars(
        &mut self,
        container: u32,
        lv: Lv,
        pos: usize,
        text: &str,
        n: usize,
        pack: bool,
    ) {
        debug_assert_eq!(n, text.chars().count());
        debug_assert!(n > 0);
        debug_assert!(lv >= self.len());
        let (content_at, same_segment) = self.content.push(text, pack);
        if let Some(last) = self.tail.last_mut() {
            // Texts are appended in version order, so a last run that is an insert owns the
            // previous text: in the same segment, the two texts are contiguous.
            if same_segment
                && last.kind == OpKind::Insert
                && last.container == container
                && last.end() == lv
                && last.pos + last.len == pos
            {
                last.len += n;
                return;
            }
        }
        self.push(OpRun {
            container,
            lv,
            len: n,
            kind: OpKind::Insert,
            pos,
            fwd: true,
            content_at,
        });
    }

    /// Append `len` forward deletes at `pos` (deleting `pos..pos + len`), starting at `lv`.
    pub(crate) fn push_delete(&mut self, container: u32, lv: Lv, pos: usize, len: usize) {
        debug_assert!(len > 0);
        debug_assert!(lv >= self.len());
        if let Some(last) = self.tail.last_mut() {
            if last.kind == OpKind::Delete && last.container == container && last.end() == lv {
                if last.fwd && last.pos == pos {
                    last.len += len;
                    return;
                }
                // Backspace: one char just before the previous run's last deleted char.
                let last_pos = last.pos_at(last.len - 1);
                if len == 1 && (last.len == 1 || !last.fwd) && last_pos == pos + 1 {
                    last.fwd = false;
                    last.len += 1;
                    return;
                }
            }
        }
        self.push(OpRun {
            container,
            lv,
            len,
            kind: OpKind::Delete,
            pos,
            fwd: true,
            content_at: 0,
        });
    }

    fn push(&mut self, run: OpRun) {
        self.tail.push(run);
        if self.tail.len() >= 2 * FREEZE_RUNS {
            // Texts follow each other in version order, so an insert's text ends where the next
            // one's starts: the blocks are packed without reading (maybe unpacking) any text.
            let next_text = self.tail[FREEZE_RUNS..]
                .iter()
                .find(|r| r.kind == OpKind::Insert)
                .map_or_else(|| self.content.len(), |r| r.content_at);
            let frozen = Frozen::pack(&self.tail[..FREEZE_RUNS], next_text, &self.content);
            self.frozen.push(frozen);
            self.tail.drain(..FREEZE_RUNS);
        }
    }

    /// Append a run decoded from a file or update (already validated for shape). Its text is not
    /// compressed: loading and merging a whole history at once reads it all back, and compressing
    /// it would cost more than the rest of the load.
    pub(crate) fn push_run(&mut self, run: &OpRun, text: &str) {
        let c = run.container;
        match run.kind {
            OpKind::Insert => self.insert_chars(c, run.lv, run.pos, text, run.len, false),
            OpKind::Delete if run.fwd => self.push_delete(c, run.lv, run.pos, run.len),
            OpKind::Delete => {
                // The first one or two operations go through `push_delete` (they may extend the
                // previous run, or not); once the last run is a backspace run ending at the
                // operation just pushed, the rest of this run extends it at once.
                let mut i = 0;
                while i < run.len {
                    self.push_delete(c, run.lv + i, run.pos - i, 1);
                    i += 1;
                    if let Some(last) = self.tail.last_mut() {
                        if i < run.len
                            && last.kind == OpKind::Delete
                            && last.end() == run.lv + i
                            && (last.len == 1 || !last.fwd)
                        {
                            last.fwd = false;
                            last.len += run.len - i;
                            i = run.len;
                        }
                    }
                }
            }
        }
    }

    /// Remove every operation at or after `lv`.
    pub(crate) fn truncate(&mut self, lv: Lv) {
        // Thaw the frozen blocks the cut reaches into.
        let keep = self.frozen.partition_point(|f| f.end <= lv);
        if keep < self.frozen.len() {
            let mut runs = Vec::new();
            for f in &self.frozen[keep..] {
                runs.extend(f.runs());
            }
            runs.append(&mut self.tail);
            self.tail = runs;
            self.frozen.truncate(keep);
        }
        while let Some(last) = self.tail.last_mut() {
            if last.lv >= lv {
                if last.kind == OpKind::Insert {
                    self.content.truncate(last.content_at);
                }
                self.tail.pop();
            } else {
                if last.end() > lv {
                    let keep = lv - last.lv;
                    if last.kind == OpKind::Insert {
                        let text = self.content.from(last.content_at);
                        let cut = byte_len_of_chars(text, keep).unwrap_or(text.len());
                        self.content.truncate(last.content_at + cut);
                    }
                    last.len = keep;
                }
                break;
            }
        }
    }

    /// The runs covering `range`, trimmed to it.
    pub(crate) fn runs_in(&self, range: Range<Lv>) -> impl Iterator<Item = OpRun> + '_ {
        let first_frozen = self.frozen.partition_point(|f| f.end <= range.start);
        let first_tail = self.tail.partition_point(|r| r.end() <= range.start);
        RunsIn {
            log: self,
            range,
            frozen: self.frozen[first_frozen..].iter(),
            block: None,
            tail: self.tail[first_tail..].iter(),
        }
    }

    /// `run` without its first `skip` operations.
    fn split_off_front(&self, run: &OpRun, skip: usize) -> OpRun {
        let mut r = run.clone();
        r.lv += skip;
        r.len -= skip;
        r.pos = run.pos_at(skip);
        if run.kind == OpKind::Insert {
            let text = self.content.from(run.content_at);
            r.content_at += byte_len_of_chars(text, skip).unwrap_or(text.len());
        }
        r
    }

    /// The text inserted by an insert run (as returned by [`OpLog::runs_in`]).
    pub(crate) fn text_of(&self, run: &OpRun) -> &str {
        let text = self.content.from(run.content_at);
        let end = byte_len_of_chars(text, run.len).unwrap_or(text.len());
        &text[..end]
    }

    /// Heap bytes owned.
    pub(crate) fn heap_size(&self) -> usize {
        self.tail.capacity() * std::mem::size_of::<OpRun>()
            + self.frozen.capacity() * std::mem::size_of::<Frozen>()
            + self.frozen.iter().map(|f| f.bytes.len()).sum::<usize>()
            + self.content.heap_size()
    }
}

/// Frozen runs: consecutive runs packed into bytes. Runs cover consecutive local versions (but for
/// marked gaps) and
/// inserts' texts follow each other in [`Content`], so a run needs only its length, kind, position
/// and (for inserts whose text is not one byte per char) its byte length. Per run:
///
/// - a gap of local versions that belong to no run (map and counter operations) is a `uvarint`
///   `gap << 3 | 3 << 1` before the next run;
/// - `uvarint` `len << 3 | kind << 1 | new_container` (kind 0 insert, 1 forward delete,
///   2 backspace), then the container as a `uvarint` if `new_container` is set (always for the first
///   run of a block);
/// - `ivarint` of the position minus where the previous run left the cursor (see [`cursor_after`]);
/// - inserts: `uvarint` of the text's byte length minus its char count.
#[derive(Clone, Debug)]
struct Frozen {
    /// First local version.
    lv: Lv,
    /// One past the last local version.
    end: Lv,
    /// Content offset of the first insert's text.
    content_at: usize,
    bytes: Box<[u8]>,
}

/// Where an editor's cursor is after `run`: the next run usually starts there.
fn cursor_after(run: &OpRun) -> usize {
    match (run.kind, run.fwd) {
        (OpKind::Insert, _) => run.pos + run.len,
        (OpKind::Delete, true) => run.pos,
        (OpKind::Delete, false) => run.pos.saturating_sub(run.len),
    }
}

impl Frozen {
    /// Pack `runs`; `next_text` is the content offset of the first insert after them (or the end of
    /// the content), where the last insert's text ends.
    fn pack(runs: &[OpRun], next_text: usize, content: &Content) -> Frozen {
        // Byte length of each insert's text: up to the next insert's.
        let mut text_end = vec![0; runs.len()];
        let mut end = next_text;
        for (i, r) in runs.iter().enumerate().rev() {
            if r.kind == OpKind::Insert {
                text_end[i] = end;
                end = r.content_at;
            }
        }
        let mut bytes = Vec::with_capacity(runs.len() * 4);
        let mut container = None;
        let mut cursor = 0usize;
        let mut content_at = None;
        let mut lv = runs.first().map_or(0, |r| r.lv);
        for (r, text_end) in runs.iter().zip(text_end) {
            if r.lv > lv {
                // Local versions of other operations (maps, counters): a gap marker, kind 3.
                push_uvarint(&mut bytes, ((r.lv - lv) as u64) << 3 | 3 << 1);
            }
            lv = r.end();
            let kind = match (r.kind, r.fwd) {
                (OpKind::Insert, _) => 0u64,
                (OpKind::Delete, true) => 1,
                (OpKind::Delete, false) => 2,
            };
            let new_container = container != Some(r.container);
            push_uvarint(
                &mut bytes,
                (r.len as u64) << 3 | kind << 1 | u64::from(new_container),
            );
            if new_container {
                push_uvarint(&mut bytes, u64::from(r.container));
                container = Some(r.container);
            }
            push_uvarint(&mut bytes, zigzag(r.pos as i64 - cursor as i64));
            cursor = cursor_after(r);
            if r.kind == OpKind::Insert {
                content_at.get_or_insert(r.content_at);
                let n = text_end - r.content_at;
                debug_assert_eq!(
                    Some(n),
                    byte_len_of_chars(content.from(r.content_at), r.len),
                    "texts follow each other"
                );
                push_uvarint(&mut bytes, (n - r.len) as u64);
            }
        }
        Frozen {
            lv: runs.first().map_or(0, |r| r.lv),
            end: runs.last().map_or(0, |r| r.end()),
            // A block without inserts never reads this.
            content_at: content_at.unwrap_or(0),
            bytes: bytes.into_boxed_slice(),
        }
    }

    /// The runs, decoded.
    fn runs(&self) -> FrozenRuns<'_> {
        FrozenRuns {
            bytes: &self.bytes,
            lv: self.lv,
            content_at: self.content_at,
            container: 0,
            cursor: 0,
        }
    }
}

/// Iterator over the runs of an [`OpLog`] overlapping a range of local versions, trimmed to it
/// (what [`OpLog::runs_in`] returns). One loop over the frozen blocks and then the tail: merges
/// read the whole log through it, where a chain of iterator adapters cost as much as decoding.
struct RunsIn<'a> {
    log: &'a OpLog,
    range: Range<Lv>,
    /// Frozen blocks not started yet.
    frozen: std::slice::Iter<'a, Frozen>,
    /// The frozen block being read.
    block: Option<FrozenRuns<'a>>,
    tail: std::slice::Iter<'a, OpRun>,
}

impl RunsIn<'_> {
    /// The next run of the log, untrimmed; `None` once past the range.
    fn next_run(&mut self) -> Option<OpRun> {
        loop {
            if let Some(block) = &mut self.block {
                if let Some(r) = block.next() {
                    return Some(r);
                }
                self.block = None;
            }
            match self.frozen.next() {
                Some(f) if f.lv < self.range.end => self.block = Some(f.runs()),
                Some(_) => return None,
                None => return self.tail.next().cloned(),
            }
        }
    }
}

impl Iterator for RunsIn<'_> {
    type Item = OpRun;

    fn next(&mut self) -> Option<OpRun> {
        loop {
            let mut r = self.next_run()?;
            if r.end() <= self.range.start {
                continue;
            }
            if r.lv >= self.range.end {
                // Runs are in version order: nothing later is in the range.
                self.frozen = [].iter();
                self.block = None;
                self.tail = [].iter();
                return None;
            }
            if r.lv < self.range.start {
                r = self.log.split_off_front(&r, self.range.start - r.lv);
            }
            if r.end() > self.range.end {
                r.len = self.range.end - r.lv;
            }
            return Some(r);
        }
    }
}

/// Iterator over the runs of a [`Frozen`] block.
struct FrozenRuns<'a> {
    bytes: &'a [u8],
    lv: Lv,
    content_at: usize,
    container: u32,
    cursor: usize,
}

impl FrozenRuns<'_> {
    fn uvarint(&mut self) -> Option<u64> {
        // Most values (lengths, position deltas) fit in one byte.
        if let Some((&b, rest)) = self.bytes.split_first() {
            if b < 0x80 {
                self.bytes = rest;
                return Some(u64::from(b));
            }
        }
        // The bytes were written by `Frozen::pack`; a failure only ends the iteration.
        let (v, n) = decode_uvarint(self.bytes, 0).ok()?;
        self.bytes = self.bytes.get(n..)?;
        Some(v)
    }
}

impl Iterator for FrozenRuns<'_> {
    type Item = OpRun;

    fn next(&mut self) -> Option<OpRun> {
        if self.bytes.is_empty() {
            return None;
        }
        let mut h = self.uvarint()?;
        while (h >> 1) & 3 == 3 {
            self.lv += usize::try_from(h >> 3).ok()?;
            h = self.uvarint()?;
        }
        if h & 1 != 0 {
            self.container = u32::try_from(self.uvarint()?).ok()?;
        }
        let len = usize::try_from(h >> 3).ok()?;
        let (kind, fwd) = match (h >> 1) & 3 {
            0 => (OpKind::Insert, true),
            1 => (OpKind::Delete, true),
            _ => (OpKind::Delete, false),
        };
        let pos = (self.cursor as i64 + unzigzag(self.uvarint()?)) as usize;
        let mut run = OpRun {
            container: self.container,
            lv: self.lv,
            len,
            kind,
            pos,
            fwd,
            content_at: 0,
        };
        if kind == OpKind::Insert {
            let extra = usize::try_from(self.uvarint()?).ok()?;
            run.content_at = self.content_at;
            self.content_at += len + extra;
        }
        self.lv += len;
        self.cursor = cursor_after(&run);
        Some(run)
    }
}

/// Inserted text, in segments of at most [`SEGMENT_BYTES`] (or one insert, if longer). A run's
/// text never spans two segments. Offsets count from the start of the first segment.
///
/// With the `compress` feature sealed segments (all but the last two) are compressed (LZ4, about
/// half the text's size on prose and code) as local inserts earn the time for it (see
/// [`PACK_CREDIT`]); text decoded from files and updates is not. The text of old inserts is read only to
/// export or save the history and to merge concurrent edits into it; a read unpacks the segment
/// into a cache that the next write to the log drops. Together with the packed runs this keeps a
/// document's memory close to the size of its current text, history included.
#[derive(Clone, Debug, Default)]
struct Content {
    segments: Vec<Segment>,
    /// Offset of each segment's first byte.
    starts: Vec<usize>,
    /// Whether some packed segment's cache is filled.
    cached: CacheFlag,
    /// Bytes that may still be compressed: local inserts earn [`PACK_CREDIT`] each.
    credit: usize,
    /// Index of the first sealed segment not packed yet (nor found not to compress).
    next_to_pack: usize,
}

/// Bytes of old text a local insert earns the right to compress. Compressing costs time per byte
/// while an insert costs time per operation, so this bounds the compression work per insert: a
/// few percent while typing (about one byte per insert, so all text gets packed), at most a small
/// share of an insert for pasted text, which is packed only as later typing earns the credit.
const PACK_CREDIT: usize = 2;

/// Most bytes in one segment (unless one insert is longer). Small enough that the raw last segment
/// costs little memory, large enough to compress well.
const SEGMENT_BYTES: usize = 1 << 14;

/// A flag readers set through `&self` (a [`std::sync::OnceLock`] filled) and writers clear.
#[derive(Debug, Default)]
struct CacheFlag(AtomicBool);

impl Clone for CacheFlag {
    fn clone(&self) -> Self {
        CacheFlag(AtomicBool::new(self.0.load(Ordering::Relaxed)))
    }
}

/// One segment of [`Content`].
#[derive(Clone, Debug)]
enum Segment {
    /// The text as it is (the last segment, or one that does not compress).
    Raw(String),
    /// The text compressed, and a copy unpacked by the first read since the last write.
    #[cfg_attr(not(feature = "compress"), allow(dead_code))]
    Packed {
        packed: Box<[u8]>,
        /// Length of the text in bytes.
        len: usize,
        unpacked: OnceLock<String>,
    },
}

impl Segment {
    /// A sealed segment (no more text goes into it), compressed if that makes it smaller.
    fn sealed(text: String) -> Segment {
        #[cfg(feature = "compress")]
        {
            let packed = lz4_flex::block::compress(text.as_bytes());
            if packed.len() < text.len() {
                return Segment::Packed {
                    packed: packed.into_boxed_slice(),
                    len: text.len(),
                    unpacked: OnceLock::new(),
                };
            }
        }
        let mut text = text;
        text.shrink_to_fit();
        Segment::Raw(text)
    }

    /// The text, unpacking it (and setting `cached`) if needed.
    fn text(&self, cached: &CacheFlag) -> &str {
        match self {
            Segment::Raw(s) => s,
            Segment::Packed {
                packed,
                len,
                unpacked,
            } => unpacked.get_or_init(|| {
                cached.0.store(true, Ordering::Relaxed);
                unpack(packed, *len)
            }),
        }
    }

    /// The text as an owned string.
    fn into_text(self) -> String {
        match self {
            Segment::Raw(s) => s,
            Segment::Packed {
                packed,
                len,
                mut unpacked,
            } => unpacked.take().unwrap_or_else(|| unpack(&packed, len)),
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Segment::Raw(s) => s.capacity(),
            Segment::Packed {
                packed, unpacked, ..
            } => packed.len() + unpacked.get().map_or(0, String::capacity),
        }
    }
}

/// The text of a packed segment of `len` bytes.
#[cfg(feature = "compress")]
fn unpack(packed: &[u8], len: usize) -> String {
    lz4_flex::block::decompress(packed, len)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| unreachable!("a packed segment unpacks to the text it was made from"))
}

/// Without the `compress` feature no segment is packed.
#[cfg(not(feature = "compress"))]
fn unpack(_packed: &[u8], _len: usize) -> String {
    unreachable!("segments are packed only with the compress feature")
}

impl Content {
    /// Offset one past the last byte.
    fn len(&self) -> usize {
        match (self.starts.last(), self.segments.last()) {
            (Some(start), Some(Segment::Raw(s))) => start + s.len(),
            (Some(start), Some(s)) => start + s.text(&self.cached).len(),
            _ => 0,
        }
    }

    /// Append `text`; returns its offset and whether it went into the segment that held the
    /// previous text (so a run may extend across the two). When that starts a new segment, the
    /// one before the previous one is compressed if `pack`.
    fn push(&mut self, text: &str, pack: bool) -> (usize, bool) {
        self.drop_caches();
        if pack {
            self.credit += PACK_CREDIT;
        }
        let at = self.len();
        match self.segments.last_mut() {
            Some(Segment::Raw(last)) if last.len() + text.len() <= SEGMENT_BYTES => {
                if last.capacity() - last.len() < text.len() {
                    // Grow by doubling, but never past the segment size.
                    let want = (last.capacity() * 2).clamp(last.len() + text.len(), SEGMENT_BYTES);
                    last.reserve_exact(want - last.len());
                }
                last.push_str(text);
                (at, true)
            }
            _ => {
                // The segment before the last one is done with: compress it. The last one stays
                // raw a while longer, since the newest runs are packed (see [`Frozen::pack`])
                // from their texts.
                self.pack_sealed(self.segments.len().saturating_sub(1));
                if let Some(Segment::Raw(last)) = self.segments.last_mut() {
                    last.shrink_to_fit();
                }
                self.starts.push(at);
                self.segments.push(Segment::Raw(text.to_owned()));
                (at, false)
            }
        }
    }

    /// The text from offset `at` to the end of its segment.
    fn from(&self, at: usize) -> &str {
        let i = self.starts.partition_point(|s| *s <= at).saturating_sub(1);
        match (self.segments.get(i), self.starts.get(i)) {
            (Some(s), Some(start)) => s.text(&self.cached).get(at - start..).unwrap_or_default(),
            _ => "",
        }
    }

    /// Remove everything from offset `at` on (`at` is the start of an insert's text or a char
    /// boundary inside one).
    fn truncate(&mut self, at: usize) {
        self.drop_caches();
        while self.starts.last().is_some_and(|s| *s >= at) && self.starts.len() > 1 {
            self.starts.pop();
            self.segments.pop();
        }
        if let (Some(start), Some(last)) = (self.starts.last().copied(), self.segments.pop()) {
            // The last segment is raw, so text can be appended to it.
            let mut text = last.into_text();
            text.truncate(at.saturating_sub(start));
            self.segments.push(Segment::Raw(text));
        }
        self.next_to_pack = self.next_to_pack.min(self.segments.len().saturating_sub(1));
    }

    /// Compress segments from `next_to_pack` up to `end` (exclusive) while the credit lasts.
    fn pack_sealed(&mut self, end: usize) {
        while self.next_to_pack < end {
            let i = self.next_to_pack;
            let Segment::Raw(text) = &mut self.segments[i] else {
                self.next_to_pack += 1;
                continue;
            };
            if text.len() > self.credit {
                return;
            }
            self.credit -= text.len();
            self.segments[i] = Segment::sealed(std::mem::take(text));
            self.next_to_pack += 1;
        }
    }

    /// Drop the unpacked copies of packed segments.
    fn drop_caches(&mut self) {
        if std::mem::take(self.cached.0.get_mut()) {
            for s in &mut self.segments {
                if let Segment::Packed { unpacked, .. } = s {
                    unpacked.take();
                }
            }
        }
    }

    fn heap_size(&self) -> usize {
        self.segments.iter().map(Segment::heap_size).sum::<usize>()
            + self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.starts.capacity() * std::mem::size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A log of `n` words, each put at the start of the text, and the text they make. `local`:
    /// typed char by char as local inserts; otherwise one decoded run per word.
    fn typed(n: usize, local: bool) -> (OpLog, String) {
        let mut log = OpLog::default();
        let mut all = String::new();
        let mut lv = 0;
        for i in 0..n {
            let word = format!("word{} née ", i % 97);
            let chars = word.chars().count();
            let run = OpRun {
                container: 0,
                lv,
                len: chars,
                kind: OpKind::Insert,
                pos: 0,
                fwd: true,
                content_at: 0,
            };
            if local {
                for (k, ch) in word.chars().enumerate() {
                    log.push_insert(0, lv + k, k, ch.encode_utf8(&mut [0; 4]));
                }
            } else {
                log.push_run(&run, &word);
            }
            all.insert_str(0, &word);
            lv += chars;
        }
        (log, all)
    }

    fn packed_segments(log: &OpLog) -> usize {
        log.content
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Packed { .. }))
            .count()
    }

    /// The text the (insert only) log makes.
    fn texts(log: &OpLog) -> String {
        let mut out = String::new();
        for r in log.runs_in(0..log.len()) {
            let at = out.char_indices().nth(r.pos).map_or(out.len(), |(i, _)| i);
            out.insert_str(at, log.text_of(&r));
        }
        out
    }

    #[test]
    #[cfg(feature = "compress")]
    fn typed_text_is_packed_and_reads_back_the_same() {
        let (mut log, all) = typed(10_000, true);
        assert!(packed_segments(&log) >= 4, "old segments are compressed");
        let raw: usize = all.len();
        assert!(
            log.heap_size() < raw,
            "{} bytes for {raw} bytes of text",
            log.heap_size()
        );
        assert_eq!(texts(&log), all);
        // Reading filled caches; the next write drops them.
        let cached = log.heap_size();
        log.push_insert(0, log.len(), 0, "x");
        assert!(log.heap_size() < cached);
        assert_eq!(texts(&log), format!("x{all}"));
    }

    /// All runs of a log, frozen or not.
    fn all_runs(log: &OpLog) -> Vec<OpRun> {
        log.runs_in(0..log.len()).collect()
    }

    #[test]
    fn a_decoded_backspace_run_is_stored_as_its_operations_one_by_one_would_be() {
        // Before each backspace run: nothing, a single delete at its start, a forward run at
        // its start, a backspace run ending just after it, and an unrelated delete.
        let befores: [&[(usize, usize, bool)]; 5] = [
            &[],
            &[(20, 1, true)],
            &[(20, 3, true)],
            &[(23, 3, false)],
            &[(5, 2, true)],
        ];
        for before in befores {
            for len in [1, 2, 3, 40] {
                let mut bulk = OpLog::default();
                let mut single = OpLog::default();
                bulk.push_insert(0, 0, 0, &"x".repeat(100));
                single.push_insert(0, 0, 0, &"x".repeat(100));
                let mut lv = 100;
                for &(pos, n, fwd) in before {
                    let run = OpRun {
                        container: 0,
                        lv,
                        len: n,
                        kind: OpKind::Delete,
                        pos,
                        fwd,
                        content_at: 0,
                    };
                    bulk.push_run(&run, "");
                    for i in 0..n {
                        single.push_delete(0, lv + i, run.pos_at(i), 1);
                    }
                    lv += n;
                }
                let run = OpRun {
                    container: 0,
                    lv,
                    len,
                    kind: OpKind::Delete,
                    pos: 50,
                    fwd: false,
                    content_at: 0,
                };
                bulk.push_run(&run, "");
                for i in 0..len {
                    single.push_delete(0, lv + i, 50 - i, 1);
                }
                assert_eq!(all_runs(&bulk), all_runs(&single), "{before:?} then {len}");
            }
        }
    }

    #[test]
    fn decoded_text_is_not_packed() {
        let (log, all) = typed(5_000, false);
        assert_eq!(packed_segments(&log), 0);
        assert_eq!(texts(&log), all);
    }

    #[test]
    fn truncating_into_a_packed_segment_keeps_the_text_before_the_cut() {
        let (mut log, _) = typed(5_000, true);
        for cut in [log.len() / 3, log.len() / 7, 5] {
            let mut expected: Vec<OpRun> = log.runs_in(0..cut).collect();
            let text: Vec<String> = expected.iter().map(|r| log.text_of(r).to_owned()).collect();
            log.truncate(cut);
            assert_eq!(log.len(), cut);
            let runs: Vec<OpRun> = log.runs_in(0..cut).collect();
            assert_eq!(runs.len(), expected.len());
            for (r, t) in runs.iter().zip(&text) {
                assert_eq!(log.text_of(r), t);
            }
            // Typing goes on after the cut.
            log.push_insert(0, cut, 0, "more");
            expected.clear();
            assert_eq!(
                log.text_of(&log.runs_in(cut..cut + 4).next().unwrap()),
                "more"
            );
            log.truncate(cut);
        }
    }

    #[test]
    fn typing_and_backspace_are_single_runs() {
        let mut log = OpLog::default();
        log.push_insert(0, 0, 0, "he");
        log.push_insert(0, 2, 2, "llo");
        log.push_delete(0, 5, 4, 1);
        log.push_delete(0, 6, 3, 1);
        log.push_delete(0, 7, 2, 1);
        assert_eq!(log.tail.len(), 2);
        let runs: Vec<_> = log.runs_in(0..8).collect();
        assert_eq!(runs[1].pos_at(2), 2);
        assert!(!runs[1].fwd);
        assert_eq!(log.text_of(&runs[0]), "hello");
    }

    #[test]
    fn runs_in_splits_runs_with_multibyte_text() {
        let mut log = OpLog::default();
        log.push_insert(0, 0, 0, "añb😀c");
        let r: Vec<_> = log.runs_in(2..4).collect();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].pos, 2);
        assert_eq!(log.text_of(&r[0]), "b😀");
    }

    #[test]
    fn gaps_between_runs_survive_freezing() {
        let mut log = OpLog::default();
        let mut lv = 0;
        let mut want = Vec::new();
        for i in 0..5 * FREEZE_RUNS {
            lv += i % 3; // local versions of map or counter operations
            if i % 2 == 0 {
                log.push_insert(1, lv, 0, "ab");
                want.push((lv, 2));
                lv += 2;
            } else {
                log.push_delete(1, lv, 0, 1);
                want.push((lv, 1));
                lv += 1;
            }
        }
        assert!(!log.frozen.is_empty());
        let got: Vec<_> = log.runs_in(0..lv).map(|r| (r.lv, r.len)).collect();
        assert_eq!(got, want);
        let (a, _) = want[40];
        let got: Vec<_> = log.runs_in(a..lv).map(|r| (r.lv, r.len)).collect();
        assert_eq!(got, want[40..].to_vec());
    }

    #[test]
    fn truncate_cuts_runs_and_text() {
        let mut log = OpLog::default();
        log.push_insert(0, 0, 0, "añb");
        log.push_delete(0, 3, 0, 2);
        log.truncate(2);
        assert_eq!(log.len(), 2);
        assert_eq!(log.content.from(0), "añ");
    }

    /// One operation as pushed: container, insert (`Some(char)`) or delete (`None`), position.
    type Op = (u32, Option<char>, usize);

    /// Every operation of `range`, expanded from the log's runs.
    fn expand(log: &OpLog, range: Range<Lv>) -> Vec<Op> {
        let mut out = Vec::new();
        for run in log.runs_in(range) {
            let mut chars = log.text_of(&run).chars();
            for i in 0..run.len {
                let c = match run.kind {
                    OpKind::Insert => chars.next(),
                    OpKind::Delete => None,
                };
                out.push((run.container, c, run.pos_at(i)));
            }
        }
        out
    }

    #[derive(Clone, Debug)]
    enum Push {
        Insert(u32, usize, String),
        Delete(u32, usize, usize),
    }

    fn push_strategy() -> impl Strategy<Value = Push> {
        let text = proptest::string::string_regex("[ab😀é]{1,5}").unwrap();
        prop_oneof![
            (0u32..2, 0usize..40, text).prop_map(|(c, p, t)| Push::Insert(c, p, t)),
            (0u32..2, 1usize..40, 1usize..4).prop_map(|(c, p, n)| Push::Delete(c, p, n)),
        ]
    }

    proptest! {
        /// Whatever mix of typing, backspacing and jumping around, frozen or not, the log gives
        /// back exactly the operations pushed, for any range, also after a truncation.
        #[test]
        fn frozen_and_tail_runs_give_back_every_operation(
            pushes in proptest::collection::vec(push_strategy(), 1..400),
            a in 0usize..2000,
            b in 0usize..2000,
            cut in 0usize..2000,
        ) {
            let mut log = OpLog::default();
            let mut model: Vec<Op> = Vec::new();
            for p in &pushes {
                let lv = log.len();
                match p {
                    Push::Insert(c, pos, text) => {
                        log.push_insert(*c, lv, *pos, text);
                        for (i, ch) in text.chars().enumerate() {
                            model.push((*c, Some(ch), pos + i));
                        }
                    }
                    Push::Delete(c, pos, n) => {
                        log.push_delete(*c, lv, *pos, *n);
                        model.extend(std::iter::repeat_n((*c, None, *pos), *n));
                    }
                }
            }
            prop_assert_eq!(log.len(), model.len());
            let (a, b) = (a.min(model.len()), b.min(model.len()));
            let (a, b) = (a.min(b), a.max(b));
            prop_assert_eq!(expand(&log, a..b), model[a..b].to_vec());
            let cut = cut.min(model.len());
            log.truncate(cut);
            model.truncate(cut);
            prop_assert_eq!(log.len(), cut);
            prop_assert_eq!(expand(&log, 0..cut), model.clone());
            // And it keeps working after the cut.
            log.push_insert(0, cut, 0, "z");
            model.push((0, Some('z'), 0));
            prop_assert_eq!(expand(&log, 0..model.len()), model);
        }
    }

    #[test]
    fn long_histories_are_mostly_frozen() {
        let mut log = OpLog::default();
        for i in 0..10_000 {
            // Type a word, jump elsewhere: one run per word.
            log.push_insert(0, log.len(), (i * 37) % 1000, "word ");
        }
        assert!(log.tail.len() < 2 * FREEZE_RUNS);
        assert!(log.frozen.len() > 300);
        let frozen_bytes: usize = log.frozen.iter().map(|f| f.bytes.len()).sum();
        assert!(
            frozen_bytes < 10_000 * 5,
            "{frozen_bytes} bytes for 10,000 runs"
        );
        assert_eq!(expand(&log, 49_990..50_000).len(), 10);
    }
}
