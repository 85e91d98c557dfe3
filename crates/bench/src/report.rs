//! The report: markdown tables for people, JSON for tools.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::run::{MergeResult, SeqResult, Timing};

/// Everything one `report` run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Whether `--quick` was given.
    pub quick: bool,
    /// Per library per sequential trace.
    pub sequential: Vec<SeqResult>,
    /// Per library per concurrent trace.
    pub concurrent: Vec<MergeResult>,
    /// ropey's replay of automerge-paper in this run: the denominator of the merge ratios.
    pub ropey_ap_replay: Option<Timing>,
    /// How each library is driven and saved: (library, note).
    pub notes: Vec<(String, String)>,
    /// Libraries skipped on a trace, with why: (library, trace, reason).
    pub skipped: Vec<(String, String, String)>,
}

fn ms(secs: f64) -> String {
    let ms = secs * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else if ms >= 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.3}")
    }
}

fn kb(bytes: i64) -> String {
    let kb = bytes as f64 / 1000.0;
    if kb.abs() >= 100.0 {
        format!("{kb:.0}")
    } else {
        format!("{kb:.1}")
    }
}

fn ratio(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

/// One weft target and whether this run meets it.
#[derive(Clone, Debug)]
pub struct TargetCheck {
    /// What the issue asks.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

impl Report {
    fn seq(&self, lib: &str, trace: &str) -> Option<&SeqResult> {
        self.sequential
            .iter()
            .find(|r| r.lib == lib && r.trace == trace)
    }

    fn traces_seq(&self) -> Vec<String> {
        let mut t: Vec<String> = Vec::new();
        for r in &self.sequential {
            if !t.contains(&r.trace) {
                t.push(r.trace.clone());
            }
        }
        t
    }

    /// The targets for weft, checked against this run.
    pub fn targets(&self) -> Vec<TargetCheck> {
        let mut out = Vec::new();
        for trace in self.traces_seq() {
            let short = trace.trim_start_matches("ascii_only/");
            let w = self.seq("weft", &trace);
            let x = w.and_then(|w| w.replay_vs_ropey);
            out.push(TargetCheck {
                target: format!("{short}: replay at most 0.5x ropey"),
                measured: opt(x, |x| format!("{}x", ratio(x))),
                met: x.map(|x| x <= 0.5),
            });
            let ws = w.and_then(|w| w.saved);
            let dts = self.seq("diamond-types 1.0", &trace).and_then(|r| r.saved);
            let ams = self.seq("automerge", &trace).and_then(|r| r.saved);
            let met = match (ws, dts, ams) {
                (Some(w), Some(d), Some(a)) => Some(w <= d && w < a),
                (Some(w), Some(d), None) => Some(w <= d),
                _ => None,
            };
            out.push(TargetCheck {
                target: format!("{short}: saved size <= diamond-types ENCODE_FULL and < automerge"),
                measured: format!(
                    "weft {} B, dt {} B, automerge {} B",
                    opt(ws, |v| v.to_string()),
                    opt(dts, |v| v.to_string()),
                    opt(ams, |v| v.to_string())
                ),
                met,
            });
            if short == "automerge-paper" {
                let l = w.and_then(|w| w.load.as_ref()).map(|t| t.median);
                out.push(TargetCheck {
                    target: "automerge-paper: load + read text under 1 ms".into(),
                    measured: opt(l, |l| format!("{} ms", ms(l))),
                    met: l.map(|l| l < 1e-3),
                });
                let b = w.and_then(|w| w.bytes_per_char());
                out.push(TargetCheck {
                    target: "automerge-paper: live heap after replay under 3 B/char".into(),
                    measured: opt(b, |b| format!("{b:.2} B/char")),
                    met: b.map(|b| b < 3.0),
                });
            }
        }
        let mut traces_c: Vec<&str> = Vec::new();
        for r in &self.concurrent {
            if !traces_c.contains(&r.trace.as_str()) {
                traces_c.push(&r.trace);
            }
        }
        for trace in traces_c {
            let w = self
                .concurrent
                .iter()
                .find(|r| r.lib == "weft" && r.trace == trace);
            let wm = w.and_then(|w| w.merge.as_ref()).map(|t| t.median);
            let limit = match trace {
                "friendsforever" => Some(0.15),
                "clownschool" => Some(0.19),
                "node_nodecc" => Some(0.63),
                _ => None,
            };
            if let Some(limit) = limit {
                let x = w.and_then(|w| w.merge_vs_ropey_ap);
                out.push(TargetCheck {
                    target: format!(
                        "{trace}: merge at most {limit}x ropey's automerge-paper replay"
                    ),
                    measured: opt(x, |x| format!("{}x", ratio(x))),
                    met: x.map(|x| x <= limit),
                });
            }
            let others: Vec<(&str, f64)> = self
                .concurrent
                .iter()
                .filter(|r| r.lib != "weft" && r.trace == trace)
                .filter_map(|r| r.merge.as_ref().map(|t| (r.lib, t.median)))
                .collect();
            let fastest = others.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
            out.push(TargetCheck {
                target: format!("{trace}: merge faster than every other library that loads it"),
                measured: format!(
                    "weft {} ms, fastest other {}",
                    opt(wm, ms),
                    opt(fastest, |(l, t)| format!("{l} {} ms", ms(t)))
                ),
                met: match (wm, fastest) {
                    (Some(w), Some((_, f))) => Some(w < f),
                    (Some(_), None) => Some(true),
                    _ => None,
                },
            });
        }
        out
    }

    /// The report as markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "### Sequential traces (`sequential/ascii_only/*`), replayed as local edits\n"
        );
        let _ = writeln!(
            s,
            "| trace (final chars) | library | replay ms | x ropey | saved KB | load+read ms | heap KB | B/char |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
        let mut last = String::new();
        for r in &self.sequential {
            let trace = if r.trace != last {
                last = r.trace.clone();
                format!(
                    "{} ({})",
                    r.trace.trim_start_matches("ascii_only/"),
                    r.final_chars
                )
            } else {
                String::new()
            };
            if let Some(e) = &r.error {
                if r.replay.is_none() {
                    let _ = writeln!(
                        s,
                        "| {trace} | {} | {} | | {} | | {} | {} |",
                        r.lib,
                        e,
                        opt(r.saved, |b| kb(b as i64)),
                        opt(r.heap_live, kb),
                        opt(r.bytes_per_char(), |b| format!("{b:.1}"))
                    );
                    continue;
                }
            }
            let load = match (&r.load, &r.error) {
                (Some(t), _) => ms(t.median),
                (None, Some(e)) => e.clone(),
                (None, None) => "-".into(),
            };
            let _ = writeln!(
                s,
                "| {trace} | {} | {} | {} | {} | {} | {} | {} |",
                r.lib,
                opt(r.replay.as_ref(), |t| ms(t.median)),
                opt(r.replay_vs_ropey, ratio),
                opt(r.saved, |b| kb(b as i64)),
                load,
                opt(r.heap_live, kb),
                opt(r.bytes_per_char(), |b| format!("{b:.1}"))
            );
        }
        if !self.concurrent.is_empty() {
            let _ = writeln!(
                s,
                "\n### Concurrent traces: merge from full history on a fresh replica\n"
            );
            let _ = writeln!(
                s,
                "ropey's automerge-paper replay in this run: {} ms (the denominator of \"x ropey AP\").\n",
                opt(self.ropey_ap_replay.as_ref(), |t| ms(t.median))
            );
            let _ = writeln!(
                s,
                "| trace | library | merge ms | x ropey AP | bytes KB | text | build s |"
            );
            let _ = writeln!(s, "|---|---|---:|---:|---:|---|---:|");
            let mut last = String::new();
            for r in &self.concurrent {
                let trace = if r.trace != last {
                    last = r.trace.clone();
                    r.trace.clone()
                } else {
                    String::new()
                };
                let text = match (r.text_matches, r.checked) {
                    (Some(true), _) => "= endContent".to_string(),
                    (Some(false), false) => "differs (unchecked)".into(),
                    (Some(false), true) => "DIFFERS".into(),
                    (None, _) => "-".into(),
                };
                let merge = match (&r.merge, &r.error) {
                    (Some(t), _) => ms(t.median),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "-".into(),
                };
                let _ = writeln!(
                    s,
                    "| {trace} | {} | {} | {} | {} | {} | {} |",
                    r.lib,
                    merge,
                    opt(r.merge_vs_ropey_ap, ratio),
                    opt(r.bytes, |b| kb(b as i64)),
                    text,
                    opt(r.build_secs, |b| format!("{b:.1}"))
                );
            }
        }
        let extras: Vec<String> = self
            .sequential
            .iter()
            .flat_map(|r| {
                r.extra_sizes.iter().map(move |(label, b)| {
                    format!(
                        "{} {}: {label} {} KB",
                        r.trace.trim_start_matches("ascii_only/"),
                        r.lib,
                        kb(*b as i64)
                    )
                })
            })
            .collect();
        if !extras.is_empty() {
            let _ = writeln!(s, "\nOther sizes: {}.", extras.join("; "));
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(s, "\nSkipped:");
            for (lib, trace, why) in &self.skipped {
                let _ = writeln!(s, "- {lib} on {trace}: {why}");
            }
        }
        let _ = writeln!(s, "\nHow each library is driven:");
        for (lib, note) in &self.notes {
            let _ = writeln!(s, "- {lib}: {note}");
        }
        let targets = self.targets();
        if !targets.is_empty() {
            let _ = writeln!(s, "\n### weft against the issue's targets\n");
            for t in targets {
                let mark = match t.met {
                    Some(true) => "met",
                    Some(false) => "MISSED",
                    None => "not measured",
                };
                let _ = writeln!(s, "- {mark}: {} (measured: {})", t.target, t.measured);
            }
        }
        s
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let timing = |t: &Option<Timing>| {
            t.as_ref().map(
                |t| json!({ "median_ms": t.median * 1e3, "min_ms": t.min * 1e3, "runs": t.runs }),
            )
        };
        let seq: Vec<Value> = self
            .sequential
            .iter()
            .map(|r| {
                json!({
                    "trace": r.trace,
                    "library": r.lib,
                    "final_chars": r.final_chars,
                    "error": r.error,
                    "replay": timing(&r.replay),
                    "replay_vs_ropey": r.replay_vs_ropey,
                    "saved_bytes": r.saved,
                    "extra_sizes": r.extra_sizes.iter()
                        .map(|(l, b)| json!({ "what": l, "bytes": b }))
                        .collect::<Vec<_>>(),
                    "load_and_read": timing(&r.load),
                    "heap_live_bytes": r.heap_live,
                    "heap_peak_bytes": r.heap_peak,
                    "heap_bytes_per_char": r.bytes_per_char(),
                })
            })
            .collect();
        let conc: Vec<Value> = self
            .concurrent
            .iter()
            .map(|r| {
                json!({
                    "trace": r.trace,
                    "library": r.lib,
                    "error": r.error,
                    "build_secs": r.build_secs,
                    "bytes": r.bytes,
                    "text_checked": r.checked,
                    "text_matches_end_content": r.text_matches,
                    "merge": timing(&r.merge),
                    "merge_vs_ropey_automerge_paper_replay": r.merge_vs_ropey_ap,
                })
            })
            .collect();
        let targets: Vec<Value> = self
            .targets()
            .into_iter()
            .map(|t| json!({ "target": t.target, "measured": t.measured, "met": t.met }))
            .collect();
        json!({
            "quick": self.quick,
            "ropey_automerge_paper_replay": timing(&self.ropey_ap_replay),
            "sequential": seq,
            "concurrent": conc,
            "notes": self.notes.iter().map(|(l, n)| json!({ "library": l, "note": n }))
                .collect::<Vec<_>>(),
            "skipped": self.skipped.iter()
                .map(|(l, t, w)| json!({ "library": l, "trace": t, "reason": w }))
                .collect::<Vec<_>>(),
            "targets": targets,
            "credit": "editing-traces by Joseph Gentle et al. (CC BY 4.0)",
        })
    }
}
