//! The op log of a loaded document, built the first time it is needed.
//!
//! A saved document with a long history carries its texts (the state section, FORMAT.md
//! "State"), so showing them needs no op log. [`Doc::load`](crate::Doc::load) still reads and
//! checks every operation, builds the causal graph (versions, frontiers and operation ids are
//! answered from it at once) and keeps what it read: one plain [`OpRun`] per span and the
//! inserted text. [`LazyLog`] turns those into the [`OpLog`] on first use: through `&mut` (a local
//! edit, an import) or through `&` (export, save, history reads, cursors), which fills a
//! [`OnceLock`] so that `Doc` stays `Send` and `Sync`.
//!
//! The build cannot fail and never guesses: the runs were checked when the document was loaded
//! (the same checks as an eager load), and [`OpLog::push_run`] accepts any run. Until then the
//! document holds the runs (40 bytes each) and the inserted text instead of the log.
//!
//! Native targets only: in wasm, where the package's size comes first (this costs about 3 KB
//! gzipped there), `Doc::load` builds the op log as it reads the spans, as imports do.

use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use crate::causal_graph::Lv;
use crate::containers::ValueLog;
use crate::doc::{SpanOps, LIST_PLACEHOLDER};
use crate::op_log::{OpKind, OpLog, OpRun};

/// `OpRun::content_at` of a recorded list insert: its text is one placeholder per element.
const NO_TEXT: usize = usize::MAX;

/// An [`OpLog`], or what it will be built from. Dereferences to the log, building it first.
#[derive(Clone, Debug, Default)]
pub(crate) struct LazyLog {
    /// The log; empty while `deferred` holds the operations.
    built: OpLog,
    deferred: Option<Box<Deferred>>,
}

/// Recorded runs and the text their inserts point into, and the log once a reader built it.
#[derive(Clone, Debug)]
struct Deferred {
    runs: Recorded,
    /// Filled by the first read through `&self`; moved into `built` by the first `&mut` use.
    log: OnceLock<OpLog>,
}

/// Runs recorded from a chunk, in local-version order ([`record_span_ops`]), and the chunk's
/// inserted text (`OpRun::content_at` is a byte offset into it).
#[derive(Clone, Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) runs: Vec<OpRun>,
    pub(crate) content: String,
}

impl Recorded {
    /// The op log of these runs.
    pub(crate) fn build(&self) -> OpLog {
        let mut log = OpLog::default();
        // An insert's text ends where the next text insert's starts (texts follow each other in
        // span order), the last one at the end of the content.
        let mut ends = self
            .runs
            .iter()
            .filter(|r| r.kind == OpKind::Insert && r.content_at != NO_TEXT)
            .map(|r| r.content_at)
            .skip(1);
        let mut placeholders = String::new();
        for run in &self.runs {
            let text = match run.kind {
                OpKind::Insert if run.content_at == NO_TEXT => {
                    placeholders.clear();
                    placeholders.extend(std::iter::repeat_n(LIST_PLACEHOLDER, run.len));
                    placeholders.as_str()
                }
                OpKind::Insert => {
                    let end = ends.next().unwrap_or(self.content.len());
                    // The loader checked that the content holds every insert's text.
                    self.content.get(run.content_at..end).unwrap_or_default()
                }
                OpKind::Delete => "",
            };
            log.push_run(run, text);
        }
        log
    }

    fn heap_size(&self) -> usize {
        self.runs.capacity() * std::mem::size_of::<OpRun>() + self.content.capacity()
    }
}

impl LazyLog {
    /// A log built from `runs` when it is first used.
    pub(crate) fn deferred(runs: Recorded) -> LazyLog {
        LazyLog {
            built: OpLog::default(),
            deferred: Some(Box::new(Deferred {
                runs,
                log: OnceLock::new(),
            })),
        }
    }

    /// A log that is already built.
    pub(crate) fn built(log: OpLog) -> LazyLog {
        LazyLog {
            built: log,
            deferred: None,
        }
    }

    /// Whether the log is still to be built (it has not been used since the document was
    /// loaded).
    #[cfg(test)]
    pub(crate) fn is_deferred(&self) -> bool {
        self.deferred
            .as_ref()
            .is_some_and(|d| d.log.get().is_none())
    }

    /// Heap bytes owned (the recorded runs and text while the log is not built).
    pub(crate) fn heap_size(&self) -> usize {
        self.built.heap_size()
            + self.deferred.as_ref().map_or(0, |d| {
                std::mem::size_of::<Deferred>()
                    + d.runs.heap_size()
                    + d.log.get().map_or(0, OpLog::heap_size)
            })
    }
}

// Every local edit reaches the op log through these, so the check that the log is built is
// inlined and the build itself kept out of line.
impl Deref for LazyLog {
    type Target = OpLog;

    #[inline]
    fn deref(&self) -> &OpLog {
        match &self.deferred {
            None => &self.built,
            Some(d) => d.build_shared(),
        }
    }
}

impl DerefMut for LazyLog {
    #[inline]
    fn deref_mut(&mut self) -> &mut OpLog {
        if self.deferred.is_some() {
            self.build_now();
        }
        &mut self.built
    }
}

impl LazyLog {
    /// Builds the log from the recorded runs (or takes the one `&self` built) and drops them.
    #[cold]
    #[inline(never)]
    fn build_now(&mut self) {
        if let Some(d) = self.deferred.take() {
            let Deferred { runs, log } = *d;
            self.built = log.into_inner().unwrap_or_else(|| runs.build());
        }
    }
}

impl Deferred {
    /// The log built from the recorded runs, built on first use through `&self`.
    fn build_shared(&self) -> &OpLog {
        self.log.get_or_init(|| self.runs.build())
    }
}

/// [`push_span_ops`](crate::doc::push_span_ops), recording the sequence run in `runs` instead of
/// pushing it into an op log; `text_at` is the byte offset of a text insert's text in the
/// chunk's content. Values and map/counter operations go into `values` at once. Inlined into
/// the loader's span visitor, which calls it for every span.
#[inline]
pub(crate) fn record_span_ops(
    runs: &mut Vec<OpRun>,
    values: &mut ValueLog,
    container: u32,
    lv: Lv,
    s: SpanOps<'_>,
    text_at: usize,
) {
    if !s.push_values(values, container, lv) {
        return;
    }
    runs.push(OpRun {
        container,
        lv,
        len: s.len,
        kind: s.kind,
        pos: s.pos,
        fwd: s.fwd,
        content_at: if s.is_list_insert() { NO_TEXT } else { text_at },
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::{Scalar, Stored};

    fn ops(kind: OpKind, len: usize, pos: usize, fwd: bool, text: &str) -> SpanOps<'_> {
        SpanOps {
            len,
            kind,
            pos,
            fwd,
            text,
            values: &[],
            prop: None,
        }
    }

    /// A text's and a list's spans: container, operations, byte offset of the text.
    fn spans<'a>(content: &'a str, elems: &'a [Stored]) -> Vec<(u32, SpanOps<'a>, usize)> {
        vec![
            (0, ops(OpKind::Insert, 5, 0, true, &content[..6]), 0),
            (0, ops(OpKind::Delete, 2, 4, false, ""), 6),
            (
                1,
                SpanOps {
                    values: elems,
                    ..ops(OpKind::Insert, 2, 0, true, "")
                },
                6,
            ),
            (0, ops(OpKind::Insert, 6, 3, true, &content[6..]), 6),
            (1, ops(OpKind::Delete, 1, 0, true, ""), content.len()),
            (0, ops(OpKind::Delete, 3, 0, true, ""), content.len()),
        ]
    }

    /// The runs of a text and a list, recorded, build the log that pushing them builds.
    #[test]
    fn recorded_runs_build_the_log_pushing_them_builds() {
        let content = "héllo wörld";
        let elems = [Stored::Scalar(Scalar::Int(1)), Stored::Scalar(Scalar::Null)];
        let mut pushed = OpLog::default();
        let mut pushed_values = ValueLog::default();
        let mut lv = 0;
        for (c, s, _) in spans(content, &elems) {
            let len = s.len;
            crate::doc::push_span_ops(&mut pushed, &mut pushed_values, c, lv, s);
            lv += len;
        }
        let mut rec = Recorded {
            runs: Vec::new(),
            content: content.to_owned(),
        };
        let mut rec_values = ValueLog::default();
        let mut lv = 0;
        for (c, s, at) in spans(content, &elems) {
            let len = s.len;
            record_span_ops(&mut rec.runs, &mut rec_values, c, lv, s, at);
            lv += len;
        }
        let built = rec.build();
        let all = |l: &OpLog| -> Vec<(OpRun, String)> {
            l.runs_in(0..l.len())
                .map(|r| {
                    let t = if r.kind == OpKind::Insert {
                        l.text_of(&r).to_owned()
                    } else {
                        String::new()
                    };
                    (OpRun { content_at: 0, ..r }, t)
                })
                .collect()
        };
        assert_eq!(all(&built), all(&pushed));
        assert_eq!(rec_values.elems, pushed_values.elems);

        // Read through `&` first, then through `&mut`: the same log, built once.
        let mut lazy = LazyLog::deferred(rec.clone());
        assert!(lazy.is_deferred());
        assert_eq!(all(&lazy), all(&pushed));
        assert!(!lazy.is_deferred());
        let lazy_mut: &mut OpLog = &mut lazy;
        assert_eq!(all(lazy_mut), all(&pushed));
        assert!(lazy.deferred.is_none());
        // Through `&mut` first.
        let mut lazy = LazyLog::deferred(rec);
        lazy.truncate(5);
        assert_eq!(lazy.len(), 5);
    }
}
