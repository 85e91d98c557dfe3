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

mod content;
mod frozen;

use std::ops::Range;

use crate::causal_graph::Lv;
use crate::unit::byte_len_of_chars;
use content::Content;
use frozen::{Frozen, RunsIn};

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

    /// Append an insert of `text` (non-empty, `chars` chars long: the caller has counted them) at
    /// `pos`, as operations starting at `lv`: a local edit (see [`OpLog::push_run`] for decoded
    /// ones).
    pub(crate) fn push_insert(
        &mut self,
        container: u32,
        lv: Lv,
        pos: usize,
        text: &str,
        chars: usize,
    ) {
        self.insert_chars(container, lv, pos, text, chars, true);
    }

    /// Append an insert of `text`, which has `n` chars; `pack` to compress text segments as they
    /// fill up (see [`Content`]).
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

    #[inline]
    fn push(&mut self, run: OpRun) {
        if self.tail.len() + 1 >= 2 * FREEZE_RUNS {
            self.freeze_oldest(&run);
        }
        self.tail.push(run);
    }

    /// Packs the oldest `FREEZE_RUNS` runs of the tail into a frozen block; `next` is the run
    /// about to be pushed after the tail (its text, if any, is in the content already).
    #[cold]
    #[inline(never)]
    fn freeze_oldest(&mut self, next: &OpRun) {
        // Texts follow each other in version order, so an insert's text ends where the next
        // one's starts: the blocks are packed without reading (maybe unpacking) any text.
        let next_text = self.tail[FREEZE_RUNS..]
            .iter()
            .chain(std::iter::once(next))
            .find(|r| r.kind == OpKind::Insert)
            .map_or_else(|| self.content.len(), |r| r.content_at);
        let frozen = Frozen::pack(&self.tail[..FREEZE_RUNS], next_text, &self.content);
        self.frozen.push(frozen);
        self.tail.drain(..FREEZE_RUNS);
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

#[cfg(test)]
mod tests {
    use super::content::Segment;
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
                    log.push_insert(0, lv + k, k, ch.encode_utf8(&mut [0; 4]), 1);
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
        log.push_insert(0, log.len(), 0, "x", 1);
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
                bulk.push_insert(0, 0, 0, &"x".repeat(100), 100);
                single.push_insert(0, 0, 0, &"x".repeat(100), 100);
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
            log.push_insert(0, cut, 0, "more", 4);
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
        log.push_insert(0, 0, 0, "he", 2);
        log.push_insert(0, 2, 2, "llo", 3);
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
        log.push_insert(0, 0, 0, "añb😀c", 5);
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
                log.push_insert(1, lv, 0, "ab", 2);
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
        log.push_insert(0, 0, 0, "añb", 3);
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
                        log.push_insert(*c, lv, *pos, text, text.chars().count());
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
            log.push_insert(0, cut, 0, "z", 1);
            model.push((0, Some('z'), 0));
            prop_assert_eq!(expand(&log, 0..model.len()), model);
        }
    }

    #[test]
    fn long_histories_are_mostly_frozen() {
        let mut log = OpLog::default();
        for i in 0..10_000 {
            // Type a word, jump elsewhere: one run per word.
            log.push_insert(0, log.len(), (i * 37) % 1000, "word ", 5);
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
