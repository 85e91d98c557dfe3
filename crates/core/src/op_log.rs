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

    /// Append an insert of `text` (non-empty) at `pos`, as operations starting at `lv`.
    pub(crate) fn push_insert(&mut self, container: u32, lv: Lv, pos: usize, text: &str) {
        let n = text.chars().count();
        debug_assert!(n > 0);
        debug_assert!(lv >= self.len());
        let (content_at, same_segment) = self.content.push(text);
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
            let frozen = Frozen::pack(&self.tail[..FREEZE_RUNS], &self.content);
            self.frozen.push(frozen);
            self.tail.drain(..FREEZE_RUNS);
        }
    }

    /// Append a run decoded from a file or update (already validated for shape).
    pub(crate) fn push_run(&mut self, run: &OpRun, text: &str) {
        let c = run.container;
        match run.kind {
            OpKind::Insert => self.push_insert(c, run.lv, run.pos, text),
            OpKind::Delete if run.fwd => self.push_delete(c, run.lv, run.pos, run.len),
            OpKind::Delete => {
                for i in 0..run.len {
                    self.push_delete(c, run.lv + i, run.pos - i, 1);
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
        let frozen = self.frozen[first_frozen..]
            .iter()
            .take_while(move |f| f.lv < range.end)
            .flat_map(|f| f.runs());
        let tail = self.tail[first_tail..].iter().cloned();
        frozen
            .chain(tail)
            .skip_while(move |r| r.end() <= range.start)
            .take_while(move |r| r.lv < range.end)
            .map(move |mut r| {
                if r.lv < range.start {
                    let skip = range.start - r.lv;
                    r = self.split_off_front(&r, skip);
                }
                if r.end() > range.end {
                    r.len = range.end - r.lv;
                }
                r
            })
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
    fn pack(runs: &[OpRun], content: &Content) -> Frozen {
        let mut bytes = Vec::with_capacity(runs.len() * 4);
        let mut container = None;
        let mut cursor = 0usize;
        let mut content_at = None;
        let mut lv = runs.first().map_or(0, |r| r.lv);
        for r in runs {
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
                let text = content.from(r.content_at);
                let n = byte_len_of_chars(text, r.len).unwrap_or(text.len());
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
#[derive(Clone, Debug, Default)]
struct Content {
    segments: Vec<String>,
    /// Offset of each segment's first byte.
    starts: Vec<usize>,
}

const SEGMENT_BYTES: usize = 1 << 16;

impl Content {
    /// Offset one past the last byte.
    fn len(&self) -> usize {
        match (self.starts.last(), self.segments.last()) {
            (Some(start), Some(s)) => start + s.len(),
            _ => 0,
        }
    }

    /// Append `text`; returns its offset and whether it went into the segment that held the
    /// previous text (so a run may extend across the two).
    fn push(&mut self, text: &str) -> (usize, bool) {
        let at = self.len();
        match self.segments.last_mut() {
            Some(last) if last.len() + text.len() <= SEGMENT_BYTES => {
                if last.capacity() - last.len() < text.len() {
                    // Grow by doubling, but never past the segment size.
                    let want = (last.capacity() * 2).clamp(last.len() + text.len(), SEGMENT_BYTES);
                    last.reserve_exact(want - last.len());
                }
                last.push_str(text);
                (at, true)
            }
            _ => {
                self.starts.push(at);
                self.segments.push(text.to_owned());
                (at, false)
            }
        }
    }

    /// The text from offset `at` to the end of its segment.
    fn from(&self, at: usize) -> &str {
        let i = self.starts.partition_point(|s| *s <= at).saturating_sub(1);
        match (self.segments.get(i), self.starts.get(i)) {
            (Some(s), Some(start)) => s.get(at - start..).unwrap_or_default(),
            _ => "",
        }
    }

    /// Remove everything from offset `at` on (`at` is the start of an insert's text or a char
    /// boundary inside one).
    fn truncate(&mut self, at: usize) {
        while self.starts.last().is_some_and(|s| *s >= at) && self.starts.len() > 1 {
            self.starts.pop();
            self.segments.pop();
        }
        if let (Some(start), Some(s)) = (self.starts.last(), self.segments.last_mut()) {
            s.truncate(at.saturating_sub(*start));
        }
    }

    fn heap_size(&self) -> usize {
        self.segments.iter().map(String::capacity).sum::<usize>()
            + self.segments.capacity() * std::mem::size_of::<String>()
            + self.starts.capacity() * std::mem::size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
