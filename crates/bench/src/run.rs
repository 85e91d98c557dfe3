//! Running one library on one trace: timing (median of several runs), correctness checks, sizes
//! and heap bytes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use crate::alloc;
use crate::libs::{MergeLib, TextLib};

/// How many times to repeat each timed measurement.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// At least this many timed runs...
    pub min_runs: usize,
    /// ...and at most this many...
    pub max_runs: usize,
    /// ...stopping once the timed runs add up to this (after `min_runs`).
    pub budget: Duration,
}

impl Config {
    /// The full report: 3 to 101 runs, about 2 s per measurement. Fast measurements (a replay
    /// of a few milliseconds) get many runs, so a burst of noise on the shared machine moves
    /// their median little.
    pub const FULL: Config = Config {
        min_runs: 3,
        max_runs: 101,
        budget: Duration::from_secs(2),
    };
    /// `--quick`: 1 to 5 runs, about 0.3 s per measurement.
    pub const QUICK: Config = Config {
        min_runs: 1,
        max_runs: 5,
        budget: Duration::from_millis(300),
    };
}

/// A timed measurement.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Median seconds over `runs`.
    pub median: f64,
    /// Fastest run, seconds.
    pub min: f64,
    /// Number of timed runs.
    pub runs: usize,
}

/// Times `f` (its result is dropped outside the timed region). One untimed warm-up is the
/// caller's job.
pub fn time_runs<T>(cfg: Config, mut f: impl FnMut() -> T) -> Timing {
    let mut times = Vec::new();
    let mut total = Duration::ZERO;
    while times.len() < cfg.max_runs && (times.len() < cfg.min_runs || total < cfg.budget) {
        let t0 = Instant::now();
        let out = f();
        let dt = t0.elapsed();
        drop(std::hint::black_box(out));
        total += dt;
        times.push(dt.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    };
    Timing {
        median,
        min: times[0],
        runs: n,
    }
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic".into());
        format!("panicked: {msg}")
    })
}

/// Results of one library on one sequential trace.
#[derive(Clone, Debug, Default)]
pub struct SeqResult {
    /// Library name.
    pub lib: &'static str,
    /// Trace name.
    pub trace: String,
    /// Chars in the trace's final text.
    pub final_chars: usize,
    /// Why measurements are missing (text mismatch, panic, load failure).
    pub error: Option<String>,
    /// Replay as local edits.
    pub replay: Option<Timing>,
    /// Replay median / ropey's replay median on the same trace in this run.
    pub replay_vs_ropey: Option<f64>,
    /// Saved bytes with full history.
    pub saved: Option<usize>,
    /// Other sizes worth showing: (label, bytes).
    pub extra_sizes: Vec<(&'static str, usize)>,
    /// Load the saved bytes and read the text.
    pub load: Option<Timing>,
    /// Heap bytes live after replay (allocated minus freed while building the document).
    pub heap_live: Option<i64>,
    /// Highest live heap bytes during replay.
    pub heap_peak: Option<i64>,
}

impl SeqResult {
    /// Live heap bytes per char of final text.
    pub fn bytes_per_char(&self) -> Option<f64> {
        self.heap_live
            .map(|b| b as f64 / self.final_chars.max(1) as f64)
    }
}

/// Measures `L` on a sequential trace: a counted, checked first replay (its document gives the
/// heap bytes and the saved bytes), then timed replays, then a checked load and timed loads.
pub fn run_sequential<L: TextLib>(cfg: Config, trace: &SequentialTrace) -> SeqResult {
    let mut r = SeqResult {
        lib: L::NAME,
        trace: trace.name.clone(),
        final_chars: trace.end_content.chars().count(),
        ..SeqResult::default()
    };
    // Counted and checked replay; doubles as the warm-up.
    let first = guarded(|| alloc::measure(|| L::replay(trace)));
    let (doc, heap) = match first {
        Ok(x) => x,
        Err(e) => {
            r.error = Some(format!("replay {e}"));
            return r;
        }
    };
    if L::text(&doc) != trace.end_content {
        r.error = Some("replay: text differs from endContent (not timed)".into());
        return r;
    }
    r.heap_live = Some(heap.live);
    r.heap_peak = Some(heap.peak);
    let saved = match guarded(|| L::save(&doc)) {
        Ok(s) => s,
        Err(e) => {
            r.error = Some(format!("save {e}"));
            return r;
        }
    };
    r.saved = Some(saved.len());
    r.extra_sizes = L::extra_sizes(&doc);
    drop(doc);

    match guarded(|| time_runs(cfg, || L::replay(trace))) {
        Ok(t) => r.replay = Some(t),
        Err(e) => {
            r.error = Some(format!("replay {e}"));
            return r;
        }
    }

    match guarded(|| L::load_text(&saved)) {
        Ok(Ok(text)) if text == trace.end_content => {}
        Ok(Ok(_)) => {
            r.error = Some("load: text differs from endContent (not timed)".into());
            return r;
        }
        Ok(Err(e)) => {
            r.error = Some(format!("load failed: {e}"));
            return r;
        }
        Err(e) => {
            r.error = Some(format!("load {e}"));
            return r;
        }
    }
    r.load = Some(time_runs(cfg, || L::load_text(&saved)));
    r
}

/// Results of one library merging one concurrent trace.
#[derive(Clone, Debug, Default)]
pub struct MergeResult {
    /// Library name.
    pub lib: &'static str,
    /// Trace name.
    pub trace: String,
    /// Why measurements are missing (build failure, panic, text mismatch).
    pub error: Option<String>,
    /// Seconds to build the history and its bytes (once, not part of the comparison).
    pub build_secs: Option<f64>,
    /// Bytes the merge starts from.
    pub bytes: Option<usize>,
    /// Whether the merged text was compared with endContent (false for git-makefile-x2).
    pub checked: bool,
    /// Whether the merged text equals endContent.
    pub text_matches: Option<bool>,
    /// Merge from full history on a fresh replica and read the text.
    pub merge: Option<Timing>,
    /// Merge median / ropey's automerge-paper replay median in this run.
    pub merge_vs_ropey_ap: Option<f64>,
}

/// The concurrent trace whose `endContent` other CRDTs are not expected to reproduce (see the
/// traces README): used for throughput and size only.
pub const UNCHECKED_CONCURRENT: &str = "git-makefile-x2";

/// Measures `M` merging a concurrent trace: build once, merge once and check, then timed merges.
pub fn run_merge<M: MergeLib>(cfg: Config, trace: &ConcurrentTrace) -> MergeResult {
    let checked = trace.name != UNCHECKED_CONCURRENT;
    let mut r = MergeResult {
        lib: M::NAME,
        trace: trace.name.clone(),
        checked,
        ..MergeResult::default()
    };
    let t0 = Instant::now();
    let bytes = match guarded(|| M::build(trace)) {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            r.error = Some(format!("build failed: {e}"));
            return r;
        }
        Err(e) => {
            r.error = Some(format!("build {e}"));
            return r;
        }
    };
    r.build_secs = Some(t0.elapsed().as_secs_f64());
    r.bytes = Some(bytes.len());
    match guarded(|| M::merge_text(&bytes)) {
        Ok(Ok(text)) => {
            let matches = text == trace.end_content;
            r.text_matches = Some(matches);
            if checked && !matches {
                r.error = Some("merged text differs from endContent (not timed)".into());
                return r;
            }
        }
        Ok(Err(e)) => {
            r.error = Some(format!("merge failed: {e}"));
            return r;
        }
        Err(e) => {
            r.error = Some(format!("merge {e}"));
            return r;
        }
    }
    r.merge = Some(time_runs(cfg, || M::merge_text(&bytes)));
    r
}
