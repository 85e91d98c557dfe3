//! Times the phases of replaying a concurrent trace: `cargo run --release -p weft-testkit
//! --example trace_timing -- NAME`. For profiling by hand; the benchmarks live in crates/bench.

use std::time::Instant;

use weft_core::{Doc, DocOptions, PeerId};
use weft_testkit::replay::{replay_concurrent, replay_sequential};
use weft_testkit::traces;

/// Sequential trace: time the replay as local edits and the load of the saved document.
fn sequential(name: &str, repeat_load: usize) -> Result<(), Box<dyn std::error::Error>> {
    let trace = traces::load_sequential(name)?;
    let mut doc = Doc::with_peer(PeerId(1));
    let t = Instant::now();
    replay_sequential(&mut doc, "text", &trace)?;
    println!("replay as local edits: {:?}", t.elapsed());
    let saved = doc.save();
    let t = Instant::now();
    for _ in 0..repeat_load {
        let loaded = Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?;
        let text = loaded.get_text("text").map(|t| loaded.text_to_string(t));
        assert_eq!(text.as_deref(), Some(trace.end_content.as_str()));
    }
    println!(
        "load + read {} bytes: {:?} per load",
        saved.len(),
        t.elapsed() / repeat_load as u32
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "node_nodecc".to_owned());
    let repeat_load: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    if traces::sequential_names().contains(&name) {
        return sequential(&name, repeat_load);
    }
    let trace = traces::load_concurrent(&name)?;
    let t = Instant::now();
    let replay = replay_concurrent(&trace, "text")?;
    println!("replay by agents: {:?}", t.elapsed());
    let t = Instant::now();
    let mut doc = Doc::with_peer(PeerId(1));
    for u in &replay.updates {
        doc.import(u)?;
    }
    println!("import in causal order: {:?}", t.elapsed());
    let t = Instant::now();
    let mut batch = Doc::with_peer(PeerId(3));
    batch.import_all(replay.updates.iter().map(Vec::as_slice))?;
    println!(
        "import_all of {} updates: {:?}",
        replay.updates.len(),
        t.elapsed()
    );
    let saved = doc.save();
    let t = Instant::now();
    let mut loaded = Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?;
    for _ in 1..repeat_load {
        loaded = Doc::load_with_options(&saved, PeerId(2), DocOptions::default())?;
    }
    println!(
        "load {} bytes: {:?} per load",
        saved.len(),
        t.elapsed() / repeat_load as u32
    );
    let text = loaded
        .get_text("text")
        .map(|t| loaded.text_to_string(t))
        .unwrap_or_default();
    println!("matches endContent: {}", text == trace.end_content);
    Ok(())
}
