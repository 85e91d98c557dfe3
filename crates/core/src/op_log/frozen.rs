//! Old runs of the op log, packed into a few bytes each, and the iterators that read them.

use std::ops::Range;

use super::content::Content;
use super::{OpKind, OpLog, OpRun, FREEZE_RUNS};
use crate::causal_graph::Lv;
use crate::encoding::varint::{decode_uvarint, unzigzag, zigzag, MAX_UVARINT_LEN};
use crate::unit::byte_len_of_chars;

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
pub(super) struct Frozen {
    /// First local version.
    pub(super) lv: Lv,
    /// One past the last local version.
    pub(super) end: Lv,
    /// Content offset of the first insert's text.
    pub(super) content_at: usize,
    pub(super) bytes: Box<[u8]>,
}

/// Where an editor's cursor is after `run`: the next run usually starts there.
fn cursor_after(run: &OpRun) -> usize {
    match (run.kind, run.fwd) {
        (OpKind::Insert, _) => run.pos + run.len,
        (OpKind::Delete, true) => run.pos,
        (OpKind::Delete, false) => run.pos.saturating_sub(run.len),
    }
}

/// Room for a packed block: at most five `uvarint`s per run (gap, length and kind, container,
/// position, byte length), each at most [`MAX_UVARINT_LEN`] bytes.
const PACK_BUF: usize = FREEZE_RUNS * 5 * MAX_UVARINT_LEN;

/// The bytes of a block being packed, on the stack: one allocation per block, of its exact size.
struct PackBuf {
    buf: [u8; PACK_BUF],
    len: usize,
}

impl PackBuf {
    fn uvarint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf[self.len] = (value as u8) | 0x80;
            self.len += 1;
            value >>= 7;
        }
        self.buf[self.len] = value as u8;
        self.len += 1;
    }
}

impl Frozen {
    /// Pack `runs`; `next_text` is the content offset of the first insert after them (or the end of
    /// the content), where the last insert's text ends.
    pub(super) fn pack(runs: &[OpRun], next_text: usize, content: &Content) -> Frozen {
        // Byte length of each insert's text: up to the next insert's.
        assert!(
            runs.len() <= FREEZE_RUNS,
            "a frozen block holds at most FREEZE_RUNS runs"
        );
        let mut text_end = [0; FREEZE_RUNS];
        let mut end = next_text;
        for (i, r) in runs.iter().enumerate().rev() {
            if r.kind == OpKind::Insert {
                text_end[i] = end;
                end = r.content_at;
            }
        }
        let mut bytes = PackBuf {
            buf: [0; PACK_BUF],
            len: 0,
        };
        let mut container = None;
        let mut cursor = 0usize;
        let mut content_at = None;
        let mut lv = runs.first().map_or(0, |r| r.lv);
        for (r, text_end) in runs.iter().zip(text_end) {
            if r.lv > lv {
                // Local versions of other operations (maps, counters): a gap marker, kind 3.
                bytes.uvarint(((r.lv - lv) as u64) << 3 | 3 << 1);
            }
            lv = r.end();
            let kind = match (r.kind, r.fwd) {
                (OpKind::Insert, _) => 0u64,
                (OpKind::Delete, true) => 1,
                (OpKind::Delete, false) => 2,
            };
            let new_container = container != Some(r.container);
            bytes.uvarint((r.len as u64) << 3 | kind << 1 | u64::from(new_container));
            if new_container {
                bytes.uvarint(u64::from(r.container));
                container = Some(r.container);
            }
            bytes.uvarint(zigzag(r.pos as i64 - cursor as i64));
            cursor = cursor_after(r);
            if r.kind == OpKind::Insert {
                content_at.get_or_insert(r.content_at);
                let n = text_end - r.content_at;
                debug_assert_eq!(
                    Some(n),
                    byte_len_of_chars(content.from(r.content_at), r.len),
                    "texts follow each other"
                );
                bytes.uvarint((n - r.len) as u64);
            }
        }
        Frozen {
            lv: runs.first().map_or(0, |r| r.lv),
            end: runs.last().map_or(0, |r| r.end()),
            // A block without inserts never reads this.
            content_at: content_at.unwrap_or(0),
            bytes: Box::from(&bytes.buf[..bytes.len]),
        }
    }

    /// The runs, decoded.
    pub(super) fn runs(&self) -> FrozenRuns<'_> {
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
pub(super) struct RunsIn<'a> {
    pub(super) log: &'a OpLog,
    pub(super) range: Range<Lv>,
    /// Frozen blocks not started yet.
    pub(super) frozen: std::slice::Iter<'a, Frozen>,
    /// The frozen block being read.
    pub(super) block: Option<FrozenRuns<'a>>,
    pub(super) tail: std::slice::Iter<'a, OpRun>,
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
pub(super) struct FrozenRuns<'a> {
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
