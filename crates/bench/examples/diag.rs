//! Temporary diagnostics.
use std::time::Instant;
use weft_core::{Doc, PeerId};
use weft_testkit::replay::replay_concurrent;
use weft_testkit::traces;

fn main() {
    let name = std::env::args().nth(1).unwrap();
    let trace = traces::load_concurrent(&name).unwrap();
    let t = Instant::now();
    let rep = replay_concurrent(&trace, "text").unwrap();
    eprintln!("replay_concurrent {:.2}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut doc = Doc::with_peer(PeerId(99));
    for u in &rep.updates {
        doc.import(u).unwrap();
    }
    eprintln!("import all {:.2}s", t.elapsed().as_secs_f64());
    let bytes = doc.save();
    let t = Instant::now();
    let d = weft_bench::libs::weft::load_text(&bytes).unwrap();
    eprintln!(
        "load {:.3}s ok={}",
        t.elapsed().as_secs_f64(),
        d == trace.end_content
    );
}
