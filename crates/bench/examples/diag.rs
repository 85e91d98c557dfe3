//! Temporary diagnostics.
use std::time::Instant;
use weft_testkit::traces;

fn main() {
    let name = std::env::args().nth(1).unwrap();
    let trace = traces::load_concurrent(&name).unwrap();
    let t = Instant::now();
    let b = weft_bench::libs::weft::build_merged_one_by_one(&trace).unwrap();
    eprintln!("one by one {:.2}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let d = weft_bench::libs::weft::load_text(&b).unwrap();
    eprintln!(
        "load {:.3}s ok={}",
        t.elapsed().as_secs_f64(),
        d == trace.end_content
    );
}
