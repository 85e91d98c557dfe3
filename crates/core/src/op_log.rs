//! The run-length encoded log of text operations.
//!
//! Every inserted or deleted character is one operation with its own local version, but the log
//! stores *runs*: typing "hello" is one insert run of five operations; pressing backspace ten
//! times is one delete run. The text of every insert (including text that was later deleted)
//! lives in one `String`, so the log is the document's full history.
//!
//! Positions are in Unicode scalar values (chars) in the document as it was at the operation's
//! parents. Operation `i` of a run (0-based) acts at:
//! - insert run: `pos + i` (consecutive typing);
//! - forward delete run: `pos` (the Delete key, or deleting a selection);
//! - backward delete run: `pos - i` (backspace).

use std::ops::Range;

use crate::causal_graph::Lv;
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
#[derive(Clone, Debug, Default)]
pub(crate) struct OpLog {
    runs: Vec<OpRun>,
    content: String,
}

impl OpLog {
    /// Number of operations (equals the causal graph's length for a text-only document).
    pub(crate) fn len(&self) -> Lv {
        self.runs.last().map_or(0, |r| r.end())
    }

    /// Append an insert of `text` (non-empty) at `pos`, as operations starting at `lv`.
    pub(crate) fn push_insert(&mut self, container: u32, lv: Lv, pos: usize, text: &str) {
        let n = text.chars().count();
        debug_assert!(n > 0);
        debug_assert_eq!(lv, self.len());
        let content_at = self.content.len();
        self.content.push_str(text);
        if let Some(last) = self.runs.last_mut() {
            if last.kind == OpKind::Insert
                && last.container == container
                && last.end() == lv
                && last.pos + last.len == pos
            {
                last.len += n;
                return;
            }
        }
        self.runs.push(OpRun {
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
        debug_assert_eq!(lv, self.len());
        if let Some(last) = self.runs.last_mut() {
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
        self.runs.push(OpRun {
            container,
            lv,
            len,
            kind: OpKind::Delete,
            pos,
            fwd: true,
            content_at: 0,
        });
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
        while let Some(last) = self.runs.last_mut() {
            if last.lv >= lv {
                if last.kind == OpKind::Insert {
                    self.content.truncate(last.content_at);
                }
                self.runs.pop();
            } else {
                if last.end() > lv {
                    let keep = lv - last.lv;
                    if last.kind == OpKind::Insert {
                        let text = &self.content[last.content_at..];
                        let cut = byte_len_of_chars(text, keep).unwrap_or(text.len());
                        self.content.truncate(last.content_at + cut);
                    }
                    last.len = keep;
                }
                break;
            }
        }
    }

    fn run_index(&self, lv: Lv) -> usize {
        self.runs.partition_point(|r| r.end() <= lv)
    }

    /// The runs covering `range`, trimmed to it.
    pub(crate) fn runs_in(&self, range: Range<Lv>) -> impl Iterator<Item = OpRun> + '_ {
        let first = if range.start < range.end {
            self.run_index(range.start)
        } else {
            self.runs.len()
        };
        self.runs[first..]
            .iter()
            .take_while(move |r| r.lv < range.end)
            .map(move |r| {
                let mut r = r.clone();
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
            let text = &self.content[run.content_at..];
            r.content_at += byte_len_of_chars(text, skip).unwrap_or(text.len());
        }
        r
    }

    /// The text inserted by an insert run (as returned by [`OpLog::runs_in`]).
    pub(crate) fn text_of(&self, run: &OpRun) -> &str {
        let text = &self.content[run.content_at..];
        let end = byte_len_of_chars(text, run.len).unwrap_or(text.len());
        &text[..end]
    }

    /// Heap bytes owned.
    pub(crate) fn heap_size(&self) -> usize {
        self.runs.capacity() * std::mem::size_of::<OpRun>() + self.content.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_backspace_are_single_runs() {
        let mut log = OpLog::default();
        log.push_insert(0, 0, 0, "he");
        log.push_insert(0, 2, 2, "llo");
        log.push_delete(0, 5, 4, 1);
        log.push_delete(0, 6, 3, 1);
        log.push_delete(0, 7, 2, 1);
        assert_eq!(log.runs.len(), 2);
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
    fn truncate_cuts_runs_and_text() {
        let mut log = OpLog::default();
        log.push_insert(0, 0, 0, "añb");
        log.push_delete(0, 3, 0, 2);
        log.truncate(2);
        assert_eq!(log.len(), 2);
        assert_eq!(log.content, "añ");
    }
}
