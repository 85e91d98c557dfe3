//! Criterion benches of weft-core on the editing traces: replay of each sequential trace as
//! local edits, load of each saved trace, merge of each concurrent trace from its full history;
//! ropey's replay as the floor. Skips with a message when the traces are absent.
//!
//! `CARGO_TARGET_DIR=target/bench cargo bench -p weft-bench --bench traces [-- FILTER]`

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use weft_bench::libs::weft::{build_merged_one_by_one, load_text, Weft};
use weft_bench::libs::{ropey, TextLib};
use weft_testkit::traces::{self, SequentialTrace};

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
}

fn load_seq(name: &str) -> SequentialTrace {
    traces::load_sequential(&format!("ascii_only/{name}"))
        .or_else(|_| traces::load_sequential(name))
        .expect("load trace")
}

fn main() {
    if traces::traces_dir_or_skip("weft-bench criterion benches").is_none() {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let seq: Vec<SequentialTrace> = traces::sequential_names()
        .iter()
        .map(|n| load_seq(n))
        .collect();

    {
        let mut g = c.benchmark_group("replay");
        configure(&mut g);
        for t in &seq {
            let name = t.name.trim_start_matches("ascii_only/");
            g.throughput(Throughput::Elements(t.num_patches() as u64));
            g.bench_function(format!("ropey/{name}"), |b| {
                b.iter(|| ropey::replay(black_box(t)))
            });
            g.bench_function(format!("weft/{name}"), |b| {
                b.iter(|| Weft::replay(black_box(t)))
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("load");
        configure(&mut g);
        for t in &seq {
            let name = t.name.trim_start_matches("ascii_only/");
            // Built on first use, so a filter that skips this bench skips the work too.
            let saved = OnceCell::new();
            g.bench_function(format!("weft/{name}"), |b| {
                let saved = saved.get_or_init(|| {
                    let saved = Weft::save(&Weft::replay(t));
                    assert_eq!(load_text(&saved).as_deref(), Ok(t.end_content.as_str()));
                    saved
                });
                b.iter(|| load_text(black_box(saved)))
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("merge");
        configure(&mut g);
        // git-makefile-x2 is left out: building weft's history of it takes over ten minutes.
        for name in traces::concurrent_names()
            .into_iter()
            .filter(|n| n != weft_bench::run::UNCHECKED_CONCURRENT)
        {
            let saved = OnceCell::new();
            g.bench_function(format!("weft/{name}"), |b| {
                let saved = saved.get_or_init(|| {
                    let trace = traces::load_concurrent(&name).expect("load trace");
                    let saved = build_merged_one_by_one(&trace).expect("build history");
                    assert_eq!(load_text(&saved).as_deref(), Ok(trace.end_content.as_str()));
                    saved
                });
                b.iter(|| load_text(black_box(saved)))
            });
        }
        g.finish();
    }
    c.final_summary();
}
