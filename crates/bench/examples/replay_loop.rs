//! Replays one sequential trace as local edits many times, for profilers (perf, callgrind) that
//! need a long steady loop: `cargo run --release -p weft-bench --example replay_loop -- LIB TRACE
//! [REPEAT]`, LIB `weft` or `ropey`. Prints the mean time per replay; the comparison itself is
//! `weft-bench report`.

use std::process::ExitCode;
use std::time::Instant;

use weft_bench::libs::{ropey, weft};
use weft_core::{Doc, PeerId};
use weft_testkit::replay::replay_sequential;
use weft_testkit::traces;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (lib, name) = match args.as_slice() {
        [lib, name, ..] if lib == "weft" || lib == "ropey" => (lib.as_str(), name.as_str()),
        _ => {
            eprintln!("usage: replay_loop weft|ropey TRACE [REPEAT]");
            return ExitCode::FAILURE;
        }
    };
    let repeat = match args.get(2).map(|s| s.parse::<u32>()) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("REPEAT must be a positive number");
            return ExitCode::FAILURE;
        }
    };
    let trace = match traces::load_sequential(name) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot load trace {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let t = Instant::now();
    for _ in 0..repeat {
        if lib == "weft" {
            let mut doc = Doc::with_peer(PeerId(1));
            if let Err(e) = replay_sequential(&mut doc, weft::TEXT, &trace) {
                eprintln!("replay failed: {e}");
                return ExitCode::FAILURE;
            }
            std::hint::black_box(&doc);
        } else {
            std::hint::black_box(ropey::replay(&trace));
        }
    }
    println!("{lib} {name}: {:?} per replay", t.elapsed() / repeat);
    ExitCode::SUCCESS
}
