//! `weft-bench report [--quick] [--json PATH] [--libs LIB,...] [TRACE...]`: compares weft-core
//! with ropey, diamond-types 1.0, Loro, Yrs and Automerge on the editing traces and prints a
//! markdown table (JSON goes to `target/bench-report.json` unless `--json` says otherwise).
//! See this crate's README.md for what each column means.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use weft_bench::alloc::{self, CountingAlloc};
use weft_bench::libs::automerge::Am;
use weft_bench::libs::dt::Dt;
use weft_bench::libs::loro::Loro;
use weft_bench::libs::ropey::Ropey;
use weft_bench::libs::weft::Weft;
use weft_bench::libs::yrs::Yrs;
use weft_bench::libs::{MergeLib, TextLib};
use weft_bench::report::Report;
use weft_bench::run::{run_merge, run_sequential, time_runs, Config};
use weft_testkit::traces::{self, ConcurrentTrace, SequentialTrace};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const SEQ_LIBS: &[&str] = &["ropey", "weft", "dt", "loro", "yrs", "automerge"];

/// Library/trace pairs not run under `--quick`, and why (their history takes long to build; the
/// timed merge itself is short). The full report runs them.
const SKIP_MERGE_QUICK: &[(&str, &str, &str)] = &[
    (
        "automerge",
        "friendsforever",
        "--quick: building its history takes about 70 s (run without --quick)",
    ),
    (
        "automerge",
        "clownschool",
        "--quick: building its history takes about 70 s (run without --quick)",
    ),
];

/// Concurrent traces run only when named: building weft's history of git-makefile-x2 (375
/// agents, per-agent replicas) takes over ten minutes on this kind of machine.
const OPT_IN_TRACES: &[&str] = &["git-makefile-x2"];

const USAGE: &str = "usage: weft-bench report [--quick] [--json PATH] [--libs LIB,...] [TRACE...]
  TRACE     sequential (e.g. automerge-paper, replayed from sequential/ascii_only/) or concurrent
            (e.g. friendsforever) trace names; default: all but git-makefile-x2 (slow to build)
  --quick   fewer timed runs (1-5 instead of 3-15); a few minutes in all
  --json    where to write the JSON report (default: <workspace>/target/bench-report.json)
  --libs    comma-separated subset of: ropey, weft, dt, loro, yrs, automerge
            (ropey always runs on sequential traces: it is the denominator)";

struct Args {
    quick: bool,
    json: PathBuf,
    libs: Vec<String>,
    traces: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    match it.next().as_deref() {
        Some("report") => {}
        Some("-h" | "--help") | None => return Err(USAGE.into()),
        Some(other) => return Err(format!("unknown command {other:?}\n{USAGE}")),
    }
    let mut args = Args {
        quick: false,
        json: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-report.json"),
        libs: SEQ_LIBS.iter().map(|s| s.to_string()).collect(),
        traces: Vec::new(),
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--json" => args.json = it.next().ok_or("--json needs a path")?.into(),
            "--libs" => {
                let list = it.next().ok_or("--libs needs a list")?;
                args.libs = list.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = args.libs.iter().find(|l| !SEQ_LIBS.contains(&l.as_str())) {
                    return Err(format!("unknown library {bad:?}\n{USAGE}"));
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with('-') => return Err(format!("unknown option {s:?}\n{USAGE}")),
            _ => args.traces.push(a),
        }
    }
    Ok(args)
}

fn load_seq(name: &str) -> Result<SequentialTrace, String> {
    let name = name.trim_start_matches("ascii_only/");
    // The ASCII-only variant, so that chars, UTF-8 bytes and UTF-16 units agree for every library.
    traces::load_sequential(&format!("ascii_only/{name}"))
        .or_else(|_| traces::load_sequential(name))
        .map_err(|e| e.to_string())
}

fn seq_one<L: TextLib>(cfg: Config, trace: &SequentialTrace, report: &mut Report) {
    let t0 = Instant::now();
    eprint!("  {:<18} {:<28}", L::NAME, trace.name);
    let r = run_sequential::<L>(cfg, trace);
    eprintln!(
        " {:>6.1} s{}",
        t0.elapsed().as_secs_f64(),
        r.error
            .as_ref()
            .map(|e| format!("  ({e})"))
            .unwrap_or_default()
    );
    report.sequential.push(r);
}

fn merge_one<M: MergeLib>(cfg: Config, quick: bool, trace: &ConcurrentTrace, report: &mut Report) {
    let skip = SKIP_MERGE_QUICK
        .iter()
        .find(|(l, t, _)| quick && *l == M::NAME && *t == trace.name);
    if let Some((_, _, why)) = skip {
        report
            .skipped
            .push((M::NAME.into(), trace.name.clone(), why.to_string()));
        return;
    }
    let t0 = Instant::now();
    eprint!("  {:<18} {:<28}", M::NAME, trace.name);
    let r = run_merge::<M>(cfg, trace);
    eprintln!(
        " {:>6.1} s{}",
        t0.elapsed().as_secs_f64(),
        r.error
            .as_ref()
            .map(|e| format!("  ({e})"))
            .unwrap_or_default()
    );
    report.concurrent.push(r);
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    if traces::traces_dir_or_skip("weft-bench report").is_none() {
        return ExitCode::SUCCESS;
    }
    if !alloc::is_counting() {
        eprintln!("warning: the counting allocator is not active; heap columns will be 0");
    }
    let cfg = if args.quick {
        Config::QUICK
    } else {
        Config::FULL
    };
    let seq_all = traces::sequential_names();
    let conc_all = traces::concurrent_names();
    let (mut seq_names, mut conc_names) = (Vec::new(), Vec::new());
    if args.traces.is_empty() {
        seq_names = seq_all.clone();
        conc_names = conc_all
            .iter()
            .filter(|n| !OPT_IN_TRACES.contains(&n.as_str()))
            .cloned()
            .collect();
    }
    for t in &args.traces {
        let bare = t.trim_start_matches("ascii_only/").to_string();
        if seq_all.contains(&bare) {
            seq_names.push(bare);
        } else if conc_all.contains(&bare) {
            conc_names.push(bare);
        } else {
            eprintln!("unknown trace {t:?}; sequential: {seq_all:?}; concurrent: {conc_all:?}");
            return ExitCode::from(2);
        }
    }
    let on = |l: &str| args.libs.iter().any(|x| x == l);

    let mut report = Report {
        quick: args.quick,
        ..Report::default()
    };
    let started = Instant::now();
    for name in &seq_names {
        let trace = match load_seq(name) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cannot load {name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!("{} ({} txns)", trace.name, trace.txns.len());
        seq_one::<Ropey>(cfg, &trace, &mut report);
        if on("weft") {
            seq_one::<Weft>(cfg, &trace, &mut report);
        }
        if on("dt") {
            seq_one::<Dt>(cfg, &trace, &mut report);
        }
        if on("loro") {
            seq_one::<Loro>(cfg, &trace, &mut report);
        }
        if on("yrs") {
            seq_one::<Yrs>(cfg, &trace, &mut report);
        }
        if on("automerge") {
            seq_one::<Am>(cfg, &trace, &mut report);
        }
        if name == "automerge-paper" {
            report.ropey_ap_replay = report
                .sequential
                .iter()
                .find(|r| r.lib == Ropey::NAME && r.trace == trace.name)
                .and_then(|r| r.replay.clone());
        }
    }
    // Ratios to ropey on the same trace, same run.
    let ropey: Vec<(String, f64)> = report
        .sequential
        .iter()
        .filter(|r| r.lib == Ropey::NAME)
        .filter_map(|r| r.replay.as_ref().map(|t| (r.trace.clone(), t.median)))
        .collect();
    for r in &mut report.sequential {
        if let (Some(t), Some((_, base))) = (&r.replay, ropey.iter().find(|(tr, _)| *tr == r.trace))
        {
            r.replay_vs_ropey = Some(t.median / base);
        }
    }

    if !conc_names.is_empty() {
        if report.ropey_ap_replay.is_none() {
            match load_seq("automerge-paper") {
                Ok(ap) => {
                    let _ = Ropey::replay(&ap); // warm-up
                    report.ropey_ap_replay = Some(time_runs(cfg, || Ropey::replay(&ap)));
                }
                Err(e) => eprintln!("cannot load automerge-paper for the merge ratios: {e}"),
            }
        }
        for name in &conc_names {
            let trace = match traces::load_concurrent(name) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("cannot load {name}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            eprintln!(
                "{} ({} txns, {} agents)",
                trace.name,
                trace.txns.len(),
                trace.num_agents
            );
            if on("weft") {
                merge_one::<Weft>(cfg, args.quick, &trace, &mut report);
            }
            if on("dt") {
                merge_one::<Dt>(cfg, args.quick, &trace, &mut report);
            }
            if on("loro") {
                merge_one::<Loro>(cfg, args.quick, &trace, &mut report);
            }
            if on("yrs") {
                merge_one::<Yrs>(cfg, args.quick, &trace, &mut report);
            }
            if on("automerge") {
                merge_one::<Am>(cfg, args.quick, &trace, &mut report);
            }
        }
        if let Some(base) = report.ropey_ap_replay.as_ref().map(|t| t.median) {
            for r in &mut report.concurrent {
                r.merge_vs_ropey_ap = r.merge.as_ref().map(|t| t.median / base);
            }
        }
    }

    report.notes = notes(&args.libs);
    let md = report.markdown();
    println!("{md}");
    eprintln!("total {:.0} s", started.elapsed().as_secs_f64());
    let json = serde_json::to_string_pretty(&report.json()).expect("json");
    if let Some(dir) = args.json.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&args.json, json) {
        Ok(()) => eprintln!("JSON written to {}", args.json.display()),
        Err(e) => {
            eprintln!("cannot write {}: {e}", args.json.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn notes(libs: &[String]) -> Vec<(String, String)> {
    let mut n = vec![(
        Ropey::NAME.to_string(),
        format!(
            "Rope::remove + Rope::insert per patch, char positions; saved: {}",
            Ropey::SAVE_FORMAT
        ),
    )];
    let mut add = |key: &str, name: &str, drive: &str, save: &str, merge: Option<&str>| {
        if libs.iter().any(|l| l == key) {
            let mut s = format!("{drive}; saved: {save}");
            if let Some(m) = merge {
                s.push_str(&format!("; merge: {m}"));
            }
            n.push((name.to_string(), s));
        }
    };
    add(
        "weft",
        <Weft as TextLib>::NAME,
        "one transaction per trace txn (replay_sequential), char positions",
        Weft::SAVE_FORMAT,
        Some(<Weft as MergeLib>::HOW),
    );
    add(
        "dt",
        <Dt as TextLib>::NAME,
        "ListCRDT insert/delete per patch (no transactions in DT 1.0), char positions, deletes record their text",
        Dt::SAVE_FORMAT,
        Some(Dt::HOW),
    );
    add(
        "loro",
        <Loro as TextLib>::NAME,
        "LoroText insert/delete (Unicode positions), doc.commit() per trace txn",
        Loro::SAVE_FORMAT,
        Some(Loro::HOW),
    );
    add(
        "yrs",
        <Yrs as TextLib>::NAME,
        "one transact_mut per trace txn, TextRef insert/remove_range, OffsetKind::Bytes (= chars on ASCII)",
        Yrs::SAVE_FORMAT,
        Some(Yrs::HOW),
    );
    add(
        "automerge",
        <Am as TextLib>::NAME,
        "one transaction()/commit() per trace txn, splice_text, default text unit (= chars on ASCII)",
        Am::SAVE_FORMAT,
        Some(Am::HOW),
    );
    n
}
