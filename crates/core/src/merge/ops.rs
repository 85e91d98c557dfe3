//! The operations of one text over a span of local versions, decoded once per merge region.
//!
//! The op log keeps old runs packed and decodes them on the fly, which is cheap for one pass but
//! not for the many small lookups a merge makes: each run is replayed once, and retreated and
//! advanced again every time the walk switches branches. Decoding the region's runs into a plain
//! vector first makes every later lookup a binary search.

use std::ops::Range;

use crate::causal_graph::Lv;
use crate::op_log::{OpKind, OpLog, OpRun};

/// The runs of one container within a span of local versions, in local-version order.
#[derive(Default)]
pub(super) struct RegionOps {
    runs: Vec<OpRun>,
}

impl RegionOps {
    /// The runs of `cursor`'s text in `known` (decoded from the log) and in `new` (taken from
    /// the cursor, which is decoding them anyway); `known` ends where `new` starts.
    pub(super) fn new<I: Iterator<Item = OpRun>>(
        log: &OpLog,
        cursor: &mut Cursor<'_, I>,
        known: Range<Lv>,
        new: Range<Lv>,
    ) -> Self {
        let mut ops = RegionOps { runs: Vec::new() };
        ops.extend(log, cursor, known, new);
        ops
    }

    /// Append the runs of `known` and `new` as [`RegionOps::new`] reads them; `known` starts at
    /// or after the end of every run held so far.
    pub(super) fn extend<I: Iterator<Item = OpRun>>(
        &mut self,
        log: &OpLog,
        cursor: &mut Cursor<'_, I>,
        known: Range<Lv>,
        new: Range<Lv>,
    ) {
        let c = cursor.container;
        self.runs
            .extend(log.runs_in(known).filter(|r| r.container == c));
        while let Some(run) = cursor.next_in(new.start, new.end) {
            self.runs.push(run);
        }
    }

    /// Indexes of the runs overlapping `range`.
    fn indexes(&self, range: &Range<Lv>) -> Range<usize> {
        let first = self.runs.partition_point(|r| r.end() <= range.start);
        let end = first + self.runs[first..].partition_point(|r| r.lv < range.end);
        first..end
    }

    /// Index of the first run ending after `lv`.
    pub(super) fn first_index(&self, lv: Lv) -> usize {
        self.runs.partition_point(|r| r.end() <= lv)
    }

    /// Run `i`, trimmed to `range`, if it overlaps `range` (which starts at or before it, say by
    /// [`RegionOps::first_index`]). Positions and text offsets of a trimmed run are adjusted, so
    /// it can be applied.
    pub(super) fn run_at(&self, log: &OpLog, i: usize, range: Range<Lv>) -> Option<OpRun> {
        let r = self.runs.get(i)?;
        (r.lv < range.end).then(|| trim(log, r, range))
    }

    /// The ids and kinds of the runs overlapping `range`, trimmed to it, in descending order.
    /// Enough to retreat them (positions are not needed).
    pub(super) fn spans_rev(
        &self,
        range: Range<Lv>,
    ) -> impl Iterator<Item = (Range<Lv>, OpKind)> + '_ {
        let idx = self.indexes(&range);
        self.runs[idx]
            .iter()
            .rev()
            .map(move |r| (r.lv.max(range.start)..r.end().min(range.end), r.kind))
    }

    /// Like [`RegionOps::spans_rev`], ascending.
    pub(super) fn spans(&self, range: Range<Lv>) -> impl Iterator<Item = (Range<Lv>, OpKind)> + '_ {
        let idx = self.indexes(&range);
        self.runs[idx]
            .iter()
            .map(move |r| (r.lv.max(range.start)..r.end().min(range.end), r.kind))
    }
}

/// `run` restricted to `range` (which overlaps it).
pub(super) fn trim(log: &OpLog, run: &OpRun, range: Range<Lv>) -> OpRun {
    let mut r = run.clone();
    if r.lv < range.start {
        let skip = range.start - r.lv;
        r.pos = run.pos_at(skip);
        if run.kind == OpKind::Insert {
            // The text of the skipped chars tells how many bytes to skip.
            let mut head = run.clone();
            head.len = skip;
            r.content_at += log.text_of(&head).len();
        }
        r.lv += skip;
        r.len -= skip;
    }
    if r.end() > range.end {
        r.len = range.end - r.lv;
    }
    r
}

/// A forward pass over the runs of one container, handing them out up to a given local version
/// at a time (splitting a run that crosses it). The fast path of a merge reads the log once this
/// way instead of looking runs up one at a time.
pub(super) struct Cursor<'a, I: Iterator<Item = OpRun>> {
    log: &'a OpLog,
    /// The text whose runs `runs` yields.
    container: u32,
    runs: I,
    /// A run (or the rest of one) taken from `runs` but not handed out yet.
    held: Option<OpRun>,
}

impl<'a, I: Iterator<Item = OpRun>> Cursor<'a, I> {
    /// A cursor over `runs` (ascending runs of `log` on text `container`).
    pub(super) fn new(log: &'a OpLog, container: u32, runs: I) -> Self {
        Cursor {
            log,
            container,
            runs,
            held: None,
        }
    }

    /// The next run (or part of one) in `from..end`, skipping anything before `from`.
    pub(super) fn next_in(&mut self, from: Lv, end: Lv) -> Option<OpRun> {
        loop {
            let run = match self.held.take() {
                Some(r) => r,
                None => self.runs.next()?,
            };
            if run.end() <= from {
                continue;
            }
            if run.lv >= end {
                self.held = Some(run);
                return None;
            }
            let start = run.lv.max(from);
            if run.end() > end {
                self.held = Some(trim(self.log, &run, end..run.end()));
            }
            return Some(trim(self.log, &run, start..end.min(run.end())));
        }
    }
}
